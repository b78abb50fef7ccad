/**
 * Outbound webhooks end to end, on real parts: the time-skipping Temporal server
 * running the delivery workflow, the database, the API, and a real HTTP receiver.
 * Outcomes (a task created and completed, an email sent, an enrollment converted)
 * reach the receiver signed as Standard Webhooks asks, verified with the
 * `standardwebhooks` library itself; a receiver that fails first is retried; every
 * attempt is in the delivery log; a replay keeps the webhook-id; no subscription
 * writes nothing; and the delivery workflow's history names no one.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { JourneyDefinition, type JourneyDefinitionInput } from '../../src/journeys/definition.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { webhookWorkflowId } from '../../src/webhooks/workflow-ids.ts';
import { routed } from '../support/api.ts';
import { BOUNCE_TOKEN, startChannelStack, type ChannelStack } from '../support/channel-stack.ts';
import { eventually } from '../support/wait.ts';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver.ts';

const before = { email: 'early.bird@webhooks.example', firstName: 'Early', lastName: 'Bird', consent: { email: 'granted' } };
const wren = { email: 'wren.halloway@webhooks.example', firstName: 'Wren', lastName: 'Halloway-Quist', consent: { email: 'granted' } };
const officer = 'officer.tamsin@hope.example';

const journey: JourneyDefinitionInput = {
  id: 'webhook-call',
  name: 'Thank and call',
  trigger: { event: 'donation' },
  initial: 'thanked',
  states: {
    thanked: {
      entry: [
        { do: 'email', template: 'new-donor-thanks' },
        { do: 'task', queue: 'stewardship', title: 'Call to say thank you', due: '48h' },
      ],
      on: { 'task-completed': 'called' },
      after: [{ delay: '30d', to: 'done' }],
    },
    called: { final: true, outcome: 'converted' },
    done: { final: true },
  },
};

let stack: ChannelStack;
let db: Database;
let receiver: WebhookReceiver;

beforeAll(async () => {
  stack = await startChannelStack({}, { localWebhookReceiver: true });
  db = stack.runtime.db;
  await publishJourneyCatalog(db, [{ definition: JourneyDefinition.parse(journey), source: 'webhook-call.test', publishOnStart: true }]);
  // The CRM is down for the first task.completed it is sent, and answers every other request.
  receiver = await startWebhookReceiver(({ body }, earlier) =>
    typeOf(body) === 'task.completed' && !earlier.some((request) => typeOf(request.body) === 'task.completed') ? 500 : 204,
  );
  stack.services.webhooks.dispatcher.start(100);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

/** A worker serves one run: each step of a test gets its own, with Steward's real activities. */
async function withWorker<T>(work: () => Promise<T>): Promise<T> {
  const worker = await stack.runtime.worker({ messaging: stack.messaging, webhooks: { requestTimeoutMs: 5_000, allowPrivateNetworks: true } });
  return worker.runUntil(work);
}

function typeOf(body: string): string {
  return (JSON.parse(body) as { type: string }).type;
}

async function donation(constituent: object) {
  const response = await stack.call({ method: 'POST', url: '/events', payload: { id: randomUUID(), type: 'donation', constituent, data: { amount: 60, currency: 'USD' } } });
  const [enrollment] = (await routed(stack.call, response)).enrollments;
  return enrollment!;
}

const openTask = (enrollmentId: string) =>
  eventually(async () => (await db.staffTask.findFirst({ where: { enrollmentId, status: 'open' } })) ?? undefined, `the task of enrollment ${enrollmentId}`);

const arrived = (what: string, match: (request: ReceivedWebhook, body: { type: string; data: Record<string, any> }) => boolean) =>
  eventually(async () => receiver.received.find((request) => request.answered < 300 && match(request, JSON.parse(request.body))), what, 60_000);

