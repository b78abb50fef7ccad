/**
 * Consent precedence, every pair of (earlier change, later change) by who made it
 * and what it said: first as the rule alone, then through the database on both
 * paths that write consent (one change at a time, and events stored in a batch),
 * arriving in order and out of order.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordConsentChanges, sendBlocker } from '../../src/consent/consent.ts';
import { consentAuthorities, decideConsent, type ConsentAuthority, type ConsentState } from '../../src/consent/precedence.ts';
import type { Database } from '../../src/db/client.ts';
import { InteractionEventInput } from '../../src/events/schema.ts';
import { storeEvents } from '../../src/events/store.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

type Status = 'granted' | 'withdrawn';
interface Change {
  by: ConsentAuthority;
  status: Status;
}

const T1 = new Date('2026-11-01T10:00:00Z');
const T2 = new Date('2026-11-02T10:00:00Z');
const changes: Change[] = consentAuthorities.flatMap((by) => (['granted', 'withdrawn'] as const).map((status) => ({ by, status })));
const pairs = changes.flatMap((earlier) => changes.map((later) => ({ earlier, later })));
const name = ({ earlier, later }: { earlier: Change; later: Change }) => `${earlier.status} by ${earlier.by}, then ${later.status} by ${later.by}`;

/**
 * What the README promises, pair by pair: only the constituent undoes their own
 * withdrawal; while it stands, anyone else's withdrawal agrees with it.
 */
function promised({ earlier, later }: { earlier: Change; later: Change }): { outcome: 'applied' | 'refused'; inForce: Change } {
  const constituentWithdrew = earlier.by === 'constituent' && earlier.status === 'withdrawn';
  if (constituentWithdrew && later.by !== 'constituent') {
    return later.status === 'granted' ? { outcome: 'refused', inForce: earlier } : { outcome: 'applied', inForce: earlier };
  }
  return { outcome: 'applied', inForce: later };
}

const state = (change: Change, at: Date): ConsentState => ({ status: change.status, authority: change.by, source: `${change.status} by ${change.by}`, at });

describe('the precedence rule', () => {
  it('covers every pair of authorities and statuses', () => {
    expect(pairs).toHaveLength(64);
    expect(pairs.filter((pair) => promised(pair).outcome === 'refused').map(name)).toEqual([
      'withdrawn by constituent, then granted by staff',
      'withdrawn by constituent, then granted by integration',
      'withdrawn by constituent, then granted by provider',
    ]);
  });

  it.each(pairs.map((pair) => [name(pair), pair] as const))('%s', (_name, pair) => {
    const decision = decideConsent(state(pair.earlier, T1), state(pair.later, T2));
    const expected = promised(pair);
    expect(decision.outcome).toBe(expected.outcome);
    expect({ status: decision.inForce.status, by: decision.inForce.authority }).toEqual({ status: expected.inForce.status, by: expected.inForce.by });
    if (decision.outcome === 'refused') expect(decision.note).toMatch(/constituent withdrew consent .* only their own opt-in restores it/);
  });

  it('keeps an older change for the record without putting it in force, whoever made it', () => {
    for (const { earlier, later } of pairs) {
      const decision = decideConsent(state(later, T2), state(earlier, T1));
      expect(decision.outcome).toBe('older');
      expect(decision.inForce.status).toBe(later.status);
    }
  });

  it("holds the constituent's withdrawal through anyone else's withdrawal after it", () => {
    const own = decideConsent(undefined, state({ by: 'constituent', status: 'withdrawn' }, T1));
    const crm = decideConsent(own.inForce, state({ by: 'integration', status: 'withdrawn' }, T2));
    const regrant = decideConsent(crm.inForce, state({ by: 'integration', status: 'granted' }, new Date('2026-11-03T10:00:00Z')));
    expect(regrant.outcome).toBe('refused');
    const optIn = decideConsent(crm.inForce, state({ by: 'constituent', status: 'granted' }, new Date('2026-11-03T10:00:00Z')));
    expect(optIn).toMatchObject({ outcome: 'applied', inForce: { status: 'granted', authority: 'constituent' } });
  });
});

