/**
 * The database pool when a connection ends under it: a connection the server (or
 * the network) ends while it is handed out and between statements must not take
 * the process down; its next statement fails as "database unavailable" and the
 * pool carries on with new connections.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unavailablePart } from '../../src/api/unavailable.ts';
import { createDatabasePool } from '../../src/db/client.ts';
import { createEmptyTestDatabase } from '../support/database.ts';

let database: Awaited<ReturnType<typeof createEmptyTestDatabase>>;

beforeAll(async () => {
  database = await createEmptyTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

describe('the database pool', () => {
  it('survives a connection that ends while handed out between statements, and replaces it', async () => {
    const pool = createDatabasePool(database.url, { maxConnections: 2 });
    try {
      // Handed out, as to a transaction before its first statement: pg-pool no longer listens on it.
      const connection = await pool.connect();
      await connection.query('SELECT 1');
      // Its socket ends with no statement running, as when the server terminates the backend.
      (connection as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const next = await connection.query('SELECT 1').catch((error: unknown) => error);
      expect(unavailablePart(next)).toBe('database');
      connection.release();
      expect((await pool.query<{ two: number }>('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    } finally {
      await pool.end();
    }
  });
});
