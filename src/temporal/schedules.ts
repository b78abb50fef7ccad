/**
 * Steward's scheduled upkeep as Temporal Schedules: drop-off detection daily,
 * task escalation hourly, and each January the year-end giving statements. Created at start-up, and updated when their settings
 * change, so any number of processes starting at once agree on one set.
 */
import { ScheduleAlreadyRunning, type Client, type ScheduleOptions } from '@temporalio/client';
import type { DropOffKind, DropOffSettings } from '../events/drop-offs.ts';

export interface UpkeepSettings {
  taskQueue: string;
  dropOffs: DropOffSettings;
  /** Queue overdue tasks move to. */
  escalationQueue: string;
}

/** The schedules Steward keeps, by id. */
export function upkeepSchedules(settings: UpkeepSettings): ScheduleOptions[] {
  const scan = (kind: DropOffKind, minute: number): ScheduleOptions => ({
    scheduleId: `steward-drop-off-${kind}`,
    spec: { cronExpressions: [`${minute} 6 * * *`] },
    action: {
      type: 'startWorkflow',
      workflowType: 'dropOffScanWorkflow',
      workflowId: `steward-drop-off-${kind}`,
      taskQueue: settings.taskQueue,
      args: [{ kind, settings: settings.dropOffs }],
    },
    policies: { catchupWindow: '1 day' },
  });
  return [
    scan('lapsed', 0),
    scan('no-show', 10),
    scan('recurring-failed', 20),
    scan('unengaged', 30),
    {
      scheduleId: 'steward-task-escalation',
      spec: { intervals: [{ every: '1 hour' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'taskEscalationWorkflow',
        workflowId: 'steward-task-escalation',
        taskQueue: settings.taskQueue,
        args: [{ fallbackQueue: settings.escalationQueue }],
      },
      policies: { catchupWindow: '1 hour' },
    },
    {
      // 2 January, 14:00 UTC: every time zone's year has ended and late December gifts have arrived.
      scheduleId: 'steward-year-end-statement',
      spec: { cronExpressions: ['0 14 2 1 *'] },
      action: {
        type: 'startWorkflow',
        workflowType: 'yearEndStatementWorkflow',
        workflowId: 'steward-year-end-statement',
        taskQueue: settings.taskQueue,
        args: [{}],
      },
      policies: { catchupWindow: '7 days' },
    },
  ];
}

/** Creates each schedule, or brings an existing one up to date. */
export async function ensureUpkeepSchedules(client: Client, settings: UpkeepSettings): Promise<string[]> {
  const ids: string[] = [];
  for (const options of upkeepSchedules(settings)) {
    try {
      await client.schedule.create(options);
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await client.schedule.getHandle(options.scheduleId).update((previous) => ({
        ...previous,
        spec: options.spec,
        action: { ...previous.action, ...options.action } as typeof previous.action,
        policies: { ...previous.policies, catchupWindow: options.policies?.catchupWindow ?? previous.policies.catchupWindow },
      }));
    }
    ids.push(options.scheduleId);
  }
  return ids;
}
