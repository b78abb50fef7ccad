/**
 * The HTTP contract: every endpoint in the OpenAPI description refuses a missing
 * key (401) and a key without its scope (403) in the one error shape; each
 * endpoint answers its happy path and its errors as described. Runs on real
 * parts: PostgreSQL, the Temporal test server (no worker: routing starts
 * workflows, nothing here needs them to run).
 */
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.ts';
import { apiScopes, type ApiScope } from '../../src/auth/api-keys.ts';
import { grantOfScope, permissionTable, permissions, rolesFor, type Grant, type Permission } from '../../src/auth/permissions.ts';
import type { Database } from '../../src/db/client.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { createServices, type Services } from '../../src/services.ts';
import { bearer, injectWithKey, makeKey, routed } from '../support/api.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';

let runtime: TestRuntime;
let worker: Worker;
let working: Promise<void>;
let db: Database;
let services: Services;
let api: FastifyInstance;
let admin: ReturnType<typeof injectWithKey>;
let keyFor: Record<ApiScope, string>;
let document: { paths: Record<string, Record<string, { 'x-permission'?: string; security?: unknown[]; responses: Record<string, unknown> }>> };

const routes: { method: string; url: string }[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime();
  db = runtime.db;
  await publishJourneyCatalog(db, await loadJourneyCatalog());
  services = createServices({ db, temporal: runtime.env.client, taskQueue: runtime.taskQueue });
  // Enrollments record their first step from the worker; timers are days away, so nothing else runs.
  worker = await runtime.worker();
  working = worker.run();
  api = buildApi(services);
  api.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
  await api.ready();
  keyFor = Object.fromEntries(await Promise.all(apiScopes.map(async (scope) => [scope, await makeKey(services.keys, [scope])]))) as Record<ApiScope, string>;
  admin = injectWithKey(api, keyFor.admin);
  document = (await api.inject({ method: 'GET', url: '/openapi.json' })).json();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await working;
  await api?.close();
  await runtime?.stop();
});

const ErrorShape = { error: { message: expect.any(String) } };
/** `/journeys/{id}/versions/{version}` with values that reach the route (auth runs before validation). */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, (name) => (name === '{version}' ? '1' : name === '{channel}' ? 'email' : randomUUID()));

function operations() {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), scope: (operation['x-permission'] ?? 'settings.manage') as Permission | 'public', operation })),
  );
}

describe('the OpenAPI description', () => {
  it('is served without a key and describes every API route the server has', async () => {
    const response = await api.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(document).toMatchObject({ openapi: expect.stringMatching(/^3\./), info: { title: 'Steward API' } });
    const described = new Set(operations().map(({ method, path }) => `${method} ${path.replace(/\{([^}]+)\}/g, ':$1')}`));
    const served = routes.filter(({ url }) => !url.startsWith('/app') && !url.startsWith('/u/') && url !== '/openapi.json').map(({ method, url }) => `${method} ${url}`);
    expect(served.length).toBeGreaterThan(30);
    for (const route of served) expect(described, route).toContain(route);
  });

  it('says which permission each operation needs and lists the shared error answers', () => {
    for (const { path, method, scope, operation } of operations()) {
      const where = `${method} ${path}`;
      expect([...permissions, 'public'], where).toContain(scope);
      if (scope === 'public') {
        expect(operation.security, where).toEqual([]);
      } else {
        expect(Object.keys(operation.responses), where).toEqual(expect.arrayContaining(['401', '403', '429']));
      }
    }
    const scopeOf = (method: string, path: string) => operations().find((operation) => operation.method === method && operation.path === path)?.scope;
    expect(scopeOf('POST', '/events')).toBe('records.ingest');
    expect(scopeOf('GET', '/constituents/{id}/timeline')).toBe('constituents.view');
    expect(scopeOf('POST', '/tasks/{id}/complete')).toBe('tasks.work');
    expect(scopeOf('GET', '/tasks')).toBe('tasks.read');
    expect(scopeOf('POST', '/journeys/{id}/versions/{version}/publish')).toBe('journeys.manage');
    expect(scopeOf('GET', '/health')).toBe('public');
    // Refusals Fastify makes before a route runs are described too.
    const responsesOf = (method: string, path: string) => Object.keys(operations().find((operation) => operation.method === method && operation.path === path)!.operation.responses);
    expect(responsesOf('POST', '/events')).toEqual(expect.arrayContaining(['400', '413', '415']));
    expect(responsesOf('GET', '/events/{id}')).toEqual(expect.arrayContaining(['400', '414']));
  });
});

