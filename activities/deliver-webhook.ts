/**
 * One webhook request per attempt: the delivery and its endpoint are read from the
 * database (the workflow knows only the delivery's id), signed as Standard Webhooks
 * asks (webhook-id, webhook-timestamp, webhook-signature over id.timestamp.body with
 * the endpoint's secret), posted, and the answer recorded as an attempt.
 *
 * Before each request the endpoint's host is resolved and every address checked
 * (src/webhooks/endpoint-address.ts), and the request connects only to the checked
 * addresses: a host that now points into a private network (DNS rebinding, or an
 * endpoint saved before the check existed) is refused, recorded in the delivery log
 * as a failed attempt, and not retried, since asking again would only be refused again.
 *
 * A 2xx delivers it; 410 Gone turns the endpoint off (its owner said it is gone for
 * good); anything else, or no answer, is thrown for Temporal to retry with backoff.
 * Failures say only a status code or a network error: they are kept in the
 * workflow's history, which holds no personal data.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { Webhook } from 'standardwebhooks';
import type { Database } from '../src/db/client.ts';
import { checkHost, type AddressPolicy } from '../src/webhooks/endpoint-address.ts';
import { postPinned } from '../src/webhooks/pinned-post.ts';
import { webhookMessageId } from '../src/webhooks/workflow-ids.ts';
import { subscriptionsChanged } from '../src/webhooks/subscriptions.ts';

export interface WebhookDeliverySettings extends AddressPolicy {
  /** The longest one request may take before it counts as no answer. */
  requestTimeoutMs: number;
}

export const defaultWebhookDelivery: WebhookDeliverySettings = { requestTimeoutMs: 15_000, allowPrivateNetworks: false };

/** How much of the receiver's answer the log keeps. */
const EXCERPT_CHARS = 500;

export type WebhookOutcome = { status: 'delivered' | 'failed' | 'not-sent'; statusCode?: number };

/** What one attempt came to: an answer, no answer (retried), or an address Steward may not reach (not sent). */
type Answer = { statusCode: number; excerpt: string } | { error: string } | { refused: string };

export function createWebhookActivities(deps: { db: Database; webhooks?: WebhookDeliverySettings | undefined }) {
  const { db } = deps;
  const settings = deps.webhooks ?? defaultWebhookDelivery;

  /** Posts the delivery once; resolves when it is settled, throws when it should be tried again. */
  async function deliverWebhook(input: { deliveryId: string }): Promise<WebhookOutcome> {
    const delivery = await db.webhookDelivery.findUnique({ where: { id: input.deliveryId }, include: { endpoint: true } });
    if (!delivery) throw ApplicationFailure.nonRetryable(`Webhook delivery ${input.deliveryId} not found`, 'WebhookDeliveryNotFound');
    // Settled by an earlier attempt (or the endpoint's deletion): nothing is sent twice.
    if (delivery.status !== 'pending') return { status: delivery.status };
    if (!delivery.endpoint.enabled) {
      await settle(delivery.id, 'failed', 'endpoint turned off');
      return { status: 'not-sent' };
    }

    const messageId = webhookMessageId(delivery.id);
    const body = JSON.stringify({ type: delivery.eventType, timestamp: delivery.occurredAt.toISOString(), data: delivery.payload });
    const startedAt = new Date();
    const timestamp = new Date(Math.floor(startedAt.getTime() / 1000) * 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Steward-Webhooks/1',
      'webhook-id': messageId,
      'webhook-timestamp': String(timestamp.getTime() / 1000),
      'webhook-signature': new Webhook(delivery.endpoint.secret).sign(messageId, timestamp, body),
    };

    const answer = await post(delivery.endpoint.url, headers, body);
    await db.webhookAttempt.create({
      data: {
        deliveryId: delivery.id,
        startedAt,
        durationMs: Date.now() - startedAt.getTime(),
        statusCode: 'statusCode' in answer ? answer.statusCode : null,
        responseExcerpt: 'excerpt' in answer ? answer.excerpt : null,
        error: 'error' in answer ? answer.error : 'refused' in answer ? `refused: ${answer.refused}` : null,
      },
    });

    if ('refused' in answer) {
      await settle(delivery.id, 'failed', `refused: ${answer.refused}`);
      return { status: 'not-sent' };
    }
    if ('error' in answer) {
      await note(delivery.id, answer.error);
      throw ApplicationFailure.retryable(answer.error, 'WebhookUnanswered');
    }
    const { statusCode } = answer;
    if (statusCode >= 200 && statusCode < 300) {
      await settle(delivery.id, 'delivered');
      return { status: 'delivered', statusCode };
    }
    if (statusCode === 410) {
      await db.webhookEndpoint.update({ where: { id: delivery.endpointId }, data: { enabled: false, disabledReason: 'the receiver answered 410 Gone' } });
      subscriptionsChanged();
      await settle(delivery.id, 'failed', 'receiver answered 410 Gone; endpoint turned off');
      return { status: 'failed', statusCode };
    }
    await note(delivery.id, `receiver answered ${statusCode}`);
    throw ApplicationFailure.retryable(`Receiver answered ${statusCode}`, 'WebhookRefused');
  }

  /** One request to the endpoint, connecting only to addresses its host was checked to have. */
  async function post(url: string, headers: Record<string, string>, body: string): Promise<Answer> {
    try {
      const target = new URL(url);
      const host = await checkHost(target.hostname, settings);
      if ('refused' in host) return { refused: host.refused };
      return await postPinned(target, host, { headers, body, timeoutMs: settings.requestTimeoutMs, excerptChars: EXCERPT_CHARS });
    } catch (error) {
      return { error: networkFailure(error, settings.requestTimeoutMs) };
    }
  }

  /** Retries ran out: the delivery is recorded as failed (a replay can still send it). */
  async function giveUpWebhook(input: { deliveryId: string }): Promise<void> {
    await settle(input.deliveryId, 'failed', undefined);
  }

  async function settle(id: string, status: 'delivered' | 'failed', why?: string): Promise<void> {
    await db.webhookDelivery.updateMany({
      where: { id, status: 'pending' },
      data: { status, ...(status === 'delivered' ? { deliveredAt: new Date(), lastError: null } : why ? { lastError: why } : {}) },
    });
  }

  async function note(id: string, why: string): Promise<void> {
    await db.webhookDelivery.updateMany({ where: { id }, data: { lastError: why } });
  }

  return { deliverWebhook, giveUpWebhook };
}

/** Why no answer came, in words that name no one: a timeout or the network error's code. */
function networkFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs / 1000} s`;
  // Node's own errors carry the code; fetch-style ones carry it on their cause.
  const failure = error as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = failure?.code ?? failure?.cause?.code;
  return `no answer: ${typeof code === 'string' ? code : error instanceof Error ? error.message : 'network error'}`;
}
