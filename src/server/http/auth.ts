// Bearer-token authentication, before the body is read: 401 without a known token, 403 when the route
// (its `config.role`) needs more than the token's role. The decision follows the route that matched,
// never the raw URL (`/%61pi/releases` routes to /api/releases too), and every route needs a token
// unless it is declared public.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors';
import { hasRole } from '../service/principal';
import type { TokenService } from '../service/tokens';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

export function registerAuth(app: FastifyInstance, tokens: TokenService): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (config.public === true) return;
    // No route matched: the answer is a 404 either way; ask for a token only where the API lives.
    if (request.routeOptions.url === undefined && !/^\/api(?:[/?]|$)/i.test(request.url)) return;
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
    const needed = config.role;
    if (needed !== undefined && !hasRole(principal, needed)) {
      throw new ApiError(403, `This action needs the ${needed} role; the token has ${principal.role}`);
    }
  });
}
