// GET /api/openapi.json: an OpenAPI 3.1 document built from the route declarations and their zod
// schemas (z.toJSONSchema), so the document cannot drift from what the server validates.
import { z } from 'zod';
import type { ResponseSchema, RouteDoc } from './route';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input');
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name, in: location, required: location === 'path' || required.has(name), schema: property,
  }));
}

function responseBody(schema: ResponseSchema): JsonSchema | undefined {
  if (schema === null) return undefined;
  if (schema === 'event-stream') return { 'text/event-stream': { schema: { type: 'string' } } };
  if (schema === 'text') return { 'text/plain': { schema: { type: 'string' } } };
  return { 'application/json': { schema: jsonSchema(schema, 'output') } };
}

export function buildOpenApiDocument(routes: readonly RouteDoc[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const responses: Record<string, JsonSchema> = {};
    for (const [status, schema] of Object.entries(route.responses)) {
      const content = responseBody(schema);
      responses[status] = { description: status.startsWith('2') ? 'Success' : 'Error', ...(content ? { content } : {}) };
    }
    const operation: JsonSchema = {
      summary: route.summary,
      operationId: `${route.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/\/+(.)/g, (_m, c: string) => c.toUpperCase())}`,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      responses,
      ...(route.role === null ? { security: [] } : { 'x-flightdeck-role': route.role }),
      ...(route.body ? { requestBody: { required: false, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
    };
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Flightdeck Releases API',
      version,
      description: 'Endpoints 1-5 are wire-compatible with the Aviator Releases REST API. Errors are {"error": "..."}.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
