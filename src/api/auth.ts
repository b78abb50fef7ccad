/**
 * Who is calling, and may they: every route names the scope it needs in its
 * config (`config: { scope: 'read' }`); a route that names none needs `admin`,
 * so a forgotten declaration fails closed. Keys come as `Authorization: Bearer`,
 * `X-Api-Key`, or the web app's cookie.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allows, type ApiPrincipal, type ApiScope, type ApiKeyStore } from '../auth/api-keys.ts';
import { html } from '../web/html.ts';
import { page } from '../web/layout.ts';
import { errorBody } from './errors.ts';

/** The web app's cookie: the key itself, HTTP-only and same-site, so scripts and other sites never see it. */
export const SESSION_COOKIE = 'steward_key';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs: a scope, or `public` for pages and webhooks with their own checks. */
    scope?: ApiScope | 'public';
    /** A web page: asked for without a key, it sends people to sign in rather than answering 401. */
    page?: boolean;
    /** Message for a request that fails its schema, e.g. "Invalid event". */
    invalid?: string;
  }
  interface FastifyRequest {
    principal: ApiPrincipal | null;
  }
}

export function registerAuthentication(app: FastifyInstance, keys: ApiKeyStore): void {
  app.decorateRequest('principal', null);

  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    // Unmatched routes fall through to the 404 handler, which needs no key.
    if (!request.routeOptions.url || config.scope === 'public') return;
    const needed: ApiScope = config.scope ?? 'admin';
    const presented = presentedKey(request);
    if (presented?.from === 'cookie' && !isSafeMethod(request.method) && !sameOrigin(request)) {
      return reply.status(403).send(errorBody('Cross-site request refused: the Origin does not match this site'));
    }
    const principal = presented ? await keys.authenticate(presented.key) : undefined;
    if (!principal) {
      if (config.page) return signInRedirect(request, reply);
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer realm="steward"')
        .send(errorBody(presented ? 'Unknown or revoked API key' : 'An API key is required: send it as "Authorization: Bearer <key>"'));
    }
    request.principal = principal;
    if (!allows(principal.scopes, needed)) {
      if (config.page) {
        return reply
          .status(403)
          .type('text/html; charset=utf-8')
          .send(page({ title: 'Not allowed', principal, body: html`<h1>Not allowed</h1><p>Your key (${principal.name}) lacks the “${needed}” scope this page needs. Ask an admin.</p>` }));
      }
      return reply.status(403).send(errorBody(`This API key (${principal.name}) lacks the "${needed}" scope`));
    }
  });
}

function presentedKey(request: FastifyRequest): { key: string; from: 'header' | 'cookie' } | undefined {
  const authorization = request.headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    return match ? { key: match[1]!, from: 'header' } : undefined;
  }
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return { key: header, from: 'header' };
  const cookie = request.cookies?.[SESSION_COOKIE];
  return cookie ? { key: cookie, from: 'cookie' } : undefined;
}

const isSafeMethod = (method: string) => method === 'GET' || method === 'HEAD' || method === 'OPTIONS';

/** A state-changing request carried by the cookie must come from this site's own pages. */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin ?? request.headers.referer;
  if (!origin) return false;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

function signInRedirect(request: FastifyRequest, reply: FastifyReply) {
  return reply.redirect(`/app/sign-in?next=${encodeURIComponent(request.url)}`, 303);
}