describe('consent recorded in the database', () => {
  let database: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.prisma;
  });

  afterAll(async () => {
    await database?.drop();
  });

  async function newConstituent(): Promise<string> {
    return (await db.constituent.create({ data: { email: `${randomUUID()}@example.org` } })).id;
  }

  async function inForce(constituentId: string) {
    return db.constituentConsent.findUniqueOrThrow({ where: { constituentId_channel: { constituentId, channel: 'email' } } });
  }

  const record = (constituentId: string, change: Change, at: Date) =>
    db.$transaction((tx) =>
      recordConsentChanges(tx, [{ constituentId, channel: 'email', status: change.status, authority: change.by, source: `${change.status} by ${change.by}`, evidence: change.by === 'constituent' ? 'form 7' : undefined, at }]),
    );

  it('decides every pair as the rule does, and keeps every change with its outcome', async () => {
    for (const pair of pairs) {
      const id = await newConstituent();
      await record(id, pair.earlier, T1);
      const [result] = await record(id, pair.later, T2);
      const expected = promised(pair);
      expect({ pair: name(pair), outcome: result!.outcome }).toEqual({ pair: name(pair), outcome: expected.outcome });
      const row = await inForce(id);
      expect({ pair: name(pair), status: row.status, by: row.authority }).toEqual({ pair: name(pair), status: expected.inForce.status, by: expected.inForce.by });
      const kept = await db.consentChange.findMany({ where: { constituentId: id }, orderBy: { at: 'asc' } });
      expect(kept.map((change) => [change.status, change.authority, change.outcome])).toEqual([
        [pair.earlier.status, pair.earlier.by, 'applied'],
        [pair.later.status, pair.later.by, expected.outcome],
      ]);
      // The guard at the moment of sending reads the same row.
      const blocker = await sendBlocker(db, id, 'email', 'someone@example.org');
      expect({ pair: name(pair), sends: blocker === undefined }).toEqual({ pair: name(pair), sends: expected.inForce.status === 'granted' });
    }
  });

  it('keeps a change that arrives after a later one as "older", changing nothing', async () => {
    for (const pair of pairs) {
      const id = await newConstituent();
      await record(id, pair.later, T2);
      const [result] = await record(id, pair.earlier, T1);
      expect({ pair: name(pair), outcome: result!.outcome }).toEqual({ pair: name(pair), outcome: 'older' });
      expect((await inForce(id)).status).toBe(pair.later.status);
    }
  });

  it('decides the same way for consent carried by events, in one batch or one at a time, and says so in the answer', async () => {
    const given = (change: Change, at: Date) => ({
      status: change.status,
      by: change.by,
      at: at.toISOString(),
      ...(change.by === 'constituent' ? { evidence: 'form submission 7' } : {}),
    });
    const apiPairs = pairs.filter(({ earlier, later }) => earlier.by !== 'provider' && later.by !== 'provider');
    for (const [index, pair] of apiPairs.entries()) {
      const email = `${randomUUID()}@example.org`;
      const event = (change: Change, at: Date) => ({
        id: randomUUID(),
        type: 'custom' as const,
        occurredAt: at.toISOString(),
        constituent: { email, consent: { email: given(change, at) } },
        data: { name: 'consent' },
      });
      const inputs = [event(pair.earlier, T1), event(pair.later, T2)].map((input) => InteractionEventInput.parse(input));
      // Alternate: half the pairs in one batch, half as two requests.
      const stored = index % 2 === 0 ? await storeEvents(db, inputs) : [...(await storeEvents(db, [inputs[0]!])), ...(await storeEvents(db, [inputs[1]!]))];
      const expected = promised(pair);
      expect({ pair: name(pair), consent: stored[1]!.consent?.[0]?.outcome }).toEqual({ pair: name(pair), consent: expected.outcome });
      const constituent = await db.constituent.findUniqueOrThrow({ where: { email } });
      expect({ pair: name(pair), status: (await inForce(constituent.id)).status }).toEqual({ pair: name(pair), status: expected.inForce.status });
    }
  });
});
