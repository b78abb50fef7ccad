/**
 * Row h: the open loop of row a against Steward scaled out, as a deployment beyond
 * one machine runs it: an API-only process (STEWARD_ROLES=api) answering the
 * POSTs, a worker process of its own enrolling and thanking, on a PostgreSQL
 * server. Its baseline is the same open loop of raw INSERTs on the same database,
 * just before, so the p99 is read against what the database alone gives at that rate.
 */
import type pg from 'pg';
import type { Api } from './gifts.ts';
import { openLoopOfGifts } from './intake.ts';
import { openLoop, type OpenLoopResult } from './load.ts';
import type { LoadOptions } from './options.ts';
import { progress } from './progress.ts';
import { createScratchTable } from './raw-insert.ts';
import type { Enrolled } from './settle.ts';

export interface SplitIntakeResults {
  steward: OpenLoopResult & { enrolled: Enrolled };
  rawInsert: OpenLoopResult;
}

/** `db` is the benchmark's pool on the stack's database; `rawPool` one sized for the raw open loop. */
export async function measureSplitIntake(api: Api, db: pg.Pool, rawPool: pg.Pool, options: LoadOptions): Promise<SplitIntakeResults> {
  const { intakeRate: rate, intakeSeconds: seconds } = options;
  const scratch = await createScratchTable(rawPool);
  try {
    progress(`split intake: raw INSERT open loop, ${rate}/s for ${seconds} s`);
    await rawPool.query('SELECT 1'); // connect outside the timed run
    const rawInsert = await openLoop(scratch.insert('h-raw'), rate, seconds);
    progress(`  raw INSERT: p50 ${rawInsert.p50Ms.toFixed(1)} ms, p99 ${rawInsert.p99Ms.toFixed(1)} ms`);

    progress(`split intake: POST /events to the API process, ${rate}/s for ${seconds} s`);
    return { steward: await openLoopOfGifts(api, db, 'split', options), rawInsert };
  } finally {
    await scratch.drop();
  }
}
