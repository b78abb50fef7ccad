/** The record-keeping activities on a real database: each is idempotent, and none loses another's write. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJourneyRecords } from '../../activities/journey-records.ts';
import { createSendMessage } from '../../activities/send-message.ts';
import { unrestrictedMessaging } from '../../src/delivery/settings.ts';
import { createMailTransport } from '../../src/mail/transport.ts';
import type { Database } from '../../src/db/client.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let db: Database;
let records: ReturnType<typeof createJourneyRecords>;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.prisma;
  records = createJourneyRecords({ db });
});
afterAll(() => database?.drop());

async function enrollment() {
  const constituent = await db.constituent.create({ data: { email: `${randomUUID()}@example.org`, phone: '+15551234567' } });
  await db.journey.upsert({ where: { id: 'j' }, create: { id: 'j', name: 'J' }, update: {} });
  const version = await db.journeyVersion.upsert({
    where: { journeyId_version: { journeyId: 'j', version: 1 } },
    create: { journeyId: 'j', version: 1, definition: {}, status: 'published' },
    update: {},
  });
  const row = await db.enrollment.create({
    data: { workflowId: `wf-${randomUUID()}`, constituentId: constituent.id, journeyVersionId: version.id, currentState: 'start' },
  });
  return { constituentId: constituent.id, enrollmentId: row.id };
}

describe('journey records', () => {
  it('creates a staff task once per key, with its due date', async () => {
    const { constituentId, enrollmentId } = await enrollment();
    const input = { enrollmentId, constituentId, queue: 'major-gifts', title: 'Call', dueAt: '2026-03-04T14:00:00.000Z', idempotencyKey: `${enrollmentId}:1:0` };
    const first = await records.createTask(input);
    expect(await records.createTask(input)).toEqual(first);
    const tasks = await db.staffTask.findMany({ where: { enrollmentId } });
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ queue: 'major-gifts', title: 'Call', status: 'open', dueAt: new Date(input.dueAt) });
  });

  it('sets attributes one at a time without losing the others, even at once', async () => {
    const { constituentId } = await enrollment();
    await Promise.all([
      records.setAttribute({ constituentId, attribute: 'donorStage', value: 'new' }),
      records.setAttribute({ constituentId, attribute: 'score', value: 3 }),
      records.setAttribute({ constituentId, attribute: 'vip', value: true }),
    ]);
    await records.setAttribute({ constituentId, attribute: 'donorStage', value: 'welcomed' });
    const constituent = await db.constituent.findUniqueOrThrow({ where: { id: constituentId } });
    expect(constituent.attributes).toEqual({ donorStage: 'welcomed', score: 3, vip: true });
    expect(await records.loadConstituentFacts({ constituentId })).toMatchObject({ attributes: { donorStage: 'welcomed', score: 3, vip: true } });
  });

  it('keeps the first goal an enrollment reached', async () => {
    const { enrollmentId } = await enrollment();
    await records.recordGoal({ enrollmentId, name: 'second-gift', at: '2026-03-10T00:00:00.000Z' });
    await records.recordGoal({ enrollmentId, name: 'later', at: '2026-04-10T00:00:00.000Z' });
    expect(await db.enrollment.findUniqueOrThrow({ where: { id: enrollmentId } })).toMatchObject({
      goalName: 'second-gift',
      goalReachedAt: new Date('2026-03-10T00:00:00.000Z'),
    });
  });

  it('records an SMS once, as suppressed while no SMS provider is configured', async () => {
    const { constituentId, enrollmentId } = await enrollment();
    await db.constituentConsent.create({ data: { constituentId, channel: 'sms', status: 'granted', source: 'test' } });
    // No SMS sender in the settings; the mail transport is never reached for an SMS.
    const sendSms = createSendMessage({ db, mailer: createMailTransport('smtp://127.0.0.1:9'), mailFrom: 'x@steward.localhost', messaging: unrestrictedMessaging() });
    const input = { channel: 'sms' as const, enrollmentId, constituentId, template: 'winback-sms', idempotencyKey: `${enrollmentId}:2:0` };
    expect(await sendSms(input)).toEqual(await sendSms(input));
    const messages = await db.message.findMany({ where: { enrollmentId } });
    expect(messages).toMatchObject([{ channel: 'sms', template: 'winback-sms', recipient: '+15551234567', status: 'suppressed', error: 'no SMS provider configured' }]);
  });

  it('loads a journey version parsed, defaults applied, and fails for good on an unknown or invalid one', async () => {
    const written = {
      id: 'parsed',
      name: 'Parsed',
      trigger: { event: 'donation' },
      initial: 'thank',
      states: { thank: { on: { donation: 'done' } }, done: { final: true } },
    };
    await db.journey.upsert({ where: { id: 'parsed' }, create: { id: 'parsed', name: 'Parsed' }, update: {} });
    const version = await db.journeyVersion.create({ data: { journeyId: 'parsed', version: 1, definition: written, status: 'published' } });
    const loaded = await records.loadJourney({ journeyVersionId: version.id });
    expect(loaded.status).toBe('published');
    // What the workflow compiles is the format's parse, not the row as written.
    expect(loaded.definition).toMatchObject({ ...written, version: 1, reentry: { policy: 'once' }, exits: ['unsubscribed', 'hard-bounced', 'removed'] });

    const broken = await db.journeyVersion.create({ data: { journeyId: 'parsed', version: 2, definition: { ...written, initial: 7 }, status: 'published' } });
    await expect(records.loadJourney({ journeyVersionId: broken.id })).rejects.toMatchObject({ type: 'InvalidJourney', nonRetryable: true, message: expect.stringContaining('at initial') });
    await expect(records.loadJourney({ journeyVersionId: 'missing' })).rejects.toMatchObject({ type: 'JourneyNotFound', nonRetryable: true });
  });
});
