/**
 * Row e's raw part: the resident memory of a bare Temporal worker (bare-worker.ts)
 * holding the same numbers of sleeping workflows as Steward's worker, on the same
 * Temporal server, with the same cache size. Steward's worker ÷ this is what
 * Steward adds to the SDK it stands on.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { trackDir, trackGroup } from './cleanup.ts';
import { runId } from './gifts.ts';
import { residentMemory } from './memory.ts';
import { pause, pollUntil, progress } from './progress.ts';

export interface RawSleeperPoint {
  sleepers: number;
  /** Whether every sleeper up to N had reported before the reading. */
  asleep: boolean;
  rssMb: number;
  peakMb: number;
}

export interface RawSleeperResults {
  cachedWorkflows: number;
  idleRssMb: number;
  points: RawSleeperPoint[];
}

const workflowsPath = fileURLToPath(new URL('./trivial-workflow.ts', import.meta.url));
const bareWorker = fileURLToPath(new URL('./bare-worker.ts', import.meta.url));
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) };
/** Signal-with-starts in flight at once. */
const CONCURRENCY = 16;
const SETTLE_MS = 5_000;
const STOP_GRACE_MS = 15_000;
const mb = (kb: number) => kb / 1024;

export async function measureRawSleepers(address: string, cachedWorkflows: number, sleepers: number[]): Promise<RawSleeperResults> {
  const dir = await mkdtemp(path.join(tmpdir(), 'steward-bench-bare-'));
  const untrackDir = trackDir(dir);
  const codePath = path.join(dir, 'workflows.js');
  await writeFile(codePath, (await bundleWorkflowCode({ workflowsPath, logger: silent })).code);
  const taskQueue = `bench-sleepers-${runId}`;
  const worker = await startBareWorker({ TEMPORAL_ADDRESS: address, BARE_TASK_QUEUE: taskQueue, BARE_CACHED_WORKFLOWS: String(cachedWorkflows), BARE_BUNDLE: codePath });
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace: 'default' });
    await pause(SETTLE_MS);
    const idle = await residentMemory(worker.child.pid!);
    progress(`raw sleepers: idle bare worker RSS ${mb(idle.rssKb).toFixed(0)} MB`);
    const points: RawSleeperPoint[] = [];
    let started = 0;
    for (const target of sleepers) {
      const startOne = async () => {
        while (started < target) {
          const n = (started += 1);
          await client.workflow.signalWithStart('sleepingWorkflow', { workflowId: `${taskQueue}-${n}`, taskQueue, signal: 'poke', signalArgs: [] });
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, startOne));
      const previous = points.at(-1)?.sleepers ?? 0;
      const asleep = (await pollUntil(async () => (worker.asleep >= target ? true : undefined), { timeoutMs: 120_000 + (target - previous) * 1_000 })) === true;
      await pause(SETTLE_MS);
      const memory = await residentMemory(worker.child.pid!);
      points.push({ sleepers: target, asleep, rssMb: mb(memory.rssKb), peakMb: mb(memory.peakKb) });
      progress(`  ${target} raw sleepers: bare worker RSS ${mb(memory.rssKb).toFixed(0)} MB (peak ${mb(memory.peakKb).toFixed(0)} MB)${asleep ? '' : ', not all asleep'}`);
    }
    return { cachedWorkflows, idleRssMb: mb(idle.rssKb), points };
  } finally {
    await connection.close();
    await worker.stop();
    await rm(dir, { recursive: true, force: true });
    untrackDir();
  }
}

interface BareWorker {
  child: ChildProcess;
  /** Sleepers that have reported so far. */
  readonly asleep: number;
  stop(): Promise<void>;
}

async function startBareWorker(env: Record<string, string>): Promise<BareWorker> {
  const child = fork(bareWorker, { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
  const untrack = trackGroup(child.pid!);
  let asleep = 0;
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message) => {
      if (message === 'ready') resolve();
      else if (typeof message === 'object' && message !== null && 'asleep' in message) asleep = Number(message.asleep);
    });
    child.once('exit', (code) => reject(new Error(`the bare worker exited (${code}) before it was ready`)));
  });
  await ready;
  return {
    child,
    get asleep() {
      return asleep;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.send('stop');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      untrack();
    },
  };
}
