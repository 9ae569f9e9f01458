// The only body parser: JSON. Anything else is 415; malformed JSON is 400; an empty body reads as
// absent. Strings with NUL characters are refused here (PostgreSQL text cannot hold them), and so
// are `__proto__` keys, so no handler ever sees either.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors';

export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      done(new ApiError(400, 'Request body is not valid JSON'), undefined);
      return;
    }
    const problem = findForbiddenContent(value);
    done(problem ? new ApiError(400, problem) : null, problem ? undefined : value);
  });
}

/** Walks the value without recursion (a deeply nested body must not overflow the stack). */
function findForbiddenContent(root: unknown): string | undefined {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return 'Strings must not contain NUL characters';
    } else if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === '__proto__' || key.includes('\u0000')) return 'Request body has a forbidden key';
        pending.push(inner);
      }
    }
  }
  return undefined;
}
