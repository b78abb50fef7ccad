import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerRequestPriority } from '../../src/api/request-priority.ts';
import { asInteractive, atPriority, currentPriority, PriorityPool } from '../../src/db/priority-pool.ts';
import { PrismaPg } from '@prisma/adapter-pg';
import { createDatabasePool } from '../../src/db/client.ts';
import { PrismaClient } from '../../src/db/generated/prisma/client.ts';
import { createEmptyTestDatabase } from '../support/database.ts';

let database: Awaited<ReturnType<typeof createEmptyTestDatabase>>;
beforeAll(async () => {
  database = await createEmptyTestDatabase();
}, 120_000);
afterAll(async () => {
  await database?.drop();
});

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * A pool of one connection, held while `queue` lines queries up; each query notes its
 * name in `order` when answered. Released once `ready` holds.
 */
async function onOneConnection(queue: (run: (name: string) => Promise<unknown>) => Promise<unknown>[], ready: (pool: PriorityPool) => boolean): Promise<string[]> {
  const pool = new PriorityPool({ connectionString: database.url, max: 1 });
  try {
    const held = await pool.connect();
    const order: string[] = [];
    const waiting = queue((name) => pool.query('SELECT 1').then(() => order.push(name)));
    await until(() => ready(pool));
    held.release();
    await Promise.all(waiting);
    return order;
  } finally {
    await pool.end();
  }
}

describe('the priority pool', () => {
  it('gives the next free connection to a request before background work that waited longer', async () => {
    const order = await onOneConnection(
      (run) => [run('background 1'), run('background 2'), asInteractive(() => run('request'))],
      (pool) => pool.waiting.request === 1 && pool.waiting.background === 2,
    );
    expect(order).toEqual(['request', 'background 1', 'background 2']);
  });

  it('shares connections among the levels that wait, 8 : 3 : 1, each level in its own order', async () => {
    const order = await onOneConnection(
      (run) => [
        ...Array.from({ length: 4 }, (_, n) => run(`background ${n}`)),
        ...Array.from({ length: 12 }, (_, n) => atPriority('prompt', () => run(`prompt ${n}`))),
        // Follow-up work started from inside a request keeps its own level, not the request's.
        ...Array.from({ length: 32 }, (_, n) => asInteractive(() => (n % 2 ? atPriority('prompt', () => run(`prompt ${12 + n}`)) : run(`request ${n}`)))),
      ],
      (pool) => pool.waiting.request === 16 && pool.waiting.prompt === 28 && pool.waiting.background === 4,
    );
    expect(order[0]).toBe('request 0');
    const levels = order.map((name) => name.split(' ')[0]);
    const among = (first: number) => ({
      request: levels.slice(0, first).filter((level) => level === 'request').length,
      prompt: levels.slice(0, first).filter((level) => level === 'prompt').length,
      background: levels.slice(0, first).filter((level) => level === 'background').length,
    });
    expect(among(12)).toEqual({ request: 8, prompt: 3, background: 1 });
    expect(among(24)).toEqual({ request: 16, prompt: 6, background: 2 });
    for (const level of ['request', 'prompt', 'background']) {
      const served = order.filter((name) => name.startsWith(level)).map((name) => Number(name.split(' ')[1]));
      const queued = [...served].sort((a, b) => a - b);
      if (level === 'prompt') expect(served).toEqual([...queued.filter((n) => n < 12), ...queued.filter((n) => n >= 12)]);
      else expect(served).toEqual(queued);
    }
  });

  it('gives a level that waits alone every connection, with no credit saved from its quiet time', async () => {
    const pool = new PriorityPool({ connectionString: database.url, max: 1 });
    try {
      let held = await pool.connect();
      const order: string[] = [];
      const run = (name: string) => pool.query('SELECT 1').then(() => order.push(name));
      // The worker alone, for a while: all of it is served.
      const alone = Array.from({ length: 20 }, (_, n) => run(`background ${n}`));
      held.release();
      await Promise.all(alone);
      expect(order).toHaveLength(20);
      // Then requests arrive beside more background work: they get their share at once.
      held = await pool.connect();
      order.length = 0;
      const mixed = [...Array.from({ length: 3 }, (_, n) => run(`background ${20 + n}`)), ...Array.from({ length: 16 }, (_, n) => asInteractive(() => run(`request ${n}`)))];
      await until(() => pool.waiting.request === 16 && pool.waiting.background === 3);
      held.release();
      await Promise.all(mixed);
      // Requests start where the worker's turn is, not where they left off: the worker's share
      // comes after about 8 of them, not after 160 (8 for each connection it had alone).
      expect(order.slice(0, 8).every((name) => name.startsWith('request'))).toBe(true);
      expect(order.slice(0, 10).filter((name) => name.startsWith('background'))).toHaveLength(1);
    } finally {
      await pool.end();
    }
  });

  it('keeps transactions whole: a waiting request gets the connection only once the transaction holding it ends', async () => {
    const pool = new PriorityPool({ connectionString: database.url, max: 1 });
    try {
      const order: string[] = [];
      const transaction = (async () => {
        const client = await pool.connect();
        await client.query('BEGIN');
        order.push('begin');
        await until(() => pool.waiting.request === 1);
        await client.query('SELECT 1');
        order.push('inside');
        await client.query('COMMIT');
        client.release();
        order.push('commit');
      })();
      await until(() => order.includes('begin'));
      const request = asInteractive(() => pool.query('SELECT 1').then(() => order.push('request')));
      await Promise.all([transaction, request]);
      expect(order).toEqual(['begin', 'inside', 'commit', 'request']);
    } finally {
      await pool.end();
    }
  });

  it('gives up waiting after connectionTimeoutMillis with the message pg-pool uses, and refuses waiters when ended', async () => {
    const pool = new PriorityPool({ connectionString: database.url, max: 1, connectionTimeoutMillis: 50 });
    const held = await pool.connect();
    await expect(pool.query('SELECT 1')).rejects.toThrow(/^timeout exceeded when trying to connect/);
    const waiting = pool.query('SELECT 1');
    await until(() => pool.waiting.background === 1);
    held.release();
    await expect(waiting).resolves.toBeDefined();
    const second = await pool.connect();
    const refused = pool.query('SELECT 1');
    const ended = pool.end();
    await expect(refused).rejects.toThrow(/after calling end/);
    second.release();
    await ended;
  });

  it('counts a released connection once, however often release is called', async () => {
    const pool = new PriorityPool({ connectionString: database.url, max: 1 });
    try {
      const client = await pool.connect();
      client.release();
      expect(() => client.release()).toThrow(/already been released/);
      // The one slot is free again, and only one: two checkouts in a row both succeed.
      const again = await pool.connect();
      again.release();
    } finally {
      await pool.end();
    }
  });
});

