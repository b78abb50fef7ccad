/**
 * A send the provider accepted but Steward could not record (the database stopped
 * answering in between). The attempt notes the acceptance in its heartbeat before
 * recording; the next attempt finds the note and records the message as sent
 * instead of sending it again. What is noted is ids only: Temporal keeps heartbeat
 * details with the failure in the workflow's history.
 */
import type { Database, Prisma } from '../db/client.ts';
import { notedByEarlierAttempt, noteInHeartbeat } from './activity-heartbeat.ts';

export interface AcceptedSend {
  acceptedMessageId: string;
  providerMessageId: string;
}

/** Notes that the provider accepted this message, before its result is recorded. */
export function noteAccepted(sent: AcceptedSend): void {
  noteInHeartbeat(sent);
}

/** The provider's id for this message, when an earlier attempt of the activity saw it accepted. */
export function acceptedEarlier(messageId: string): string | undefined {
  const noted = notedByEarlierAttempt() as Partial<AcceptedSend> | undefined;
  return noted?.acceptedMessageId === messageId && typeof noted.providerMessageId === 'string' ? noted.providerMessageId : undefined;
}

/** Records as sent a message an earlier attempt saw accepted, whoever holds its lease now. */
export async function recordAcceptedEarlier(db: Database, messageId: string, providerMessageId: string, data: Prisma.MessageUpdateManyMutationInput = {}): Promise<void> {
  await db.message.updateMany({
    where: { id: messageId, status: 'pending' },
    data: { ...data, status: 'sent', sentAt: new Date(), providerMessageId, error: null, scheduledFor: null, leaseToken: null, leaseExpiresAt: null },
  });
}
