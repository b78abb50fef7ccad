/**
 * Sign-in through an identity provider, against a real OpenID Connect provider
 * (`oidc-provider`) on a loopback port: the browser's part is played over HTTP (its
 * login and consent forms posted as a person would), Steward's part on a real
 * database. An invited person's first sign-in links them and starts a session; an
 * unknown email is refused; a forged or replayed state is refused; each is audited. An
 * admin sees which subject a person is linked to and unlinks it, so the next sign-in
 * matches by email again; a provider that never sends `email_verified` is trusted only
 * with STEWARD_OIDC_TRUST_EMAIL.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOidcSignIn } from '../../src/auth/oidc-sign-in.ts';
import { makeKey, bearer, signedInCookie } from '../support/api.ts';
import { startApiWithoutTemporal, type ApiWithoutTemporal } from '../support/api-without-temporal.ts';
import { signInAtProvider, startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.ts';

const HOST = 'steward.example';
const PUBLIC_URL = `http://${HOST}`;
const REDIRECT_URI = `${PUBLIC_URL}/app/sign-in/oidc/callback`;
const CLIENT = { clientId: 'steward-test', clientSecret: 'a-client-secret-for-the-test-provider', redirectUri: REDIRECT_URI };

let idp: TestOidcProvider;
let stack: ApiWithoutTemporal;
let api: FastifyInstance;
let adminKey: string;

beforeAll(async () => {
  idp = await startOidcProvider({
    client: CLIENT,
    accounts: {
      'ruth-at-idp': { email: 'Ruth@Hope.example', emailVerified: true, name: 'Ruth Okafor' },
      'stranger-at-idp': { email: 'stranger@elsewhere.example', emailVerified: true, name: 'A Stranger' },
      'unverified-at-idp': { email: 'sam@hope.example', emailVerified: false, name: 'Sam' },
      // Says nothing about whether the address is verified, as some providers never do.
      'silent-at-idp': { email: 'lee@hope.example', name: 'Lee Park' },
      'june-at-idp': { email: 'june@hope.example', emailVerified: true, name: 'June Ito' },
      'june-again-at-idp': { email: 'june@hope.example', emailVerified: true, name: 'June Ito' },
    },
  });
  const oidc = createOidcSignIn({ issuer: idp.issuer, ...CLIENT, providerName: 'Hope Login', sealingSecret: 'x'.repeat(32) });
  stack = await startApiWithoutTemporal({ oidc, publicUrl: PUBLIC_URL });
  api = stack.api;
  adminKey = await makeKey(stack.services.keys, ['admin'], 'Setup key');
  // Invited by an admin: an account with no password yet.
  await stack.database.prisma.person.createMany({
    data: [
      { email: 'ruth@hope.example', name: 'Ruth Okafor', role: 'marketer' },
      { email: 'sam@hope.example', name: 'Sam Adeyemi', role: 'viewer' },
      { email: 'lee@hope.example', name: 'Lee Park', role: 'staff' },
      { email: 'june@hope.example', name: 'June Ito', role: 'marketer' },
    ],
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await idp?.stop();
});

const getFrom = (target: FastifyInstance, url: string, cookie?: string) => target.inject({ method: 'GET', url, headers: { host: HOST, ...(cookie ? { cookie } : {}) } });
const get = (url: string, cookie?: string) => getFrom(api, url, cookie);
const cookieFrom = (response: { cookies: { name: string; value: string }[] }, name: string) => {
  const found = response.cookies.find((item) => item.name === name && item.value !== '');
  return found ? `${name}=${found.value}` : undefined;
};

/** Presses "Sign in with Hope Login": where the provider is, and this browser's pending-flow cookie. */
async function startSignIn(next?: string, target = api) {
  const response = await getFrom(target, `/app/sign-in/oidc${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  expect(response.statusCode, response.body).toBe(303);
  const pending = cookieFrom(response, 'steward_oidc');
  expect(pending).toBeDefined();
  const location = new URL(response.headers.location as string);
  expect(location.origin).toBe(idp.issuer);
  expect(location.searchParams.get('code_challenge_method')).toBe('S256');
  expect(location.searchParams.get('state')).toBeTruthy();
  expect(location.searchParams.get('nonce')).toBeTruthy();
  return { authorizationUrl: location.href, pending: pending! };
}

const callbackPath = (url: URL) => `${url.pathname}${url.search}`;

/** A whole sign-in at the provider as `login`: Steward's answer to the provider's redirect back. */
async function signInAs(login: string, target = api) {
  const { authorizationUrl, pending } = await startSignIn(undefined, target);
  return getFrom(target, callbackPath(await signInAtProvider(authorizationUrl, login, REDIRECT_URI)), pending);
}

async function auditOf(action: string, target = api, key = adminKey) {
  const response = await target.inject({ method: 'GET', url: `/audit?action=${action}`, headers: bearer(key) });
  expect(response.statusCode, response.body).toBe(200);
  return (response.json() as { entries: { action: string; actorId: string | null; actorName: string; objectId: string; detail: Record<string, unknown> | null }[] }).entries;
}

describe('sign-in through the identity provider', () => {
  it('offers the provider on the sign-in page', async () => {
    const page = await get('/app/sign-in');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Sign in with Hope Login');
    expect(page.body).toContain('href="/app/sign-in/oidc"');
  });

  it('links an invited person on their first sign-in, starts their session and lands them in the app', async () => {
    const { authorizationUrl, pending } = await startSignIn('/app/constituents');
    const callback = await signInAtProvider(authorizationUrl, 'ruth-at-idp', REDIRECT_URI);
    const landed = await get(callbackPath(callback), pending);
    expect(landed.statusCode, landed.body).toBe(200);
    const session = cookieFrom(landed, 'steward_session');
    expect(session).toBeDefined();
    expect(landed.body).toContain('url=/app/constituents');

    const app = await get('/app/constituents', session);
    expect(app.statusCode, app.body).toBe(200);
    expect(app.body).toContain('Ruth Okafor');

    const ruth = await stack.database.prisma.person.findUniqueOrThrow({ where: { email: 'ruth@hope.example' } });
    expect(ruth.oidcSubject).toBe('ruth-at-idp');
    expect(ruth.passwordHash).toBeNull();
    const row = await stack.database.prisma.webSession.findFirstOrThrow({ where: { personId: ruth.id } });
    expect(row.revokedAt).toBeNull();
    expect((await auditOf('person.sso-linked')).map((entry) => entry.objectId)).toEqual([ruth.id]);
    const signIns = (await auditOf('sign-in.succeeded')).filter((entry) => entry.actorId === ruth.id);
    expect(signIns).toHaveLength(1);
    expect(signIns[0]!.detail).toMatchObject({ method: 'oidc', linked: true });
  });

  it('signs a linked person in again by their subject', async () => {
    const { authorizationUrl, pending } = await startSignIn();
    const callback = await signInAtProvider(authorizationUrl, 'ruth-at-idp', REDIRECT_URI);
    const landed = await get(callbackPath(callback), pending);
    expect(landed.statusCode, landed.body).toBe(200);
    // A marketer with no page asked for lands on the journeys.
    expect(landed.body).toContain('url=/app/journeys');
    const journeys = await get('/app/journeys', cookieFrom(landed, 'steward_session'));
    expect(journeys.statusCode).toBe(200);
    expect(await auditOf('person.sso-linked')).toHaveLength(1);
    expect((await auditOf('sign-in.succeeded')).filter((entry) => entry.actorName === 'Ruth Okafor')).toHaveLength(2);
  });

  it('refuses an email with no Steward account, with a page saying so and no session', async () => {
    const { authorizationUrl, pending } = await startSignIn();
    const callback = await signInAtProvider(authorizationUrl, 'stranger-at-idp', REDIRECT_URI);
    const refused = await get(callbackPath(callback), pending);
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('There is no Steward account for stranger@elsewhere.example');
    expect(refused.body).toContain('ask an admin to invite you');
    expect(cookieFrom(refused, 'steward_session')).toBeUndefined();
    expect(await stack.database.prisma.person.count({ where: { email: 'stranger@elsewhere.example' } })).toBe(0);
    const audit = await auditOf('sign-in.refused');
    expect(audit.find((entry) => entry.objectId === 'stranger@elsewhere.example')?.detail).toMatchObject({ method: 'oidc', reason: 'unknown' });
  });

  it('refuses an email the provider has not verified, even when it matches an account', async () => {
    const { authorizationUrl, pending } = await startSignIn();
    const callback = await signInAtProvider(authorizationUrl, 'unverified-at-idp', REDIRECT_URI);
    const refused = await get(callbackPath(callback), pending);
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('did not confirm a verified email address');
    expect(cookieFrom(refused, 'steward_session')).toBeUndefined();
    expect((await stack.database.prisma.person.findUniqueOrThrow({ where: { email: 'sam@hope.example' } })).oidcSubject).toBeNull();
  });

  it('refuses a forged state', async () => {
    const { authorizationUrl, pending } = await startSignIn();
    const callback = await signInAtProvider(authorizationUrl, 'ruth-at-idp', REDIRECT_URI);
    callback.searchParams.set('state', 'forged-by-someone-else');
    const refused = await get(callbackPath(callback), pending);
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Sign-in refused');
    expect(cookieFrom(refused, 'steward_session')).toBeUndefined();
    expect((await auditOf('sign-in.refused')).some((entry) => entry.objectId === 'oidc' && entry.detail?.reason === 'invalid-response')).toBe(true);
  });

  it("refuses another browser's callback: its state is not the one this browser was given", async () => {
    const mine = await startSignIn();
    const theirs = await startSignIn();
    const theirCallback = await signInAtProvider(theirs.authorizationUrl, 'ruth-at-idp', REDIRECT_URI);
    const refused = await get(callbackPath(theirCallback), mine.pending);
    expect(refused.statusCode).toBe(400);
    expect(cookieFrom(refused, 'steward_session')).toBeUndefined();
  });

  it('refuses a replayed callback, with or without the pending cookie', async () => {
    const { authorizationUrl, pending } = await startSignIn();
    const callback = await signInAtProvider(authorizationUrl, 'ruth-at-idp', REDIRECT_URI);
    const first = await get(callbackPath(callback), pending);
    expect(first.statusCode, first.body).toBe(200);
    // The browser's pending cookie is cleared once used.
    expect(first.cookies.find((item) => item.name === 'steward_oidc')?.value).toBe('');

    const withoutCookie = await get(callbackPath(callback));
    expect(withoutCookie.statusCode).toBe(400);
    expect(withoutCookie.body).toContain('was not started from this browser');
    // Replayed with the old cookie kept: the state matches, but the code has been used up.
    const withOldCookie = await get(callbackPath(callback), pending);
    expect(withOldCookie.statusCode).toBe(400);
    expect(cookieFrom(withOldCookie, 'steward_session')).toBeUndefined();
    expect((await auditOf('sign-in.refused')).filter((entry) => entry.detail?.reason === 'not-started').length).toBeGreaterThanOrEqual(1);
  });

  it('refuses a person removed after linking', async () => {
    const ruth = await stack.database.prisma.person.findUniqueOrThrow({ where: { email: 'ruth@hope.example' } });
    const removed = await api.inject({ method: 'POST', url: `/people/${ruth.id}/remove`, headers: bearer(adminKey) });
    expect(removed.statusCode, removed.body).toBe(200);
    const { authorizationUrl, pending } = await startSignIn();
    const callback = await signInAtProvider(authorizationUrl, 'ruth-at-idp', REDIRECT_URI);
    const refused = await get(callbackPath(callback), pending);
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('has been removed');
    expect(cookieFrom(refused, 'steward_session')).toBeUndefined();
  });
});

describe('an admin unlinking a person from the identity provider', () => {
  const june = () => stack.database.prisma.person.findUniqueOrThrow({ where: { email: 'june@hope.example' } });

  it('shows which subject a person is linked to, and after unlinking the next sign-in matches by verified email again', async () => {
    const first = await signInAs('june-at-idp');
    expect(first.statusCode, first.body).toBe(200);
    const juneSession = cookieFrom(first, 'steward_session')!;
    const { id } = await june();

    const listed = (await api.inject({ method: 'GET', url: '/people', headers: bearer(adminKey) })).json() as { people: { id: string; oidcSubject: string | null }[] };
    expect(listed.people.find((person) => person.id === id)?.oidcSubject).toBe('june-at-idp');
    const adminCookie = await signedInCookie(api, adminKey, HOST);
    const page = await get('/app/people', adminCookie);
    expect(page.body).toContain('Linked to Hope Login');
    expect(page.body).toContain('<code data-testid="oidc-subject">june-at-idp</code>');
    expect(page.body).toContain(`action="/app/people/${id}/unlink-provider"`);

    // The page's Unlink button.
    const unlinked = await api.inject({ method: 'POST', url: `/app/people/${id}/unlink-provider`, headers: { host: HOST, origin: PUBLIC_URL, cookie: adminCookie } });
    expect(unlinked.statusCode, unlinked.body).toBe(303);
    expect((await june()).oidcSubject).toBeNull();
    expect(decodeURIComponent(unlinked.cookies.find((item) => item.name === 'steward_flash')!.value)).toContain(
      'Unlinked June Ito from Hope Login; their sessions have ended, and their next sign-in there must match june@hope.example, verified.',
    );
    // The session the unlinked identity started has ended.
    expect((await get('/app/journeys', juneSession)).statusCode).toBe(303);
    expect(await auditOf('person.sso-unlinked')).toMatchObject([{ objectId: id, actorName: 'Setup key', detail: { subject: 'june-at-idp' } }]);

    // Another identity at the provider with June's verified email is linked in its place.
    const again = await signInAs('june-again-at-idp');
    expect(again.statusCode, again.body).toBe(200);
    expect((await june()).oidcSubject).toBe('june-again-at-idp');
    const links = (await auditOf('person.sso-linked')).filter((entry) => entry.objectId === id);
    expect(links.map((entry) => entry.detail?.subject)).toEqual(['june-again-at-idp', 'june-at-idp']);
    // And the old one no longer leads into June's account.
    const old = await signInAs('june-at-idp');
    expect(old.statusCode).toBe(403);
    expect(old.body).toContain('already linked to another Hope Login identity');
  });

  it('says why it cannot unlink someone not linked, or no one', async () => {
    const sam = await stack.database.prisma.person.findUniqueOrThrow({ where: { email: 'sam@hope.example' } });
    const notLinked = await api.inject({ method: 'POST', url: `/people/${sam.id}/unlink-provider`, headers: bearer(adminKey) });
    expect(notLinked.statusCode).toBe(409);
    expect(notLinked.json().error.message).toBe('Sam Adeyemi is not linked to the identity provider');
    const nobody = await api.inject({ method: 'POST', url: '/people/no-such-person/unlink-provider', headers: bearer(adminKey) });
    expect(nobody.statusCode).toBe(404);
    expect(await auditOf('person.sso-unlinked')).toHaveLength(1);
  });
});

describe('a provider that never sends email_verified', () => {
  let trusting: ApiWithoutTemporal;
  let trustingKey: string;

  beforeAll(async () => {
    const oidc = createOidcSignIn({ issuer: idp.issuer, ...CLIENT, providerName: 'Hope Login', sealingSecret: 'x'.repeat(32), trustEmail: true });
    trusting = await startApiWithoutTemporal({ oidc, publicUrl: PUBLIC_URL });
    trustingKey = await makeKey(trusting.services.keys, ['admin'], 'Setup key');
    await trusting.database.prisma.person.createMany({
      data: [
        { email: 'lee@hope.example', name: 'Lee Park', role: 'staff' },
        { email: 'sam@hope.example', name: 'Sam Adeyemi', role: 'viewer' },
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await trusting?.stop();
  });

  it('is refused unless Steward is told to trust its emails', async () => {
    const refused = await signInAs('silent-at-idp');
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('did not confirm a verified email address');
    expect((await stack.database.prisma.person.findUniqueOrThrow({ where: { email: 'lee@hope.example' } })).oidcSubject).toBeNull();
    expect((await auditOf('sign-in.refused')).find((entry) => entry.objectId === 'lee@hope.example')?.detail).toMatchObject({ reason: 'unverified-email' });
  });

  it('links an invited person by email with STEWARD_OIDC_TRUST_EMAIL, and the audit trail says the email was trusted', async () => {
    const landed = await signInAs('silent-at-idp', trusting.api);
    expect(landed.statusCode, landed.body).toBe(200);
    expect(cookieFrom(landed, 'steward_session')).toBeDefined();
    const lee = await trusting.database.prisma.person.findUniqueOrThrow({ where: { email: 'lee@hope.example' } });
    expect(lee.oidcSubject).toBe('silent-at-idp');
    expect(await auditOf('person.sso-linked', trusting.api, trustingKey)).toMatchObject([{ objectId: lee.id, detail: { method: 'oidc', subject: 'silent-at-idp', emailTrusted: true } }]);
  });

  it('still refuses an email the provider says is not verified', async () => {
    const refused = await signInAs('unverified-at-idp', trusting.api);
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('did not confirm a verified email address');
    expect((await trusting.database.prisma.person.findUniqueOrThrow({ where: { email: 'sam@hope.example' } })).oidcSubject).toBeNull();
  });
});
