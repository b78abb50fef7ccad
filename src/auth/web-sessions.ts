/**
 * Web app sign-ins. Signing in (a person with their password or identity provider,
 * or an API key) starts a session: the browser's cookie carries a random session id
 * and never a secret, and only the id's sha256 is stored, with who signed in. A
 * session ends when its owner signs out, when an admin revokes it, its key or its
 * person, after a spell unused (idle) and at a fixed end (absolute), whichever comes first.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database, WebSession } from '../db/client.ts';
import type { ApiKeyStore } from './api-keys.ts';
import { recordAudit, SYSTEM_ACTOR, type AuditActor } from './audit.ts';
import type { PeopleStore } from './people.ts';
import type { Principal } from './permissions.ts';

export interface SessionLifetimes {
  /** A session unused this long has ended. */
  idleMs: number;
  /** No session lasts longer than this from sign-in, however busy. */
  absoluteMs: number;
}

const HOUR_MS = 3_600_000;
export const DEFAULT_SESSION_LIFETIMES: SessionLifetimes = { idleMs: 2 * HOUR_MS, absoluteMs: 12 * HOUR_MS };

const TOKEN_PREFIX = 'sws_';
/** `last_seen_at` is written at most this often per session, so page views do not all become writes. */
const LAST_SEEN_RESOLUTION_MS = 60_000;
/** Ended sessions stay listed this long, then go when someone next signs in. */
const KEEP_ENDED_MS = 7 * 24 * HOUR_MS;

/** A session as admins see it: never its id in clear, which only the browser holds. */
export interface WebSessionView {
  id: string;
  /** Who signed in: a person or an API key. */
  holder: { kind: 'person' | 'key'; id: string; name: string };
  createdAt: Date;
  lastSeenAt: Date;
  /** When it ends if nothing ends it sooner: idle from its last use, or its absolute end. */
  endsAt: Date;
  revokedAt: Date | null;
}

type SessionRow = WebSession & { apiKey: { name: string } | null; person: { name: string } | null };
/** Who a session is for: a key that proved itself, or a person who signed in. */
export type SessionHolder = { keyId: string } | { personId: string };

export type WebSessionStore = ReturnType<typeof createWebSessionStore>;

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export function createWebSessionStore(db: Database, holders: { keys: ApiKeyStore; people: PeopleStore }, lifetimes: SessionLifetimes = DEFAULT_SESSION_LIFETIMES) {
  const endsAt = (row: WebSession) => new Date(Math.min(row.expiresAt.getTime(), row.lastSeenAt.getTime() + lifetimes.idleMs));
  const live = (row: WebSession, now: number) => !row.revokedAt && endsAt(row).getTime() > now;
  const view = (row: SessionRow): WebSessionView => ({
    id: row.id,
    holder: row.personId ? { kind: 'person', id: row.personId, name: row.person?.name ?? '' } : { kind: 'key', id: row.apiKeyId ?? '', name: row.apiKey?.name ?? '' },
    createdAt: row.createdAt,
    lastSeenAt: row.lastSeenAt,
    endsAt: endsAt(row),
    revokedAt: row.revokedAt,
  });
  const withKeyName = { apiKey: { select: { name: true } }, person: { select: { name: true } } } as const;

  return {
    lifetimes,

    /** Starts a session for a key or person that has just proved itself; the token is for the cookie alone. */
    async start(holder: SessionHolder): Promise<{ token: string; session: WebSessionView }> {
      const now = Date.now();
      await db.webSession.deleteMany({ where: { expiresAt: { lt: new Date(now - KEEP_ENDED_MS) } } });
      const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      const row = await db.webSession.create({
        data: { hash: hashToken(token), ...('keyId' in holder ? { apiKeyId: holder.keyId } : { personId: holder.personId }), createdAt: new Date(now), lastSeenAt: new Date(now), expiresAt: new Date(now + lifetimes.absoluteMs) },
        include: withKeyName,
      });
      return { token, session: view(row) };
    },

    /** Who a cookie's session stands for, noting its use; undefined once it has ended, or its key or person is gone. */
    async authenticate(token: string): Promise<Principal | undefined> {
      if (!token.startsWith(TOKEN_PREFIX)) return undefined;
      const row = await db.webSession.findUnique({ where: { hash: hashToken(token) }, include: { apiKey: true } });
      const now = Date.now();
      if (!row || !live(row, now)) return undefined;
      const principal = row.apiKey ? await holders.keys.principalOf(row.apiKey) : row.personId ? await holders.people.principalOf(row.personId) : undefined;
      if (principal && now - row.lastSeenAt.getTime() > LAST_SEEN_RESOLUTION_MS) {
        await db.webSession.update({ where: { id: row.id }, data: { lastSeenAt: new Date(now) } });
      }
      return principal;
    },

    /** Signing out: the cookie's session ends, whatever state it was in. */
    async end(token: string): Promise<void> {
      await db.webSession.updateMany({ where: { hash: hashToken(token), revokedAt: null }, data: { revokedAt: new Date() } });
    },

    /** Sessions that have not ended, most recently used first. */
    async listLive(): Promise<WebSessionView[]> {
      const now = Date.now();
      const rows = await db.webSession.findMany({
        where: {
          revokedAt: null,
          expiresAt: { gt: new Date(now) },
          lastSeenAt: { gt: new Date(now - lifetimes.idleMs) },
          OR: [{ apiKey: { revokedAt: null } }, { person: { removedAt: null } }],
        },
        orderBy: { lastSeenAt: 'desc' },
        include: withKeyName,
      });
      return rows.map(view);
    },

    /** Ends a session at once; revoking one already revoked keeps the first time. Undefined when there is no such session. */
    async revoke(id: string, actor: AuditActor = SYSTEM_ACTOR): Promise<WebSessionView | undefined> {
      await db.$transaction(async (tx) => {
        const { count } = await tx.webSession.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
        if (count > 0) await recordAudit(tx, actor, { action: 'session.revoked', objectType: 'session', objectId: id });
      });
      const row = await db.webSession.findUnique({ where: { id }, include: withKeyName });
      return row ? view(row) : undefined;
    },
  };
}
