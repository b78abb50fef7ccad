/**
 * Requests that once made the API answer 500, or answer a refusal in Fastify's own
 * shape: each is now refused at the edge with a 4xx in the one error shape, naming
 * the field, and writes nothing. On a real database; Temporal is unreachable, as
 * nothing here gets as far as a journey.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DEPTH, MAX_QUERY_VALUE_LENGTH } from '../../src/api/input-hygiene.ts';
import { buildApi } from '../../src/api/server.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { createServices, type Services } from '../../src/services.ts';
import { injectWithKey, makeKey } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { rowCounts } from '../support/row-counts.ts';
import { send, sendRaw } from '../support/wire.ts';

let database: TestDatabase;
let services: Services;
let api: FastifyInstance;
let port: number;
let key: string;
let call: ReturnType<typeof injectWithKey>;
let constituentId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  await publishJourneyCatalog(database.prisma, await loadJourneyCatalog());
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '300ms' }) });
  services = createServices({ db: database.prisma, temporal, taskQueue: 'unused', temporalTimeoutMs: 1_000 });
  api = buildApi(services);
  await api.listen({ port: 0, host: '127.0.0.1' });
  port = (api.server.address() as { port: number }).port;
  key = await makeKey(services.keys, ['admin']);
  call = injectWithKey(api, key);
  constituentId = (await database.prisma.constituent.create({ data: { email: `ada-${randomUUID()}@example.org` } })).id;
});
afterAll(async () => {
  await api?.close();
  await database?.drop();
});

const NUL = '\u0000';
const HALF_PAIR = '\ud800';
const YEAR_ZERO = '0000-01-01T00:00:00Z';

function donation(overrides: Record<string, unknown> = {}) {
  return { id: `gift-${randomUUID()}`, type: 'donation', constituent: { email: `grace-${randomUUID()}@example.org` }, data: { amount: 10, currency: 'USD' }, ...overrides };
}
const withConstituent = (fields: Record<string, unknown>) => donation({ constituent: { email: `grace-${randomUUID()}@example.org`, ...fields } });
const withData = (fields: Record<string, unknown>) => donation({ data: { amount: 10, currency: 'USD', ...fields } });
/** An event whose `data.deep` nests `depth` arrays, written as text: too deep to build as objects here. */
const nestedEvent = (depth: number) => JSON.stringify(donation()).replace('"currency":"USD"', `"currency":"USD","deep":${'['.repeat(depth)}1${']'.repeat(depth)}`);
/** A "billion laughs": nine lines of aliases that expand to 9^9 strings. */
const laughs = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...'bcdefghi'.split('').map((name, index) => `${name}: &${name} [${Array(9).fill(`*${'abcdefghi'[index]}`).join(', ')}]`)].join('\n');

interface Case {
  name: string;
  request: InjectOptions;
  status: number;
  path: string;
  message: RegExp;
}

/** Sends one refused request and checks its answer, and that nothing was written. */
async function expectRefused({ request, status, path, message }: Case) {
  await services.routing.idle();
  const before = await rowCounts(database.prisma);
  const response = await call(request);
  expect(response.statusCode, response.body).toBe(status);
  if (String(response.headers['content-type']).startsWith('text/html')) {
    expect(response.body).toContain(path);
    expect(response.body).toMatch(message);
  } else {
    expect(response.json()).toEqual({ error: { message: expect.any(String), issues: expect.arrayContaining([expect.objectContaining({ path, message: expect.stringMatching(message) })]) } });
  }
  await services.routing.idle();
  expect(await rowCounts(database.prisma)).toEqual(before);
}

const post = (url: string, payload: unknown): InjectOptions => ({ method: 'POST', url, payload: payload as InjectOptions['payload'] });