describe('authentication and scopes, on every endpoint', () => {
  it('answers 401 without a key, and 401 for a key that does not exist', async () => {
    for (const { path, method, scope } of operations()) {
      if (scope === 'public') continue;
      const url = concrete(path);
      const none = await api.inject({ method: method as 'GET', url });
      expect(none.statusCode, `${method} ${path}`).toBe(401);
      expect(none.json(), `${method} ${path}`).toMatchObject(ErrorShape);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="steward"');
      const forged = await api.inject({ method: method as 'GET', url, headers: bearer('stw_not-a-real-key-at-all-000000000') });
      expect(forged.statusCode, `${method} ${path}`).toBe(401);
    }
  });

  it('answers 403 naming the role needed when the key lacks it', async () => {
    // A key with every scope but those whose role holds the permission.
    const keys = new Map<string, string>();
    for (const { path, method, scope } of operations()) {
      if (scope === 'public') continue;
      const holders: readonly string[] = permissionTable[scope];
      if (!keys.has(scope)) keys.set(scope, await makeKey(services.keys, apiScopes.filter((other) => !holders.includes(grantOfScope[other] satisfies Grant))));
      const response = await api.inject({ method: method as 'GET', url: concrete(path), headers: bearer(keys.get(scope)!) });
      expect(response.statusCode, `${method} ${path}`).toBe(403);
      expect(response.json().error.message, `${method} ${path}`).toContain(`${rolesFor(scope)} role`);
    }
  });

  it('takes the key as X-Api-Key too, and lets admin do what any scope allows', async () => {
    expect((await api.inject({ method: 'GET', url: '/journeys', headers: { 'x-api-key': keyFor.read } })).statusCode).toBe(200);
    expect((await admin({ method: 'GET', url: '/tasks' })).statusCode).toBe(200);
  });

  it('stops accepting a key the moment it is revoked; a key cannot revoke itself', async () => {
    const { key, apiKey } = await services.keys.create({ name: 'to revoke', scopes: ['read'] });
    expect((await api.inject({ method: 'GET', url: '/journeys', headers: bearer(key) })).statusCode).toBe(200);
    const revoked = await admin({ method: 'POST', url: `/keys/${apiKey.id}/revoke` });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ id: apiKey.id, revokedAt: expect.any(String) });
    expect((await api.inject({ method: 'GET', url: '/journeys', headers: bearer(key) })).statusCode).toBe(401);

    const self = await services.keys.create({ name: 'self', scopes: ['admin'] });
    const response = await api.inject({ method: 'POST', url: `/keys/${self.apiKey.id}/revoke`, headers: bearer(self.key) });
    expect(response.statusCode).toBe(409);
    expect((await admin({ method: 'POST', url: `/keys/${randomUUID()}/revoke` })).statusCode).toBe(404);
  });

  it('keeps only a hash of each key and never lists the key itself', async () => {
    const created = await admin({ method: 'POST', url: '/keys', payload: { name: 'Donation form', scopes: ['ingest'] } });
    expect(created.statusCode).toBe(201);
    const { key, apiKey } = created.json();
    expect(key).toMatch(/^stw_[A-Za-z0-9_-]{32}$/);
    const stored = await db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(JSON.stringify(stored)).not.toContain(key);
    const listed = (await admin({ method: 'GET', url: '/keys' })).body;
    expect(listed).toContain('Donation form');
    expect(listed).not.toContain(key);
    const bad = await admin({ method: 'POST', url: '/keys', payload: { name: 'x', scopes: ['superuser'] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.issues).toEqual([expect.objectContaining({ path: 'scopes.0' })]);
  });

  it('answers 429 in the same error shape once a key passes its rate limit, counted per key', async () => {
    const limited = buildApi({ ...services, rateLimit: 3 });
    try {
      // Keys of their own: counts live in the database, so requests the other tests made count too.
      const [busy, other] = await Promise.all([makeKey(services.keys, ['read']), makeKey(services.keys, ['read'])]);
      const statuses: number[] = [];
      for (let index = 0; index < 4; index++) statuses.push((await limited.inject({ method: 'GET', url: '/journeys', headers: bearer(busy) })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await limited.inject({ method: 'GET', url: '/journeys', headers: bearer(busy) });
      expect(refused.json()).toMatchObject({ error: { message: expect.stringContaining('Rate limit') } });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect((await limited.inject({ method: 'GET', url: '/journeys', headers: bearer(other) })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('limits requests with no usable key by address too, though they are refused before any route runs', async () => {
    const limited = buildApi({ ...services, rateLimit: 3 });
    try {
      const statuses: number[] = [];
      for (const headers of [bearer('stw_nope'), {}, bearer('stw_nope'), bearer('stw_nope')]) {
        statuses.push((await limited.inject({ method: 'GET', url: '/journeys', headers, remoteAddress: '198.51.100.23' })).statusCode);
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
      // Another address, and a real key from the same address, are unaffected.
      expect((await limited.inject({ method: 'GET', url: '/journeys', headers: bearer('stw_nope'), remoteAddress: '198.51.100.24' })).statusCode).toBe(401);
      expect((await limited.inject({ method: 'GET', url: '/journeys', headers: bearer(await makeKey(services.keys, ['read'])), remoteAddress: '198.51.100.23' })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('refuses a sign-in or sign-out posted from another site', async () => {
    const key = await makeKey(services.keys, ['read']);
    const form = (url: string, origin: string | undefined) =>
      api.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'steward.example', ...(origin ? { origin } : {}) },
        payload: new URLSearchParams({ key, next: '/app/keys' }).toString(),
      });
    for (const url of ['/app/sign-in', '/app/sign-out']) {
      // The same host over another scheme is another origin.
      for (const origin of ['https://evil.example', 'https://steward.example', undefined]) {
        const refused = await form(url, origin);
        expect(refused.statusCode, `${url} from ${origin}`).toBe(403);
        expect(refused.headers['set-cookie'], `${url} from ${origin}`).toBeUndefined();
      }
    }
    const signedIn = await form('/app/sign-in', 'http://steward.example');
    expect(signedIn.statusCode).toBe(303);
    expect(String(signedIn.headers['set-cookie'])).toContain('steward_session=');
  });
});

const donation = (email: string, amount = 20, id = `gift-${randomUUID()}`) => ({
  id,
  type: 'donation',
  constituent: { email, firstName: 'Ida', lastName: 'Wells', consent: { email: 'granted' } },
  data: { amount, currency: 'USD' },
});

describe('constituents', () => {
  it('creates, refuses a duplicate email, updates, finds and searches', async () => {
    const email = `mary-${randomUUID()}@example.org`;
    const created = await admin({ method: 'POST', url: '/constituents', payload: { email, firstName: 'Mary', lastName: 'Seacole', attributes: { donorStage: 'new' }, consent: { email: 'granted' } } });
    expect(created.statusCode).toBe(201);
    const { id } = created.json();

    const duplicate = await admin({ method: 'POST', url: '/constituents', payload: { email } });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ error: { issues: [{ path: 'email', message: 'already on file' }] } });

    const invalid = await admin({ method: 'POST', url: '/constituents', payload: { email: 'not-an-email', timezone: 'Mars/Olympus' } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.message).toBe('Invalid constituent');
    expect(invalid.json().error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual(['email', 'timezone']);

    const updated = await admin({ method: 'PATCH', url: `/constituents/${id}`, payload: { phone: '+15035550100', attributes: { interests: 'literacy' } } });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ phone: '+15035550100', firstName: 'Mary', attributes: { donorStage: 'new', interests: 'literacy' } });
    expect((await admin({ method: 'PATCH', url: `/constituents/${randomUUID()}`, payload: { phone: '+15035550100' } })).statusCode).toBe(404);
    expect((await admin({ method: 'PATCH', url: `/constituents/${id}`, payload: {} })).statusCode).toBe(400);
    expect((await admin({ method: 'GET', url: '/constituents/not-a-uuid' })).json()).toMatchObject({ error: { issues: [{ path: 'id' }] } });

    const found = await admin({ method: 'GET', url: `/constituents/${id}` });
    expect(found.json()).toMatchObject({ id, email, consents: [expect.objectContaining({ channel: 'email', status: 'granted', source: 'API' })] });

    for (const q of ['mary-', 'SEACOLE', 'mar', 'Mary Sea']) {
      const search = await admin({ method: 'GET', url: `/constituents?q=${encodeURIComponent(q)}` });
      expect(search.json().constituents.map((row: { id: string }) => row.id), q).toContain(id);
    }
    expect((await admin({ method: 'GET', url: '/constituents?q=%25' })).json().constituents).toEqual([]);
  });

  it("gives one timeline of a constituent's events, journey steps, messages and consent, a page at a time", async () => {
    const email = `tl-${randomUUID()}@example.org`;
    for (let index = 0; index < 3; index++) {
      // Recent gifts, a minute apart: an event already old when it arrives starts no journey.
      const response = await admin({ method: 'POST', url: '/events', payload: { ...donation(email, 10 + index), occurredAt: new Date(Date.now() - (3 - index) * 60_000).toISOString() } });
      expect(response.statusCode).toBe(202);
    }
    const constituent = await db.constituent.findUniqueOrThrow({ where: { email } });
    // The journey's first step is recorded by the worker, a moment after the event is accepted.
    const timeline = await eventually(async () => {
      const page = (await admin({ method: 'GET', url: `/constituents/${constituent.id}/timeline` })).json();
      const kinds = new Set(page.entries.map((entry: { kind: string }) => entry.kind));
      return kinds.has('journey') && kinds.has('message') ? page : undefined;
    }, 'the enrollment and its message in the timeline');
    const kinds = new Set(timeline.entries.map((entry: { kind: string }) => entry.kind));
    expect(kinds).toEqual(new Set(['event', 'journey', 'consent', 'message']));
    const times = timeline.entries.map((entry: { at: string }) => Date.parse(entry.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const first = (await admin({ method: 'GET', url: `/constituents/${constituent.id}/timeline?kinds=event&limit=2` })).json();
    expect(first.entries.map((entry: { summary: string }) => entry.summary)).toEqual(['Gave 12.00 USD', 'Gave 11.00 USD']);
    const second = (await admin({ method: 'GET', url: `/constituents/${constituent.id}/timeline?kinds=event&limit=2&cursor=${first.nextCursor}` })).json();
    expect(second.entries.map((entry: { summary: string }) => entry.summary)).toEqual(['Gave 10.00 USD']);
    expect(second.nextCursor).toBeNull();

    expect((await admin({ method: 'GET', url: `/constituents/${constituent.id}/timeline?kinds=gossip` })).statusCode).toBe(400);
    expect((await admin({ method: 'GET', url: `/constituents/${constituent.id}/timeline?cursor=garbage` })).json()).toMatchObject({
      error: { issues: [{ path: 'cursor', message: expect.stringContaining('gave out') }] },
    });
  });
});

describe('events, enrollments and messages', () => {
  it('lists events a page at a time without repeating or skipping one', async () => {
    const email = `page-${randomUUID()}@example.org`;
    const batch = await admin({ method: 'POST', url: '/events/batch', payload: { events: [donation(email, 5), donation(email, 6), donation(email, 7)] } });
    expect(batch.statusCode).toBe(202);
    const constituent = await db.constituent.findUniqueOrThrow({ where: { email } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { events: { id: string }[]; nextCursor: string | null } = (
        await admin({ method: 'GET', url: `/events?constituentId=${constituent.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}` })
      ).json();
      seen.push(...page.events.map((event) => event.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(3);
    expect(new Set(seen).size).toBe(3);
    expect((await admin({ method: 'GET', url: '/events?limit=0' })).json()).toMatchObject({ error: { issues: [{ path: 'limit' }] } });
  });

  it('lists enrollments by journey and status, and messages by constituent', async () => {
    const email = `enr-${randomUUID()}@example.org`;
    const posted = await routed(admin, await admin({ method: 'POST', url: '/events', payload: donation(email) }));
    const enrollmentId = posted.enrollments[0]!.enrollmentId;
    const list = (await admin({ method: 'GET', url: '/enrollments?journeyId=first-gift-thank-you&status=active&limit=200' })).json();
    expect(list.enrollments.map((row: { id: string }) => row.id)).toContain(enrollmentId);
    expect(list.enrollments[0]).toMatchObject({ journeyId: 'first-gift-thank-you', version: expect.any(Number) });
    expect((await admin({ method: 'GET', url: '/enrollments?status=lost' })).statusCode).toBe(400);
    expect((await admin({ method: 'GET', url: `/enrollments/${enrollmentId}` })).json()).toMatchObject({ id: enrollmentId, status: 'active' });
    const constituent = await db.constituent.findUniqueOrThrow({ where: { email } });
    const messages = await eventually(async () => {
      const page = (await admin({ method: 'GET', url: `/messages?constituentId=${constituent.id}&channel=email` })).json();
      return page.messages?.length ? page : undefined;
    }, 'the thank-you message');
    expect(messages.messages[0]).toMatchObject({ channel: 'email', audience: 'constituent', template: 'first-gift-thank-you', enrollmentId });
    expect((await admin({ method: 'GET', url: `/messages?constituentId=${constituent.id}&audience=staff` })).json().messages).toEqual([]);
    expect(messages.messages[0]).not.toHaveProperty('recipient');
    expect((await admin({ method: 'GET', url: '/messages?channel=fax' })).statusCode).toBe(400);
    expect((await admin({ method: 'GET', url: '/messages?audience=everyone' })).json()).toMatchObject({ error: { issues: [{ path: 'audience' }] } });
  });
});

const DRAFT = `id: contract-journey
name: Contract journey
trigger:
  event: donation
initial: thanked
states:
  thanked:
    entry:
      - { do: email, template: first-gift-thank-you }
    after:
      - { delay: 7d, to: done }
  done:
    final: true
`;

describe('journeys', () => {
  it('validates a text, naming the field and line of each error', async () => {
    const broken = DRAFT.replace('first-gift-thank-you', 'no-such-template').replace('to: done', 'to: nowhere');
    const response = await admin({ method: 'POST', url: '/journeys/validate', payload: { source: broken } });
    expect(response.statusCode).toBe(200);
    const { ok, findings } = response.json();
    expect(ok).toBe(false);
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ severity: 'error', path: 'states.thanked.entry[0].template', line: 9 }),
        expect.objectContaining({ severity: 'error', path: 'states.thanked.after[0].to', line: 11 }),
      ]),
    );
    expect((await admin({ method: 'POST', url: '/journeys/validate', payload: { source: DRAFT } })).json()).toEqual({ ok: true, findings: [] });
    const yaml = (await admin({ method: 'POST', url: '/journeys/validate', payload: { source: 'id: [unclosed' } })).json();
    expect(yaml.findings[0]).toMatchObject({ severity: 'error', line: 1 });
  });

  it('saves drafts as numbered versions, refuses one with errors, publishes, pauses, resumes and archives', async () => {
    const refused = await admin({ method: 'POST', url: '/journeys', payload: { source: DRAFT.replace('initial: thanked', 'initial: nowhere') } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.issues).toEqual([expect.objectContaining({ path: 'initial', line: 5 })]);
    expect(await db.journey.findUnique({ where: { id: 'contract-journey' } })).toBeNull();

    const first = await admin({ method: 'POST', url: '/journeys', payload: { source: DRAFT } });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ version: 1, status: 'draft' });
    const second = await admin({ method: 'POST', url: '/journeys', payload: { source: `# second\n${DRAFT}` } });
    expect(second.json()).toMatchObject({ version: 2, status: 'draft' });

    const journey = (await admin({ method: 'GET', url: '/journeys/contract-journey' })).json();
    expect(journey.versions.map((version: { version: number }) => version.version)).toEqual([1, 2]);
    expect(journey.current).toMatchObject({ version: 2, source: `# second\n${DRAFT}` });

    expect((await admin({ method: 'POST', url: '/journeys/contract-journey/versions/2/publish' })).json()).toMatchObject({ version: { status: 'published' } });
    expect((await admin({ method: 'POST', url: '/journeys/contract-journey/versions/2/pause' })).json()).toMatchObject({ version: { status: 'paused' } });
    expect((await admin({ method: 'POST', url: '/journeys/contract-journey/versions/2/publish' })).statusCode).toBe(409);
    expect((await admin({ method: 'POST', url: '/journeys/contract-journey/versions/2/resume' })).json()).toMatchObject({ version: { status: 'published' } });
    expect((await admin({ method: 'POST', url: '/journeys/contract-journey/versions/1/archive', payload: { reason: 'superseded' } })).statusCode).toBe(200);
    expect((await admin({ method: 'POST', url: '/journeys/contract-journey/versions/9/publish' })).statusCode).toBe(404);
    expect((await admin({ method: 'POST', url: '/journeys/contract-journey/versions/zero/publish' })).statusCode).toBe(400);
    expect((await admin({ method: 'GET', url: '/journeys/no-such-journey' })).statusCode).toBe(404);
  });

  it('simulates a text or a stored journey, and draws it as SVG or Mermaid', async () => {
    const timeline = { events: [{ at: '+0d', type: 'donation', data: { amount: 30, currency: 'USD' } }], until: '+10d' };
    const fromText = await admin({ method: 'POST', url: '/journeys/simulate', payload: { source: DRAFT, timeline } });
    expect(fromText.statusCode).toBe(200);
    expect(fromText.json().enrollments).toEqual([expect.objectContaining({ status: 'completed', state: 'done' })]);
    expect(fromText.json().text).toContain('first-gift-thank-you');
    const stored = await admin({ method: 'POST', url: '/journeys/simulate', payload: { journeyId: 'first-gift-thank-you', timeline } });
    expect(stored.json().entries.some((entry: { kind: string }) => entry.kind === 'email')).toBe(true);
    expect((await admin({ method: 'POST', url: '/journeys/simulate', payload: { timeline } })).statusCode).toBe(400);
    const badTimeline = await admin({ method: 'POST', url: '/journeys/simulate', payload: { source: DRAFT, timeline: { events: [{ at: 'someday', type: 'donation' }] } } });
    expect(badTimeline.statusCode).toBe(400);

    // Timers that chase each other forever: an error of validation, naming the loop.
    const looping = `id: ping-pong\nname: Ping pong\ntrigger:\n  event: donation\ninitial: ping\nstates:\n  ping:\n    after:\n      - { delay: 1m, to: pong }\n  pong:\n    after:\n      - { delay: 1m, to: ping }\n`;
    expect((await admin({ method: 'POST', url: '/journeys/validate', payload: { source: looping } })).json()).toMatchObject({
      ok: false,
      findings: [{ path: 'states.ping', message: expect.stringMatching(/^loop of timers: ping -> pong -> ping/) }],
    });
    // Bounded, but only after more rounds than a simulation takes steps: refused with a reason, not simulated for 400 days in the request.
    const bounded = looping.replace('{ delay: 1m, to: ping }', '{ delay: 1m, to: ping, limit: 100000 }');
    expect((await admin({ method: 'POST', url: '/journeys/validate', payload: { source: bounded } })).json()).toMatchObject({ ok: true });
    const endless = await admin({ method: 'POST', url: '/journeys/simulate', payload: { source: bounded, timeline: { events: [{ at: '+0d', type: 'donation' }] } } });
    expect(endless.statusCode).toBe(400);
    expect(endless.json()).toMatchObject({ error: { issues: [{ path: 'timeline', message: expect.stringMatching(/more than 10,000 steps .*ping → pong/) }] } });

    const svg = await admin({ method: 'GET', url: '/journeys/first-gift-thank-you/diagram' });
    expect(svg.headers['content-type']).toContain('image/svg+xml');
    expect(svg.body).toMatch(/<g data-state="thanked">.*\d+ now/s);
    const mermaid = await admin({ method: 'GET', url: '/journeys/first-gift-thank-you/diagram?format=mermaid' });
    expect(mermaid.body).toContain('stateDiagram-v2');
    expect((await admin({ method: 'GET', url: '/journeys/first-gift-thank-you/diagram?format=png' })).statusCode).toBe(400);
  });
});

describe('tasks, templates and analytics', () => {
  it('lists the queues with waiting and overdue counts, and refuses bad claims', async () => {
    const queues = (await admin({ method: 'GET', url: '/tasks/queues' })).json().queues;
    expect(queues.map((queue: { id: string }) => queue.id)).toEqual(expect.arrayContaining(['stewardship', 'major-gifts']));
    const task = await db.staffTask.create({
      data: { idempotencyKey: randomUUID(), queue: 'stewardship', title: 'Send a card', dueAt: new Date(Date.now() - 3_600_000) },
    });
    const listed = (await admin({ method: 'GET', url: '/tasks?queue=stewardship' })).json().tasks;
    expect(listed.find((row: { id: string }) => row.id === task.id)).toMatchObject({ overdue: true });
    const staff = injectWithKey(api, keyFor.staff);
    expect((await staff({ method: 'POST', url: `/tasks/${task.id}/claim`, payload: {} })).statusCode).toBe(400);
    expect((await staff({ method: 'POST', url: `/tasks/${task.id}/claim`, payload: { assignee: 'Maria' } })).statusCode).toBe(200);
    expect((await staff({ method: 'POST', url: `/tasks/${task.id}/claim`, payload: { assignee: 'Omar' } })).statusCode).toBe(409);
    const done = await staff({ method: 'POST', url: `/tasks/${task.id}/complete`, payload: { outcome: 'card-sent', by: 'Maria' } });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ task: { status: 'completed', outcome: 'card-sent', overdue: false } });
    expect((await staff({ method: 'POST', url: `/tasks/${task.id}/complete`, payload: { outcome: 'Card Sent!' } })).statusCode).toBe(400);
    // Staff see the queues they work, and nothing else.
    expect((await staff({ method: 'GET', url: `/tasks/${task.id}` })).json()).toMatchObject({ id: task.id, status: 'completed' });
    expect((await staff({ method: 'GET', url: `/tasks/${randomUUID()}` })).statusCode).toBe(404);
    expect((await staff({ method: 'GET', url: '/journeys' })).statusCode).toBe(403);
    expect((await admin({ method: 'GET', url: `/tasks/${randomUUID()}` })).statusCode).toBe(404);
  });

  it('previews a template and reports the numbers per journey, per queue and for retention', async () => {
    const preview = await admin({ method: 'POST', url: '/templates/email/first-gift-thank-you/preview', payload: { constituent: { firstName: 'Zed' } } });
    expect(preview.statusCode).toBe(200);
    expect(preview.json().subject).toContain('Zed');
    expect((await admin({ method: 'POST', url: '/templates/email/nope/preview', payload: {} })).statusCode).toBe(404);
    expect((await admin({ method: 'POST', url: '/templates/email/first-gift-thank-you/preview', payload: [1, 2] })).statusCode).toBe(400);

    const journey = (await admin({ method: 'GET', url: '/analytics/journeys/first-gift-thank-you' })).json();
    expect(journey.metrics.enrolled).toBeGreaterThan(0);
    expect(journey.stateCounts.thanked.current).toBeGreaterThan(0);
    expect(journey.funnel[0]).toMatchObject({ state: 'thanked' });
    expect(journey.series).toHaveLength(30);
    expect((await admin({ method: 'GET', url: '/analytics/journeys/missing' })).statusCode).toBe(404);
    const overview = (await admin({ method: 'GET', url: '/analytics/overview' })).json();
    expect(overview).toMatchObject({ journeys: expect.any(Array), tasks: expect.any(Array), retention: expect.objectContaining({ rate: expect.any(Number) }) });
    expect((await admin({ method: 'GET', url: '/analytics/tasks' })).json().queues.length).toBeGreaterThan(0);
  });

  it('answers an unknown route and a body that is not JSON in the one error shape', async () => {
    expect((await admin({ method: 'GET', url: '/nowhere' })).json()).toMatchObject({ error: { message: 'No route for GET /nowhere' } });
    const response = await admin({ method: 'POST', url: '/constituents', headers: { 'content-type': 'application/json' }, payload: '{"email":' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/not valid JSON/);
  });
});
