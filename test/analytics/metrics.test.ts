/**
 * The analytics on a small dataset built by hand, where every number can be worked
 * out on paper: the comments beside the rows say which count each row should land in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalytics, type Analytics } from '../../src/analytics/metrics.ts';
import type { Database } from '../../src/db/client.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const now = new Date('2026-06-15T12:00:00.000Z');
const at = (iso: string) => new Date(iso.length === 10 ? `${iso}T00:00:00.000Z` : iso);
const DAY = 86_400_000;
const HOUR = 3_600_000;

let database: TestDatabase;
let db: Database;
let analytics: Analytics;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.prisma;
  analytics = createAnalytics(db);
  await seed();
});
afterAll(() => database?.drop());

type Step = [from: string | null, to: string, cause: string];

async function enroll(
  id: string,
  constituentId: string,
  journeyVersionId: string,
  fields: { status: 'active' | 'completed' | 'converted' | 'exited'; enteredAt: string; exitedAt?: string; goalReachedAt?: string; triggerEventId?: string },
  steps: Step[],
) {
  await db.enrollment.create({
    data: {
      id,
      workflowId: `wf-${id}`,
      constituentId,
      journeyVersionId,
      status: fields.status,
      currentState: steps.at(-1)![1],
      enteredAt: at(fields.enteredAt),
      exitedAt: fields.exitedAt ? at(fields.exitedAt) : null,
      goalReachedAt: fields.goalReachedAt ? at(fields.goalReachedAt) : null,
      triggerEventId: fields.triggerEventId ?? null,
    },
  });
  await db.enrollmentTransition.createMany({
    data: steps.map(([fromState, toState, cause], sequence) => ({
      enrollmentId: id,
      sequence,
      fromState,
      toState,
      cause,
      at: new Date(at(fields.enteredAt).getTime() + sequence * HOUR),
    })),
  });
}

let eventCount = 0;
async function event(id: string, constituentId: string, type: 'donation' | 'registration', occurredAt: string, money?: [amount: string, currency: string]) {
  eventCount += 1;
  await db.interactionEvent.create({
    data: {
      id,
      idempotencyKey: `key-${eventCount}`,
      type,
      constituentId,
      data: {},
      amount: money?.[0] ?? null,
      currency: money?.[1] ?? null,
      occurredAt: at(occurredAt),
    },
  });
}

async function message(id: string, enrollmentId: string, constituentId: string, channel: 'email' | 'sms', template: string, status: string, sentAt?: string, why: { error?: string; errorCode?: string } = {}) {
  await db.message.create({
    data: {
      ...why,
      id,
      idempotencyKey: id,
      enrollmentId,
      constituentId,
      channel,
      template,
      recipient: `${constituentId}@example.org`,
      status: status as never,
      sentAt: sentAt ? at(sentAt) : null,
    },
  });
}

async function task(id: string, queue: string, status: 'open' | 'claimed' | 'completed' | 'cancelled', times: { created: string; due?: string; claimed?: string; completed?: string }) {
  await db.staffTask.create({
    data: {
      id,
      idempotencyKey: id,
      queue,
      title: 'Call',
      status,
      createdAt: at(times.created),
      dueAt: times.due ? at(times.due) : null,
      claimedAt: times.claimed ? at(times.claimed) : null,
      completedAt: times.completed ? at(times.completed) : null,
    },
  });
}

async function seed() {
  await db.constituent.createMany({ data: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'l'].map((id) => ({ id, email: `${id}@example.org` })) });
  await db.journey.createMany({
    data: [
      { id: 'welcome', name: 'Welcome' },
      { id: 'other', name: 'Other' },
      { id: 'empty', name: 'Empty' },
    ],
  });
  await db.journeyVersion.createMany({
    data: [
      { id: 'welcome-1', journeyId: 'welcome', version: 1, definition: {}, status: 'archived' },
      { id: 'welcome-2', journeyId: 'welcome', version: 2, definition: {}, status: 'published' },
      { id: 'other-1', journeyId: 'other', version: 1, definition: {}, status: 'draft' },
    ],
  });

  // Gifts and registrations. Welcome's attributed revenue: USD 50 + 10 + 5 + 25 = 90.00 (4 gifts), CAD 30.00 (1 gift).
  await event('a-trigger', 'a', 'donation', '2026-06-01', ['100.00', 'USD']); // enrolled A: not attributed
  await event('a-registered', 'a', 'registration', '2026-06-02');
  await event('a-gift', 'a', 'donation', '2026-06-03', ['50.00', 'USD']); // at the moment A converted: attributed
  await event('a-late', 'a', 'donation', '2026-06-10', ['999.00', 'USD']); // after A left Welcome; attributed to A's Other enrollment
  await event('a-2025', 'a', 'donation', '2025-01-01', ['15.00', 'USD']); // prior-year gift: A is retained
  await event('b-trigger', 'b', 'donation', '2026-06-05', ['20.00', 'CAD']); // enrolled B: not attributed
  await event('b-gift', 'b', 'donation', '2026-06-09', ['30.00', 'CAD']);
  await event('c-gift', 'c', 'donation', '2026-06-04', ['10.00', 'USD']);
  await event('c-2020', 'c', 'donation', '2020-01-01', ['10.00', 'USD']); // long ago: C is neither prior nor new
  await event('d-before', 'd', 'donation', '2026-04-30', ['40.00', 'USD']); // before D enrolled: not attributed
  await event('d-2024', 'd', 'donation', '2024-07-01', ['40.00', 'USD']); // prior-year gift: D is retained
  await event('e-gift', 'e', 'donation', '2026-06-15T06:00:00.000Z', ['5.00', 'USD']);
  await event('e-tomorrow', 'e', 'donation', '2026-06-16', ['7.00', 'USD']); // after `now`: not attributed, not counted
  await event('h-goal', 'h', 'donation', '2026-05-20', ['25.00', 'USD']);
  await event('l-lapsed', 'l', 'donation', '2024-12-01', ['60.00', 'USD']); // prior-year donor who did not come back
  await event('g-registered', 'g', 'registration', '2025-01-01'); // not a gift: G is no donor

  // Welcome: 8 enrollments over two versions. Converted A (2 days), B (4 days), H (10 days).
  await enroll('e-a', 'a', 'welcome-1', { status: 'converted', enteredAt: '2026-06-01', exitedAt: '2026-06-03', goalReachedAt: '2026-06-03', triggerEventId: 'a-trigger' }, [
    [null, 'thanked', 'enrolled'],
    ['thanked', 'impact', 'timer'],
    ['impact', 'goalReached', 'donation'],
  ]);
  await enroll('e-b', 'b', 'welcome-2', { status: 'converted', enteredAt: '2026-06-05', exitedAt: '2026-06-09', goalReachedAt: '2026-06-09', triggerEventId: 'b-trigger' }, [
    [null, 'thanked', 'enrolled'],
    ['thanked', 'goalReached', 'donation'],
  ]);
  await enroll('e-c', 'c', 'welcome-2', { status: 'exited', enteredAt: '2026-06-02', exitedAt: '2026-06-06' }, [
    [null, 'thanked', 'enrolled'],
    ['thanked', 'impact', 'timer'],
    ['impact', 'exited', 'unsubscribed'],
  ]);
  await enroll('e-d', 'd', 'welcome-2', { status: 'completed', enteredAt: '2026-05-01', exitedAt: '2026-05-31' }, [
    [null, 'thanked', 'enrolled'],
    ['thanked', 'impact', 'timer'],
    ['impact', 'secondAsk', 'timer'],
    ['secondAsk', 'completed', 'timer'],
  ]);
  // E went back to thanked and on to impact again: each state still counts E once.
  await enroll('e-e', 'e', 'welcome-2', { status: 'active', enteredAt: '2026-06-14' }, [
    [null, 'thanked', 'enrolled'],
    ['thanked', 'impact', 'timer'],
    ['impact', 'thanked', 'custom'],
    ['thanked', 'impact', 'timer'],
  ]);
  await enroll('e-f', 'f', 'welcome-2', { status: 'active', enteredAt: '2026-06-15T01:00:00.000Z' }, [[null, 'thanked', 'enrolled']]);
  await enroll('e-h', 'h', 'welcome-2', { status: 'converted', enteredAt: '2026-05-10', exitedAt: '2026-05-20', goalReachedAt: '2026-05-20' }, [
    [null, 'thanked', 'enrolled'],
    ['thanked', 'impact', 'timer'],
    ['impact', 'secondAsk', 'timer'],
    ['secondAsk', 'goalReached', 'donation'],
  ]);
  await enroll('e-i', 'i', 'welcome-1', { status: 'exited', enteredAt: '2026-04-01', exitedAt: '2026-04-02' }, [
    [null, 'thanked', 'enrolled'],
    ['thanked', 'exited', 'removed'],
  ]);
  // Other: A again, active since 2026-06-05, so A's gift of 2026-06-10 counts here.
  await enroll('e-g', 'a', 'other-1', { status: 'active', enteredAt: '2026-06-05' }, [[null, 'thanked', 'enrolled']]);

  await message('m-a', 'e-a', 'a', 'email', 'welcome-thanks', 'delivered', '2026-06-01T00:10:00.000Z'); // A registered a day later: responded
  await message('m-b', 'e-b', 'b', 'email', 'welcome-thanks', 'sent', '2026-06-05T00:10:00.000Z'); // B gave 4 days later: responded
  await message('m-d', 'e-d', 'd', 'email', 'welcome-thanks', 'delivered', '2026-05-01T00:10:00.000Z'); // D gave nothing after
  await message('m-e', 'e-e', 'e', 'email', 'welcome-thanks', 'suppressed', undefined, { error: 'email consent withdrawn (unsubscribe link in message m-a)' });
  await message('m-c', 'e-c', 'c', 'email', 'welcome-impact', 'delivered', '2026-06-05'); // C's gift came before it
  await message('m-h', 'e-h', 'h', 'email', 'welcome-impact', 'delivered', '2026-05-11'); // H gave 9 days later
  await message('m-f1', 'e-f', 'f', 'sms', 'welcome-sms', 'failed', undefined, { error: 'Twilio undelivered (21211)', errorCode: '21211' });
  await message('m-f2', 'e-f', 'f', 'sms', 'welcome-sms', 'pending'); // neither sent nor refused yet
  await message('m-g', 'e-g', 'a', 'email', 'other-hello', 'delivered', '2026-06-05'); // Other's, not Welcome's
  // The major-gifts queue told about B's task: a notice to staff, not an ask B could answer.
  await db.message.create({
    data: { id: 'm-notice', idempotencyKey: 'm-notice', enrollmentId: 'e-b', constituentId: 'b', channel: 'email', audience: 'staff', template: 'staff-task-notification', recipient: 'gifts@example.org', status: 'sent', sentAt: at('2026-06-04T00:00:00.000Z') },
  });

  await task('t-1', 'stewardship', 'open', { created: '2026-06-10', due: '2026-06-14' }); // overdue
  await task('t-2', 'stewardship', 'open', { created: '2026-06-10', due: '2026-06-20' });
  await task('t-3', 'stewardship', 'claimed', { created: '2026-05-30', due: '2026-06-01', claimed: '2026-05-31' }); // overdue; claimed after 24 h
  await task('t-4', 'stewardship', 'completed', { created: '2026-06-01', due: '2026-06-01T12:00:00.000Z', claimed: '2026-06-01T02:00:00.000Z', completed: '2026-06-02' });
  await task('t-5', 'stewardship', 'completed', { created: '2026-06-03', claimed: '2026-06-03T06:00:00.000Z', completed: '2026-06-05' });
  await task('t-6', 'stewardship', 'cancelled', { created: '2026-06-04', due: '2026-06-05' });
  await task('t-7', 'stewardship', 'open', { created: '2026-06-11' }); // no due date: never overdue
  await task('t-8', 'major-gifts', 'completed', { created: '2026-06-01', completed: '2026-06-01T01:00:00.000Z' }); // completed without a claim
}

describe('journey summaries', () => {
  it('counts each journey over all its versions, with the newest version’s status and its attributed revenue', async () => {
    expect(await analytics.journeySummaries(now)).toEqual([
      { journeyId: 'empty', name: 'Empty', status: null, versions: 0, active: 0, enrolled: 0, enrolledLast30Days: 0, converted: 0, conversionRate: 0, revenue: [] },
      {
        journeyId: 'other',
        name: 'Other',
        status: 'draft',
        versions: 1,
        active: 1,
        enrolled: 1,
        enrolledLast30Days: 1,
        converted: 0,
        conversionRate: 0,
        revenue: [{ currency: 'USD', amount: '999.00' }],
      },
      {
        journeyId: 'welcome',
        name: 'Welcome',
        status: 'published',
        versions: 2,
        active: 2,
        enrolled: 8,
        // A, B, C, E, F entered after 2026-05-16 12:00; D, H and I earlier.
        enrolledLast30Days: 5,
        converted: 3,
        conversionRate: 3 / 8,
        revenue: [
          { currency: 'CAD', amount: '30.00' },
          { currency: 'USD', amount: '90.00' },
        ],
      },
    ]);
  });
});

describe('journey metrics', () => {
  it('counts outcomes, the conversion rate and the time to convert over every version', async () => {
    const metrics = await analytics.journeyMetrics('welcome', { now });
    expect(metrics).toMatchObject({ enrolled: 8, active: 2, completed: 1, converted: 3, exited: 2, conversionRate: 3 / 8 });
    expect(metrics.medianTimeToConvertMs).toBe(4 * DAY);
    expect(metrics.averageTimeToConvertMs).toBeCloseTo(((2 + 4 + 10) / 3) * DAY, 0);
  });

  it('attributes gifts made while enrolled, not the gift that enrolled them, nor gifts after leaving or after now', async () => {
    const { revenue } = await analytics.journeyMetrics('welcome', { now });
    expect(revenue).toEqual([
      { currency: 'CAD', amount: '30.00', gifts: 1 },
      { currency: 'USD', amount: '90.00', gifts: 4 },
    ]);
  });

  it('looks only at enrollments that entered in the period', async () => {
    // A, B and C entered between 2026-06-01 and 2026-06-06.
    const metrics = await analytics.journeyMetrics('welcome', { since: at('2026-06-01'), until: at('2026-06-06'), now });
    expect(metrics).toMatchObject({ enrolled: 3, active: 0, completed: 0, converted: 2, exited: 1, medianTimeToConvertMs: 3 * DAY });
    expect(metrics.revenue).toEqual([
      { currency: 'CAD', amount: '30.00', gifts: 1 },
      { currency: 'USD', amount: '60.00', gifts: 2 },
    ]);
  });

  it('says zero and nothing for a journey nobody entered', async () => {
    expect(await analytics.journeyMetrics('empty', { now })).toEqual({
      enrolled: 0,
      active: 0,
      completed: 0,
      converted: 0,
      exited: 0,
      conversionRate: 0,
      medianTimeToConvertMs: null,
      averageTimeToConvertMs: null,
      revenue: [],
    });
  });
});

describe('states and funnel', () => {
  it('counts who is in each state, who passed through it and who converted after, reserved states included', async () => {
    expect(await analytics.stateCounts('welcome')).toEqual({
      thanked: { current: 1, entered: 8, left: 7, converted: 3 },
      impact: { current: 1, entered: 5, left: 4, converted: 2 },
      secondAsk: { current: 0, entered: 2, left: 2, converted: 1 },
      completed: { current: 0, entered: 1, left: 1, converted: 0 },
      goalReached: { current: 0, entered: 3, left: 3, converted: 3 },
      exited: { current: 0, entered: 2, left: 2, converted: 0 },
    });
  });

  it('orders the funnel like the definition and puts each drop-off on the last state before the end', async () => {
    expect(await analytics.funnel('welcome', ['thanked', 'impact', 'secondAsk', 'completed', 'neverUsed'])).toEqual([
      { state: 'thanked', reached: 8, droppedHere: 1, convertedAfter: 3 }, // I was removed from thanked
      { state: 'impact', reached: 5, droppedHere: 1, convertedAfter: 2 }, // C unsubscribed from impact
      { state: 'secondAsk', reached: 2, droppedHere: 0, convertedAfter: 1 },
      { state: 'completed', reached: 1, droppedHere: 1, convertedAfter: 0 }, // D completed there, unconverted
      { state: 'neverUsed', reached: 0, droppedHere: 0, convertedAfter: 0 },
    ]);
  });
});

describe('time series', () => {
  it('has one row per UTC day, oldest first, with days without anything filled with zeros', async () => {
    expect(await analytics.timeSeries('welcome', { days: 7, now })).toEqual([
      { day: '2026-06-09', enrolled: 0, converted: 1 }, // B reached the goal at midnight
      { day: '2026-06-10', enrolled: 0, converted: 0 },
      { day: '2026-06-11', enrolled: 0, converted: 0 },
      { day: '2026-06-12', enrolled: 0, converted: 0 },
      { day: '2026-06-13', enrolled: 0, converted: 0 },
      { day: '2026-06-14', enrolled: 1, converted: 0 },
      { day: '2026-06-15', enrolled: 1, converted: 0 },
    ]);
  });

  it('defaults to the last 30 days', async () => {
    const series = await analytics.timeSeries('welcome', { now });
    expect(series).toHaveLength(30);
    expect(series[0]!.day).toBe('2026-05-17');
    expect(series.reduce((sum, day) => sum + day.enrolled, 0)).toBe(5);
  });
});

describe('message response', () => {
  it('counts a response only for a gift or registration within the window after the message went out', async () => {
    expect(await analytics.messageResponse('welcome')).toEqual([
      { channel: 'email', template: 'welcome-impact', sent: 2, delivered: 2, opened: 0, clicked: 0, bounced: 0, complained: 0, unsubscribed: 0, notSent: 0, notSentReasons: [], responded: 0, responseRate: 0 },
      // Why not sent, without the particulars that differ from message to message.
      { channel: 'email', template: 'welcome-thanks', sent: 3, delivered: 2, opened: 0, clicked: 0, bounced: 0, complained: 0, unsubscribed: 0, notSent: 1, notSentReasons: [{ reason: 'email consent withdrawn', count: 1 }], responded: 2, responseRate: 2 / 3 },
      { channel: 'sms', template: 'welcome-sms', sent: 0, delivered: 0, opened: 0, clicked: 0, bounced: 0, complained: 0, unsubscribed: 0, notSent: 1, notSentReasons: [{ reason: 'failed: 21211', count: 1 }], responded: 0, responseRate: 0 },
    ]);
  });

  it('widens with the window', async () => {
    const rows = await analytics.messageResponse('welcome', { windowDays: 10 });
    expect(rows.find((row) => row.template === 'welcome-impact')).toMatchObject({ responded: 1, responseRate: 0.5 }); // H, 9 days on
  });
});

describe('task queues', () => {
  it('counts the backlog, the overdue tasks and how fast tasks are claimed and completed', async () => {
    expect(await analytics.taskQueues(now)).toEqual([
      {
        queue: 'major-gifts',
        open: 0,
        claimed: 0,
        overdue: 0,
        completed: 1,
        cancelled: 0,
        completionRate: 1,
        medianQueueMs: null,
        medianTimeToCompleteMs: HOUR,
      },
      {
        queue: 'stewardship',
        open: 3,
        claimed: 1,
        overdue: 2,
        completed: 2,
        cancelled: 1,
        completionRate: 2 / 5,
        medianQueueMs: 6 * HOUR, // of 24 h, 2 h and 6 h
        medianTimeToCompleteMs: 36 * HOUR, // of 24 h and 48 h
      },
    ]);
  });
});

describe('donor retention', () => {
  it("counts last year's donors who gave again, and this year's donors who never gave before", async () => {
    // Prior year (2024-06-15 to 2025-06-15): A, D and L. A and D gave again; L did not.
    // This year: A, B, C, D, E, H; B, E and H for the first time; C gave in 2020.
    expect(await analytics.retention(now)).toEqual({ priorDonors: 3, retained: 2, rate: 2 / 3, newDonors: 3 });
  });
});