describe('strings PostgreSQL cannot store', () => {
  const cases: Case[] = [
    { name: 'a NUL in a name', request: post('/events', withConstituent({ firstName: `Ada${NUL}` })), status: 400, path: 'constituent.firstName', message: /NUL/ },
    { name: 'a NUL in an event id', request: post('/events', donation({ id: `gift${NUL}` })), status: 400, path: 'id', message: /NUL/ },
    { name: 'a NUL in a data field', request: post('/events', withData({ campaign: `spring${NUL}` })), status: 400, path: 'data.campaign', message: /NUL/ },
    { name: 'a NUL in an extra data field', request: post('/events', withData({ note: `hi${NUL}` })), status: 400, path: 'data.note', message: /NUL/ },
    { name: 'a NUL in a data field name', request: post('/events', withData({ [`note${NUL}`]: 'hi' })), status: 400, path: `data.note${NUL}`, message: /name must not contain the NUL/ },
    { name: 'a NUL in a batch id', request: post('/events/batch', { events: [donation({ id: `a${NUL}` })] }), status: 400, path: 'events.0.id', message: /NUL/ },
    { name: 'a NUL in an attribute', request: post('/constituents', { email: `c-${randomUUID()}@example.org`, attributes: { donorStage: `new${NUL}` } }), status: 400, path: 'attributes.donorStage', message: /NUL/ },
    { name: 'a NUL in a new constituent name', request: post('/constituents', { email: `c-${randomUUID()}@example.org`, lastName: NUL }), status: 400, path: 'lastName', message: /NUL/ },
    { name: 'a NUL in a changed name', request: { method: 'PATCH', url: '/constituents/:id', payload: { firstName: `A${NUL}` } }, status: 400, path: 'firstName', message: /NUL/ },
    { name: 'a NUL in an assignee', request: post(`/tasks/${randomUUID()}/claim`, { assignee: `maria${NUL}` }), status: 400, path: 'assignee', message: /NUL/ },
    { name: 'a NUL in a key name', request: post('/keys', { name: `ci${NUL}`, scopes: ['read'] }), status: 400, path: 'name', message: /NUL/ },
    { name: 'a NUL in a removal reason', request: post(`/enrollments/${randomUUID()}/remove`, { reason: `moved${NUL}` }), status: 400, path: 'reason', message: /NUL/ },
    { name: 'half a surrogate pair in event data', request: post('/events', withData({ note: `x${HALF_PAIR}` })), status: 400, path: 'data.note', message: /surrogate/ },
    { name: 'half a surrogate pair in a batch id', request: post('/events/batch', { events: [donation(), donation({ id: `b${HALF_PAIR}` })] }), status: 400, path: 'events.1.id', message: /surrogate/ },
    { name: 'half a surrogate pair in a journey text', request: post('/journeys/validate', { source: `id: x${'\udfff'}` }), status: 400, path: 'source', message: /surrogate/ },
  ];
  it.each(cases)('refuses $name', async (item) => {
    const request = { ...item.request, url: String(item.request.url).replace(':id', constituentId) };
    await expectRefused({ ...item, request });
  });
});

