/**
 * What a bounce changes, however Steward learns of it (a mail server refusing a
 * message as it is sent, a bounce report afterwards, Twilio's delivery receipt):
 * the message is marked once, the CRM hears of it by `message.bounced`, and an email
 * address that can never receive is suppressed with everyone's consent at it
 * withdrawn. Each runs in the caller's transaction, so the webhook and the
 * bookkeeping commit with the change or not at all.
 */
import type { Prisma } from '../db/client.ts';
import { recordWebhookEvent } from '../webhooks/outbox.ts';
import { recordConsentChanges, suppress, type ConsentResult } from './consent.ts';

type Tx = Prisma.TransactionClient;

/** What the provider said of a bounced message: its words and its code. */
export interface BounceReport {
  error: string;
  errorCode: string | null;
}

/**
 * Marks a message the provider took (sent, or reported delivered) as bounced. Only
 * the first report does anything: a repeated one finds it bounced and writes nothing,
 * so the CRM hears of it once. Returns whether this report marked it.
 */
export async function markBounced(tx: Tx, messageId: string, report: BounceReport): Promise<boolean> {
  const { count } = await tx.message.updateMany({
    where: { id: messageId, status: { in: ['sent', 'delivered'] } },
    data: { status: 'bounced', error: report.error, errorCode: report.errorCode },
  });
  if (count > 0) await recordWebhookEvent(tx, 'message.bounced', messageId);
  return count > 0;
}

/**
 * An email address lost for good: a hard bounce (the provider's fact) or a spam
 * complaint (the constituent's own "no"). The address is suppressed and email consent
 * withdrawn from everyone at it; returns the consent changes, for telling journeys.
 */
export async function loseEmailAddress(tx: Tx, address: string, cause: 'hard-bounce' | 'complaint', source: string): Promise<ConsentResult[]> {
  await suppress(tx, { channel: 'email', address, reason: cause, source });
  const constituents = await tx.constituent.findMany({ where: { email: address }, select: { id: true } });
  const complaint = cause === 'complaint';
  return recordConsentChanges(
    tx,
    constituents.map(({ id }) => ({
      constituentId: id,
      channel: 'email' as const,
      status: 'withdrawn' as const,
      source: complaint ? 'spam complaint' : 'hard bounce',
      authority: complaint ? ('constituent' as const) : ('provider' as const),
    })),
  );
}
