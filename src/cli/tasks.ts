/** `steward tasks …`: the staff task inbox from a terminal, through the running Steward's API. */
import { parseArgs } from 'node:util';
import type { StaffTask } from '../db/client.ts';
import type { TaskCard } from '../tasks/card.ts';
import type { ApiClient } from './api-client.ts';
import type { Output } from './output.ts';

export const TASKS_USAGE = `Tasks:
  steward tasks list [--queue <queue>] [--status open|claimed|completed|cancelled] [--assignee <name>] [--json]
  steward tasks show <task id> [--json]
  steward tasks claim <task id> --as <name>
  steward tasks release <task id>
  steward tasks reassign <task id> [--to <name>] [--queue <queue>]
  steward tasks complete <task id> --outcome <outcome> [--notes <text>] [--by <name>]   (without --by, the key's holder is recorded)`;

export class TasksUsageError extends Error {}

export async function tasksCommand(args: string[], output: Output, api: ApiClient): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'list': {
      const { values } = parseArgs({
        args: rest,
        options: { queue: { type: 'string' }, status: { type: 'string' }, assignee: { type: 'string' }, json: { type: 'boolean', default: false } },
      });
      const query = new URLSearchParams();
      for (const key of ['queue', 'status', 'assignee'] as const) if (values[key]) query.set(key, values[key]);
      const { body } = await api.request<{ tasks: StaffTask[] }>('GET', `/tasks${query.size ? `?${query}` : ''}`);
      if (values.json) {
        output.out.write(`${JSON.stringify(body.tasks, null, 2)}\n`);
      } else if (body.tasks.length === 0) {
        output.out.write('No tasks.\n');
      } else {
        output.out.write(formatTasks(body.tasks));
      }
      return 0;
    }
    case 'claim': {
      const { positionals, values } = parseArgs({ args: rest, allowPositionals: true, options: { as: { type: 'string' } } });
      if (positionals.length !== 1 || !values.as) throw new TasksUsageError('claim needs a task id and --as <name>');
      const { body } = await api.request<StaffTask>('POST', `/tasks/${encodeURIComponent(positionals[0]!)}/claim`, { assignee: values.as });
      output.out.write(`Claimed ${body.id} for ${body.assignee}: ${body.title}\n`);
      return 0;
    }
    case 'show': {
      const { positionals, values } = parseArgs({ args: rest, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
      if (positionals.length !== 1) throw new TasksUsageError('show needs a task id');
      const { body } = await api.request<ShownTask>('GET', `/tasks/${encodeURIComponent(positionals[0]!)}`);
      output.out.write(values.json ? `${JSON.stringify(body, null, 2)}\n` : formatTask(body));
      return 0;
    }
    case 'release': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
      if (positionals.length !== 1) throw new TasksUsageError('release needs a task id');
      const { body } = await api.request<StaffTask>('POST', `/tasks/${encodeURIComponent(positionals[0]!)}/release`);
      output.out.write(`Released ${body.id}: it waits in ${body.queue} again.\n`);
      return 0;
    }
    case 'reassign': {
      const { positionals, values } = parseArgs({ args: rest, allowPositionals: true, options: { to: { type: 'string' }, queue: { type: 'string' } } });
      if (positionals.length !== 1 || (!values.to && !values.queue)) throw new TasksUsageError('reassign needs a task id and --to <name>, --queue <queue> or both');
      const { body } = await api.request<StaffTask>('POST', `/tasks/${encodeURIComponent(positionals[0]!)}/reassign`, {
        ...(values.to ? { assignee: values.to } : {}),
        ...(values.queue ? { queue: values.queue } : {}),
      });
      output.out.write(`Reassigned ${body.id}: ${body.assignee ? `held by ${body.assignee} in ${body.queue}` : `waiting in ${body.queue}`}.\n`);
      return 0;
    }
    case 'complete': {
      const { positionals, values } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { outcome: { type: 'string' }, by: { type: 'string' }, notes: { type: 'string' } },
      });
      if (positionals.length !== 1 || !values.outcome) throw new TasksUsageError('complete needs a task id and --outcome <outcome>');
      const { body } = await api.request<{ task: StaffTask; outcome: 'delivered' | 'pending' }>(
        'POST',
        `/tasks/${encodeURIComponent(positionals[0]!)}/complete`,
        { outcome: values.outcome, ...(values.by ? { by: values.by } : {}), ...(values.notes ? { notes: values.notes } : {}) },
      );
      output.out.write(
        `Completed ${body.task.id} with outcome "${body.task.outcome}" by ${body.task.completedBy}; ${body.outcome === 'delivered' ? 'the journey has it' : 'the journey gets it as soon as Temporal answers'}.\n`,
      );
      return 0;
    }
    default:
      throw new TasksUsageError(command ? `unknown tasks command "${command}"` : 'which tasks command?');
  }
}

type ShownTask = StaffTask & { card: TaskCard };

/** One task and what it is for, as lines a person reads (times in UTC, as the list shows them). */
function formatTask(task: ShownTask): string {
  const { card } = task;
  const lines = [
    `${task.title} (${task.id})`,
    `queue ${task.queue}, ${task.status}${task.assignee ? ` (${task.assignee})` : ''}${task.dueAt ? `, due ${String(task.dueAt)}` : ''}`,
    card.constituent ? `constituent: ${card.constituent.name}${card.constituent.phone ? `, ${card.constituent.phone}` : ''}${card.constituent.email ? `, ${card.constituent.email}` : ''}` : '',
    card.cause ? `because: ${card.cause.type}${card.cause.amount ? ` ${card.cause.amount} ${card.cause.currency ?? ''}` : ''} on ${String(card.cause.occurredAt)}` : '',
    ...card.giving.map((row) => `giving (${row.currency ?? '?'}): ${row.count} gifts, ${row.lifetime} in all, ${row.thisYear} this year`),
    task.status === 'completed' ? `completed with "${task.outcome}" by ${task.completedBy ?? 'unrecorded'} at ${String(task.completedAt)}` : '',
    task.notes ? `notes: ${task.notes}` : '',
  ];
  return `${lines.filter(Boolean).join('\n')}\n`;
}

function formatTasks(tasks: StaffTask[]): string {
  const rows = tasks.map((task) => [
    task.id,
    task.queue,
    task.status === 'claimed' ? `claimed by ${task.assignee}` : task.status,
    task.dueAt ? `${new Date(task.dueAt).toISOString().slice(0, 16).replace('T', ' ')}${new Date(task.dueAt).getTime() < Date.now() && task.status !== 'completed' ? ' OVERDUE' : ''}` : '-',
    task.title,
  ]);
  const header = ['id', 'queue', 'status', 'due (UTC)', 'title'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
