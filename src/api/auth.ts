/**
 * Who is calling, and may they: every route names the scope it needs in its
 * config (`config: { scope: 'read' }`); a route that names none needs `admin`,
 * so a forgotten declaration fails closed. Keys come as `Authorization: Bearer`
 * or `X-Api-Key`; the web app's cookie carries a session a key started.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allows, type ApiPrincipal, type ApiScope, type ApiKeyStore } from '../auth/api-keys.ts';
import type { WebSessionStore } from '../auth/web-sessions.ts';
import { errorPage } from '../web/error-page.ts';
import { errorBody } from './errors.ts';
import { fromOwnPages } from './same-origin.ts';

/** The web app's cookie: a session id, never a key; HTTP-only and same-site, so scripts and other sites never see it. */
export const SESSION_COOKIE = 'steward_session';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs: a scope, any one of several, or `public` for pages and webhooks with their own checks. */
    scope?: ApiScope | readonly ApiScope[] | 'public';
    /** A web page: asked for without a key, it sends people to sign in rather than answering 401. */
    page?: boolean;
    /** Message for a request that fails its schema, e.g. "Invalid event". */
    invalid?: string;
  }
  interface FastifyRequest {
    principal: ApiPrincipal | null;
  }
}

export interface AuthenticationOptions {
  /** The address people reach Steward at, when a proxy in front changes the Host header. */
  publicUrl?: () => string | undefined;
  /**
   * Counts a request that brought no usable key against its address's budget and
   * says whether that budget is spent (then it gets 429, not 401): refused requests
   * still cost a lookup, so they are limited like any other.
   */
  overLimitWithoutKey?: (request: FastifyRequest) => Promise<{ retryAfterSeconds: number } | undefined>;
}

export function registerAuthentication(
  app: FastifyInstance,
  { keys, sessions }: { keys: ApiKeyStore; sessions: WebSessionStore },
  options: AuthenticationOptions = {},
): void {
  app.decorateRequest('principal', null);

  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    // Unmatched routes fall through to the 404 handler, which needs no key.
    if (!request.routeOptions.url) return;
    const presented = presentedCredential(request);
    // A form post to the app (sign-in and sign-out included) or a cookie-carried change
    // must come from this site's own pages; another site could otherwise sign a browser
    // into its own key, or act with the browser's.
    if ((config.page || presented?.from === 'cookie') && !isSafeMethod(request.method) && !fromOwnPages(request, options.publicUrl?.())) {
      return reply.status(403).send(errorBody('Cross-site request refused: the Origin does not match this site'));
    }
    if (config.scope === 'public') return;
    const needed: readonly ApiScope[] = [config.scope ?? 'admin'].flat();
    const principal = presented ? await (presented.from === 'cookie' ? sessions : keys).authenticate(presented.token) : undefined;
    if (!principal) {
      const limited = await options.overLimitWithoutKey?.(request);
      if (limited) {
        return reply
          .status(429)
          .header('retry-after', String(limited.retryAfterSeconds))
          .send(errorBody(`Rate limit reached for requests without a valid key; try again in ${limited.retryAfterSeconds} seconds`));
      }
      if (config.page) return signInRedirect(request, reply);
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer realm="steward"')
        .send(errorBody(refusal(presented)));
    }
    request.principal = principal;
    if (!needed.some((scope) => allows(principal.scopes, scope))) {
      const named = needed.map((scope) => `"${scope}"`).join(' or ');
      if (config.page) {
        return reply
          .status(403)
          .type('text/html; charset=utf-8')
          .send(errorPage(403, `Your key (${principal.name}) lacks the ${named} scope this page needs. Ask an admin.`, principal));
      }
      return reply.status(403).send(errorBody(`This API key (${principal.name}) lacks the ${named} scope`));
    }
  });
}

type Credential = { token: string; from: 'header' | 'cookie' };

/** An API key from a header, or else the web app's session from its cookie. */
function presentedCredential(request: FastifyRequest): Credential | undefined {
  const authorization = request.headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    return match ? { token: match[1]!, from: 'header' } : undefined;
  }
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return { token: header, from: 'header' };
  const cookie = request.cookies?.[SESSION_COOKIE];
  return cookie ? { token: cookie, from: 'cookie' } : undefined;
}

/** Why a request that proved no one is refused, saying what to do about it. */
function refusal(presented: Credential | undefined): string {
  if (!presented) return 'An API key is required: send it as "Authorization: Bearer <key>"';
  return presented.from === 'cookie' ? 'Your web session has ended; sign in again' : 'Unknown or revoked API key';
}

const isSafeMethod = (method: string) => method === 'GET' || method === 'HEAD' || method === 'OPTIONS';

function signInRedirect(request: FastifyRequest, reply: FastifyReply) {
  return reply.redirect(`/app/sign-in?next=${encodeURIComponent(request.url)}`, 303);
}
