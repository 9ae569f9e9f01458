// The fastify application: JSON only, 1 MiB bodies, bearer auth on /api/, JSON errors everywhere,
// and the routes of API.md (endpoints 1–12, 15, 16, 17).
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { registerAuth } from './http/auth';
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandlers } from './http/errors';
import { EventStreamHub } from './http/event-stream';
import { registerJsonBodyParser } from './http/json-body';
import { RouteRegistry } from './http/route';
import { registerEngineRoutes } from './engine/routes';
import { registerDeploymentRoutes } from './routes/deployments';
import { registerEventRoutes, registerMetaRoutes } from './routes/meta';
import { registerProjectRoutes } from './routes/projects';
import { registerTokenRoutes } from './routes/tokens';
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
  /** Longest time to receive a whole request; then 408 and the connection closes. */
  requestTimeoutMs?: number;
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
  registerJsonBodyParser(app);
  registerErrorHandlers(app);
  registerAuth(app, options.service.tokens);

  const hub = new EventStreamHub(options.service, { keepAliveMs: options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS });
  // Event streams never end by themselves; end them so close() can finish.
  app.addHook('preClose', async () => hub.close());

  const routes = new RouteRegistry(app);
  registerMetaRoutes(routes, options.version);
  registerProjectRoutes(routes, options.service);
  registerDeploymentRoutes(routes, options.service);
  registerEventRoutes(routes, hub);
  registerTokenRoutes(routes, options.service);
  registerEngineRoutes(routes, options.service);
  return app;
}
