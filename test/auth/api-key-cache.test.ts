/**
 * A process remembers the keys it has found for a few seconds, so a burst of
 * requests with one key costs one lookup. Revoking here is seen at once; a
 * revocation by another process within KEY_CACHE_TTL_MS; an unknown key is never remembered.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApiKeyStore, hashApiKey, KEY_CACHE_TTL_MS, type ApiKeyStore } from '../../src/auth/api-keys.ts';
import type { Database } from '../../src/db/client.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let db: Database;
let keys: ApiKeyStore;

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
  await database?.drop();
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
