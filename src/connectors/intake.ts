/**
 * What every connector does with a delivery it has proven genuine: store the event
 * it maps to through the same durable intake as `POST /events`, with the delivery's
 * record in the same transaction, or record it as ignored. The provider's delivery id
 * is the idempotency key: a redelivery finds its record and stores nothing new.
 */
import type { Database, InteractionEvent } from '../db/client.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { GiftReferenceError } from '../events/refunds.ts';
import type { RoutingPump } from '../events/routing-pump.ts';
import type { InteractionEventInput } from '../events/schema.ts';
import { IdempotencyConflictError, storeEvents } from '../events/store.ts';

/** One delivery as the provider names it. */
export interface Delivery {
  connector: string;
  /** The provider's own id for it (a Stripe event id): the same id again is a redelivery. */
  deliveryId: string;
  /** The provider's kind of delivery (`invoice.paid`). */
  kind: string;
}

/** What a connector's mapping made of a delivery: a Steward event, or a reason to store nothing. */
export type DeliveryVerdict = { event: InteractionEventInput } | { ignored: string };

export interface DeliveryReceipt {
  /** `redelivered`: this delivery id was received before; nothing was written now. */
  outcome: 'stored' | 'duplicate' | 'ignored' | 'redelivered';
  /** The Steward event it became (or that already held the same fact). */
  eventId?: string;
  reason?: string;
}

/** A delivery turned away before its sender was proven: recorded without its id or content. */
export interface RefusedDelivery {
  connector: string;
  reason: string;
  kind?: string | undefined;
}

/** Refused deliveries kept per connector. */
const KEPT_REFUSALS = 200;

export type ConnectorIntake = ReturnType<typeof createConnectorIntake>;

export function createConnectorIntake(deps: { db: Database; routing: Pick<RoutingPump, 'kick'> }) {
  const { db, routing } = deps;

  /** The earlier record of this delivery id, as a redelivery's answer. */
  async function earlier(delivery: Delivery): Promise<DeliveryReceipt | undefined> {
    const row = await db.connectorDelivery.findUnique({ where: { connector_deliveryId: { connector: delivery.connector, deliveryId: delivery.deliveryId } } });
    return row ? { outcome: 'redelivered', ...(row.eventId ? { eventId: row.eventId } : {}), reason: `delivery ${delivery.deliveryId} was received before (${row.outcome})` } : undefined;
  }

  /** Records a delivery that stores no event; a concurrent copy of it makes this one a redelivery. */
  async function note(delivery: Delivery, outcome: 'duplicate' | 'ignored', reason: string, eventId?: string): Promise<DeliveryReceipt> {
    try {
      await db.connectorDelivery.create({ data: { ...delivery, outcome, reason, eventId: eventId ?? null } });
    } catch (error) {
      if (isUniqueViolation(error)) return (await earlier(delivery))!;
      throw error;
    }
    return { outcome, reason, ...(eventId ? { eventId } : {}) };
  }

  async function store(delivery: Delivery, event: InteractionEventInput): Promise<DeliveryReceipt> {
    let stored: { event: InteractionEvent; duplicate: boolean };
    try {
      [stored] = (await storeEvents(db, [event], {
        alongside: async (tx, [created]) => {
          await tx.connectorDelivery.create({ data: { ...delivery, outcome: 'stored', eventId: created!.id } });
        },
      })) as [{ event: InteractionEvent; duplicate: boolean }];
    } catch (error) {
      // The same fact (one payment, one failed invoice) reported again by another delivery.
      if (error instanceof IdempotencyConflictError) {
        const first = await db.interactionEvent.findUnique({ where: { idempotencyKey: event.id }, select: { id: true } });
        return note(delivery, 'duplicate', `already recorded as event ${event.id} from an earlier delivery`, first?.id);
      }
      if (error instanceof GiftReferenceError) return note(delivery, 'ignored', error.issues.map(({ path, message }) => `${path} ${message}`).join('; '));
      throw error;
    }
    if (stored.duplicate) {
      // Either another delivery reported the same fact, or this very delivery was stored
      // by a concurrent copy of it (then its record exists and this is a redelivery).
      return (await earlier(delivery)) ?? note(delivery, 'duplicate', `already recorded as event ${event.id} from an earlier delivery`, stored.event.id);
    }
    routing.kick();
    return { outcome: 'stored', eventId: stored.event.id };
  }

  return {
    /** Stores what a genuine delivery maps to, once per delivery id. */
    async accept(delivery: Delivery, verdict: DeliveryVerdict): Promise<DeliveryReceipt> {
      const before = await earlier(delivery);
      if (before) return before;
      return 'ignored' in verdict ? note(delivery, 'ignored', verdict.ignored) : store(delivery, verdict.event);
    },

    /** Keeps a line about a refused delivery (bad signature, unreadable body) for the connector's page. */
    async refuse(refused: RefusedDelivery): Promise<void> {
      await db.connectorDelivery.create({ data: { connector: refused.connector, outcome: 'refused', reason: refused.reason, kind: refused.kind ?? null } });
      // Anyone can send a forged delivery: only the latest refusals are kept, so a flood cannot fill the table.
      await db.$executeRaw`
        DELETE FROM "connector_delivery"
         WHERE "connector" = ${refused.connector} AND "outcome" = 'refused'
           AND "id" NOT IN (SELECT "id" FROM "connector_delivery" WHERE "connector" = ${refused.connector} AND "outcome" = 'refused'
                             ORDER BY "received_at" DESC LIMIT ${KEPT_REFUSALS})`;
    },
  };
}
