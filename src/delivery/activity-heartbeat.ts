/**
 * Temporal's activity context, for code that also runs outside Temporal (tests and
 * scripts call activities as plain functions): heartbeats and cancellation when
 * there is a context, nothing when there is none.
 */
import { Context } from '@temporalio/activity';

/** Well inside the 30-second heartbeat timeout the workflow sets, even on a busy machine. */
const HEARTBEAT_EVERY_MS = 2_000;

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** The activity's cancellation (an aborted signal once Temporal cancels it or it timed out); undefined outside Temporal. */
export function activityCancellation(): AbortSignal | undefined {
  return activityContext()?.cancellationSignal;
}

/** Throws Temporal's CancelledFailure if the activity has been cancelled: called before anything is sent. */
export function stopIfCancelled(): void {
  activityCancellation()?.throwIfAborted();
}

/**
 * Runs `work` heartbeating all along, so Temporal tells a slow attempt from a dead
 * one, and so cancellation reaches it (Temporal delivers cancellation in the
 * answer to a heartbeat).
 */
export async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const context = activityContext();
  if (!context) return work();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
