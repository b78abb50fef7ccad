/** Storing an incoming event: first thing done with it, so accepted data is never lost. */
import { createHash, randomUUID } from 'node:crypto';
import type { Database, InteractionEvent, Prisma } from '../db/client.ts';
import { consentReport, recordConsentChanges, type ConsentInput, type ConsentReport } from '../consent/consent.ts';
import { applyStoredRefunds, checkRefunds } from './refunds.ts';
import type { InteractionEventInput } from './schema.ts';

/** Event ids sent again with different content: accepting them would lose the new content silently. */
export class IdempotencyConflictError extends Error {
  /** `indices`: the positions, in what was sent, of the events whose ids were used for different events. */
  constructor(
    readonly eventId: string,
    readonly indices: readonly number[] = [0],
  ) {
    super(
      indices.length > 1
        ? 'Some event ids were already used for different events'
        : `Event id "${eventId}" was already used for a different event; give this event its own id`,
    );
    this.name = 'IdempotencyConflictError';
  }
}

/** A fingerprint of an event as received: key order does not matter, content does. */
export function payloadHash(input: InteractionEventInput): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]))
        : value;
  return createHash('sha256').update(JSON.stringify(canonical(input))).digest('hex');
}

export interface StoredEvent {
  event: InteractionEvent;
  /** True when an event with the same id was stored before; nothing was written. */
  duplicate: boolean;
  /** What became of the consent the event carried: applied, older than the one in force, or refused (with why). */
  consent?: EventConsent[];
}

export type EventConsent = ConsentReport;

const dbInteractionType = {
  donation: 'donation',
  registration: 'registration',
  'drop-off': 'drop_off',
  custom: 'custom',
  refund: 'refund',
} as const;

/**
 * Stores the event and its constituent in one transaction: either both are written
 * or neither. The event's id is its idempotency key; a repeat returns the first copy.
 */
export async function storeEvent(db: Database, input: InteractionEventInput): Promise<StoredEvent> {
  return (await storeEvents(db, [input]))[0]!;
}

/**
 * How long a store's transaction may run: a 1,000-event batch on a busy machine; a
 * transaction still open past it is rolled back, so nothing is half-written. (How long
 * it waits for a connection is the client's, see `db/client.ts`.)
 */
const STORE_TRANSACTION = { timeout: 60_000 } as const;

/**
 * Stores a batch of events and their constituents all or nothing, in a few
 * set-based statements: constituents upserted together, consent changes inserted
 * together, events inserted in one statement (their `seq` keeps the batch's order).
 * Returns one result per input, in order; an id repeated in the batch with the same
 * content is a duplicate of its first occurrence, with other content a conflict.
 */
export interface StoreOptions {
  /** Past events being loaded: stored (giving facts, timelines) but never routed, so they start no journey. */
  history?: boolean;
  /** Written in the same transaction as the new events (a connector's delivery record): all of it or none. */
  alongside?: (tx: Prisma.TransactionClient, created: readonly InteractionEvent[]) => Promise<void>;
}

export async function storeEvents(db: Database, inputs: readonly InteractionEventInput[], options: StoreOptions = {}): Promise<StoredEvent[]> {
  // Most events are new: they are written without looking first, and should one of
  // them turn out to be stored already, that transaction is undone and the store
  // starts over from a look at what is there, so a repeat still writes nothing.
  let lookFirst = false;
  let raced = 0;
  for (;;) {
    try {
      return await storeOnce(db, inputs, options, lookFirst);
    } catch (error) {
      if (error instanceof LookFirst && !lookFirst) {
        lookFirst = true;
        continue;
      }
      // Another request stored one of these ids in the meantime: the next look finds it.
      if (raced < 2 && isUniqueViolation(error)) {
        raced += 1;
        lookFirst = true;
        continue;
      }
      throw error;
    }
  }
}

