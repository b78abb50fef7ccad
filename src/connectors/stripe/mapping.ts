/**
 * From a Stripe event to a Steward event. One payment is one gift however many
 * Stripe events report it: a gift's id is its PaymentIntent (`stripe:pi_…`), or its
 * invoice for a subscription's (`stripe:in_…`), so a Checkout payment reported by
 * both `checkout.session.completed` and `payment_intent.succeeded` is stored once.
 * Subscriptions' payments are recorded from `invoice.paid` alone.
 */
import type { z } from 'zod';
import { describeIssues, InteractionEventInput } from '../../events/schema.ts';
import type { DeliveryVerdict } from '../intake.ts';
import { fromStripeAmount } from './currency.ts';
import { Charge, CheckoutSession, Invoice, PaymentIntent, StripeEventEnvelope, Subscription } from './objects.ts';

/** What the mapping needs to know from Steward's records. */
export interface StripeLedger {
  /** The email of the constituent whose earlier Stripe gifts came from this customer. */
  customerEmail(customerId: string): Promise<string | undefined>;
  /** The gift a charge paid, found by its PaymentIntent or invoice, with what was refunded of it so far. */
  giftOf(reference: { paymentIntent?: string | undefined; invoice?: string | undefined }): Promise<{ id: string; email: string; refunded: number; whole: boolean } | undefined>;
}

/** The Stripe event types Steward turns into events; every other type is acknowledged and ignored. */
export const HANDLED_STRIPE_EVENTS = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'payment_intent.succeeded',
  'invoice.paid',
  'invoice.payment_failed',
  'customer.subscription.deleted',
  'charge.refunded',
] as const;

type Person = { email?: string | null | undefined; name?: string | null | undefined; phone?: string | null | undefined };

/** Maps a verified Stripe event; the reason when it stores nothing. */
export async function mapStripeEvent(event: StripeEventEnvelope, ledger: StripeLedger): Promise<DeliveryVerdict> {
  const occurredAt = new Date(event.created * 1000).toISOString();
  const object = event.data.object;
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
      return read(CheckoutSession, object, (session) => checkoutGift(session, occurredAt, ledger));
    case 'payment_intent.succeeded':
      return read(PaymentIntent, object, (intent) => paymentGift(intent, occurredAt, ledger));
    case 'invoice.paid':
      return read(Invoice, object, (invoice) => invoiceGift(invoice, occurredAt, ledger));
    case 'invoice.payment_failed':
      return read(Invoice, object, (invoice) => failedInvoice(invoice, occurredAt, ledger));
    case 'customer.subscription.deleted':
      return read(Subscription, object, (subscription) => cancelledSubscription(subscription, occurredAt, ledger));
    case 'charge.refunded':
      return read(Charge, object, (charge) => refundedCharge(charge, occurredAt, ledger));
    default:
      return { ignored: `Steward does not use ${event.type} events` };
  }
}

async function read<T extends z.ZodType>(schema: T, object: unknown, then: (value: z.infer<T>) => Promise<DeliveryVerdict>): Promise<DeliveryVerdict> {
  const parsed = schema.safeParse(object);
  if (!parsed.success) return { ignored: `not a Stripe object Steward can read: ${describeIssues(parsed.error).map(({ path, message }) => `data.object.${path} ${message}`).join('; ')}` };
  return then(parsed.data);
}

async function checkoutGift(session: z.infer<typeof CheckoutSession>, occurredAt: string, ledger: StripeLedger): Promise<DeliveryVerdict> {
  if (session.mode !== 'payment') return { ignored: `a ${session.mode} Checkout session: a subscription's gifts are recorded from invoice.paid` };
  if (session.payment_status !== 'paid') return { ignored: `the session is ${session.payment_status}; the gift is recorded when checkout.session.async_payment_succeeded reports it paid` };
  if (!session.amount_total || !session.currency) return { ignored: 'the session has no amount' };
  const person = { email: session.customer_details?.email ?? session.customer_email, name: session.customer_details?.name, phone: session.customer_details?.phone };
  return gift({
    id: `stripe:${session.payment_intent ?? session.id}`,
    occurredAt,
    person,
    customer: session.customer,
    amount: session.amount_total,
    currency: session.currency,
    metadata: session.metadata,
    references: { stripePaymentIntent: session.payment_intent, stripeCheckoutSession: session.id },
  }, ledger);
}

