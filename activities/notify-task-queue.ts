/**
 * Tells a staff task queue that a task arrived: one email per task, to the queue's
 * address, with what the person needs to act (who, what, by when) and how to
 * record the outcome. Sent at most once per task, like every other message.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Database } from '../src/db/client.ts';
import { withHeartbeat } from '../src/delivery/activity-heartbeat.ts';
import type { MailTransport } from '../src/mail/transport.ts';
import { taskQueues } from '../src/tasks/queues.ts';
import { deliverStaffNotice } from './deliver-email.ts';

export interface NotifyTaskQueueInput {
  taskId: string;
  idempotencyKey: string;
}

export function queueAddress(queue: string, configured: Record<string, string>): string {
  return configured[queue] ?? `${queue}@tasks.steward.localhost`;
}

export function createNotifyTaskQueue(deps: { db: Database; mailer: MailTransport; mailFrom: string; taskQueueEmails?: Record<string, string> }) {
  const { db } = deps;
  return (input: NotifyTaskQueueInput): Promise<{ messageId: string }> => withHeartbeat(() => notifyTaskQueue(input));

  async function notifyTaskQueue(input: NotifyTaskQueueInput): Promise<{ messageId: string }> {
    const task = await db.staffTask.findUnique({ where: { id: input.taskId }, include: { constituent: true } });
    if (!task) throw ApplicationFailure.nonRetryable(`Task ${input.taskId} not found`, 'TaskNotFound');
    if (!task.constituentId) throw ApplicationFailure.nonRetryable(`Task ${input.taskId} has no constituent`, 'TaskWithoutConstituent');
    const done = await db.message.findUnique({ where: { idempotencyKey: input.idempotencyKey } });
    if (done?.status === 'sent') return { messageId: done.id };

    const queueName = taskQueues.find((queue) => queue.id === task.queue)?.name ?? task.queue;
    const who = [task.constituent?.firstName, task.constituent?.lastName].filter(Boolean).join(' ') || 'a constituent';
    const contact = [task.constituent?.email, task.constituent?.phone].filter(Boolean).join(' · ');
    const subject = `[${queueName}] ${task.title}: ${who}`;
    const text = [
      `A journey asks the ${queueName} team: ${task.title}.`,
      `Constituent: ${who}${contact ? ` (${contact})` : ''}`,
      `Due: ${task.dueAt ? task.dueAt.toISOString().replace('.000Z', 'Z') : 'no due date'}`,
      `Task: ${task.id}`,
      `When it is done, record the outcome: steward tasks complete ${task.id} --outcome <outcome>`,
    ].join('\n\n');

    const recipient = queueAddress(task.queue, deps.taskQueueEmails ?? {});
    const { messageId } = await deliverStaffNotice(deps, {
      idempotencyKey: input.idempotencyKey,
      enrollmentId: task.enrollmentId,
      constituentId: task.constituentId,
      template: 'staff-task-notification',
      recipient,
      subject,
      text,
    });
    return { messageId };
  }
}