/** A history as text with every payload decoded, as test/privacy/histories.test.ts reads them. */
function historyText(history: unknown): string {
  return JSON.stringify(history, (_key, value: unknown) => {
    const payload = value as { metadata?: unknown; data?: unknown };
    if (payload && typeof payload === 'object' && 'metadata' in payload && typeof payload.data === 'string') return { ...payload, data: Buffer.from(payload.data, 'base64').toString('utf8') };
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    return value;
  });
}

it('refuses endpoints that are not https, naming the field, and writes nothing', async () => {
  const plain = await stack.call({ method: 'POST', url: '/webhooks/endpoints', payload: { url: 'http://crm.example.org/hooks', eventTypes: ['task.completed'] } });
  expect(plain.statusCode).toBe(400);
  expect(plain.json().error.issues).toEqual([{ path: 'url', message: 'must be https:// (plain http is allowed only to this machine, for local testing)' }]);
  const unknownType = await stack.call({ method: 'POST', url: '/webhooks/endpoints', payload: { url: 'https://crm.example.org/hooks', eventTypes: ['task.deleted'] } });
  expect(unknownType.statusCode).toBe(400);
  expect(unknownType.json().error.issues[0].path).toBe('eventTypes.0');
  expect(await db.webhookEndpoint.count()).toBe(0);
});

it('writes no outbox rows while no endpoint subscribes', async () => {
  await withWorker(async () => {
    const enrollment = await donation(before);
    const task = await openTask(enrollment.enrollmentId);
    await eventually(async () => ((await db.message.count({ where: { enrollmentId: enrollment.enrollmentId, status: 'sent' } })) > 0 ? true : undefined), 'the thank-you');
    expect((await stack.call({ method: 'POST', url: `/tasks/${task.id}/complete`, payload: { outcome: 'reached' } })).statusCode).toBe(200);
    await eventually(async () => ((await db.enrollment.findUniqueOrThrow({ where: { id: enrollment.enrollmentId } })).status === 'converted' ? true : undefined), 'the conversion');
  });
  expect(await db.webhookDelivery.count()).toBe(0);
});