async function paymentGift(intent: z.infer<typeof PaymentIntent>, occurredAt: string, ledger: StripeLedger): Promise<DeliveryVerdict> {
  if (intent.invoice) return { ignored: `the payment of invoice ${intent.invoice}: invoices' gifts are recorded from invoice.paid` };
  const person = { email: intent.receipt_email ?? intent.metadata?.email, name: intent.shipping?.name ?? intent.metadata?.name, phone: intent.shipping?.phone ?? intent.metadata?.phone };
  return gift({
    id: `stripe:${intent.id}`,
    occurredAt,
    person,
    customer: intent.customer,
    amount: intent.amount_received ?? intent.amount,
    currency: intent.currency,
    metadata: intent.metadata,
    references: { stripePaymentIntent: intent.id },
  }, ledger);
}

async function invoiceGift(invoice: z.infer<typeof Invoice>, occurredAt: string, ledger: StripeLedger): Promise<DeliveryVerdict> {
  if (invoice.amount_paid === 0) return { ignored: 'the invoice paid nothing (a trial or a credit)' };
  const subscription = subscriptionOf(invoice);
  return gift({
    id: `stripe:${invoice.id}`,
    occurredAt,
    person: { email: invoice.customer_email, name: invoice.customer_name, phone: invoice.customer_phone },
    customer: invoice.customer,
    amount: invoice.amount_paid,
    currency: invoice.currency,
    metadata: { ...invoice.metadata, ...subscription?.metadata },
    recurring: subscription !== undefined,
    references: { stripeInvoice: invoice.id, stripeSubscription: subscription?.id, stripePaymentIntent: invoice.payment_intent },
  }, ledger);
}

async function failedInvoice(invoice: z.infer<typeof Invoice>, occurredAt: string, ledger: StripeLedger): Promise<DeliveryVerdict> {
  const subscription = subscriptionOf(invoice);
  if (!subscription) return { ignored: 'a failed payment of an invoice outside a subscription' };
  const email = invoice.customer_email ?? (invoice.customer ? await ledger.customerEmail(invoice.customer) : undefined);
  // One drop-off per invoice: Stripe's retries of the same invoice are the same failure.
  return event(`stripe:payment-failed:${invoice.id}`, occurredAt, { email, name: invoice.customer_name }, 'drop-off', {
    kind: 'recurring-failed',
    ...references({ stripeCustomer: invoice.customer, stripeInvoice: invoice.id, stripeSubscription: subscription.id }),
  });
}

async function cancelledSubscription(subscription: z.infer<typeof Subscription>, occurredAt: string, ledger: StripeLedger): Promise<DeliveryVerdict> {
  const email = await ledger.customerEmail(subscription.customer);
  if (!email) return { ignored: `no gift from Stripe customer ${subscription.customer} was recorded, so Steward does not know who they are` };
  return event(`stripe:subscription-cancelled:${subscription.id}`, occurredAt, { email }, 'drop-off', {
    kind: 'recurring-cancelled',
    ...references({ stripeCustomer: subscription.customer, stripeSubscription: subscription.id }),
    ...(subscription.cancellation_details?.reason ? { reason: subscription.cancellation_details.reason } : {}),
  });
}

