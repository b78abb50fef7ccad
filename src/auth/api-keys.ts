/**
 * API keys: who may call Steward, and for what. A key is shown once, when it is
 * made; only its sha256 is stored (keys are 192 random bits, so a fast hash is
 * as safe as a slow one and keeps every request's check to one indexed lookup).
 * A process remembers the keys it has looked up for a few seconds (see
 * KEY_CACHE_TTL_MS), so a giving-day burst from one donation form costs the
 * database its events, not a key lookup per event.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { ApiKey, Database } from '../db/client.ts';
import { recordAudit, SYSTEM_ACTOR, type AuditActor } from './audit.ts';
import { grantOfScope, type Principal } from './permissions.ts';

/**
 * What a key may do. `ingest`: send events and constituents in. `read`: look at
 * everything (the viewer role). `staff`: work the task inbox (the staff role).
 * `admin`: everything (the admin role). See `grantOfScope` and the permission table.
 */
export const apiScopes = ['ingest', 'read', 'staff', 'admin'] as const;
export const ApiScope = z.enum(apiScopes);
export type ApiScope = z.infer<typeof ApiScope>;

const KEY_PREFIX = 'stw_';
/** Shown in lists so people can tell keys apart; too short to help a guesser. */
const DISPLAY_PREFIX_LENGTH = KEY_PREFIX.length + 6;
/** `last_used_at` is written at most this often per key, so reads do not become writes. */
const LAST_USED_RESOLUTION_MS = 60_000;
/**
 * How long a process trusts a key it has found. Revoking a key here forgets it at
 * once; another API process stops accepting it within this time.
 */
export const KEY_CACHE_TTL_MS = 5_000;
/** Most keys one process remembers; past it, the oldest is forgotten first. */
const KEY_CACHE_SIZE = 1_000;

/**
 * Keys found, by hash, per database. Only keys that exist and are not revoked are
 * remembered: an unknown key is looked up every time (and rate-limited by address).
 */
interface KeyCache {
  entries: Map<string, { row: ApiKey; until: number }>;
  /** Bumped by every revocation, so a lookup that began before one is not kept after it. */
  generation: number;
}
const keyCaches = new WeakMap<Database, KeyCache>();

function keyCacheOf(db: Database): KeyCache {
  let cache = keyCaches.get(db);
  if (!cache) keyCaches.set(db, (cache = { entries: new Map(), generation: 0 }));
  return cache;
}

function remember(cache: KeyCache, hash: string, row: ApiKey): void {
  cache.entries.delete(hash);
  cache.entries.set(hash, { row, until: Date.now() + KEY_CACHE_TTL_MS });
  if (cache.entries.size > KEY_CACHE_SIZE) cache.entries.delete(cache.entries.keys().next().value!);
}


export type ApiKeyView = Pick<ApiKey, 'id' | 'name' | 'prefix' | 'createdAt' | 'lastUsedAt' | 'revokedAt'> & { scopes: ApiScope[] };


export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export type ApiKeyStore = ReturnType<typeof createApiKeyStore>;