it('delivers outcomes signed, retries a failing receiver, logs each attempt, replays with the same id, and keeps people out of the history', async () => {
  const created = await stack.call({
    method: 'POST',
    url: '/webhooks/endpoints',
    payload: { url: receiver.url, description: 'CRM', eventTypes: ['task.created', 'task.completed', 'enrollment.converted', 'message.sent'] },
  });
  expect(created.statusCode).toBe(201);
  const endpoint = created.json() as { id: string; secret: string };
  expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  // The secret is shown once: never in a listing.
  expect(JSON.stringify((await stack.call({ method: 'GET', url: '/webhooks/endpoints' })).json())).not.toContain(endpoint.secret);
  const verifier = new Webhook(endpoint.secret);

  let taskId = '';
  let enrollmentId = '';
  await withWorker(async () => {
    ({ enrollmentId } = await donation(wren));
    taskId = (await openTask(enrollmentId)).id;
    const sent = await arrived('message.sent', (_request, body) => body.type === 'message.sent' && body.data.message.enrollmentId === enrollmentId);
    expect(JSON.parse(sent.body).data).toMatchObject({ message: { channel: 'email', template: 'new-donor-thanks', status: 'sent' }, constituent: { email: wren.email, firstName: 'Wren' } });
    await arrived('task.created', (_request, body) => body.type === 'task.created' && body.data.task.id === taskId);

    expect((await stack.call({ method: 'POST', url: `/tasks/${taskId}/complete`, payload: { outcome: 'pledged', by: officer } })).statusCode).toBe(200);
    const completed = await arrived('task.completed', (_request, body) => body.type === 'task.completed' && body.data.task.id === taskId);
    // Verified by the library receivers use: a wrong secret or a changed body would throw.
    expect(verifier.verify(completed.body, completed.headers as Record<string, string>)).toMatchObject({
      type: 'task.completed',
      data: { task: { id: taskId, status: 'completed', outcome: 'pledged', completedBy: officer, queue: 'stewardship' }, constituent: { email: wren.email, lastName: 'Halloway-Quist' } },
    });
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(completed.body, completed.headers as Record<string, string>)).toThrow();
    await arrived('enrollment.converted', (_request, body) => body.type === 'enrollment.converted' && body.data.enrollment.id === enrollmentId);
  });

  // The first request for the completion met a 500 and was retried with the same webhook-id.
  const forCompletion = receiver.received.filter((request) => typeOf(request.body) === 'task.completed');
  expect(forCompletion.map((request) => request.answered)).toEqual([500, 204]);
  expect(new Set(forCompletion.map((request) => request.headers['webhook-id'])).size).toBe(1);

  const log = (await stack.call({ method: 'GET', url: `/webhooks/deliveries?endpointId=${endpoint.id}` })).json().deliveries as { id: string; eventType: string; status: string; attempts: number; failedAttempts: number }[];
  expect(log.map((delivery) => delivery.eventType).sort()).toEqual(['enrollment.converted', 'message.sent', 'task.completed', 'task.created']);
  const completion = log.find((delivery) => delivery.eventType === 'task.completed')!;
  expect(completion).toMatchObject({ status: 'delivered', attempts: 2, failedAttempts: 1 });
  const detail = (await stack.call({ method: 'GET', url: `/webhooks/deliveries/${completion.id}` })).json();
  expect(detail.attempts.map((attempt: { statusCode: number; responseExcerpt: string }) => [attempt.statusCode, attempt.responseExcerpt])).toEqual([
    [500, 'receiver says 500'],
    [204, ''],
  ]);
  expect(detail.attempts.every((attempt: { durationMs: number }) => attempt.durationMs >= 0)).toBe(true);

  // A replay sends it again: the same webhook-id, a fresh signature that verifies.
  const replay = await stack.call({ method: 'POST', url: `/webhooks/deliveries/${completion.id}/replay` });
  expect(replay.statusCode).toBe(202);
  await withWorker(() => eventually(async () => (receiver.received.filter((request) => typeOf(request.body) === 'task.completed').length === 3 ? true : undefined), 'the replay', 60_000));
  const replayed = receiver.received.filter((request) => typeOf(request.body) === 'task.completed')[2]!;
  expect(replayed.headers['webhook-id']).toBe(forCompletion[0]!.headers['webhook-id']);
  expect(verifier.verify(replayed.body, replayed.headers as Record<string, string>)).toMatchObject({ data: { task: { id: taskId } } });
  await eventually(async () => ((await db.webhookAttempt.count({ where: { deliveryId: completion.id } })) === 3 ? true : undefined), 'the replay in the log');
  expect((await db.webhookDelivery.findUniqueOrThrow({ where: { id: completion.id } })).status).toBe('delivered');

  // What Temporal keeps of the deliveries: their ids, never the person.
  const histories = await Promise.all(
    [webhookWorkflowId({ id: completion.id, replays: 0 }), webhookWorkflowId({ id: completion.id, replays: 1 }), ...log.map((delivery) => webhookWorkflowId({ id: delivery.id, replays: 0 }))].map(
      async (workflowId) => historyText(await stack.runtime.env.client.workflow.getHandle(workflowId).fetchHistory()),
    ),
  );
  const all = histories.join('\n');
  expect(all).toContain(completion.id);
  // The retry is there to be read (the failed first attempt is kept by Temporal, not in the history).
  expect(all).toContain('"attempt":2');
  const personal = [wren.email, wren.firstName, wren.lastName, officer, 'tamsin', 'webhooks.example'];
  expect(personal.filter((value) => all.toLowerCase().includes(value.toLowerCase()))).toEqual([]);
}, 180_000);

