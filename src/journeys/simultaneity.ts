/**
 * The one rule for what happens at the same instant, shared by the simulator, the
 * forecast and the durable runtime (README, "Things that happen at the same instant"):
 *
 * - a timer's step is taken at the instant it is due, not when a worker gets to it;
 * - timers due at the same instant fire in the order they were armed;
 * - whatever was due by an instant fires before an event at that instant;
 * - an event counts at the moment it happened, never before the enrollment's latest
 *   step and never after the runtime's present; one that reaches the runtime more than
 *   `LATE_EVENT_MS` after it happened (an import of old records, an outage) counts
 *   from when it arrives, so a journey never runs months of timers at once.
 */

/** How late an event may reach the runtime and still count at the moment it happened. */
export const LATE_EVENT_MS = 3_600_000;

/** The instant an event (or a migration) takes effect on an enrollment. */
export function eventInstant(happenedAt: number, now: number, latestStepAt: number | undefined): number {
  const at = Number.isNaN(happenedAt) || happenedAt < now - LATE_EVENT_MS ? now : Math.min(happenedAt, now);
  return latestStepAt === undefined ? at : Math.max(at, latestStepAt);
}
