/**
 * The API's rate-limit counters in PostgreSQL, as a store for @fastify/rate-limit:
 * every API process counts a client's requests in the same row, so N processes
 * allow the limit once rather than N times.
 *
 * On the embedded database there is one Steward process (PGlite serves one), so
 * its counts are the process's own, kept in memory with the same fixed windows:
 * the same limit, without a statement on the one connection ahead of every request.
 */
import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/client.ts';

/** Expired windows are deleted at most this often by each process. */
export const SWEEP_EVERY_MS = 60_000;

export interface RateLimitStoreOptions {
  db: Database;
  /** Where failures to count a request or to delete expired windows are reported. */
  log: Pick<FastifyBaseLogger, 'warn'>;
  /** Least time between two deletions of expired windows by this process. */
  sweepEveryMs?: number;
  /** Where the windows are kept: in the database for every API process (the default), or in this one process. */
  counted?: 'database' | 'process';
}

/** A client's requests in its current window, and the milliseconds until the window ends. */
export interface WindowCount {
  current: number;
  ttl: number;
}

export type RateLimitStore = ReturnType<typeof createRateLimitStore>;

/** Fixed-window counters in `rate_limit_window`, and the store class the plugin instantiates. */
export function createRateLimitStore(options: RateLimitStoreOptions) {
  const { db, log } = options;
  const sweepEveryMs = options.sweepEveryMs ?? SWEEP_EVERY_MS;
  const windows = options.counted === 'process' ? processWindows() : databaseWindows(db);
  let lastSweepAt = Number.NEGATIVE_INFINITY;
  let sweeping: Promise<void> | undefined;

  /** Requests of one client waiting for their count while an earlier count of that client is under way. */
  interface Waiting {
    windowMs: number;
    resolve(count: WindowCount): void;
    reject(error: unknown): void;
  }
  const waiting = new Map<string, Waiting[]>();
  const counting = new Set<string>();

  /**
   * Counts one request. While a count for the same client is under way, the requests
   * that arrive meanwhile wait and are then counted together, in one statement that
   * adds them all; each gets its own place in the window, as if counted alone. So a
   * burst from one key costs the database a statement per round trip, not per request,
   * and the limit is exactly the same.
   */
  function count(key: string, windowMs: number): Promise<WindowCount> {
    return new Promise<WindowCount>((resolve, reject) => {
      const queue = waiting.get(key);
      if (queue) queue.push({ windowMs, resolve, reject });
      else waiting.set(key, [{ windowMs, resolve, reject }]);
      if (!counting.has(key)) void countWaiting(key);
    });
  }

  async function countWaiting(key: string): Promise<void> {
    counting.add(key);
    try {
      for (let group = waiting.get(key); group?.length; group = waiting.get(key)) {
        waiting.delete(key);
        try {
          const { hits, ttl } = await add(key, group.length, group[0]!.windowMs);
          // The statement added them all; the first of the group holds the lowest place.
          group.forEach((request, index) => request.resolve({ current: hits - group.length + index + 1, ttl }));
        } catch (error) {
          for (const request of group) request.reject(error);
        }
      }
    } finally {
      counting.delete(key);
    }
  }

  function add(key: string, n: number, windowMs: number): Promise<{ hits: number; ttl: number }> {
    sweepNowAndThen();
    return windows.add(key, n, windowMs);
  }

  /** Deletes the windows that have ended; returns how many. */
  function removeExpired(): Promise<number> {
    return windows.removeExpired();
  }

  // Fire and forget: a request never waits for the cleanup, and a failed one is
  // only logged, since the rows it leaves are harmless and the next sweep takes them.
  function sweepNowAndThen(): void {
    const now = Date.now();
    if (sweeping || now - lastSweepAt < sweepEveryMs) return;
    lastSweepAt = now;
    sweeping = removeExpired()
      .then(
        () => undefined,
        (error: unknown) => log.warn({ err: error }, 'could not delete expired rate-limit windows'),
      )
      .finally(() => (sweeping = undefined));
  }

  class PostgresRateLimitStore implements FastifyRateLimitStore {
    private readonly namespace: string;

    constructor(settings: FastifyRateLimitOptions, namespace = 'api:') {
      const { continueExceeding, exponentialBackoff } = settings as { continueExceeding?: boolean; exponentialBackoff?: boolean };
      if (continueExceeding || exponentialBackoff) {
        throw new Error('The PostgreSQL rate-limit store counts fixed windows: continueExceeding and exponentialBackoff are not supported');
      }
      this.namespace = namespace;
    }

    incr(key: string, callback: (error: Error | null, result?: WindowCount) => void, timeWindow: number): void {
      count(this.namespace + key, timeWindow).then(
        (result) => callback(null, result),
        (error: Error) => {
          // The plugin's skipOnError decides what the request gets; say here why it was not counted.
          log.warn({ err: error, key }, 'could not count a request against its rate limit');
          callback(error);
        },
      );
    }

    // A route with a limit of its own counts apart from the global one. The plugin
    // passes the merged options with `routeInfo` (its types say otherwise); a limiter
    // made with `app.rateLimit(options)` has no route and counts with the global one.
    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      const route = (routeOptions as { routeInfo?: { method?: unknown; url?: unknown } }).routeInfo;
      const namespace = route?.url ? `${this.namespace}${[route.method].flat().join(',')} ${String(route.url)}:` : this.namespace;
      return new PostgresRateLimitStore(routeOptions as FastifyRateLimitOptions, namespace);
    }
  }

  return {
    /** The class to pass as the plugin's `store`. */
    Store: PostgresRateLimitStore as FastifyRateLimitStoreCtor,
    count,
    removeExpired,
    /** Waits for a deletion in progress, so a closing app leaves no query running. */
    async settled(): Promise<void> {
      await sweeping;
    },
  };
}

