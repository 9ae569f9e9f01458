// Every error leaves as JSON `{"error": "…"}`: ApiErrors as they are, fastify's own client errors
// (body too large, wrong media type, bad URL) with a sentence of ours, anything else as a 500 that
// says nothing but is logged in full. Unknown routes are a JSON 404.
import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError } from '../errors';

const CLIENT_ERROR_MESSAGES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is larger than 1 MiB',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Request body must be JSON (Content-Type: application/json)',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the request body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Request body is empty',
  FST_ERR_BAD_URL: 'The request URL is malformed',
  FST_ERR_ASYNC_CONSTRAINT: 'The request cannot be routed',
};

export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    if (error instanceof ApiError) return reply.code(error.statusCode).send(error.body());
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      const message = CLIENT_ERROR_MESSAGES[error.code] ?? 'Bad request';
      return reply.code(status).send({ error: message });
    }
    request.log.error({ err: error }, 'internal error');
    return reply.code(500).send({ error: 'Internal server error' });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'Route not found' }));
}
