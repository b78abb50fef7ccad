/**
 * Steward's upkeep on real Temporal Schedules (the dev server; the time-skipping
 * server has no schedules): created once however often Steward starts, updated when
 * settings change, a run detects a lapsed donor and enrolls them in win-back, and
 * the unengaged scan finds those who neither opened nor clicked.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityDependencies } from '../../activities/index.ts';
import type { Database } from '../../src/db/client.ts';
import { unrestrictedMessaging } from '../../src/delivery/settings.ts';
import { createEventRouter } from '../../src/events/router.ts';
import type { InteractionEventInput } from '../../src/events/schema.ts';
import { storeEvents } from '../../src/events/store.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { JourneyDefinition } from '../../src/journeys/definition.ts';
import { createMailTransport } from '../../src/mail/transport.ts';
import { findTemporalCli } from '../../src/temporal/binaries.ts';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/temporal/devServer.ts';
import { ensureUpkeepSchedules, type UpkeepSettings } from '../../src/temporal/schedules.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { eventually } from '../support/wait.ts';
import { createTestWorker } from '../support/journey-worker.ts';

let dir: string;
let database: TestDatabase;
let db: Database;
let server: TemporalDevServer;
let connection: Connection;
let client: Client;
let smtp: SmtpSink;

const taskQueue = `upkeep-${randomUUID()}`;
const settings: UpkeepSettings = {
  taskQueue,
  dropOffs: { lapsedAfterDays: 365, recurringGraceDays: 35, noShowAfterDays: 1, unengagedAfterDays: 90 },
  escalationQueue: 'stewardship',
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'steward-upkeep-'));
  const cliPath = findTemporalCli({ STEWARD_TEMPORAL_CLI: process.env.STEWARD_TEMPORAL_CLI || undefined })!;
  [database, server, smtp] = await Promise.all([
    createTestDatabase(),
    startTemporalDevServer({ cliPath, dbFile: path.join(dir, 'temporal.sqlite'), port: 0, uiPort: 0, namespace: 'default', log: () => {} }),
    startSmtpSink(),
  ]);
  db = database.prisma;
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection?.close();
  await server?.stop();
  await smtp?.stop();
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `body` with a worker on the upkeep queue, over its own connection and mail transport. */
async function withWorker(options: Omit<ActivityDependencies, 'db' | 'mailer' | 'mailFrom'>, body: () => Promise<void>): Promise<void> {
  const workerConnection = await NativeConnection.connect({ address: server.address });
  const mailer = createMailTransport(smtp.url);
  try {
    const worker = await createTestWorker({ connection: workerConnection, taskQueue, activities: { db, mailer, ...options } });
    await worker.runUntil(body);
  } finally {
    mailer.close();
    await workerConnection.close();
  }
}

