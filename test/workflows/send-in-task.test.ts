/**
 * A message's first attempt runs inside the workflow task that asks for it (a local
 * activity), and a failed one is handed to the patient sendMessage activity. On real
 * parts: Temporal's time-skipping test server, a migrated database, real SMTP servers.
 */
import { randomUUID } from 'node:crypto';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { createEventRouter } from '../../src/events/router.ts';
import { InteractionEventInput } from '../../src/events/schema.ts';
import { storeEvent } from '../../src/events/store.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { createMailTransport } from '../../src/mail/transport.ts';
import { SEND_IN_TASK_PATCH } from '../../workflows/enrollment.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startSmtpSink } from '../support/smtp-sink.ts';

const { EventType } = proto.temporal.api.enums.v1;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

let runtime: TestRuntime;
let db: Database;

beforeAll(async () => {
  runtime = await startTestRuntime();
  db = runtime.db;
  await publishJourneyCatalog(db, await loadJourneyCatalog());
});

afterAll(() => runtime?.stop());

/** Stores and routes a first gift; the enrollment's workflow handle. */
async function firstGift(email: string) {
  const router = createEventRouter({ db, temporal: runtime.env.client, taskQueue: runtime.taskQueue });
  const input = InteractionEventInput.parse({
    id: randomUUID(),
    type: 'donation',
    constituent: { email, firstName: 'Ada', consent: { email: 'granted' } },
    data: { amount: 25, currency: 'USD' },
  });
  const [routed] = await router.routeEvent((await storeEvent(db, input)).event);
  return { enrollmentId: routed!.enrollmentId, handle: runtime.env.client.workflow.getHandle(routed!.workflowId) };
}

/** The history up to the thank-you step's end: everything before the 30-day timer fires. */
async function firstStep(handle: ReturnType<TestRuntime['env']['client']['workflow']['getHandle']>): Promise<HistoryEvent[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const fired = events.findIndex((event) => event.eventType === EventType.EVENT_TYPE_TIMER_FIRED);
  return fired === -1 ? events : events.slice(0, fired);
}

const count = (events: HistoryEvent[], type: proto.temporal.api.enums.v1.EventType) => events.filter((event) => event.eventType === type).length;
const patchesIn = (events: HistoryEvent[]) =>
  events
    .filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch')
    .map((event) => JSON.parse(Buffer.from(event.markerRecordedEventAttributes!.details!['patch-data']!.payloads![0]!.data!).toString()).id as string);

describe('a message sent inside the workflow task', () => {
  it('thanks a first gift in the enrollment’s first workflow task: no activity task, one patch marker', async () => {
    const worker = await runtime.worker();
    const email = `in-task-${randomUUID()}@example.org`;
    const { enrollmentId, handle } = await firstGift(email);
    expect(await worker.runUntil(handle.result())).toBe('completed');

    const step = await firstStep(handle);
    expect(count(step, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)).toBe(1);
    expect(count(step, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toBe(0);
    expect(patchesIn(step)).toEqual([SEND_IN_TASK_PATCH]);
    expect(runtime.smtp.messages.filter((mail) => [mail.to].flat().some((to) => to?.value.some((address) => address.address === email)))).toHaveLength(1);
    expect(await db.message.findFirstOrThrow({ where: { enrollmentId } })).toMatchObject({ status: 'sent', sendAttempts: 1 });
  });

  it('hands a send the provider refused for now to the sendMessage activity, which sends it once, with no address in history', async () => {
    let arrived = 0;
    const smtp = await startSmtpSink({ deferFirst: 1, onReceiving: () => arrived++ });
    const mailer = createMailTransport(smtp.url);
    try {
      const worker = await runtime.worker({ mailer });
      const email = `handed-${randomUUID()}@example.org`;
      const { enrollmentId, handle } = await firstGift(email);
      expect(await worker.runUntil(handle.result())).toBe('completed');

      // The first attempt's message was refused for now; the activity's was accepted.
      expect(arrived).toBe(2);
      expect(smtp.messages).toHaveLength(1);
      const step = await firstStep(handle);
      const scheduled = step.filter((event) => event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
      expect(scheduled.map((event) => event.activityTaskScheduledEventAttributes?.activityType?.name)).toEqual(['sendMessage']);
      expect(await db.message.findFirstOrThrow({ where: { enrollmentId } })).toMatchObject({ status: 'sent', sendAttempts: 2, leaseToken: null });
      // The refusal quoted the address; the failed attempt kept in history says [email] instead.
      const failed = step.find((event) => event.markerRecordedEventAttributes?.failure);
      expect(failed?.markerRecordedEventAttributes?.failure?.message).toContain('<[email]>: Recipient address rejected');
      const history = JSON.stringify(await handle.fetchHistory());
      expect(history).not.toContain(email);
      expect(history).not.toContain(email.split('@')[0]);
    } finally {
      mailer.close();
      await smtp.stop();
    }
  });
});
