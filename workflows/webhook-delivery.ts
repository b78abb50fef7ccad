/**
 * A webhook's delivery, durable: the activity posts it and Temporal retries with
 * exponential backoff (5 s doubling to an hour apart) for up to a day. The
 * workflow carries only the delivery's id; the payload stays in the database.
 */
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { JourneyActivities } from '../activities/index.ts';

const { deliverWebhook } = proxyActivities<JourneyActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', nonRetryableErrorTypes: ['WebhookDeliveryNotFound'] },
});

const { giveUpWebhook } = proxyActivities<JourneyActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '10 seconds', maximumInterval: '5 minutes' },
});

export async function deliverWebhookWorkflow(input: { deliveryId: string }): Promise<{ status: string }> {
  try {
    return await deliverWebhook(input);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    await giveUpWebhook(input);
    return { status: 'failed' };
  }
}
