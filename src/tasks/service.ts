/**
 * Staff tasks as people work them: list a queue, claim a task, release or hand it
 * on, complete it with an outcome and notes. A completed task's outcome (never its
 * notes) is delivered to its enrollment as a `task-completed` event, so the journey
 * carries on from it ("reached: pledged", "no answer"). The outcome is stored first;
 * delivery is retried until Temporal takes it, so a completion is never lost. A task
 * is completed once: a second completion is refused with what was recorded. Every
 * claim, release, hand-on and completion is in the audit trail under whoever did it
 * (src/tasks/task-audit.ts), written in the change's transaction; a refusal writes
 * nothing. Routes pass the person or key acting; a change made without one is Steward's.
 */
import { queueName, taskQueueIds, taskQueues } from './queues.ts';
import { loadTaskCards, type TaskCard } from './card.ts';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { SYSTEM_ACTOR, type AuditActor } from '../auth/audit.ts';
import type { Database, Prisma, StaffTask } from '../db/client.ts';
import { interactionSignal } from '../../workflows/contract.ts';
import { recordWebhookEvent } from '../webhooks/outbox.ts';
import { placementOf, recordTaskAudit } from './task-audit.ts';

/** What a completed task recorded, for the refusal of a second completion. */
export interface RecordedCompletion {
  outcome: string | null;
  completedBy: string | null;
  completedAt: Date | null;
}

export class TaskError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409,
    readonly completed?: RecordedCompletion,
  ) {
    super(message);
    this.name = 'TaskError';
  }
}

export interface TaskListQuery {
  queue?: string | undefined;
  status?: StaffTask['status'] | undefined;
  assignee?: string | undefined;
  limit?: number | undefined;
}

export type TaskService = ReturnType<typeof createTaskService>;

/** A completion's person (the one named, or else the key's or person's own name) and their notes. */
export interface Completer {
  by?: string | undefined;
  notes?: string | undefined;
}

/**
 * A change's transaction waits inside for the task's row, which people completing it
 * at once queue on. (How long it waits for a connection is the client's, see
 * `db/client.ts`.)
 */
const TASK_TRANSACTION = { timeout: 10_000 } as const;

