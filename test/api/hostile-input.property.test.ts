/**
 * No input makes the API fail: requests generated from every route's own zod
 * schema, and valid requests with one hostile change (broken text, a date out of
 * range, nesting thousands deep, odd bytes in the path, a YAML bomb, a body that
 * lies about itself), sent over a real socket to a listening API on real parts.
 * Every answer is below 500; every refusal has the one error shape, and says
 * where the problem is when it is about the request's input; a refused request
 * writes nothing.
 *
 * STEWARD_FUZZ_RUNS sets how many requests (200 by default), STEWARD_FUZZ_SEED
 * the seed, for a longer or a different run.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { z } from 'zod';
import { ErrorBodySchema } from '../../src/api/openapi.ts';
import { buildApi } from '../../src/api/server.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { createServices, type Services } from '../../src/services.ts';
import { injectWithKey, makeKey } from '../support/api.ts';
import { mutate, mutation, toWire, type ApiRequest } from '../support/request-mutations.ts';
import { rowCounts } from '../support/row-counts.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { arbitraryForZod } from '../support/schema-arbitrary.ts';
import { send, type WireResponse } from '../support/wire.ts';

const RUNS = Number(process.env.STEWARD_FUZZ_RUNS ?? 200);
const SEED = Number(process.env.STEWARD_FUZZ_SEED ?? 20_260_501);
/** Refusals about the request's own input, which must name the part at fault. */
const LOCATED = new Set([400, 408, 413, 414, 415, 431]);

interface CapturedRoute {
  method: string;
  url: string;
  schema: { params?: z.ZodType; querystring?: z.ZodType; body?: z.ZodType };
}

let runtime: TestRuntime;
let services: Services;
let api: FastifyInstance;
let port: number;
let auth: Record<string, string>;
let known: { constituentId: string; eventId: string; journeySource: string };
const routes: CapturedRoute[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime();
  await publishJourneyCatalog(runtime.db, await loadJourneyCatalog());
  services = createServices({ db: runtime.db, temporal: runtime.env.client, taskQueue: runtime.taskQueue });
  api = buildApi({ ...services, rateLimit: 1_000_000 });
  api.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, schema: (route.schema ?? {}) as CapturedRoute['schema'] });
  });
  await api.listen({ port: 0, host: '127.0.0.1' });
  port = (api.server.address() as { port: number }).port;
  const key = await makeKey(services.keys, ['admin']);
  // The web app's form posts must come from its own pages; the fuzzer's do.
  auth = { authorization: `Bearer ${key}`, origin: `http://127.0.0.1:${port}` };
  const call = injectWithKey(api, key);
  const constituent = await call({ method: 'POST', url: '/constituents', payload: { email: `ada-${randomUUID()}@example.org`, firstName: 'Ada' } });
  const event = await call({ method: 'POST', url: '/events', payload: donation('known') });
  known = {
    constituentId: constituent.json().id,
    eventId: event.json().eventId,
    journeySource: await readFile(new URL('../../journeys/new-donor-welcome.yaml', import.meta.url), 'utf8'),
  };
}, 120_000);

afterAll(async () => {
  await api?.close();
  await runtime?.stop();
});

function donation(nonce: string) {
  return {
    id: `gift-${nonce}`,
    type: 'donation',
    occurredAt: '2026-04-01T10:00:00Z',
    constituent: { email: `grace-${nonce}@example.org`, firstName: 'Grace', consent: { email: { status: 'granted', at: '2026-04-01T09:00:00Z' } } },
    data: { amount: 25, currency: 'USD', campaign: 'spring', note: { from: 'form' } },
  };
}

