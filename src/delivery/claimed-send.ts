/**
 * One provider call for one pending message, made at most once at a time across
 * every worker: wait for the provider's gate (concurrency and rate), claim the
 * message, stop if Temporal cancelled the activity, call the provider with a hard
 * deadline shorter than the claim, and hand the answer back with the claim so the
 * caller records it under that claim.
 */
import type { Database, Message } from '../db/client.ts';
import { ApplicationFailure } from '@temporalio/activity';
import { LOCAL_TURN_WAIT_MS, stopIfCancelled, turnWaitSignal } from './activity-heartbeat.ts';
import type { SendGate } from './send-gate.ts';
import { claimSend, leaseRemainingMs, releaseLease, sendInProgress, type SendLease } from './send-lease.ts';

/** How one provider is used: its gate, and the longest one call to it may take (from its own timeouts). */
export interface SendDiscipline {
  gate: SendGate;
  callBudgetMs: number;
}

/**
 * Beyond the call itself a claim covers recording the result on a slow database.
 * The call is aborted at its budget, so it cannot outlive the claim.
 */
export const LEASE_MARGIN_MS = 15_000;

export function leaseLength(discipline: SendDiscipline): number {
  return discipline.callBudgetMs + LEASE_MARGIN_MS;
}

export type ClaimedCall<T> =
  /** The provider accepted: record `result` under `lease`. */
  | { lease: SendLease; result: T }
  /** The provider refused for good: record the refusal under `lease`. */
  | { lease: SendLease; refused: unknown }
  /** Another attempt finished the message meanwhile: answer from its record. */
  | { settled: Message };

export async function callUnderLease<T>(
  db: Database,
  request: {
    messageId: string;
    discipline: SendDiscipline;
    /** Calls the provider; must stop when `signal` aborts. */
    send: (signal: AbortSignal) => Promise<T>;
    /** A refusal that retrying cannot change; any other error is passing: the claim is given up and the error thrown for Temporal to retry. */
    isPermanent: (error: unknown) => boolean;
  },
): Promise<ClaimedCall<T>> {
  const { messageId, discipline } = request;
  const leaveGate = await awaitTurn(discipline.gate);
  try {
    stopIfCancelled();
    const lease = await claimSend(db, messageId, leaseLength(discipline));
    if (!lease) {
      const message = await db.message.findUniqueOrThrow({ where: { id: messageId } });
      if (message.status !== 'pending') return { settled: message };
      throw sendInProgress(messageId, await leaseRemainingMs(db, messageId));
    }
    try {
      stopIfCancelled();
      return { lease, result: await request.send(AbortSignal.timeout(discipline.callBudgetMs)) };
    } catch (error) {
      if (request.isPermanent(error)) return { lease, refused: error };
      await releaseLease(db, lease);
      throw error;
    }
  } finally {
    leaveGate();
  }
}

/** The provider's turn; an attempt inside a workflow task that waited its fill fails as `ProviderBusy`, before claiming anything. */
async function awaitTurn(gate: SendGate): Promise<() => void> {
  try {
    return await gate.acquire(turnWaitSignal());
  } catch (error) {
    if (!(error instanceof DOMException && error.name === 'TimeoutError')) throw error;
    throw ApplicationFailure.retryable(`the provider had no free turn within ${LOCAL_TURN_WAIT_MS} ms`, 'ProviderBusy');
  }
}
