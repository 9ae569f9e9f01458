// Every error leaves as JSON `{"error": "…"}`: ApiErrors as they are, fastify's own client errors
// (body too large, wrong media type, bad URL) with a sentence of ours, anything else as a 500 that
// says nothing but is logged in full. Unknown routes are a JSON 404. What fails before a route is
// found (a URL that does not decode, an over-long path segment) and what fails before fastify sees a
// request at all (a timeout, oversized headers, broken HTTP) answers the same way, and never echoes
// the request back.
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

/** The router's own failures (fastify's `frameworkErrors` option): our sentence, never the URL. */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.code(414).send({ error: 'A path segment of the URL is too long' });
    return;
  }
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  void reply.code(status).send({ error: CLIENT_ERROR_MESSAGES[error.code] ?? 'The request cannot be routed' });
}

/** What node's HTTP parser refuses, by its error code: a status and our sentence. */
function clientErrorAnswer(code: string | undefined): { status: number; reason: string; error: string } {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout', error: 'The request was not received in time' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, reason: 'Request Header Fields Too Large', error: 'The request line and headers are too large' };
    default:
      return { status: 400, reason: 'Bad Request', error: 'The request is not valid HTTP' };
  }
}

/**
 * node's `clientError` (fastify's `clientErrorHandler` option): the connection has no request fastify
 * could answer, so the answer is written to the socket, then the connection closes.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  // Reset by the client, or already answered and closed: nobody is left to tell.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // A response already under way (its headers out) cannot be followed by another on the same socket.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    const answer = clientErrorAnswer(error.code);
    const body = JSON.stringify({ error: answer.error });
    socket.write(`HTTP/1.1 ${answer.status} ${answer.reason}\r\ncontent-type: application/json; charset=utf-8\r\n`
      + `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
