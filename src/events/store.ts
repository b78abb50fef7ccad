/** Storing an incoming event: first thing done with it, so accepted data is never lost. */
import type { Database, InteractionEvent, Prisma } from '../db/client.ts';
import type { InteractionEventInput } from './schema.ts';

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
  const existing = await db.interactionEvent.findUnique({ where: { idempotencyKey: input.id } });
  if (existing) return { event: existing, duplicate: true };

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
      const money = input.type === 'donation' ? { amount: input.data.amount.toFixed(2), currency: input.data.currency } : {};
      return tx.interactionEvent.create({
        data: {
          idempotencyKey: input.id,
          type: dbInteractionType[input.type],
          constituentId: constituent.id,
          data: input.data as Prisma.InputJsonObject,
          ...money,
          occurredAt: input.occurredAt ? new Date(input.occurredAt) : new Date(),
        },
      });
    });
    return { event, duplicate: false };
  } catch (error) {
    // Two requests with the same id raced; the other one stored it first.
    if (isUniqueViolation(error)) {
      const winner = await db.interactionEvent.findUnique({ where: { idempotencyKey: input.id } });
      if (winner) return { event: winner, duplicate: true };
    }
    throw error;
  }
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
