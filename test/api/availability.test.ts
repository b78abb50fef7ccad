/**
 * What clients and operators see when a part Steward depends on is down: 503 with
 * Retry-After in the one error shape, GET /ready naming the part, and one log line
 * per request. On real parts: a database of the test's own that it takes down and
 * brings back (PostgreSQL refusing connections, or the embedded server stopped),
 * the Temporal test server, and a Temporal address with nothing listening.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi, type ApiDependencies } from '../../src/api/server.ts';
import { unavailablePart } from '../../src/api/unavailable.ts';
import { createPrismaClient, type Database } from '../../src/db/client.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { applyMigrations } from '../../src/db/migrate.ts';
import { createServices, type Services } from '../../src/services.ts';
import { testServerExecutable } from '../../src/temporal/binaries.ts';
import { injectWithKey, makeKey } from '../support/api.ts';
import { createTestDatabase } from '../support/database.ts';
import { eventually } from '../support/wait.ts';

/** A database this file owns and can take down: what a restart or failover looks like to Steward. */
interface DatabaseThatCanGoDown {
  url: string;
  prisma: Database;
  takeDown(): Promise<void>;
  bringBack(): Promise<void>;
  drop(): Promise<void>;
}

let temporalEnv: TestWorkflowEnvironment;
let database: DatabaseThatCanGoDown;
let services: Services;
let key: string;
const apis: FastifyInstance[] = [];

beforeAll(async () => {
  [temporalEnv, database] = await Promise.all([TestWorkflowEnvironment.createTimeSkipping({ server: { executable: testServerExecutable() } }), databaseThatCanGoDown()]);
  services = createServices({ db: database.prisma, temporal: temporalEnv.client, taskQueue: `test-${randomUUID()}` });
  key = await makeKey(services.keys, ['ingest', 'read']);
});

afterAll(async () => {
  await Promise.all(apis.map((api) => api.close()));
  await Promise.all([temporalEnv?.teardown(), database?.drop()]);
});

/** An API over this file's services, closed at the end; `lines` receives its log as parsed JSON. */
function api(options: Partial<ApiDependencies> & { lines?: Record<string, unknown>[] } = {}): FastifyInstance {
  const { lines, ...overrides } = options;
  const logging = lines ? { logLevel: 'info' as const, logStream: { write: (line: string) => void lines.push(JSON.parse(line)) } } : {};
  const built = buildApi({ ...services, ...logging, ...overrides });
  apis.push(built);
  return built;
}

function donation(email = `ada-${randomUUID()}@example.org`) {
  return {
    id: `gift-${randomUUID()}`,
    type: 'donation',
    constituent: { email, firstName: 'Ada', lastName: 'Lovelace', phone: '+15551234567', consent: { email: 'granted' } },
    data: { amount: 10, currency: 'USD' },
  };
}

