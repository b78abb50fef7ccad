/**
 * A Stripe delivery is believed only when its `Stripe-Signature` header signs the
 * exact bytes received with the endpoint's secret, within Stripe's five-minute
 * tolerance (the package's own `constructEvent` checks it).
 */
import Stripe from 'stripe';
import { describeIssues } from '../../events/schema.ts';
import { StripeEventEnvelope } from './objects.ts';

export type VerifiedStripeDelivery = { event: StripeEventEnvelope } | { refused: string };

/** Checks the signature, then reads the event's envelope; the reason in plain words when refused. */
export function verifyStripeDelivery(rawBody: Buffer, signature: string | string[] | undefined, secret: string): VerifiedStripeDelivery {
  if (!signature || (Array.isArray(signature) && signature.length === 0)) return { refused: 'Stripe-Signature header is missing: only Stripe may send to this endpoint' };
  let event: unknown;
  try {
    event = Stripe.webhooks.constructEvent(rawBody, signature, secret);
  } catch (error) {
    return { refused: refusalOf(error) };
  }
  const envelope = StripeEventEnvelope.safeParse(event);
  if (!envelope.success) return { refused: `not a Stripe event: ${describeIssues(envelope.error).map(({ path, message }) => `${path} ${message}`).join('; ')}` };
  return { event: envelope.data };
}

function refusalOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/tolerance/i.test(message)) return 'Stripe-Signature is stale: its timestamp is more than 5 minutes from now (a replayed delivery?)';
  if (/expected scheme|Unable to extract timestamp/i.test(message)) return 'Stripe-Signature is not a Stripe signature header (t=…,v1=…)';
  if (/No signatures found matching/i.test(message)) return 'Stripe-Signature does not match the body with this endpoint\'s signing secret (STEWARD_STRIPE_WEBHOOK_SECRET)';
  if (error instanceof SyntaxError || /JSON/i.test(message)) return 'the body is not JSON';
  return `Stripe-Signature was refused: ${message.split('\n')[0]}`;
}
