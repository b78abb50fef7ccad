/**
 * What the audit trail keeps of task work: who claimed, released, handed on or
 * completed which task, and with what outcome. An entry names the task as people
 * know it (title and queue, as they were then) and the constituent's id, so the
 * trail reads without the task and filters by the constituent. A completion's notes
 * are not copied: they are what was said about a donor (health, family, money), kept
 * on the task where they are shown, so the trail says only whether there were any.
 */
import { z } from 'zod';
import { recordAudit, type AuditAction, type AuditActor, type AuditWriter } from '../auth/audit.ts';
import type { StaffTask } from '../db/client.ts';

export type TaskAuditAction = Extract<AuditAction, `task.${string}`>;

/** Who held a task and where it waited. */
const Placement = z.object({ queue: z.string(), assignee: z.string().nullable() });

/** An entry's `detail`: the task after the change, where it was before when that moved, and a completion's outcome. */
export const TaskAuditDetail = z.object({
  title: z.string(),
  queue: z.string(),
  assignee: z.string().nullable(),
  constituentId: z.string().nullable(),
  from: Placement.optional(),
  outcome: z.string().optional(),
  /** The person the completion was recorded for (`by`), who may not be the actor: a key completes for someone. */
  completedBy: z.string().nullable().optional(),
  /** Whether notes were written; their text stays on the task. */
  notes: z.boolean().optional(),
});
export type TaskAuditDetail = z.infer<typeof TaskAuditDetail>;

type Extra = Pick<TaskAuditDetail, 'from' | 'outcome' | 'completedBy' | 'notes'>;

/** Writes the entry for a change to `task` (as it is after the change) with the change's own transaction client. */
export function recordTaskAudit(writer: AuditWriter, actor: AuditActor, action: TaskAuditAction, task: StaffTask, extra: Extra = {}): Promise<void> {
  const detail: TaskAuditDetail = { title: task.title, queue: task.queue, assignee: task.assignee, constituentId: task.constituentId, ...extra };
  return recordAudit(writer, actor, { action, objectType: 'task', objectId: task.id, detail });
}

/** Where a task was before a change, for an entry about a release or a hand-on. */
export const placementOf = (task: StaffTask): z.infer<typeof Placement> => ({ queue: task.queue, assignee: task.assignee });
