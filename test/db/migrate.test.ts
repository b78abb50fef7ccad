/** Steward's migrator: records migrations the way Prisma does and never half-applies one. */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyMigrations, MIGRATIONS_DIR, MigrationError, readMigrations } from '../../src/db/migrate.ts';
import { createEmptyTestDatabase } from '../support/database.ts';

let database: Awaited<ReturnType<typeof createEmptyTestDatabase>>;
let migrationsDir: string;

beforeEach(async () => {
  database = await createEmptyTestDatabase();
  migrationsDir = await mkdtemp(path.join(tmpdir(), 'steward-migrations-'));
  await cp(MIGRATIONS_DIR, migrationsDir, { recursive: true });
});

afterEach(async () => {
  await database.drop();
  await rm(migrationsDir, { recursive: true, force: true });
});

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function addMigration(name: string, sql: string) {
  await mkdir(path.join(migrationsDir, name));
  await writeFile(path.join(migrationsDir, name, 'migration.sql'), sql);
}

describe('applyMigrations', () => {
  it('applies each migration once and records it with the sha256 of its file, as Prisma does', async () => {
    const shipped = await readMigrations();
    expect(shipped.length).toBeGreaterThan(0);

    expect(await applyMigrations(database.url)).toEqual({ applied: shipped.map((migration) => migration.name) });
    expect(await applyMigrations(database.url)).toEqual({ applied: [] });

    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
    );
    const expected = await Promise.all(
      shipped.map(async ({ name }) => ({
        migration_name: name,
        checksum: createHash('sha256')
          .update(await readFile(path.join(MIGRATIONS_DIR, name, 'migration.sql')))
          .digest('hex'),
        applied_steps_count: 1,
      })),
    );
    expect(rows).toMatchObject(expected);
    expect(rows.every((row) => row.finished_at instanceof Date)).toBe(true);
  });

  it('applies only the new migration on a database that has the earlier ones', async () => {
    await applyMigrations(database.url, { dir: migrationsDir });
    await addMigration('29990101000000_add_note', 'ALTER TABLE "constituent" ADD COLUMN "note" TEXT;');

    expect(await applyMigrations(database.url, { dir: migrationsDir })).toEqual({ applied: ['29990101000000_add_note'] });
    const columns = await query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'constituent' AND column_name = 'note'`,
    );
    expect(columns).toHaveLength(1);
  });

  it("gives audit entries written before the constituent column the constituent their detail names", async () => {
    const audit = '20261228090000_audit_by_object';
    await rm(path.join(migrationsDir, audit), { recursive: true });
    await applyMigrations(database.url, { dir: migrationsDir });
    await query(`INSERT INTO "audit_entry" ("id", "actor_kind", "actor_name", "action", "object_type", "object_id", "detail") VALUES
      ('a1', 'system', 'Steward', 'task.completed', 'task', 't1', '{"constituentId": "c1", "title": "Call"}'),
      ('a2', 'system', 'Steward', 'task.claimed', 'task', 't2', '{"constituentId": null}'),
      ('a3', 'system', 'Steward', 'key.created', 'key', 'k1', NULL)`);
    await cp(path.join(MIGRATIONS_DIR, audit), path.join(migrationsDir, audit), { recursive: true });

    expect(await applyMigrations(database.url, { dir: migrationsDir })).toEqual({ applied: [audit] });
    expect(await query('SELECT "id", "constituent_id" FROM "audit_entry" ORDER BY "id"')).toEqual([
      { id: 'a1', constituent_id: 'c1' },
      { id: 'a2', constituent_id: null },
      { id: 'a3', constituent_id: null },
    ]);
  });

  it('leaves nothing behind when a migration fails part-way', async () => {
    await applyMigrations(database.url, { dir: migrationsDir });
    await addMigration('29990101000000_broken', 'CREATE TABLE "half_done" ("id" TEXT);\nSELECT 1 / 0;');

    await expect(applyMigrations(database.url, { dir: migrationsDir })).rejects.toThrow(
      /Migration 29990101000000_broken failed: division by zero/,
    );
    expect(await query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`)).toHaveLength(0);
    expect(await query(`SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '29990101000000_broken'`)).toHaveLength(0);
  });

  it('refuses to run when an applied migration was edited afterwards', async () => {
    await applyMigrations(database.url, { dir: migrationsDir });
    const [first] = await readMigrations(migrationsDir);
    await writeFile(path.join(migrationsDir, first!.name, 'migration.sql'), `${first!.sql}\n-- edited\n`);

    const attempt = applyMigrations(database.url, { dir: migrationsDir });
    await expect(attempt).rejects.toBeInstanceOf(MigrationError);
    await expect(attempt).rejects.toThrow(`Migration ${first!.name} was changed after it was applied`);
  });
});
