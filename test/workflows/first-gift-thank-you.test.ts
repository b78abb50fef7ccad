/**
 * The first-gift journey end to end on real parts: Temporal's time-skipping test
 * server, a migrated PostgreSQL (or PGlite) database and an SMTP server that
 * receives the thank-you email.
 */
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import type { Database } from '../../src/db/client.ts';
import { createEventRouter, type EventRouter } from '../../src/events/router.ts';
import { InteractionEventInput } from '../../src/events/schema.ts';
import { storeEvent } from '../../src/events/store.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { enrollmentStateQuery } from '../../workflows/contract.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

let runtime: TestRuntime;
let env: TestRuntime['env'];
let db: Database;
let smtp: TestRuntime['smtp'];
let mailer: TestRuntime['mailer'];

beforeAll(async () => {
  runtime = await startTestRuntime();
  ({ env, db, smtp, mailer } = runtime);
  await publishJourneyCatalog(db, await loadJourneyCatalog());
});

afterAll(() => runtime?.stop());

afterEach(() => {
  smtp.messages.length = 0;
});

/** A fresh worker (one per run) and a router that starts workflows on its task queue. */
async function journeyRuntime(): Promise<{ worker: Worker; router: EventRouter }> {
  return { worker: await runtime.worker(), router: createEventRouter({ db, temporal: env.client, taskQueue: runtime.taskQueue }) };
}

function donation(email: string, amount: number, id = randomUUID()) {
  return InteractionEventInput.parse({
    id,
    type: 'donation',
    constituent: { email, firstName: 'Ada', lastName: 'Lovelace', consent: { email: 'granted' } },
    data: { amount, currency: 'USD' },
  });
}

async function ingest(router: EventRouter, input: ReturnType<typeof donation>) {
  const { event } = await storeEvent(db, input);
  return router.routeEvent(event);
}

describe('first-gift thank-you journey', () => {
  it('thanks a first gift by email at once and completes after the 30-day stewardship window', async () => {
    const { worker, router } = await journeyRuntime();
    const email = `ada-${randomUUID()}@example.org`;

    const routed = await ingest(router, donation(email, 25));
    expect(routed).toHaveLength(1);
    expect(routed[0]).toMatchObject({ journeyId: 'first-gift-thank-you', action: 'enrolled' });
    const handle = env.client.workflow.getHandle(routed[0]!.workflowId);

    const started = Date.now();
    const outcome = await worker.runUntil(handle.result());
    expect(outcome).toBe('completed');
    // The 30-day timer ran on skipped time, not the wall clock.
    expect(Date.now() - started).toBeLessThan(30 * DAY_MS);

    const [mail] = await smtp.waitForMessages(1);
    expect(smtp.messages).toHaveLength(1);
    expect(mail!.to).toMatchObject({ value: [{ address: email }] });
    expect(mail!.subject).toBe('Thank you for your gift, Ada');
    expect(mail!.text).toContain('Dear Ada,');
    expect(mail!.text).toContain('$25.00');
    expect(mail!.html).toContain('$25.00');

    const enrollment = await db.enrollment.findUniqueOrThrow({
      where: { id: routed[0]!.enrollmentId },
      include: { transitions: { orderBy: { sequence: 'asc' } }, messages: true },
    });
    expect(enrollment).toMatchObject({ status: 'completed', currentState: 'completed' });
    expect(enrollment.exitedAt).not.toBeNull();
    expect(enrollment.transitions.map(({ fromState, toState, cause }) => [fromState, toState, cause])).toEqual([
      [null, 'thanked', 'enrolled'],
      ['thanked', 'completed', 'timer'],
    ]);
    const [thanked, completed] = enrollment.transitions;
    // The window closes 30 days after the thank-you (plus the moment the timer's task takes to run).
    const window = completed!.at.getTime() - thanked!.at.getTime();
    expect(window).toBeGreaterThanOrEqual(30 * DAY_MS);
    expect(window).toBeLessThan(30 * DAY_MS + 60_000);
    expect(enrollment.messages).toMatchObject([{ channel: 'email', template: 'first-gift-thank-you', status: 'sent', recipient: email }]);
  });

  it('converts on a second gift within the window and does not thank it as a first gift', async () => {
    const { worker, router } = await journeyRuntime();
    const email = `grace-${randomUUID()}@example.org`;

    const [first] = await ingest(router, donation(email, 50));
    const handle = env.client.workflow.getHandle(first!.workflowId);
    const outcome = await worker.runUntil(async () => {
      await eventually(async () => {
        const view = await handle.query(enrollmentStateQuery);
        return view?.state === 'thanked' && view.timers.length === 1 ? view : undefined;
      }, 'the thank-you step');
      const second = await ingest(router, donation(email, 75));
      expect(second).toEqual([expect.objectContaining({ enrollmentId: first!.enrollmentId, action: 'signalled' })]);
      return handle.result();
    });

    expect(outcome).toBe('converted');
    expect(smtp.messages).toHaveLength(1);
    const enrollment = await db.enrollment.findUniqueOrThrow({ where: { id: first!.enrollmentId } });
    expect(enrollment).toMatchObject({ status: 'converted', currentState: 'goalReached', goalName: 'second-gift' });
    expect(await db.enrollment.count({ where: { constituent: { email } } })).toBe(1);
  });

  it('sends one email when the same event is stored and routed twice', async () => {
    const { worker, router } = await journeyRuntime();
    const input = donation(`alan-${randomUUID()}@example.org`, 10);

    const [first] = await ingest(router, input);
    const again = await storeEvent(db, input);
    expect(again.duplicate).toBe(true);
    // Routing again (as after a crash before routedAt was written) is harmless.
    const [rerouted] = await router.routeEvent(again.event);
    expect(rerouted).toEqual(first);

    const handle = env.client.workflow.getHandle(first!.workflowId);
    await worker.runUntil(async () => {
      await eventually(async () => ((await handle.query(enrollmentStateQuery))?.state === 'thanked' ? true : undefined), 'the thank-you step');
      await smtp.waitForMessages(1);
    });
    expect(smtp.messages).toHaveLength(1);
    expect(await db.interactionEvent.count({ where: { idempotencyKey: input.id } })).toBe(1);
    expect(await db.message.count({ where: { enrollmentId: first!.enrollmentId } })).toBe(1);
  });

  it('does not send again when the email activity is retried with the same key', async () => {
    const router = createEventRouter({ db, temporal: env.client, taskQueue: `unpolled-${randomUUID()}` });
    const { event } = await storeEvent(db, donation(`retry-${randomUUID()}@example.org`, 5));
    const [enrolled] = await router.routeEvent(event);
    const { sendMessage } = createActivities({ db, mailer, mailFrom: 'test@steward.localhost' });
    const input = {
      channel: 'email' as const,
      enrollmentId: enrolled!.enrollmentId,
      constituentId: event.constituentId,
      template: 'first-gift-thank-you',
      eventId: event.id,
      idempotencyKey: `${enrolled!.enrollmentId}:retry:0`,
    };

    const first = await sendMessage(input);
    const second = await sendMessage(input);
    expect(first.status).toBe('sent');
    expect(second).toEqual(first);
    await smtp.waitForMessages(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.messages).toHaveLength(1);
  });
});