it('turns an endpoint off when its receiver answers 410 Gone, and sends it nothing more', async () => {
  const gone = await startWebhookReceiver(() => 410);
  try {
    const endpoint = (await stack.call({ method: 'POST', url: '/webhooks/endpoints', payload: { url: gone.url, eventTypes: ['task.completed'] } })).json() as { id: string };
    await withWorker(async () => {
      const { enrollmentId } = await donation({ ...wren, email: 'gone.case@webhooks.example' });
      const task = await openTask(enrollmentId);
      await stack.call({ method: 'POST', url: `/tasks/${task.id}/complete`, payload: { outcome: 'reached' } });
      await eventually(async () => ((await db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).enabled ? undefined : true), 'the endpoint turned off');
    });
    expect(gone.received).toHaveLength(1);
    const [delivery] = await db.webhookDelivery.findMany({ where: { endpointId: endpoint.id } });
    expect(delivery).toMatchObject({ status: 'failed', lastError: 'receiver answered 410 Gone; endpoint turned off' });
    expect((await stack.call({ method: 'GET', url: `/webhooks/endpoints/${endpoint.id}` })).json()).toMatchObject({ enabled: false, disabledReason: 'the receiver answered 410 Gone' });
  } finally {
    await gone.close();
  }
}, 120_000);

it('tells the CRM of a bounce, the consent it withdrew, and the journey it ended', async () => {
  const crm = await startWebhookReceiver(() => 200);
  const bounced = { email: 'bounce.back@webhooks.example', firstName: 'Bounce', lastName: 'Back', consent: { email: 'granted' } };
  try {
    const endpoint = (
      await stack.call({ method: 'POST', url: '/webhooks/endpoints', payload: { url: crm.url, eventTypes: ['message.bounced', 'consent.changed', 'enrollment.exited'] } })
    ).json() as { id: string; secret: string };
    const verifier = new Webhook(endpoint.secret);
    const bodies = () => crm.received.map((request) => verifier.verify(request.body, request.headers as Record<string, string>) as { type: string; data: Record<string, any> });
    await withWorker(async () => {
      const { enrollmentId } = await donation(bounced);
      const message = await eventually(async () => (await db.message.findFirst({ where: { enrollmentId, status: 'sent' } })) ?? undefined, 'the thank-you');
      const report = await stack.call({
        method: 'POST',
        url: '/webhooks/email/feedback',
        headers: { authorization: `Bearer ${BOUNCE_TOKEN}` },
        payload: { type: 'bounce', bounceType: 'hard', recipient: bounced.email, messageId: message.id },
      });
      expect(report.statusCode).toBe(200);
      await eventually(async () => (bodies().some((body) => body.type === 'enrollment.exited') ? true : undefined), 'the exit webhook', 60_000);
      const byType = Object.fromEntries(bodies().map((body) => [body.type, body.data]));
      expect(byType['message.bounced']).toMatchObject({ message: { id: message.id, status: 'bounced', channel: 'email' }, constituent: { email: bounced.email } });
      const withdrawn = bodies().find((body) => body.type === 'consent.changed' && body.data.consent.status === 'withdrawn');
      expect(withdrawn?.data).toMatchObject({ consent: { channel: 'email', source: 'hard bounce', authority: 'provider' }, constituent: { email: bounced.email } });
      expect(byType['enrollment.exited']).toMatchObject({ enrollment: { id: enrollmentId, journeyId: 'webhook-call', status: 'exited', exitReason: 'hard-bounced' } });
    });
    // The consent granted with the gift, then withdrawn by the bounce: one webhook for each change.
    expect(bodies().map((body) => body.type).sort()).toEqual(['consent.changed', 'consent.changed', 'enrollment.exited', 'message.bounced']);
    expect(bodies().filter((body) => body.type === 'consent.changed').map((body) => body.data.consent.status).sort()).toEqual(['granted', 'withdrawn']);
  } finally {
    await crm.close();
  }
}, 120_000);
