/**
 * Staff tasks as people work them: list a queue, claim a task, complete it with an
 * outcome. A completed task's outcome is delivered to its enrollment as a
 * `task-completed` event, so the journey carries on from it ("reached: pledged",
 * "no answer"). The outcome is stored first; delivery is retried until Temporal
 * takes it, so a completion is never lost.
 */
import { taskQueues } from './queues.ts';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Database, StaffTask } from '../db/client.ts';
import { interactionSignal } from '../../workflows/contract.ts';

export class TaskError extends Error {
  constructor(
    message: string,
    readonly status: 404 | 409,
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

export function createTaskService(deps: { db: Database; temporal: Client; signalTimeoutMs?: number }) {
  const { db, temporal } = deps;
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
   * Completes a task with its outcome and delivers the outcome to the journey.
   * Completing again with the same outcome is accepted and changes nothing.
   */
  async function complete(id: string, outcome: string, by?: string): Promise<{ task: StaffTask; delivered: boolean }> {
    const { count } = await db.staffTask.updateMany({
      where: { id, status: { in: ['open', 'claimed'] } },
      data: { status: 'completed', outcome, completedAt: new Date(), completedBy: by ?? null },
    });
    const task = await find(id);
    if (count === 0 && !(task.status === 'completed' && task.outcome === outcome)) {
      throw new TaskError(
        task.status === 'completed' ? `Task ${id} was already completed with outcome "${task.outcome}"` : `Task ${id} is ${task.status}`,
        409,
      );
    }
    const delivered = task.outcomeDeliveredAt !== null || (await deliverOutcome(task).catch(() => false));
    return { task: await find(id), delivered };
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

  return { list, find, claim, complete, deliverPendingOutcomes, queueCounts };
}
