/**
 * Row e: the worker's resident memory while it holds N sleeping enrollments. The
 * worker runs as its own process (STEWARD_ROLES=worker) beside an API-only one, on
 * the same database and Temporal; constituents are enrolled in batches up to each
 * N, and the worker's VmRSS is read once every thank-you is sent and the
 * enrollments wait out their 30-day window.
 */
import type pg from 'pg';
import type { RawSleeperResults } from './raw-sleepers.ts';
import { postGiftBatch, type Api } from './gifts.ts';
import { pause, progress } from './progress.ts';
import { awaitThanked } from './settle.ts';
import { residentMemory } from './memory.ts';
import type { StewardProcess } from './stack.ts';

export interface SleeperPoint {
  sleepers: number;
  /** Whether every enrollment up to N was thanked (asleep) before the reading. */
  asleep: boolean;
  enrollSeconds: number;
  workerRssMb: number;
  workerPeakMb: number;
  apiRssMb: number;
}

export interface SleeperResults {
  /** `own process` (STEWARD_ROLES=worker) or `with the API` (one process, on embedded PGlite). */
  workerProcess?: 'own process' | 'with the API';
  idleWorkerRssMb: number;
  points: SleeperPoint[];
  /** A bare Temporal worker holding as many sleeping workflows, on the same server. */
  raw?: RawSleeperResults;
}

const BATCH = 500;
const SETTLE_MS = 5_000;
const mb = (kb: number) => kb / 1024;

export async function measureSleepers(api: Api, db: pg.Pool, worker: StewardProcess, apiProcess: StewardProcess, sleepers: number[]): Promise<SleeperResults> {
  const phase = 'sleep';
  const idle = await residentMemory(worker.pid);
  progress(`sleepers: idle worker RSS ${mb(idle.rssKb).toFixed(0)} MB`);
  const points: SleeperPoint[] = [];
  let enrolled = 0;
  for (const target of sleepers) {
    progress(`sleepers: enrolling up to ${target}`);
    const started = performance.now();
    while (enrolled < target) {
      const size = Math.min(BATCH, target - enrolled);
      enrolled += await postGiftBatch(api, phase, enrolled, size);
    }
    const asleep = (await awaitThanked(db, phase, target, 120_000 + (target - (points.at(-1)?.sleepers ?? 0)) * 1_000, `${target} sleepers`)) !== undefined;
    const enrollSeconds = (performance.now() - started) / 1000;
    await pause(SETTLE_MS);
    const memory = await residentMemory(worker.pid);
    const apiMemory = await residentMemory(apiProcess.pid);
    points.push({ sleepers: target, asleep, enrollSeconds, workerRssMb: mb(memory.rssKb), workerPeakMb: mb(memory.peakKb), apiRssMb: mb(apiMemory.rssKb) });
    progress(`  ${target} sleeping: worker RSS ${mb(memory.rssKb).toFixed(0)} MB (peak ${mb(memory.peakKb).toFixed(0)} MB) after ${enrollSeconds.toFixed(0)} s`);
  }
  return { idleWorkerRssMb: mb(idle.rssKb), points };
}
