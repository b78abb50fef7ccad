/**
 * The outbox: a change that causes a webhook writes one delivery row per
 * subscribed endpoint in the change's own transaction, so a webhook is sent for
 * every change that happened and for none that did not. The dispatcher hands the
 * rows to Temporal afterwards. With no endpoint subscribed it reads nothing (the
 * subscription set is cached).
 */
import type { Prisma } from '../db/client.ts';
import type { WebhookEventType } from './event-types.ts';
import { webhookContent } from './payloads.ts';
import { isSubscribed } from './subscriptions.ts';

/**
 * Records that `type` happened to the row `subjectId` (a task, enrollment, consent
 * change or message), for every enabled endpoint subscribed to it. Call inside the
 * transaction that made the change. Returns how many deliveries were written.
 */
export async function recordWebhookEvent(tx: Prisma.TransactionClient, type: WebhookEventType, subjectId: string): Promise<number> {
  if (!(await isSubscribed(tx, type))) return 0;
  const content = await webhookContent[type](tx, subjectId);
  if (!content) return 0;
  return tx.$executeRaw`
    INSERT INTO "webhook_delivery" ("id", "endpoint_id", "event_type", "payload", "occurred_at", "created_at")
    SELECT gen_random_uuid()::text, "id", ${type}, ${JSON.stringify(content.payload)}::jsonb,
           ${content.occurredAt.toISOString()}::timestamptz AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
      FROM "webhook_endpoint"
     WHERE "enabled" AND ${type} = ANY("event_types")`;
}
