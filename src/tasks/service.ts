/**
 * Staff tasks as people work them: list a queue, claim a task, release or hand it
 * on, complete it with an outcome and notes. A completed task's outcome (never its
 * notes) is delivered to its enrollment as a `task-completed` event, so the journey
 * carries on from it ("reached: pledged", "no answer"). The outcome is stored first;
 * delivery is retried until Temporal takes it, so a completion is never lost. A task
 * is completed once: a second completion is refused with what was recorded.
 */
import { taskQueueIds, taskQueues } from './queues.ts';
import { loadTaskCards, type TaskCard } from './card.ts';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Database, StaffTask } from '../db/client.ts';
import { interactionSignal } from '../../workflows/contract.ts';
import { recordWebhookEvent } from '../webhooks/outbox.ts';

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

/** Who records a completion: the person named (or else the key's own name), and the key that sent it. */
export interface Completer {
  by?: string | undefined;
  keyId?: string | undefined;
  notes?: string | undefined;
}

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

  /** Takes an open task; claiming one's own task again changes nothing. */
  async function claim(id: string, assignee: string): Promise<StaffTask> {
    const { count } = await db.staffTask.updateMany({
      where: { id, status: 'open' },
      data: { status: 'claimed', assignee, claimedAt: new Date() },
    });
    const task = await find(id);
    if (count === 0 && !(task.status === 'claimed' && task.assignee === assignee)) {
      throw new TaskError(
        task.status === 'claimed' ? `Task ${id} is already claimed by ${task.assignee}` : `Task ${id} is ${task.status}`,
        409,
      );
    }
    return task;
  }

  /**
   * Completes an open or claimed task with its outcome, who did it and their notes,
   * and delivers the outcome to the journey. The completion is one conditional update
   * in one transaction, so of two at once exactly one wins; the other, like any
   * later one, is refused with the outcome, person and time recorded.
   */
  async function complete(id: string, outcome: string, completer: string | Completer = {}): Promise<{ task: StaffTask; delivered: boolean }> {
    const { by, keyId, notes } = typeof completer === 'string' ? { by: completer, keyId: undefined, notes: undefined } : completer;
    const { count, task } = await db.$transaction(async (tx) => {
      const { count } = await tx.staffTask.updateMany({
        where: { id, status: { in: ['open', 'claimed'] } },
        data: { status: 'completed', outcome, completedAt: new Date(), completedBy: by ?? null, completedByKeyId: keyId ?? null, notes: notes?.trim() || null },
      });
      // The CRM hears of the completion in the same transaction (see src/webhooks/outbox.ts).
      if (count > 0) await recordWebhookEvent(tx, 'task.completed', id);
      return { count, task: await tx.staffTask.findUnique({ where: { id } }) };
    });
    if (!task) throw new TaskError(`Task ${id} not found`, 404);
    if (count === 0) {
      if (task.status !== 'completed') throw new TaskError(`Task ${id} is ${task.status}`, 409);
      const recorded = { outcome: task.outcome, completedBy: task.completedBy, completedAt: task.completedAt };
      throw new TaskError(
        `Task ${id} was already completed with outcome "${task.outcome}" by ${task.completedBy ?? 'someone unrecorded'} at ${task.completedAt?.toISOString() ?? 'an unrecorded time'}`,
        409,
        recorded,
      );
    }
    const delivered = await deliverOutcome(task).catch(() => false);
    return { task: await find(id), delivered };
  }

  /** Gives a claimed task back to its queue, for anyone to take. */
  async function release(id: string): Promise<StaffTask> {
    const { count } = await db.staffTask.updateMany({ where: { id, status: 'claimed' }, data: { status: 'open', assignee: null, claimedAt: null } });
    const task = await find(id);
    if (count === 0) throw new TaskError(task.status === 'open' ? `Task ${id} is not claimed` : `Task ${id} is ${task.status}`, 409);
    return task;
  }

  /**
   * Hands an unfinished task to another person (who then holds it) and/or another
   * queue (where it waits, unclaimed, unless a person is named too).
   */
  async function reassign(id: string, to: { assignee?: string | undefined; queue?: string | undefined }): Promise<StaffTask> {
    if (!to.assignee && !to.queue) throw new TaskError('Say who or which queue the task goes to', 400);
    if (to.queue && !taskQueueIds.has(to.queue)) throw new TaskError(`There is no task queue "${to.queue}"; the queues are ${[...taskQueueIds].join(', ')}`, 400);
    const { count } = await db.staffTask.updateMany({
      where: { id, status: { in: ['open', 'claimed'] } },
      data: {
        ...(to.queue ? { queue: to.queue } : {}),
        ...(to.assignee ? { status: 'claimed', assignee: to.assignee, claimedAt: new Date() } : { status: 'open', assignee: null, claimedAt: null }),
      },
    });
    const task = await find(id);
    if (count === 0) throw new TaskError(`Task ${id} is ${task.status}`, 409);
    return task;
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
      name: taskQueues.find((queue) => queue.id === id)?.name ?? id,
      description: taskQueues.find((queue) => queue.id === id)?.description ?? '',
      open: count(id, 'open'),
      claimed: count(id, 'claimed'),
      overdue: overdue.find((row) => row.queue === id)?._count._all ?? 0,
    }));
  }

  return { list, find, claim, complete, release, reassign, card, cards, timeZone, deliverPendingOutcomes, queueCounts };
}
