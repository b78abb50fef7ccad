/**
 * API keys: the admin key `npm start` makes on a first start (one per database, kept
 * only where it was written), and the keys a process remembers for a few seconds, so
 * a burst with one key costs one lookup: revoking here is seen at once, a revocation
 * by another process within KEY_CACHE_TTL_MS, and an unknown key is never remembered.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApiKeyStore, ensureFirstAdminKey, hashApiKey, KEY_CACHE_TTL_MS, type ApiKeyStore } from '../../src/auth/api-keys.ts';
import type { Database } from '../../src/db/client.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let db: Database;
let keys: ApiKeyStore;
const dirs: string[] = [];

const dataDir = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'steward-key-'));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.prisma;
  keys = createApiKeyStore(db);
});
beforeEach(async () => {
  await db.apiKey.deleteMany();
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  await database?.drop();
});

describe('the first admin key', () => {
  it('is made once when several API processes start together', async () => {
    const starts = await Promise.all(Array.from({ length: 6 }, async () => ensureFirstAdminKey(keys, await dataDir())));
    expect(starts.filter((start) => start?.created)).toHaveLength(1);
    expect(await db.apiKey.count()).toBe(1);
    const made = starts.find((start) => start?.created)!;
    expect((await stat(made.file)).mode & 0o777).toBe(0o600);
    const key = (await readFile(made.file, 'utf8')).trim();
    expect(await keys.authenticate(key)).toMatchObject({ kind: 'key', grants: ['admin'] });
    // The others found a key already there and, with no file of their own, report none.
    expect(starts.filter((start) => start === undefined)).toHaveLength(5);
  });

  it('leaves keys alone on later starts, and makes a new one once every key is revoked', async () => {
    const dir = await dataDir();
    const first = await ensureFirstAdminKey(keys, dir);
    const key = (await readFile(first!.file, 'utf8')).trim();
    expect(await ensureFirstAdminKey(keys, dir)).toEqual({ file: first!.file, created: false });
    expect((await readFile(first!.file, 'utf8')).trim()).toBe(key);

    const [row] = await keys.list();
    await keys.revoke(row!.id);
    expect(await ensureFirstAdminKey(keys, dir)).toEqual({ file: first!.file, created: true });
    const replacement = (await readFile(first!.file, 'utf8')).trim();
    expect(replacement).not.toBe(key);
    expect(await keys.authenticate(replacement)).toMatchObject({ kind: 'key', grants: ['admin'] });
  });

  it('stores no key when it cannot be written down, and tightens a stale file it replaces', async () => {
    await expect(ensureFirstAdminKey(keys, path.join(await dataDir(), 'missing', 'dir'))).rejects.toThrow(/ENOENT/);
    expect(await db.apiKey.count()).toBe(0);

    const dir = await dataDir();
    await writeFile(path.join(dir, 'api-key'), 'stw_from-an-older-database\n', { mode: 0o644 });
    const made = await ensureFirstAdminKey(keys, dir);
    expect(made?.created).toBe(true);
    expect((await stat(made!.file)).mode & 0o777).toBe(0o600);
  });
});

/** What another process does when it revokes a key: the row changes, this process is not told. */
const revokeElsewhere = (id: string) => db.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });

describe('the API key cache', () => {
  it('keeps accepting a key revoked by another process only until the cache time has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { key, apiKey } = await keys.create({ name: 'Donation form', scopes: ['ingest'] });
    expect(await keys.authenticate(key)).toMatchObject({ kind: 'key', id: apiKey.id, grants: ['ingest'] });

    await revokeElsewhere(apiKey.id);
    // Remembered: this is what saves a lookup per request.
    expect(await keys.authenticate(key)).toMatchObject({ id: apiKey.id });

    vi.setSystemTime(Date.now() + KEY_CACHE_TTL_MS + 1);
    expect(await keys.authenticate(key)).toBeUndefined();
  });

  it('stops accepting a key revoked in this process at once', async () => {
    const { key, apiKey } = await keys.create({ name: 'Donation form', scopes: ['ingest'] });
    expect(await keys.authenticate(key)).toBeDefined();
    await keys.revoke(apiKey.id);
    expect(await keys.authenticate(key)).toBeUndefined();
    // Another store on the same database (another part of this process) sees it too.
    expect(await createApiKeyStore(db).authenticate(key)).toBeUndefined();
  });

  it('never remembers a key it did not find', async () => {
    const key = 'stw_not-yet-stored-000000000000000000';
    expect(await keys.authenticate(key)).toBeUndefined();
    await db.apiKey.create({ data: { name: 'Stored later', scopes: ['read'], prefix: key.slice(0, 10), hash: hashApiKey(key) } });
    expect(await keys.authenticate(key)).toMatchObject({ name: 'Stored later' });
  });

  it('notes a key’s use at most once a minute, whether or not it was remembered', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { key, apiKey } = await keys.create({ name: 'Donation form', scopes: ['ingest'] });
    const lastUsed = async () => (await db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } })).lastUsedAt?.getTime();

    await keys.authenticate(key);
    const first = await lastUsed();
    expect(first).toBe(Date.now());

    vi.setSystemTime(Date.now() + 1_000);
    await keys.authenticate(key);
    expect(await lastUsed()).toBe(first);

    vi.setSystemTime(Date.now() + 60_000);
    await keys.authenticate(key);
    expect(await lastUsed()).toBe(Date.now());
  });
});
