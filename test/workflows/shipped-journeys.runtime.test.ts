/**
 * Every shipped journey through the real runtime: HTTP intake, the router, the
 * enrollment workflow on Temporal's time-skipping test server, activities on a
 * real database and a real SMTP server, and staff completing tasks through the
 * task service. Months of journey time pass in seconds; the test asserts the exact
 * messages, tasks and steps, including branches on task outcomes.
 */
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.ts';
import type { Database } from '../../src/db/client.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { createServices } from '../../src/services.ts';
import type { TaskService } from '../../src/tasks/service.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';
import { injectWithKey, makeKey, routed } from '../support/api.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

let runtime: TestRuntime;
let env: TestRuntime['env'];
let db: Database;
let smtp: TestRuntime['smtp'];
let api: FastifyInstance;
let call: ReturnType<typeof injectWithKey>;
let tasks: TaskService;
let worker: Worker;

beforeAll(async () => {
  runtime = await startTestRuntime();
  ({ env, db, smtp } = runtime);
  await publishJourneyCatalog(db, await loadJourneyCatalog());
  const services = createServices({ db, temporal: env.client, taskQueue: runtime.taskQueue });
  tasks = services.tasks;
  api = buildApi(services);
  call = injectWithKey(api, await makeKey(services.keys));
});

// A worker runs until its test's journey ends; each test starts its own.
beforeEach(async () => {
  worker = await runtime.worker({ taskQueueEmails: { 'major-gifts': 'gifts@example.org' } });
});

afterAll(async () => {
  await api?.close();
  await runtime?.stop();
});

/** Only this journey is live, so each test sees one journey's behaviour. */
async function publishOnly(journeyId: string) {
  await db.journeyVersion.updateMany({ data: { status: 'draft' } });
  await db.journeyVersion.updateMany({ where: { journeyId }, data: { status: 'published' } });
}

async function post(type: string, email: string, data: Record<string, unknown>, firstName = 'Ada') {
  const response = await call({
    method: 'POST',
    url: '/events',
    payload: { id: randomUUID(), type, constituent: { email, firstName, lastName: 'Lovelace', phone: '+15551230000', consent: { email: 'granted' } }, data },
  });
  return routed(call, response);
}

async function grantSms(email: string) {
  const constituent = await db.constituent.findUniqueOrThrow({ where: { email } });
  await db.constituentConsent.create({ data: { constituentId: constituent.id, channel: 'sms', status: 'granted', source: 'test form' } });
}

/** The enrollment as steps (with days since enrollment), messages and tasks. */
async function history(enrollmentId: string) {
  const enrollment = await db.enrollment.findUniqueOrThrow({
    where: { id: enrollmentId },
    include: {
      transitions: { orderBy: { sequence: 'asc' } },
      messages: { orderBy: { createdAt: 'asc' } },
      tasks: { orderBy: { createdAt: 'asc' } },
    },
  });
  const start = enrollment.transitions[0]?.at.getTime() ?? 0;
  return {
    status: enrollment.status,
    steps: enrollment.transitions.map((step) => `${step.fromState ?? '(start)'} -> ${step.toState} [${step.cause}] +${Math.round(((step.at.getTime() - start) / DAY) * 24) / 24}d`),
    messages: enrollment.messages.map((message) => `${message.channel} ${message.template} ${message.status}${message.audience === 'staff' ? ` to staff at ${message.recipient}` : ''}`),
    tasks: enrollment.tasks.map((task) => `${task.queue}: ${task.title} (${task.status}${task.outcome ? `: ${task.outcome}` : ''})`),
  };
}

async function openTask(enrollmentId: string, count: number) {
  return eventually(async () => {
    const open = await db.staffTask.findMany({ where: { enrollmentId }, orderBy: { createdAt: 'asc' } });
    return open.length >= count ? open[count - 1] : undefined;
  }, `task ${count} of enrollment ${enrollmentId}`);
}

