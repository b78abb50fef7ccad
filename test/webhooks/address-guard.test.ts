/**
 * Webhooks go only to public addresses: an endpoint whose host is, or resolves to, a
 * private, loopback, link-local or otherwise non-public address is refused when it is
 * saved (422 naming `url`) and again before every request, after DNS, with the request
 * connecting to the address that was checked, so a name that changes its answer
 * (DNS rebinding) cannot slip through. Runs on real parts: the time-skipping Temporal
 * server with the delivery workflow, the database, the API, a real HTTP receiver, and
 * the system's resolver (`localhost` from /etc/hosts); names the system cannot resolve
 * are answered by a resolver the test hands in, as DNS would answer them.
 */
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookDeliverySettings } from '../../activities/deliver-webhook.ts';
import { buildApi } from '../../src/api/server.ts';
import { createServices, type Services } from '../../src/services.ts';
import { addressRefusal, checkHost, systemHostLookup, type HostLookup } from '../../src/webhooks/endpoint-address.ts';
import { strictEndpointPolicy } from '../../src/webhooks/endpoint-url.ts';
import { postPinned } from '../../src/webhooks/pinned-post.ts';
import { webhookWorkflowId } from '../../src/webhooks/workflow-ids.ts';
import { injectWithKey, makeKey, signedInCookie } from '../support/api.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

const ONLY_PUBLIC = 'Steward sends webhooks only to public addresses unless STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true';
const NEVER = 'Steward never sends webhooks there';
const PUBLIC_ADDRESS = '93.184.215.14';

/**
 * DNS for names only these tests know: each name answers its list of answers in turn
 * (the last one from then on); any other name goes to the system's resolver.
 */
