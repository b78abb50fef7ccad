/** Drop-off detection on a real database: the right people, once per lapse. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Prisma } from '../../src/db/client.ts';
import { detectDropOffs, previewDropOffs, startWatching, watchFrom } from '../../src/events/drop-offs.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const DAY = 86_400_000;
const asOf = new Date('2027-06-01T06:00:00Z');
const daysAgo = (days: number) => new Date(asOf.getTime() - days * DAY);
const settings = { lapsedAfterDays: 365, recurringGraceDays: 35, noShowAfterDays: 1 };

let database: TestDatabase;
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.prisma;
});
afterAll(() => database?.drop());

async function constituent() {
  return (await db.constituent.create({ data: { email: `${randomUUID()}@example.org` } })).id;
}

async function event(constituentId: string, type: 'donation' | 'registration' | 'custom', occurredAt: Date, data: Record<string, unknown>) {
  return db.interactionEvent.create({ data: { idempotencyKey: randomUUID(), type, constituentId, data: data as Prisma.InputJsonObject, occurredAt, ...(type === 'donation' ? { amount: '25', currency: 'USD' } : {}) } });
}

const dropOffsFor = (constituentId: string) =>
  db.interactionEvent.findMany({ where: { constituentId, type: 'drop_off' }, orderBy: { receivedAt: 'asc' } });

describe('detectDropOffs', () => {
  it('signals a donor whose last gift is over a year old, once per lapse', async () => {
    const lapsed = await constituent();
    await event(lapsed, 'donation', daysAgo(800), { amount: 25, currency: 'USD' });
    await event(lapsed, 'donation', daysAgo(400), { amount: 25, currency: 'USD' });
    const active = await constituent();
    await event(active, 'donation', daysAgo(400), { amount: 25, currency: 'USD' });
    await event(active, 'donation', daysAgo(30), { amount: 25, currency: 'USD' });

    const stored = await detectDropOffs(db, 'lapsed', asOf, settings);
    expect(await dropOffsFor(lapsed)).toMatchObject([{ id: stored[0], data: { kind: 'lapsed', days: 400 }, routedAt: null }]);
    expect(await dropOffsFor(active)).toEqual([]);
    expect(await detectDropOffs(db, 'lapsed', new Date(asOf.getTime() + DAY), settings)).toEqual([]);

    // Giving again and lapsing again is a new lapse.
    await event(lapsed, 'donation', new Date(asOf.getTime() + DAY), { amount: 25, currency: 'USD' });
    const later = new Date(asOf.getTime() + 400 * DAY);
    expect(await detectDropOffs(db, 'lapsed', later, settings)).toHaveLength(2); // this donor, and the active one by then
    expect(await dropOffsFor(lapsed)).toHaveLength(2);
  });

  it('signals registrants who did not check in once the event is over', async () => {
    const came = await constituent();
    const registered = await event(came, 'registration', daysAgo(20), { program: 'Gala', startsAt: daysAgo(3).toISOString() });
    await event(came, 'custom', new Date(daysAgo(3).getTime() + 3_600_000), { name: 'checked-in' });
    const stayedHome = await constituent();
    await event(stayedHome, 'registration', daysAgo(20), { program: 'Gala', startsAt: daysAgo(3).toISOString() });
    const upcoming = await constituent();
    await event(upcoming, 'registration', daysAgo(2), { program: 'Picnic', startsAt: new Date(asOf.getTime() + 5 * DAY).toISOString() });

    await detectDropOffs(db, 'no-show', asOf, settings);
    expect(await dropOffsFor(came)).toEqual([]);
    expect(await dropOffsFor(stayedHome)).toMatchObject([{ data: { kind: 'no-show', program: 'Gala' } }]);
    expect(await dropOffsFor(upcoming)).toEqual([]);
    expect(registered.id).toBeDefined();
  });

  it('signals a monthly donor whose recurring gift is overdue', async () => {
    const missed = await constituent();
    await event(missed, 'donation', daysAgo(40), { amount: 10, currency: 'USD', recurring: true });
    const onTime = await constituent();
    await event(onTime, 'donation', daysAgo(40), { amount: 10, currency: 'USD', recurring: true });
    await event(onTime, 'donation', daysAgo(10), { amount: 10, currency: 'USD', recurring: true });

    await detectDropOffs(db, 'recurring-failed', asOf, settings);
    expect(await dropOffsFor(missed)).toMatchObject([{ data: { kind: 'recurring-failed', days: 40 } }]);
    expect(await dropOffsFor(onTime)).toEqual([]);
  });

  it('does not flag again a failed monthly gift the payment platform already reported', async () => {
    const reported = await constituent();
    await event(reported, 'donation', daysAgo(40), { amount: 10, currency: 'USD', recurring: true });
    await db.interactionEvent.create({
      data: { idempotencyKey: `stripe:payment-failed:${randomUUID()}`, type: 'drop_off', constituentId: reported, data: { kind: 'recurring-failed' }, occurredAt: daysAgo(9) },
    });
    await detectDropOffs(db, 'recurring-failed', asOf, settings);
    expect(await dropOffsFor(reported)).toMatchObject([{ idempotencyKey: expect.stringMatching(/^stripe:payment-failed:/) }]);
  });
});

describe('a watch that starts when Steward does', () => {
  it('flags no silence that began before it, and previews a scan without flagging anyone', async () => {
    // A separate database: the watch is the installation's.
    const own = await createTestDatabase();
    try {
      const longAgo = (await own.prisma.constituent.create({ data: { email: `${randomUUID()}@example.org` } })).id;
      const recent = (await own.prisma.constituent.create({ data: { email: `${randomUUID()}@example.org` } })).id;
      const gift = (constituentId: string, occurredAt: Date) =>
        own.prisma.interactionEvent.create({ data: { idempotencyKey: randomUUID(), type: 'donation', constituentId, data: {}, occurredAt, amount: '25', currency: 'USD' } });
      await gift(longAgo, daysAgo(2000)); // lapsed years before the watch began: history
      await gift(recent, daysAgo(380)); // lapsed 15 days ago, after the watch began
      expect(await startWatching(own.prisma, daysAgo(30))).toEqual(daysAgo(30));
      // A later start keeps the first watch unless the organisation sets another.
      await startWatching(own.prisma);
      expect(await watchFrom(own.prisma)).toEqual(daysAgo(30));

      expect(await previewDropOffs(own.prisma, 'lapsed', asOf, settings)).toEqual({ kind: 'lapsed', asOf, watchFrom: daysAgo(30), wouldFlag: 1, alreadyFlagged: 0 });
      expect(await own.prisma.interactionEvent.count({ where: { type: 'drop_off' } })).toBe(0);
      expect(await detectDropOffs(own.prisma, 'lapsed', asOf, settings)).toHaveLength(1);
      expect(await own.prisma.interactionEvent.findFirstOrThrow({ where: { type: 'drop_off' } })).toMatchObject({ constituentId: recent });
      expect(await previewDropOffs(own.prisma, 'lapsed', asOf, settings)).toMatchObject({ wouldFlag: 0, alreadyFlagged: 1 });
    } finally {
      await own.drop();
    }
  });
});
