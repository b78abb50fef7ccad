/** Storing an incoming event: first thing done with it, so accepted data is never lost. */
import { createHash } from 'node:crypto';
import { recordConsent } from '../consent/consent.ts';
import type { Database, InteractionEvent, Prisma } from '../db/client.ts';
import type { InteractionEventInput } from './schema.ts';

/** The same event id sent again with different content: accepting it would lose the new content silently. */
export class IdempotencyConflictError extends Error {
  constructor(readonly eventId: string) {
    super(`Event id "${eventId}" was already used for a different event; give this event its own id`);
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

/** Ids among `inputs` already stored with different content. */
export async function findConflicts(db: Database, inputs: readonly InteractionEventInput[]): Promise<Set<string>> {
  const stored = await db.interactionEvent.findMany({
    where: { idempotencyKey: { in: inputs.map((input) => input.id) } },
    select: { idempotencyKey: true, payloadHash: true },
  });
  const hashes = new Map(stored.map((event) => [event.idempotencyKey, event.payloadHash]));
  return new Set(
    inputs.filter((input) => {
      const hash = hashes.get(input.id);
      return hash !== undefined && hash !== null && hash !== payloadHash(input);
    }).map((input) => input.id),
  );
}

export interface StoredEvent {
  event: InteractionEvent;
  /** True when an event with the same id was stored before; nothing was written. */
  duplicate: boolean;
}

const dbInteractionType = {
  donation: 'donation',
  registration: 'registration',
  'drop-off': 'drop_off',
  custom: 'custom',
} as const;

/**
 * Stores the event and its constituent in one transaction: either both are written
 * or neither. The event's id is its idempotency key; a repeat returns the first copy.
 */
export async function storeEvent(db: Database, input: InteractionEventInput): Promise<StoredEvent> {
  const hash = payloadHash(input);
  const existing = await db.interactionEvent.findUnique({ where: { idempotencyKey: input.id } });
  if (existing) return sameEvent(existing, hash, input.id);

  try {
    const event = await db.$transaction(async (tx) => {
      const { email, firstName, lastName, phone, timezone, locale } = input.constituent;
      // Known details are kept when an event leaves them out; given ones update the record.
      const details = { firstName, lastName, phone, timezone, locale };
      const constituent = await tx.constituent.upsert({
        where: { email },
        create: { email, ...details },
        update: details,
      });
      const occurredAt = input.occurredAt ? new Date(input.occurredAt) : new Date();
      for (const channel of ['email', 'sms'] as const) {
        const given = input.constituent.consent?.[channel];
        if (!given) continue;
        const consent = typeof given === 'string' ? { status: given } : given;
        await recordConsent(tx, {
          constituentId: constituent.id,
          channel,
          status: consent.status,
          source: consent.source ?? `${input.type} event ${input.id}`,
          at: consent.at ? new Date(consent.at) : occurredAt,
        });
      }
      const money = input.type === 'donation' ? { amount: input.data.amount.toFixed(2), currency: input.data.currency } : {};
      return tx.interactionEvent.create({
        data: {
          idempotencyKey: input.id,
          payloadHash: hash,
          type: dbInteractionType[input.type],
          constituentId: constituent.id,
          data: input.data as Prisma.InputJsonObject,
          ...money,
          occurredAt,
        },
      });
    });
    return { event, duplicate: false };
  } catch (error) {
    // Two requests with the same id raced; the other one stored it first.
    if (isUniqueViolation(error)) {
      const winner = await db.interactionEvent.findUnique({ where: { idempotencyKey: input.id } });
      if (winner) return sameEvent(winner, hash, input.id);
    }
    throw error;
  }
}

function sameEvent(stored: InteractionEvent, hash: string, id: string): StoredEvent {
  if (stored.payloadHash !== null && stored.payloadHash !== hash) throw new IdempotencyConflictError(id);
  return { event: stored, duplicate: true };
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
