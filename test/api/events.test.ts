/**
 * The HTTP API over real parts: PostgreSQL (or PGlite), the Temporal test server,
 * an SMTP server. Requests go through Fastify's injector, the full request path.
 */
import { randomUUID } from 'node:crypto';
import { Connection, Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.ts';
import type { Database } from '../../src/db/client.ts';
import { createEventRouter } from '../../src/events/router.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { createServices } from '../../src/services.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';
import { injectWithKey, makeKey, routed } from '../support/api.ts';

let runtime: TestRuntime;
let env: TestRuntime['env'];
let db: Database;
let smtp: TestRuntime['smtp'];
let api: FastifyInstance;
let call: ReturnType<typeof injectWithKey>;
let key: string;
let worker: Worker;
let taskQueue: string;
let services: ReturnType<typeof createServices>;

beforeAll(async () => {
  runtime = await startTestRuntime();
  ({ env, db, smtp, taskQueue } = runtime);
  await publishJourneyCatalog(db, await loadJourneyCatalog());
  worker = await runtime.worker();
  services = createServices({ db, temporal: env.client, taskQueue });
  api = buildApi(services);
  key = await makeKey(services.keys, ['ingest', 'read']);
  call = injectWithKey(api, key);
});

afterAll(async () => {
  await api?.close();
  await runtime?.stop();
});

function donationBody(overrides: Record<string, unknown> = {}) {
  return {
    id: `gift-${randomUUID()}`,
    type: 'donation',
    constituent: { email: `grace-${randomUUID()}@example.org`, firstName: 'Grace', lastName: 'Hopper', consent: { email: 'granted' } },
    data: { amount: 42.5, currency: 'USD' },
    ...overrides,
  };
}

/** What is stored, once the routing that earlier requests started has settled. */
async function rowCounts() {
  await services.routing.idle();
  const [constituents, events, enrollments, messages] = await Promise.all([
    db.constituent.count(),
    db.interactionEvent.count(),
    db.enrollment.count(),
    db.message.count(),
  ]);
  return { constituents, events, enrollments, messages };
}

describe('POST /events', () => {
  it('answers 400 naming the bad field, and writes nothing', async () => {
    const before = await rowCounts();
    const response = await call({
      method: 'POST',
      url: '/events',
      payload: donationBody({ data: { amount: 'lots', currency: 'USD' } }),
    });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: { message: 'Invalid event', issues: [{ path: 'data.amount', message: expect.stringMatching(/number/) }] },
    });
    expect(await rowCounts()).toEqual(before);
  });

  it('answers 400 with the same error shape for a body that is not JSON', async () => {
    const response = await call({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json' },
      payload: '{"id": "x", ',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { message: expect.stringMatching(/not valid JSON/), issues: [{ path: 'body', message: 'is not valid JSON' }] } });
  });

  it('stores a donation, enrolls the donor, and sends one thank-you even when the event is posted twice', async () => {
    const body = donationBody();
    const first = await call({ method: 'POST', url: '/events', payload: body });
    expect(first.statusCode).toBe(202);
    // Answered once stored; routing follows, and the answer says where to watch it.
    const accepted = first.json();
    expect(accepted).toEqual({
      eventId: expect.any(String),
      duplicate: false,
      routing: expect.stringMatching(/^(queued|routed)$/),
      status: `/events/${accepted.eventId}`,
      // What became of the consent it carried.
      consent: [{ channel: 'email', status: 'granted', outcome: 'applied' }],
    });
    const routedTo = await routed(call, first);
    expect(routedTo.enrollments).toEqual([expect.objectContaining({ journeyId: 'first-gift-thank-you', action: 'enrolled' })]);

    const again = await call({ method: 'POST', url: '/events', payload: body });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual({ eventId: accepted.eventId, duplicate: true, routing: 'routed', status: `/events/${accepted.eventId}` });

    const enrollmentId: string = routedTo.enrollments[0]!.enrollmentId;
    const view = await worker.runUntil(async () => {
      await smtp.waitForMessages(1);
      return eventually(async () => {
        const response = await call({ method: 'GET', url: `/enrollments/${enrollmentId}` });
        const enrollment = response.json();
        return enrollment.messages?.[0]?.status === 'sent' ? enrollment : undefined;
      }, 'the thank-you to be recorded as sent');
    });

    const mails = smtp.messages.filter((mail) => mail.subject === 'Thank you for your gift, Grace');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain('$42.50');
    expect(view).toMatchObject({
      id: enrollmentId,
      status: 'active',
      currentState: 'thanked',
      journeyVersion: { journeyId: 'first-gift-thank-you', version: 2 },
      triggerEventId: accepted.eventId,
      transitions: [{ sequence: 0, fromState: null, toState: 'thanked', cause: 'enrolled' }],
      messages: [{ channel: 'email', template: 'first-gift-thank-you', status: 'sent' }],
    });
    expect(view).not.toHaveProperty('snapshot');
    // The next step the journey takes on its own: the end of the 30-day stewardship window.
    const thankedAt = Date.parse(view.transitions[0].at);
    expect(view.nextStep).toEqual({ state: 'thanked', at: new Date(thankedAt + 30 * 86_400_000).toISOString() });
    expect(await db.interactionEvent.count({ where: { idempotencyKey: body.id } })).toBe(1);
  });

  it('starts no journey for a gift already old when it arrived, nor for imported history, which still counts as giving', async () => {
    const late = donationBody({ occurredAt: new Date(Date.now() - 30 * 86_400_000).toISOString() });
    const lateRouting = await routed(call, await call({ method: 'POST', url: '/events', payload: late }));
    expect(lateRouting.enrollments).toEqual([]);

    // Five years of a donor's giving, loaded as history.
    const email = `history-${randomUUID()}@example.org`;
    const past = [5, 4, 3].map((years) => donationBody({ occurredAt: new Date(Date.now() - years * 365 * 86_400_000).toISOString(), constituent: { email, consent: { email: 'granted' } } }));
    const loaded = await call({ method: 'POST', url: '/events/batch', payload: { events: past, history: true } });
    expect(loaded.statusCode).toBe(202);
    expect(loaded.json().results.map((result: { routing: string }) => result.routing)).toEqual(['history', 'history', 'history']);
    const first = loaded.json().results[0].eventId;
    expect((await call({ method: 'GET', url: `/events/${first}` })).json()).toMatchObject({ routing: 'history', enrollments: [] });
    expect(await db.interactionEvent.count({ where: { constituent: { email }, historical: true, routedAt: { not: null } } })).toBe(3);

    // Their gift today is not a first gift: the history counts.
    const today = await routed(call, await call({ method: 'POST', url: '/events', payload: donationBody({ constituent: { email, consent: { email: 'granted' } } }) }));
    expect(today.enrollments.map((enrollment) => enrollment.journeyId)).not.toContain('first-gift-thank-you');
  });

  it('keeps an event it could not route while Temporal is unreachable, and routes it later', async () => {
    const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '500ms' }) });
    const offline = buildApi(createServices({ db, temporal: unreachable, taskQueue, temporalTimeoutMs: 1_000 }));
    const body = donationBody();

    const response = await injectWithKey(offline, key)({ method: 'POST', url: '/events', payload: body });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ duplicate: false, routing: 'queued' });
    // Closing waits for the routing pass the intake started, which Temporal does not answer.
    await offline.close();
    const stored = await db.interactionEvent.findUniqueOrThrow({ where: { idempotencyKey: body.id } });
    expect(stored.routedAt).toBeNull();

    // Back online: the background pass routes what was left pending.
    await createEventRouter({ db, temporal: env.client, taskQueue }).routePending();
    expect((await db.interactionEvent.findUniqueOrThrow({ where: { idempotencyKey: body.id } })).routedAt).not.toBeNull();
    const enrollment = await db.enrollment.findFirstOrThrow({ where: { triggerEventId: stored.id } });
    expect(enrollment.journeyVersionId).toBeDefined();
  });
});

