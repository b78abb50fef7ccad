/**
 * The web app's answers to what people and other sites may send it, without a
 * browser: where sign-in lands, what a page answers to a bad link, and the headers
 * every page carries. On a real database; no Temporal is needed for these pages.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { createServices } from '../../src/services.ts';
import { bearer, makeKey, signedInCookie } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let api: FastifyInstance;
let keys: { read: string; staff: string; admin: string };
/** Each key's web session, as a Cookie header. */
const sessions = new Map<string, string>();
let people: { ada: { id: string; enrollmentId: string }; grace: { id: string } };
const HOST = 'steward.example';

beforeAll(async () => {
  database = await createTestDatabase();
  await publishJourneyCatalog(database.prisma, await loadJourneyCatalog());
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '300ms' }) });
  // Temporal is unreachable here; a removal gives up on it after a second rather than the usual ten.
  const services = createServices({ db: database.prisma, temporal, taskQueue: 'unused', temporalTimeoutMs: 1_000 });
  api = buildApi(services);
  await api.ready();
  keys = { read: await makeKey(services.keys, ['read']), staff: await makeKey(services.keys, ['staff']), admin: await makeKey(services.keys, ['admin']) };
  for (const key of Object.values(keys)) sessions.set(key, await signedInCookie(api, key, HOST));
  // Two people, one of them in a journey, written as the router would have left them.
  const db = database.prisma;
  const version = await db.journeyVersion.findUniqueOrThrow({ where: { journeyId_version: { journeyId: 'first-gift-thank-you', version: 2 } } });
  const ada = await db.constituent.create({ data: { email: `ada-${randomUUID()}@example.org`, firstName: 'Ada', lastName: 'Lovelace' } });
  const grace = await db.constituent.create({ data: { email: `grace-${randomUUID()}@example.org`, firstName: 'Grace', lastName: 'Hopper' } });
  const enrollment = await db.enrollment.create({ data: { workflowId: `enrollment-${randomUUID()}`, constituentId: ada.id, journeyVersionId: version.id, currentState: 'thanked' } });
  people = { ada: { id: ada.id, enrollmentId: enrollment.id }, grace: { id: grace.id } };
});
afterAll(async () => {
  await api?.close();
  await database?.drop();
});

