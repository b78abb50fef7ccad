/**
 * Load shapes. Closed loop: N callers, each sending the next request when the
 * last one answers, for a fixed time. Open loop: requests offered at a fixed
 * rate whatever the answers, so queueing shows as latency rather than as a
 * slower sender (outstanding requests are bounded; the excess is counted).
 */
import { pause } from './progress.ts';

/** One operation: resolves with an HTTP-like status (raw baselines answer 200). */
export type Operation = (n: number) => Promise<number>;

export interface LoadResult {
  requests: number;
  ok: number;
  non2xx: number;
  status5xx: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** First error seen, to say why when there are errors. */
  firstError?: string;
}

class Tally {
  latencies: number[] = [];
  ok = 0;
  non2xx = 0;
  status5xx = 0;
  errors = 0;
  firstError: string | undefined;

  async time(op: Operation, n: number, from = performance.now()): Promise<void> {
    try {
      const status = await op(n);
      this.latencies.push(performance.now() - from);
      if (status >= 200 && status < 300) this.ok += 1;
      else {
        this.non2xx += 1;
        if (status >= 500) this.status5xx += 1;
        this.firstError ??= `status ${status}`;
      }
    } catch (error) {
      this.errors += 1;
      this.firstError ??= error instanceof Error ? error.message : String(error);
    }
  }

  result(seconds: number): LoadResult {
    const sorted = this.latencies.sort((a, b) => a - b);
    return {
      requests: this.ok + this.non2xx + this.errors,
      ok: this.ok,
      non2xx: this.non2xx,
      status5xx: this.status5xx,
      errors: this.errors,
      seconds,
      perSecond: this.ok / seconds,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      ...(this.firstError ? { firstError: this.firstError } : {}),
    };
  }
}

/** The p-th quantile (0..1) of ascending values, nearest rank; NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** `concurrency` callers run `op` back to back for `seconds`; the rate counts successes over the whole run. */
export async function closedLoop(op: Operation, concurrency: number, seconds: number): Promise<LoadResult> {
  const tally = new Tally();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) await tally.time(op, next++);
    }),
  );
  return tally.result((performance.now() - started) / 1000);
}

export interface OpenLoopResult extends LoadResult {
  offeredPerSecond: number;
  /** Requests not sent because `maxOutstanding` were already waiting. */
  notSent: number;
}

/**
 * Offers `rate` requests per second for `seconds`, each timed from its scheduled
 * moment (a late sender does not hide queueing), with at most `maxOutstanding` in flight.
 */
export async function openLoop(op: Operation, rate: number, seconds: number, maxOutstanding = 2_000): Promise<OpenLoopResult> {
  const tally = new Tally();
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  let notSent = 0;
  for (let n = 0; n < total; n += 1) {
    const due = started + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await pause(wait);
    if (inFlight.size >= maxOutstanding) {
      notSent += 1;
      continue;
    }
    const request = tally.time(op, n, due).finally(() => inFlight.delete(request));
    inFlight.add(request);
  }
  await Promise.all(inFlight);
  const result = tally.result((performance.now() - started) / 1000);
  return { ...result, offeredPerSecond: rate, notSent };
}
