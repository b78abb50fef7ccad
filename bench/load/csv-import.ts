/**
 * Row f: `steward events import` of a CSV of past gifts, run as a user runs it,
 * against a stack of its own. Measured: seconds until the command exits (every
 * row stored), stored rows/s against raw INSERT on the same database just before,
 * seconds until every imported event is routed, and the command's peak RSS.
 *
 * The gifts are 30 days old: a journey's trigger ignores events older than its
 * `trigger.within` (7 days by default), so routing decides and enrolls nobody.
 * An import of fresh gifts is bounded by enrollment throughput (rows a and e).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { ConfigSchema } from '../../src/config.ts';
import { atCleanup, trackDir, trackGroup } from './cleanup.ts';
import { giftCsv, phasePattern, type Api } from './gifts.ts';
import { closedLoop } from './load.ts';
import { samplePeakMemory } from './memory.ts';
import type { LoadOptions } from './options.ts';
import { pollUntil, progress } from './progress.ts';
import { createScratchTable } from './raw-insert.ts';
import type { StewardStack } from './stack.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const PHASE = 'csv';
const GIFT_AGE_DAYS = 30;
const SAMPLE_EVERY_MS = 150;

export interface CsvImportResults {
  rows: number;
  occurredAt: string;
  /** Seconds from starting the command until it exited, every row stored. */
  storedSeconds: number;
  stored: number;
  storedPerSecond: number;
  /** Raw INSERT … ON CONFLICT DO NOTHING, 1 caller, on the same database just before. */
  rawInsertPerSecond: number;
  /** Seconds from starting the command until every imported event was routed; undefined if not in time. */
  routedSeconds?: number;
  routed: number;
  /**
   * Peak resident memory of the command, summed over its processes, and how many it ran at most: one Node
   * process, plus tsx's esbuild service when tsx compiles files its cache does not hold.
   */
  peakRssMb: number;
  processes: number;
}

export async function measureCsvImport(stack: StewardStack, api: Api, db: pg.Pool, options: LoadOptions): Promise<CsvImportResults> {
  const rawInsertPerSecond = await rawInsertRate(db, options.closedSeconds);
  const occurredAt = new Date(Date.now() - GIFT_AGE_DAYS * 86_400_000);
  const dir = await mkdtemp(path.join(tmpdir(), 'steward-bench-csv-'));
  const untrackDir = trackDir(dir);
  const removeDir = async () => {
    await rm(dir, { recursive: true, force: true });
    untrackDir();
  };
  const unregister = atCleanup(`remove ${dir}`, removeDir);
  try {
    const file = path.join(dir, 'gifts.csv');
    await writeFile(file, giftCsv(PHASE, options.importRows, occurredAt));
    progress(`steward events import: ${options.importRows} gifts of ${occurredAt.toISOString().slice(0, 10)} (${GIFT_AGE_DAYS} days old)`);
    const started = performance.now();
    const command = await runImport(file, api, stack.dataDir);
    const storedSeconds = command.seconds;
    const counted = await importCounts(db);
    progress(`  stored ${counted.events} in ${storedSeconds.toFixed(1)} s (peak RSS ${command.peakRssMb.toFixed(0)} MB over ${command.processes} process${command.processes === 1 ? '' : 'es'}); waiting for routing`);
    const routingTimeoutMs = Math.max(120, options.importRows / 20) * 1000;
    const routed = await pollUntil(
      async () => {
        const now = await importCounts(db);
        return now.routed >= options.importRows ? now : undefined;
      },
      { timeoutMs: routingTimeoutMs, everyMs: 1000 },
    );
    const routedSeconds = routed ? (performance.now() - started) / 1000 : undefined;
    const finalRouted = routed?.routed ?? (await importCounts(db)).routed;
    progress(routedSeconds === undefined ? `  ${finalRouted} of ${options.importRows} routed after ${routingTimeoutMs / 1000} s; going on` : `  all routed ${routedSeconds.toFixed(1)} s after the command started`);
    return {
      rows: options.importRows,
      occurredAt: occurredAt.toISOString(),
      storedSeconds,
      stored: counted.events,
      storedPerSecond: counted.events / storedSeconds,
      rawInsertPerSecond,
      routedSeconds,
      routed: finalRouted,
      peakRssMb: command.peakRssMb,
      processes: command.processes,
    };
  } finally {
    await removeDir();
    unregister();
  }
}

/** The baseline: raw INSERT, a closed loop of 1 caller into a scratch table on the same database. */
async function rawInsertRate(db: pg.Pool, seconds: number): Promise<number> {
  const scratch = await createScratchTable(db);
  try {
    const load = await closedLoop(scratch.insert('csv'), 1, seconds);
    progress(`  raw INSERT c=1: ${load.perSecond.toFixed(1)}/s`);
    return load.perSecond;
  } finally {
    await scratch.drop();
  }
}

async function importCounts(db: pg.Pool): Promise<{ events: number; routed: number }> {
  const { rows } = await db.query<{ events: string; routed: string }>(
    `SELECT count(*) AS events, count(routed_at) AS routed FROM interaction_event WHERE idempotency_key LIKE $1`,
    [phasePattern(PHASE)],
  );
  return { events: Number(rows[0]?.events ?? 0), routed: Number(rows[0]?.routed ?? 0) };
}

/** Runs `node bin/steward.js events import <file>` against the stack's API; resolves when it exits 0. */
async function runImport(file: string, api: Api, dataDir: string): Promise<{ seconds: number; peakRssMb: number; processes: number }> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !(key in ConfigSchema.shape)) env[key] = value;
  Object.assign(env, { STEWARD_API_URL: api.url, STEWARD_API_KEY: api.key, STEWARD_DATA_DIR: dataDir });
  const started = performance.now();
  const child = spawn(process.execPath, ['bin/steward.js', 'events', 'import', file], { cwd: projectRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid!;
  const untrack = trackGroup(pid);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const sampler = samplePeakMemory(pid, SAMPLE_EVERY_MS);
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  try {
    const [code, signal] = await exited;
    const seconds = (performance.now() - started) / 1000;
    const memory = await sampler.stop();
    if (code !== 0) throw new Error(`steward events import exited (${code ?? signal}):\n${output.split(/[\r\n]+/).slice(-15).join('\n')}`);
    return { seconds, peakRssMb: memory.peakKb / 1024, processes: memory.processes };
  } finally {
    await sampler.stop();
    untrack();
  }
}
