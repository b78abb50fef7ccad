/**
 * Signing in through the organisation's identity provider: the button sends the browser
 * there, and the provider's redirect back ends in the same server-side session a
 * password sign-in starts, or in a page saying why not.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAudit } from '../auth/audit.ts';
import { signInWithProvider, type ProviderRefusal } from '../auth/oidc-accounts.ts';
import { OidcSignInError, type OidcSignIn } from '../auth/oidc-sign-in.ts';
import type { Principal } from '../auth/permissions.ts';
import type { SessionHolder } from '../auth/web-sessions.ts';
import type { Database } from '../db/client.ts';
import type { PageFrame } from './layout.ts';
import { providerRefusedPage } from './pages/accounts.ts';

export const OIDC_START_PATH = '/app/sign-in/oidc';
export const OIDC_CALLBACK_PATH = '/app/sign-in/oidc/callback';
const PENDING_COOKIE = 'steward_oidc';

export interface OidcPageDependencies {
  db: Database;
  oidc: OidcSignIn;
  secureCookies: boolean;
  render(request: FastifyRequest, reply: FastifyReply, frame: Omit<PageFrame, 'principal' | 'flash'>, status?: number): FastifyReply;
  startSession(reply: FastifyReply, holder: SessionHolder, principal: Principal, next: string | undefined, options?: { afterCrossSiteRedirect?: boolean }): Promise<FastifyReply>;
}

const REFUSALS: Record<ProviderRefusal, (email: string | undefined, provider: string) => string> = {
  unknown: (email) => `There is no Steward account for ${email}. Steward has no sign-up: ask an admin to invite you, then sign in again.`,
  removed: () => 'This account has been removed from Steward. Ask an admin if you need access again.',
  'unverified-email': (_email, provider) => `${provider} did not confirm a verified email address for you, so Steward cannot tell which account is yours.`,
  'linked-elsewhere': (email, provider) => `The Steward account for ${email} is already linked to another ${provider} identity. Ask an admin.`,
};

export function registerOidcPages(server: FastifyInstance, deps: OidcPageDependencies): void {
  const { db, oidc, render, startSession } = deps;
  const app = server.withTypeProvider<ZodTypeProvider>();
  const publicPage = { config: { permission: 'public' as const, page: true } };
  // Lax, not strict: the cookie must come back on the provider's cross-site redirect to the callback.
  const pendingCookie = { path: OIDC_START_PATH, httpOnly: true, sameSite: 'lax' as const, secure: deps.secureCookies };
  const refused = (request: FastifyRequest, reply: FastifyReply, message: string, status: number) =>
    render(request, reply.clearCookie(PENDING_COOKIE, { path: OIDC_START_PATH }), { title: 'Sign-in refused', body: providerRefusedPage(message) }, status);

  app.get(OIDC_START_PATH, { ...publicPage, schema: { querystring: z.looseObject({ next: z.string().max(2_000).optional() }) } }, async (request, reply) => {
    try {
      const started = await oidc.begin(request.query.next);
      return reply.setCookie(PENDING_COOKIE, started.cookie, { ...pendingCookie, maxAge: Math.floor(oidc.pendingTtlMs / 1_000) }).redirect(started.url, 303);
    } catch (error) {
      if (error instanceof OidcSignInError) return refused(request, reply, `${error.message}.`, 503);
      throw error;
    }
  });

  app.get(OIDC_CALLBACK_PATH, { ...publicPage, schema: { querystring: z.looseObject({}) } }, async (request, reply) => {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    let finished: Awaited<ReturnType<OidcSignIn['finish']>>;
    try {
      finished = await oidc.finish(query, request.cookies[PENDING_COOKIE]);
    } catch (error) {
      if (!(error instanceof OidcSignInError)) throw error;
      await recordAudit(db, { kind: 'anonymous', id: null, name: oidc.providerName }, { action: 'sign-in.refused', objectType: 'sign-in', objectId: 'oidc', detail: { method: 'oidc', reason: error.reason } });
      return refused(request, reply, `${error.message}.`, error.reason === 'unreachable' ? 503 : 400);
    }
    const outcome = await signInWithProvider(db, finished.identity);
    if ('refused' in outcome) return refused(request, reply, REFUSALS[outcome.refused](outcome.email, oidc.providerName), 403);
    reply.clearCookie(PENDING_COOKIE, { path: OIDC_START_PATH });
    return startSession(reply, { personId: outcome.principal.id }, outcome.principal, finished.next, { afterCrossSiteRedirect: true });
  });
}
