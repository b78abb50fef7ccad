/**
 * What the worker's workflow thread spends on an enrollment's workflow code, with
 * and without the Temporal SDK's per-step costs Steward can turn off (see
 * src/temporal/workflow-thread.cjs): replays of a recorded enrollment history, on
 * a worker whose workflow thread is set up each way in turn, alternated round by
 * round in one process. A replay runs every step of the enrollment's workflow code
 * (it is also what a worker does when an evicted enrollment wakes), without the
 * Temporal server or the database.
 *
 *   npx tsx bench/workflow-replay.ts [replays per round] [rounds]
 *
 * Reports the process's processor time per replay (main and workflow thread) and
 * the wall time, for the SDK's own thread and for Steward's settings.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { bundleWorkflows } from '../src/temporal/workflow-bundle.ts';
import { withWorkflowThreadSetup, type WorkflowThreadOptions } from '../src/temporal/workflow-thread-setup.ts';

const { History } = proto.temporal.api.history.v1;
const [replays = 300, rounds = 3] = process.argv.slice(2).map(Number);
const historyFile = fileURLToPath(new URL('../test/fixtures/workflow-histories/2026-12-simultaneity/first-gift-completed.history.bin', import.meta.url));

const variants: { name: string; options: WorkflowThreadOptions }[] = [
  { name: "the SDK's thread", options: { stackTraces: true, callTimeout: true } },
  { name: 'no promise stacks', options: { stackTraces: false, callTimeout: true } },
  { name: 'neither', options: { stackTraces: false, callTimeout: false } },
];

async function replayAll(bundle: WorkflowBundle, history: ReturnType<typeof History.decode>, options: WorkflowThreadOptions): Promise<{ processorMs: number; wallMs: number }> {
  async function* copies() {
    for (let n = 0; n < replays; n += 1) yield { history, workflowId: `replay-${n}` };
  }
  const processorBefore = process.cpuUsage();
  const started = performance.now();
  // A replay worker runs its workflows on the main thread unless told otherwise
  // (ReplayWorkerOptions does not list debugMode, but the SDK reads it): here they
  // run in a workflow thread, as a worker's enrollments do.
  const replayOptions = { workflowBundle: bundle, reuseV8Context: true, debugMode: false } as Parameters<typeof Worker.runReplayHistories>[0];
  await withWorkflowThreadSetup(options, async () => {
    for await (const result of Worker.runReplayHistories(replayOptions, copies())) {
      if (result.error) throw result.error;
    }
  });
  const processor = process.cpuUsage(processorBefore);
  return { processorMs: (processor.user + processor.system) / 1000 / replays, wallMs: (performance.now() - started) / replays };
}

Runtime.install({ logger: new DefaultLogger('WARN') });
const bundle = await bundleWorkflows();
const history = History.decode(await readFile(historyFile));
console.error(`${replays} replays of ${history.events.length} history events per round, ${rounds} rounds (one warm-up)`);
for (const { options } of variants) await replayAll(bundle, history, options);
const results = new Map(variants.map(({ name }) => [name, [] as { processorMs: number; wallMs: number }[]]));
for (let round = 0; round < rounds; round += 1) {
  for (const { name, options } of variants) {
    const result = await replayAll(bundle, history, options);
    results.get(name)!.push(result);
    console.error(`round ${round + 1}: ${name.padEnd(18)} ${result.processorMs.toFixed(2)} ms of processor, ${result.wallMs.toFixed(2)} ms wall per replay`);
  }
}
const range = (values: number[]) => `${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}`;
console.log('| workflow thread | processor per replay (ms) | wall per replay (ms) |');
console.log('| --- | --- | --- |');
for (const [name, rows] of results) console.log(`| ${name} | ${range(rows.map((row) => row.processorMs))} | ${range(rows.map((row) => row.wallMs))} |`);
