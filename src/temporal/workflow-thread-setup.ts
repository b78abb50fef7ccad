/**
 * Starts the worker's workflow thread on Steward's script (workflow-thread.cjs),
 * which sets the thread up and then runs the Temporal SDK's own.
 *
 * The SDK creates that thread itself, with `new Worker(<its script>)` and no
 * options to change, while `Worker.create` runs. So, just for that while, the
 * worker_threads module's Worker is one that starts a thread on the SDK's
 * script on workflow-thread.cjs instead, handing it the SDK's script and the
 * setup; any other thread starts as asked.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { WorkerOptions } from 'node:worker_threads';

const require = createRequire(import.meta.url);
/** The module object itself, whose Worker the SDK reads each time it starts a thread. */
const workerThreads = require('node:worker_threads') as typeof import('node:worker_threads');

/** What the workflow thread keeps of the SDK's per-step costs (see workflow-thread.cjs). */
export interface WorkflowThreadOptions {
  /** Record the stack each promise in workflow code was made at, for Temporal's stack-trace query. */
  stackTraces: boolean;
  /** Bound each call into the workflow sandbox in time (the SDK's 5 s). */
  callTimeout: boolean;
  /** The thread's nice value on Linux, 0 (as the process) to 19 (served last); 0 unless given. */
  niceness?: number;
}

/** What workflow-thread.cjs receives as its workerData. */
export interface WorkflowThreadSetup extends WorkflowThreadOptions {
  sdkScript: string;
}

const sdkThreadScript = require.resolve('@temporalio/worker/lib/workflow/workflow-worker-thread.js');
const stewardThreadScript = fileURLToPath(new URL('./workflow-thread.cjs', import.meta.url));

/** The Worker class as the process started with it; put back after every window. */
const ProcessWorker = workerThreads.Worker;
/** Windows run one after another: two workers starting at once could not tell their threads apart. */
let previousWindow: Promise<unknown> = Promise.resolve();

/** Runs `start` (creating a Temporal worker) with its workflow thread set up as `options` say. */
export async function withWorkflowThreadSetup<T>(options: WorkflowThreadOptions, start: () => Promise<T>): Promise<T> {
  // Keeping both, at the process's priority, the thread is the SDK's own.
  if (options.stackTraces && options.callTimeout && !options.niceness) return start();
  const window = previousWindow.then(() => startWithin(options, start));
  previousWindow = window.catch(() => undefined);
  return window;
}

async function startWithin<T>(options: WorkflowThreadOptions, start: () => Promise<T>): Promise<T> {
  class SetUpWorker extends ProcessWorker {
    constructor(script: string | URL, workerOptions?: WorkerOptions) {
      if (String(script) !== sdkThreadScript) {
        super(script, workerOptions);
        return;
      }
      if (workerOptions?.workerData !== undefined) throw new Error('The Temporal SDK now hands its workflow thread data of its own; Steward cannot set that thread up');
      const workerData: WorkflowThreadSetup = { ...options, sdkScript: sdkThreadScript };
      super(stewardThreadScript, { ...workerOptions, workerData });
    }
  }
  workerThreads.Worker = SetUpWorker;
  try {
    return await start();
  } finally {
    workerThreads.Worker = ProcessWorker;
  }
}
