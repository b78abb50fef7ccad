/**
 * A send the provider accepted but Steward could not record (the database stopped
 * answering in between). The attempt notes the acceptance in its heartbeat before
 * recording; the next attempt finds the note and records the message as sent
 * instead of sending it again. What is noted is ids only: Temporal keeps heartbeat
 * details with the failure in the workflow's history.
 */
import type { Database, Prisma } from '../db/client.ts';
import { notedByEarlierAttempt, noteInHeartbeat } from './activity-heartbeat.ts';
import type { WebhookEventType } from '../webhooks/event-types.ts';
import { recordWebhookEvent } from '../webhooks/outbox.ts';
import { isSubscribed } from '../webhooks/subscriptions.ts';

export interface AcceptedSend {
  acceptedMessageId: string;
  providerMessageId: string;
}

/** Notes that the provider accepted this message, before its result is recorded. */
export function noteAccepted(sent: AcceptedSend): void {
  noteInHeartbeat(sent);
}

/**
 * The provider's id for this message, when an earlier attempt saw it accepted: an
 * earlier attempt of this activity (its heartbeat), or a failed attempt inside the
 * workflow task whose note the workflow `carried` over.
 */
export function acceptedEarlier(messageId: string, carried?: unknown): string | undefined {
  const noted = notedByEarlierAttempt(carried) as Partial<AcceptedSend> | undefined;
  return noted?.acceptedMessageId === messageId && typeof noted.providerMessageId === 'string' ? noted.providerMessageId : undefined;
}

/** Records as sent a message an earlier attempt saw accepted (with its webhook, for a constituent's message), whoever holds its lease now. */
export async function recordAcceptedEarlier(
  db: Database,
  messageId: string,
  providerMessageId: string,
  data: Prisma.MessageUpdateManyMutationInput = {},
  webhook?: WebhookEventType,
): Promise<void> {
  const record = {
    where: { id: messageId, status: 'pending' as const },
    data: { ...data, status: 'sent' as const, sentAt: new Date(), providerMessageId, error: null, scheduledFor: null, leaseToken: null, leaseExpiresAt: null },
  };
  if (!webhook || !(await isSubscribed(db, webhook))) {
    await db.message.updateMany(record);
    return;
  }
  await db.$transaction(async (tx) => {
    if ((await tx.message.updateMany(record)).count > 0) await recordWebhookEvent(tx, webhook, messageId);
  });
}
