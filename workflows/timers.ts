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