describe('through Prisma', () => {
  it('orders the queries Steward makes through its client', async () => {
    const pool = createDatabasePool(database.url, { maxConnections: 1 }) as PriorityPool;
    const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
    try {
      const order: string[] = [];
      let others: Promise<unknown>[] = [];
      await db.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT 1`;
        others = [
          db.$queryRaw`SELECT 1`.then(() => order.push('background')),
          asInteractive(() => db.$queryRaw`SELECT 1`.then(() => order.push('request'))),
        ];
        await until(() => pool.waiting.request === 1 && pool.waiting.background === 1);
      });
      await Promise.all(others);
      expect(order).toEqual(['request', 'background']);
    } finally {
      await db.$disconnect();
    }
  });
});

describe('requests on the API', () => {
  it('run their handlers as interactive work, after the body was read from the socket', async () => {
    const app = Fastify();
    registerRequestPriority(app);
    app.post('/echo', async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return { interactive: currentPriority() === 'request', body: request.body };
    });
    try {
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      // Over a real socket, so the body arrives in chunks read outside any context.
      const reply = await fetch(`${address}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gift: 25, note: 'x'.repeat(200_000) }) });
      expect(await reply.json()).toEqual({ interactive: true, body: { gift: 25, note: 'x'.repeat(200_000) } });
      expect(currentPriority()).not.toBe('request');
    } finally {
      await app.close();
    }
  });
});