const newKey = () => `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;

const keyRow = (key: string, input: { name: string; scopes: ApiScope[] }) => ({
  name: input.name,
  scopes: [...new Set(input.scopes)],
  prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
  hash: hashApiKey(key),
});

export function createApiKeyStore(db: Database) {
  const view = (row: ApiKey): ApiKeyView => ({
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes.filter((scope): scope is ApiScope => ApiScope.safeParse(scope).success),
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  });

  const cache = keyCacheOf(db);

  /** Notes a key's use (at most once a minute); returns the row as it now stands. */
  async function noteUse(row: ApiKey): Promise<ApiKey> {
    const now = Date.now();
    if (row.lastUsedAt && now - row.lastUsedAt.getTime() <= LAST_USED_RESOLUTION_MS) return row;
    const lastUsedAt = new Date(now);
    await db.apiKey.update({ where: { id: row.id }, data: { lastUsedAt } });
    return { ...row, lastUsedAt };
  }

  const principalFor = (row: ApiKey): Principal => ({ kind: 'key', id: row.id, name: row.name, grants: view(row).scopes.map((scope) => grantOfScope[scope]) });

  /** The principal a stored key stands for, noting its use; undefined when it is revoked. */
  async function principalOf(row: ApiKey): Promise<Principal | undefined> {
    if (row.revokedAt) return undefined;
    return principalFor(await noteUse(row));
  }

  /** The key with this hash, from this process's memory when it looked it up moments ago. */
  async function findUsable(hash: string): Promise<ApiKey | undefined> {
    const known = cache.entries.get(hash);
    if (known && known.until > Date.now()) return known.row;
    const began = cache.generation;
    const row = await db.apiKey.findUnique({ where: { hash } });
    if (!row || row.revokedAt) {
      cache.entries.delete(hash);
      return undefined;
    }
    if (began === cache.generation) remember(cache, hash, row);
    return row;
  }

  return {
    principalOf,

    /** Makes a key; the returned `key` is the only time it exists in clear. */
    async create(input: { name: string; scopes: ApiScope[] }, actor: AuditActor = SYSTEM_ACTOR): Promise<{ key: string; apiKey: ApiKeyView }> {
      const key = newKey();
      const row = await db.$transaction(async (tx) => {
        const created = await tx.apiKey.create({ data: keyRow(key, input) });
        await recordAudit(tx, actor, { action: 'key.created', objectType: 'key', objectId: created.id, detail: { name: created.name, scopes: created.scopes } });
        return created;
      });
      return { key, apiKey: view(row) };
    },

    /**
     * Makes an admin key only when no usable key exists, and hands it to `keep`
     * before the key is committed: API processes starting together make one key
     * between them (the advisory lock), and a key whose keeping failed is never stored.
     */
    async createFirstAdmin(name: string, keep: (key: string) => Promise<void>): Promise<boolean> {
      return db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended('steward:first-admin-key', 0))`;
        if ((await tx.apiKey.count({ where: { revokedAt: null } })) > 0) return false;
        const key = newKey();
        const created = await tx.apiKey.create({ data: keyRow(key, { name, scopes: ['admin'] }) });
        await recordAudit(tx, SYSTEM_ACTOR, { action: 'key.created', objectType: 'key', objectId: created.id, detail: { name, scopes: ['admin'] } });
        await keep(key);
        return true;
      });
    },

    /** The principal a presented key stands for, or undefined when it is unknown or revoked. */
    async authenticate(key: string): Promise<Principal | undefined> {
      if (!key.startsWith(KEY_PREFIX)) return undefined;
      const hash = hashApiKey(key);
      const row = await findUsable(hash);
      if (!row) return undefined;
      const used = await noteUse(row);
      // Keep the noted use (not extending the trust), so the next request does not write it again.
      const known = cache.entries.get(hash);
      if (used !== row && known?.row === row) known.row = used;
      return principalFor(used);
    },

    async list(): Promise<ApiKeyView[]> {
      return (await db.apiKey.findMany({ orderBy: { createdAt: 'asc' } })).map(view);
    },

    /**
     * Revokes a key and ends the web sessions it signed in; revoking one already revoked
     * keeps the first time. Undefined when there is no such key.
     */
    async revoke(id: string, actor: AuditActor = SYSTEM_ACTOR): Promise<ApiKeyView | undefined> {
      const row = await db.apiKey.findUnique({ where: { id } });
      if (!row) return undefined;
      if (row.revokedAt) return view(row);
      const revokedAt = new Date();
      const revoked = await db.$transaction(async (tx) => {
        const updated = await tx.apiKey.update({ where: { id }, data: { revokedAt } });
        await tx.webSession.updateMany({ where: { apiKeyId: id, revokedAt: null }, data: { revokedAt } });
        await recordAudit(tx, actor, { action: 'key.revoked', objectType: 'key', objectId: id, detail: { name: row.name } });
        return updated;
      });
      // Once it is committed: a lookup under way may have read the key before, and is not kept (its generation is older).
      forgetKeys(cache);
      return view(revoked);
    },
  };
}

function forgetKeys(cache: KeyCache): void {
  cache.generation += 1;
  cache.entries.clear();
}

/** Where `npm start` leaves the first admin key, readable by its owner only. */
export const apiKeyFile = (dataDir: string) => path.join(dataDir, 'api-key');

/**
 * On a first start (no key that is not revoked), makes an admin key and writes it
 * to `<data dir>/api-key`. Later starts leave keys alone. Returns the file when it holds a key.
 */
export async function ensureFirstAdminKey(store: ApiKeyStore, dataDir: string): Promise<{ file: string; created: boolean } | undefined> {
  const file = apiKeyFile(dataDir);
  const created = await store.createFirstAdmin('First admin (created on first start)', async (key) => {
    // Made afresh, so it is the owner's alone even if a stale file was left with looser permissions.
    await rm(file, { force: true });
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  });
  if (created) return { file, created };
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  return existing?.trim() ? { file, created: false } : undefined;
}

/** The key the `steward` command uses: STEWARD_API_KEY, else the first admin key in the data directory. */
export async function localApiKey(dataDir: string, fromEnvironment?: string): Promise<string | undefined> {
  if (fromEnvironment) return fromEnvironment;
  const stored = await readFile(apiKeyFile(dataDir), 'utf8').catch(() => undefined);
  return stored?.trim() || undefined;
}
