/**
 * A connection pool that serves the people waiting before the work nobody waits
 * for. On the embedded database every part of Steward shares one connection: the
 * API answering a gift, the routing pump and the worker's activities. A burst of
 * gifts leaves the worker a backlog of enrollments, each a few transactions, and
 * in a first-come queue every `POST /events` waited behind them.
 *
 * Here each query waits in the queue of its priority:
 * - `request`: made while answering a request (see `asInteractive`);
 * - `prompt`: work someone will soon wait for, which requests set off (routing a
 *   stored gift towards its thank-you): a caller waiting for its 202 must not queue
 *   behind a pass routing 200 events, but routing must keep pace with a burst;
 * - `background`: the rest (the worker's reads, records and sends).
 * A free connection goes to the queues in proportion to their weights
 * (`PRIORITY_WEIGHTS`, by stride scheduling): while all three wait, requests get 8
 * connections in 12, routing 3 and the worker 1. So a request waits for at most a
 * checkout or two of lower work, and no level starves: on a giving day that keeps
 * the API busy for hours, gifts are still routed and thanked during it, not after.
 * Each queue keeps its own order; a level alone gets every connection.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';

export const PRIORITIES = ['request', 'prompt', 'background'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Each priority's share of the connections while others wait too. */
const PRIORITY_WEIGHTS: Readonly<Record<Priority, number>> = { request: 8, prompt: 3, background: 1 };

const priority = new AsyncLocalStorage<Priority>();

/** Runs `work`, and everything it starts, at `level`: its queries wait in that level's queue. */
export function atPriority<T>(level: Priority, work: () => T): T {
  return priority.run(level, work);
}

/** Runs `work`, and everything it starts, as work someone is waiting for: its queries go first. */
export function asInteractive<T>(work: () => T): T {
  return atPriority('request', work);
}

/** The priority of the code running now: `background` outside any. */
export function currentPriority(): Priority {
  return priority.getStore() ?? 'background';
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
  readonly #waiting: Record<Priority, Waiter[]> = { request: [], prompt: [], background: [] };
  /** Stride scheduling: each level's virtual time, advanced by 1 / weight per connection it gets. */
  readonly #pass: Record<Priority, number> = { request: 0, prompt: 0, background: 0 };
  /** The virtual time of the last hand-off: a level that starts waiting begins there, with no credit saved up. */
  #now = 0;

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
    for (const waiter of PRIORITIES.flatMap((level) => this.#waiting[level].splice(0))) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('Cannot use a pool after calling end on the pool'));
    }
    return callback ? super.end(callback) : super.end();
  }

  /** Connections waited for, by priority: for tests and diagnostics. */
  get waiting(): Record<Priority, number> {
    return { request: this.#waiting.request.length, prompt: this.#waiting.prompt.length, background: this.#waiting.background.length };
  }

  #acquire(): Promise<pg.PoolClient> {
    if (this.ending || this.#checkedOut < (this.options.max ?? 10)) {
      this.#checkedOut += 1;
      return this.#checkout();
    }
    return new Promise<pg.PoolClient>((resolve, reject) => {
      const level = currentPriority();
      const queue = this.#waiting[level];
      if (queue.length === 0) this.#pass[level] = Math.max(this.#pass[level], this.#now);
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

  /** A checkout ended: the first waiter of the level whose turn it is gets the slot. */
  #handOn(): void {
    this.#checkedOut -= 1;
    const next = this.#nextWaiter();
    if (!next) return;
    clearTimeout(next.timer);
    this.#checkedOut += 1;
    this.#checkout().then(next.resolve, next.reject);
  }

  /** The waiting level with the earliest virtual time (on a tie, the higher priority) is served. */
  #nextWaiter(): Waiter | undefined {
    let turn: Priority | undefined;
    for (const level of PRIORITIES) {
      if (this.#waiting[level].length > 0 && (turn === undefined || this.#pass[level] < this.#pass[turn])) turn = level;
    }
    if (!turn) return undefined;
    this.#now = this.#pass[turn];
    this.#pass[turn] += 1 / PRIORITY_WEIGHTS[turn];
    return this.#waiting[turn].shift();
  }
}
