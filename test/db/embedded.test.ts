/** Embedded PGlite: data survives a restart, and one data directory has one owner. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPrismaClient } from '../../src/db/client.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { applyMigrations } from '../../src/db/migrate.ts';
import { openToOthers } from '../support/private-files.ts';

let dataDir: string | undefined;
afterAll(() => (dataDir ? rm(dataDir, { recursive: true, force: true }) : undefined));

describe('startEmbeddedPostgres', () => {
  it('keeps what was written after a stop and start, and refuses a second owner meanwhile', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'steward-pglite-'));

    const first = await startEmbeddedPostgres({ dataDir });
    await applyMigrations(first.url);
    const db = createPrismaClient(first.url, { maxConnections: 2 });
    await db.constituent.create({ data: { email: 'ada@example.org', firstName: 'Ada' } });
    // The pid in the lock file is alive (it is this process), so a second start is refused.
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/in use by process/);
    await db.$disconnect();
    await first.stop();
    // The database's files are its owner's alone, whatever the umask of the process that started it.
    expect(await openToOthers(dataDir)).toEqual([]);

    const second = await startEmbeddedPostgres({ dataDir });
    expect(await applyMigrations(second.url)).toEqual({ applied: [] });
    const again = createPrismaClient(second.url, { maxConnections: 2 });
    expect(await again.constituent.findUnique({ where: { email: 'ada@example.org' } })).toMatchObject({ firstName: 'Ada' });
    await again.$disconnect();
    await second.stop();
  });

  it("serves Steward's own connection on a Unix socket in its data directory and tools on the port, one database", async () => {
    const socketDir = await mkdtemp(path.join(tmpdir(), 'steward-pglite-'));
    const embedded = await startEmbeddedPostgres({ dataDir: socketDir });
    try {
      expect(embedded.localUrl).toContain(`host=${encodeURIComponent(socketDir)}`);
      expect(await readdir(socketDir)).toContain('.s.PGSQL.5432');
      await applyMigrations(embedded.localUrl);
      const own = createPrismaClient(embedded.localUrl, { maxConnections: 1 });
      const tool = new pg.Client({ connectionString: embedded.url });
      await tool.connect();
      try {
        // A transaction on the socket and a statement through the port take turns on PGlite's
        // one session: the tool's statement, sent during the transaction, is answered after it.
        let answered = false;
        const { toolCount } = await own.$transaction(async (tx) => {
          await tx.constituent.create({ data: { email: 'grace@example.org' } });
          const toolCount = tool.query<{ n: number }>(`SELECT count(*)::int AS n FROM constituent WHERE email = 'grace@example.org'`).then((result) => {
            answered = true;
            return result.rows[0]!.n;
          });
          for (let statement = 0; statement < 3; statement += 1) await tx.$queryRaw`SELECT 1`;
          expect(answered).toBe(false);
          return { toolCount };
        });
        expect(await toolCount).toBe(1);
      } finally {
        await tool.end();
        await own.$disconnect();
      }
    } finally {
      await embedded.stop();
      await rm(socketDir, { recursive: true, force: true });
    }
  });
});