/**
 * Thrown by a store that did not look first, to start over with a look: an event of
 * it was stored before (inside the transaction, undoing it), or the batch repeats an
 * id with other content (so the refusal names every id in conflict, stored ones too).
 */
class LookFirst extends Error {}

async function storeOnce(db: Database, inputs: readonly InteractionEventInput[], options: StoreOptions, lookFirst: boolean): Promise<StoredEvent[]> {
  const hashes = inputs.map(payloadHash);
  const stored = new Map<string, InteractionEvent>(
    lookFirst
      ? (await db.interactionEvent.findMany({ where: { idempotencyKey: { in: inputs.map((input) => input.id) } } })).map((event) => [event.idempotencyKey, event])
      : [],
  );
  // Checked, every one, before anything is written: a conflicting batch writes nothing.
  const firstIndex = new Map<string, number>();
  const conflicts: number[] = [];
  inputs.forEach((input, index) => {
    const first = firstIndex.get(input.id) ?? index;
    firstIndex.set(input.id, first);
    const storedHash = stored.get(input.id)?.payloadHash ?? null;
    if (hashes[first] !== hashes[index] || (storedHash !== null && storedHash !== hashes[index])) conflicts.push(index);
  });
  if (conflicts.length > 0) throw lookFirst ? new IdempotencyConflictError(inputs[conflicts[0]!]!.id, conflicts) : new LookFirst();
  const fresh = inputs.flatMap((input, index) => (!stored.has(input.id) && firstIndex.get(input.id) === index ? [{ input, hash: hashes[index]! }] : []));
  const freshInputs = new Set(fresh.map(({ input }) => input));
  const consentOf = new Map<InteractionEventInput, EventConsent[]>();

  await checkRefunds(db, inputs);
  if (fresh.length > 0) {
    const created = await db.$transaction(async (tx) => {
      const constituentIds = await upsertConstituents(tx, fresh.map(({ input }) => input.constituent));
      const receivedAt = new Date();
      const rows = fresh.map(({ input, hash }) => ({ input, hash, constituentId: constituentIds.get(input.constituent.email)!, occurredAt: input.occurredAt ? new Date(input.occurredAt) : receivedAt }));
      const consents = await recordConsents(tx, rows);
      rows.forEach(({ input }, index) => consentOf.set(input, consents[index]!));
      const events = await tx.interactionEvent.createManyAndReturn({
        data: rows.map(({ input, hash, constituentId, occurredAt }) => ({
          idempotencyKey: input.id,
          payloadHash: hash,
          type: dbInteractionType[input.type],
          constituentId,
          data: input.data as Prisma.InputJsonObject,
          ...(input.type === 'donation' ? { amount: input.data.amount.toFixed(2), currency: input.data.currency } : {}),
          occurredAt,
          receivedAt,
          ...(options.history ? { historical: true, routedAt: receivedAt } : {}),
        })),
        // Without a look first, an id stored before is skipped here, and noticed just below.
        skipDuplicates: !lookFirst,
      });
      if (events.length < rows.length) throw new LookFirst();
      await applyStoredRefunds(tx, events);
      await options.alongside?.(tx, events);
      return events;
    }, STORE_TRANSACTION);
    for (const event of created) stored.set(event.idempotencyKey, event);
  }

  return inputs.map((input) => {
    const consent = consentOf.get(input);
    return { event: stored.get(input.id)!, duplicate: !freshInputs.has(input), ...(consent?.length ? { consent } : {}) };
  });
}

type Tx = Prisma.TransactionClient;

/**
 * Upserts each distinct constituent once (by email). Known details are kept when an
 * event leaves them out; given ones update the record, later events in the batch last.
 */
