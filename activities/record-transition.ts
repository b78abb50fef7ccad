/** The recordTransition activity: keeps the enrollment's row and history in step with the workflow. */
import { randomUUID } from 'node:crypto';
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
      await recordStep(db, input, at);
      return;
    }
    // An outcome the CRM hears of: its webhook is written with the step, once (a retried step records nothing new).
    await db.$transaction(async (tx) => {
      if (await recordStep(tx, input, at)) await recordWebhookEvent(tx, outcome, input.enrollmentId);
    });
  };
}

/**
 * Adds the step to the enrollment's history (once: a retried step adds nothing) and
 * puts the enrollment where the step leaves it, in one statement: a round trip on
 * the embedded database's one connection for every step of every enrollment.
 * Returns whether the step was new.
 */
async function recordStep(db: Database | Prisma.TransactionClient, input: RecordTransitionInput, at: Date): Promise<boolean> {
  const exitedAt = input.status === 'active' ? null : at.toISOString();
  // An early exit (unsubscribed, bounced, removed) keeps the event that caused it.
  const exitReason = input.status === 'exited' ? (input.exitReason ?? input.cause) : null;
  const [enrollment] = await db.$queryRaw<{ recorded: boolean }[]>`
    WITH step AS (
      INSERT INTO "enrollment_transition" ("id", "enrollment_id", "sequence", "from_state", "to_state", "cause", "event_id", "at")
      VALUES (${randomUUID()}, ${input.enrollmentId}, ${input.sequence}::int, ${input.fromState}, ${input.toState}, ${input.cause}, ${input.eventId ?? null},
              ${at.toISOString()}::timestamptz AT TIME ZONE 'UTC')
      ON CONFLICT ("enrollment_id", "sequence") DO NOTHING
      RETURNING 1
    )
    UPDATE "enrollment" SET
      "current_state" = ${input.toState},
      "status" = ${input.status}::"enrollment_status",
      "snapshot" = ${JSON.stringify(input.snapshot)}::jsonb,
      "exited_at" = ${exitedAt}::timestamptz AT TIME ZONE 'UTC',
      "exit_reason" = ${exitReason},
      "journey_version_id" = COALESCE(${input.journeyVersionId ?? null}, "journey_version_id"),
      "updated_at" = now() AT TIME ZONE 'UTC'
     WHERE "id" = ${input.enrollmentId}
    RETURNING EXISTS (SELECT 1 FROM step) AS "recorded"`;
  if (!enrollment) throw new Error(`Enrollment ${input.enrollmentId} not found`);
  return enrollment.recorded;
}
