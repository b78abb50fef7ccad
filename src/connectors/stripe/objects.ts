/**
 * The parts of Stripe's objects Steward reads, as Stripe's API reference describes
 * them. Loose objects: Stripe adds fields in every API version, and Steward reads only
 * these. Fields that moved between API versions (an invoice's subscription, now under
 * `parent.subscription_details`) are read from either place.
 */
import { z } from 'zod';

const id = z.string().min(1).max(255);
/** An expandable reference: the id, or the object with its id when expanded. */
const ref = z.union([id, z.looseObject({ id })]).transform((value) => (typeof value === 'string' ? value : value.id));
const metadata = z.record(z.string(), z.string()).nullish();
const text = z.string().nullish();

export const StripeEventEnvelope = z.looseObject({
  id,
  object: z.literal('event'),
  type: z.string().min(1).max(200),
  created: z.number().int().positive(),
  livemode: z.boolean(),
  data: z.looseObject({ object: z.looseObject({ object: z.string() }) }),
});
export type StripeEventEnvelope = z.infer<typeof StripeEventEnvelope>;

const customerDetails = z.looseObject({ email: text, name: text, phone: text }).nullish();

export const CheckoutSession = z.looseObject({
  id,
  object: z.literal('checkout.session'),
  mode: z.enum(['payment', 'setup', 'subscription']),
  payment_status: z.enum(['paid', 'unpaid', 'no_payment_required']),
  amount_total: z.number().int().nonnegative().nullish(),
  currency: z.string().length(3).nullish(),
  customer: ref.nullish(),
  customer_email: text,
  customer_details: customerDetails,
  payment_intent: ref.nullish(),
  metadata,
});

export const PaymentIntent = z.looseObject({
  id,
  object: z.literal('payment_intent'),
  amount: z.number().int().nonnegative(),
  amount_received: z.number().int().nonnegative().nullish(),
  currency: z.string().length(3),
  customer: ref.nullish(),
  receipt_email: text,
  shipping: z.looseObject({ name: text, phone: text }).nullish(),
  /** Older API versions: the invoice this payment pays, when it pays one. */
  invoice: ref.nullish(),
  metadata,
});

export const Invoice = z.looseObject({
  id,
  object: z.literal('invoice'),
  amount_paid: z.number().int().nonnegative(),
  amount_due: z.number().int().nonnegative().nullish(),
  currency: z.string().length(3),
  customer: ref.nullish(),
  customer_email: text,
  customer_name: text,
  customer_phone: text,
  /** Older API versions. */
  subscription: ref.nullish(),
  subscription_details: z.looseObject({ metadata }).nullish(),
  payment_intent: ref.nullish(),
  /** API versions from 2025-03-31: where the invoice comes from. */
  parent: z.looseObject({ subscription_details: z.looseObject({ subscription: ref, metadata }).nullish() }).nullish(),
  metadata,
});

export const Subscription = z.looseObject({
  id,
  object: z.literal('subscription'),
  customer: ref,
  cancellation_details: z.looseObject({ reason: text, feedback: text }).nullish(),
  metadata,
});

export const Charge = z.looseObject({
  id,
  object: z.literal('charge'),
  amount: z.number().int().nonnegative(),
  amount_refunded: z.number().int().nonnegative(),
  refunded: z.boolean(),
  currency: z.string().length(3),
  customer: ref.nullish(),
  payment_intent: ref.nullish(),
  /** Older API versions. */
  invoice: ref.nullish(),
  billing_details: z.looseObject({ email: text, name: text, phone: text }).nullish(),
});
