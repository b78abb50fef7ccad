/**
 * What a receipt message speaks of: the receipt for the event that enrolled the
 * constituent (a gift: issued now if it has none; a refund: the gift's receipt as
 * it now stands), as template variables, and its PDF where the jurisdiction asks
 * for a document.
 */
import type { Database, GiftReceipt, InteractionEvent } from '../db/client.ts';
import { moneyFormatter } from '../templates/liquid.ts';
import { benefitOf } from './gift-refunds.ts';
import { issueReceipt, latestReceipt, type ReceiptOutcome } from './issue.ts';
import { officialReceiptPdf } from './pdf.ts';
import { receiptNeedsPdf, type ReceiptSettings } from './settings.ts';

/** `receipt.*` in templates. Amounts as decimal text (`25.00`), for the `money` filter. */
export interface ReceiptData {
  serial: string;
  year: number;
  jurisdiction: string;
  /** issued, void (refunded in full or voided) or replaced (by a later receipt). */
  status: string;
  amount: string;
  currency: string;
  benefitValue: string;
  benefitDescription: string | null;
  eligibleAmount: string;
  /** The serial of the receipt this one replaces; empty for a first receipt. */
  replaces: string;
  giftOn: string;
  issuedOn: string;
  legalName: string;
  taxId: string;
  signatory: string;
  placeOfIssue: string;
  /** The tax authority's page for donors: Canada's receipts must name it. */
  authorityUrl: string;
  /** UK: the donor made a Gift Aid declaration; `giftAidValue` is the basic-rate tax the charity reclaims. */
  giftAid: boolean;
  giftAidValue: string;
}

export type ReceiptForMessage = { receipt: ReceiptData; pdf?: { filename: string; content: Buffer } } | { none: string };

const AUTHORITY_URL = { us: 'https://www.irs.gov/charities-non-profits', ca: 'https://www.canada.ca/charities-giving', uk: 'https://www.gov.uk/donating-to-charity/gift-aid' } as const;

export async function receiptForMessage(db: Database, eventId: string | undefined, settings: ReceiptSettings, constituentId: string): Promise<ReceiptForMessage> {
  const { jurisdiction } = settings;
  if (!jurisdiction) return { none: 'receipts are not configured (STEWARD_RECEIPT_JURISDICTION)' };
  const event = eventId ? await db.interactionEvent.findUnique({ where: { id: eventId } }) : null;
  if (!event) return { none: 'no gift to receipt' };
  const outcome = await receiptOf(db, event, { jurisdiction, timeZone: settings.timeZone });
  if ('none' in outcome) return outcome;
  const gift = await db.interactionEvent.findUniqueOrThrow({ where: { id: outcome.receipt.giftEventId } });
  const receipt = await receiptData(db, outcome.receipt, gift, settings);
  if (!receiptNeedsPdf(outcome.receipt.jurisdiction as typeof jurisdiction) || receipt.status === 'void') return { receipt };
  const constituent = await db.constituent.findUnique({ where: { id: constituentId } });
  const donor = [constituent?.firstName, constituent?.lastName].filter(Boolean).join(' ') || (constituent?.email ?? '');
  const format = moneyFormatter(constituent?.locale ?? 'en-CA', receipt.currency);
  const money = (amount: string) => format(amount);
  return { receipt, pdf: { filename: `receipt-${receipt.serial}.pdf`, content: await officialReceiptPdf(receipt, donor, money) } };
}

/** A gift's receipt, issued if need be; a refund's: the gift's receipt as the refund left it. */
async function receiptOf(db: Database, event: InteractionEvent, rules: Parameters<typeof issueReceipt>[2]): Promise<ReceiptOutcome> {
  if (event.type === 'donation') return issueReceipt(db, event.id, rules);
  if (event.type !== 'refund') return { none: 'the event is not a gift or a refund' };
  const gift = await db.interactionEvent.findUnique({ where: { idempotencyKey: (event.data as { gift: string }).gift } });
  const receipt = gift ? await latestReceipt(db, gift.id) : null;
  return receipt ? { receipt } : { none: 'the refunded gift had no receipt' };
}

async function receiptData(db: Database, receipt: GiftReceipt, gift: InteractionEvent, settings: ReceiptSettings): Promise<ReceiptData> {
  const replaced = receipt.replacesId ? await db.giftReceipt.findUnique({ where: { id: receipt.replacesId }, select: { serial: true } }) : null;
  const day = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: settings.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
  const giftAid = (gift.data as { giftAid?: unknown }).giftAid === true;
  return {
    serial: receipt.serial,
    year: receipt.year,
    jurisdiction: receipt.jurisdiction,
    status: receipt.status,
    amount: receipt.amount.toFixed(2),
    currency: receipt.currency,
    benefitValue: receipt.benefitValue.toFixed(2),
    benefitDescription: benefitOf(gift).description,
    eligibleAmount: receipt.eligibleAmount.toFixed(2),
    replaces: replaced?.serial ?? '',
    giftOn: day(receipt.giftDate),
    issuedOn: day(receipt.issuedAt),
    legalName: settings.legalName,
    taxId: settings.taxId,
    signatory: settings.signatory,
    placeOfIssue: settings.address,
    authorityUrl: AUTHORITY_URL[receipt.jurisdiction as keyof typeof AUTHORITY_URL] ?? '',
    giftAid,
    // Gift Aid reclaims basic-rate tax (20%) on the grossed-up gift: 25p for every £1.
    giftAidValue: giftAid ? receipt.eligibleAmount.times(0.25).toFixed(2) : '0.00',
  };
}
