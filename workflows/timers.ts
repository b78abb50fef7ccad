/**
 * Durable timers for a journey's delayed events. XState hands delays back as
 * `xstate.raise` actions carrying a send id; each becomes a Temporal timer in its own
 * cancellation scope so that `xstate.cancel` (leaving the state) can stop it.
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import type { PendingTimer } from '../src/journeys/interpreter.ts';

export class JourneyTimers {
  private readonly armed = new Map<string, CancellationScope>();

  constructor(private readonly onFire: (timerId: string) => void) {}

  /** Starts (or restarts) the timer with this send id. */
  arm(timer: PendingTimer): void {
    this.cancel(timer.id);
    const scope = new CancellationScope();
    this.armed.set(timer.id, scope);
    const delay = Math.max(0, timer.fireAt - Date.now());
    scope
      .run(() => sleep(delay))
      .then(
        () => {
          if (this.armed.get(timer.id) !== scope) return;
          this.armed.delete(timer.id);
          this.onFire(timer.id);
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
