/**
 * The Stripe connector end to end, on real parts: events shaped as Stripe documents
 * them and signed with the `stripe` package's own test helper, posted over HTTP to the
 * API on a real database, routed by the real pump to journeys on the time-skipping
 * Temporal server, and email received by a real SMTP server.
 */
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConstituentFacts } from '../../src/constituents/facts.ts';
import type { Database } from '../../src/db/client.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { startChannelStack, type ChannelStack } from '../support/channel-stack.ts';
import { rowCounts } from '../support/row-counts.ts';
import { charge, checkoutSession, invoice, paymentIntent, STRIPE_SECRET, stripeDelivery, subscription, type StripeDelivery } from '../support/stripe-events.ts';
import { eventually } from '../support/wait.ts';

let stack: ChannelStack;
let db: Database;

beforeAll(async () => {
  stack = await startChannelStack({ connectors: { stripeWebhookSecret: STRIPE_SECRET } });
  db = stack.runtime.db;
  const shipped = ['first-gift-thank-you', 'recurring-gift-recovery'];
  const catalog = (await loadJourneyCatalog()).filter((journey) => shipped.includes(journey.definition.id));
  await publishJourneyCatalog(db, catalog.map((journey) => ({ ...journey, publishOnStart: true })));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** Posts a delivery over HTTP, as Stripe does. */
async function deliver(delivery: StripeDelivery): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${stack.apiUrl}/connectors/stripe/webhook`, { method: 'POST', headers: delivery.headers, body: delivery.body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Row counts once every stored event has been routed, so routing does not move them while a test compares. */
async function settledCounts() {
  await eventually(async () => ((await db.interactionEvent.count({ where: { routedAt: null, historical: false } })) === 0 ? true : undefined), 'every event to be routed', 30_000);
  return { ...(await rowCounts(db)), deliveries: await db.connectorDelivery.count({ where: { outcome: { not: 'refused' } } }) };
}

const email = (label: string) => `${label}-${randomUUID()}@example.org`;

async function eventFor(eventId: string) {
  return db.interactionEvent.findUniqueOrThrow({ where: { id: eventId }, include: { constituent: true } });
}

/** The enrollment an event started in a journey, once routing has started it. */
function enrollmentStarted(eventId: string, journeyId: string) {
  return eventually(
    () => db.enrollment.findFirst({ where: { triggerEventId: eventId, journeyVersion: { journeyId } } }).then((row) => row ?? undefined),
    `an enrollment in ${journeyId}`,
    30_000,
  );
}

describe('a Stripe payment', () => {
  it('enrolls a first-time donor in the first-gift thank-you, and the thank-you arrives', async () => {
    const donor = email('stripe-first');
    const intent = paymentIntent({ amount: 2500, currency: 'usd', email: donor, name: 'Ada King Lovelace', metadata: { campaign: 'winter-appeal', fund: 'shelter' } });
    const answer = await deliver(stripeDelivery('payment_intent.succeeded', intent));
    expect(answer).toEqual({ status: 200, body: { received: true, outcome: 'stored', eventId: expect.any(String) } });

    const stored = await eventFor(answer.body.eventId as string);
    expect(stored).toMatchObject({ idempotencyKey: `stripe:${intent.id}`, type: 'donation', currency: 'USD' });
    expect(stored.amount?.toFixed(2)).toBe('25.00');
    expect(stored.data).toMatchObject({ amount: 25, currency: 'USD', campaign: 'winter-appeal', fund: 'shelter', stripePaymentIntent: intent.id, stripeCustomer: intent.customer });
    expect(stored.constituent).toMatchObject({ email: donor, firstName: 'Ada King', lastName: 'Lovelace', phone: '+15035550100' });

    const enrollment = await enrollmentStarted(stored.id, 'first-gift-thank-you');
    const worker = await stack.runtime.worker({ messaging: stack.messaging });
    const mail = await worker.runUntil(
      eventually(async () => stack.runtime.smtp.messages.find((message) => (message.to as { text: string }).text === donor), `the thank-you to ${donor}`, 30_000),
    );
    expect(mail.subject).toBe('Thank you for your gift, Ada King');
    expect(mail.text).toContain('25');
    expect(await db.message.findFirst({ where: { enrollmentId: enrollment.id } })).toMatchObject({ template: 'first-gift-thank-you', recipient: donor });
  });

  it('redelivered stores nothing new and answers 200', async () => {
    const delivery = stripeDelivery('payment_intent.succeeded', paymentIntent({ amount: 1000, currency: 'eur', email: email('stripe-again') }));
    const first = await deliver(delivery);
    expect(first.body).toMatchObject({ outcome: 'stored' });
    const before = await settledCounts();
    const again = await deliver(delivery);
    expect(again).toEqual({ status: 200, body: { received: true, outcome: 'redelivered', eventId: first.body.eventId, reason: `delivery ${delivery.id} was received before (stored)` } });
    expect(await settledCounts()).toEqual(before);
  });

  it('reported by both Checkout and its PaymentIntent is one gift', async () => {
    const donor = email('stripe-checkout');
    const intent = paymentIntent({ amount: 5000, currency: 'usd', email: null, customer: null });
    const session = checkoutSession({ amount: 5000, currency: 'usd', email: donor, name: 'Grace Hopper', paymentIntent: intent.id, metadata: { campaign: 'spring' } });
    const completed = await deliver(stripeDelivery('checkout.session.completed', session));
    expect(completed.body).toMatchObject({ outcome: 'stored' });
    const stored = await eventFor(completed.body.eventId as string);
    expect(stored).toMatchObject({ idempotencyKey: `stripe:${intent.id}`, constituent: { email: donor, firstName: 'Grace', lastName: 'Hopper', phone: '+1 503 555 0101' } });
    expect(stored.data).toMatchObject({ campaign: 'spring', stripeCheckoutSession: session.id });

    const succeeded = await deliver(stripeDelivery('payment_intent.succeeded', { ...intent, receipt_email: donor }));
    expect(succeeded).toEqual({ status: 200, body: { received: true, outcome: 'duplicate', eventId: stored.id, reason: `already recorded as event stripe:${intent.id} from an earlier delivery` } });
    expect(await db.interactionEvent.count({ where: { idempotencyKey: `stripe:${intent.id}` } })).toBe(1);
  });

  it('is read in the minor unit of its currency: zero-decimal JPY, three-decimal KWD', async () => {
    const yen = await deliver(stripeDelivery('payment_intent.succeeded', paymentIntent({ amount: 5000, currency: 'jpy', email: email('stripe-jpy') })));
    expect((await eventFor(yen.body.eventId as string)).amount?.toFixed(2)).toBe('5000.00');
    const dinar = await deliver(stripeDelivery('payment_intent.succeeded', paymentIntent({ amount: 12340, currency: 'kwd', email: email('stripe-kwd') })));
    const kwd = await eventFor(dinar.body.eventId as string);
    expect([kwd.amount?.toFixed(2), kwd.currency]).toEqual(['12.34', 'KWD']);
    // A fils Steward cannot store (Stripe asks for a final 0) is not rounded away: the delivery is kept as ignored, saying why.
    const odd = await deliver(stripeDelivery('payment_intent.succeeded', paymentIntent({ amount: 12345, currency: 'kwd', email: email('stripe-kwd') })));
    expect(odd).toMatchObject({ status: 200, body: { outcome: 'ignored', reason: 'cannot be stored: data.amount must have at most two decimal places' } });
  });
});

describe('a delivery Stripe did not sign', () => {
  const sign = (payload: string, secret: string, timestamp?: number) => Stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp ? { timestamp } : {}) });
  it.each([
    ['forged with another secret', (body: string) => sign(body, 'whsec_not-the-endpoints-secret'), /does not match the body/],
    ['unsigned', () => undefined, /Stripe-Signature header is missing/],
    ['stale (signed 10 minutes ago)', (body: string) => sign(body, STRIPE_SECRET, Math.floor(Date.now() / 1000) - 600), /stale/],
    ['garbled', () => 'v1=abc', /not a Stripe signature header/],
  ])('is refused when %s, and stores nothing', async (_case, signatureFor, message) => {
    const donor = email('stripe-forged');
    const genuine = stripeDelivery('payment_intent.succeeded', paymentIntent({ amount: 100_000, currency: 'usd', email: donor }));
    const signature = signatureFor(genuine.body);
    const before = await settledCounts();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signature) headers['stripe-signature'] = signature;
    const answer = await deliver({ ...genuine, headers });
    expect(answer.status).toBe(400);
    expect((answer.body as { error: { message: string; issues: { path: string }[] } }).error).toMatchObject({ message: expect.stringMatching(message), issues: [{ path: 'headers.stripe-signature' }] });
    expect(await settledCounts()).toEqual(before);
    expect(await db.constituent.count({ where: { email: donor } })).toBe(0);
    const refusal = await db.connectorDelivery.findFirstOrThrow({ where: { connector: 'stripe', outcome: 'refused' }, orderBy: { receivedAt: 'desc' } });
    expect(refusal).toMatchObject({ deliveryId: null, eventId: null, reason: expect.stringMatching(message) });
  });

  it('with a genuine signature over other bytes is refused: the signature covers the body as sent', async () => {
    const genuine = stripeDelivery('payment_intent.succeeded', paymentIntent({ amount: 100, currency: 'usd', email: email('stripe-tampered') }));
    const answer = await deliver({ ...genuine, body: genuine.body.replace('"amount": 100', '"amount": 100000') });
    expect(answer.status).toBe(400);
  });
});

describe('a subscription', () => {
  it('paid is a recurring gift; failed starts the recovery journey at once; cancelled is a drop-off', async () => {
    const donor = email('stripe-monthly');
    const customer = `cus_${randomUUID().slice(0, 12)}`;
    const sub = subscription({ customer });
    const paid = await deliver(stripeDelivery('invoice.paid', invoice({ amount: 1500, currency: 'usd', email: donor, name: 'Mary Somerville', customer, subscription: sub.id, paid: true, metadata: { fund: 'monthly-friends' } })));
    expect(paid.body).toMatchObject({ outcome: 'stored' });
    expect((await eventFor(paid.body.eventId as string)).data).toMatchObject({ amount: 15, recurring: true, fund: 'monthly-friends', stripeSubscription: sub.id });

    const failedInvoice = invoice({ amount: 1500, currency: 'usd', email: donor, customer, subscription: sub.id, paid: false });
    const failed = await deliver(stripeDelivery('invoice.payment_failed', failedInvoice));
    expect(failed.body).toMatchObject({ outcome: 'stored' });
    const dropOff = await eventFor(failed.body.eventId as string);
    expect(dropOff).toMatchObject({ type: 'drop_off', idempotencyKey: `stripe:payment-failed:${failedInvoice.id}`, constituent: { email: donor } });
    expect(dropOff.data).toMatchObject({ kind: 'recurring-failed', stripeInvoice: failedInvoice.id });
    const recovery = await enrollmentStarted(dropOff.id, 'recurring-gift-recovery');
    expect(recovery.status).toBe('active');
    // Stripe retrying the same invoice is the same failure: no second recovery.
    const retried = await deliver(stripeDelivery('invoice.payment_failed', { ...failedInvoice, attempt_count: 3 }));
    expect(retried.body).toMatchObject({ outcome: 'duplicate', eventId: dropOff.id });

    // The cancelled subscription names only its customer: Steward knows them from the gift.
    const cancelled = await deliver(stripeDelivery('customer.subscription.deleted', sub));
    expect(cancelled.body).toMatchObject({ outcome: 'stored' });
    const cancellation = await eventFor(cancelled.body.eventId as string);
    expect(cancellation).toMatchObject({ type: 'drop_off', constituent: { email: donor } });
    expect(cancellation.data).toMatchObject({ kind: 'recurring-cancelled', reason: 'cancellation_requested', stripeSubscription: sub.id });
  });
});

describe('a refund', () => {
  it('is recorded against the gift, partial refunds each by their own amount', async () => {
    const donor = email('stripe-refund');
    const intent = paymentIntent({ amount: 10_000, currency: 'usd', email: donor });
    const gift = await deliver(stripeDelivery('payment_intent.succeeded', intent));
    const giftKey = `stripe:${intent.id}`;
    const partly = charge({ amount: 10_000, refunded: 2_500, currency: 'usd', paymentIntent: intent.id });
    const first = await deliver(stripeDelivery('charge.refunded', partly));
    expect(first.body).toMatchObject({ outcome: 'stored' });
    const donorId = (await eventFor(gift.body.eventId as string)).constituentId;
    expect(await eventFor(first.body.eventId as string)).toMatchObject({ type: 'refund', constituentId: donorId, data: { gift: giftKey, amount: 25, currency: 'USD' } });
    // The donor's giving, as journeys and the ask ladder see it, is what they kept.
    expect((await loadConstituentFacts(db, donorId))?.giving).toEqual({ count: 1, total: 75, highest: 75, last: 75 });

    // Stripe reports the charge's refunds so far (100.00 of 100.00): the second refund is the remaining 75.00.
    const rest = await deliver(stripeDelivery('charge.refunded', { ...partly, amount_refunded: 10_000, refunded: true }));
    expect(await eventFor(rest.body.eventId as string)).toMatchObject({ data: { gift: giftKey, amount: 75 } });

    const whole = paymentIntent({ amount: 4_000, currency: 'usd', email: donor });
    await deliver(stripeDelivery('payment_intent.succeeded', whole));
    const refunded = await deliver(stripeDelivery('charge.refunded', charge({ amount: 4_000, refunded: 4_000, currency: 'usd', paymentIntent: whole.id })));
    const wholeRefund = await eventFor(refunded.body.eventId as string);
    expect(wholeRefund.data).toEqual({ gift: `stripe:${whole.id}`, reason: 'refunded in Stripe', stripeCharge: expect.stringMatching(/^ch_/) });
    expect((await loadConstituentFacts(db, donorId))?.giving).toEqual({ count: 0, total: 0, highest: 0, last: 0 });
  });

  it('of a payment Steward never recorded is acknowledged and ignored, saying why', async () => {
    const answer = await deliver(stripeDelivery('charge.refunded', charge({ amount: 500, refunded: 500, currency: 'usd', paymentIntent: 'pi_unknown000000' })));
    expect(answer).toMatchObject({ status: 200, body: { outcome: 'ignored', reason: expect.stringMatching(/^no gift paid by charge ch_/) } });
  });
});

describe('other Stripe events', () => {
  it('are acknowledged and recorded as ignored', async () => {
    const delivery = stripeDelivery('customer.created', { id: 'cus_other', object: 'customer', email: 'someone@example.org' });
    const before = await settledCounts();
    expect(await deliver(delivery)).toEqual({ status: 200, body: { received: true, outcome: 'ignored', reason: 'Steward does not use customer.created events' } });
    const after = await settledCounts();
    expect({ ...after, deliveries: after.deliveries - 1 }).toEqual(before);
    expect(await db.connectorDelivery.findFirstOrThrow({ where: { deliveryId: delivery.id } })).toMatchObject({ connector: 'stripe', kind: 'customer.created', outcome: 'ignored' });
  });

  it('are listed with every other delivery, newest first, at GET /connectors', async () => {
    const listed = await stack.call({ method: 'GET', url: '/connectors?limit=100' });
    expect(listed.statusCode).toBe(200);
    const stripe = (listed.json() as { connectors: { name: string; deliveries: { outcome: string }[] }[] }).connectors.find((connector) => connector.name === 'stripe')!;
    expect(new Set(stripe.deliveries.map((delivery) => delivery.outcome))).toEqual(new Set(['stored', 'duplicate', 'ignored', 'refused']));
  });
});
