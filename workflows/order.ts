/**
 * What an enrollment takes next, by the README's rule for things at the same
 * instant (`src/journeys/simultaneity.ts`): deterministic, from the workflow's own
 * tables, so the order never depends on how Temporal batches fired timers and signals.
 */
import type { JourneyRun } from '../src/journeys/interpreter.ts';
import { eventInstant } from '../src/journeys/simultaneity.ts';
import type { PendingSend, QueuedItem } from './contract.ts';

/**
 * A message whose time has come (`dueSend`); else a journey timer due by the instant
 * of the first item waiting (or by now), the earliest first and, of those due
 * together, the first armed; else that item, at its instant.
 */
export function takeNext(queue: QueuedItem[], run: JourneyRun, dueSend: string | undefined, now: number): { item: QueuedItem; at: number } {
  if (dueSend) return { item: { kind: 'timer', timerId: `send:${dueSend}` }, at: now };
  const head = queue[0];
  const through = head ? instantOf(head, run, now) : now;
  const timer = run.dueBy(through);
  if (timer) return { item: { kind: 'timer', timerId: timer.id }, at: timer.fireAt };
  return { item: queue.shift()!, at: through };
}

/** The waiting message whose time has come, the one waiting longest first. */
export function dueSendOf(sends: Iterable<PendingSend>, now: number): string | undefined {
  let due: PendingSend | undefined;
  for (const send of sends) if (send.until <= now && (!due || send.until < due.until)) due = send;
  return due?.idempotencyKey;
}

/** When a waiting item takes effect: an event at the moment it happened, a migration when it was asked for. */
function instantOf(item: QueuedItem, run: JourneyRun, now: number): number {
  if (item.kind === 'event') return eventInstant(Date.parse(item.event.occurredAt), now, run.latestStepAt);
  if (item.kind === 'migrate') return eventInstant(item.migration.at ?? now, now, run.latestStepAt);
  return now;
}