describe('event ids', () => {
  it('refuses an id reused for a different event, keeping the first one as it was', async () => {
    const body = donationBody();
    expect((await call({ method: 'POST', url: '/events', payload: body })).statusCode).toBe(202);
    // Key order is not content: the same event written differently is still a duplicate.
    const reordered = { data: body.data, constituent: body.constituent, type: body.type, id: body.id };
    expect((await call({ method: 'POST', url: '/events', payload: reordered })).json()).toMatchObject({ duplicate: true });

    const changed = await call({ method: 'POST', url: '/events', payload: { ...body, data: { amount: 99, currency: 'USD' } } });
    expect(changed.statusCode).toBe(409);
    expect(changed.json()).toEqual({
      error: {
        message: `Event id "${body.id}" was already used for a different event; give this event its own id`,
        issues: [{ path: 'id', message: 'already used for a different event' }],
      },
    });
    const stored = await db.interactionEvent.findUniqueOrThrow({ where: { idempotencyKey: body.id } });
    expect(stored.amount?.toString()).toBe('42.5');
  });

  it('refuses a batch with a reused id before storing any of it', async () => {
    const stored = donationBody();
    await call({ method: 'POST', url: '/events', payload: stored });
    const before = await rowCounts();
    const fresh = donationBody();
    const response = await call({
      method: 'POST',
      url: '/events/batch',
      payload: { events: [fresh, { ...stored, data: { amount: 1, currency: 'USD' } }, { ...fresh, data: { amount: 2, currency: 'USD' } }] },
    });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.issues).toEqual([
      { path: 'events.1.id', message: 'already used for a different event' },
      { path: 'events.2.id', message: 'already used for a different event' },
    ]);
    expect(await rowCounts()).toEqual(before);
  });
});