describe('query and path parameters', () => {
  const queries: [string, string][] = [
    ['/constituents', 'q'],
    ['/constituents', 'cursor'],
    ['/events', 'constituentId'],
    ['/enrollments', 'journeyId'],
    ['/enrollments', 'state'],
    ['/enrollments', 'constituentId'],
    ['/tasks', 'queue'],
    ['/tasks', 'assignee'],
    ['/messages', 'constituentId'],
    ['/messages', 'enrollmentId'],
    ['/journeys/new-donor-welcome/diagram', 'format'],
    ['/analytics/journeys/new-donor-welcome', 'since'],
    ['/app/constituents', 'q'],
    ['/app/inbox', 'queue'],
    ['/app/journeys/new-donor-welcome', 'version'],
    ['/app/constituents/:id', 'cursor'],
    ['/app/sign-in', 'next'],
  ];
  it.each(queries)('refuses a NUL in %s?%s=', async (url, name) => {
    const request = { method: 'GET' as const, url: `${url.replace(':id', constituentId)}?${name}=a%00b` };
    await expectRefused({ name, request, status: 400, path: name, message: /NUL/ });
  });

  it('refuses a query value longer than any field it could fill', async () => {
    const request = { method: 'GET' as const, url: `/tasks?queue=${'q'.repeat(MAX_QUERY_VALUE_LENGTH + 1)}` };
    await expectRefused({ name: 'long', request, status: 400, path: 'queue', message: /longer than 2000 characters/ });
  });

  const paths = [
    'GET /events/%00',
    'GET /enrollments/%00',
    'GET /tasks/%00',
    'GET /journeys/%00',
    'GET /journeys/%00/versions/1',
    'GET /journeys/%00/diagram',
    'GET /analytics/journeys/%00',
    'POST /keys/%00/revoke',
    'POST /tasks/%00/claim',
    'POST /journeys/%00/versions/1/publish',
    'GET /app/journeys/%00',
  ];
  it.each(paths)('refuses a NUL in the path: %s', async (line) => {
    const [method, url] = line.split(' ') as ['GET' | 'POST', string];
    await expectRefused({ name: line, request: { method, url, ...(url.endsWith('/claim') ? { payload: { assignee: 'maria' } } : {}) }, status: 400, path: 'id', message: /NUL/ });
  });

  it('refuses a version number past what PostgreSQL stores, naming it', async () => {
    for (const url of ['/journeys/new-donor-welcome/versions/99999999999', '/journeys/new-donor-welcome/diagram?version=99999999999', '/enrollments?journeyId=new-donor-welcome&version=2147483648']) {
      await expectRefused({ name: url, request: { method: 'GET', url }, status: 400, path: 'version', message: /<=2147483647/ });
    }
    await expectRefused({ name: 'migrate', request: post('/journeys/new-donor-welcome/migrate', { from: 2 ** 31, to: 1, states: {} }), status: 400, path: 'from', message: /<=2147483647/ });
  });

  const tooLong = [
    'GET /events/:long',
    'GET /enrollments/:long',
    'GET /tasks/:long',
    'GET /journeys/:long',
    'GET /journeys/:long/versions/1',
    'GET /journeys/:long/diagram',
    'GET /analytics/journeys/:long',
    'GET /constituents/:long/timeline',
    'POST /keys/:long/revoke',
    'POST /journeys/:long/versions/1/pause',
  ];
  it.each(tooLong)('answers a path segment past 500 characters with 414 in the one shape: %s', async (line) => {
    const [method, url] = line.split(' ') as ['GET' | 'POST', string];
    await expectRefused({ name: line, request: { method, url: url.replace(':long', 'x'.repeat(501)) }, status: 414, path: 'url', message: /longer than 500 characters/ });
  });

  it('answers a %-escape that is not UTF-8 with 400 in the one shape', async () => {
    await expectRefused({ name: 'bad escape', request: { method: 'GET', url: '/journeys/%ED%A0%80' }, status: 400, path: 'url', message: /not UTF-8/ });
  });
});

describe('dates', () => {
  it.each([
    ['occurredAt', donation({ occurredAt: YEAR_ZERO })],
    ['constituent.consent.email.at', withConstituent({ consent: { email: { status: 'granted', at: YEAR_ZERO } } })],
    ['occurredAt', donation({ occurredAt: '2201-01-01T00:00:00Z' })],
    ['occurredAt', donation({ occurredAt: '1899-12-31T23:59:59Z' })],
    ['data.startsAt', { ...donation(), type: 'registration', data: { program: 'gala', startsAt: '9999-12-31T23:59:59Z' } }],
  ])('refuses %s outside the years 1900 to 2200', async (path, body) => {
    await expectRefused({ name: path, request: post('/events', body), status: 400, path, message: /years 1900 to 2200/ });
  });

  it('refuses an analytics window outside them', async () => {
    await expectRefused({ name: 'since', request: { method: 'GET', url: `/analytics/journeys/new-donor-welcome?since=${YEAR_ZERO}` }, status: 400, path: 'since', message: /years 1900 to 2200/ });
  });
});

