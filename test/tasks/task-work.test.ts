/**
 * Staff tasks as people work them, on real parts (the Temporal test server with a
 * worker, the database, an SMTP server receiving the queue's notice): the card shows
 * what the task is for from the records, a staff key opens only the constituents its
 * tasks concern, claims are released and tasks handed on, the completer is always
 * recorded, a task is completed once (one after another and all at once), and the
 * journey carries on from the recorded outcome exactly once.
 */
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, StaffTask } from '../../src/db/client.ts';
import { JourneyDefinition, type JourneyDefinitionInput } from '../../src/journeys/definition.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { bearer, makeKey, routed, signedInCookie } from '../support/api.ts';
import { startChannelStack, type ChannelStack } from '../support/channel-stack.ts';
import { eventually } from '../support/wait.ts';

const ORG_TIME_ZONE = 'America/Chicago';
const STAFF_NAME = 'Sam (stewardship)';

const thanks: JourneyDefinitionInput = {
  id: 'spring-thank-you-call',
  name: 'Spring thank-you call',
  trigger: { event: 'donation', when: [{ field: 'event.campaign', eq: 'Spring appeal' }] },
  initial: 'thanked',
  states: {
    thanked: {
      entry: [
        { do: 'email', template: 'new-donor-thanks' },
        { do: 'task', queue: 'stewardship', title: 'Call to say thank you', due: '48h' },
      ],
      on: { 'task-completed': 'followed' },
      after: [{ delay: '30d', to: 'done' }],
    },
    followed: { entry: [{ do: 'email', template: 'new-donor-impact' }], after: [{ delay: '30d', to: 'done' }] },
    done: { final: true },
  },
};

let stack: ChannelStack;
let db: Database;
let worker: Worker;
let working: Promise<void>;
let staffKey: string;
let staffKeyId: string;

beforeAll(async () => {
  stack = await startChannelStack();
  db = stack.runtime.db;
  await publishJourneyCatalog(db, [{ definition: JourneyDefinition.parse(thanks), source: 'spring-thank-you-call.test', publishOnStart: true }]);
  worker = await stack.runtime.worker({ messaging: { ...stack.messaging, defaultTimeZone: ORG_TIME_ZONE } });
  working = worker.run();
  staffKey = await makeKey(stack.services.keys, ['staff'], STAFF_NAME);
  staffKeyId = (await stack.services.keys.authenticate(staffKey))!.id;
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await working;
  await stack?.stop();
});

const staff = (options: { method: 'GET' | 'POST'; url: string; payload?: object }) => stack.api.inject({ ...options, headers: bearer(staffKey) });

async function donate(constituent: Record<string, unknown>, data: Record<string, unknown>, occurredAt?: string) {
  const response = await stack.call({ method: 'POST', url: '/events', payload: { id: randomUUID(), type: 'donation', constituent, data, ...(occurredAt ? { occurredAt } : {}) } });
  return (await routed(stack.call, response)).enrollments;
}

/** A donor who gave last year and again now to the spring appeal, whose journey made a thank-you call task. */
async function donorWithTask(person: { firstName: string; lastName: string; phone?: string }) {
  const email = `${person.firstName.toLowerCase()}-${randomUUID()}@example.org`;
  const constituent = { ...person, email, consent: { email: 'granted' } };
  await donate(constituent, { amount: 100, currency: 'USD', campaign: 'Autumn appeal' }, '2025-06-01T12:00:00Z');
  const [enrollment] = await donate(constituent, { amount: 250, currency: 'USD', campaign: 'Spring appeal', fund: 'Harbour shelter' });
  const task = await eventually(async () => (await db.staffTask.findFirst({ where: { enrollmentId: enrollment!.enrollmentId } })) ?? undefined, 'the thank-you call task');
  const { id: constituentId } = await db.constituent.findUniqueOrThrow({ where: { email } });
  return { task, constituentId, email, enrollmentId: enrollment!.enrollmentId };
}

/** The enrollment's steps taken on a task's outcome, and the follow-up emails sent. */
async function carriedOn(enrollmentId: string) {
  const [steps, followUps] = await Promise.all([
    db.enrollmentTransition.count({ where: { enrollmentId, cause: 'task-completed' } }),
    db.message.count({ where: { enrollmentId, template: 'new-donor-impact' } }),
  ]);
  return { steps, followUps };
}

