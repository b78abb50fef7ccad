/**
 * Webhook deliveries that take every path of the delivery workflow (delivered at
 * once, delivered after the receiver failed, 410 Gone turning the endpoint off, an
 * endpoint turned off before sending, an endpoint at an address Steward may not send
 * to, retries running out, a delivery that is not there), run on real parts with a
 * real HTTP receiver. Their recorded histories are
 * what the replay test replays.
 */
import { randomUUID } from 'node:crypto';
import type { WebhookDeliverySettings } from '../../../activities/deliver-webhook.ts';
import { createWebhookDispatcher } from '../../../src/webhooks/dispatcher.ts';
import { createWebhookEndpoints } from '../../../src/webhooks/endpoints.ts';
import { webhookWorkflowId } from '../../../src/webhooks/workflow-ids.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import { startWebhookReceiver } from '../../support/webhook-receiver.ts';
import type { ReplayScenario } from './scenarios.ts';

/** What the receiver answers to its n-th request (counted from 0). */
type Answers = (requestNumber: number) => number;

/** The worker's settings for these deliveries: the receiver is on this machine, so private networks are allowed. */
const onThisMachine: WebhookDeliverySettings = { requestTimeoutMs: 5_000, allowPrivateNetworks: true };

/** Writes one delivery to the outbox for a fresh endpoint at a receiver answering `answers`, and runs its workflow to the end. */
async function deliver(runtime: TestRuntime, answers: Answers, endpoint: { enabled: boolean } = { enabled: true }, settings = onThisMachine): Promise<string[]> {
  const receiver = await startWebhookReceiver((_request, earlier) => answers(earlier.length));
  try {
    const { id: endpointId } = await createWebhookEndpoints(runtime.db).create({ url: receiver.url, eventTypes: ['task.completed'], enabled: endpoint.enabled });
    const delivery = await runtime.db.webhookDelivery.create({
      data: { endpointId, eventType: 'task.completed', payload: { task: { id: randomUUID(), outcome: 'reached' } }, occurredAt: new Date() },
    });
    await createWebhookDispatcher({ db: runtime.db, temporal: runtime.env.client, taskQueue: runtime.taskQueue }).dispatchPending();
    return await runToEnd(runtime, webhookWorkflowId(delivery), settings);
  } finally {
    await receiver.close();
  }
}

async function runToEnd(runtime: TestRuntime, workflowId: string, settings = onThisMachine): Promise<string[]> {
  const worker = await runtime.worker({ webhooks: settings });
  await worker.runUntil(runtime.env.client.workflow.getHandle(workflowId).result());
  return [workflowId];
}

export const webhookDeliveryScenarios: ReplayScenario[] = [
  { name: 'webhook-delivered', run: (runtime) => deliver(runtime, () => 204) },
  { name: 'webhook-retried-after-500', run: (runtime) => deliver(runtime, (n) => (n < 2 ? 500 : 200)) },
  { name: 'webhook-gone', run: (runtime) => deliver(runtime, () => 410) },
  { name: 'webhook-endpoint-off', run: (runtime) => deliver(runtime, () => 204, { enabled: false }) },
  // The receiver is on loopback and the worker allows public addresses only: refused, not retried.
  { name: 'webhook-address-refused', run: (runtime) => deliver(runtime, () => 204, { enabled: true }, { ...onThisMachine, allowPrivateNetworks: false }) },
  // Every attempt for a day is answered 503: the retries run out and the delivery is given up.
  { name: 'webhook-gave-up', run: (runtime) => deliver(runtime, () => 503) },
  {
    name: 'webhook-delivery-missing',
    async run(runtime) {
      const workflowId = webhookWorkflowId({ id: randomUUID(), replays: 0 });
      await runtime.env.client.workflow.start('deliverWebhookWorkflow', { workflowId, taskQueue: runtime.taskQueue, args: [{ deliveryId: workflowId.slice('webhook-delivery-'.length) }] });
      return runToEnd(runtime, workflowId);
    },
  },
];
