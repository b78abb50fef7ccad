/**
 * Temporal's activity context, for code that also runs outside Temporal (tests and
 * scripts call activities as plain functions): heartbeats and cancellation when
 * there is a context, nothing when there is none.
 *
 * An attempt run as a local activity (inside the workflow task that asks for it)
 * has no heartbeat for Temporal to keep: what it notes travels instead with its
 * failure, as that failure's details (`NOTED_BEFORE_FAILURE`), for the workflow to
 * hand to the attempt that follows.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { NOTED_BEFORE_FAILURE } from './noted-failure.ts';

/** Details noted in each activity's heartbeat, carried by every heartbeat it sends. */
const noted = new WeakMap<Context, unknown>();

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
  if (context.info.isLocal) return carryingNote(context, work);
  // Each heartbeat carries the details noted so far, starting from an earlier attempt's:
  // Temporal keeps the last heartbeat's details for the next attempt, so a heartbeat
  // without them would erase what an earlier attempt noted before this one could use it.
  if (context.info.heartbeatDetails !== undefined && !noted.has(context)) noted.set(context, context.info.heartbeatDetails);
  context.heartbeat(noted.get(context));
  const timer = setInterval(() => context.heartbeat(noted.get(context)), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * Keeps `details` in the activity's heartbeat, where the next attempt finds them
 * (`heartbeatDetails`) if this one fails. Temporal keeps them with the failure in
 * the workflow's history: ids only, never personal data.
 */
export function noteInHeartbeat(details: unknown): void {
  const context = activityContext();
  if (!context) return;
  noted.set(context, details);
  if (!context.info.isLocal) context.heartbeat(details);
}

/** A local attempt's failure, carrying what it noted so the next attempt can use it as it would a heartbeat's details. */
async function carryingNote<T>(context: Context, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!noted.has(context)) throw error;
    throw ApplicationFailure.create({
      type: NOTED_BEFORE_FAILURE,
      message: error instanceof Error ? error.message : String(error),
      details: [noted.get(context)],
      cause: error instanceof Error ? error : undefined,
    });
  }
}

/** How long an attempt inside a workflow task waits for the provider's turn before leaving the send to an ordinary activity. */
export const LOCAL_TURN_WAIT_MS = 2_000;

/**
 * What ends a wait for the provider's turn: the activity's cancellation, and for a
 * local attempt also `LOCAL_TURN_WAIT_MS`, so a burst queues in ordinary activities
 * (whose slots are for waiting) rather than holding workflow tasks.
 */
export function turnWaitSignal(): AbortSignal | undefined {
  const context = activityContext();
  if (!context?.info.isLocal) return context?.cancellationSignal;
  return AbortSignal.any([context.cancellationSignal, AbortSignal.timeout(LOCAL_TURN_WAIT_MS)]);
}

/**
 * What an earlier attempt of this activity noted in its heartbeat, else what the
 * workflow carried over from a failed local attempt (`carried`); undefined outside
 * Temporal or on a first attempt.
 */
export function notedByEarlierAttempt(carried?: unknown): unknown {
  return activityContext()?.info.heartbeatDetails ?? carried;
}