describe('POST /events/batch', () => {
  it('rejects the whole batch when one event is malformed, naming it by index, and writes nothing', async () => {
    const before = await rowCounts();
    const response = await call({
      method: 'POST',
      url: '/events/batch',
      payload: { events: [donationBody(), donationBody({ data: { amount: 5, currency: 'dollars' } })] },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.issues).toEqual([{ path: 'events.1.data.currency', message: expect.stringMatching(/ISO 4217/) }]);
    expect(await rowCounts()).toEqual(before);
  });

  it('accepts a batch, each event idempotent on its own id', async () => {
    const first = donationBody();
    const response = await call({ method: 'POST', url: '/events/batch', payload: { events: [first, donationBody(), first] } });
    expect(response.statusCode).toBe(202);
    const { accepted, results } = response.json();
    expect(accepted).toBe(3);
    expect(results.map((result: { duplicate: boolean }) => result.duplicate)).toEqual([false, false, true]);
    expect(results[2].eventId).toBe(results[0].eventId);
  });

  it('writes nothing for events stored before, even beside new ones: no consent, no change to the constituent', async () => {
    const first = donationBody();
    expect((await call({ method: 'POST', url: '/events', payload: first })).statusCode).toBe(202);
    const email = first.constituent.email;
    const consentsOf = () => db.consentChange.count({ where: { constituent: { email } } });
    const consentsBefore = await consentsOf();
    const before = await db.constituent.findUniqueOrThrow({ where: { email } });

    // The same event again, with its keys in another order: a repeat, so its consent is not recorded twice.
    const again = await call({ method: 'POST', url: '/events', payload: { constituent: first.constituent, data: first.data, type: first.type, id: first.id } });
    expect(again.json()).toMatchObject({ duplicate: true });
    const fresh = donationBody();
    const batch = await call({ method: 'POST', url: '/events/batch', payload: { events: [fresh, first] } });
    expect(batch.statusCode).toBe(202);
    expect(batch.json().results.map((result: { duplicate: boolean }) => result.duplicate)).toEqual([false, true]);

    expect(await consentsOf()).toBe(consentsBefore);
    expect((await db.constituent.findUniqueOrThrow({ where: { email } })).updatedAt).toEqual(before.updatedAt);
    expect(await db.interactionEvent.count({ where: { idempotencyKey: { in: [first.id, fresh.id] } } })).toBe(2);
    expect(await db.consentChange.count({ where: { constituent: { email: fresh.constituent.email } } })).toBe(1);
  });

  it('writes nothing of a batch whose later event the database refuses', async () => {
    // What a batch writes: constituents and events (enrollments may still be arriving from earlier tests' routing).
    const stored = async () => ({ constituents: await db.constituent.count(), events: await db.interactionEvent.count(), consents: await db.consentChange.count() });
    const before = await stored();
    // PostgreSQL refuses a NUL character in JSON text: the second event fails in the database, not in validation.
    const refused = donationBody({ data: { amount: 5, currency: 'USD', campaign: 'nul\u0000here' } });
    const response = await call({ method: 'POST', url: '/events/batch', payload: { events: [donationBody(), refused] } });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(await stored()).toEqual(before);
  });

  it("routes a batch's events for one constituent in the order they came: the first gift enrolls, the second moves that enrollment on", async () => {
    const email = `order-${randomUUID()}@example.org`;
    const gifts = [1, 2].map((n) => donationBody({ id: `gift-${n}-${randomUUID()}`, constituent: { email, firstName: 'Ada', consent: { email: 'granted' } } }));
    const response = await call({ method: 'POST', url: '/events/batch', payload: { events: gifts } });
    expect(response.statusCode).toBe(202);
    const [first, second] = response.json().results as { eventId: string }[];
    await eventually(async () => ((await db.interactionEvent.count({ where: { id: { in: [first!.eventId, second!.eventId] }, routedAt: { not: null } } })) === 2 ? true : undefined), 'both gifts routed');
    const enrollments = await db.enrollment.findMany({ where: { constituent: { email } } });
    expect(enrollments).toEqual([expect.objectContaining({ triggerEventId: first!.eventId })]);
  });
});

describe('other routes', () => {
  it('GET /health reports a reachable database', async () => {
    const response = await call({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answers unknown enrollments and routes with 404 in the one error shape', async () => {
    const missing = await call({ method: 'GET', url: '/enrollments/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { message: 'Enrollment nope not found' } });
    const unknown = await call({ method: 'GET', url: '/nowhere' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: { message: 'No route for GET /nowhere', issues: [{ path: 'url', message: 'names no route' }] } });
  });
});
