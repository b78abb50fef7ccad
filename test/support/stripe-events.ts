/**
 * Stripe events as Stripe sends them, for tests: the event envelope and the objects
 * with the fields Stripe's API reference lists (Event, PaymentIntent, Checkout
 * Session, Invoice, Subscription, Charge), signed with the `stripe` package's own
 * test helper exactly as Stripe signs a delivery.
 */
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

export const STRIPE_SECRET = `whsec_${randomBytes(24).toString('base64url')}`;

const rid = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
const now = () => Math.floor(Date.now() / 1000);

export interface StripeDelivery {
  id: string;
  body: string;
  headers: Record<string, string>;
}

/** A delivery of `object` as an event of `type`, signed now (or at `timestamp`) with `secret`. */
export function stripeDelivery(type: string, object: Record<string, unknown>, options: { secret?: string; timestamp?: number; id?: string } = {}): StripeDelivery {
  const id = options.id ?? rid('evt');
  const event = {
    id,
    object: 'event',
    api_version: '2025-09-30.clover',
    created: now(),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: rid('req'), idempotency_key: null },
    type,
  };
  const body = JSON.stringify(event, null, 2);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: options.secret ?? STRIPE_SECRET, ...(options.timestamp ? { timestamp: options.timestamp } : {}) });
  return { id, body, headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' } };
}

