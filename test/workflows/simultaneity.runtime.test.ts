/**
 * The durable runtime against the simulator where things happen at the same
 * instant: timers due together fire in arming order (and do not hang the workflow),
 * each step is stamped at its due instant, decisions at the instant of the step
 * before, and an event at a timer's instant comes after the timer.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JourneyDefinition, type JourneyDefinitionInput } from '../../src/journeys/definition.ts';
import { simulateJourney, type TimelineInput } from '../../src/journeys/simulate.ts';
import { createEventRouter, type EventRouter } from '../../src/events/router.ts';
import { interactionSignal } from '../../workflows/contract.ts';
import { within } from '../support/differential.ts';
import { lateReminders } from '../support/tie-journeys.ts';
import { runtimeRecord, simulatedRecords } from '../support/journey-record.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { skipTo, storeAndRoute, storeJourneyVersion, type TimedEvent } from '../support/runtime-timeline.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let runtime: TestRuntime;
let router: EventRouter;

beforeAll(async () => {
  runtime = await startTestRuntime();
  router = createEventRouter({ db: runtime.db, temporal: runtime.env.client, taskQueue: runtime.taskQueue });
});

afterAll(async () => {
  await runtime?.stop();
});

/** The next whole hour of the test server's clock: every instant of a case is a whole number of hours after it. */
async function nextHour(): Promise<number> {
  return Math.ceil(((await runtime.env.currentTimeMs()) + 1) / HOUR) * HOUR;
}

/**
 * Publishes the journey, runs the timeline's trigger through the router and the rest
 * as signals at their instants, runs the enrollment to its end, and returns what the
 * runtime recorded beside what the simulator shows for the same timeline.
 */
async function runBoth(input: JourneyDefinitionInput, trigger: Omit<TimedEvent, 'email' | 'at'>, later: { after: number; type: 'custom' | 'donation'; data: Record<string, unknown> }[] = []) {
  const definition = JourneyDefinition.parse({ ...input, id: `${input.id}-${randomUUID().slice(0, 8)}` });
  await runtime.db.journeyVersion.updateMany({ where: { status: 'published' }, data: { status: 'draft' } });
  await storeJourneyVersion(runtime.db, definition);
  const email = `${definition.id}@example.org`;
  const start = await nextHour();
  const worker = await runtime.worker();
  const recorded = await worker.runUntil(async () => {
    await skipTo(runtime, start);
    const [enrolled] = await storeAndRoute(runtime.db, router, { ...trigger, email, at: start });
    const handle = runtime.env.client.workflow.getHandle(enrolled!.workflowId);
    for (const [index, event] of later.entries()) {
      await skipTo(runtime, start + event.after);
      await handle.signal(interactionSignal, { type: event.type, eventId: `later-${index}`, occurredAt: new Date(start + event.after).toISOString(), data: event.data });
    }
    await within(handle.result(), 60_000, `enrollment ${enrolled!.workflowId}`);
    return runtimeRecord(runtime.db, enrolled!.enrollmentId);
  });
  const timeline: TimelineInput = {
    start: new Date(start).toISOString(),
    events: [
      { at: new Date(start).toISOString(), type: trigger.type, data: trigger.data },
      ...later.map((event) => ({ at: new Date(start + event.after).toISOString(), type: event.type, data: event.data })),
    ],
  };
  return { recorded, simulated: simulatedRecords(simulateJourney(definition, timeline))[0] };
}

describe('timers due at the same instant on the durable runtime', () => {
  it('fire in the order they were armed: a late registrant gets both reminders, in order', async () => {
    const { recorded, simulated } = await runBoth(
      lateReminders,
      { type: 'registration', data: { program: 'Gala', startsAt: new Date((await nextHour()) + 12 * HOUR).toISOString() } },
    );
    expect(simulated?.messages).toEqual(['1:0 email event-reminder-week', '2:0 email event-reminder-day']);
    expect(recorded).toEqual(simulated);
  });

  it('do not hang the workflow when three of them fall due together, and the first armed wins', async () => {
    const { recorded, simulated } = await runBoth(
      {
        id: 'three-at-once',
        name: 'Three at once',
        trigger: { event: 'donation' },
        initial: 'waiting',
        states: {
          waiting: {
            wait: { for: 'custom', to: 'answered', timeout: '3d', then: 'timedOut' },
            after: [
              { delay: '72h', to: 'hours' },
              { delay: 'P3D', to: 'iso' },
            ],
          },
          answered: { final: true },
          timedOut: { entry: [{ do: 'email', template: 'new-donor-impact' }], final: true },
          hours: { final: true },
          iso: { final: true },
        },
      },
      { type: 'donation', data: { amount: 25, currency: 'USD' } },
    );
    expect(simulated?.steps.at(-1)).toMatch(/waiting -> timedOut \[timer\]/);
    expect(recorded).toEqual(simulated);
  });
});

describe('the instant of each step on the durable runtime', () => {
  it('is a timer\'s due instant, and a decision\'s is the step before it', async () => {
    const { recorded, simulated } = await runBoth(
      {
        id: 'decisions',
        name: 'Decisions',
        trigger: { event: 'donation' },
        initial: 'thanked',
        states: {
          thanked: { entry: [{ do: 'email', template: 'first-gift-thank-you' }], after: [{ delay: '1d', to: 'deciding' }] },
          deciding: { choose: [{ when: [{ field: 'trigger.amount', gte: 100 }], to: 'big' }, { to: 'splitting' }] },
          splitting: { split: [{ percent: 50, to: 'later' }, { percent: 50, to: 'later' }] },
          big: { final: true },
          later: { after: [{ delay: '2d', to: 'done' }] },
          done: { entry: [{ do: 'email', template: 'new-donor-impact' }], final: true },
        },
      },
      { type: 'donation', data: { amount: 25, currency: 'USD' } },
    );
    expect(recorded).toEqual(simulated);
  });

  it('puts an event at a wait\'s timeout after the timeout', async () => {
    const { recorded, simulated } = await runBoth(
      {
        id: 'tie',
        name: 'Tie',
        trigger: { event: 'donation' },
        initial: 'waiting',
        states: {
          waiting: { wait: { for: 'custom', to: 'answered', timeout: '2d', then: 'reminded' } },
          reminded: { entry: [{ do: 'email', template: 'new-donor-impact' }], on: { custom: 'answered' }, after: [{ delay: '1d', to: 'done' }] },
          answered: { entry: [{ do: 'email', template: 'first-gift-thank-you' }], final: true },
          done: { final: true },
        },
      },
      { type: 'donation', data: { amount: 25, currency: 'USD' } },
      [{ after: 2 * DAY, type: 'custom', data: { name: 'replied' } }],
    );
    expect(simulated?.steps.slice(1).map((step) => step.replace(/^\d+ /, '').replace(/ \S+$/, ''))).toEqual(['waiting -> reminded [timer]', 'reminded -> answered [custom]']);
    expect(recorded).toEqual(simulated);
  });
});
