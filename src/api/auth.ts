/**
 * Who is calling, and may they: every route names the permission it needs in its
 * config (`config: { permission: 'records.read' }`), and the permission table
 * (src/auth/permissions.ts) says which roles hold it. A route that names none is
 * for admins only, so a forgotten declaration fails closed. Keys come as
 * `Authorization: Bearer` or `X-Api-Key`; the web app's cookie carries a session a
 * person (or a key) started.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyStore } from '../auth/api-keys.ts';
import { canViewConstituent } from '../auth/constituent-access.ts';
import { reach, rolesFor, type Permission, type Principal } from '../auth/permissions.ts';
import type { WebSessionStore } from '../auth/web-sessions.ts';
import type { Database } from '../db/client.ts';
import { errorPage } from '../web/error-page.ts';
import { errorBody } from './errors.ts';
import { fromOwnPages } from './same-origin.ts';

/** The web app's cookie: a session id, never a key; HTTP-only and same-site, so scripts and other sites never see it. */
export const SESSION_COOKIE = 'steward_session';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs: a permission of the table, or `public` for pages and webhooks with their own checks. */
    permission?: Permission | 'public';
    /** A web page: asked for without a key, it sends people to sign in rather than answering 401. */
    page?: boolean;
    /** Message for a request that fails its schema, e.g. "Invalid event". */
    invalid?: string;
  }
  interface FastifyRequest {
    principal: Principal | null;
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

/** Routes that name no permission: admins only. */
const UNDECLARED: Permission = 'settings.manage';

export function registerAuthentication(
  app: FastifyInstance,
  { db, keys, sessions }: { db: Database; keys: ApiKeyStore; sessions: WebSessionStore },
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
    // into its own account, or act with the browser's.
    if ((config.page || presented?.from === 'cookie') && !isSafeMethod(request.method) && !fromOwnPages(request, options.publicUrl?.())) {
      return reply.status(403).send(errorBody('Cross-site request refused: the Origin does not match this site'));
    }
    if (config.permission === 'public') {
      // Public pages (sign-in, invitations) still show who is signed in, when someone is.
      if (config.page && presented?.from === 'cookie') request.principal = (await sessions.authenticate(presented.token)) ?? null;
      return;
    }
    const needed = config.permission ?? UNDECLARED;
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
    const how = reach(principal, needed);
    if (how === 'full') return;
    if (how === 'their-tasks') {
      const constituentId = (request.params as { id?: string }).id;
      if (constituentId && (await canViewConstituent(db, principal, constituentId))) return;
      return forbidden(request, reply, principal, `${who(principal)} may not open this constituent: it needs the ${rolesFor(needed)} role (staff: only the constituents of their tasks)`);
    }
    return forbidden(request, reply, principal, `${who(principal)} may not do this: it needs the ${rolesFor(needed)} role`);
  });
}

/** "Your role (staff)" for people, "This API key (Donation form)" for keys. */
function who(principal: Principal): string {
  if (principal.kind === 'person') return `Your role (${principal.grants.join(', ')})`;
  return `This API key (${principal.name})`;
}

function forbidden(request: FastifyRequest, reply: FastifyReply, principal: Principal, message: string) {
  if (request.routeOptions.config.page) {
    return reply.status(403).type('text/html; charset=utf-8').send(errorPage(403, `${message}. Ask an admin.`, principal));
  }
  return reply.status(403).send(errorBody(message));
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
