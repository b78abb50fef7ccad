/**
 * The claim an attempt takes on a message before it calls the provider. Temporal
 * starts a new attempt when the previous one looks dead (its timeout passed, its
 * heartbeats stopped), but a slow attempt on a busy machine is not dead: without a
 * claim both would send. The claim (a lease) is taken in the one conditional UPDATE
 * that checks the message is still pending; while it is in force no other attempt
 * calls the provider. The result is recorded only under the attempt's own token, so
 * an attempt whose lease lapsed and was taken over records nothing over the newer one.
 *
 * Every time here is the database's (`now()` in UTC, as Prisma stores DateTime), so
 * workers whose clocks disagree still agree on whether a lease is in force.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { unavailablePart } from '../api/unavailable.ts';
import type { Database, Prisma } from '../db/client.ts';
import type { WebhookEventType } from '../webhooks/event-types.ts';
import { recordWebhookEvent } from '../webhooks/outbox.ts';
import { isSubscribed } from '../webhooks/subscriptions.ts';

export interface SendLease {
  messageId: string;
  token: string;
  /** 1 for the first attempt that claimed the send, 2 for the next, and so on. */
  attempt: number;
}

/** Claims a pending message for `leaseMs`; undefined when it is not pending or another attempt's lease is in force. */
export async function claimSend(db: Database, messageId: string, leaseMs: number): Promise<SendLease | undefined> {
  const token = randomUUID();
  const [row] = await db.$queryRaw<{ send_attempts: number }[]>`
    WITH clock AS (SELECT date_trunc('milliseconds', now() AT TIME ZONE 'UTC') AS now)
    UPDATE message
       SET lease_token = ${token},
           lease_expires_at = (SELECT now FROM clock) + ${leaseMs}::double precision * interval '1 millisecond',
           send_attempts = send_attempts + 1
     WHERE id = ${messageId}
       AND status = 'pending'
       AND (lease_expires_at IS NULL OR lease_expires_at <= (SELECT now FROM clock))
    RETURNING send_attempts`;
  return row ? { messageId, token, attempt: row.send_attempts } : undefined;
}

/** How long another attempt's lease on the message stays in force, in ms; 0 when none is. */
export async function leaseRemainingMs(db: Database, messageId: string): Promise<number> {
  const [row] = await db.$queryRaw<{ remaining: number | null }[]>`
    SELECT (extract(epoch FROM lease_expires_at - now() AT TIME ZONE 'UTC') * 1000)::integer AS remaining
      FROM message WHERE id = ${messageId}`;
  return Math.max(0, row?.remaining ?? 0);
}

/**
 * How long recording a result keeps trying while the database does not answer: within
 * the margin the lease keeps beyond the provider call, so no other attempt can claim
 * the message meanwhile. Past it the attempt fails; its heartbeat says what the
 * provider answered (see accepted-send.ts), so the next attempt records it instead of
 * sending again.
 */
const RECORD_RETRY_MS = 10_000;

/**
 * Records the attempt's result and ends its lease, only if the lease is still its own.
 * A result that is a webhook's event (`message.sent`, `message.bounced`) writes the
 * webhook with it, in one transaction, when an endpoint subscribes; what the result
 * changes besides the message (`alongside`: a bounced address suppressed) is always
 * written in that transaction. Otherwise it is the one UPDATE. Either way it is
 * written once: a second recording finds the lease gone.
 */
export async function recordUnderLease(
  db: Database,
  lease: SendLease,
  data: Prisma.MessageUpdateManyMutationInput,
  webhook?: WebhookEventType,
  alongside?: (tx: Prisma.TransactionClient) => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + RECORD_RETRY_MS;
  const record = { where: { id: lease.messageId, leaseToken: lease.token }, data: { ...data, leaseToken: null, leaseExpiresAt: null } };
  let count: number;
  for (let wait = 250; ; wait = Math.min(wait * 2, 2_000)) {
    try {
      count =
        alongside || (webhook && (await isSubscribed(db, webhook)))
          ? await db.$transaction(async (tx) => {
              const recorded = await tx.message.updateMany(record);
              if (recorded.count > 0 && webhook) await recordWebhookEvent(tx, webhook, lease.messageId);
              if (recorded.count > 0) await alongside?.(tx);
              return recorded.count;
            })
          : (await db.message.updateMany(record)).count;
      break;
    } catch (error) {
      if (unavailablePart(error) !== 'database' || Date.now() + wait > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  if (count === 0) {
    // Another attempt took over after this one's lease lapsed: its record stands.
    throw ApplicationFailure.retryable(`Message ${lease.messageId}: attempt ${lease.attempt}'s claim was taken over before its result was recorded`, 'SendLeaseLost');
  }
}

/** Gives the claim up without a result (the provider failed in passing): the next attempt need not wait for it to lapse. */
export async function releaseLease(db: Database, lease: SendLease): Promise<void> {
  await db.message.updateMany({ where: { id: lease.messageId, leaseToken: lease.token }, data: { leaseToken: null, leaseExpiresAt: null } });
}

/**
 * Another attempt is sending this message. Retryable, and Temporal is asked to try
 * again when that attempt's lease lapses: by then it has recorded its result (which
 * the retry answers from) or it died (and the retry sends).
 */
export function sendInProgress(messageId: string, remainingMs: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'SendInProgress',
    message: `Message ${messageId} is being sent by another attempt; its claim lapses in ${Math.ceil(remainingMs / 1000)} s`,
    nextRetryDelay: Math.max(1_000, remainingMs),
  });
}
