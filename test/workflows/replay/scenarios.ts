/**
 * Enrollments that exercise every path of the enrollment workflow (timers, signals,
 * goals, staff tasks and their outcomes, SMS, send windows, pause and resume),
 * run on real parts. Their recorded histories are what the replay test replays.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../../../src/db/client.ts';
import { unrestrictedMessaging } from '../../../src/delivery/settings.ts';
import { parseSendWindow, type SendWindow } from '../../../src/delivery/window.ts';
import { createEventRouter } from '../../../src/events/router.ts';
import { InteractionEventInput } from '../../../src/events/schema.ts';
import { storeEvent } from '../../../src/events/store.ts';
import { loadJourneyCatalog } from '../../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../../src/journeys/publish-catalog.ts';
import { createTaskService } from '../../../src/tasks/service.ts';
import { JourneyDefinition } from '../../../src/journeys/definition.ts';
import { enrollmentStateQuery, migrateSignal, pauseSignal, resumeSignal } from '../../../workflows/contract.ts';
import { createMailTransport } from '../../../src/mail/transport.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import { startSmtpSink } from '../../support/smtp-sink.ts';
import { storeJourneyVersion } from '../../support/runtime-timeline.ts';
import { eventually } from '../../support/wait.ts';

const DAY = 86_400_000;

export interface ReplayScenario {
  name: string;
  /** Runs the scenario to its end; returns the workflow ids whose histories it made. */
  run(runtime: TestRuntime): Promise<string[]>;
}

async function publishOnly(db: Database, journeyId: string): Promise<void> {
  await publishJourneyCatalog(db, await loadJourneyCatalog());
  await db.journeyVersion.updateMany({ data: { status: 'draft' } });
  await db.journeyVersion.updateMany({ where: { journeyId }, data: { status: 'published' } });
}

/** Stores and routes one event; returns the workflow ids it enrolled into. */
async function send(runtime: TestRuntime, type: string, email: string, data: Record<string, unknown>, consent: Record<string, string> = { email: 'granted' }) {
  const input = InteractionEventInput.parse({
    id: randomUUID(),
    type,
    constituent: { email, firstName: 'Ada', lastName: 'Lovelace', phone: '+14155552671', consent },
    data,
  });
  const { event } = await storeEvent(runtime.db, input);
  const router = createEventRouter({ db: runtime.db, temporal: runtime.env.client, taskQueue: runtime.taskQueue });
  return (await router.routeEvent(event)).filter((routed) => routed.action === 'enrolled').map((routed) => routed.workflowId);
}

const address = (name: string) => `${name}-${randomUUID()}@example.org`;

/** Things at one instant: a decision, then three timers due together (the first armed wins), then a zero-length wait. */
const ties = JourneyDefinition.parse({
  id: 'ties',
  name: 'Ties',
  trigger: { event: 'donation' },
  initial: 'deciding',
  states: {
    deciding: { choose: [{ when: [{ field: 'trigger.amount', gte: 1000 }], to: 'done' }, { to: 'waiting' }] },
    waiting: {
      entry: [{ do: 'email', template: 'first-gift-thank-you' }],
      wait: { for: 'custom', to: 'done', timeout: '3d', then: 'timedOut' },
      after: [{ delay: '72h', to: 'done' }, { delay: 'P3D', to: 'done' }],
    },
    timedOut: { entry: [{ do: 'email', template: 'new-donor-impact' }], after: [{ delay: '0s', to: 'done' }] },
    done: { final: true },
  },
});

/** Two versions of one journey, for an enrollment moved from the first onto the second. */
const moving = (version: number, delay: string) =>
  JourneyDefinition.parse({
    id: 'moving',
    name: 'Moving',
    version,
    trigger: { event: 'donation' },
    initial: 'waiting',
    states: { waiting: { entry: [{ do: 'email', template: 'first-gift-thank-you' }], after: [{ delay, to: 'done' }] }, done: { final: true } },
  });

/** Stores the journey as the only one published. */
async function publishAlone(db: Database, definition: JourneyDefinition): Promise<string> {
  await db.journeyVersion.updateMany({ data: { status: 'draft' } });
  return storeJourneyVersion(db, definition);
}

async function runToEnd(runtime: TestRuntime, workflowId: string, meanwhile?: () => Promise<void>, workerOptions = {}): Promise<string[]> {
  const worker = await runtime.worker(workerOptions);
  const handle = runtime.env.client.workflow.getHandle(workflowId);
  await worker.runUntil(async () => {
    await meanwhile?.();
    await handle.result();
  });
  return [workflowId];
}

async function inState(runtime: TestRuntime, workflowId: string, state: string): Promise<void> {
  const handle = runtime.env.client.workflow.getHandle(workflowId);
  await eventually(async () => ((await handle.query(enrollmentStateQuery))?.state === state ? true : undefined), `state ${state}`);
}

function window(hours: string): SendWindow {
  const parsed = parseSendWindow(hours, 'mon-sun');
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
}