async function upsertConstituents(tx: Tx, constituents: readonly InteractionEventInput['constituent'][]): Promise<Map<string, string>> {
  const byEmail = new Map<string, { firstName?: string; lastName?: string; phone?: string; timezone?: string; locale?: string }>();
  for (const { email, firstName, lastName, phone, timezone, locale } of constituents) {
    const given = Object.fromEntries(Object.entries({ firstName, lastName, phone, timezone, locale }).filter(([, value]) => value !== undefined));
    byEmail.set(email, { ...byEmail.get(email), ...given });
  }
  const emails = [...byEmail.keys()];
  const column = (field: 'firstName' | 'lastName' | 'phone' | 'timezone' | 'locale') => emails.map((email) => byEmail.get(email)![field] ?? null);
  const rows = await tx.$queryRaw<{ id: string; email: string }[]>`
    INSERT INTO "constituent" ("id", "email", "first_name", "last_name", "phone", "timezone", "locale", "updated_at")
    SELECT given.*, now()
      FROM unnest(${emails.map(() => randomUUID())}::text[], ${emails}::text[], ${column('firstName')}::text[], ${column('lastName')}::text[],
                  ${column('phone')}::text[], ${column('timezone')}::text[], ${column('locale')}::text[]) AS given
    ON CONFLICT ("email") DO UPDATE SET
      "first_name" = COALESCE(EXCLUDED."first_name", "constituent"."first_name"),
      "last_name" = COALESCE(EXCLUDED."last_name", "constituent"."last_name"),
      "phone" = COALESCE(EXCLUDED."phone", "constituent"."phone"),
      "timezone" = COALESCE(EXCLUDED."timezone", "constituent"."timezone"),
      "locale" = COALESCE(EXCLUDED."locale", "constituent"."locale"),
      "updated_at" = now()
    RETURNING "id", "email"`;
  return new Map(rows.map((row) => [row.email, row.id]));
}

/**
 * Keeps every consent the batch carries, in order, and puts in force what precedence
 * allows (see `consent/precedence.ts`); returns, per event, what became of its consent.
 */
async function recordConsents(tx: Tx, rows: readonly { input: InteractionEventInput; constituentId: string; occurredAt: Date }[]): Promise<EventConsent[][]> {
  const changes = rows.map(({ input, constituentId, occurredAt }) =>
    (['email', 'sms'] as const).flatMap((channel): ConsentInput[] => {
      const given = input.constituent.consent?.[channel];
      if (!given) return [];
      const consent = typeof given === 'string' ? { status: given } : given;
      return [{ constituentId, channel, status: consent.status, source: consent.source ?? `${input.type} event ${input.id}`, authority: consent.by, evidence: consent.evidence, at: consent.at ? new Date(consent.at) : occurredAt }];
    }),
  );
  const results = await recordConsentChanges(tx, changes.flat());
  let next = 0;
  return changes.map((forEvent) => forEvent.map(() => consentReport(results[next++]!)));
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2002';
}

/** An event Steward detected itself (a lapse, a no-show) for a constituent it already knows. */
export interface DetectedEvent {
  constituentId: string;
  type: 'drop-off';
  /** Deterministic: the same detection twice is one event. */
  idempotencyKey: string;
  data: Record<string, unknown>;
  occurredAt: Date;
}

/** Stores a detected event once; returns it and whether it was new. */
export async function storeDetectedEvent(db: Database, detected: DetectedEvent): Promise<StoredEvent> {
  const existing = await db.interactionEvent.findUnique({ where: { idempotencyKey: detected.idempotencyKey } });
  if (existing) return { event: existing, duplicate: true };
  try {
    const event = await db.interactionEvent.create({
      data: {
        idempotencyKey: detected.idempotencyKey,
        type: 'drop_off',
        constituentId: detected.constituentId,
        data: detected.data as Prisma.InputJsonObject,
        occurredAt: detected.occurredAt,
      },
    });
    return { event, duplicate: false };
  } catch (error) {
    if (isUniqueViolation(error)) {
      const winner = await db.interactionEvent.findUnique({ where: { idempotencyKey: detected.idempotencyKey } });
      if (winner) return { event: winner, duplicate: true };
    }
    throw error;
  }
}
