/**
 * Refund events name the gift they take back by the id its donation was sent
 * with. Checked before a batch is stored (a refund of a gift Steward never saw is
 * refused with the rest of its batch), and applied to the gift's receipt in the
 * transaction that stores it.
 */
import type { Database, InteractionEvent, Prisma } from '../db/client.ts';
import { applyRefund } from '../receipts/refund.ts';
import type { InteractionEventInput } from './schema.ts';

/** Refunds that cannot take back what they name: each with its position in what was sent and its field. */
export class GiftReferenceError extends Error {
  constructor(readonly issues: readonly { index: number; path: string; message: string }[]) {
    super(issues.length > 1 ? 'Some refunds name gifts they cannot take back' : `Invalid refund: ${issues[0]!.path} ${issues[0]!.message}`);
    this.name = 'GiftReferenceError';
  }
}

type RefundInput = Extract<InteractionEventInput, { type: 'refund' }>;
type GiftFacts = { type: string; amount: number | null; currency: string | null };

/** Throws GiftReferenceError naming every refund whose gift is unknown, not a gift, in another currency or smaller than the refund. */
export async function checkRefunds(db: Database, inputs: readonly InteractionEventInput[]): Promise<void> {
  const refunds = inputs.flatMap((input, index) => (input.type === 'refund' ? [{ input, index }] : []));
  if (refunds.length === 0) return;
  const stored = await db.interactionEvent.findMany({
    where: { idempotencyKey: { in: refunds.map(({ input }) => input.data.gift) } },
    select: { idempotencyKey: true, type: true, amount: true, currency: true },
  });
  const gifts = new Map<string, GiftFacts>(stored.map((gift) => [gift.idempotencyKey, { type: gift.type, amount: gift.amount?.toNumber() ?? null, currency: gift.currency }]));
  const issues: { index: number; path: string; message: string }[] = [];
  inputs.forEach((input, index) => {
    // A gift sent earlier in the same batch may be refunded later in it.
    if (input.type === 'donation' && !gifts.has(input.id)) gifts.set(input.id, { type: 'donation', amount: input.data.amount, currency: input.data.currency });
    if (input.type === 'refund') issues.push(...refundProblems(input, gifts.get(input.data.gift)).map((problem) => ({ index, ...problem })));
  });
  if (issues.length > 0) throw new GiftReferenceError(issues);
}

function refundProblems(refund: RefundInput, gift: GiftFacts | undefined): { path: string; message: string }[] {
  if (!gift) return [{ path: 'data.gift', message: `no gift was sent with id "${refund.data.gift}"` }];
  if (gift.type !== 'donation') return [{ path: 'data.gift', message: `"${refund.data.gift}" is not a gift` }];
  if (refund.data.currency !== undefined && refund.data.currency !== gift.currency) return [{ path: 'data.currency', message: `must be the gift's currency, ${gift.currency}` }];
  if (refund.data.amount !== undefined && gift.amount !== null && refund.data.amount > gift.amount) {
    return [{ path: 'data.amount', message: `is more than the gift (${gift.amount.toFixed(2)})` }];
  }
  return [];
}

/** Voids or reissues the receipts of the gifts these newly stored refunds take back, in the storing transaction. */
export async function applyStoredRefunds(tx: Prisma.TransactionClient, created: readonly InteractionEvent[]): Promise<void> {
  const refunds = created.filter((event) => event.type === 'refund').sort((a, b) => (a.seq < b.seq ? -1 : 1));
  for (const refund of refunds) {
    const gift = await tx.interactionEvent.findUniqueOrThrow({ where: { idempotencyKey: (refund.data as { gift: string }).gift } });
    await applyRefund(tx, refund, gift);
  }
}
