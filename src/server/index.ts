// `startServer`: the release server in-process (used by `flightdeck serve`, the demo, tests and the
// bench). Opens the store (PGlite data dir or PostgreSQL URL), migrates it, applies --config, listens.
import * as path from 'node:path';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { buildApp } from './app';
import { applyConfigFile } from './configFile';
import { Engine, type EngineOptions } from './engine';
import { ServerMetrics, listenForMetrics } from './metrics';
import { ServerSecrets } from './secrets';
import { ReleaseService } from './service/release-service';
import { DEFAULT_DATA_DIR, Store } from './store';

/**
 * Connections the kernel may hold for us before we accept them. When a replica stops, its editors
 * reconnect to the others all within a second or two; past a full queue the kernel drops their
 * handshakes, and each dropped one waits out a retransmission (1 s, then 3 s, then 7 s …). Node's
 * default is 511; the kernel caps this at net.core.somaxconn (4096 on current Linux).
 */
const LISTEN_BACKLOG = 4096;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface StartServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** PGlite data directory (default ~/.flightdeck/data); ignored when databaseUrl is set. */
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
  /** JSON or YAML file of projects, applied at start. */
  configFile?: string | undefined;
  /** Accepted as an admin token (actor `admin`); `flightdeck serve` passes FLIGHTDECK_ADMIN_TOKEN. */
  adminToken?: string | undefined;
  /** Reported by /healthz and the OpenAPI document. */
  version: string;
  logLevel?: LogLevel;
  /** Where the JSON log lines go (default stderr: stdout belongs to `listening on …`). */
  logStream?: NodeJS.WritableStream;
  /** SSE keep-alive interval (default 15 s). */
  keepAliveMs?: number;
  /** Longest time to receive a whole request, headers and body (default 30 s); then 408. */
  requestTimeoutMs?: number;
  /** Events kept for replay (default 10,000). */
  eventRetention?: number;
  /** Concurrent event streams one token may hold (default 20). */
  maxStreamsPerToken?: number;
  /** Concurrent event streams on this server (default 10,000). */
  maxStreams?: number;
  /** An event stream whose client takes no byte for this long is dropped (default 60 s). */
  stalledStreamMs?: number;
  /** The progressive-delivery engine's tuning, or false for none (a store prepared while no server runs). */
  engine?: Omit<EngineOptions, 'databaseUrl' | 'log' | 'observer' | 'secrets'> | false;
  /**
   * The service's clock (timestamps, approval deadlines); default the real one. Tests set it back to
   * make an approval request that expired long ago, without waiting 24 hours.
   */
  now?: () => Date;
  /** Also serve GET /metrics without a token on this port of `host` (0 picks one); off by default. */
  metricsPort?: number | undefined;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  /** The service, for in-process users (the engine, tests). */
  service: ReleaseService;
  /** The progressive-delivery engine (undefined when started with `engine: false`). */
  engine: Engine | undefined;
  /** The metrics listener's URL, when `metricsPort` was given. */
  metricsUrl: string | undefined;
  /** Stops accepting, lets in-flight requests finish, ends event streams, closes the database. */
  close(): Promise<void>;
}

/** Paths the logger blanks out: tokens must never reach a log. */
const REDACTED = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'authorization'];

/** What a log line says of a request: fastify's own fields, with the URL redacted of secrets. */
function loggedRequest(request: FastifyRequest, secrets: ServerSecrets): Record<string, unknown> {
  return {
    method: request.method,
    url: secrets.redact(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const logLevel = options.logLevel ?? 'info';
  const secrets = new ServerSecrets({ adminToken: options.adminToken, databaseUrl: options.databaseUrl });
  const logger = logLevel === 'silent'
    ? false
    : {
      level: logLevel,
      stream: options.logStream ?? process.stderr,
      redact: { paths: REDACTED, censor: '[redacted]' },
      // A client may put a token in the URL (`?token=…`, a path): the logged URL is redacted of it.
      serializers: { req: (request: FastifyRequest) => loggedRequest(request, secrets) },
    };

  const store = await Store.open({
    dataDir: options.databaseUrl ? undefined : path.resolve(options.dataDir ?? DEFAULT_DATA_DIR),
    databaseUrl: options.databaseUrl,
    eventRetention: options.eventRetention,
  });
  // The logger exists once the app does; listener failures before that have nowhere better to go.
  let log: FastifyBaseLogger | undefined;
  const metrics = new ServerMetrics(store);
  const service = new ReleaseService(store, {
    adminToken: options.adminToken,
    ...(options.now ? { now: options.now } : {}),
    onListenerError: (error) => log?.error({ err: error }, 'an event listener failed'),
  });
  try {
    await service.start();
    const app = buildApp({
      service,
      version: options.version,
      logger,
      metrics,
      ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
      ...(options.maxStreamsPerToken !== undefined ? { maxStreamsPerToken: options.maxStreamsPerToken } : {}),
      ...(options.maxStreams !== undefined ? { maxStreams: options.maxStreams } : {}),
      ...(options.stalledStreamMs !== undefined ? { stalledStreamMs: options.stalledStreamMs } : {}),
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    });
    log = app.log;
    if (options.configFile) {
      const applied = await applyConfigFile(service, options.configFile);
      app.log.info({ projects: applied }, 'config file applied');
    }
    await app.listen({ host, port: options.port ?? 7700, backlog: LISTEN_BACKLOG });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : options.port ?? 7700;
    // Started once the server listens (a deploy script may call its API); stopped before the store closes.
    const engine = options.engine === false
      ? undefined
      : new Engine(service, {
        ...options.engine,
        databaseUrl: options.databaseUrl,
        log: app.log,
        observer: metrics.engine,
        secrets,
      });
    engine?.start();
    const metricsListener = options.metricsPort === undefined ? undefined : await listenForMetrics(metrics, host, options.metricsPort);
    const urlOf = (listenPort: number): string => `http://${host.includes(':') ? `[${host}]` : host}:${listenPort}`;
    let closing: Promise<void> | undefined;
    return {
      url: urlOf(port),
      host,
      port,
      service,
      engine,
      metricsUrl: metricsListener ? urlOf(metricsListener.port) : undefined,
      close: () => closing ??= (async () => {
        try {
          await app.close();
        } finally {
          try {
            await engine?.stop();
          } finally {
            await metricsListener?.close();
            metrics.dispose();
            service.dispose();
            await store.close();
          }
        }
      })(),
    };
  } catch (error) {
    metrics.dispose();
    service.dispose();
    await store.close();
    throw error;
  }
}

export { ReleaseService, type DeploymentChange, type DeploymentChangedListener } from './service/release-service';
export { SERVER_PRINCIPAL, type Principal } from './service/principal';
export { Store, type StoreOptions } from './store';
export { Engine, type EngineOptions } from './engine';