async function waitUntilCarriedOn(enrollmentId: string) {
  await eventually(async () => ((await db.enrollment.findUniqueOrThrow({ where: { id: enrollmentId } })).currentState === 'followed' ? true : undefined), 'the journey to carry on');
  await eventually(async () => ((await carriedOn(enrollmentId)).followUps === 1 ? true : undefined), 'the follow-up email');
}

describe('the task card', () => {
  it('shows the constituent, how to reach them, the gift behind the task, their giving, messages sent and notes, from the records', async () => {
    const { task, constituentId, email } = await donorWithTask({ firstName: 'Octavia', lastName: 'Hill', phone: '+1 (503) 555-0142' });
    // Notes from an earlier call to the same person, kept on its task.
    await db.staffTask.create({
      data: {
        idempotencyKey: randomUUID(),
        constituentId,
        queue: 'stewardship',
        title: 'Earlier call',
        status: 'completed',
        outcome: 'reached',
        completedBy: 'Maria',
        completedAt: new Date('2026-01-10T15:00:00Z'),
        notes: 'Prefers calls after 5pm',
      },
    });
    await eventually(async () => (await db.message.findFirst({ where: { constituentId, template: 'new-donor-thanks', status: 'sent' } })) ?? undefined, 'the thank-you email');

    const response = await staff({ method: 'GET', url: `/tasks/${task.id}` });
    expect(response.statusCode).toBe(200);
    const { card } = response.json();
    expect(card.constituent).toEqual({ id: constituentId, name: 'Octavia Hill', email, phone: '+1 (503) 555-0142' });
    expect(card.cause).toMatchObject({ type: 'donation', amount: '250.00', currency: 'USD', campaign: 'Spring appeal', fund: 'Harbour shelter' });
    expect(card.giving).toEqual([
      { currency: 'USD', count: 2, lifetime: '350.00', thisYear: '250.00', firstGiftAt: '2025-06-01T12:00:00.000Z', lastGiftAt: card.cause.occurredAt },
    ]);
    expect(card.recentMessages).toEqual([expect.objectContaining({ channel: 'email', template: 'new-donor-thanks', status: 'sent' })]);
    expect(card.notes).toEqual([expect.objectContaining({ title: 'Earlier call', notes: 'Prefers calls after 5pm', by: 'Maria', outcome: 'reached' })]);

    // The inbox and the task's own page show the same, the phone and email as links.
    const cookie = await signedInCookie(stack.api, staffKey);
    for (const url of ['/app/inbox?queue=stewardship', `/app/tasks/${task.id}`]) {
      const page = await stack.api.inject({ method: 'GET', url, headers: { cookie } });
      expect(page.statusCode).toBe(200);
      const card = page.body.slice(page.body.indexOf(`data-task="${task.id}"`));
      expect(card).toContain('href="tel:+15035550142"');
      expect(card).toContain(`href="mailto:${email}"`);
      expect(card).toContain('Gift of USD 250.00 (campaign Spring appeal, fund Harbour shelter)');
      expect(card).toContain('2 gifts: USD 350.00 in all, USD 250.00 this year');
      expect(card).toContain('Prefers calls after 5pm');
    }
  });

  it('is refused for a task that does not exist', async () => {
    expect((await staff({ method: 'GET', url: `/tasks/${randomUUID()}` })).statusCode).toBe(404);
  });
});

describe('the queue notification email', () => {
  it('links to the task in the web app, with the amount and times in the organisation’s time zone', async () => {
    const { task, email } = await donorWithTask({ firstName: 'Ebenezer', lastName: 'Howard', phone: '+15035550177' });
    const notice = await eventually(
      async () => stack.runtime.smtp.messages.find((message) => message.subject?.includes('Ebenezer Howard') && (message.to as { text: string }).text === 'stewardship@tasks.steward.localhost'),
      'the notice to the stewardship queue',
    );
    const text = notice.text!;
    expect(notice.subject).toBe('[Stewardship] Call to say thank you: Ebenezer Howard (USD 250.00)');
    expect(text).toContain(`Open the task: ${stack.apiUrl}/app/tasks/${task.id}`);
    expect(text).toContain('Because: a gift of USD 250.00 (campaign Spring appeal, fund Harbour shelter)');
    expect(text).toContain(`Email: ${email}`);
    expect(text).toContain('Phone: +15035550177');
    // The due time as a clock in Chicago reads it, with the zone named; not UTC.
    const local = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-US', { timeZone: ORG_TIME_ZONE, ...options }).format(task.dueAt!);
    const clock = `${local({ hour: '2-digit', hourCycle: 'h23' }).padStart(2, '0')}:${local({ minute: '2-digit' }).padStart(2, '0')}`;
    const zone = local({ timeZoneName: 'short' }).split(' ').at(-1)!;
    expect(zone).toMatch(/^C[SD]T$/);
    expect(text).toMatch(new RegExp(`Due: \\d{1,2} \\w{3} \\d{4}, ${clock} ${zone}`));
    expect(text).not.toContain(task.dueAt!.toISOString());
  });
});

