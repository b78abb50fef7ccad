/**
 * One webhook request per attempt: the delivery and its endpoint are read from the
 * database (the workflow knows only the delivery's id), signed as Standard Webhooks
 * asks (webhook-id, webhook-timestamp, webhook-signature over id.timestamp.body with
 * the endpoint's secret), posted, and the answer recorded as an attempt.
 *
 * A 2xx delivers it; 410 Gone turns the endpoint off (its owner said it is gone for
 * good); anything else, or no answer, is thrown for Temporal to retry with backoff.
 * Failures say only a status code or a network error: they are kept in the
 * workflow's history, which holds no personal data.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { Webhook } from 'standardwebhooks';
import type { Database } from '../src/db/client.ts';
import { webhookMessageId } from '../src/webhooks/workflow-ids.ts';
import { subscriptionsChanged } from '../src/webhooks/subscriptions.ts';

export interface WebhookDeliverySettings {
  /** The longest one request may take before it counts as no answer. */
  requestTimeoutMs: number;
}

export const defaultWebhookDelivery: WebhookDeliverySettings = { requestTimeoutMs: 15_000 };

/** How much of the receiver's answer the log keeps. */
const EXCERPT_CHARS = 500;

export type WebhookOutcome = { status: 'delivered' | 'failed' | 'not-sent'; statusCode?: number };

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

    let answer: { statusCode: number; excerpt: string } | { error: string };
    try {
      const response = await fetch(delivery.endpoint.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(settings.requestTimeoutMs) });
      answer = { statusCode: response.status, excerpt: await excerpt(response) };
    } catch (error) {
      answer = { error: networkFailure(error, settings.requestTimeoutMs) };
    }
    await db.webhookAttempt.create({
      data: {
        deliveryId: delivery.id,
        startedAt,
        durationMs: Date.now() - startedAt.getTime(),
        statusCode: 'statusCode' in answer ? answer.statusCode : null,
        responseExcerpt: 'excerpt' in answer ? answer.excerpt : null,
        error: 'error' in answer ? answer.error : null,
      },
    });

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

/** The start of the receiver's answer, read no further than needed. */
async function excerpt(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < EXCERPT_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // An answer cut short is still an answer: its status code decides.
  } finally {
    void reader.cancel().catch(() => {});
  }
  return text.slice(0, EXCERPT_CHARS);
}

/** Why no answer came, in words that name no one: a timeout or the network error's code. */
function networkFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs / 1000} s`;
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return `no answer: ${typeof code === 'string' ? code : error instanceof Error ? error.message : 'network error'}`;
}
