// Every answer the GitHub emulator sends is checked against the operation's response schema in GitHub's
// own OpenAPI description (@octokit/openapi), so the emulator cannot drift from GitHub: a violation is
// recorded and the tests assert there are none. The description (73 MB) is read once per process, and
// each operation's schema compiled the first time it answers.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

interface OpenApiResponse {
  content?: Record<string, { schema?: object }>;
}
interface OpenApiDescription {
  paths: Record<string, Record<string, { responses: Record<string, OpenApiResponse> }>>;
}

let description: OpenApiDescription | undefined;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const compiled = new Map<string, ValidateFunction | 'no-body'>();

function spec(): OpenApiDescription {
  if (!description) {
    const file = createRequire(__filename).resolve('@octokit/openapi/generated/api.github.com.deref.json');
    description = JSON.parse(fs.readFileSync(file, 'utf8')) as OpenApiDescription;
  }
  return description;
}

function validatorFor(method: string, template: string, status: number): ValidateFunction | 'no-body' | { problem: string } {
  const key = `${method} ${template} ${status}`;
  const known = compiled.get(key);
  if (known) return known;
  const operation = spec().paths[template]?.[method.toLowerCase()];
  if (!operation) return { problem: `GitHub's OpenAPI description has no operation ${method} ${template}` };
  const response = operation.responses[String(status)];
  let validator: ValidateFunction | 'no-body';
  if (response) {
    const schema = response.content?.['application/json']?.schema;
    validator = schema ? ajv.compile(openApiNullable(schema) as object) : 'no-body';
  } else if (status >= 400) {
    // Errors an operation does not list (401, rate limits) still carry GitHub's basic error.
    // (The dereferenced description has no components: GET /repos/{owner}/{repo}'s 404 is the basic error.)
    const basic = spec().paths['/repos/{owner}/{repo}']?.get?.responses['404']?.content?.['application/json']?.schema;
    if (!basic) return { problem: 'GitHub\'s OpenAPI description has no basic-error schema' };
    validator = ajv.compile(openApiNullable(basic) as object);
  } else {
    return { problem: `GitHub's OpenAPI description lists no ${status} answer for ${method} ${template}` };
  }
  compiled.set(key, validator);
  return validator;
}

/**
 * OpenAPI 3.0's `nullable: true` in JSON Schema terms. Ajv understands it next to a `type`, but GitHub's
 * description also puts it on `allOf`/`anyOf` schemas without one, which Ajv refuses to compile: those
 * become `anyOf: [schema, {type: null}]`. Returns a new tree; the description itself is left untouched.
 */
function openApiNullable(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(openApiNullable);
  if (schema === null || typeof schema !== 'object') return schema;
  const entries = Object.entries(schema as Record<string, unknown>);
  const copy: Record<string, unknown> = {};
  // `properties` maps names to schemas, `example(s)` are data: only schemas are rewritten.
  for (const [key, value] of entries) copy[key] = key === 'example' || key === 'examples' || key === 'enum' ? value : openApiNullable(value);
  if (copy.nullable === true && copy.type === undefined) {
    delete copy.nullable;
    return { anyOf: [copy, { type: 'null' }] };
  }
  return copy;
}

/** Problems with one answer against GitHub's contract; empty when it conforms. */
export function contractViolations(method: string, template: string, status: number, body: unknown): string[] {
  // GitHub answers any conditional GET with an empty 304, whether or not the operation lists it.
  if (status === 304 && method === 'GET') return body === undefined ? [] : [`${method} ${template} → 304: GitHub sends no body here`];
  const validator = validatorFor(method, template, status);
  if (typeof validator === 'object') return [validator.problem];
  const where = `${method} ${template} → ${status}`;
  if (validator === 'no-body') return body === undefined ? [] : [`${where}: GitHub sends no body here`];
  if (validator(body)) return [];
  return (validator.errors ?? []).slice(0, 5).map((e) => `${where}: ${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}
