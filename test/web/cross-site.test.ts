/**
 * Another site may not act with a browser's session, nor sign the browser into a key:
 * a form post to the app, or a change carried by the cookie, must name the app's own
 * origin exactly. On a real database; Temporal is not needed.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimedOrigin } from '../../src/api/same-origin.ts';
import { makeKey } from '../support/api.ts';
import { startApiWithoutTemporal, type ApiWithoutTemporal } from '../support/api-without-temporal.ts';

const HOST = '127.0.0.1:3101';
const OWN = `http://${HOST}`;
const PUBLIC = 'https://steward.example.org';
let started: ApiWithoutTemporal;
let api: FastifyInstance;
let adminKey: string;

beforeAll(async () => {
  started = await startApiWithoutTemporal({ publicUrl: PUBLIC });
  api = started.api;
  adminKey = await makeKey(started.services.keys, ['admin']);
});
afterAll(() => started?.stop());

/** A form post as a browser sends it, with the headers given (Origin, Referer, Cookie). */
const post = (url: string, fields: Record<string, string>, headers: Record<string, string>) =>
  api.inject({ method: 'POST', url, headers: { host: HOST, 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: new URLSearchParams(fields).toString() });
/** The cookies a response set, as a Cookie header. */
const cookiesOf = (response: LightMyRequestResponse) => response.cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
const keyCount = () => started.database.prisma.apiKey.count();

/** Origins that parse to the app's host but are not its serialized origin, and others' origins. */
const FORGED = [
  'http://evil.example@127.0.0.1:3101',
  'http://:@127.0.0.1:3101',
  `${OWN}/`,
  `${OWN}/app/keys`,
  'https://127.0.0.1:3101',
  'http://127.0.0.1:3102',
  'http://127.0.0.1',
  'HTTP://127.0.0.1:3101',
  '127.0.0.1:3101',
  'null',
  '',
  `${PUBLIC}.evil.example`,
  'http://steward.example.org',
];

describe('a request from another site', () => {
  it('cannot sign a browser in with an Origin that is not exactly the app’s own', async () => {
    for (const origin of FORGED) {
      const refused = await post('/app/sign-in', { key: adminKey }, { origin });
      expect(refused.statusCode, origin).toBe(403);
      expect(refused.headers['set-cookie'], origin).toBeUndefined();
    }
  });

  it('cannot make a key with a signed-in browser’s cookie, whatever its Origin looks like', async () => {
    const signedIn = await post('/app/sign-in', { key: adminKey }, { origin: OWN });
    expect(signedIn.statusCode).toBe(303);
    const cookie = cookiesOf(signedIn);
    const before = await keyCount();
    for (const origin of FORGED) {
      const refused = await post('/app/keys', { name: 'attacker', scopes: 'admin' }, { origin, cookie });
      expect(refused.statusCode, origin).toBe(403);
    }
    // Without Origin, the Referer's origin stands in; without either, the request is refused.
    expect((await post('/app/keys', { name: 'attacker', scopes: 'admin' }, { cookie })).statusCode).toBe(403);
    expect((await post('/app/keys', { name: 'attacker', scopes: 'admin' }, { cookie, referer: 'http://evil.example@127.0.0.1:3101/app/keys' })).statusCode).toBe(403);
    expect((await post('/app/keys', { name: 'attacker', scopes: 'admin' }, { cookie, referer: 'https://evil.example/app/keys' })).statusCode).toBe(403);
    expect(await keyCount()).toBe(before);

    // The app's own pages: the address the browser used, the public address, or a Referer from either.
    expect((await post('/app/keys', { name: 'own page', scopes: 'read' }, { origin: OWN, cookie })).statusCode).toBe(201);
    expect((await post('/app/keys', { name: 'behind the proxy', scopes: 'read' }, { origin: PUBLIC, cookie })).statusCode).toBe(201);
    expect((await post('/app/keys', { name: 'old browser', scopes: 'read' }, { referer: `${OWN}/app/keys`, cookie })).statusCode).toBe(201);
    expect(await keyCount()).toBe(before + 3);
  });
});

describe('claimedOrigin', () => {
  it.each([
    ['http://127.0.0.1:3101', undefined, 'http://127.0.0.1:3101'],
    ['https://steward.example.org', 'http://evil.example/', 'https://steward.example.org'],
    ['http://evil.example@127.0.0.1:3101', undefined, undefined],
    ['http://127.0.0.1:3101/', undefined, undefined],
    ['http://127.0.0.1:80', undefined, undefined],
    ['null', 'http://127.0.0.1:3101/app', undefined],
    ['file:///etc/passwd', undefined, undefined],
    [undefined, 'http://127.0.0.1:3101/app/keys?x=1', 'http://127.0.0.1:3101'],
    [undefined, 'http://user:pass@127.0.0.1:3101/app/keys', undefined],
    [undefined, 'not a url', undefined],
    [undefined, undefined, undefined],
  ])('Origin %s, Referer %s: %s', (origin, referer, expected) => {
    expect(claimedOrigin(origin, referer)).toBe(expected);
  });
});
