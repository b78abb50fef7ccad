import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerRequestPriority } from '../../src/api/request-priority.ts';
import { asInteractive, isInteractive, PriorityPool } from '../../src/db/priority-pool.ts';
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

describe('the priority pool', () => {
  it('gives the next free connection to a request before background work that waited longer', async () => {
    const pool = new PriorityPool({ connectionString: database.url, max: 1 });
    try {
      const held = await pool.connect();
      const order: string[] = [];
      const run = (name: string) => pool.query('SELECT 1').then(() => order.push(name));
      const background = [run('background 1'), run('background 2')];
      const request = asInteractive(() => run('request'));
      await until(() => pool.waiting.interactive === 1 && pool.waiting.background === 2);
      held.release();
      await Promise.all([...background, request]);
      expect(order).toEqual(['request', 'background 1', 'background 2']);
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
        await until(() => pool.waiting.interactive === 1);
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
    await until(() => pool.waiting.background === 1 || pool.waiting.interactive === 1);
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
        await until(() => pool.waiting.interactive === 1 && pool.waiting.background === 1);
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
      return { interactive: isInteractive(), body: request.body };
    });
    try {
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      // Over a real socket, so the body arrives in chunks read outside any context.
      const reply = await fetch(`${address}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gift: 25, note: 'x'.repeat(200_000) }) });
      expect(await reply.json()).toEqual({ interactive: true, body: { gift: 25, note: 'x'.repeat(200_000) } });
      expect(isInteractive()).toBe(false);
    } finally {
      await app.close();
    }
  });
});