describe('upkeep schedules', () => {
  it('are created once, and follow changed settings', async () => {
    const ids = await ensureUpkeepSchedules(client, settings);
    expect(ids).toEqual([
      'steward-drop-off-lapsed',
      'steward-drop-off-no-show',
      'steward-drop-off-recurring-failed',
      'steward-drop-off-unengaged',
      'steward-task-escalation',
      'steward-year-end-statement',
    ]);
    await ensureUpkeepSchedules(client, settings);
    const listed = [];
    for await (const schedule of client.schedule.list()) listed.push(schedule.scheduleId);
    expect(listed.sort()).toEqual([...ids].sort());

    await ensureUpkeepSchedules(client, { ...settings, dropOffs: { ...settings.dropOffs, lapsedAfterDays: 540 } });
    const lapsed = await client.schedule.getHandle('steward-drop-off-lapsed').describe();
    expect(lapsed.action).toMatchObject({ workflowType: 'dropOffScanWorkflow', args: [{ kind: 'lapsed', settings: { lapsedAfterDays: 540 } }] });
    // Daily at 06:00 UTC.
    expect(lapsed.spec.calendars).toEqual([expect.objectContaining({ hour: [{ start: 6, end: 6, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }] })]);
    // Back to the settings the next test runs with.
    await ensureUpkeepSchedules(client, settings);
  });

  it('runs a lapse scan that enrolls a donor who has not given for a year in win-back', async () => {
    await publishJourneyCatalog(db, await loadJourneyCatalog());
    await db.journeyVersion.updateMany({ data: { status: 'draft' } });
    await db.journeyVersion.updateMany({ where: { journeyId: 'lapsed-donor-winback' }, data: { status: 'published' } });
    const donor = await db.constituent.create({
      data: { email: `lapsed-${randomUUID()}@example.org`, firstName: 'Ada', consents: { create: { channel: 'email', status: 'granted', source: 'test' } } },
    });
    await db.interactionEvent.create({
      data: { idempotencyKey: randomUUID(), type: 'donation', constituentId: donor.id, data: { amount: 50, currency: 'USD' }, amount: '50', currency: 'USD', occurredAt: new Date(Date.now() - 400 * 86_400_000) },
    });

    await withWorker({ router: createEventRouter({ db, temporal: client, taskQueue }) }, async () => {
      await client.schedule.getHandle('steward-drop-off-lapsed').trigger();
      await eventually(
        async () => ((await db.enrollment.findFirst({ where: { constituentId: donor.id } })) ?? undefined),
        'the win-back enrollment',
        60_000,
      );
      await eventually(async () => ((await db.message.count({ where: { constituentId: donor.id, status: 'sent' } })) === 1 ? true : undefined), 'the we-miss-you email', 30_000);
    });
    const [dropOff] = await db.interactionEvent.findMany({ where: { constituentId: donor.id, type: 'drop_off' } });
    expect(dropOff).toMatchObject({ data: { kind: 'lapsed', days: 400 } });
    expect(dropOff!.routedAt).not.toBeNull();
    expect(await db.enrollment.findFirstOrThrow({ where: { constituentId: donor.id }, include: { journeyVersion: true } })).toMatchObject({
      triggerEventId: dropOff!.id,
      journeyVersion: { journeyId: 'lapsed-donor-winback' },
    });
  });

  it('runs an unengaged scan that flags exactly those who opened and clicked nothing for 90 days, and enrolls them', async () => {
    const journeyId = `re-engage-${randomUUID().slice(0, 8)}`;
    await publishJourneyCatalog(db, [
      {
        definition: JourneyDefinition.parse({
          id: journeyId,
          name: 'Re-engage',
          trigger: { event: 'drop-off', when: [{ field: 'event.kind', eq: 'unengaged' }] },
          initial: 'asked',
          states: { asked: { entry: [{ do: 'email', template: 'new-donor-impact' }], after: [{ delay: '30d', to: 'done' }] }, done: { final: true } },
        }),
        source: `${journeyId}.test`,
        publishOnStart: true,
      },
    ]);
    const DAY = 86_400_000;
    const daysAgo = (days: number) => new Date(Date.now() - days * DAY);
    const person = async (label: string) =>
      db.constituent.create({
        data: { email: `${label}-${randomUUID()}@example.org`, firstName: 'Ada', consents: { create: { channel: 'email', status: 'granted', source: 'test' } } },
      });
    const sent = async (constituentId: string, at: Date, tracked = true) =>
      db.message.create({
        data: { idempotencyKey: randomUUID(), constituentId, channel: 'email', template: 'new-donor-impact', recipient: 'x@example.org', status: 'sent', sentAt: at, createdAt: at, tracksClicks: tracked },
      });
    const engaged = async (messageId: string, constituentId: string, kind: 'open' | 'click', at: Date) =>
      db.messageEngagement.create({ data: { messageId, constituentId, kind, linkIndex: kind === 'click' ? 0 : -1, at } });

    const silent = await person('silent');
    await sent(silent.id, daysAgo(120));
    await sent(silent.id, daysAgo(40));
    const clicker = await person('clicker');
    const clicked = await sent(clicker.id, daysAgo(120));
    await engaged(clicked.id, clicker.id, 'click', daysAgo(10));
    const opener = await person('opener');
    const opened = await sent(opener.id, daysAgo(120));
    await engaged(opened.id, opener.id, 'open', daysAgo(60));
    const recent = await person('recent');
    await sent(recent.id, daysAgo(20));
    const untracked = await person('untracked');
    await sent(untracked.id, daysAgo(200), false);
    const wentQuiet = await person('went-quiet');
    const old = await sent(wentQuiet.id, daysAgo(300));
    await engaged(old.id, wentQuiet.id, 'click', daysAgo(250));
    await sent(wentQuiet.id, daysAgo(100));
    const everyone = [silent, clicker, opener, recent, untracked, wentQuiet].map((c) => c.id);

    await withWorker({ router: createEventRouter({ db, temporal: client, taskQueue }) }, async () => {
      await client.schedule.getHandle('steward-drop-off-unengaged').trigger();
      await eventually(
        async () => ((await db.enrollment.count({ where: { constituentId: { in: [silent.id, wentQuiet.id] }, journeyVersion: { journeyId } } })) === 2 ? true : undefined),
        'the re-engagement enrollments',
        60_000,
      );
    });
    const flagged = await db.interactionEvent.findMany({ where: { constituentId: { in: everyone }, type: 'drop_off' } });
    expect(flagged.map((event) => event.constituentId).sort()).toEqual([silent.id, wentQuiet.id].sort());
    expect(flagged.find((event) => event.constituentId === silent.id)).toMatchObject({ data: { kind: 'unengaged', days: 120 } });
    expect(flagged.find((event) => event.constituentId === wentQuiet.id)).toMatchObject({ data: { kind: 'unengaged', days: 100 } });
    expect(await db.enrollment.count({ where: { constituentId: { in: everyone } } })).toBe(2);
  });

  it('sends each donor of last year one giving statement from the January schedule, listing the gifts kept', async () => {
    const lastYear = new Date().getUTCFullYear() - 1;
    const email = `statement-${randomUUID()}@example.org`;
    const gift = (id: string, day: string, amount: number): InteractionEventInput => ({ id, type: 'donation', occurredAt: `${day}T15:00:00Z`, constituent: { email, firstName: 'Ada' }, data: { amount, currency: 'USD' } });
    const key = randomUUID();
    await storeEvents(
      db,
      [
        gift(`${key}-a`, `${lastYear}-03-01`, 50),
        gift(`${key}-b`, `${lastYear}-11-20`, 120),
        gift(`${key}-c`, `${lastYear}-12-01`, 30),
        { id: `${key}-refund`, type: 'refund', constituent: { email }, data: { gift: `${key}-c` } },
        gift(`${key}-d`, `${lastYear + 1}-01-01`, 999),
      ],
      { history: true },
    );
    const other = `other-${randomUUID()}@example.org`;
    await storeEvents(db, [{ id: `${key}-other`, type: 'donation', occurredAt: `${lastYear}-06-01T15:00:00Z`, constituent: { email: other }, data: { amount: 10, currency: 'USD' } }], { history: true });

    const before = smtp.messages.length;
    await withWorker({ messaging: unrestrictedMessaging({ defaultTimeZone: 'America/New_York' }) }, async () => {
      await client.schedule.getHandle('steward-year-end-statement').trigger();
      // The lapse test's donor also gave last year, so a count of statements could be
      // reached before this donor's: wait for the two donors this test made.
      const statementSent = (address: string) =>
        db.message.count({ where: { template: 'year-end-statement', status: 'sent', constituent: { email: address } } });
      await eventually(async () => ((await statementSent(email)) === 1 && (await statementSent(other)) === 1 ? true : undefined), 'the statements', 60_000);
    });
    // Other tests' journeys may still be mailing the same server: wait for this donor's statement, not for a count.
    const received = () => smtp.messages.slice(before).filter((mail) => mail.subject?.includes('giving statement'));
    await eventually(async () => (received().some((mail) => (mail.to as { text: string }).text === email) ? true : undefined), 'the statement at the mail server', 20_000);
    const statements = received();
    const ada = statements.find((mail) => (mail.to as { text: string }).text === email)!;
    expect(ada.subject).toBe(`Your ${lastYear} giving statement from Steward`);
    expect(ada.text).toContain(`${lastYear}-03-01  $50.00`);
    expect(ada.text).toContain(`${lastYear}-11-20  $120.00`);
    expect(ada.text).toContain(`Total given in ${lastYear}: $170.00`);
    expect(ada.text).not.toContain('$30.00');
    expect(ada.text).not.toContain('$999.00');
    expect(statements.filter((mail) => (mail.to as { text: string }).text === email)).toHaveLength(1);
  });
});