describe('who may open a constituent', () => {
  it('lets a staff key open only the constituents its tasks concern', async () => {
    const { task, constituentId } = await donorWithTask({ firstName: 'Mary', lastName: 'Carpenter' });
    const stranger = await db.constituent.create({ data: { email: `stranger-${randomUUID()}@example.org`, firstName: 'Unrelated' } });
    const cookie = await signedInCookie(stack.api, staffKey);
    const page = (id: string) => stack.api.inject({ method: 'GET', url: `/app/constituents/${id}`, headers: { cookie } });

    // An open task in a queue concerns whoever works the queues.
    expect((await staff({ method: 'GET', url: `/constituents/${constituentId}` })).statusCode).toBe(200);
    expect((await staff({ method: 'GET', url: `/constituents/${constituentId}/timeline` })).statusCode).toBe(200);
    expect((await page(constituentId)).statusCode).toBe(200);
    // Nobody's task: refused, by the API and the page.
    const refused = await staff({ method: 'GET', url: `/constituents/${stranger.id}` });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toMatch(/may not open this constituent: .*staff: only the constituents of their tasks/);
    expect((await staff({ method: 'GET', url: `/constituents/${stranger.id}/timeline` })).statusCode).toBe(403);
    expect((await page(stranger.id)).statusCode).toBe(403);

    // Held by a colleague, the task is no longer this key's.
    expect((await stack.call({ method: 'POST', url: `/tasks/${task.id}/claim`, payload: { assignee: 'Omar' } })).statusCode).toBe(200);
    expect((await staff({ method: 'GET', url: `/constituents/${constituentId}` })).statusCode).toBe(403);
    expect((await page(constituentId)).statusCode).toBe(403);
    // Handed to this key's holder, it is theirs again.
    expect((await stack.call({ method: 'POST', url: `/tasks/${task.id}/reassign`, payload: { assignee: STAFF_NAME } })).statusCode).toBe(200);
    expect((await staff({ method: 'GET', url: `/constituents/${constituentId}` })).statusCode).toBe(200);
    // A key that may read sees everyone.
    expect((await stack.call({ method: 'GET', url: `/constituents/${stranger.id}` })).statusCode).toBe(200);
  });
});

