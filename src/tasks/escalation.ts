/**
 * Overdue tasks do not wait in silence: an open task past its due time moves to
 * the fallback queue, marked as overdue and where it came from, once.
 */
import type { Database } from '../db/client.ts';
import { queueName } from './queues.ts';

export async function escalateOverdueTasks(db: Database, asOf: Date, fallbackQueue: string): Promise<string[]> {
  const overdue = await db.staffTask.findMany({
    where: { status: { in: ['open', 'claimed'] }, dueAt: { lt: asOf }, escalatedAt: null },
    orderBy: { dueAt: 'asc' },
    take: 500,
  });
  const escalated: string[] = [];
  for (const task of overdue) {
    const from = queueName(task.queue);
    // Conditional on still being unescalated, so two scans at once escalate a task once.
    const { count } = await db.staffTask.updateMany({
      where: { id: task.id, escalatedAt: null },
      data: {
        escalatedAt: asOf,
        queue: fallbackQueue,
        status: 'open',
        assignee: null,
        title: task.queue === fallbackQueue ? `Overdue: ${task.title}` : `Overdue (from ${from}): ${task.title}`,
      },
    });
    if (count === 1) escalated.push(task.id);
  }
  return escalated;
}