export function createTaskService(deps: { db: Database; temporal: Client; signalTimeoutMs?: number; timeZone?: string }) {
  const { db, temporal } = deps;
  const timeZone = deps.timeZone ?? 'UTC';
  const signalTimeoutMs = deps.signalTimeoutMs ?? 5_000;

  async function find(id: string): Promise<StaffTask> {
    const task = await db.staffTask.findUnique({ where: { id } });
    if (!task) throw new TaskError(`Task ${id} not found`, 404);
    return task;
  }

  /** Open and claimed tasks first, soonest due first. */
  function list(query: TaskListQuery = {}): Promise<StaffTask[]> {
    return db.staffTask.findMany({
      where: {
        ...(query.queue ? { queue: query.queue } : {}),
        ...(query.status ? { status: query.status } : { status: { in: ['open', 'claimed'] } }),
        ...(query.assignee ? { assignee: query.assignee } : {}),
      },
      orderBy: [{ dueAt: { sort: 'asc', nulls: 'last' } }, { createdAt: 'asc' }],
      take: Math.min(query.limit ?? 50, 500),
    });
  }

  /**
   * Runs a change with the task's row locked until it commits, so what the change read
   * (is it open? who held it?) stays true, and of two changes at once the second sees
   * the first. A refusal thrown inside rolls back and leaves nothing, audit included.
   */
  function changeTask<T>(id: string, change: (tx: Prisma.TransactionClient, task: StaffTask) => Promise<T>): Promise<T> {
    return db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT 1 FROM "staff_task" WHERE "id" = ${id} FOR UPDATE`;
      const task = await tx.staffTask.findUnique({ where: { id } });
      if (!task) throw new TaskError(`Task ${id} not found`, 404);
      return change(tx, task);
    }, TASK_TRANSACTION);
  }

  const isUnfinished = (task: StaffTask) => task.status === 'open' || task.status === 'claimed';

  /** Takes an open task for `assignee`; claiming one's own task again changes nothing and records nothing. */
  function claim(id: string, assignee: string, actor: AuditActor = SYSTEM_ACTOR): Promise<StaffTask> {
    return changeTask(id, async (tx, task) => {
      if (task.status === 'claimed' && task.assignee === assignee) return task;
      if (task.status !== 'open') {
        throw new TaskError(task.status === 'claimed' ? `Task ${id} is already claimed by ${task.assignee}` : `Task ${id} is ${task.status}`, 409);
      }
      const claimed = await tx.staffTask.update({ where: { id }, data: { status: 'claimed', assignee, claimedAt: new Date() } });
      await recordTaskAudit(tx, actor, 'task.claimed', claimed);
      return claimed;
    });
  }

  /**
   * Completes an open or claimed task with its outcome, who did it and their notes,
   * and delivers the outcome to the journey. Of two completions at once exactly one
   * wins; the other, like any later one, is refused with the outcome, person and time
   * recorded. A key's completion is kept under the key, whoever it names.
   */
  async function complete(id: string, outcome: string, completer: string | Completer = {}, actor: AuditActor = SYSTEM_ACTOR): Promise<{ task: StaffTask; delivered: boolean }> {
    const { by, notes } = typeof completer === 'string' ? { by: completer, notes: undefined } : completer;
    const written = notes?.trim() || null;
    const task = await changeTask(id, async (tx, task) => {
      if (task.status === 'completed') throw alreadyCompleted(task);
      if (!isUnfinished(task)) throw new TaskError(`Task ${id} is ${task.status}`, 409);
      const completed = await tx.staffTask.update({
        where: { id },
        data: { status: 'completed', outcome, completedAt: new Date(), completedBy: by ?? null, completedByKeyId: actor.kind === 'key' ? actor.id : null, notes: written },
      });
      // The CRM hears of the completion in the same transaction (see src/webhooks/outbox.ts).
      await recordWebhookEvent(tx, 'task.completed', id);
      await recordTaskAudit(tx, actor, 'task.completed', completed, { from: placementOf(task), outcome, completedBy: completed.completedBy, notes: written !== null });
      return completed;
    });
    const delivered = await deliverOutcome(task).catch(() => false);
    return { task: await find(id), delivered };
  }

  function alreadyCompleted(task: StaffTask): TaskError {
    const recorded = { outcome: task.outcome, completedBy: task.completedBy, completedAt: task.completedAt };
    return new TaskError(
      `Task ${task.id} was already completed with outcome "${task.outcome}" by ${task.completedBy ?? 'someone unrecorded'} at ${task.completedAt?.toISOString() ?? 'an unrecorded time'}`,
      409,
      recorded,
    );
  }

  /** Gives a claimed task back to its queue, for anyone to take. */
  function release(id: string, actor: AuditActor = SYSTEM_ACTOR): Promise<StaffTask> {
    return changeTask(id, async (tx, task) => {
      if (task.status !== 'claimed') throw new TaskError(task.status === 'open' ? `Task ${id} is not claimed` : `Task ${id} is ${task.status}`, 409);
      const released = await tx.staffTask.update({ where: { id }, data: { status: 'open', assignee: null, claimedAt: null } });
      await recordTaskAudit(tx, actor, 'task.released', released, { from: placementOf(task) });
      return released;
    });
  }

  /**
   * Hands an unfinished task to another person (who then holds it) and/or another
   * queue (where it waits, unclaimed, unless a person is named too).
   */
  async function reassign(id: string, to: { assignee?: string | undefined; queue?: string | undefined }, actor: AuditActor = SYSTEM_ACTOR): Promise<StaffTask> {
    if (!to.assignee && !to.queue) throw new TaskError('Say who or which queue the task goes to', 400);
    if (to.queue && !taskQueueIds.has(to.queue)) throw new TaskError(`There is no task queue "${to.queue}"; the queues are ${[...taskQueueIds].join(', ')}`, 400);
    return changeTask(id, async (tx, task) => {
      if (!isUnfinished(task)) throw new TaskError(`Task ${id} is ${task.status}`, 409);
      const moved = await tx.staffTask.update({
        where: { id },
        data: {
          ...(to.queue ? { queue: to.queue } : {}),
          ...(to.assignee ? { status: 'claimed', assignee: to.assignee, claimedAt: new Date() } : { status: 'open', assignee: null, claimedAt: null }),
        },
      });
      await recordTaskAudit(tx, actor, 'task.reassigned', moved, { from: placementOf(task) });
      return moved;
    });
  }

  /** What a task is for, as its card shows it. */
  async function card(task: StaffTask): Promise<TaskCard> {
    return (await loadTaskCards(db, [task], { timeZone })).get(task.id)!;
  }

  /** The cards of a list of tasks, by id. */
  function cards(tasks: StaffTask[]): Promise<Map<string, TaskCard>> {
    return loadTaskCards(db, tasks, { timeZone });
  }

  /** Signals the enrollment with the outcome; true once Temporal has it (or the journey has ended). */
  async function deliverOutcome(task: StaffTask): Promise<boolean> {
    if (task.enrollmentId) {
      const enrollment = await db.enrollment.findUnique({ where: { id: task.enrollmentId }, select: { workflowId: true } });
      if (enrollment) {
        try {
          await temporal.withDeadline(Date.now() + signalTimeoutMs, () =>
            temporal.workflow.getHandle(enrollment.workflowId).signal(interactionSignal, {
              type: 'task-completed',
              // One event per task: a repeated delivery is recognised and dropped by the workflow.
              eventId: `task:${task.id}`,
              occurredAt: (task.completedAt ?? new Date()).toISOString(),
              data: { queue: task.queue, outcome: task.outcome },
            }),
          );
        } catch (error) {
          // A journey that has ended no longer waits for the outcome; anything else is retried later.
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        }
      }
    }
    await db.staffTask.update({ where: { id: task.id }, data: { outcomeDeliveredAt: new Date() } });
    return true;
  }

  /** Delivers outcomes that could not be delivered when the tasks were completed. */
  async function deliverPendingOutcomes(limit = 100): Promise<number> {
    const pending = await db.staffTask.findMany({
      where: { status: 'completed', outcomeDeliveredAt: null },
      orderBy: { completedAt: 'asc' },
      take: limit,
    });
    for (const task of pending) await deliverOutcome(task);
    return pending.length;
  }

  /** Every queue with its waiting, claimed and overdue tasks, for the inbox's tabs. */
  async function queueCounts(now = new Date()) {
    const [waiting, overdue] = await Promise.all([
      db.staffTask.groupBy({ by: ['queue', 'status'], where: { status: { in: ['open', 'claimed'] } }, _count: { _all: true } }),
      db.staffTask.groupBy({ by: ['queue'], where: { status: { in: ['open', 'claimed'] }, dueAt: { lt: now } }, _count: { _all: true } }),
    ]);
    const count = (queue: string, status: string) => waiting.find((row) => row.queue === queue && row.status === status)?._count._all ?? 0;
    const names = [...new Set([...taskQueues.map((queue) => queue.id), ...waiting.map((row) => row.queue)])];
    return names.map((id) => ({
      id,
      name: queueName(id),
      description: taskQueues.find((queue) => queue.id === id)?.description ?? '',
      open: count(id, 'open'),
      claimed: count(id, 'claimed'),
      overdue: overdue.find((row) => row.queue === id)?._count._all ?? 0,
    }));
  }

  return { list, find, claim, complete, release, reassign, card, cards, timeZone, deliverPendingOutcomes, queueCounts };
}
