/**
 * Sign-in through the organisation's identity provider with OpenID Connect: the
 * authorization code flow with PKCE, state and nonce, run by `openid-client`, which
 * also validates the ID token (issuer, audience, signature, expiry, nonce).
 *
 * Between sending the browser to the provider and its return, the flow's secrets (state,
 * nonce, PKCE verifier) and the page asked for ride in a cookie sealed with Steward's
 * signing secret: any API process can finish a flow another began, and a callback whose
 * state is not the one this browser was given is refused.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';
import { z } from 'zod';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** Without one, Steward is a public client and PKCE alone protects the code. */
  clientSecret?: string | undefined;
  /** `<public URL>/app/sign-in/oidc/callback`, registered with the provider. */
  redirectUri: string;
  /** On the sign-in button: "Sign in with <providerName>". */
  providerName: string;
  /** Seals the pending flow's cookie (Steward's signing secret). */
  sealingSecret: string;
  /** How long a started sign-in may take at the provider. */
  pendingTtlMs?: number;
  /**
   * STEWARD_OIDC_TRUST_EMAIL: an email the provider says nothing about (no
   * `email_verified`) counts as verified. An explicit `false` never does.
   */
  trustEmail?: boolean | undefined;
}

/** Who the provider says signed in, from the validated ID token (or, for claims it left out, its userinfo). */
export interface ProviderIdentity {
  subject: string;
  email: string | undefined;
  /** The provider vouches for the email (`email_verified: true`), or Steward is told to trust it. */
  emailVerified: boolean;
  /** Verified only because STEWARD_OIDC_TRUST_EMAIL trusts a provider that sent no `email_verified`. */
  emailTrusted: boolean;
  name: string | undefined;
}

export type OidcFailure = 'not-started' | 'provider-refused' | 'invalid-response' | 'unreachable';

/** A flow that cannot finish: why, in words a person reads, and a code for the audit trail. */
export class OidcSignInError extends Error {
  constructor(
    readonly reason: OidcFailure,
    message: string,
  ) {
    super(message);
    this.name = 'OidcSignInError';
  }
}

const Pending = z.strictObject({
  state: z.string().min(1),
  nonce: z.string().min(1),
  verifier: z.string().min(43),
  next: z.string().max(2_000).optional(),
  startedAt: z.number().int(),
});
type Pending = z.infer<typeof Pending>;

export type OidcSignIn = ReturnType<typeof createOidcSignIn>;

const DEFAULT_PENDING_TTL_MS = 10 * 60_000;

export function createOidcSignIn(settings: OidcSettings) {
  const pendingTtlMs = settings.pendingTtlMs ?? DEFAULT_PENDING_TTL_MS;
  const issuer = new URL(settings.issuer);
  let discovered: Promise<oidc.Configuration> | undefined;

  /** The provider's metadata, fetched once; a failed fetch is tried again on the next sign-in. */
  function configuration(): Promise<oidc.Configuration> {
    if (discovered) return discovered;
    const fetching = oidc
      .discovery(
        issuer,
        settings.clientId,
        undefined,
        settings.clientSecret ? oidc.ClientSecretBasic(settings.clientSecret) : oidc.None(),
        // Plain http is accepted only for a loopback issuer (see STEWARD_OIDC_ISSUER).
        issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((error: unknown) => {
        discovered = undefined;
        throw new OidcSignInError('unreachable', `${settings.providerName} could not be reached (${error instanceof Error ? error.message : String(error)})`);
      });
    discovered = fetching;
    return fetching;
  }

  const mac = (text: string) => createHmac('sha256', settings.sealingSecret).update(`oidc-pending:${text}`).digest();

  function seal(pending: Pending): string {
    const body = Buffer.from(JSON.stringify(pending)).toString('base64url');
    return `${body}.${mac(body).toString('base64url')}`;
  }

  function unseal(text: string | undefined): Pending {
    const notStarted = new OidcSignInError('not-started', 'This sign-in was not started from this browser, or took too long; start again');
    const [body, signature] = (text ?? '').split('.');
    if (!body || !signature) throw notStarted;
    const given = Buffer.from(signature, 'base64url');
    const expected = mac(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw notStarted;
    let parsed: ReturnType<typeof Pending.safeParse>;
    try {
      parsed = Pending.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    } catch {
      throw notStarted;
    }
    if (!parsed.success || Date.now() - parsed.data.startedAt > pendingTtlMs) throw notStarted;
    return parsed.data;
  }

  /** Claims from the ID token, completed from userinfo when the provider keeps email there. */
  async function identityOf(config: oidc.Configuration, tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>): Promise<ProviderIdentity> {
    const claims = tokens.claims();
    if (!claims) throw new OidcSignInError('invalid-response', `${settings.providerName} sent no ID token`);
    let source: Record<string, unknown> = claims;
    if (typeof claims.email !== 'string') {
      source = { ...(await oidc.fetchUserInfo(config, tokens.access_token, claims.sub)), ...claims };
    }
    const emailTrusted = source.email_verified === undefined && settings.trustEmail === true;
    return {
      subject: claims.sub,
      email: typeof source.email === 'string' ? source.email : undefined,
      emailVerified: source.email_verified === true || emailTrusted,
      emailTrusted,
      name: typeof source.name === 'string' ? source.name : undefined,
    };
  }

  return {
    providerName: settings.providerName,
    pendingTtlMs,

    /** Starts a sign-in: where to send the browser, and the sealed cookie that must come back with it. */
    async begin(next: string | undefined): Promise<{ url: string; cookie: string }> {
      const config = await configuration();
      const verifier = oidc.randomPKCECodeVerifier();
      const pending: Pending = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier, ...(next ? { next } : {}), startedAt: Date.now() };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUri,
        scope: 'openid email profile',
        response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      return { url: url.href, cookie: seal(pending) };
    },

    /**
     * Finishes a sign-in from the provider's redirect back: the state must be the one
     * sealed in this browser's cookie; the code is exchanged with the PKCE verifier and
     * the ID token validated against the nonce. Returns who signed in and the page asked for.
     */
    async finish(callbackQuery: string, cookie: string | undefined): Promise<{ identity: ProviderIdentity; next: string | undefined }> {
      const pending = unseal(cookie);
      // The URL the provider redirected to, as registered: the code is exchanged for that redirect URI.
      const callbackUrl = new URL(settings.redirectUri);
      callbackUrl.search = callbackQuery;
      const refusedThere = callbackUrl.searchParams.get('error');
      if (refusedThere) {
        const description = callbackUrl.searchParams.get('error_description');
        throw new OidcSignInError('provider-refused', `${settings.providerName} did not sign you in: ${(description ?? refusedThere).slice(0, 200)}`);
      }
      const config = await configuration();
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: pending.verifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        return { identity: await identityOf(config, tokens), next: pending.next };
      } catch (error) {
        if (error instanceof OidcSignInError) throw error;
        throw new OidcSignInError('invalid-response', `The answer from ${settings.providerName} could not be accepted (${error instanceof Error ? error.message : String(error)})`);
      }
    },
  };
}
