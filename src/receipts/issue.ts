/**
 * Issuing a gift's receipt, once per gift however often it is asked for: a retried
 * send, two workers, a crash between numbering and sending all find the same
 * receipt, and a number is taken only in the transaction that records it.
 */
import type { Database, GiftReceipt, InteractionEvent, Prisma } from '../db/client.ts';
import { benefitOf, keptAmount, refundedOf } from './gift-refunds.ts';
import { receiptSerial, receiptYear, takeReceiptNumber } from './numbering.ts';
import type { Jurisdiction } from './settings.ts';

/**
 * A receipt transaction waits inside for the gift's lock and the year's numbering,
 * which gifts receipted together queue on. (How long it waits for a connection is the
 * client's, see `db/client.ts`.)
 */
const RECEIPT_TRANSACTION = { timeout: 60_000 } as const;

export type ReceiptOutcome = { receipt: GiftReceipt } | { none: string };

/** Serialises everything done to one gift's receipts: issuing, voiding, reissuing. */
export async function lockGift(tx: Prisma.TransactionClient, giftEventId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`receipt:${giftEventId}`}, 0))`;
}

/** The gift's receipt as it stands: the latest issued for it, whatever its status. */
export function latestReceipt(db: Pick<Prisma.TransactionClient, 'giftReceipt'>, giftEventId: string): Promise<GiftReceipt | null> {
  return db.giftReceipt.findFirst({ where: { giftEventId }, orderBy: [{ issuedAt: 'desc' }, { number: 'desc' }] });
}

/** The receipt for a donation event, issued now if it has none; none for a gift refunded before it was receipted. */
export async function issueReceipt(db: Database, giftEventId: string, rules: { jurisdiction: Jurisdiction; timeZone: string }): Promise<ReceiptOutcome> {
  const existing = await latestReceipt(db, giftEventId);
  if (existing) return { receipt: existing };
  return db.$transaction(async (tx) => {
    await lockGift(tx, giftEventId);
    const issued = await latestReceipt(tx, giftEventId);
    if (issued) return { receipt: issued };
    const gift = await tx.interactionEvent.findUniqueOrThrow({ where: { id: giftEventId } });
    if (gift.type !== 'donation' || !gift.amount || !gift.currency) return { none: 'the event is not a gift' };
    const kept = keptAmount(gift, await refundedOf(tx, gift));
    if (kept.lte(0)) return { none: 'the gift was refunded before its receipt was issued' };
    return { receipt: await recordReceipt(tx, gift, { amount: kept, sourceEventId: gift.id, jurisdiction: rules.jurisdiction, year: receiptYear(gift.occurredAt, rules.timeZone) }) };
  }, RECEIPT_TRANSACTION);
}

/** Numbers and records one receipt for the gift; the caller holds the gift's lock. */
export async function recordReceipt(
  tx: Prisma.TransactionClient,
  gift: InteractionEvent,
  receipt: { amount: Prisma.Decimal; sourceEventId: string; jurisdiction: string; year: number; replacesId?: string },
): Promise<GiftReceipt> {
  const number = await takeReceiptNumber(tx, receipt.year);
  const benefit = benefitOf(gift);
  const eligible = receipt.amount.minus(benefit.value);
  return tx.giftReceipt.create({
    data: {
      year: receipt.year,
      number,
      serial: receiptSerial(receipt.year, number),
      giftEventId: gift.id,
      sourceEventId: receipt.sourceEventId,
      constituentId: gift.constituentId,
      jurisdiction: receipt.jurisdiction,
      amount: receipt.amount,
      benefitValue: benefit.value,
      eligibleAmount: eligible.gt(0) ? eligible : 0,
      currency: gift.currency!,
      giftDate: gift.occurredAt,
      replacesId: receipt.replacesId ?? null,
    },
  });
}
