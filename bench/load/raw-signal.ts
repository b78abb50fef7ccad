/**
 * Baseline for enrollment: a bare `signalWithStart` of a trivial workflow on the
 * same Temporal server, run by its own worker (in this process) on its own task queue.
 */
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { runId } from './gifts.ts';
import type { Operation } from './load.ts';
import { pollUntil } from './progress.ts';

const workflowsPath = fileURLToPath(new URL('./trivial-workflow.ts', import.meta.url));
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) };

export interface RawSignal {
  signalWithStart(phase: string): Operation;
  /** Waits until the trivial workflows started so far have finished (bounded). */
  drain(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startRawSignal(address: string, namespace: string): Promise<RawSignal> {
  const taskQueue = `bench-raw-${runId}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const workerConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: workerConnection,
    namespace,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: silent }),
  });
  const running = worker.run();
  return {
    signalWithStart: (phase) => async (n) => {
      await client.workflow.signalWithStart('trivialWorkflow', { workflowId: `bench-raw-${runId}-${phase}-${n}`, taskQueue, signal: 'poke', signalArgs: [] });
      return 200;
    },
    async drain(timeoutMs) {
      const done = await pollUntil(
        async () => ((await client.workflow.count(`TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`)).count === 0 ? true : undefined),
        { timeoutMs, everyMs: 1_000 },
      );
      return done === true;
    },
    async stop() {
      worker.shutdown();
      await running;
      await workerConnection.close();
      await connection.close();
    },
  };
}
