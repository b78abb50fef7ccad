/**
 * How many sends a provider may have in flight, and how fast they may start: a
 * burst waits its turn here, before its message is claimed, so the wait counts
 * against no lease and no provider timeout, and a cancelled activity leaves the
 * queue without sending. One gate per provider per process.
 */
export interface SendLimits {
  /** Sends in flight at once (for SMTP: the pool's connections). */
  concurrency: number;
  /** Sends started per second; null: as fast as the concurrency allows. */
  perSecond: number | null;
}

export interface SendGate {
  readonly limits: SendLimits;
  /** Waits for a turn; the returned function gives it back. Rejects with the signal's reason if aborted while waiting. */
  acquire(signal?: AbortSignal): Promise<() => void>;
}

export function createSendGate(limits: SendLimits): SendGate {
  const spacingMs = limits.perSecond ? 1_000 / limits.perSecond : 0;
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  // When the last turn was allowed to start: turns start at least spacingMs apart.
  let lastStart = Number.NEGATIVE_INFINITY;

  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else inFlight--;
  };

  const slot = (signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (inFlight < limits.concurrency) {
        inFlight++;
        resolve();
        return;
      }
      // The slot passes straight from the releasing send to this one: inFlight stays.
      const take = () => {
        signal?.removeEventListener('abort', abandon);
        resolve();
      };
      const abandon = () => {
        const index = waiting.indexOf(take);
        if (index !== -1) waiting.splice(index, 1);
        reject(signal!.reason);
      };
      waiting.push(take);
      signal?.addEventListener('abort', abandon, { once: true });
    });

  const pace = (signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const startAt = Math.max(Date.now(), lastStart + spacingMs);
      lastStart = startAt;
      const delay = startAt - Date.now();
      if (delay <= 0) return resolve();
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', abandon);
        resolve();
      }, delay);
      const abandon = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', abandon, { once: true });
    });

  return {
    limits,
    async acquire(signal) {
      signal?.throwIfAborted();
      await slot(signal);
      try {
        if (spacingMs > 0) await pace(signal);
      } catch (error) {
        release();
        throw error;
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        release();
      };
    },
  };
}

/** No limits: for transports made in tests and scripts that set none. */
export const ungated: SendLimits = { concurrency: Number.POSITIVE_INFINITY, perSecond: null };
