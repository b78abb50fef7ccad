/**
 * Overdue tasks do not wait in silence: an open task past its due time moves to
 * the fallback queue, marked as overdue and where it came from, once. The move is
 * in the audit trail as Steward's own, written with it, since it takes a claim away.
 */
import { SYSTEM_ACTOR } from '../auth/audit.ts';
import type { Database } from '../db/client.ts';
import { queueName } from './queues.ts';
import { placementOf, recordTaskAudit } from './task-audit.ts';

export async function escalateOverdueTasks(db: Database, asOf: Date, fallbackQueue: string): Promise<string[]> {
  const overdue = await db.staffTask.findMany({
    where: { status: { in: ['open', 'claimed'] }, dueAt: { lt: asOf }, escalatedAt: null },
    orderBy: { dueAt: 'asc' },
    take: 500,
  });
  const escalated: string[] = [];
  for (const task of overdue) {
    const from = queueName(task.queue);
    const moved = await db.$transaction(async (tx) => {
      // Conditional on still being unescalated and open, so two scans at once escalate a task once.
      const { count } = await tx.staffTask.updateMany({
        where: { id: task.id, escalatedAt: null, status: { in: ['open', 'claimed'] } },
        data: {
          escalatedAt: asOf,
          queue: fallbackQueue,
          status: 'open',
          assignee: null,
          title: task.queue === fallbackQueue ? `Overdue: ${task.title}` : `Overdue (from ${from}): ${task.title}`,
        },
      });
      if (count === 1) await recordTaskAudit(tx, SYSTEM_ACTOR, 'task.escalated', await tx.staffTask.findUniqueOrThrow({ where: { id: task.id } }), { from: placementOf(task) });
      return count === 1;
    });
    if (moved) escalated.push(task.id);
  }
  return escalated;
}
