/**
 * The raw part under row e: a bare Temporal worker, in a process of its own, that
 * runs only the baseline sleeper (trivial-workflow.ts) with the cache size and the
 * shared V8 context Steward's worker has, and nothing else of Steward. Started by
 * raw-sleepers.ts over IPC: it answers `ready`, then `{ asleep }` as sleepers report,
 * and shuts down on `stop`.
 *
 * Settings come from the environment: TEMPORAL_ADDRESS, BARE_TASK_QUEUE,
 * BARE_CACHED_WORKFLOWS and BARE_BUNDLE (the bundled workflow code, made by the
 * parent so this process never loads the bundler).
 */
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`bare worker: ${name} is not set`);
  return value;
};

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) };

async function main(): Promise<void> {
  Runtime.install({ logger: silent });
  let asleep = 0;
  let reported = 0;
  const report = setInterval(() => {
    if (asleep !== reported) process.send?.({ asleep: (reported = asleep) });
  }, 200);
  const connection = await NativeConnection.connect({ address: required('TEMPORAL_ADDRESS') });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: required('BARE_TASK_QUEUE'),
    workflowBundle: { codePath: required('BARE_BUNDLE') },
    activities: {
      async asleep() {
        asleep += 1;
      },
    },
    maxCachedWorkflows: Number(required('BARE_CACHED_WORKFLOWS')),
    reuseV8Context: true,
  });
  process.on('message', (message) => {
    if (message === 'stop') worker.shutdown();
  });
  // The benchmark is gone: nobody will read this worker again.
  process.on('disconnect', () => worker.shutdown());
  const running = worker.run();
  process.send?.('ready');
  await running;
  clearInterval(report);
  await connection.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