describe('working a task', () => {
  it('releases a claim and hands a task to another person or queue', async () => {
    const { task } = await donorWithTask({ firstName: 'Jane', lastName: 'Addams' });
    const claimed = await staff({ method: 'POST', url: `/tasks/${task.id}/claim`, payload: { assignee: STAFF_NAME } });
    expect(claimed.json()).toMatchObject({ status: 'claimed', assignee: STAFF_NAME });

    const released = await staff({ method: 'POST', url: `/tasks/${task.id}/release` });
    expect(released.statusCode).toBe(200);
    expect(released.json()).toMatchObject({ status: 'open', assignee: null, claimedAt: null });
    const again = await staff({ method: 'POST', url: `/tasks/${task.id}/release` });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toBe(`Task ${task.id} is not claimed`);

    const toPerson = await staff({ method: 'POST', url: `/tasks/${task.id}/reassign`, payload: { assignee: 'Omar', queue: 'major-gifts' } });
    expect(toPerson.json()).toMatchObject({ status: 'claimed', assignee: 'Omar', queue: 'major-gifts' });
    const toQueue = await staff({ method: 'POST', url: `/tasks/${task.id}/reassign`, payload: { queue: 'donor-care' } });
    expect(toQueue.json()).toMatchObject({ status: 'open', assignee: null, queue: 'donor-care' });

    const nowhere = await staff({ method: 'POST', url: `/tasks/${task.id}/reassign`, payload: { queue: 'nowhere' } });
    expect(nowhere.statusCode).toBe(400);
    expect(nowhere.json().error.issues).toEqual([expect.objectContaining({ path: 'queue' })]);
    const nobody = await staff({ method: 'POST', url: `/tasks/${task.id}/reassign`, payload: {} });
    expect(nobody.statusCode).toBe(400);
    expect(nobody.json().error.issues[0].message).toBe('name an assignee, a queue, or both');

    await staff({ method: 'POST', url: `/tasks/${task.id}/complete`, payload: { outcome: 'reached' } });
    expect((await staff({ method: 'POST', url: `/tasks/${task.id}/reassign`, payload: { queue: 'stewardship' } })).statusCode).toBe(409);
    expect((await staff({ method: 'POST', url: `/tasks/${task.id}/release` })).statusCode).toBe(409);
  });

  it('records who completed it and their notes, refuses a second completion with what was recorded, and the journey carries on once', async () => {
    const { task, constituentId, enrollmentId } = await donorWithTask({ firstName: 'Florence', lastName: 'Kelley' });
    const done = await staff({ method: 'POST', url: `/tasks/${task.id}/complete`, payload: { outcome: 'reached', notes: 'Delighted; asked about volunteering' } });
    expect(done.statusCode).toBe(200);
    const stored = await db.staffTask.findUniqueOrThrow({ where: { id: task.id } });
    // No --by: the key's holder is who completed it.
    expect(stored).toMatchObject({ status: 'completed', outcome: 'reached', completedBy: STAFF_NAME, completedByKeyId: staffKeyId, notes: 'Delighted; asked about volunteering' });
    await waitUntilCarriedOn(enrollmentId);

    for (const outcome of ['reached', 'no-answer']) {
      const second = await staff({ method: 'POST', url: `/tasks/${task.id}/complete`, payload: { outcome, by: 'Someone else' } });
      expect(second.statusCode).toBe(409);
      expect(second.json()).toEqual({
        error: { message: `Task ${task.id} was already completed with outcome "reached" by ${STAFF_NAME} at ${stored.completedAt!.toISOString()}` },
        completed: { outcome: 'reached', completedBy: STAFF_NAME, completedAt: stored.completedAt!.toISOString() },
      });
    }
    expect(await db.staffTask.findUniqueOrThrow({ where: { id: task.id } })).toEqual(expect.objectContaining({ outcome: 'reached', completedBy: STAFF_NAME, notes: stored.notes }));

    // Notes are shown on the card and the constituent's timeline.
    const card = (await staff({ method: 'GET', url: `/tasks/${task.id}` })).json();
    expect(card).toMatchObject({ notes: 'Delighted; asked about volunteering', card: { notes: [expect.objectContaining({ notes: 'Delighted; asked about volunteering', by: STAFF_NAME })] } });
    const timeline = (await staff({ method: 'GET', url: `/constituents/${constituentId}/timeline?kinds=task` })).json().entries;
    expect(timeline[0].summary).toBe(`Task for stewardship: Call to say thank you — reached (${STAFF_NAME}): “Delighted; asked about volunteering”`);

    await stack.services.tasks.deliverPendingOutcomes();
    expect(await carriedOn(enrollmentId)).toEqual({ steps: 1, followUps: 1 });
  });

  it('lets exactly one of several completions at once win, and the journey carries on from it once', async () => {
    const { task, enrollmentId } = await donorWithTask({ firstName: 'Lillian', lastName: 'Wald' });
    const outcomes = ['reached', 'left-message', 'no-answer', 'done', 'reached'];
    const answers = await Promise.all(
      outcomes.map((outcome, index) => staff({ method: 'POST', url: `/tasks/${task.id}/complete`, payload: { outcome, by: `caller ${index}` } })),
    );
    const won = answers.filter((answer) => answer.statusCode === 200 || answer.statusCode === 202);
    expect(won).toHaveLength(1);
    expect(answers.filter((answer) => answer.statusCode === 409)).toHaveLength(outcomes.length - 1);
    const winner = won[0]!.json().task as StaffTask;
    const stored = await db.staffTask.findUniqueOrThrow({ where: { id: task.id } });
    expect(stored).toMatchObject({ outcome: winner.outcome, completedBy: winner.completedBy });
    for (const answer of answers.filter((item) => item.statusCode === 409)) {
      expect(answer.json().completed).toEqual({ outcome: stored.outcome, completedBy: stored.completedBy, completedAt: stored.completedAt!.toISOString() });
    }

    await waitUntilCarriedOn(enrollmentId);
    await stack.services.tasks.deliverPendingOutcomes();
    expect(await carriedOn(enrollmentId)).toEqual({ steps: 1, followUps: 1 });
    const step = await db.enrollmentTransition.findFirstOrThrow({ where: { enrollmentId, cause: 'task-completed' } });
    expect(step).toMatchObject({ fromState: 'thanked', toState: 'followed' });
  });
});
