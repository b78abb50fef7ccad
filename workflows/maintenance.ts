/**
 * Scheduled upkeep, run by Temporal Schedules: each run asks an activity to do the
 * work as of the workflow's own time, so a run delayed by an outage still looks at
 * the moment it was meant for.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { JourneyActivities } from '../activities/index.ts';
import type { DropOffKind, DropOffSettings } from '../src/events/drop-offs.ts';

const { detectDropOffs, escalateOverdueTasks, notifyTaskQueue } = proxyActivities<JourneyActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '5 minutes' },
});

/** A statement run mails every donor of a year: long, so it heartbeats and a retry resumes where the last attempt got to. */
const { sendYearEndStatements } = proxyActivities<JourneyActivities>({
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '10 seconds', maximumInterval: '5 minutes' },
});

export async function dropOffScanWorkflow(input: { kind: DropOffKind; settings: DropOffSettings }): Promise<{ stored: number; routed: number }> {
  return detectDropOffs({ kind: input.kind, asOf: new Date(Date.now()).toISOString(), settings: input.settings });
}

export async function taskEscalationWorkflow(input: { fallbackQueue: string }): Promise<number> {
  const escalated = await escalateOverdueTasks({ asOf: new Date(Date.now()).toISOString(), fallbackQueue: input.fallbackQueue });
  for (const taskId of escalated) await notifyTaskQueue({ taskId, idempotencyKey: `escalate:${taskId}` });
  return escalated.length;
}

/** Each donor's gifts of last year in one message, run in January by the year-end schedule. */
export async function yearEndStatementWorkflow(input: { year?: number } = {}): Promise<{ donors: number; sent: number }> {
  return sendYearEndStatements({ year: input.year ?? new Date(Date.now()).getUTCFullYear() - 1 });
}