describe('shipped journeys on the durable runtime', () => {
  it('new-donor-welcome: thanks, impact at 7 days, ask at 30 days, completes at 60', async () => {
    await publishOnly('new-donor-welcome');
    const email = `welcome-${randomUUID()}@example.org`;
    const { enrollments } = await post('donation', email, { amount: 40, currency: 'USD' });
    const result = await worker.runUntil(env.client.workflow.getHandle(enrollments[0]!.workflowId).result());
    expect(result).toBe('completed');
    expect(await history(enrollments[0]!.enrollmentId)).toEqual({
      status: 'completed',
      steps: ['(start) -> thanked [enrolled] +0d', 'thanked -> impact [timer] +7d', 'impact -> secondAsk [timer] +30d', 'secondAsk -> completed [timer] +60d'],
      messages: ['email new-donor-thanks sent', 'email new-donor-impact sent', 'email new-donor-second-ask sent'],
      tasks: [],
    });
    const ask = smtp.messages.find((mail) => (mail.to as { text: string }).text === email && mail.subject?.startsWith('Will you give again'));
    // The ask ladder: 1.5 × the last gift of 40, rounded up to a friendly amount.
    expect(ask?.text).toContain('$60.00');
    const constituent = await db.constituent.findUniqueOrThrow({ where: { email } });
    expect(constituent.attributes).toEqual({ donorStage: 'new' });
  });

  it('major-gift-prospect: the officer gets no answer, a card is sent, the donor is followed up', async () => {
    await publishOnly('major-gift-prospect');
    const email = `major-${randomUUID()}@example.org`;
    const { enrollments } = await post('donation', email, { amount: 5000, currency: 'USD' }, 'Grace');
    const { enrollmentId, workflowId } = enrollments[0]!;
    const result = await worker.runUntil(async () => {
      const call = await openTask(enrollmentId, 1);
      expect(call.dueAt!.getTime() - call.createdAt.getTime()).toBeGreaterThan(47 * HOUR);
      await tasks.claim(call.id, 'officer@example.org');
      expect((await tasks.complete(call.id, 'no-answer', 'officer@example.org')).delivered).toBe(true);
      const card = await openTask(enrollmentId, 2);
      await tasks.complete(card.id, 'card-sent');
      return env.client.workflow.getHandle(workflowId).result();
    });
    expect(result).toBe('completed');
    expect(await history(enrollmentId)).toEqual({
      status: 'completed',
      steps: [
        '(start) -> thanked [enrolled] +0d',
        'thanked -> noAnswer [task-completed] +0d',
        'noAnswer -> followUp [task-completed] +0d',
        'followUp -> stewarded [timer] +30d',
      ],
      messages: [
        'email major-gift-thanks sent',
        'email staff-task-notification sent to staff at gifts@example.org',
        'email staff-task-notification sent to staff at stewardship@tasks.steward.localhost',
        'email major-gift-follow-up sent',
      ],
      tasks: ['major-gifts: Call to thank a major donor (completed: no-answer)', 'stewardship: Send a handwritten thank-you card to a major donor (completed: card-sent)'],
    });
    const notice = smtp.messages.find((mail) => (mail.to as { text: string }).text === 'gifts@example.org');
    expect(notice?.subject).toBe('[Major gifts] Call to thank a major donor: Grace Lovelace (USD 5,000.00)');
    expect(notice?.text).toContain(email);
    // Work mail to staff: nothing to unsubscribe from, and not an ask the donor received.
    expect(notice?.headers.has('list-unsubscribe')).toBe(false);
    const constituent = await db.constituent.findUniqueOrThrow({ where: { email } });
    const record = await db.message.findFirstOrThrow({ where: { constituentId: constituent.id, recipient: 'gifts@example.org' } });
    expect(notice?.messageId).toBe(`<${record.id}@steward.localhost>`);
    const timeline = (await call({ method: 'GET', url: `/constituents/${constituent.id}/timeline?kinds=message,task` })).json();
    expect(timeline.entries.filter((entry: { kind: string }) => entry.kind === 'message').map((entry: { summary: string }) => entry.summary)).toEqual([
      'Email major-gift-follow-up: sent',
      'Email major-gift-thanks: sent',
    ]);
    expect(timeline.entries.filter((entry: { kind: string }) => entry.kind === 'task')).toHaveLength(2);
  });

  it('major-gift-prospect: a meeting booked converts the donor into cultivation', async () => {
    await publishOnly('major-gift-prospect');
    const email = `cultivate-${randomUUID()}@example.org`;
    const { enrollments } = await post('donation', email, { amount: 2500, currency: 'USD' });
    const { enrollmentId, workflowId } = enrollments[0]!;
    const result = await worker.runUntil(async () => {
      const call = await openTask(enrollmentId, 1);
      await tasks.complete(call.id, 'meeting-booked');
      return env.client.workflow.getHandle(workflowId).result();
    });
    expect(result).toBe('converted');
    expect((await history(enrollmentId)).steps).toEqual(['(start) -> thanked [enrolled] +0d', 'thanked -> cultivation [task-completed] +0d']);
    expect((await db.constituent.findUniqueOrThrow({ where: { email } })).attributes).toEqual({ prospectStage: 'cultivation' });
  });

  it('lapsed-donor-winback: email and text with consent, a staff call after 14 days, a pledge, then a last note', async () => {
    await publishOnly('lapsed-donor-winback');
    const email = `lapsed-${randomUUID()}@example.org`;
    await post('custom', email, { name: 'signed-up' });
    await grantSms(email);
    const { enrollments } = await post('drop-off', email, { kind: 'lapsed', days: 400 });
    const { enrollmentId, workflowId } = enrollments[0]!;
    const result = await worker.runUntil(async () => {
      await eventually(async () => ((await history(enrollmentId)).steps.length === 3 ? true : undefined), 'the wait for a gift');
      await env.sleep(14 * DAY + HOUR);
      const call = await openTask(enrollmentId, 1);
      await tasks.complete(call.id, 'pledged');
      return env.client.workflow.getHandle(workflowId).result();
    });
    expect(result).toBe('completed');
    const seen = await history(enrollmentId);
    expect(seen.steps.map((step) => step.replace(/ \+[\d.]+d$/, ''))).toEqual([
      '(start) -> weMissYou [enrolled]',
      'weMissYou -> textNudge [decision]',
      'textNudge -> waitingForGift [decision]',
      'waitingForGift -> staffCall [timer]',
      'staffCall -> pledged [task-completed]',
      'pledged -> lastChance [timer]',
      'lastChance -> stillLapsed [timer]',
    ]);
    expect(seen.steps[3]).toMatch(/\+14d$/);
    expect(seen.messages).toEqual([
      'email winback-we-miss-you sent',
      // No SMS provider is configured yet: the text is recorded, not sent.
      'sms winback-sms suppressed',
      'email staff-task-notification sent to staff at stewardship@tasks.steward.localhost',
      'email winback-last-chance sent',
    ]);
    expect(seen.tasks).toEqual(['stewardship: Call a lapsed donor to say we miss them (completed: pledged)']);
  });

  it('recurring-gift-recovery: donor care updates the card and the next monthly gift converts', async () => {
    await publishOnly('recurring-gift-recovery');
    const email = `monthly-${randomUUID()}@example.org`;
    const { enrollments } = await post('drop-off', email, { kind: 'recurring-failed' });
    const { enrollmentId, workflowId } = enrollments[0]!;
    const result = await worker.runUntil(async () => {
      await eventually(async () => ((await history(enrollmentId)).steps.length === 1 ? true : undefined), 'the first notice');
      await env.sleep(7 * DAY + HOUR);
      const task = await openTask(enrollmentId, 1);
      await tasks.complete(task.id, 'updated');
      await eventually(async () => ((await history(enrollmentId)).steps.at(-1)?.includes('-> updated') ? true : undefined), 'the updated state');
      const gift = await post('donation', email, { amount: 20, currency: 'USD', recurring: true });
      // The gift reaches the running enrollment, which takes its step on it.
      await eventually(async () => {
        const event = (await call({ method: 'GET', url: `/events/${gift.eventId}` })).json();
        return event.enrollments.some((entry: { enrollmentId: string; action: string }) => entry.enrollmentId === enrollmentId && entry.action === 'signalled') ? true : undefined;
      }, 'the gift to move the enrollment on');
      return env.client.workflow.getHandle(workflowId).result();
    });
    expect(result).toBe('converted');
    const seen = await history(enrollmentId);
    expect(seen.steps.map((step) => step.replace(/ \+[\d.]+d$/, ''))).toEqual([
      '(start) -> notified [enrolled]',
      'notified -> reminded [timer]',
      'reminded -> waiting [decision]',
      'waiting -> donorCare [timer]',
      'donorCare -> updated [task-completed]',
      'updated -> goalReached [donation]',
    ]);
    expect(seen.messages).toEqual([
      'email recurring-gift-failed sent',
      'email recurring-gift-failed-reminder sent',
      'email staff-task-notification sent to staff at donor-care@tasks.steward.localhost',
    ]);
    expect(await db.enrollment.findUniqueOrThrow({ where: { id: enrollmentId } })).toMatchObject({ goalName: 'recurring-restored' });
  });

  it('event-registration: confirmation, both reminders at the right moments, and a thank-you after check-in', async () => {
    await publishOnly('event-registration');
    const email = `gala-${randomUUID()}@example.org`;
    const now = await env.currentTimeMs();
    const startsAt = new Date(now + 18 * DAY);
    const { enrollments } = await post('registration', email, { program: 'Spring gala', startsAt: startsAt.toISOString() });
    const { enrollmentId, workflowId } = enrollments[0]!;
    const result = await worker.runUntil(async () => {
      await eventually(async () => ((await history(enrollmentId)).steps.length === 2 ? true : undefined), 'the confirmation');
      await env.sleep(startsAt.getTime() + 30 * 60_000 - (await env.currentTimeMs()));
      await eventually(async () => ((await history(enrollmentId)).steps.at(-1)?.includes('-> eventDay') ? true : undefined), 'the event day');
      await post('custom', email, { name: 'checked-in' });
      return env.client.workflow.getHandle(workflowId).result();
    });
    expect(result).toBe('converted');
    const seen = await history(enrollmentId);
    expect(seen.messages).toEqual([
      'email event-confirmation sent',
      'email event-reminder-week sent',
      'email event-reminder-day sent',
      'email event-thank-you sent',
    ]);
    const transitions = await db.enrollmentTransition.findMany({ where: { enrollmentId }, orderBy: { sequence: 'asc' } });
    const at = (state: string) => transitions.find((step) => step.toState === state)!.at.getTime();
    // Each reminder goes out when its moment comes (give or take the moment a workflow task takes).
    for (const [state, before] of [['weekReminder', 7 * DAY], ['dayReminder', DAY]] as const) {
      expect(at(state) - (startsAt.getTime() - before), state).toBeGreaterThanOrEqual(0);
      expect(at(state) - (startsAt.getTime() - before), state).toBeLessThan(60_000);
    }
    const confirmation = smtp.messages.find((mail) => (mail.to as { text: string }).text === email && mail.subject === 'You are registered: Spring gala');
    expect(confirmation?.text).toContain('Thank you for registering for Spring gala');
  });
});
