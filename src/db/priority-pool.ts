/**
 * A connection pool that serves the people waiting before the work nobody waits
 * for. On the embedded database every part of Steward shares one connection: the
 * API answering a gift, the routing pump and the worker's activities. A burst of
 * gifts leaves the worker a backlog of enrollments, each a few transactions, and
 * in a first-come queue every `POST /events` waited behind them. Here a query
 * made while answering a request (see `asInteractive`) takes the next free
 * connection ahead of background work already waiting; background work keeps its
 * order among itself and runs whenever no request is waiting, so the backlog
 * still drains, after the burst instead of during it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';

const interactive = new AsyncLocalStorage<true>();

/** Runs `work`, and everything it starts, as work someone is waiting for: its queries go first. */
export function asInteractive<T>(work: () => T): T {
  return interactive.run(true, work);
}

/** Whether the code running now works for someone waiting (an API request). */
export function isInteractive(): boolean {
  return interactive.getStore() === true;
}

type ConnectCallback = (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

interface Waiter {
  resolve(client: pg.PoolClient): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
}

/** pg-pool's own words for a wait past `connectionTimeoutMillis`, which Steward already maps to 503. */
const TIMEOUT_MESSAGE = 'timeout exceeded when trying to connect';

export class PriorityPool extends pg.Pool {
  #checkedOut = 0;
  readonly #waiting = { interactive: [] as Waiter[], background: [] as Waiter[] };

  /** Every checkout (pool.query's included) passes here: the pool below never has to queue. */
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    const checkout = this.#acquire();
    if (!callback) return checkout;
    checkout.then(
      (client) => callback(undefined, client, (release) => client.release(release as Error | undefined)),
      (error: Error) => callback(error, undefined, () => {}),
    );
  }

  /** Ending the pool refuses those still waiting, as pg-pool does its own queue. */
  override end(): Promise<void>;
  override end(callback: () => void): void;
  override end(callback?: () => void): Promise<void> | void {
    for (const waiter of [...this.#waiting.interactive.splice(0), ...this.#waiting.background.splice(0)]) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('Cannot use a pool after calling end on the pool'));
    }
    return callback ? super.end(callback) : super.end();
  }

  /** Connections waited for, by kind: for tests and diagnostics. */
  get waiting(): { interactive: number; background: number } {
    return { interactive: this.#waiting.interactive.length, background: this.#waiting.background.length };
  }

  #acquire(): Promise<pg.PoolClient> {
    if (this.ending || this.#checkedOut < (this.options.max ?? 10)) {
      this.#checkedOut += 1;
      return this.#checkout();
    }
    return new Promise<pg.PoolClient>((resolve, reject) => {
      const queue = isInteractive() ? this.#waiting.interactive : this.#waiting.background;
      const waiter: Waiter = { resolve, reject };
      const timeoutMs = this.options.connectionTimeoutMillis;
      if (timeoutMs) {
        waiter.timer = setTimeout(() => {
          queue.splice(queue.indexOf(waiter), 1);
          reject(new Error(TIMEOUT_MESSAGE));
        }, timeoutMs);
        waiter.timer.unref();
      }
      queue.push(waiter);
    });
  }

  /** Checks a connection out of the pool below; its release (once) hands the slot on. */
  async #checkout(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await super.connect();
    } catch (error) {
      this.#handOn();
      throw error;
    }
    const release = client.release;
    client.release = (error?: Error | boolean) => {
      // Restored first, so a second release fails as pg-pool's own does.
      client.release = release;
      try {
        release.call(client, error);
      } finally {
        this.#handOn();
      }
    };
    return client;
  }

  /** A checkout ended: the next waiter (people first) gets the slot. */
  #handOn(): void {
    this.#checkedOut -= 1;
    const next = this.#waiting.interactive.shift() ?? this.#waiting.background.shift();
    if (!next) return;
    clearTimeout(next.timer);
    this.#checkedOut += 1;
    this.#checkout().then(next.resolve, next.reject);
  }
}
