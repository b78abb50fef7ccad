/**
 * Receipt numbers on a real database (PostgreSQL with DATABASE_URL, else PGlite):
 * many gifts receipted at once, each asked twice as a retry would, get the numbers
 * 1..N of their year, each once, with no gap; a receipt that never commits gives
 * its number back.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { storeEvents } from '../../src/events/store.ts';
import { issueReceipt } from '../../src/receipts/issue.ts';
import { takeReceiptNumber } from '../../src/receipts/numbering.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.prisma;
}, 120_000);

afterAll(async () => {
  await database?.drop();
});

const rules = { jurisdiction: 'us' as const, timeZone: 'America/New_York' };

/** Gifts from distinct donors, all made in `year` (New York time). */
async function storeGifts(count: number, year: number) {
  const stored = await storeEvents(
    db,
    Array.from({ length: count }, (_, index) => ({
      id: `gift-${randomUUID()}`,
      type: 'donation' as const,
      occurredAt: `${year}-06-${String((index % 28) + 1).padStart(2, '0')}T15:00:00Z`,
      constituent: { email: `donor-${randomUUID()}@example.org` },
      data: { amount: 10 + index, currency: 'USD' },
    })),
    { history: true },
  );
  return stored.map(({ event }) => event.id);
}

describe(`receipt numbers (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('numbers 150 gifts receipted at once, each asked twice, 1..150 with no gap or repeat', async () => {
    const gifts = await storeGifts(150, 2031);
    const outcomes = await Promise.all([...gifts, ...gifts].map((giftId) => issueReceipt(db, giftId, rules)));
    const receipts = await db.giftReceipt.findMany({ where: { year: 2031 }, orderBy: { number: 'asc' } });
    expect(receipts.map((receipt) => receipt.number)).toEqual(Array.from({ length: 150 }, (_, index) => index + 1));
    expect(new Set(receipts.map((receipt) => receipt.giftEventId)).size).toBe(150);
    // A retry answers with the receipt the first call made.
    for (let index = 0; index < gifts.length; index += 1) {
      const [first, again] = [outcomes[index]!, outcomes[index + gifts.length]!];
      expect('receipt' in first && 'receipt' in again && first.receipt.id === again.receipt.id).toBe(true);
    }
    expect(receipts[41]!.serial).toBe('2031-000042');
  });

  it('gives a number back when the receipt that took it never commits', async () => {
    const [first, second] = await storeGifts(2, 2032);
    await issueReceipt(db, first!, rules);
    await expect(
      db.$transaction(async (tx) => {
        expect(await takeReceiptNumber(tx, 2032)).toBe(2);
        throw new Error('crashed before the receipt was recorded');
      }),
    ).rejects.toThrow('crashed');
    const outcome = await issueReceipt(db, second!, rules);
    expect('receipt' in outcome && outcome.receipt.number).toBe(2);
  });

  it('numbers each year on its own, by the organisation\'s calendar', async () => {
    // 02:00 UTC on 1 January 2034 is still 2033 in New York.
    const [gift] = await storeEvents(db, [{ id: `gift-${randomUUID()}`, type: 'donation', occurredAt: '2034-01-01T02:00:00Z', constituent: { email: `ny-${randomUUID()}@example.org` }, data: { amount: 5, currency: 'USD' } }], { history: true });
    const outcome = await issueReceipt(db, gift!.event.id, rules);
    expect('receipt' in outcome && outcome.receipt.serial).toBe('2033-000001');
  });
});
