import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroupCommit, type StoreMany } from '../../src/events/group-commit.ts';
import type { InteractionEventInput } from '../../src/events/schema.ts';
import { IdempotencyConflictError, storeEvents } from '../../src/events/store.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
}, 120_000);
afterAll(async () => {
  await database?.drop();
});

const gift = (id: string, amount = 25): InteractionEventInput => ({
  id,
  type: 'donation',
  constituent: { email: `${id}@example.org`, consent: { email: 'granted' } },
  data: { amount, currency: 'USD' },
});

/** storeEvents on the test database, remembering the size of each call. */
function recordingStore(): { store: StoreMany; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    store: (inputs, options) => {
      calls.push(inputs.length);
      return storeEvents(database.prisma, inputs, options);
    },
  };
}

describe('group commit of single events', () => {
  it('stores the events that arrive while one is being stored together, each caller getting its own', async () => {
    const { store, calls } = recordingStore();
    const intake = createGroupCommit(store);
    const ids = Array.from({ length: 40 }, () => `group-${randomUUID()}`);
    const stored = await Promise.all(ids.map((id) => intake.store(gift(id))));

    expect(stored.map(({ event }) => event.idempotencyKey)).toEqual(ids);
    expect(stored.every(({ duplicate }) => !duplicate)).toBe(true);
    expect(stored.every(({ consent }) => consent?.[0]?.outcome === 'applied')).toBe(true);
    // The first went alone, at once; the other 39 waited for it and went in one transaction.
    expect(calls).toEqual([1, 39]);
    // In the order they arrived.
    const seqs = stored.map(({ event }) => event.seq);
    expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).toEqual(seqs);
    expect(await database.prisma.interactionEvent.count({ where: { idempotencyKey: { in: ids } } })).toBe(40);
  });

  it('answers a repeat in the same group as a duplicate of the first', async () => {
    const intake = createGroupCommit(recordingStore().store);
    const id = `repeat-${randomUUID()}`;
    const [blocker, first, again] = await Promise.all([intake.store(gift(`blocker-${randomUUID()}`)), intake.store(gift(id)), intake.store(gift(id))]);
    expect(blocker.duplicate).toBe(false);
    expect([first.duplicate, again.duplicate]).toEqual([false, true]);
    expect(again.event.id).toBe(first.event.id);
  });

  it('refuses only the event at fault when a group cannot be stored whole, and stores the others', async () => {
    const taken = `taken-${randomUUID()}`;
    await storeEvents(database.prisma, [gift(taken, 10)]);
    const { store, calls } = recordingStore();
    const intake = createGroupCommit(store);
    const [before, good, conflicting, after] = [`a-${randomUUID()}`, `b-${randomUUID()}`, taken, `c-${randomUUID()}`];
    const results = await Promise.allSettled([intake.store(gift(before)), intake.store(gift(good)), intake.store(gift(conflicting, 99)), intake.store(gift(after))]);

    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(IdempotencyConflictError);
    // The group of three was refused whole, then each was stored alone.
    expect(calls).toEqual([1, 3, 1, 1, 1]);
    const kept = await database.prisma.interactionEvent.findMany({ where: { idempotencyKey: { in: [before, good, after, taken] } } });
    expect(kept.map((event) => event.idempotencyKey).sort()).toEqual([before, good, after, taken].sort());
    expect(kept.find((event) => event.idempotencyKey === taken)?.amount?.toNumber()).toBe(10);
  });

  it('stores several groups at once when allowed, never more', async () => {
    let running = 0;
    let most = 0;
    const intake = createGroupCommit(
      async (inputs) => {
        running += 1;
        most = Math.max(most, running);
        try {
          return await storeEvents(database.prisma, inputs);
        } finally {
          running -= 1;
        }
      },
      { maxInFlight: 2, maxGroup: 5 },
    );
    const stored = await Promise.all(Array.from({ length: 30 }, () => intake.store(gift(`many-${randomUUID()}`))));
    expect(stored).toHaveLength(30);
    expect(most).toBe(2);
  });
});