/** Valid requests to mutate, one per kind of thing the API stores or reads; `nonce` keeps ids fresh. */
function validRequests(nonce: string): ApiRequest[] {
  const { constituentId, eventId, journeySource } = known;
  const request = (method: string, route: string, parts: Partial<ApiRequest> = {}): ApiRequest => ({ method, route, params: {}, query: {}, ...parts });
  return [
    request('POST', '/events', { body: donation(nonce) }),
    request('POST', '/events/batch', { body: { events: [donation(nonce), { ...donation(`${nonce}-2`), type: 'custom', data: { name: 'opened', value: 'yes' } }] } }),
    request('POST', '/constituents', { body: { email: `c-${nonce}@example.org`, firstName: 'Cy', timezone: 'Europe/Paris', attributes: { donorStage: 'new' } } }),
    request('PATCH', '/constituents/:id', { params: { id: constituentId }, body: { lastName: 'Lovelace', attributes: { score: 3 } } }),
    request('GET', '/constituents', { query: { q: 'ada', limit: '5' } }),
    request('GET', '/constituents/:id/timeline', { params: { id: constituentId }, query: { kinds: 'event,consent' } }),
    request('GET', '/events', { query: { constituentId, type: 'donation' } }),
    request('GET', '/events/:id', { params: { id: eventId } }),
    request('POST', '/journeys/validate', { body: { source: journeySource } }),
    request('POST', '/journeys', { body: { source: journeySource.replace('id: new-donor-welcome', `id: welcome-${nonce.slice(0, 8)}`) } }),
    request('POST', '/journeys/simulate', { body: { journeyId: 'new-donor-welcome', timeline: { start: '2026-01-01T00:00:00Z', events: [{ at: '+1d', type: 'donation', data: { amount: 10, currency: 'USD' } }] } } }),
    request('GET', '/journeys/:id/versions/:version', { params: { id: 'new-donor-welcome', version: '1' } }),
    request('GET', '/journeys/:id/diagram', { params: { id: 'new-donor-welcome' }, query: { format: 'mermaid', version: '1' } }),
    request('GET', '/enrollments', { query: { journeyId: 'new-donor-welcome', version: '1', state: 'thanked' } }),
    request('GET', '/tasks', { query: { queue: 'stewardship', assignee: 'maria' } }),
    request('POST', '/tasks/:id/claim', { params: { id: randomUUID() }, body: { assignee: 'maria' } }),
    request('GET', '/messages', { query: { constituentId, channel: 'email' } }),
    request('GET', '/analytics/journeys/:id', { params: { id: 'new-donor-welcome' }, query: { since: '2026-01-01T00:00:00Z', days: '7' } }),
    request('POST', '/templates/:channel/:name/preview', { params: { channel: 'email', name: 'new-donor-thanks' }, body: { constituent: { firstName: 'Lin' } } }),
    request('GET', '/app/constituents', { query: { q: 'ada' } }),
    request('GET', '/app/constituents/:id', { params: { id: constituentId } }),
    request('GET', '/app/inbox', { query: { queue: 'stewardship' } }),
    request('GET', '/app/journeys/:id', { params: { id: 'new-donor-welcome' }, query: { version: '1' } }),
  ];
}

const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value) ?? '');
const texts = (values: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries((values ?? {}) as Record<string, unknown>).map(([key, value]) => [key, asText(value)]));

/** A request made from one route's own schemas: what a client reading the OpenAPI description might send. */
function fromSchema(route: CapturedRoute): fc.Arbitrary<ApiRequest> {
  const names = [...route.url.matchAll(/:(\w+)/g)].map((match) => match[1]!);
  const params = route.schema.params ? arbitraryForZod(route.schema.params) : fc.record(Object.fromEntries(names.map((name) => [name, fc.string({ minLength: 1 })])));
  const query = route.schema.querystring ? arbitraryForZod(route.schema.querystring) : fc.constant({});
  const body = route.schema.body ? arbitraryForZod(route.schema.body) : fc.constant(undefined);
  return fc.record({ params, query, body }).map((parts) => ({
    method: route.method,
    route: route.url,
    params: texts(parts.params),
    query: texts(parts.query),
    ...(parts.body === undefined ? {} : { body: parts.body }),
  }));
}

/** The answer a client can rely on: never a server failure, and a refusal in the one shape. */
function expectAnswered(request: ApiRequest, response: WireResponse): void {
  const where = `${request.method} ${request.route} answered ${response.status}: ${response.body.slice(0, 400)}`;
  expect(response.status, where).toBeGreaterThanOrEqual(200);
  expect(response.status, where).toBeLessThan(500);
  if (response.status < 400) return;
  if (response.headers['content-type']?.startsWith('text/html')) {
    // A page's refusal is the app's error page (a live fragment's 404 is empty).
    if (response.body) expect(response.body, where).toMatch(/<h1>/);
    return;
  }
  const parsed = ErrorBodySchema.safeParse(JSON.parse(response.body));
  expect(parsed.success, where).toBe(true);
  if (LOCATED.has(response.status)) expect(parsed.data?.error.issues ?? [], where).not.toHaveLength(0);
}

it(`answers ${RUNS} generated and mutated requests without a 5xx, each refusal located and writing nothing`, async () => {
  const generated = fc.constantFrom(...routes).chain(fromSchema);
  const valid = fc.tuple(fc.uuid(), fc.nat()).map(([nonce, pick]) => {
    const requests = validRequests(nonce);
    return requests[pick % requests.length]!;
  });
  await fc.assert(
    fc.asyncProperty(fc.oneof({ arbitrary: valid, weight: 3 }, { arbitrary: generated, weight: 2 }), mutation, async (base, change) => {
      const request = mutate(base, change);
      await services.routing.idle();
      const before = await rowCounts(runtime.db);
      const response = await send(port, toWire(request, auth));
      expectAnswered(request, response);
      if (response.status >= 400) {
        await services.routing.idle();
        expect(await rowCounts(runtime.db), `${request.method} ${request.route} was refused (${response.status}) but wrote`).toEqual(before);
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
});
