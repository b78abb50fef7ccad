/**
 * What has been taken back from a gift: its refund events (`type: refund`, naming
 * the gift by the id it was sent with). A void, or a refund without an amount,
 * takes back the whole gift.
 */
import { Prisma, type InteractionEvent } from '../db/client.ts';

type Reader = Pick<Prisma.TransactionClient, 'interactionEvent'>;

export interface Refunded {
  whole: boolean;
  amount: Prisma.Decimal;
}

/** The gift's refunds as stored so far (in the caller's transaction, its own included). */
export async function refundedOf(tx: Reader, gift: Pick<InteractionEvent, 'idempotencyKey'>): Promise<Refunded> {
  const refunds = await tx.interactionEvent.findMany({
    where: { type: 'refund', data: { path: ['gift'], equals: gift.idempotencyKey } },
    select: { data: true },
  });
  let amount = new Prisma.Decimal(0);
  let whole = false;
  for (const { data } of refunds) {
    const fields = data as { kind?: string; amount?: number };
    if (fields.kind === 'void' || fields.amount === undefined) whole = true;
    else amount = amount.plus(fields.amount);
  }
  return { whole, amount };
}

/** What a gift is still worth after its refunds; zero or less means nothing is left to receipt. */
export function keptAmount(gift: Pick<InteractionEvent, 'amount'>, refunded: Refunded): Prisma.Decimal {
  if (refunded.whole || !gift.amount) return new Prisma.Decimal(0);
  return gift.amount.minus(refunded.amount);
}

/** The value of what the donor received for the gift (a dinner, a gift), from its data. */
export function benefitOf(gift: Pick<InteractionEvent, 'data'>): { value: Prisma.Decimal; description: string | null } {
  const data = gift.data as { benefitValue?: number; benefitDescription?: string };
  return { value: new Prisma.Decimal(data.benefitValue ?? 0), description: data.benefitDescription ?? null };
}