export function paymentIntent(fields: { amount: number; currency: string; email?: string | null; name?: string; customer?: string | null; metadata?: Record<string, string>; invoice?: string }) {
  const id = rid('pi');
  return {
    id,
    object: 'payment_intent',
    amount: fields.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: fields.amount,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: { allow_redirects: 'always', enabled: true },
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic_async',
    client_secret: `${id}_secret_${randomBytes(8).toString('hex')}`,
    confirmation_method: 'automatic',
    created: now(),
    currency: fields.currency,
    customer: fields.customer === undefined ? rid('cus') : fields.customer,
    description: 'Donation',
    ...(fields.invoice ? { invoice: fields.invoice } : {}),
    last_payment_error: null,
    latest_charge: rid('ch'),
    livemode: false,
    metadata: fields.metadata ?? {},
    next_action: null,
    on_behalf_of: null,
    payment_method: rid('pm'),
    payment_method_configuration_details: null,
    payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    processing: null,
    receipt_email: fields.email ?? null,
    review: null,
    setup_future_usage: null,
    shipping: fields.name ? { address: { city: 'Portland', country: 'US', line1: '1 Main St', line2: null, postal_code: '97201', state: 'OR' }, carrier: null, name: fields.name, phone: '+15035550100', tracking_number: null } : null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
}

export function checkoutSession(fields: { amount: number; currency: string; email: string; name: string; paymentIntent: string; customer?: string; metadata?: Record<string, string>; paymentStatus?: 'paid' | 'unpaid'; mode?: 'payment' | 'subscription' }) {
  return {
    id: rid('cs_test'),
    object: 'checkout.session',
    after_expiration: null,
    allow_promotion_codes: null,
    amount_subtotal: fields.amount,
    amount_total: fields.amount,
    automatic_tax: { enabled: false, liability: null, status: null },
    billing_address_collection: null,
    cancel_url: 'https://give.example.org/cancel',
    client_reference_id: null,
    consent: null,
    consent_collection: null,
    created: now(),
    currency: fields.currency,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: fields.customer ?? rid('cus'),
    customer_creation: 'always',
    customer_details: { address: { city: null, country: 'US', line1: null, line2: null, postal_code: '97201', state: null }, email: fields.email, name: fields.name, phone: '+1 503 555 0101', tax_exempt: 'none', tax_ids: [] },
    customer_email: null,
    expires_at: now() + 86_400,
    invoice: null,
    invoice_creation: null,
    livemode: false,
    locale: null,
    metadata: fields.metadata ?? {},
    mode: fields.mode ?? 'payment',
    payment_intent: fields.paymentIntent,
    payment_link: null,
    payment_method_collection: 'if_required',
    payment_method_options: {},
    payment_method_types: ['card'],
    payment_status: fields.paymentStatus ?? 'paid',
    phone_number_collection: { enabled: true },
    recovered_from: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_details: null,
    shipping_options: [],
    status: 'complete',
    submit_type: 'donate',
    subscription: null,
    success_url: 'https://give.example.org/thanks',
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: null,
  };
}

/** An invoice as API versions from 2025-03-31 shape it (the subscription under `parent`). */
export function invoice(fields: { amount: number; currency: string; email: string; name?: string; customer: string; subscription: string; paid: boolean; metadata?: Record<string, string> }) {
  return {
    id: rid('in'),
    object: 'invoice',
    account_country: 'US',
    account_name: 'Hope Shelter',
    amount_due: fields.amount,
    amount_overpaid: 0,
    amount_paid: fields.paid ? fields.amount : 0,
    amount_remaining: fields.paid ? 0 : fields.amount,
    amount_shipping: 0,
    attempt_count: fields.paid ? 1 : 2,
    attempted: true,
    auto_advance: !fields.paid,
    automatic_tax: { enabled: false, liability: null, status: null },
    billing_reason: 'subscription_cycle',
    collection_method: 'charge_automatically',
    created: now(),
    currency: fields.currency,
    customer: fields.customer,
    customer_address: null,
    customer_email: fields.email,
    customer_name: fields.name ?? null,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    default_payment_method: null,
    description: null,
    hosted_invoice_url: 'https://invoice.stripe.com/i/acct_test/test',
    lines: { object: 'list', data: [], has_more: false, total_count: 1, url: '/v1/invoices/lines' },
    livemode: false,
    metadata: {},
    next_payment_attempt: fields.paid ? null : now() + 3 * 86_400,
    number: `HOPE-${randomBytes(3).toString('hex').toUpperCase()}`,
    parent: { quote_details: null, subscription_details: { metadata: fields.metadata ?? {}, subscription: fields.subscription }, type: 'subscription_details' },
    period_end: now(),
    period_start: now() - 30 * 86_400,
    status: fields.paid ? 'paid' : 'open',
    status_transitions: { finalized_at: now(), marked_uncollectible_at: null, paid_at: fields.paid ? now() : null, voided_at: null },
    subtotal: fields.amount,
    total: fields.amount,
  };
}

export function subscription(fields: { customer: string; id?: string }) {
  return {
    id: fields.id ?? rid('sub'),
    object: 'subscription',
    billing_cycle_anchor: now() - 60 * 86_400,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: now(),
    cancellation_details: { comment: null, feedback: null, reason: 'cancellation_requested' },
    collection_method: 'charge_automatically',
    created: now() - 90 * 86_400,
    currency: 'usd',
    customer: fields.customer,
    ended_at: now(),
    items: { object: 'list', data: [], has_more: false, total_count: 1, url: '/v1/subscription_items' },
    livemode: false,
    metadata: {},
    start_date: now() - 90 * 86_400,
    status: 'canceled',
  };
}

export function charge(fields: { amount: number; refunded: number; currency: string; paymentIntent: string; customer?: string | null }) {
  return {
    id: rid('ch'),
    object: 'charge',
    amount: fields.amount,
    amount_captured: fields.amount,
    amount_refunded: fields.refunded,
    balance_transaction: rid('txn'),
    billing_details: { address: null, email: null, name: null, phone: null },
    captured: true,
    created: now(),
    currency: fields.currency,
    customer: fields.customer ?? null,
    description: 'Donation',
    disputed: false,
    livemode: false,
    metadata: {},
    paid: true,
    payment_intent: fields.paymentIntent,
    payment_method: rid('pm'),
    receipt_url: 'https://pay.stripe.com/receipts/test',
    refunded: fields.refunded === fields.amount,
    status: 'succeeded',
  };
}