/** A Temporal client aimed at a port nothing listens on; without the SDK's retries, it fails at once. */
async function unreachableTemporal(): Promise<Client> {
  return new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await closedPort()}`, connectTimeout: '500ms', interceptors: [] }) });
}

describe('a database that is down', () => {
  it('answers POST /events and the readiness check with 503 and Retry-After, naming the database, until it is back', async () => {
    const lines: Record<string, unknown>[] = [];
    const call = injectWithKey(api({ lines }), key);
    expect((await call({ method: 'POST', url: '/events', payload: donation() })).statusCode).toBe(202);

    await database.takeDown();
    try {
      const refused = await call({ method: 'POST', url: '/events', payload: donation(), headers: { 'x-request-id': 'outage-1' } });
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.json()).toEqual({ error: { message: 'The database is unavailable; try again in 5 seconds' } });
      const listed = await call({ method: 'GET', url: '/events' });
      expect(listed.statusCode).toBe(503);
      expect(listed.json().error.message).toMatch(/^The database is unavailable/);

      const ready = await call({ method: 'GET', url: '/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.headers['retry-after']).toBe('5');
      expect(ready.json()).toMatchObject({
        status: 'unavailable',
        parts: { database: { status: 'down' }, temporal: { status: 'up' } },
        error: { message: 'The database is unavailable', issues: [{ path: 'parts.database' }] },
      });
      expect((await call({ method: 'GET', url: '/health' })).statusCode).toBe(200);

      // The refusal is logged once, as an outage (warn), with the error and its stack.
      const logged = lines.filter((line) => line.requestId === 'outage-1');
      expect(logged).toEqual([expect.objectContaining({ level: 40, method: 'POST', route: '/events', status: 503 })]);
      expect(logged[0]!.err).toMatchObject({ stack: expect.stringContaining('\n    at ') });
    } finally {
      await database.bringBack();
    }

    await eventually(async () => ((await call({ method: 'POST', url: '/events', payload: donation() })).statusCode === 202 ? true : undefined), 'events accepted again');
    expect((await call({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
  });
});

describe('GET /ready', () => {
  it('answers 200 without a key when the database and Temporal both answer', async () => {
    const response = await api().inject({ method: 'GET', url: '/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', parts: { database: { status: 'up' }, temporal: { status: 'up' } } });
  });

  it('answers 503 naming Temporal when nothing answers at its address, while /health still answers 200', async () => {
    const offline = api({ ...createServices({ db: database.prisma, temporal: await unreachableTemporal(), taskQueue: 'unused' }), readyTimeoutMs: 1_000 });
    const response = await offline.inject({ method: 'GET', url: '/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toEqual({
      status: 'unavailable',
      parts: { database: { status: 'up' }, temporal: { status: 'down', reason: expect.any(String) } },
      error: { message: 'Temporal is unavailable', issues: [{ path: 'parts.temporal', message: expect.any(String) }] },
    });
    expect((await offline.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
  });
});

describe('the request log', () => {
  it('writes one line per request with method, route, status, duration and request id, and nothing personal', async () => {
    const lines: Record<string, unknown>[] = [];
    const logged = api({ lines });
    const body = donation();
    const posted = await injectWithKey(logged, key)({ method: 'POST', url: '/events', payload: body, headers: { 'x-request-id': 'import-42.a' } });
    expect(posted.statusCode).toBe(202);
    expect(posted.headers['x-request-id']).toBe('import-42.a');
    // The email in the query string stays out of the log: lines name the route, not the URL.
    const searched = await injectWithKey(logged, key)({ method: 'GET', url: `/constituents?q=${encodeURIComponent(body.constituent.email)}`, headers: { 'x-request-id': 'not a token; <b>' } });
    const searchId = searched.headers['x-request-id'];
    expect(searchId).toMatch(/^[0-9a-f-]{36}$/);
    const refused = await logged.inject({ method: 'GET', url: '/events', headers: { 'x-api-key': 'stw_not-a-real-key-000000000000000000' } });
    expect(refused.statusCode).toBe(401);

    expect(lines.filter((line) => line.requestId === 'import-42.a')).toEqual([
      expect.objectContaining({ level: 30, method: 'POST', route: '/events', status: 202, durationMs: expect.any(Number) }),
    ]);
    expect(lines.filter((line) => line.requestId === searchId)).toEqual([expect.objectContaining({ route: '/constituents', status: searched.statusCode })]);
    expect(lines.find((line) => line.requestId === refused.headers['x-request-id'])).toMatchObject({ route: '/events', status: 401 });
    const text = lines.map((line) => JSON.stringify(line)).join('\n');
    for (const secret of [body.constituent.email, key, 'stw_not-a-real-key', 'Lovelace', '5551234567']) expect(text).not.toContain(secret);
  });


  it('writes a fault in Steward (500) as an error with its stack, the answer saying only "Internal error"', async () => {
    const lines: Record<string, unknown>[] = [];
    // A key store with a bug in it: the request fails for a reason no retry would cure.
    const faulty = api({ lines, keys: { ...services.keys, authenticate: async () => Promise.reject(new TypeError(`cannot read ${key} of undefined`)) } });
    const response = await injectWithKey(faulty, key)({ method: 'GET', url: '/events' });
    expect(response.statusCode).toBe(500);
    expect(response.headers['retry-after']).toBeUndefined();
    expect(response.json()).toEqual({ error: { message: 'Internal error' } });
    const [line] = lines.filter((entry) => entry.requestId === response.headers['x-request-id']);
    expect(line).toMatchObject({ level: 50, route: '/events', status: 500, err: { type: 'TypeError', message: 'cannot read [key] of undefined', stack: expect.stringContaining('\n    at ') } });
  });
});

describe('which errors mean a part is down', () => {
  it('tells a database or Temporal that did not answer from a request that was wrong, on errors provoked for real', async () => {
    // One connection, held by a transaction: a second cannot start within its maxWait (P2028).
    const single = createPrismaClient(database.url, { maxConnections: 1 });
    const unreachable = await unreachableTemporal();
    try {
      let release!: () => void;
      let started!: () => void;
      const holding = new Promise<void>((resolve) => (started = resolve));
      const held = single.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT 1`;
        started();
        await new Promise<void>((resolve) => (release = resolve));
      }, { timeout: 60_000 });
      await holding;
      const poolTimeout = await single.$transaction(async (tx) => tx.$queryRaw`SELECT 1`, { maxWait: 100 }).catch((error: unknown) => error);
      release();
      await held;

      const twinEmail = `twin-${randomUUID()}@example.org`;
      const twice = async (create: () => Promise<unknown>) => create().then(create);
      const cases: [string, unknown, 'database' | 'temporal' | undefined][] = [
        ['no connection free within maxWait', poolTimeout, 'database'],
        // What `pg` throws for the next statement of a transaction whose backend was terminated after the one before (a fault drill met it).
        ['a transaction whose connection was terminated between statements', await statementAfterTermination(), 'database'],
        ['nothing listening at the database port', await createPrismaClient(`postgresql://postgres@127.0.0.1:${await closedPort()}/steward`).apiKey.count().catch((error: unknown) => error), 'database'],
        ['an email already on file', await twice(() => database.prisma.constituent.create({ data: { email: twinEmail } })).catch((error: unknown) => error), undefined],
        ['Temporal refusing connections', await unreachable.workflow.start('anything', { taskQueue: 'unused', workflowId: randomUUID() }).catch((error: unknown) => error), 'temporal'],
        ['Temporal past a deadline', await unreachable.withDeadline(Date.now() + 200, () => unreachable.workflow.getHandle('anything').describe()).catch((error: unknown) => error), 'temporal'],
        ['Temporal answering "no such workflow"', await temporalEnv.client.workflow.getHandle(randomUUID()).describe().catch((error: unknown) => error), undefined],
        ['a fault in Steward', new TypeError('undefined is not a function'), undefined],
      ];
      for (const [what, error, part] of cases) {
        expect(error, what).toBeInstanceOf(Error);
        expect(unavailablePart(error), what).toBe(part);
      }
    } finally {
      await single.$disconnect();
    }
  });
});

