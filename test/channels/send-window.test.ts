/**
 * Send windows in a running journey: a message outside the recipient's window
 * waits on a durable timer and goes when the window opens, or is cancelled when
 * the enrollment ends first. Its own runtime, so the test server's clock starts
 * fresh: these tests reason about the hour of day.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.ts';
import type { Database } from '../../src/db/client.ts';
import { unrestrictedMessaging } from '../../src/delivery/settings.ts';
import { JourneyDefinition, type JourneyDefinitionInput } from '../../src/journeys/definition.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { parseSendWindow } from '../../src/delivery/window.ts';
import { createServices, type Services } from '../../src/services.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';
import { injectWithKey, makeKey, routed } from '../support/api.ts';

let runtime: TestRuntime;
let db: Database;
let services: Services;
let api: FastifyInstance;
let call: ReturnType<typeof injectWithKey>;
const messaging = unrestrictedMessaging();

beforeAll(async () => {
  runtime = await startTestRuntime();
  db = runtime.db;
  services = createServices({ db, temporal: runtime.env.client, taskQueue: runtime.taskQueue });
  api = buildApi(services);
  call = injectWithKey(api, await makeKey(services.keys));
}, 120_000);

afterAll(async () => {
  await api?.close();
  await runtime?.stop();
});

/**
 * One email, sent within a one-hour window that opens 12 hours from now (UTC), "now"
 * being the workflows' clock: the test server moves it ahead as earlier tests skip time.
 */
async function windowedJourney(id: string) {
  const opensHour = (new Date(await runtime.env.currentTimeMs()).getUTCHours() + 12) % 24;
  const hours = `${String(opensHour).padStart(2, '0')}:00-${String(opensHour + 1).padStart(2, '0')}:00`;
  const definition: JourneyDefinitionInput = {
    id,
    name: id,
    trigger: { event: 'custom', when: [{ field: 'event.name', eq: id }] },
    delivery: { window: { hours, days: 'mon-sun' } },
    initial: 'sending',
    states: { sending: { entry: [{ do: 'email', template: 'new-donor-impact' }], after: [{ delay: '10d', to: 'done' }] }, done: { final: true } },
  };
  await publishJourneyCatalog(db, [{ definition: JourneyDefinition.parse(definition), source: `${id}.test`, publishOnStart: true }]);
  return { opensHour, hours };
}

async function trigger(name: string) {
  const response = await call({
    method: 'POST',
    url: '/events',
    payload: { id: randomUUID(), type: 'custom', constituent: { email: `${randomUUID()}@example.org`, timezone: 'UTC', consent: { email: 'granted' } }, data: { name } },
  });
  const body = await routed(call, response);
  const enrollment = await db.enrollment.findUniqueOrThrow({ where: { id: body.enrollments[0]!.enrollmentId } });
  return { enrollment, handle: runtime.env.client.workflow.getHandle(enrollment.workflowId) };
}