const signIn = (key: string, next?: string) =>
  api.inject({
    method: 'POST',
    url: '/app/sign-in',
    headers: { host: HOST, origin: `http://${HOST}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ key, ...(next === undefined ? {} : { next }) }).toString(),
  });
const asPerson = (key: string, options: InjectOptions) => api.inject({ ...options, headers: { cookie: sessions.get(key)!, ...(options.headers as Record<string, string>) } });

describe('signing in', () => {
  it('lands people where their key can work, and follows only printable paths inside the app', async () => {
    expect((await signIn(keys.read)).headers.location).toBe('/app/journeys');
    expect((await signIn(keys.staff)).headers.location).toBe('/app/inbox');
    expect((await signIn(keys.read, '/app/constituents?q=ada')).headers.location).toBe('/app/constituents?q=ada');
    for (const next of ['https://evil.example/app', '//evil.example', '/app/✓', '/app/\r\nX-Injected: 1']) {
      const response = await signIn(keys.read, next);
      expect(response.statusCode, next).toBe(303);
      expect(response.headers.location, next).toBe('/app/journeys');
    }
  });

  it('lets a staff-only key work the inbox and see the queues, but not the journeys', async () => {
    const inbox = await asPerson(keys.staff, { method: 'GET', url: '/app/inbox' });
    expect(inbox.statusCode).toBe(200);
    // The navigation offers only what the key may open.
    expect(inbox.body).toContain('href="/app/inbox"');
    expect(inbox.body).not.toContain('href="/app/journeys"');
    expect((await asPerson(keys.read, { method: 'GET', url: '/app/inbox' })).body).toContain('href="/app/journeys"');
    expect((await asPerson(keys.staff, { method: 'GET', url: '/app' })).headers.location).toBe('/app/inbox');
    expect((await api.inject({ method: 'GET', url: '/tasks/queues', headers: bearer(keys.staff) })).statusCode).toBe(200);
    const journeys = await asPerson(keys.staff, { method: 'GET', url: '/app/journeys' });
    expect(journeys.statusCode).toBe(403);
    expect(journeys.headers['content-type']).toContain('text/html');
    expect(journeys.body).toContain('it needs the admin or marketer or viewer role');
  });
});

describe('pages given bad links', () => {
  it('answer a bad cursor with an HTML page saying so, and ignore query fields they do not use', async () => {
    const bad = await asPerson(keys.read, { method: 'GET', url: '/app/constituents?cursor=zzz' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('text/html');
    expect(bad.body).toContain('cursor is not one this API gave out');
    const tracked = await asPerson(keys.read, { method: 'GET', url: '/app/inbox?queue=stewardship&utm_source=newsletter' });
    expect(tracked.statusCode).toBe(200);
  });

  it('ignore a flash cookie they did not set', async () => {
    for (const flash of ['not json', JSON.stringify({ kind: '" onmouseover="x', text: 'hi' })]) {
      const response = await asPerson(keys.read, { method: 'GET', url: '/app/journeys', headers: { cookie: `${sessions.get(keys.read)}; steward_flash=${encodeURIComponent(flash)}` } });
      expect(response.statusCode, flash).toBe(200);
      expect(response.body, flash).not.toContain('onmouseover');
    }
  });

  it('refuse a cursor from before the year 1 in the API with 400, not a database error', async () => {
    const cursor = Buffer.from(JSON.stringify({ at: '0000-01-01T00:00:00Z', id: 'x' })).toString('base64url');
    for (const url of [`/constituents?cursor=${cursor}`, `/events?cursor=${cursor}`]) {
      const response = await api.inject({ method: 'GET', url, headers: bearer(keys.read) });
      expect(response.statusCode, url).toBe(400);
      expect(response.json(), url).toEqual({ error: { message: 'Invalid request', issues: [{ path: 'cursor', message: expect.stringContaining('gave out') }] } });
    }
  });
});

describe('taking someone out of a journey', () => {
  const form = (key: string, url: string, reason?: string) =>
    asPerson(key, {
      method: 'POST',
      url,
      headers: { host: HOST, origin: `http://${HOST}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(reason === undefined ? {} : { reason }).toString(),
    });
  const removal = (constituentId: string, enrollmentId: string) => `/app/constituents/${constituentId}/enrollments/${enrollmentId}/remove`;
  const flashOf = (response: { cookies: { name: string; value: string }[] }) =>
    JSON.parse(decodeURIComponent(response.cookies.find((cookie) => cookie.name === 'steward_flash')!.value)) as { kind: string; text: string };

  it('offers admins a Remove form per active journey, naming the journey, and read keys none', async () => {
    const url = `/app/constituents/${people.ada.id}`;
    const asAdmin = (await asPerson(keys.admin, { method: 'GET', url })).body;
    const action = removal(people.ada.id, people.ada.enrollmentId);
    expect(asAdmin).toContain(`action="${action}"`);
    expect(asAdmin).toContain('data-confirm="Take Ada Lovelace out of first-gift-thank-you?');
    expect(asAdmin).toContain(`<label for="reason-${people.ada.enrollmentId}" class="visually-hidden">Reason for removing from first-gift-thank-you</label>`);
    expect(asAdmin).toMatch(new RegExp(`<input id="reason-${people.ada.enrollmentId}" name="reason" required`));
    expect(asAdmin).toContain('Remove<span class="visually-hidden"> from first-gift-thank-you</span></button>');
    const asReader = await asPerson(keys.read, { method: 'GET', url });
    expect(asReader.statusCode).toBe(200);
    expect(asReader.body).toContain(`data-enrollment="${people.ada.enrollmentId}"`);
    expect(asReader.body).not.toContain('/remove');
    expect(asReader.body).not.toContain('>Actions<');
  });

  it('refuses a read key, and an enrollment that is not the constituent’s', async () => {
    const byReader = await form(keys.read, removal(people.ada.id, people.ada.enrollmentId), 'asked by phone');
    expect(byReader.statusCode).toBe(403);
    expect(byReader.body).toContain('it needs the admin role');
    for (const url of [removal(people.grace.id, people.ada.enrollmentId), removal(people.ada.id, randomUUID())]) {
      const response = await form(keys.admin, url, 'asked by phone');
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type'], url).toContain('text/html');
    }
    // The API answers the same way: unavailable, nothing changed.
    const overHttp = await api.inject({ method: 'POST', url: `/enrollments/${people.ada.enrollmentId}/remove`, headers: bearer(keys.admin), payload: { reason: 'asked by phone' } });
    expect(overHttp.statusCode).toBe(503);
    expect(overHttp.json()).toEqual({ error: { message: expect.stringContaining('did not answer: nothing changed') } });
    const stored = await database.prisma.enrollment.findUniqueOrThrow({ where: { id: people.ada.enrollmentId } });
    expect(stored.status).toBe('active');
  });

  it('asks for a reason, and says so when Temporal does not take the removal', async () => {
    const url = removal(people.ada.id, people.ada.enrollmentId);
    for (const reason of [undefined, '   ']) {
      const response = await form(keys.admin, url, reason);
      expect(response.statusCode).toBe(303);
      expect(response.headers.location).toBe(`/app/constituents/${people.ada.id}`);
      expect(flashOf(response)).toEqual({ kind: 'error', text: expect.stringMatching(/^Say why they leave first-gift-thank-you/) });
    }
    const unanswered = await form(keys.admin, url, 'asked by phone not to be contacted');
    expect(unanswered.statusCode).toBe(303);
    expect(flashOf(unanswered)).toEqual({ kind: 'error', text: expect.stringMatching(/^Not removed from first-gift-thank-you: Temporal, which runs the journeys, did not answer: nothing changed/) });
    // The API answers the same way: unavailable, nothing changed.
    const overHttp = await api.inject({ method: 'POST', url: `/enrollments/${people.ada.enrollmentId}/remove`, headers: bearer(keys.admin), payload: { reason: 'asked by phone' } });
    expect(overHttp.statusCode).toBe(503);
    expect(overHttp.json()).toEqual({ error: { message: expect.stringContaining('did not answer: nothing changed') } });
    const stored = await database.prisma.enrollment.findUniqueOrThrow({ where: { id: people.ada.enrollmentId } });
    expect(stored.status).toBe('active');
  });
});

