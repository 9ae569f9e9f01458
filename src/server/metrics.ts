// What an operator scrapes: Prometheus metrics of one server process (prom-client, its own registry, so
// two servers in one process — tests — never share counters). The rooms that do the work report through
// small observer interfaces (the engine's, the event streams'); this module owns every metric name.
import * as http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineObserver } from './engine/engine';
import type { StreamObserver } from './http/sseConnection';
import type { Store } from './store';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';


export class ServerMetrics {
  readonly registry = new Registry();
  readonly engine: EngineObserver;
  readonly streams: StreamObserver;
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly requestSeconds: Histogram<'method' | 'route' | 'status'>;
  private readonly stopCounting: () => void;
  private openStreams: () => number = () => 0;

  constructor(store: Store) {
    const registry = this.registry;
    collectDefaultMetrics({ register: registry });
    this.requests = new Counter({
      name: 'flightdeck_http_requests_total', help: 'HTTP requests answered, by route template and status',
      labelNames: ['method', 'route', 'status'], registers: [registry],
    });
    this.requestSeconds = new Histogram({
      name: 'flightdeck_http_request_duration_seconds', help: 'Time to answer an HTTP request, by route template and status',
      labelNames: ['method', 'route', 'status'], registers: [registry],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    const streamsOpen: Gauge = new Gauge({
      name: 'flightdeck_event_streams_open', help: 'Event streams (GET /api/events) open on this server',
      registers: [registry], collect: () => streamsOpen.set(this.openStreams()),
    });
    const eventsWritten = new Counter({
      name: 'flightdeck_events_written_total', help: 'Events this server committed to the event log', registers: [registry],
    });
    this.stopCounting = store.onCommit((events) => eventsWritten.inc(events.length));
    const fannedOut = new Counter({
      name: 'flightdeck_events_fanned_out_total', help: 'Events written to event streams (one per event and stream)', registers: [registry],
    });
    const replayed = new Counter({
      name: 'flightdeck_events_replayed_total', help: 'Events of those that a stream read back from the log (a resume)', registers: [registry],
    });
    const catchUp = new Histogram({
      name: 'flightdeck_event_stream_catch_up_seconds',
      help: 'From a stream\'s request to live events: its replay of what it missed (a reconnect storm shows here)',
      registers: [registry], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.streams = {
      sent: (count, fromReplay) => {
        fannedOut.inc(count);
        if (fromReplay) replayed.inc(count);
      },
      caughtUp: (seconds) => catchUp.observe(seconds),
    };
    const stepLag = new Histogram({
      name: 'flightdeck_engine_task_lag_seconds', help: 'How late the engine claimed a due task (rollout step, health check, promotion)',
      labelNames: ['kind'], registers: [registry],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    const executorRuns = new Counter({
      name: 'flightdeck_executor_runs_total', help: 'Deploy executor runs, by outcome (applied, failure, error, retry, interrupted)',
      labelNames: ['outcome'], registers: [registry],
    });
    this.engine = {
      taskClaimed: (kind, lagSeconds) => stepLag.observe({ kind }, Math.max(0, lagSeconds)),
      executorFinished: (outcome) => executorRuns.inc({ outcome }),
    };
    new Gauge({
      name: 'flightdeck_db_pool_connections', help: 'PostgreSQL pool connections by state (total, idle, waiting requests); absent on PGlite',
      labelNames: ['state'], registers: [registry],
      collect() {
        const pool = store.stats().pool;
        if (!pool) return;
        this.set({ state: 'total' }, pool.total);
        this.set({ state: 'idle' }, pool.idle);
        this.set({ state: 'waiting' }, pool.waiting);
      },
    });
    new Gauge({
      name: 'flightdeck_listen_reconnects', help: 'Times the PostgreSQL LISTEN connection (cross-server events) was lost and re-established',
      registers: [registry], collect() { this.set(store.stats().listenReconnects); },
    });
  }

  /** Where the count of open event streams comes from (the app's stream hub). */
  countStreams(openStreams: () => number): void {
    this.openStreams = openStreams;
  }

  /** Counts and times every answered request by its route template (never the raw URL: it holds names). */
  instrument(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
      this.requests.inc(labels);
      this.requestSeconds.observe(labels, reply.elapsedTime / 1000);
    });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  dispose(): void {
    this.stopCounting();
    this.registry.clear();
  }
}

/**
 * `--metrics-port`: /metrics alone, without a token, on a listener of its own (bind it where only the
 * scraper reaches). Anything else is a JSON 404.
 */
export async function listenForMetrics(metrics: ServerMetrics, host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method === 'GET' && path === '/metrics') {
      metrics.text().then((body) => {
        response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
        response.end(body);
      }, () => {
        response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify({ error: 'Metrics could not be collected' }));
      });
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify({ error: 'Only GET /metrics is served on the metrics port' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
