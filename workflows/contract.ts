/**
 * What the enrollment workflow and its callers agree on: its input, its signal and
 * its query. Both the workflow bundle and the client side import this module, so it
 * must stay free of I/O and Node APIs.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { InteractionSignal } from '../journeys/vocabulary.ts';

/** A timer the machine asked for: fire `event` at `fireAt` (epoch ms) unless cancelled. */
export interface PendingTimer {
  id: string;
  event: { type: string };
  fireAt: number;
}

/** An event waiting to be applied: a constituent's interaction, or a fired timer's event. */
export type QueuedEvent = InteractionSignal | { type: string };

/** Everything needed to carry an enrollment on in a fresh run after continue-as-new. */
export interface CarriedState {
  snapshot: { value: unknown; context: Record<string, unknown> };
  step: number;
  timers: PendingTimer[];
  queue: QueuedEvent[];
  seenEventIds: string[];
}

/** Ids only: workflow input is kept in Temporal's history, which must hold no personal data. */
export interface EnrollmentWorkflowInput {
  enrollmentId: string;
  constituentId: string;
  journeyId: string;
  journeyVersion: number;
  carried?: CarriedState;
}

export type EnrollmentOutcome = 'completed' | 'converted';

/** What the state query answers. */
export interface EnrollmentView {
  state: string;
  status: 'active' | EnrollmentOutcome;
  step: number;
  context: Record<string, unknown>;
  timers: PendingTimer[];
}

export const interactionSignal = defineSignal<[InteractionSignal]>('interaction');
export const enrollmentStateQuery = defineQuery<EnrollmentView>('enrollmentState');

/** One workflow per journey and constituent: a second start for the pair is refused by Temporal. */
export function enrollmentWorkflowId(journeyId: string, constituentId: string): string {
  return `enrollment:${journeyId}:${constituentId}`;
}
