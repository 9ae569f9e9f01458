// The fastify application: JSON only, 1 MiB bodies, bearer auth on /api/, JSON errors everywhere,
// and the routes of API.md (endpoints 1–12, 15, 16, 17).
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { registerAuth } from './http/auth';
import { registerErrorHandlers } from './http/errors';
import {
  DEFAULT_MAX_STREAMS, DEFAULT_MAX_STREAMS_PER_TOKEN, DEFAULT_STALLED_STREAM_MS, EventStreamHub,
} from './http/event-stream';
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

export interface AppOptions {
  service: ReleaseService;
  version: string;
  /** Fastify/pino logger options, or false for none. */
  logger?: FastifyServerOptions['logger'];
  /** Interval of the SSE keep-alive comment. */
  keepAliveMs?: number;
  /** Concurrent event streams one token may hold (default 20), and the server in total (default 2000). */
  maxStreamsPerToken?: number;
  maxStreams?: number;
  /** An event stream whose client takes no byte for this long is dropped (default 60 s). */
  stalledStreamMs?: number;
}

export function buildApp(options: AppOptions): FastifyInstance {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Project names may hold 100 characters, each up to 3 when percent-encoded.
    routerOptions: { maxParamLength: 400 },
    // Let in-flight requests finish on close; idle keep-alive sockets are closed at once.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  registerJsonBodyParser(app);
  registerErrorHandlers(app);
  registerAuth(app, options.service.tokens);

  const hub = new EventStreamHub(options.service, {
    keepAliveMs: options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS,
    maxStreamsPerToken: options.maxStreamsPerToken ?? DEFAULT_MAX_STREAMS_PER_TOKEN,
    maxStreams: options.maxStreams ?? DEFAULT_MAX_STREAMS,
    stalledStreamMs: options.stalledStreamMs ?? DEFAULT_STALLED_STREAM_MS,
    onError: (error) => app.log.error({ err: error }, 'event stream failed'),
  });
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
