/**
 * A fresh, migrated database for one test file: a database of its own on the
 * PostgreSQL server named by DATABASE_URL (created here, dropped afterwards), or
 * embedded PGlite in a temporary directory when no server is configured.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createPrismaClient, type Database } from '../../src/db/client.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { applyMigrations } from '../../src/db/migrate.ts';

export interface TestDatabase {
  url: string;
  /** Which kind of server the tests run against, for messages. */
  kind: 'postgresql' | 'pglite';
  prisma: Database;
  drop(): Promise<void>;
}

export async function createEmptyTestDatabase(): Promise<Omit<TestDatabase, 'prisma'>> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const name = `steward_test_${randomBytes(6).toString('hex')}`;
    await adminQuery(serverUrl, `CREATE DATABASE "${name}"`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      kind: 'postgresql',
      drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
    };
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'steward-test-db-'));
  const embedded = await startEmbeddedPostgres({ dataDir });
  return {
    // As Steward itself connects: through the Unix socket.
    url: embedded.localUrl,
    kind: 'pglite',
    async drop() {
      await embedded.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const database = await createEmptyTestDatabase();
  try {
    await applyMigrations(database.url);
  } catch (error) {
    await database.drop();
    throw error;
  }
  // PGlite is one session: queries from several connections at once can receive each
  // other's rows. Steward itself talks to it over one connection; so do the tests.
  const prisma = createPrismaClient(database.url, { maxConnections: database.kind === 'pglite' ? 1 : 10 });
  return {
    ...database,
    prisma,
    async drop() {
      await prisma.$disconnect();
      await database.drop();
    },
  };
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