describe('nesting', () => {
  it('refuses a data field nested 5,000 deep, naming where it passes the limit', async () => {
    const request: InjectOptions = { method: 'POST', url: '/events', headers: { 'content-type': 'application/json' }, payload: nestedEvent(5_000) };
    await expectRefused({ name: 'deep', request, status: 400, path: `data.deep${'.0'.repeat(MAX_DEPTH - 2)}`, message: /nests more than 32 levels deep/ });
  });

  it(`takes ${MAX_DEPTH} levels, the body counted, and refuses ${MAX_DEPTH + 1}`, async () => {
    // The body and data are two levels; the arrays of data.deep make up the rest.
    const refused = await call({ method: 'POST', url: '/events', headers: { 'content-type': 'application/json' }, payload: nestedEvent(MAX_DEPTH - 1) });
    expect(refused.statusCode).toBe(400);
    const accepted = await call({ method: 'POST', url: '/events', headers: { 'content-type': 'application/json' }, payload: nestedEvent(MAX_DEPTH - 2) });
    expect(accepted.statusCode, accepted.body).toBe(202);
  });
});

describe('YAML aliases', () => {
  it('reports a billion laughs as a finding at its first alias when validating', async () => {
    const response = await call(post('/journeys/validate', { source: laughs }));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: false, findings: [{ severity: 'error', path: '', message: expect.stringMatching(/aliases .* expand to more than 50/), line: 2, column: 8 }] });
  });

  it('refuses to save one, naming the line', async () => {
    await expectRefused({ name: 'laughs', request: post('/journeys', { source: laughs }), status: 400, path: '', message: /aliases .* expand to more than 50/ });
  });
});

describe("Fastify's and Node's own refusals, in the one error shape", () => {
  it('answers a route that does not exist with 404', async () => {
    await expectRefused({ name: '404', request: { method: 'GET', url: '/nowhere' }, status: 404, path: 'url', message: /names no route/ });
  });

  it('answers a body of the wrong type with 415', async () => {
    await expectRefused({ name: '415', request: { method: 'POST', url: '/events', headers: { 'content-type': 'text/csv' }, payload: 'id,type' }, status: 415, path: 'headers.content-type', message: /application\/json/ });
  });

  it('answers a body over the limit with 413', async () => {
    const payload = JSON.stringify({ ...donation(), data: { amount: 10, currency: 'USD', note: 'x'.repeat(10 * 1_048_576) } });
    await expectRefused({ name: '413', request: { method: 'POST', url: '/events', headers: { 'content-type': 'application/json' }, payload }, status: 413, path: 'body', message: /larger/ });
  });

  it('answers a Content-Length that is not a number with 400', async () => {
    const response = await send(port, { method: 'POST', url: '/events', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': 'twelve' }, body: '{}' });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: { message: 'Bad Content-Length', issues: [{ path: 'headers.content-length', message: expect.any(String) }] } });
  });

  it('answers a URL past the size of the headers with 414', async () => {
    const response = await sendRaw(port, `GET /journeys/${'x'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    expect(response.status).toBe(414);
    expect(JSON.parse(response.body)).toEqual({ error: { message: 'The URL is too long', issues: [{ path: 'url', message: expect.any(String) }] } });
  });

  it('answers a path segment past 500 characters with 414 over the network too', async () => {
    const response = await send(port, { method: 'GET', url: `/journeys/${'x'.repeat(501)}`, headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(414);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(response.body)).toEqual({ error: { message: 'The URL is too long', issues: [{ path: 'url', message: expect.stringMatching(/500/) }] } });
  });
});
