/** `steward tasks …`: the staff task inbox from a terminal, through the running Steward's API. */
import { parseArgs } from 'node:util';
import type { StaffTask } from '../db/client.ts';
import type { ApiClient } from './api-client.ts';
import type { Output } from './output.ts';

export const TASKS_USAGE = `Tasks:
  steward tasks list [--queue <queue>] [--status open|claimed|completed|cancelled] [--assignee <name>] [--json]
  steward tasks claim <task id> --as <name>
  steward tasks complete <task id> --outcome <outcome> [--by <name>]`;

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
    case 'complete': {
      const { positionals, values } = parseArgs({ args: rest, allowPositionals: true, options: { outcome: { type: 'string' }, by: { type: 'string' } } });
      if (positionals.length !== 1 || !values.outcome) throw new TasksUsageError('complete needs a task id and --outcome <outcome>');
      const { body } = await api.request<{ task: StaffTask; outcome: 'delivered' | 'pending' }>(
        'POST',
        `/tasks/${encodeURIComponent(positionals[0]!)}/complete`,
        { outcome: values.outcome, ...(values.by ? { by: values.by } : {}) },
      );
      output.out.write(
        `Completed ${body.task.id} with outcome "${body.task.outcome}"; ${body.outcome === 'delivered' ? 'the journey has it' : 'the journey gets it as soon as Temporal answers'}.\n`,
      );
      return 0;
    }
    default:
      throw new TasksUsageError(command ? `unknown tasks command "${command}"` : 'which tasks command?');
  }
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
