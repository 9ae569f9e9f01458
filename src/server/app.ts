// The fastify application: JSON only, 1 MiB bodies, bearer auth on /api/, JSON errors everywhere,
// a request id on every log line, metrics, and the routes of API.md.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { registerAuth } from './http/auth';
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandlers } from './http/errors';
import {
  DEFAULT_MAX_STREAMS, DEFAULT_MAX_STREAMS_PER_TOKEN, DEFAULT_STALLED_STREAM_MS, EventStreamHub,
} from './http/event-stream';
import { registerJsonBodyParser } from './http/jsonBody';
import { RouteRegistry } from './http/route';
import { registerEngineRoutes } from './engine/routes';
import { registerApprovalRoutes } from './routes/approvals';
import { registerDeploymentRoutes } from './routes/deployments';
import { registerEventRoutes, registerMetaRoutes } from './routes/meta';
import { registerProjectRoutes } from './routes/projects';
import { registerTokenRoutes } from './routes/tokens';
import type { ServerMetrics } from './metrics';
import type { ReleaseService } from './service/release-service';

export const BODY_LIMIT_BYTES = 1024 * 1024;
export const DEFAULT_KEEP_ALIVE_MS = 15_000;
/**
 * How long a client may take to send a whole request (headers and body): a 1 MiB body needs far less,
 * and a client that stops halfway must not hold a connection (and its body buffer) forever. Responses
 * are not limited: an event stream's request is complete once its headers are in.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface AppOptions {
  service: ReleaseService;
  version: string;
  /** Fastify/pino logger options, or false for none. */
  logger?: FastifyServerOptions['logger'];
  /** Interval of the SSE keep-alive comment. */
  keepAliveMs?: number;
  /** Concurrent event streams one token may hold (default 20), and the server in total (default 10,000). */
  maxStreamsPerToken?: number;
  maxStreams?: number;
  /** An event stream whose client takes no byte for this long is dropped (default 60 s). */
  stalledStreamMs?: number;
  /** Longest time to receive a whole request; then 408 and the connection closes. */
  requestTimeoutMs?: number;
  metrics: ServerMetrics;
}

/** A request id a proxy may hand us (X-Request-Id); anything else is replaced by our own. */
const FORWARDED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Every log line of a request carries its id: the proxy's when it sent a sane one, else a new UUID. */
function requestId(request: IncomingMessage): string {
  const forwarded = request.headers['x-request-id'];
  return typeof forwarded === 'string' && FORWARDED_REQUEST_ID.test(forwarded) ? forwarded : randomUUID();
}

export function buildApp(options: AppOptions): FastifyInstance {
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Project names may hold 100 characters, each up to 3 when percent-encoded.
    routerOptions: { maxParamLength: 400 },
    // Let in-flight requests finish on close; idle keep-alive sockets are closed at once.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    requestIdHeader: false,
    genReqId: requestId,
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    requestTimeout,
    http: {
      requestTimeout,
      headersTimeout: requestTimeout,
      // node looks for expired requests this often (default 30 s, which would double a short timeout).
      connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(requestTimeout / 4))),
    },
  });
  // The id goes back to the caller, so a user's report can be matched to the server's log lines.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  options.metrics.instrument(app);
  registerJsonBodyParser(app);
  registerErrorHandlers(app);
  registerAuth(app, options.service.tokens);

  const hub = new EventStreamHub(options.service, {
    keepAliveMs: options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS,
    maxStreamsPerToken: options.maxStreamsPerToken ?? DEFAULT_MAX_STREAMS_PER_TOKEN,
    maxStreams: options.maxStreams ?? DEFAULT_MAX_STREAMS,
    stalledStreamMs: options.stalledStreamMs ?? DEFAULT_STALLED_STREAM_MS,
    onError: (error) => app.log.error({ err: error }, 'event stream failed'),
    observer: options.metrics.streams,
  });
  options.metrics.countStreams(() => hub.size);
  // Event streams never end by themselves; end them so close() can finish.
  app.addHook('preClose', async () => hub.close());

  const routes = new RouteRegistry(app);
  registerMetaRoutes(routes, {
    version: options.version,
    notReadyReason: () => options.service.store.notReadyReason(),
    metrics: options.metrics,
  });
  registerProjectRoutes(routes, options.service);
  registerDeploymentRoutes(routes, options.service);
  registerEventRoutes(routes, hub);
  registerTokenRoutes(routes, options.service);
  registerEngineRoutes(routes, options.service);
  registerApprovalRoutes(routes, options.service);
  return app;
}
