// Routes are declared once, with their zod schemas: the same declaration validates every request
// (params, query, body → 400 with `issues`) and feeds the OpenAPI document.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Role } from '../../api/schemas';
import { ApiError } from '../errors';
import type { Principal } from '../service/principal';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role a caller needs. */
    role?: Role;
    /** Needs no token at all (GET /healthz). */
    public?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export type ResponseSchema = z.ZodType | null | 'event-stream' | 'text';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<P, Q, B> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
  /** The caller; the admin stand-in for routes that need no token. */
  principal: Principal;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined> {
  method: HttpMethod;
  /** Fastify syntax: `/api/releases/:project`. */
  url: string;
  summary: string;
  role: Role | null;
  params?: P;
  query?: Q;
  body?: B;
  /** Status → response body schema (null: no body; 'event-stream': SSE; 'text': plain text), for the OpenAPI document. */
  responses: Readonly<Record<number, ResponseSchema>>;
  /** Resolves to the response body, sent as JSON with the first 2xx of `responses` unless the handler set another. */
  handler: (input: RouteInput<P, Q, B>) => Promise<unknown>;
}

/** What the OpenAPI builder reads. */
export type RouteDoc = Omit<RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>, 'handler'>;

const NO_PRINCIPAL: Principal = { name: 'anonymous', role: 'viewer' };

export class RouteRegistry {
  readonly docs: RouteDoc[] = [];

  constructor(private readonly app: FastifyInstance) {}

  add<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(
    spec: RouteSpec<P, Q, B>,
  ): void {
    const { handler, ...doc } = spec;
    this.docs.push(doc);
    const successStatus = Number(Object.keys(spec.responses).find((status) => status.startsWith('2')) ?? 200);
    this.app.route({
      method: spec.method,
      url: spec.url,
      config: spec.role === null ? { public: true } : { role: spec.role },
      // A HEAD of an event stream would hold a subscription open for a body nobody reads.
      exposeHeadRoute: !Object.values(spec.responses).includes('event-stream'),
      handler: async (request, reply) => {
        // Set first, so a handler that answers otherwise (200 for an idempotent repeat) can override it.
        reply.code(successStatus);
        const input = {
          params: parseInput(spec.params, request.params, 'path'),
          query: parseInput(spec.query, request.query, 'query'),
          // Every body field of this API is optional somewhere; an absent body reads as `{}`.
          body: parseInput(spec.body, request.body ?? {}, 'body'),
          principal: request.principal ?? NO_PRINCIPAL,
          request,
          reply,
        } as RouteInput<P, Q, B>;
        const result = await handler(input);
        if (reply.sent) return reply;
        return result === undefined ? reply.send() : reply.send(result);
      },
    });
  }
}

/** Parses one part of a request, or throws 400 with the zod issues (messages and paths, no input). */
export function parseInput<S extends z.ZodType | undefined>(schema: S, value: unknown, part: 'path' | 'query' | 'body'): Parsed<S> {
  if (schema === undefined) return undefined as Parsed<S>;
  const result = schema.safeParse(value);
  if (result.success) return result.data as Parsed<S>;
  const issues = result.error.issues.map((issue) => ({ code: issue.code, path: issue.path.map(String), message: issue.message }));
  throw new ApiError(400, describeIssue(issues[0], part), { issues });
}

/**
 * One sentence for the `error` field. Our schemas' own messages (`Invalid commit hash`,
 * `Invalid release candidate version`, …) are used as they are: clients match on them.
 */
function describeIssue(issue: { code: string; path: string[]; message: string } | undefined, part: string): string {
  if (!issue) return `Invalid ${part}`;
  if (issue.code === 'invalid_format' || issue.code === 'custom') return issue.message;
  const where = issue.path.length > 0 ? `${part} field ${issue.path.join('.')}` : part;
  return `Invalid ${where}: ${issue.message}`;
}
