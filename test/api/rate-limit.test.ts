/**
 * The rate limit holds across API processes: two API instances built apart, each
 * with its own connection pool, on one database share one budget per key. Runs
 * on PostgreSQL (or PGlite) without Temporal: the routes called here need none.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimitStore } from '../../src/api/rate-limit-store.ts';
import { buildApi } from '../../src/api/server.ts';
import { createPrismaClient, type Database } from '../../src/db/client.ts';
import { createServices, type Services } from '../../src/services.ts';
import { bearer } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/wait.ts';

/** Short enough for a test to wait one out. */
const SHORT_WINDOW_MS = 400;

let database: TestDatabase;
let otherPool: Database;
let first: Services;
let second: Services;
const apis: FastifyInstance[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  otherPool = createPrismaClient(database.url, { maxConnections: database.kind === 'pglite' ? 4 : 10 });
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '300ms' }) });
  first = createServices({ db: database.prisma, temporal, taskQueue: 'unused' });
  second = createServices({ db: otherPool, temporal, taskQueue: 'unused' });
});

afterAll(async () => {
  await Promise.all(apis.map((api) => api.close()));
  await otherPool?.$disconnect();
  await database?.drop();
});

/** One API process: its own Fastify instance and services over its own pool. */
async function apiProcess(
  services: Services,
  limits: { rateLimit: number; rateLimitWindowMs?: number; trustProxy?: string | number; rateLimitCounted?: 'database' | 'process' },
): Promise<FastifyInstance> {
  const api = buildApi({ ...services, ...limits });
  apis.push(api);
  await api.ready();
  return api;
}

async function newKey(): Promise<{ key: string; id: string }> {
  const { key, apiKey } = await first.keys.create({ name: 'rate-limited', scopes: ['read'] });
  return { key, id: apiKey.id };
}

const listJourneys = (api: FastifyInstance, key: string) => api.inject({ method: 'GET', url: '/journeys', headers: bearer(key) });
const statusOf = async (response: Promise<{ statusCode: number }>) => (await response).statusCode;

async function windowRows(): Promise<{ key: string; hits: number }[]> {
  return database.prisma.$queryRaw`SELECT key, hits FROM rate_limit_window ORDER BY key`;
}

