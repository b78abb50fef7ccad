/**
 * Durable timers for a journey's delayed events. XState hands delays back as
 * `xstate.raise` actions carrying a send id; each becomes a Temporal timer in its own
 * cancellation scope so that `xstate.cancel` (leaving the state) can stop it.
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import type { PendingTimer } from '../src/journeys/interpreter.ts';

export class JourneyTimers {
  private readonly armed = new Map<string, CancellationScope>();

  /** `due` is true when the timer was due already when armed: it goes before anything queued. */
  constructor(private readonly onFire: (timerId: string, due: boolean) => void) {}

  /** Starts (or restarts) the timer with this send id; one already due fires at once. */
  arm(timer: Pick<PendingTimer, 'id' | 'fireAt'>): void {
    this.cancel(timer.id);
    const delay = timer.fireAt - Date.now();
    if (delay <= 0) {
      // A decision (zero-length timer) or a timer carried over past its time: no need
      // to ask Temporal to wait for nothing.
      this.onFire(timer.id, true);
      return;
    }
    const scope = new CancellationScope();
    this.armed.set(timer.id, scope);
    scope
      .run(() => sleep(delay))
      .then(
        () => {
          if (this.armed.get(timer.id) !== scope) return;
          this.armed.delete(timer.id);
          this.onFire(timer.id, false);
        },
        (error: unknown) => {
          if (!isCancellation(error)) throw error;
        },
      );
  }

  cancel(id: string): void {
    const scope = this.armed.get(id);
    if (!scope) return;
    this.armed.delete(id);
    scope.cancel();
  }
}

/**
 * Since the `simultaneity` patch: Temporal timers only wake the workflow, which then
 * works out from its own table what is due and in which order (due instant, then
 * arming order), so the order never depends on how Temporal batches fired timers
 * with signals. A timer due within `KEEP_NEAR_TIMERS_MS` is never cancelled: it may
 * have fired on the server while this workflow task was with the worker, and the
 * time-skipping test server refuses (and then never retries) a task that cancels
 * such a timer; left alone, it just wakes the workflow to find nothing due.
 */
export class WakeUps {
  private readonly armed = new Map<string, { scope: CancellationScope; fireAt: number }>();

  /** Wakes the workflow at `fireAt` (epoch ms); nothing to wait for when that has come. */
  arm(timer: Pick<PendingTimer, 'id' | 'fireAt'>): void {
    this.cancel(timer.id);
    const delay = timer.fireAt - Date.now();
    if (delay <= 0) return;
    const scope = new CancellationScope();
    this.armed.set(timer.id, { scope, fireAt: timer.fireAt });
    scope
      .run(() => sleep(delay))
      .then(
        () => {
          if (this.armed.get(timer.id)?.scope === scope) this.armed.delete(timer.id);
        },
        (error: unknown) => {
          if (!isCancellation(error)) throw error;
        },
      );
  }

  /** Stops waking for `id`; a timer due soon is left to fire unheeded rather than cancelled. */
  cancel(id: string): void {
    const armed = this.armed.get(id);
    if (!armed) return;
    this.armed.delete(id);
    if (armed.fireAt - Date.now() > KEEP_NEAR_TIMERS_MS) armed.scope.cancel();
  }
}

/** Longer than any workflow task takes, so a timer due sooner may have fired while the task ran. */
export const KEEP_NEAR_TIMERS_MS = 10 * 60_000;