describe('lifecycle actions while Temporal does not answer', () => {
  it('keep the version’s new status, say the running enrollments were not all told, and may be repeated', async () => {
    const act = (action: 'pause' | 'resume') =>
      api.inject({ method: 'POST', url: `/journeys/first-gift-thank-you/versions/2/${action}`, headers: bearer(keys.admin) });
    const version = () => database.prisma.journeyVersion.findUniqueOrThrow({ where: { journeyId_version: { journeyId: 'first-gift-thank-you', version: 2 } } });
    for (const [action, status] of [['pause', 'paused'], ['pause', 'paused'], ['resume', 'published']] as const) {
      const response = await act(action);
      expect(response.statusCode, action).toBe(503);
      expect(response.json(), action).toEqual({ error: { message: expect.stringContaining('were not all told; do it again') } });
      expect((await version()).status, action).toBe(status);
    }
  });
});

describe('headers', () => {
  it('keep pages and drawings to Steward’s own scripts, forms and frames, and stop sniffing everywhere', async () => {
    const pageResponse = await asPerson(keys.read, { method: 'GET', url: '/app/journeys' });
    const drawing = await api.inject({ method: 'GET', url: '/journeys/first-gift-thank-you/diagram', headers: bearer(keys.read) });
    const refused = await asPerson(keys.staff, { method: 'GET', url: '/app/journeys' });
    for (const response of [pageResponse, drawing, refused]) {
      expect(response.headers['content-security-policy']).toMatch(/default-src 'self'.*form-action 'self'.*frame-ancestors 'none'/);
    }
    const json = await api.inject({ method: 'GET', url: '/journeys', headers: bearer(keys.read) });
    expect(json.headers['x-content-type-options']).toBe('nosniff');
    expect(json.headers['content-security-policy']).toBeUndefined();
  });
});
