// The server about itself (endpoint 16) and the event stream (endpoint 15).
import { z } from 'zod';
import { ErrorBody, Healthz } from '../../api/schemas';
import type { EventStreamHub } from '../http/event-stream';
import { buildOpenApiDocument } from '../http/openapi';
import { METRICS_CONTENT_TYPE, type ServerMetrics } from '../metrics';
import { parseInput, type RouteRegistry } from '../http/route';
import { EventId, EventsQuery } from './params';

export interface MetaSources {
  version: string;
  /** Undefined when the server can serve (database reachable, migrations applied), else why not. */
  notReadyReason: () => Promise<string | undefined>;
  metrics: ServerMetrics;
}

export function registerMetaRoutes(routes: RouteRegistry, { version, notReadyReason, metrics }: MetaSources): void {
  routes.add({
    method: 'GET', url: '/healthz', role: null,
    summary: 'Liveness: the process answers (needs no token)', responses: { 200: Healthz },
    handler: async () => ({ ok: true, version }),
  });

  routes.add({
    method: 'GET', url: '/readyz', role: null,
    summary: 'Readiness: the database answers and this version\'s migrations are applied (needs no token)',
    responses: { 200: Healthz, 503: ErrorBody },
    handler: async ({ reply }) => {
      const reason = await notReadyReason();
      if (reason !== undefined) return reply.code(503).send({ error: reason });
      return { ok: true, version };
    },
  });

  routes.add({
    method: 'GET', url: '/metrics', role: 'admin',
    summary: 'Prometheus metrics of this server (admin; or unauthenticated on --metrics-port)', responses: { 200: 'text' },
    handler: async ({ reply }) => reply.type(METRICS_CONTENT_TYPE).send(await metrics.text()),
  });

  let document: string | undefined;
  routes.add({
    method: 'GET', url: '/api/openapi.json', role: 'viewer',
    summary: 'This document', responses: { 200: z.record(z.string(), z.unknown()) },
    handler: async ({ reply }) => {
      // Built on first use, when every route has been declared.
      document ??= JSON.stringify(buildOpenApiDocument(routes.docs, version));
      return reply.type('application/json; charset=utf-8').send(document);
    },
  });
}

export function registerEventRoutes(routes: RouteRegistry, hub: EventStreamHub): void {
  routes.add({
    method: 'GET', url: '/api/events', role: 'viewer',
    summary: 'Server-Sent Events; resume with Last-Event-ID (or ?since=) to replay what was missed',
    query: EventsQuery, responses: { 200: 'event-stream', 400: ErrorBody, 429: ErrorBody },
    handler: async ({ query, request, reply, principal }) => {
      const header = request.headers['last-event-id'];
      const resumeAfter = typeof header === 'string' && header !== ''
        ? parseInput(EventId, header, 'query')
        : query.since;
      const slot = hub.reserve(principal.name);
      if (typeof slot === 'string') {
        reply.code(429);
        return { error: slot };
      }
      reply.hijack();
      try {
        await hub.open(reply.raw, slot, query.project ?? null, resumeAfter, performance.now() - reply.elapsedTime);
      } catch (error) {
        // Headers may be out; all that is left is to end the stream (the client resumes) and log.
        slot.release();
        request.log.error({ err: error }, 'event stream failed');
        reply.raw.destroy();
      }
      return undefined;
    },
  });
}