/** Fixed windows of requests per client: `add` counts `n` more and says how many the window holds, and how long it has left. */
interface Windows {
  add(key: string, n: number, windowMs: number): Promise<{ hits: number; ttl: number }>;
  removeExpired(): Promise<number>;
}

/** Windows in `rate_limit_window`, shared by every process on the database. */
function databaseWindows(db: Database): Windows {
  return {
    /**
     * Adds `n` requests to a client's window in one statement, so concurrent counts from
     * any process serialise on the row. Every time is the database's (`now()` is fixed for
     * the statement, truncated to the column's milliseconds and taken in UTC as Prisma
     * stores DateTime), so processes whose clocks disagree still share one window.
     */
    async add(key, n, windowMs) {
      const [row] = await db.$queryRaw<{ hits: number; ttl: number }[]>`
        WITH clock AS (SELECT date_trunc('milliseconds', now() AT TIME ZONE 'UTC') AS now)
        INSERT INTO rate_limit_window AS w (key, hits, expires_at)
        SELECT ${key}, ${n}::integer, clock.now + ${windowMs}::double precision * interval '1 millisecond' FROM clock
        ON CONFLICT (key) DO UPDATE
           SET hits = CASE WHEN w.expires_at <= (SELECT now FROM clock) THEN excluded.hits ELSE w.hits + excluded.hits END,
               expires_at = CASE WHEN w.expires_at <= (SELECT now FROM clock) THEN excluded.expires_at ELSE w.expires_at END
        RETURNING hits, (extract(epoch FROM expires_at - (SELECT now FROM clock)) * 1000)::integer AS ttl`;
      if (!row) throw new Error(`Counting a request for ${key} returned no row`);
      return row;
    },
    removeExpired: () => db.$executeRaw`DELETE FROM rate_limit_window WHERE expires_at <= now() AT TIME ZONE 'UTC'`,
  };
}

/** The same windows in this process's memory, for the one process the embedded database serves. */
function processWindows(): Windows {
  const open = new Map<string, { hits: number; expiresAt: number }>();
  return {
    async add(key, n, windowMs) {
      const now = Date.now();
      let window = open.get(key);
      if (!window || window.expiresAt <= now) open.set(key, (window = { hits: 0, expiresAt: now + windowMs }));
      window.hits += n;
      return { hits: window.hits, ttl: window.expiresAt - now };
    },
    async removeExpired() {
      const now = Date.now();
      let removed = 0;
      for (const [key, window] of open) {
        if (window.expiresAt > now) continue;
        open.delete(key);
        removed += 1;
      }
      return removed;
    },
  };
}
