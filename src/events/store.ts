/** Storing an incoming event: first thing done with it, so accepted data is never lost. */
import { createHash, randomUUID } from 'node:crypto';
import type { ConsentStatus, Database, InteractionEvent, Prisma } from '../db/client.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { applyConsentChanges, consentKey, consentReport, type ConsentInput, type ConsentReport, type ConsentsInForce } from '../consent/consent.ts';
import type { ConsentAuthority } from '../consent/precedence.ts';
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
      if (!(error instanceof LookFirst || isUniqueViolation(error))) throw error;
      // After a look, another request stored one of these ids in the meantime: the next look
      // finds it. Each such race leaves one id fewer unknown, so the batch's size bounds them.
      // A unique violation elsewhere (a constituent created alongside) promises no such
      // progress and gets two more tries. Past either, it is a fault to report, not a race.
      if (lookFirst && raced++ >= (error instanceof LookFirst ? inputs.length : 2)) {
        throw error instanceof LookFirst ? new Error(`storing ${inputs.length} event(s) kept racing other writers after ${raced} looks`) : error;
      }
      lookFirst = true;
    }
  }
}

/**
 * Thrown inside the store's transaction, undoing it, to start over with a look: an
 * event of it was stored before (or, after a look, since), or the batch repeats an
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
      const receivedAt = new Date();
      const rows = fresh.map(({ input, hash }) => ({ input, hash, occurredAt: input.occurredAt ? new Date(input.occurredAt) : receivedAt }));
      const { events, inForce } = await insertEvents(tx, rows, { receivedAt, history: options.history === true });
      // Without a look first, an id stored before is skipped, and noticed here; after a
      // look, an id another request stored in the meantime is: either way, start over.
      if (events.length < rows.length) throw new LookFirst();
      const constituentIds = new Map(events.map((event) => [event.idempotencyKey, event.constituentId]));
      const consents = await recordConsents(tx, rows.map((row) => ({ ...row, constituentId: constituentIds.get(row.input.id)! })), inForce);
      rows.forEach(({ input }, index) => consentOf.set(input, consents[index]!));
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

interface EventRow {
  input: InteractionEventInput;
  hash: string;
  occurredAt: Date;
}

/** The channels on which an event carries consent. */
function consentChannels(input: InteractionEventInput): ('email' | 'sms')[] {
  return (['email', 'sms'] as const).filter((channel) => input.constituent.consent?.[channel] !== undefined);
}

/**
 * One statement (on the embedded database's one connection every round trip of
 * intake counts): upserts each distinct constituent once, by email, keeping known
 * details an event leaves out (later events in the batch last); inserts the events
 * in the batch's order (their `seq`), skipping ids stored before; and reads and
 * locks the consent in force on every channel the events carry consent for.
 */