async function refundedCharge(charge: z.infer<typeof Charge>, occurredAt: string, ledger: StripeLedger): Promise<DeliveryVerdict> {
  const gift = await ledger.giftOf({ paymentIntent: charge.payment_intent ?? undefined, invoice: charge.invoice ?? undefined });
  if (!gift) return { ignored: `no gift paid by charge ${charge.id} was recorded` };
  if (gift.whole) return { ignored: `the gift ${gift.id} was already refunded in full` };
  const refundedNow = fromStripeAmount(charge.amount_refunded, charge.currency);
  // Stripe reports the charge's refunds so far; Steward stores each refund's own amount.
  const amount = Math.round((refundedNow - gift.refunded) * 100) / 100;
  if (amount <= 0) return { ignored: `the refunds of charge ${charge.id} were already recorded` };
  const whole = charge.refunded && gift.refunded === 0;
  return event(`stripe:refund:${charge.id}:${charge.amount_refunded}`, occurredAt, { email: gift.email }, 'refund', {
    gift: gift.id,
    ...(whole ? {} : { amount, currency: charge.currency.toUpperCase() }),
    reason: whole ? 'refunded in Stripe' : 'partly refunded in Stripe',
    ...references({ stripeCharge: charge.id }),
  });
}

interface GiftFacts {
  id: string;
  occurredAt: string;
  person: Person;
  customer: string | null | undefined;
  amount: number;
  currency: string;
  metadata: Record<string, string> | null | undefined;
  recurring?: boolean;
  references: Record<string, string | null | undefined>;
}

async function gift(facts: GiftFacts, ledger: StripeLedger): Promise<DeliveryVerdict> {
  const email = facts.person.email ?? (facts.customer ? await ledger.customerEmail(facts.customer) : undefined);
  const { campaign, fund } = facts.metadata ?? {};
  return event(facts.id, facts.occurredAt, { ...facts.person, email }, 'donation', {
    amount: fromStripeAmount(facts.amount, facts.currency),
    currency: facts.currency.toUpperCase(),
    ...(campaign ? { campaign } : {}),
    ...(fund ? { fund } : {}),
    ...(facts.recurring ? { recurring: true } : {}),
    ...references({ stripeCustomer: facts.customer, ...facts.references }),
  });
}

/** Builds and checks the Steward event; one Steward cannot store is ignored, saying why. */
function event(id: string, occurredAt: string, person: Person, type: InteractionEventInput['type'], data: Record<string, unknown>): DeliveryVerdict {
  if (!person.email) return { ignored: 'the payment names no email, and no earlier gift from its Stripe customer was recorded' };
  const parsed = InteractionEventInput.safeParse({ id, type, occurredAt, constituent: constituentOf(person), data });
  if (!parsed.success) return { ignored: `cannot be stored: ${describeIssues(parsed.error).map(({ path, message }) => `${path} ${message}`).join('; ')}` };
  return { event: parsed.data };
}

/** A Stripe name is one string: the last word is taken as the family name. A phone Steward cannot read is left out. */
function constituentOf(person: Person): Record<string, string> {
  const words = person.name?.trim().split(/\s+/).filter(Boolean) ?? [];
  const phone = person.phone && /^\+?[0-9 ().-]{6,20}$/.test(person.phone.trim()) ? person.phone.trim() : undefined;
  return {
    email: person.email!,
    ...(words.length > 0 ? { firstName: (words.length > 1 ? words.slice(0, -1) : words).join(' ').slice(0, 100) } : {}),
    ...(words.length > 1 ? { lastName: words.at(-1)!.slice(0, 100) } : {}),
    ...(phone ? { phone } : {}),
  };
}

function subscriptionOf(invoice: z.infer<typeof Invoice>): { id: string; metadata: Record<string, string> | null | undefined } | undefined {
  const details = invoice.parent?.subscription_details;
  if (details) return { id: details.subscription, metadata: details.metadata };
  return invoice.subscription ? { id: invoice.subscription, metadata: invoice.subscription_details?.metadata } : undefined;
}

function references(ids: Record<string, string | null | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(ids).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
