/**
 * Web sign-in: the browser holds a session id, never the key. Sessions end on sign-out,
 * with their key, when an admin revokes them, after a spell idle and at their absolute
 * end. On a real database; Temporal is not needed.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.ts';
import { DEFAULT_SESSION_LIFETIMES } from '../../src/auth/web-sessions.ts';
import { bearer, makeKey, signedInCookie } from '../support/api.ts';
import { startApiWithoutTemporal, type ApiWithoutTemporal } from '../support/api-without-temporal.ts';

const HOST = 'steward.example';
let started: ApiWithoutTemporal;
let api: FastifyInstance;
let adminKey: string;

beforeAll(async () => {
  started = await startApiWithoutTemporal();
  api = started.api;
  adminKey = await makeKey(started.services.keys, ['admin'], 'Admin of the sessions test');
});
afterAll(() => started?.stop());

const signIn = (key: string, on = api) =>
  on.inject({
    method: 'POST',
    url: '/app/sign-in',
    headers: { host: HOST, origin: `http://${HOST}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ key }).toString(),
  });
const sessionCookieOf = (response: LightMyRequestResponse) => response.cookies.find((cookie) => cookie.name === 'steward_session');
/** Whether the cookie still opens a page: 200, or 303 to sign in once the session has ended. */
const pageStatus = async (cookie: string) => (await api.inject({ method: 'GET', url: '/app/journeys', headers: { host: HOST, cookie } })).statusCode;
const sessionRows = () => started.database.prisma.webSession.findMany();
const tokenOf = (cookie: string) => cookie.slice(cookie.indexOf('=') + 1);
const rowOf = (cookie: string) =>
  started.database.prisma.webSession.findUniqueOrThrow({ where: { hash: createHash('sha256').update(tokenOf(cookie)).digest('hex') } });

describe('signing in', () => {
  it('gives the browser an opaque session id, HTTP-only and same-site, and keeps only its hash', async () => {
    const key = await makeKey(started.services.keys, ['read']);
    const response = await signIn(key);
    expect(response.statusCode).toBe(303);
    const cookie = sessionCookieOf(response)!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', maxAge: DEFAULT_SESSION_LIFETIMES.absoluteMs / 1_000 });
    expect(cookie.secure).toBeUndefined();
    expect(cookie.value).toMatch(/^sws_[A-Za-z0-9_-]{43}$/);
    // The key is in no cookie, and the session id in no row.
    expect(String(response.headers['set-cookie'])).not.toContain(key);
    expect(JSON.stringify(await sessionRows())).not.toContain(cookie.value);
    expect(await pageStatus(`steward_session=${cookie.value}`)).toBe(200);
    // The key itself in a cookie opens nothing.
    expect(await pageStatus(`steward_session=${key}`)).toBe(303);
    expect(await pageStatus(`steward_key=${key}`)).toBe(303);
  });

  it('marks the cookie Secure when the public address is https', async () => {
    const behindTls = buildApi({ ...started.services, publicUrl: `https://${HOST}` });
    try {
      const response = await behindTls.inject({
        method: 'POST',
        url: '/app/sign-in',
        headers: { host: HOST, origin: `https://${HOST}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ key: adminKey }).toString(),
      });
      expect(response.statusCode).toBe(303);
      expect(sessionCookieOf(response)).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict' });
    } finally {
      await behindTls.close();
    }
  });
});

describe('a session ends', () => {
  it('when its owner signs out: the same cookie no longer opens a page or the API', async () => {
    const cookie = await signedInCookie(api, await makeKey(started.services.keys, ['read']), HOST);
    expect(await pageStatus(cookie)).toBe(200);
    const signedOut = await api.inject({ method: 'POST', url: '/app/sign-out', headers: { host: HOST, origin: `http://${HOST}`, cookie } });
    expect(signedOut.statusCode).toBe(303);
    expect(await pageStatus(cookie)).toBe(303);
    const overApi = await api.inject({ method: 'GET', url: '/journeys', headers: { host: HOST, cookie } });
    expect(overApi.statusCode).toBe(401);
    expect(overApi.json()).toEqual({ error: { message: 'Your web session has ended; sign in again' } });
    expect((await rowOf(cookie)).revokedAt).toBeInstanceOf(Date);
  });

  it('when its key is revoked, every session of that key', async () => {
    const { key, apiKey } = await started.services.keys.create({ name: 'Leaving volunteer', scopes: ['read'] });
    const [laptop, phone] = [await signedInCookie(api, key, HOST), await signedInCookie(api, key, HOST)];
    const other = await signedInCookie(api, await makeKey(started.services.keys, ['read']), HOST);
    expect((await api.inject({ method: 'POST', url: `/keys/${apiKey.id}/revoke`, headers: bearer(adminKey) })).statusCode).toBe(200);
    expect([await pageStatus(laptop), await pageStatus(phone), await pageStatus(other)]).toEqual([303, 303, 200]);
    expect((await rowOf(laptop)).revokedAt).toBeInstanceOf(Date);
  });

  it('after the idle time unused, or at its absolute end however busy; use within the idle time keeps it', async () => {
    const key = await makeKey(started.services.keys, ['read']);
    const [idle, old, busy] = [await signedInCookie(api, key, HOST), await signedInCookie(api, key, HOST), await signedInCookie(api, key, HOST)];
    const db = started.database.prisma;
    const ago = (ms: number) => new Date(Date.now() - ms);
    await db.webSession.update({ where: { id: (await rowOf(idle)).id }, data: { lastSeenAt: ago(DEFAULT_SESSION_LIFETIMES.idleMs + 1_000) } });
    await db.webSession.update({ where: { id: (await rowOf(old)).id }, data: { expiresAt: ago(1_000) } });
    await db.webSession.update({ where: { id: (await rowOf(busy)).id }, data: { lastSeenAt: ago(5 * 60_000) } });
    expect([await pageStatus(idle), await pageStatus(old), await pageStatus(busy)]).toEqual([303, 303, 200]);
    // Seen now, so its idle time starts again.
    expect((await rowOf(busy)).lastSeenAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('admins', () => {
  it('list the sessions that have not ended, without their ids in clear, and revoke one', async () => {
    const key = await makeKey(started.services.keys, ['staff'], 'Maria (gift officer)');
    const cookie = await signedInCookie(api, key, HOST);
    const { id } = await rowOf(cookie);
    const listed = await api.inject({ method: 'GET', url: '/sessions', headers: bearer(adminKey) });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().sessions).toContainEqual({
      id,
      holder: { kind: 'key', id: expect.any(String), name: 'Maria (gift officer)' },
      createdAt: expect.any(String),
      lastSeenAt: expect.any(String),
      endsAt: expect.any(String),
      revokedAt: null,
    });
    expect(listed.body).not.toContain(tokenOf(cookie));
    expect(listed.body).not.toContain((await rowOf(cookie)).hash);

    const revoked = await api.inject({ method: 'POST', url: `/sessions/${id}/revoke`, headers: bearer(adminKey) });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ id, revokedAt: expect.any(String) });
    expect(await pageStatus(cookie)).toBe(303);
    expect((await api.inject({ method: 'GET', url: '/sessions', headers: bearer(adminKey) })).json().sessions.map((session: { id: string }) => session.id)).not.toContain(id);
    expect((await api.inject({ method: 'POST', url: '/sessions/no-such-session/revoke', headers: bearer(adminKey) })).statusCode).toBe(404);
    // Listing and revoking sessions is for admins.
    expect((await api.inject({ method: 'GET', url: '/sessions', headers: bearer(key) })).statusCode).toBe(403);
  });
});
