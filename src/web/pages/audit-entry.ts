/**
 * How one audit entry reads on the audit page: its object, linked where the app has
 * a page for it, and its detail in words for the actions whose detail Steward knows
 * the shape of (task work); any other detail is shown as it was stored.
 */
import type { AuditEntry } from '../../db/generated/prisma/client.ts';
import { TaskAuditDetail } from '../../tasks/task-audit.ts';
import { queueName } from '../../tasks/queues.ts';
import { html, type Html } from '../html.ts';

/** Pages the app has for an object, by its type. */
const objectPages: Partial<Record<string, (id: string) => string>> = {
  journey: (id) => `/app/journeys/${encodeURIComponent(id)}`,
  constituent: (id) => `/app/constituents/${encodeURIComponent(id)}`,
  task: (id) => `/app/tasks/${encodeURIComponent(id)}`,
};

/** The entry's task detail, when it is one and reads as one. */
function taskDetail(entry: AuditEntry): TaskAuditDetail | undefined {
  if (entry.objectType !== 'task') return undefined;
  const parsed = TaskAuditDetail.safeParse(entry.detail);
  return parsed.success ? parsed.data : undefined;
}

/** The object cell: its type, a link to its page (a task by its title), and its id to filter by. */
export function auditObject(entry: AuditEntry): Html {
  const page = objectPages[entry.objectType]?.(entry.objectId);
  const task = taskDetail(entry);
  const name = task ? html`“${task.title}” <span class="muted small">in ${queueName(task.queue)}</span>` : html`<code>${entry.objectId}</code>`;
  return html`${entry.objectType} ${page ? html`<a href="${page}">${name}</a>` : name}${task ? html` <code class="small">${entry.objectId}</code>` : ''}`;
}

/** The detail cell: task work in words, anything else as stored. */
export function auditDetail(entry: AuditEntry): Html | string {
  const task = taskDetail(entry);
  if (task) return taskWork(entry.action, task);
  return entry.detail ? JSON.stringify(entry.detail) : '';
}

const holder = (assignee: string | null | undefined, queue: string) => (assignee ? `${assignee} in ${queueName(queue)}` : `${queueName(queue)}, unclaimed`);

function taskWork(action: string, task: TaskAuditDetail): Html {
  const was = task.from ? html` <span class="muted">(was with ${holder(task.from.assignee, task.from.queue)})</span>` : '';
  switch (action) {
    case 'task.claimed':
      return html`Claimed for ${task.assignee ?? 'nobody named'}`;
    case 'task.released':
      return html`Released: waits in ${queueName(task.queue)}${was}`;
    case 'task.reassigned':
      return html`Handed to ${holder(task.assignee, task.queue)}${was}`;
    case 'task.escalated':
      return html`Overdue: moved to ${queueName(task.queue)}, unclaimed${was}`;
    case 'task.completed':
      return html`Outcome <strong>${task.outcome ?? 'unrecorded'}</strong>; completed by ${task.completedBy ?? 'nobody named'}${task.notes ? '; notes kept on the task' : ''}`;
    default:
      return html`${JSON.stringify(task)}`;
  }
}
