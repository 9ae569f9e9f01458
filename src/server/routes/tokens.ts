// API tokens: endpoint 17 (admin only), and who the caller is (any token).
import { z } from 'zod';
import { Caller, ErrorBody, TokenCreateBody, TokenCreated, TokenInfo } from '../../api/schemas';
import type { RouteRegistry } from '../http/route';
import type { ReleaseService } from '../service/release-service';
import { TokenParams } from './params';

export function registerTokenRoutes(routes: RouteRegistry, service: ReleaseService): void {
  routes.add({
    method: 'POST', url: '/api/tokens', role: 'admin',
    summary: 'Create a token; the response is the only time it is shown',
    body: TokenCreateBody, responses: { 201: TokenCreated, 409: ErrorBody },
    handler: ({ body }) => service.tokens.create(body.name, body.role),
  });

  routes.add({
    method: 'GET', url: '/api/tokens', role: 'admin',
    summary: 'List tokens (names and roles, never the secrets)', responses: { 200: z.array(TokenInfo) },
    handler: () => service.tokens.list(),
  });

  // Beyond API.md: clients check a token before keeping it, and learn what it may do.
  routes.add({
    method: 'GET', url: '/api/whoami', role: 'viewer',
    summary: 'The calling token\'s name and role', responses: { 200: Caller },
    handler: ({ principal }) => Promise.resolve({ name: principal.name, role: principal.role }),
  });

  routes.add({
    method: 'DELETE', url: '/api/tokens/:name', role: 'admin',
    summary: 'Revoke a token at once', params: TokenParams, responses: { 204: null, 404: ErrorBody },
    handler: async ({ params }) => {
      await service.tokens.delete(params.name);
      return undefined;
    },
  });
}
