/**
 * A refund or void of a gift, applied to its receipt in the transaction that stores
 * the refund event: a gift taken back whole voids its receipt; a partial refund
 * marks it replaced and issues a new receipt, with a new number, for what was kept.
 * Numbers are never deleted nor reused. A gift not yet receipted needs nothing
 * here: issuing it later nets its refunds out.
 */
import type { InteractionEvent, Prisma } from '../db/client.ts';
import { keptAmount, refundedOf } from './gift-refunds.ts';
import { lockGift, recordReceipt } from './issue.ts';

export async function applyRefund(tx: Prisma.TransactionClient, refund: InteractionEvent, gift: InteractionEvent): Promise<void> {
  await lockGift(tx, gift.id);
  const current = await tx.giftReceipt.findFirst({ where: { giftEventId: gift.id, status: 'issued' } });
  if (!current) return;
  const kept = keptAmount(gift, await refundedOf(tx, gift));
  const reason = typeof (refund.data as { reason?: unknown }).reason === 'string' ? (refund.data as { reason: string }).reason : null;
  if (kept.lte(0)) {
    await tx.giftReceipt.update({ where: { id: current.id }, data: { status: 'void', voidedAt: new Date(), voidReason: reason ?? `refunded (event ${refund.idempotencyKey})` } });
    return;
  }
  await tx.giftReceipt.update({ where: { id: current.id }, data: { status: 'replaced', voidedAt: new Date(), voidReason: reason ?? `partly refunded (event ${refund.idempotencyKey})` } });
  await recordReceipt(tx, gift, { amount: kept, sourceEventId: refund.id, jurisdiction: current.jurisdiction, year: current.year, replacesId: current.id });
}
