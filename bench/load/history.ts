/**
 * Row d: what one enrollment costs Temporal. The history of a few sleeping
 * first-gift enrollments (thanked, waiting out the 30-day window): events in all,
 * workflow tasks completed, and each kind of event.
 */
import { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { phaseWorkflowIds } from './database.ts';
import { postGift, type Api } from './gifts.ts';
import { pause, progress } from './progress.ts';
import { awaitThanked } from './settle.ts';

export interface HistoryResults {
  enrollments: number;
  events: { mean: number; min: number; max: number };
  workflowTasks: { mean: number; min: number; max: number };
  /** Event kinds (e.g. activityTaskScheduled) and their mean count per enrollment. */
  kinds: Record<string, number>;
}

export async function measureHistory(api: Api, db: pg.Pool, temporalAddress: string, count: number): Promise<HistoryResults> {
  const phase = 'hist';
  progress(`history: ${count} gifts, then their workflow histories`);
  const post = postGift(api, phase);
  for (let n = 0; n < count; n += 1) {
    const status = await post(n);
    if (status !== 202) throw new Error(`POST /events answered ${status}`);
  }
  if ((await awaitThanked(db, phase, count, 120_000)) === undefined) throw new Error(`the ${count} history gifts were not all thanked within 120 s`);
  await pause(2_000); // the workflow task after the send settles into its timer
  const workflowIds = await phaseWorkflowIds(db, phase, count);
  const connection = await Connection.connect({ address: temporalAddress });
  try {
    const client = new Client({ connection });
    const perEnrollment = await Promise.all(
      workflowIds.map(async (workflowId) => {
        const history = await client.workflow.getHandle(workflowId).fetchHistory();
        const kinds: Record<string, number> = {};
        for (const event of history.events ?? []) {
          const kind = Object.keys(event).find((key) => key.endsWith('EventAttributes') && (event as Record<string, unknown>)[key] != null)?.replace(/EventAttributes$/, '') ?? 'unknown';
          kinds[kind] = (kinds[kind] ?? 0) + 1;
        }
        return { events: history.events?.length ?? 0, workflowTasks: kinds.workflowTaskCompleted ?? 0, kinds };
      }),
    );
    if (perEnrollment.length === 0) throw new Error('no enrollment to read the history of');
    const stats = (values: number[]) => ({ mean: values.reduce((a, b) => a + b, 0) / values.length, min: Math.min(...values), max: Math.max(...values) });
    const kinds: Record<string, number> = {};
    for (const one of perEnrollment) for (const [kind, n] of Object.entries(one.kinds)) kinds[kind] = (kinds[kind] ?? 0) + n / perEnrollment.length;
    return {
      enrollments: perEnrollment.length,
      events: stats(perEnrollment.map((one) => one.events)),
      workflowTasks: stats(perEnrollment.map((one) => one.workflowTasks)),
      kinds,
    };
  } finally {
    await connection.close();
  }
}
