/** What Steward's records say about Stripe customers and gifts, for the Stripe mapping. */
import type { Database } from '../../db/client.ts';
import { refundedOf } from '../../receipts/gift-refunds.ts';
import type { StripeLedger } from './mapping.ts';

export function createStripeLedger(db: Database): StripeLedger {
  return {
    async customerEmail(customerId) {
      const event = await db.interactionEvent.findFirst({
        where: { data: { path: ['stripeCustomer'], equals: customerId } },
        orderBy: { seq: 'desc' },
        select: { constituent: { select: { email: true } } },
      });
      return event?.constituent.email ?? undefined;
    },

    async giftOf({ paymentIntent, invoice }) {
      const by = [
        ...(paymentIntent ? [{ data: { path: ['stripePaymentIntent'], equals: paymentIntent } }] : []),
        ...(invoice ? [{ data: { path: ['stripeInvoice'], equals: invoice } }] : []),
      ];
      if (by.length === 0) return undefined;
      const gift = await db.interactionEvent.findFirst({
        where: { type: 'donation', OR: by },
        orderBy: { seq: 'asc' },
        select: { idempotencyKey: true, constituent: { select: { email: true } } },
      });
      if (!gift?.constituent.email) return undefined;
      const refunded = await refundedOf(db, gift);
      return { id: gift.idempotencyKey, email: gift.constituent.email, refunded: refunded.amount.toNumber(), whole: refunded.whole };
    },
  };
}