/** A database of this file's own: on PostgreSQL it refuses connections; the embedded one is stopped and started again. */
async function databaseThatCanGoDown(): Promise<DatabaseThatCanGoDown> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const created = await createTestDatabase();
    const name = new URL(created.url).pathname.slice(1);
    // The server's own database, which stays up while the test's goes down.
    const admin = new pg.Pool({ connectionString: serverUrl, max: 1 });
    const allow = (allowed: boolean) => admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS ${allowed}`);
    return {
      url: created.url,
      prisma: created.prisma,
      // New sessions are refused (55000) and open ones ended (57P01), as in a restart or failover.
      async takeDown() {
        await allow(false);
        await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);
      },
      bringBack: async () => void (await allow(true)),
      async drop() {
        await admin.end();
        await created.drop();
      },
    };
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'steward-outage-db-'));
  let embedded = await startEmbeddedPostgres({ dataDir });
  await applyMigrations(embedded.url);
  const prisma = createPrismaClient(embedded.url, { maxConnections: 4 });
  const { port } = embedded;
  return {
    url: embedded.url,
    prisma,
    takeDown: () => embedded.stop(),
    async bringBack() {
      embedded = await startEmbeddedPostgres({ dataDir, port });
    },
    async drop() {
      await prisma.$disconnect();
      await embedded.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The next statement of a transaction whose connection the database ended after the
 * one before: `pg` refuses to send it ("not queryable"). The pause lets the driver
 * read the end of its connection first, as it has between two statements on a busy API.
 */
async function statementAfterTermination(): Promise<unknown> {
  return database.prisma
    .$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1`;
      await database.takeDown();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return tx.$queryRaw`SELECT 1`;
    })
    .catch((error: unknown) => error)
    .finally(() => database.bringBack());
}

/** A port that was free a moment ago and has no listener. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