async function insertEvents(tx: Tx, rows: readonly EventRow[], at: { receivedAt: Date; history: boolean }): Promise<{ events: InteractionEvent[]; inForce: ConsentsInForce }> {
  const byEmail = new Map<string, { firstName?: string; lastName?: string; phone?: string; timezone?: string; locale?: string }>();
  for (const { email, firstName, lastName, phone, timezone, locale } of rows.map(({ input }) => input.constituent)) {
    const given = Object.fromEntries(Object.entries({ firstName, lastName, phone, timezone, locale }).filter(([, value]) => value !== undefined));
    byEmail.set(email, { ...byEmail.get(email), ...given });
  }
  const emails = [...byEmail.keys()];
  const detail = (field: 'firstName' | 'lastName' | 'phone' | 'timezone' | 'locale') => emails.map((email) => byEmail.get(email)![field] ?? null);
  const event = <T>(pick: (row: EventRow) => T) => rows.map(pick);
  const consentWanted = rows.flatMap(({ input }) => consentChannels(input).map((channel) => ({ email: input.constituent.email, channel })));
  const receivedAt = at.receivedAt.toISOString();
  const found = await tx.$queryRaw<(RawEvent & { inForce: RawConsent[] | null })[]>`
    WITH upserted AS (
      INSERT INTO "constituent" ("id", "email", "first_name", "last_name", "phone", "timezone", "locale", "updated_at")
      SELECT given.*, now()
        FROM unnest(${emails.map(() => randomUUID())}::text[], ${emails}::text[], ${detail('firstName')}::text[], ${detail('lastName')}::text[],
                    ${detail('phone')}::text[], ${detail('timezone')}::text[], ${detail('locale')}::text[]) AS given
      ON CONFLICT ("email") DO UPDATE SET
        "first_name" = COALESCE(EXCLUDED."first_name", "constituent"."first_name"),
        "last_name" = COALESCE(EXCLUDED."last_name", "constituent"."last_name"),
        "phone" = COALESCE(EXCLUDED."phone", "constituent"."phone"),
        "timezone" = COALESCE(EXCLUDED."timezone", "constituent"."timezone"),
        "locale" = COALESCE(EXCLUDED."locale", "constituent"."locale"),
        "updated_at" = now()
      RETURNING "id", "email"
    ), inserted AS (
      INSERT INTO "interaction_event" ("id", "idempotency_key", "payload_hash", "type", "constituent_id", "data", "amount", "currency",
                                       "occurred_at", "received_at", "historical", "routed_at")
      SELECT given.id, given.key, given.hash, given.type::"interaction_type", upserted.id, given.data::jsonb, given.amount::numeric, given.currency,
             given.occurred_at::timestamptz AT TIME ZONE 'UTC', ${receivedAt}::timestamptz AT TIME ZONE 'UTC', ${at.history},
             CASE WHEN ${at.history} THEN ${receivedAt}::timestamptz AT TIME ZONE 'UTC' END
        FROM unnest(${event(() => randomUUID())}::text[], ${event(({ input }) => input.id)}::text[], ${event(({ hash }) => hash)}::text[],
                    ${event(({ input }) => input.type)}::text[], ${event(({ input }) => input.constituent.email)}::text[],
                    ${event(({ input }) => JSON.stringify(input.data))}::text[],
                    ${event(({ input }) => (input.type === 'donation' ? input.data.amount.toFixed(2) : null))}::text[],
                    ${event(({ input }) => (input.type === 'donation' ? input.data.currency : null))}::text[],
                    ${event(({ occurredAt }) => occurredAt.toISOString())}::text[])
             WITH ORDINALITY AS given(id, key, hash, type, email, data, amount, currency, occurred_at, position)
        JOIN upserted ON upserted."email" = given.email
       ORDER BY given.position
      ON CONFLICT ("idempotency_key") DO NOTHING
      RETURNING "id", "idempotency_key", "seq", "payload_hash", "type"::text AS "type", "constituent_id", "data", "amount", "currency",
                "occurred_at", "received_at", "routed_at", "historical"
    ), in_force AS (
      -- Found through the constituents as they were (a new one has no consent yet), by the
      -- unique indexes: never a scan of the whole table, which grows with every constituent.
      SELECT consent."constituent_id", consent."channel"::text AS "channel", consent."status"::text AS "status",
             consent."authority"::text AS "authority", consent."source", consent."recorded_at"
        FROM "constituent_consent" consent
       WHERE (consent."constituent_id", consent."channel") IN (
               SELECT known."id", wanted.channel::"channel"
                 FROM unnest(${consentWanted.map(({ email }) => email)}::text[], ${consentWanted.map(({ channel }) => channel)}::text[]) AS wanted(email, channel)
                 JOIN "constituent" known ON known."email" = wanted.email)
       ORDER BY consent."constituent_id", consent."channel"
         FOR UPDATE OF consent
    )
    SELECT inserted.*, (SELECT jsonb_agg(to_jsonb(in_force)) FROM in_force) AS "inForce"
      FROM inserted
     ORDER BY inserted."seq"`;
  const inForce: ConsentsInForce = new Map(
    (found[0]?.inForce ?? []).map((row) => [
      consentKey(row.constituent_id, row.channel),
      { status: row.status as ConsentStatus, authority: row.authority as ConsentAuthority, source: row.source, at: new Date(`${row.recorded_at}Z`) },
    ]),
  );
  return { events: found.map(eventOf), inForce };
}

/** An inserted event as the statement returns it: snake_case, its type as stored. */
interface RawEvent {
  id: string;
  idempotency_key: string;
  seq: bigint;
  payload_hash: string | null;
  type: keyof typeof dbInteractionType;
  constituent_id: string;
  data: Prisma.JsonValue;
  amount: Prisma.Decimal | null;
  currency: string | null;
  occurred_at: Date;
  received_at: Date;
  routed_at: Date | null;
  historical: boolean;
}

/** A consent in force as `to_jsonb` gives it: its time without a zone, in UTC as stored. */
interface RawConsent {
  constituent_id: string;
  channel: string;
  status: string;
  authority: string;
  source: string;
  recorded_at: string;
}

function eventOf(row: RawEvent): InteractionEvent {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    seq: row.seq,
    payloadHash: row.payload_hash,
    type: dbInteractionType[row.type],
    constituentId: row.constituent_id,
    data: row.data as InteractionEvent['data'],
    amount: row.amount,
    currency: row.currency,
    occurredAt: row.occurred_at,
    receivedAt: row.received_at,
    routedAt: row.routed_at,
    historical: row.historical,
  };
}

/**
 * Keeps every consent the batch carries, in order, and puts in force what precedence
 * allows (see `consent/precedence.ts`), against the consent in force `insertEvents`
 * locked; returns, per event, what became of its consent.
 */
async function recordConsents(tx: Tx, rows: readonly (EventRow & { constituentId: string })[], inForce: ConsentsInForce): Promise<EventConsent[][]> {
  const changes = rows.map(({ input, constituentId, occurredAt }) =>
    consentChannels(input).map((channel): ConsentInput => {
      const given = input.constituent.consent![channel]!;
      const consent = typeof given === 'string' ? { status: given } : given;
      return { constituentId, channel, status: consent.status, source: consent.source ?? `${input.type} event ${input.id}`, authority: consent.by, evidence: consent.evidence, at: consent.at ? new Date(consent.at) : occurredAt };
    }),
  );
  const results = await applyConsentChanges(tx, changes.flat(), inForce);
  let next = 0;
  return changes.map((forEvent) => forEvent.map(() => consentReport(results[next++]!)));
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
