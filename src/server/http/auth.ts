// Bearer-token authentication for every /api/ request, before its body is read: 401 without a
// known token, 403 when the route (its `config.role`) needs more than the token's role.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors';
import { hasRole } from '../service/principal';
import type { TokenService } from '../service/tokens';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

export function registerAuth(app: FastifyInstance, tokens: TokenService): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/') && request.url !== '/api') return;
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      throw new ApiError(401, 'Missing bearer token: send "Authorization: Bearer <token>"');
    }
    const match = BEARER.exec(header);
    const token = match?.[1];
    if (token === undefined || token.length > 512) throw new ApiError(401, 'Malformed authorization header: expected "Bearer <token>"');
    const principal = await tokens.authenticate(token);
    if (!principal) throw new ApiError(401, 'Unknown token');
    request.principal = principal;
    const needed = request.routeOptions.config.role;
    if (needed !== undefined && !hasRole(principal, needed)) {
      throw new ApiError(403, `This action needs the ${needed} role; the token has ${principal.role}`);
    }
  });
}
