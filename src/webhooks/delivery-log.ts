/** The delivery log: what was sent to each endpoint, each attempt's answer, and replays. */
import type { Database, Prisma } from '../db/client.ts';

export interface DeliveryQuery {
  endpointId?: string | undefined;
  status?: 'pending' | 'delivered' | 'failed' | undefined;
  /** Only deliveries with at least one failed attempt. */
  failedAttempts?: boolean | undefined;
  limit?: number | undefined;
}

const summary = {
  id: true,
  endpointId: true,
  eventType: true,
  occurredAt: true,
  status: true,
  replays: true,
  deliveredAt: true,
  lastError: true,
  createdAt: true,
  _count: { select: { attempts: true } },
} as const;

export type WebhookDeliveryLog = ReturnType<typeof createWebhookDeliveryLog>;

export function createWebhookDeliveryLog(db: Database) {
  /** A delivery's attempts that did not get a 2xx. */
  const failed: Prisma.WebhookAttemptWhereInput = { OR: [{ statusCode: null }, { statusCode: { lt: 200 } }, { statusCode: { gte: 300 } }] };

  return {
    /** Newest first, each with how many attempts it took and how many of them failed. */
    async list(query: DeliveryQuery = {}) {
      const rows = await db.webhookDelivery.findMany({
        where: {
          ...(query.endpointId ? { endpointId: query.endpointId } : {}),
          ...(query.status ? { status: query.status } : {}),
          ...(query.failedAttempts ? { attempts: { some: failed } } : {}),
        },
        select: { ...summary, attempts: { where: failed, select: { id: true } } },
        orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
        take: Math.min(query.limit ?? 50, 500),
      });
      return rows.map(({ _count, attempts, ...row }) => ({ ...row, attempts: _count.attempts, failedAttempts: attempts.length }));
    },

    /** One delivery with its payload and every attempt, oldest first. */
    find(id: string) {
      return db.webhookDelivery.findUnique({
        where: { id },
        include: { attempts: { orderBy: { startedAt: 'asc' } }, endpoint: { select: { id: true, url: true, enabled: true } } },
      });
    },

    /**
     * Sends a delivery again (same webhook-id, a new timestamp and signature): it goes
     * back to the outbox as its next replay. Undefined when there is no such delivery.
     */
    async replay(id: string): Promise<{ id: string; replays: number } | undefined> {
      const rows = await db.$queryRaw<{ replays: number }[]>`
        UPDATE "webhook_delivery"
           SET "replays" = "replays" + 1, "status" = 'pending', "dispatched_at" = NULL, "delivered_at" = NULL, "last_error" = NULL
         WHERE "id" = ${id}
        RETURNING "replays"`;
      return rows[0] ? { id, replays: rows[0].replays } : undefined;
    },
  };
}
