import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordConsent } from '../../src/consent/consent.ts';
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

const gift = (id: string, email: string, extra: Partial<InteractionEventInput['constituent']> = {}, amount = 25): InteractionEventInput => ({
  id,
  type: 'donation',
  constituent: { email, ...extra },
  data: { amount, currency: 'USD' },
});

describe('storing events', () => {
  it('stores a batch in its order, each constituent once, with the details its later events gave', async () => {
    const email = `order-${randomUUID()}@example.org`;
    const other = `order-${randomUUID()}@example.org`;
    const ids = [0, 1, 2, 3].map((n) => `order-${n}-${randomUUID()}`);
    const results = await storeEvents(database.prisma, [
      gift(ids[0]!, email, { firstName: 'Ada' }),
      gift(ids[1]!, other, { firstName: 'Grace' }, 10),
      gift(ids[2]!, email, { lastName: 'Lovelace' }, 30.5),
      { id: ids[3]!, type: 'custom', constituent: { email, firstName: 'Augusta' }, data: { name: 'visit' } },
    ]);

    expect(results.map((result) => [result.event.idempotencyKey, result.duplicate])).toEqual(ids.map((id) => [id, false]));
    const seqs = results.map((result) => result.event.seq);
    expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).toEqual(seqs);
    expect(results.map((result) => result.event.amount?.toFixed(2) ?? null)).toEqual(['25.00', '10.00', '30.50', null]);
    expect(results[3]!.event.type).toBe('custom');
    // What the store answers is what a read gives.
    const read = await database.prisma.interactionEvent.findMany({ where: { idempotencyKey: { in: ids } }, orderBy: { seq: 'asc' } });
    expect(results.map((result) => result.event)).toEqual(read);

    const constituents = await database.prisma.constituent.findMany({ where: { email: { in: [email, other] } }, orderBy: { email: 'asc' } });
    expect(constituents).toHaveLength(2);
    const ada = constituents.find((constituent) => constituent.email === email)!;
    expect([ada.firstName, ada.lastName]).toEqual(['Augusta', 'Lovelace']);
    expect(new Set(results.filter((result) => result.event.idempotencyKey !== ids[1]).map((result) => result.event.constituentId))).toEqual(new Set([ada.id]));
  });

  it('stores one event sent by several callers at once once; the others are told it is a duplicate', async () => {
    const id = `same-${randomUUID()}`;
    const input = gift(id, `${id}@example.org`, { consent: { email: 'granted' } });
    const results = await Promise.all(Array.from({ length: 6 }, () => storeEvents(database.prisma, [input])));

    expect(results.filter(([result]) => !result!.duplicate)).toHaveLength(1);
    expect(new Set(results.map(([result]) => result!.event.id)).size).toBe(1);
    expect(await database.prisma.interactionEvent.count({ where: { idempotencyKey: id } })).toBe(1);
    const constituent = await database.prisma.constituent.findUniqueOrThrow({ where: { email: `${id}@example.org` } });
    expect(await database.prisma.consentChange.count({ where: { constituentId: constituent.id } })).toBe(1);
  });

  it('refuses the callers that send one id at once with other content, writing nothing of theirs', async () => {
    const id = `clash-${randomUUID()}`;
    const email = `${id}@example.org`;
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => storeEvents(database.prisma, [gift(id, email, { firstName: `Caller ${n}` }, n)])));

    const stored = results.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
    expect(stored).toHaveLength(1);
    const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    expect(refused).toHaveLength(3);
    for (const reason of refused) expect(reason).toBeInstanceOf(IdempotencyConflictError);
    const constituent = await database.prisma.constituent.findUniqueOrThrow({ where: { email } });
    expect(constituent.firstName).toBe(`Caller ${stored[0]!.event.amount!.toNumber()}`);
  });

  it('stores first gifts of one new constituent sent at once under one constituent', async () => {
    const email = `together-${randomUUID()}@example.org`;
    const ids = Array.from({ length: 5 }, (_, n) => `together-${n}-${randomUUID()}`);
    const results = await Promise.all(ids.map((id) => storeEvents(database.prisma, [gift(id, email, { consent: { email: 'granted' } })])));

    expect(results.every(([result]) => !result!.duplicate)).toBe(true);
    const constituents = await database.prisma.constituent.findMany({ where: { email } });
    expect(constituents).toHaveLength(1);
    expect(new Set(results.map(([result]) => result!.event.constituentId))).toEqual(new Set([constituents[0]!.id]));
    expect(await database.prisma.consentChange.count({ where: { constituentId: constituents[0]!.id } })).toBe(5);
  });

  it("decides an event's consent against the consent in force: another's grant after the constituent's own withdrawal is refused", async () => {
    const email = `withdrew-${randomUUID()}@example.org`;
    const [first] = await storeEvents(database.prisma, [gift(`withdrew-a-${randomUUID()}`, email, { consent: { email: 'granted' } })]);
    const constituentId = first!.event.constituentId;
    await recordConsent(database.prisma, { constituentId, channel: 'email', status: 'withdrawn', source: 'unsubscribe link', authority: 'constituent' });

    const [later] = await storeEvents(database.prisma, [gift(`withdrew-b-${randomUUID()}`, email, { consent: { email: 'granted', sms: 'granted' } })]);

    expect(later!.consent).toEqual([
      expect.objectContaining({ channel: 'email', status: 'granted', outcome: 'refused' }),
      expect.objectContaining({ channel: 'sms', status: 'granted', outcome: 'applied' }),
    ]);
    const inForce = await database.prisma.constituentConsent.findMany({ where: { constituentId }, orderBy: { channel: 'asc' } });
    expect(inForce.map((consent) => [consent.channel, consent.status, consent.authority])).toEqual([
      ['email', 'withdrawn', 'constituent'],
      ['sms', 'granted', 'integration'],
    ]);
  });
});
