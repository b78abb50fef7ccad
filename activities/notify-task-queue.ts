/**
 * Tells a staff task queue that a task arrived: one email per task, to the queue's
 * address, with what the person needs to act (who and how to reach them, the gift
 * or registration behind it, their giving, by when in the organisation's time) and
 * a link to the task in the web app. Sent at most once per task, like every other
 * message. Everything personal is read here, by the task's id.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Database } from '../src/db/client.ts';
import { withHeartbeat } from '../src/delivery/activity-heartbeat.ts';
import type { MailTransport } from '../src/mail/transport.ts';
import { loadTaskCards, type TaskCard } from '../src/tasks/card.ts';
import { formatAmount, formatLocalDay, formatLocalTime } from '../src/tasks/card-format.ts';
import { taskQueues } from '../src/tasks/queues.ts';
import { deliverStaffNotice } from './deliver-email.ts';

export interface NotifyTaskQueueInput {
  taskId: string;
  idempotencyKey: string;
}

export function queueAddress(queue: string, configured: Record<string, string>): string {
  return configured[queue] ?? `${queue}@tasks.steward.localhost`;
}

export interface NotifyTaskQueueDependencies {
  db: Database;
  mailer: MailTransport;
  mailFrom: string;
  taskQueueEmails?: Record<string, string>;
  /** Where people reach the web app (STEWARD_PUBLIC_URL): the email links to the task there. */
  publicUrl: string;
  /** The organisation's time zone (STEWARD_TIMEZONE): times in the email are written in it. */
  timeZone: string;
}

export function createNotifyTaskQueue(deps: NotifyTaskQueueDependencies) {
  const { db } = deps;
  return (input: NotifyTaskQueueInput): Promise<{ messageId: string }> => withHeartbeat(() => notifyTaskQueue(input));

  async function notifyTaskQueue(input: NotifyTaskQueueInput): Promise<{ messageId: string }> {
    const task = await db.staffTask.findUnique({ where: { id: input.taskId } });
    if (!task) throw ApplicationFailure.nonRetryable(`Task ${input.taskId} not found`, 'TaskNotFound');
    if (!task.constituentId) throw ApplicationFailure.nonRetryable(`Task ${input.taskId} has no constituent`, 'TaskWithoutConstituent');
    const done = await db.message.findUnique({ where: { idempotencyKey: input.idempotencyKey } });
    if (done?.status === 'sent') return { messageId: done.id };

    const card = (await loadTaskCards(db, [task], { timeZone: deps.timeZone })).get(task.id)!;
    const queueName = taskQueues.find((queue) => queue.id === task.queue)?.name ?? task.queue;
    const who = card.constituent?.name ?? 'a constituent';
    const link = `${deps.publicUrl.replace(/\/$/, '')}/app/tasks/${encodeURIComponent(task.id)}`;
    const amount = card.cause?.amount ? ` (${formatAmount(card.cause.amount, card.cause.currency)})` : '';
    const subject = `[${queueName}] ${task.title}: ${who}${amount}`;
    const text = [
      `A journey asks the ${queueName} team: ${task.title}.`,
      [`Constituent: ${who}`, card.constituent?.phone && `Phone: ${card.constituent.phone}`, card.constituent?.email && `Email: ${card.constituent.email}`].filter(Boolean).join('\n'),
      ...(card.cause ? [`Because: ${describeCause(card.cause, deps.timeZone)}`] : []),
      `Giving: ${describeGiving(card, deps.timeZone)}`,
      `Due: ${task.dueAt ? formatLocalTime(task.dueAt, deps.timeZone) : 'no due date'}`,
      `Open the task: ${link}`,
      `Or record the outcome from a terminal: steward tasks complete ${task.id} --outcome <outcome>`,
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

function describeCause(cause: NonNullable<TaskCard['cause']>, timeZone: string): string {
  const where = [cause.campaign && `campaign ${cause.campaign}`, cause.fund && `fund ${cause.fund}`, cause.program && `program ${cause.program}`].filter(Boolean).join(', ');
  const what = cause.type === 'donation' ? `a gift of ${cause.amount ? formatAmount(cause.amount, cause.currency) : 'an unrecorded amount'}` : cause.type === 'registration' ? 'a registration' : `a ${cause.type} event`;
  return `${what}${where ? ` (${where})` : ''} on ${formatLocalTime(cause.occurredAt, timeZone)}`;
}

function describeGiving(card: TaskCard, timeZone: string): string {
  if (card.giving.length === 0) return 'no gifts recorded';
  return card.giving
    .map(
      (row) =>
        `${row.count} gift${row.count === 1 ? '' : 's'}, ${formatAmount(row.lifetime, row.currency)} in all, ${formatAmount(row.thisYear, row.currency)} this year` +
        `${row.firstGiftAt ? `, first ${formatLocalDay(row.firstGiftAt, timeZone)}` : ''}${row.lastGiftAt ? `, last ${formatLocalDay(row.lastGiftAt, timeZone)}` : ''}`,
    )
    .join('; ');
}
