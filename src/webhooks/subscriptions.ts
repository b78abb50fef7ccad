/**
 * Which event types some enabled endpoint subscribes to, cached per process so the
 * outbox costs nothing on a hot path (a message sent on giving day) when nobody
 * listens. Changing an endpoint here drops the cache at once; another process sees
 * the change within SUBSCRIPTIONS_TTL_MS.
 */
import type { Database, Prisma } from '../db/client.ts';
import type { WebhookEventType } from './event-types.ts';

export const SUBSCRIPTIONS_TTL_MS = 5_000;

type Reader = Database | Prisma.TransactionClient;

let cached: { types: ReadonlySet<string>; until: number } | undefined;
/** Bumped by every change, so a read that began before a change is not kept after it. */
let generation = 0;

/** Whether any enabled endpoint wants this event type. */
export async function isSubscribed(db: Reader, type: WebhookEventType): Promise<boolean> {
  return (await subscribedTypes(db)).has(type);
}

async function subscribedTypes(db: Reader): Promise<ReadonlySet<string>> {
  if (cached && cached.until > Date.now()) return cached.types;
  // Each caller reads on its own reader: a caller inside a transaction must never wait
  // for a read that needs another connection (the embedded database has only one).
  const began = generation;
  const types = await readSubscribedTypes(db);
  if (began === generation) cached = { types, until: Date.now() + SUBSCRIPTIONS_TTL_MS };
  return types;
}

async function readSubscribedTypes(db: Reader): Promise<ReadonlySet<string>> {
  const rows = await db.$queryRaw<{ type: string }[]>`
    SELECT DISTINCT unnest("event_types") AS "type" FROM "webhook_endpoint" WHERE "enabled"`;
  return new Set(rows.map((row) => row.type));
}

/** Forgets the cached set: called whenever an endpoint is made, changed, turned off or deleted. */
export function subscriptionsChanged(): void {
  generation += 1;
  cached = undefined;
}
