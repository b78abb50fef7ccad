/**
 * What the enrollment workflow and its callers agree on: its input, its signal and
 * its query. Both the workflow bundle and the client side import this module, so it
 * must stay free of I/O and Node APIs.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { EnrollmentStatus, PendingTimer, RunState } from '../src/journeys/interpreter.ts';
import type { JourneyEvent } from '../src/journeys/vocabulary.ts';

/** An item waiting to be applied: a constituent's event, or one of the journey's timers firing. */
export type QueuedItem =
  | { kind: 'event'; event: JourneyEvent }
  | { kind: 'timer'; timerId: string }
  | { kind: 'migrate'; migration: Migration };

/** Moves an enrollment onto another version of its journey, mapping its current state. */
export interface Migration {
  journeyVersionId: string;
  /** Current state name to the state in the new version. */
  states: Record<string, string>;
  /** When the migration was asked for (epoch ms): the moment it takes effect. */
  at?: number;
}

/** Everything needed to carry an enrollment on in a fresh run after continue-as-new. */
export interface CarriedState {
  run: RunState;
  queue: QueuedItem[];
  seenEventIds: string[];
  paused: boolean;
  /** Messages waiting for their send window or for room under a cap. */
  sends?: PendingSend[];
}

/** A message a step asked for that waits to go out; asked again at `until`. */
export interface PendingSend {
  channel: 'email' | 'sms';
  template: string;
  idempotencyKey: string;
  /** Epoch ms. */
  until: number;
  /** The step that asked for it: an enrollment ending at a later step cancels it. */
  step: number;
}

/** Ids only: workflow input is kept in Temporal's history, which must hold no personal data. */
export interface EnrollmentWorkflowInput {
  enrollmentId: string;
  constituentId: string;
  /** The journey version the constituent entered; it stays on it to the end. */
  journeyVersionId: string;
  carried?: CarriedState;
}

export type EnrollmentOutcome = Exclude<EnrollmentStatus, 'active'>;

/** What the state query answers. */
export interface EnrollmentView {
  state: string;
  status: EnrollmentStatus;
  paused: boolean;
  step: number;
  context: Record<string, unknown>;
  timers: PendingTimer[];
}

export const interactionSignal = defineSignal<[JourneyEvent]>('interaction');
/** Pausing a journey holds every enrollment's sends and tasks until it is resumed. */
export const pauseSignal = defineSignal<[]>('pause');
export const migrateSignal = defineSignal<[Migration]>('migrate');
export const resumeSignal = defineSignal<[]>('resume');
export const enrollmentStateQuery = defineQuery<EnrollmentView | null>('enrollmentState');

/**
 * The workflow id of a constituent's n-th enrollment in a journey. Temporal refuses
 * a second start with the same id, so one event can never enroll the same person twice.
 */
export function enrollmentWorkflowId(journeyId: string, constituentId: string, ordinal: number): string {
  return `enrollment:${journeyId}:${constituentId}:${ordinal}`;
}