export const replayScenarios: ReplayScenario[] = [
  {
    name: 'first-gift-completed',
    async run(runtime) {
      await publishOnly(runtime.db, 'first-gift-thank-you');
      const [workflowId] = await send(runtime, 'donation', address('completed'), { amount: 25, currency: 'USD' });
      return runToEnd(runtime, workflowId!);
    },
  },
  {
    name: 'first-gift-converted',
    async run(runtime) {
      await publishOnly(runtime.db, 'first-gift-thank-you');
      const email = address('converted');
      const [workflowId] = await send(runtime, 'donation', email, { amount: 50, currency: 'USD' });
      return runToEnd(runtime, workflowId!, async () => {
        await inState(runtime, workflowId!, 'thanked');
        await send(runtime, 'donation', email, { amount: 75, currency: 'USD' });
      });
    },
  },
  {
    name: 'new-donor-welcome',
    async run(runtime) {
      await publishOnly(runtime.db, 'new-donor-welcome');
      const [workflowId] = await send(runtime, 'donation', address('welcome'), { amount: 40, currency: 'USD' });
      return runToEnd(runtime, workflowId!);
    },
  },
  {
    name: 'major-gift-tasks',
    async run(runtime) {
      await publishOnly(runtime.db, 'major-gift-prospect');
      const tasks = createTaskService({ db: runtime.db, temporal: runtime.env.client });
      const [workflowId] = await send(runtime, 'donation', address('major'), { amount: 5000, currency: 'USD' });
      const enrollment = await runtime.db.enrollment.findUniqueOrThrow({ where: { workflowId: workflowId! } });
      const openTask = (count: number) =>
        eventually(async () => {
          const open = await runtime.db.staffTask.findMany({ where: { enrollmentId: enrollment.id }, orderBy: { createdAt: 'asc' } });
          return open.length >= count ? open[count - 1] : undefined;
        }, `task ${count}`);
      return runToEnd(
        runtime,
        workflowId!,
        async () => {
          await tasks.complete((await openTask(1)).id, 'no-answer', 'officer@example.org');
          await tasks.complete((await openTask(2)).id, 'card-sent', 'officer@example.org');
        },
        { taskQueueEmails: { 'major-gifts': 'gifts@example.org' } },
      );
    },
  },
  {
    name: 'event-registration-sms',
    async run(runtime) {
      await publishOnly(runtime.db, 'event-registration');
      const email = address('registrant');
      const startsAt = new Date((await runtime.env.currentTimeMs()) + 10 * DAY);
      const [workflowId] = await send(runtime, 'registration', email, { program: 'Spring gala', startsAt: startsAt.toISOString() }, { email: 'granted', sms: 'granted' });
      // Nobody checks in: reminders by email and text, then the no-show follow-up.
      return runToEnd(runtime, workflowId!);
    },
  },
  {
    name: 'simultaneous-timers',
    async run(runtime) {
      await publishAlone(runtime.db, ties);
      const [workflowId] = await send(runtime, 'donation', address('ties'), { amount: 20, currency: 'USD' });
      return runToEnd(runtime, workflowId!);
    },
  },
  {
    name: 'migrated',
    async run(runtime) {
      await publishAlone(runtime.db, moving(1, '3d'));
      const second = await storeJourneyVersion(runtime.db, moving(2, '5d'), 'draft');
      const [workflowId] = await send(runtime, 'donation', address('moving'), { amount: 20, currency: 'USD' });
      return runToEnd(runtime, workflowId!, async () => {
        await inState(runtime, workflowId!, 'waiting');
        await runtime.env.client.workflow.getHandle(workflowId!).signal(migrateSignal, { journeyVersionId: second, states: { waiting: 'waiting' }, at: await runtime.env.currentTimeMs() });
      });
    },
  },
  {
    name: 'send-window-paused',
    async run(runtime) {
      await publishOnly(runtime.db, 'new-donor-welcome');
      const [workflowId] = await send(runtime, 'donation', address('window'), { amount: 30, currency: 'USD' });
      const handle = runtime.env.client.workflow.getHandle(workflowId!);
      // A one-hour window: the first email waits on a durable timer for it; pausing and
      // resuming while it waits holds and releases the enrollment's sends.
      return runToEnd(
        runtime,
        workflowId!,
        async () => {
          await inState(runtime, workflowId!, 'thanked');
          await handle.signal(pauseSignal);
          await handle.signal(resumeSignal);
        },
        { messaging: unrestrictedMessaging({ window: window('03:00-04:00') }) },
      );
    },
  },
  {
    name: 'send-handed-to-activity',
    async run(runtime) {
      await publishOnly(runtime.db, 'first-gift-thank-you');
      // The mail server refuses the first message for now: the attempt inside the workflow
      // task fails and the sendMessage activity sends it.
      const smtp = await startSmtpSink({ deferFirst: 1 });
      const mailer = createMailTransport(smtp.url);
      try {
        const [workflowId] = await send(runtime, 'donation', address('handed'), { amount: 25, currency: 'USD' });
        return await runToEnd(runtime, workflowId!, undefined, { mailer });
      } finally {
        mailer.close();
        await smtp.stop();
      }
    },
  },
];
