/** The recordTransition activity: keeps the enrollment's row and history in step with the workflow. */
import type { Database, Prisma } from '../src/db/client.ts';
import type { WebhookEventType } from '../src/webhooks/event-types.ts';
import { recordWebhookEvent } from '../src/webhooks/outbox.ts';

export interface RecordTransitionInput {
  enrollmentId: string;
  /** Position in the enrollment's history; recording the same one twice changes nothing. */
  sequence: number;
  fromState: string | null;
  toState: string;
  cause: string;
  eventId?: string | undefined;
  status: 'active' | 'completed' | 'converted' | 'exited';
  /** Why an early exit happened, when the status is `exited`. */
  exitReason?: string | undefined;
  /** Set when the step moved the enrollment onto another version of its journey. */
  journeyVersionId?: string | undefined;
  snapshot: { value: unknown; context: Record<string, unknown> };
  /** Workflow time of the transition (simulated time under the time-skipping test server). */
  at: string;
}

/** The outcomes a CRM hears of by webhook; other statuses send none. */
const webhookFor: Partial<Record<RecordTransitionInput['status'], WebhookEventType>> = {
  converted: 'enrollment.converted',
  exited: 'enrollment.exited',
};

export function createRecordTransition(deps: { db: Database }) {
  const { db } = deps;

  return async function recordTransition(input: RecordTransitionInput): Promise<void> {
    const at = new Date(input.at);
    const outcome = webhookFor[input.status];
    if (!outcome) {
      await db.$transaction([db.enrollmentTransition.createMany(stepArgs(input, at)), db.enrollment.update(enrollmentArgs(input, at))]);
      return;
    }
    // An outcome the CRM hears of: its webhook is written with the step, once (a retried step records nothing new).
    await db.$transaction(async (tx) => {
      const { count } = await tx.enrollmentTransition.createMany(stepArgs(input, at));
      await tx.enrollment.update(enrollmentArgs(input, at));
      if (count > 0) await recordWebhookEvent(tx, outcome, input.enrollmentId);
    });
  };
}

function stepArgs(input: RecordTransitionInput, at: Date) {
  return {
    data: [
      {
        enrollmentId: input.enrollmentId,
        sequence: input.sequence,
        fromState: input.fromState,
        toState: input.toState,
        cause: input.cause,
        eventId: input.eventId ?? null,
        at,
      },
    ],
    skipDuplicates: true,
  };
}

function enrollmentArgs(input: RecordTransitionInput, at: Date) {
  return {
    where: { id: input.enrollmentId },
    data: {
      currentState: input.toState,
      status: input.status,
      snapshot: input.snapshot as Prisma.InputJsonValue,
      exitedAt: input.status === 'active' ? null : at,
      // An early exit (unsubscribed, bounced, removed) keeps the event that caused it.
      exitReason: input.status === 'exited' ? (input.exitReason ?? input.cause) : null,
      ...(input.journeyVersionId ? { journeyVersionId: input.journeyVersionId } : {}),
    },
  };
}
