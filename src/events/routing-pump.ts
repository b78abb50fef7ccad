/**
 * Routing after the response: intake stores an event and answers; this pump routes
 * what is stored, in batches, as soon as it is told something arrived (`kick`) and,
 * as a safety net, every few seconds (events stored by other processes, or left
 * waiting while Temporal or the database did not answer). Routing is idempotent,
 * so two processes pumping the same table only repeat work, never effects.
 *
 * Its passes query at `prompt` priority (see `db/priority-pool.ts`), whoever kicked
 * them: after the requests waiting for their answers, before the worker's backlog.
 */
import { unavailablePart } from '../api/unavailable.ts';
import { atPriority } from '../db/priority-pool.ts';
import { RoutingDeferredError, type EventRouter } from './router.ts';

export interface RoutingPumpOptions {
  router: Pick<EventRouter, 'routePending'>;
  /** Events read per pass. */
  batchSize?: number;
  /** How the pump says that routing waits, naming the part that did not answer. */
  log?: (line: string) => void;
}

export type RoutingPump = ReturnType<typeof createRoutingPump>;

export function createRoutingPump(options: RoutingPumpOptions) {
  const { router } = options;
  const batchSize = options.batchSize ?? 200;
  const log = options.log ?? (() => {});
  let draining: Promise<void> | undefined;
  let kicked = false;
  let stopped = false;
  let interval: NodeJS.Timeout | undefined;

  /** Routes until nothing is pending or a pass fails; a kick during a drain runs one more pass. */
  async function drain(): Promise<void> {
    for (let pass = 0; !stopped; pass += 1) {
      kicked = false;
      let routed: number;
      try {
        routed = await router.routePending(batchSize);
      } catch (error) {
        const cause = error instanceof RoutingDeferredError ? error.cause : error;
        const part = unavailablePart(cause);
        log(`routing waits${part ? ` for ${part === 'database' ? 'the database' : 'Temporal'}` : ''}: ${describe(error)}`);
        return;
      }
      if (routed < batchSize && !kicked) return;
    }
  }

  function kick(): void {
    kicked = true;
    if (draining || stopped) return;
    draining = atPriority('prompt', drain).finally(() => (draining = undefined));
  }

  return {
    /** Something was stored: route it soon. */
    kick,
    /** Also look every `intervalMs` for events nobody kicked about. */
    start(intervalMs = 5_000): void {
      interval ??= setInterval(kick, intervalMs);
      interval.unref();
    },
    /** Resolves once nothing is being routed right now (or, once stopped, when the pass under way ends). */
    async idle(): Promise<void> {
      while (draining && !stopped) await draining;
      await draining;
    },
    async stop(): Promise<void> {
      stopped = true;
      if (interval) clearInterval(interval);
      await draining;
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