function scriptedDns(answers: Record<string, string[][]>) {
  const asked: string[] = [];
  const lookup: HostLookup = async (hostname) => {
    asked.push(hostname);
    const script = answers[hostname];
    if (!script) return systemHostLookup(hostname);
    const answer = script.length > 1 ? script.shift()! : script[0]!;
    return answer.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { lookup, asked };
}

describe('which addresses a webhook may go to', () => {
  const off = { allowPrivateNetworks: false };
  const on = { allowPrivateNetworks: true };

  it.each([PUBLIC_ADDRESS, '2606:4700:4700::1111', '8.8.8.8'])('sends to the public address %s', (address) => {
    expect(addressRefusal(address, off)).toBeUndefined();
  });

  it.each([
    ['10.0.0.5', '10.0.0.5 is a private address'],
    ['172.16.9.9', '172.16.9.9 is a private address'],
    ['192.168.1.10', '192.168.1.10 is a private address'],
    ['127.0.0.1', '127.0.0.1 is a loopback address (this machine)'],
    ['::1', '::1 is a loopback address (this machine)'],
    ['fd12:3456::1', 'fd12:3456::1 is a unique-local IPv6 address (a private network)'],
    ['100.64.0.1', '100.64.0.1 is a shared carrier-grade NAT address (a private network)'],
    // An IPv4 address written as IPv6 is the IPv4 address it maps to.
    ['::ffff:10.0.0.5', '10.0.0.5 is a private address'],
  ])('refuses the private-network address %s unless private networks are allowed', (address, kind) => {
    expect(addressRefusal(address, off)).toBe(`${kind}; ${ONLY_PUBLIC}`);
    expect(addressRefusal(address, on)).toBeUndefined();
  });

  it.each([
    ['169.254.169.254', '169.254.169.254 is a link-local address, where cloud metadata services answer'],
    ['fe80::1', 'fe80::1 is a link-local address, where cloud metadata services answer'],
    ['::ffff:169.254.169.254', '169.254.169.254 is a link-local address, where cloud metadata services answer'],
    ['fd00:ec2::254', 'fd00:ec2::254 is a cloud metadata service'],
    ['100.100.100.200', '100.100.100.200 is a cloud metadata service'],
    ['0.0.0.0', '0.0.0.0 is the unspecified address, which reaches this machine'],
    ['::', ':: is the unspecified address, which reaches this machine'],
    ['224.0.0.1', '224.0.0.1 is a multicast address'],
    ['255.255.255.255', '255.255.255.255 is the broadcast address'],
    ['192.0.2.1', '192.0.2.1 is a special-use address (reserved)'],
    // Addresses that carry another inside them (6to4 of 10.0.0.1, NAT64 of 169.254.169.254).
    ['2002:a00:1::', '2002:a00:1:: is a special-use address (6to4)'],
    ['64:ff9b::a9fe:a9fe', '64:ff9b::a9fe:a9fe is a special-use address (rfc6052)'],
  ])('never sends to %s, whatever the setting', (address, kind) => {
    expect(addressRefusal(address, off)).toBe(`${kind}; ${NEVER}`);
    expect(addressRefusal(address, on)).toBe(`${kind}; ${NEVER}`);
  });

  it("checks every address a name resolves to, with the system's resolver", async () => {
    expect(await checkHost('localhost', off)).toEqual({
      refused: `localhost resolves to 127.0.0.1, a loopback address (this machine); ${ONLY_PUBLIC}`,
    });
    expect(await checkHost('localhost', on)).toEqual({ hostname: 'localhost', addresses: [{ address: '127.0.0.1', family: 4 }] });
    // `.invalid` never resolves: the resolver's error comes through, for the delivery to retry.
    await expect(checkHost('nowhere.invalid', off)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('refuses a name when any one of its addresses is refused', async () => {
    const dns = scriptedDns({ 'crm.mixed.example': [[PUBLIC_ADDRESS, '10.9.8.7']] });
    expect(await checkHost('crm.mixed.example', { ...off, lookup: dns.lookup })).toEqual({
      refused: `crm.mixed.example resolves to 10.9.8.7, a private address; ${ONLY_PUBLIC}`,
    });
  });
});

describe('a request connects to the address that was checked', () => {
  let receiver: WebhookReceiver;
  let silent: Server;
  beforeAll(async () => {
    receiver = await startWebhookReceiver(() => 202);
    // Takes connections and reads requests, and never answers.
    silent = createServer((socket) => socket.resume()).listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await receiver?.close();
    await new Promise((resolve) => silent?.close(resolve));
  });

  it('never asks DNS again: a name only the check could resolve is reached at the checked address', async () => {
    const port = new URL(receiver.url).port;
    const dns = scriptedDns({ 'crm.pinned.example': [['127.0.0.1'], ['10.255.255.1']] });
    const host = await checkHost('crm.pinned.example', { allowPrivateNetworks: true, lookup: dns.lookup });
    expect(host).toEqual({ hostname: 'crm.pinned.example', addresses: [{ address: '127.0.0.1', family: 4 }] });
    const url = new URL(`http://crm.pinned.example:${port}/steward-hooks`);
    const answer = await postPinned(url, host as Exclude<typeof host, { refused: string }>, { headers: { 'content-type': 'application/json' }, body: '{"ping":1}', timeoutMs: 5_000, excerptChars: 3 });
    expect(answer).toEqual({ statusCode: 202, excerpt: 'tha' });
    // The system's resolver knows no such name, and the scripted one would have moved on: one question, one answer used.
    expect(dns.asked).toEqual(['crm.pinned.example']);
    expect(receiver.received.map((request) => [request.headers.host, request.body])).toEqual([[`crm.pinned.example:${port}`, '{"ping":1}']]);
  });

  it('gives up on a receiver that takes the connection and never answers', async () => {
    const { port } = silent.address() as { port: number };
    const host = await checkHost('127.0.0.1', { allowPrivateNetworks: true });
    const posting = postPinned(new URL(`http://127.0.0.1:${port}/`), host as Exclude<typeof host, { refused: string }>, { headers: {}, body: '{}', timeoutMs: 300, excerptChars: 500 });
    await expect(posting).rejects.toMatchObject({ name: 'TimeoutError', message: 'no answer within 0.3 s' });
  });
});

describe('endpoints and deliveries', () => {
  let runtime: TestRuntime;
  let strict: { services: Services; api: FastifyInstance; call: ReturnType<typeof injectWithKey>; key: string };
  let open: { services: Services; api: FastifyInstance; call: ReturnType<typeof injectWithKey>; key: string };
  let receiver: WebhookReceiver;
  const dns = scriptedDns({ 'crm.rebinding.example': [[PUBLIC_ADDRESS], ['127.0.0.1']] });

  async function apiWith(policy: { allowLoopbackHttp: boolean; allowPrivateNetworks: boolean }) {
    const services = createServices({ db: runtime.db, temporal: runtime.env.client, taskQueue: runtime.taskQueue, webhookUrlPolicy: { ...policy, lookup: dns.lookup } });
    const api = buildApi(services);
    await api.ready();
    const key = await makeKey(services.keys, ['admin'], `admin ${policy.allowPrivateNetworks ? 'open' : 'strict'}`);
    return { services, api, call: injectWithKey(api, key), key };
  }

  beforeAll(async () => {
    runtime = await startTestRuntime();
    strict = await apiWith(strictEndpointPolicy);
    open = await apiWith({ allowLoopbackHttp: true, allowPrivateNetworks: true });
    receiver = await startWebhookReceiver(() => 204);
  }, 120_000);

  afterAll(async () => {
    await strict?.api.close();
    await open?.api.close();
    await receiver?.close();
    await runtime?.stop();
  });

  const addEndpoint = (call: typeof strict.call, url: string) => call({ method: 'POST', url: '/webhooks/endpoints', payload: { url, eventTypes: ['task.completed'] } });

  it.each([
    ['https://10.0.0.5/hooks', `10.0.0.5 is a private address; ${ONLY_PUBLIC}`],
    ['https://169.254.169.254/latest/meta-data/', `169.254.169.254 is a link-local address, where cloud metadata services answer; ${NEVER}`],
    ['https://[fd00:ec2::254]/', `fd00:ec2::254 is a cloud metadata service; ${NEVER}`],
    ['https://[fd12:3456::1]:8443/hooks', `fd12:3456::1 is a unique-local IPv6 address (a private network); ${ONLY_PUBLIC}`],
    // A number is an address to a URL: 2130706433 is 127.0.0.1.
    ['https://2130706433/hooks', `127.0.0.1 is a loopback address (this machine); ${ONLY_PUBLIC}`],
    ['https://localhost:8443/hooks', `localhost resolves to 127.0.0.1, a loopback address (this machine); ${ONLY_PUBLIC}`],
  ])('refuses to save %s with 422 naming the url and why, and stores nothing', async (url, message) => {
    const before = await runtime.db.webhookEndpoint.count();
    const refused = await addEndpoint(strict.call, url);
    expect(refused.statusCode, refused.body).toBe(422);
    expect(refused.json()).toEqual({ error: { message: 'Webhook endpoint refused: its URL points where Steward does not send webhooks', issues: [{ path: 'url', message }] } });
    expect(await runtime.db.webhookEndpoint.count()).toBe(before);
  });

  it('refuses changing an endpoint to a private address, and keeps the one it had', async () => {
    const created = await addEndpoint(strict.call, 'https://crm.not-yet-registered.invalid/hooks');
    // A name that does not resolve yet is accepted: every request checks it again.
    expect(created.statusCode, created.body).toBe(201);
    const { id } = created.json() as { id: string };
    const changed = await strict.call({ method: 'PATCH', url: `/webhooks/endpoints/${id}`, payload: { url: 'https://192.168.0.20/hooks' } });
    expect(changed.statusCode).toBe(422);
    expect(changed.json().error.issues).toEqual([{ path: 'url', message: `192.168.0.20 is a private address; ${ONLY_PUBLIC}` }]);
    expect((await runtime.db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).url).toBe('https://crm.not-yet-registered.invalid/hooks');
  });

  it('says why on the webhooks page when the form names a private address', async () => {
    const host = 'steward.example';
    const cookie = await signedInCookie(strict.api, strict.key, host);
    const posted = await strict.api.inject({
      method: 'POST',
      url: '/app/webhooks/endpoints',
      headers: { host, origin: `http://${host}`, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ url: 'https://169.254.169.254/latest/meta-data/', eventTypes: 'task.completed' }).toString(),
    });
    expect(posted.statusCode).toBe(303);
    const flash = [posted.headers['set-cookie'] ?? []].flat().find((line) => line.startsWith('steward_flash='))!.split(';')[0];
    const page = await strict.api.inject({ method: 'GET', url: '/app/webhooks', headers: { host, cookie: `${cookie}; ${flash}` } });
    expect(page.body).toContain('The endpoint was not added. url: 169.254.169.254 is a link-local address, where cloud metadata services answer');
  });

  it('saves private addresses when the organisation allows private networks, but never link-local ones', async () => {
    expect((await addEndpoint(open.call, 'https://10.0.0.5/hooks')).statusCode).toBe(201);
    expect((await addEndpoint(open.call, receiver.url)).statusCode).toBe(201);
    expect((await addEndpoint(open.call, 'https://169.254.169.254/latest/meta-data/')).statusCode).toBe(422);
  });

  /** Writes one delivery to the outbox for `endpointId` and runs its workflow on a worker with `settings`; returns the workflow's result and history. */
  async function deliverOnce(endpointId: string, settings: WebhookDeliverySettings) {
    const delivery = await runtime.db.webhookDelivery.create({ data: { endpointId, eventType: 'task.completed', payload: { task: { id: 'task-1' } }, occurredAt: new Date() } });
    await strict.services.webhooks.dispatcher.dispatchPending();
    const handle = runtime.env.client.workflow.getHandle(webhookWorkflowId(delivery));
    const worker = await runtime.worker({ webhooks: settings });
    const result = await worker.runUntil(handle.result());
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? []).flatMap((event) => event.activityTaskStartedEventAttributes?.attempt ?? []);
    const activities = (history.events ?? []).flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    const stored = await runtime.db.webhookDelivery.findUniqueOrThrow({ where: { id: delivery.id }, include: { attempts: true } });
    return { result, attempts, activities, stored };
  }

  it('refuses at delivery a name that resolved to a public address when saved and to loopback now, without retrying', async () => {
    const created = await addEndpoint(strict.call, 'https://crm.rebinding.example/hooks');
    expect(created.statusCode, created.body).toBe(201);
    const sent = await deliverOnce(created.json().id, { requestTimeoutMs: 5_000, allowPrivateNetworks: false, lookup: dns.lookup });
    const why = `refused: crm.rebinding.example resolves to 127.0.0.1, a loopback address (this machine); ${ONLY_PUBLIC}`;
    expect(sent.result).toEqual({ status: 'not-sent' });
    // One attempt, settled: not retried, and not handed to the give-up path either.
    expect(sent.attempts).toEqual([1]);
    expect(sent.activities).toEqual(['deliverWebhook']);
    expect(sent.stored).toMatchObject({ status: 'failed', lastError: why });
    expect(sent.stored.attempts).toMatchObject([{ statusCode: null, responseExcerpt: null, error: why }]);
  });

  it('refuses at delivery an endpoint saved before the check, at a loopback address, and sends it nothing', async () => {
    const legacy = await runtime.db.webhookEndpoint.create({ data: { url: receiver.url, eventTypes: ['task.completed'], secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}` } });
    const sent = await deliverOnce(legacy.id, { requestTimeoutMs: 5_000, allowPrivateNetworks: false });
    expect(sent.result).toEqual({ status: 'not-sent' });
    expect(sent.stored).toMatchObject({ status: 'failed', lastError: `refused: 127.0.0.1 is a loopback address (this machine); ${ONLY_PUBLIC}` });
    expect(receiver.received).toEqual([]);

    // The same endpoint where the organisation allows private networks: delivered.
    const allowed = await deliverOnce(legacy.id, { requestTimeoutMs: 5_000, allowPrivateNetworks: true });
    expect(allowed.result).toEqual({ status: 'delivered', statusCode: 204 });
    expect(allowed.stored).toMatchObject({ status: 'delivered', lastError: null });
    expect(receiver.received).toHaveLength(1);
  });

  it("delivers through the system's resolver to a name on a private network when allowed", async () => {
    const url = receiver.url.replace('127.0.0.1', 'localhost');
    const created = await addEndpoint(open.call, url);
    expect(created.statusCode, created.body).toBe(201);
    const sent = await deliverOnce(created.json().id, { requestTimeoutMs: 5_000, allowPrivateNetworks: true });
    expect(sent.result).toEqual({ status: 'delivered', statusCode: 204 });
    expect(sent.stored.attempts).toMatchObject([{ statusCode: 204, error: null }]);
  });
});