describe('the API rate limit, shared by every API process', () => {
  it('gives each key one budget across processes, and leaves other keys alone', async () => {
    const [a, b] = await Promise.all([apiProcess(first, { rateLimit: 3 }), apiProcess(second, { rateLimit: 3 })]);
    const busy = await newKey();
    const quiet = await newKey();

    expect([await statusOf(listJourneys(a, busy.key)), await statusOf(listJourneys(a, busy.key)), await statusOf(listJourneys(b, busy.key))]).toEqual([200, 200, 200]);
    const refused = await listJourneys(a, busy.key);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({ error: { message: expect.stringMatching(/^Rate limit reached: 3 requests a minute; try again in /) } });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(await statusOf(listJourneys(b, busy.key))).toBe(429);

    expect(await statusOf(listJourneys(b, quiet.key))).toBe(200);
    expect(await statusOf(listJourneys(a, quiet.key))).toBe(200);
  });

  it('holds the budget exactly under a burst, with each request counted once in its own place', async () => {
    const [a, b] = await Promise.all([apiProcess(first, { rateLimit: 7 }), apiProcess(second, { rateLimit: 7 })]);
    const { key, id } = await newKey();
    // Requests that arrive while a count is under way are counted together, in one statement.
    const statuses = await Promise.all(Array.from({ length: 24 }, (_, index) => statusOf(listJourneys(index % 2 ? a : b, key))));
    expect(statuses.filter((status) => status === 200)).toHaveLength(7);
    expect(statuses.filter((status) => status === 429)).toHaveLength(17);
    expect((await windowRows()).find((row) => row.key === `api:key:${id}`)?.hits).toBe(24);

    const store = createRateLimitStore({ db: database.prisma, log: { warn: () => undefined } });
    const places = await Promise.all(Array.from({ length: 10 }, () => store.count(`burst:${id}`, 60_000)));
    expect(places.map(({ current }) => current).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('counts requests without a key by address, across processes too', async () => {
    const [a, b] = await Promise.all([apiProcess(first, { rateLimit: 1 }), apiProcess(second, { rateLimit: 1 })]);
    expect(await statusOf(a.inject({ method: 'GET', url: '/health' }))).toBe(200);
    expect(await statusOf(b.inject({ method: 'GET', url: '/health' }))).toBe(429);
  });

  it('counts each client behind a trusted proxy apart, and the proxy itself when it is not trusted', async () => {
    const forwarded = (api: FastifyInstance, client: string) =>
      statusOf(api.inject({ method: 'GET', url: '/health', remoteAddress: '10.0.0.7', headers: { 'x-forwarded-for': client } }));
    const behindProxy = await apiProcess(first, { rateLimit: 1, trustProxy: '10.0.0.0/8' });
    expect([await forwarded(behindProxy, '192.0.2.1'), await forwarded(behindProxy, '192.0.2.2'), await forwarded(behindProxy, '192.0.2.1')]).toEqual([200, 200, 429]);
    // One hop in front (a cloud load balancer): its view of the client is believed.
    const oneHop = await apiProcess(second, { rateLimit: 1, trustProxy: 1 });
    expect([await forwarded(oneHop, '192.0.2.8'), await forwarded(oneHop, '192.0.2.9')]).toEqual([200, 200]);
    const untrusting = await apiProcess(second, { rateLimit: 1 });
    expect([await forwarded(untrusting, '192.0.2.3'), await forwarded(untrusting, '192.0.2.4')]).toEqual([200, 429]);
  });

  it('lets a key through again once its window has passed', async () => {
    const limits = { rateLimit: 1, rateLimitWindowMs: SHORT_WINDOW_MS };
    const [a, b] = await Promise.all([apiProcess(first, limits), apiProcess(second, limits)]);
    const { key } = await newKey();

    expect(await statusOf(listJourneys(a, key))).toBe(200);
    const refused = await listJourneys(b, key);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.message).toMatch(/^Rate limit reached: 1 requests per 0.4 seconds;/);

    await sleep(SHORT_WINDOW_MS + 100);
    expect(await statusOf(listJourneys(b, key))).toBe(200);
    expect(await statusOf(listJourneys(a, key))).toBe(429);
  });

  it('deletes the windows that have ended and keeps the live ones', async () => {
    const limits = { rateLimit: 5, rateLimitWindowMs: SHORT_WINDOW_MS };
    const a = await apiProcess(first, limits);
    const gone = await newKey();
    const staying = await newKey();
    await listJourneys(a, gone.key);
    await listJourneys(a, staying.key);
    expect(await windowRows()).toEqual(
      expect.arrayContaining([
        { key: `api:key:${gone.id}`, hits: 1 },
        { key: `api:key:${staying.id}`, hits: 1 },
      ]),
    );

    await sleep(SHORT_WINDOW_MS + 100);
    // A request after a window's length sweeps, without waiting for the sweep.
    expect(await statusOf(listJourneys(a, staying.key))).toBe(200);
    const rows = await eventually(async () => {
      const current = await windowRows();
      return current.some((row) => row.key === `api:key:${gone.id}`) ? undefined : current;
    }, 'the ended window to be deleted');
    expect(rows).toContainEqual({ key: `api:key:${staying.id}`, hits: 1 });
  });

  it('leaves provider webhooks unlimited: they come in bursts from a few addresses and prove their sender', async () => {
    const services = createServices({ db: database.prisma, temporal: first.temporal, taskQueue: 'unused', channels: { signingSecret: 'x'.repeat(32), org: { name: 'Hope', website: 'https://hope.example' }, phoneCountry: 'US' } });
    const api = buildApi({ ...services, rateLimit: 1, channelRoutes: { channels: services.channels!, publicUrl: 'http://127.0.0.1', orgName: 'Hope', bounceWebhookToken: 'b'.repeat(16) } });
    apis.push(api);
    const report = () =>
      api.inject({
        method: 'POST',
        url: '/webhooks/email/feedback',
        remoteAddress: '203.0.113.7',
        headers: { authorization: `Bearer ${'b'.repeat(16)}` },
        payload: { type: 'bounce', bounceType: 'soft', recipient: 'nobody@example.org' },
      });
    const statuses = [];
    for (let index = 0; index < 3; index++) statuses.push((await report()).statusCode);
    expect(statuses.every((status) => status < 300)).toBe(true);
    // The same address is still limited on the API itself.
    const health = () => statusOf(api.inject({ method: 'GET', url: '/health', remoteAddress: '203.0.113.7' }));
    expect([await health(), await health()]).toEqual([200, 429]);
  });

  it('lets requests through uncounted while the counters cannot be written', async () => {
    const a = await apiProcess(first, { rateLimit: 1 });
    const { key } = await newKey();
    await database.prisma.$executeRaw`ALTER TABLE rate_limit_window RENAME TO rate_limit_window_away`;
    try {
      expect([await statusOf(listJourneys(a, key)), await statusOf(listJourneys(a, key))]).toEqual([200, 200]);
    } finally {
      await database.prisma.$executeRaw`ALTER TABLE rate_limit_window_away RENAME TO rate_limit_window`;
    }
    expect(await statusOf(listJourneys(a, key))).toBe(200);
    expect(await statusOf(listJourneys(a, key))).toBe(429);
  });
});

describe('the API rate limit of the one process on the embedded database', () => {
  it('counts in the process, with the same budget and windows, writing nothing to the database', async () => {
    const limits = { rateLimit: 3, rateLimitWindowMs: SHORT_WINDOW_MS, rateLimitCounted: 'process' as const };
    const api = await apiProcess(first, limits);
    const { key, id } = await newKey();

    const statuses = await Promise.all(Array.from({ length: 8 }, () => statusOf(listJourneys(api, key))));
    expect(statuses.filter((status) => status === 200)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(5);
    const refused = await listJourneys(api, key);
    expect(refused.json().error.message).toMatch(/^Rate limit reached: 3 requests per 0.4 seconds;/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(await windowRows()).not.toContainEqual(expect.objectContaining({ key: `api:key:${id}` }));
    // Requests without a key are counted by address in the same way.
    const keyless = await apiProcess(first, { ...limits, rateLimit: 1 });
    const health = () => statusOf(keyless.inject({ method: 'GET', url: '/health', remoteAddress: '198.51.100.4' }));
    expect([await health(), await health()]).toEqual([200, 429]);

    await sleep(SHORT_WINDOW_MS + 100);
    expect(await statusOf(listJourneys(api, key))).toBe(200);
  });

  it('gives each of a burst its own place in the window, and forgets the windows that have ended', async () => {
    const store = createRateLimitStore({ db: database.prisma, log: { warn: () => undefined }, counted: 'process' });
    const places = await Promise.all(Array.from({ length: 10 }, () => store.count('burst', SHORT_WINDOW_MS)));
    expect(places.map(({ current }) => current).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(places.every(({ ttl }) => ttl > 0 && ttl <= SHORT_WINDOW_MS)).toBe(true);
    expect(await store.removeExpired()).toBe(0);

    await sleep(SHORT_WINDOW_MS + 100);
    expect(await store.removeExpired()).toBe(1);
    expect((await store.count('burst', SHORT_WINDOW_MS)).current).toBe(1);
  });
});