describe('send windows in a journey', () => {
  it("holds a message durably until the recipient's window opens, then sends it", async () => {
    // A one-hour window that is closed now wherever the recipient is: the hour starting 12 hours from now, in UTC.
    const { opensHour, hours } = await windowedJourney('window-hold');
    const worker = await runtime.worker({ messaging });
    const enrolledAt = await runtime.env.currentTimeMs();
    const { enrollment, handle } = await trigger('window-hold');
    await worker.runUntil(async () => {
      const waiting = await eventually(async () => (await db.message.findFirst({ where: { enrollmentId: enrollment.id, scheduledFor: { not: null } } })) ?? undefined, 'the decision to wait');
      expect(waiting.status).toBe('scheduled');
      expect(waiting.error).toBe(`outside the send window (${hours} mon,tue,wed,thu,fri,sat,sun UTC)`);
      const opens = waiting.scheduledFor!.getTime();
      // The opening, on the hour (judged on the workflow's clock, which the test server moves ahead).
      expect([new Date(opens).getUTCHours(), new Date(opens).getUTCMinutes()]).toEqual([opensHour, 0]);
      expect(opens).toBeGreaterThan(enrolledAt);
      // The API and the timeline say when it will go and why it waits.
      const view = (await call({ method: 'GET', url: `/enrollments/${enrollment.id}` })).json();
      expect(view.messages).toEqual([
        expect.objectContaining({ status: 'scheduled', class: 'marketing', scheduledFor: waiting.scheduledFor!.toISOString(), reason: waiting.error }),
      ]);
      const timeline = (await call({ method: 'GET', url: `/constituents/${enrollment.constituentId}/timeline?kinds=message` })).json();
      expect(timeline.entries[0]).toMatchObject({
        summary: `Email new-donor-impact: scheduled for ${waiting.scheduledFor!.toISOString()} (${waiting.error})`,
        details: { scheduledFor: waiting.scheduledFor!.toISOString(), reason: waiting.error, class: 'marketing' },
      });
      // Awaiting the result lets the test server skip time: to the opening, then to the journey's end.
      expect(await handle.result()).toBe('completed');
      const sent = await db.message.findFirstOrThrow({ where: { enrollmentId: enrollment.id } });
      expect(sent.status).toBe('sent');
      expect(sent.countedAt!.getTime()).toBeGreaterThanOrEqual(opens);
    });
    const { id } = await db.message.findFirstOrThrow({ where: { enrollmentId: enrollment.id } });
    expect(runtime.smtp.messages.filter((mail) => mail.headers.get('x-steward-message-id') === id)).toHaveLength(1);
  });

  it('cancels a waiting message when the enrollment is removed before its window opens', async () => {
    await windowedJourney('window-cancel');
    const worker = await runtime.worker({ messaging });
    const { enrollment, handle } = await trigger('window-cancel');
    const outcome = await worker.runUntil(async () => {
      await eventually(async () => (await db.message.findFirst({ where: { enrollmentId: enrollment.id, scheduledFor: { not: null } } })) ?? undefined, 'the decision to wait');
      await services.lifecycle.remove(enrollment.id, 'asked not to be contacted');
      return handle.result();
    });
    expect(outcome).toBe('exited');
    expect(await db.message.findFirstOrThrow({ where: { enrollmentId: enrollment.id } })).toMatchObject({
      status: 'cancelled',
      error: 'enrollment exited before the message could go out',
    });
  });

  it('thanks a first gift at once at night, and a second gift soon after does not cancel the thank-you', async () => {
    // The window is closed now (it opens 12 hours from now); the thank-you answers the donor's act, so it goes anyway.
    const { hours } = await windowedJourney('window-night');
    const window = parseSendWindow(hours, 'mon-sun');
    if ('error' in window) throw new Error(window.error);
    const [firstGift] = (await loadJourneyCatalog()).filter((journey) => journey.definition.id === 'first-gift-thank-you');
    await publishJourneyCatalog(db, [{ ...firstGift!, publishOnStart: true }]);
    const worker = await runtime.worker({ messaging: { ...messaging, window } });
    const email = `night-${randomUUID()}@example.org`;
    const gift = (amount: number) =>
      call({ method: 'POST', url: '/events', payload: { id: randomUUID(), type: 'donation', constituent: { email, firstName: 'Ada', timezone: 'UTC', consent: { email: 'granted' } }, data: { amount, currency: 'USD' } } });
    const { enrollments } = await routed(call, await gift(25));
    const enrollment = enrollments.find((entry) => entry.journeyId === 'first-gift-thank-you')!;
    const outcome = await worker.runUntil(async () => {
      const sent = await eventually(async () => (await db.message.findFirst({ where: { enrollmentId: enrollment.enrollmentId, status: 'sent' } })) ?? undefined, 'the thank-you to go at once');
      expect(sent).toMatchObject({ template: 'first-gift-thank-you', messageClass: 'transactional', scheduledFor: null });
      await routed(call, await gift(40));
      return runtime.env.client.workflow.getHandle(enrollment.workflowId).result();
    });
    expect(outcome).toBe('converted');
    expect(await db.message.findMany({ where: { enrollmentId: enrollment.enrollmentId }, select: { status: true } })).toEqual([{ status: 'sent' }]);
    expect(runtime.smtp.messages.filter((mail) => (mail.to as { text: string }).text === email)).toHaveLength(1);
  });
});
