/**
 * Durable timers for a journey's delayed events. XState hands delays back as
 * `xstate.raise` actions carrying a send id; each becomes a Temporal timer in its own
 * cancellation scope so that `xstate.cancel` (leaving the state) can stop it.
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import type { PendingTimer } from './contract.ts';

export class JourneyTimers {
  private readonly armed = new Map<string, { timer: PendingTimer; scope: CancellationScope }>();

  constructor(private readonly onFire: (event: { type: string }) => void) {}

  /** Starts (or restarts) the timer with this send id. */
  arm(timer: PendingTimer): void {
    this.cancel(timer.id);
    const scope = new CancellationScope();
    this.armed.set(timer.id, { timer, scope });
    const delay = Math.max(0, timer.fireAt - Date.now());
    scope
      .run(() => sleep(delay))
      .then(
        () => {
          if (this.armed.get(timer.id)?.scope !== scope) return;
          this.armed.delete(timer.id);
          this.onFire(timer.event);
        },
        (error: unknown) => {
          if (!isCancellation(error)) throw error;
        },
      );
  }

  cancel(id: string): void {
    const entry = this.armed.get(id);
    if (!entry) return;
    this.armed.delete(id);
    entry.scope.cancel();
  }

  /** Timers still to fire, soonest first: shown by the query and carried over continue-as-new. */
  pending(): PendingTimer[] {
    return [...this.armed.values()].map(({ timer }) => timer).sort((a, b) => a.fireAt - b.fireAt);
  }
}
