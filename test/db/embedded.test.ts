/** Embedded PGlite: data survives a restart, and one data directory has one owner. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
});
