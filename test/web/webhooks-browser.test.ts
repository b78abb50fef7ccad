/**
 * The webhooks page in a real browser (Debian's Chromium), over real parts: the API
 * listening, the database, the Temporal test server with a worker running the
 * delivery workflow, and a real HTTP receiver that fails the first request. An
 * admin adds an endpoint (its secret shown once), sees the delivery with its failed
 * then successful attempt marked, opens it, and replays it. Screenshots are saved
 * under test-results/screenshots/.
 */
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.ts';
import { createServices, type Services } from '../../src/services.ts';
import { makeKey } from '../support/api.ts';
import { launchBrowser, screenshot, signInWithKey, unlabelledFields } from '../support/browser.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

let runtime: TestRuntime;
let services: Services;
let api: FastifyInstance;
let baseUrl: string;
let worker: Worker;
let working: Promise<void>;
let browser: Browser;
let receiver: WebhookReceiver;
let adminKey: string;

beforeAll(async () => {
  [runtime, browser] = await Promise.all([startTestRuntime(), launchBrowser()]);
  services = createServices({ db: runtime.db, temporal: runtime.env.client, taskQueue: runtime.taskQueue, webhookUrlPolicy: { allowLoopbackHttp: true, allowPrivateNetworks: true } });
  // The receiver is on this machine: private networks allowed, as for a CRM on the organisation's own.
  worker = await runtime.worker({ webhooks: { requestTimeoutMs: 5_000, allowPrivateNetworks: true } });
  working = worker.run();
  services.webhooks.dispatcher.start(100);
  api = buildApi(services);
  baseUrl = (await api.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  adminKey = await makeKey(services.keys, ['admin'], 'Grace (operations)');
  // The CRM is down for the first request and answers every one after it.
  receiver = await startWebhookReceiver((_request, earlier) => (earlier.length === 0 ? 500 : 204));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await services?.webhooks.dispatcher.stop();
  worker?.shutdown();
  await working;
  await api?.close();
  await receiver?.close();
  await runtime?.stop();
});

it('shows a delivery that failed then succeeded, its attempts, and replays it', async () => {
  const page = await signInWithKey(browser, { baseUrl, key: adminKey, path: '/app/webhooks' });
  expect(await unlabelledFields(page)).toEqual([]);
  await page.getByLabel('URL').fill(receiver.url);
  await page.getByLabel('Description').fill('Donor CRM');
  await page.getByLabel('task.completed').check();
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  const secret = (await page.getByTestId('webhook-secret').textContent())!;
  expect(secret).toMatch(/^whsec_/);
  await screenshot(page, 'webhooks-endpoint-added');

  // A gift officer finishes a call: the outcome goes to the CRM.
  const constituent = await runtime.db.constituent.create({ data: { email: 'olive.marsh@example.org', firstName: 'Olive', lastName: 'Marsh' } });
  const task = await runtime.db.staffTask.create({ data: { idempotencyKey: `browser-${constituent.id}`, constituentId: constituent.id, queue: 'stewardship', title: 'Call Olive' } });
  await services.tasks.complete(task.id, 'pledged', 'Maria');
  const delivery = await eventually(
    async () => (await runtime.db.webhookDelivery.findFirst({ where: { status: 'delivered' }, include: { attempts: true } })) ?? undefined,
    'the delivery to succeed after its failed attempt',
    60_000,
  );
  expect(delivery.attempts.map((attempt) => attempt.statusCode).sort()).toEqual([204, 500]);
  expect(new Webhook(secret).verify(receiver.received[1]!.body, receiver.received[1]!.headers as Record<string, string>)).toMatchObject({ type: 'task.completed' });

  await page.reload();
  const row = page.locator(`tr[data-delivery="${delivery.id}"]`);
  await expect(row.getAttribute('class')).resolves.toContain('has-failures');
  expect(await row.textContent()).toContain('(1 failed)');
  expect(await row.textContent()).toContain('delivered');
  await screenshot(page, 'webhooks-delivery-log');

  await row.getByRole('link').click();
  await page.waitForURL(`${baseUrl}/app/webhooks/deliveries/${delivery.id}`);
  const attempts = page.getByTestId('attempts').locator('tbody tr');
  expect(await attempts.count()).toBe(2);
  expect(await attempts.nth(0).getAttribute('class')).toContain('has-failures');
  expect(await attempts.nth(0).textContent()).toContain('500');
  expect(await attempts.nth(1).textContent()).toContain('204');
  await screenshot(page, 'webhooks-delivery-attempts');

  // Replay, from the keyboard: the same webhook-id arrives again.
  await page.getByRole('button', { name: 'Replay' }).focus();
  await page.keyboard.press('Enter');
  // The answer comes back to this same address, so wait for what it says, not for the URL.
  await page.getByText('Sent again').waitFor();
  await eventually(async () => ((await runtime.db.webhookAttempt.count({ where: { deliveryId: delivery.id } })) === 3 ? true : undefined), 'the replay', 60_000);
  expect(receiver.received).toHaveLength(3);
  expect(receiver.received[2]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id']);
  await page.reload();
  expect(await page.getByTestId('attempts').locator('tbody tr').count()).toBe(3);
  expect(await page.textContent('main')).toContain('replayed 1×');
  await screenshot(page, 'webhooks-replayed');
}, 180_000);
