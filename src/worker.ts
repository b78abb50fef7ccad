/** The Temporal worker that runs enrollment workflows and their activities. */
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../activities/index.ts';
import type { Config } from './config.ts';
import { scrubActivityFailures } from './temporal/scrubbed-failures.ts';
import { withThreadHeapBound, workflowHeapMb } from './temporal/worker-heap.ts';
import { withWorkflowThreadSetup, type WorkflowThreadOptions } from './temporal/workflow-thread-setup.ts';

export interface JourneyWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  workflowBundle: WorkflowBundle;
  activities: ActivityDependencies;
  tuning: WorkerTuning;
}

/**
 * Every performance option set on purpose (the SDK's defaults suit development):
 * a bounded cache keeps memory flat however many enrollments sleep; one shared V8
 * context for all workflows saves most of the memory and CPU of one per workflow.
 */
export interface WorkerTuning {
  maxCachedWorkflows: number;
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentActivityTaskExecutions: number;
  maxConcurrentLocalActivityExecutions: number;
  /** MB of heap the workflow thread may grow to (see temporal/worker-heap.ts); undefined: V8's default. */
  workflowHeapMb?: number;
  /** What the workflow thread keeps of the SDK's per-step costs (see temporal/workflow-thread.cjs). */
  workflowThread: WorkflowThreadOptions;
}

/** The tuning the settings ask for (see config.ts for each setting's reasons). */
export function workerTuning(config: Config): WorkerTuning {
  return {
    maxCachedWorkflows: config.STEWARD_WORKER_CACHED_WORKFLOWS,
    maxConcurrentWorkflowTaskExecutions: config.STEWARD_WORKER_WORKFLOW_TASKS,
    maxConcurrentActivityTaskExecutions: config.STEWARD_WORKER_ACTIVITIES,
    maxConcurrentLocalActivityExecutions: config.STEWARD_WORKER_LOCAL_ACTIVITIES,
    workflowHeapMb: config.STEWARD_WORKER_WORKFLOW_HEAP_MB ?? workflowHeapMb(config.STEWARD_WORKER_CACHED_WORKFLOWS),
    workflowThread: {
      stackTraces: config.STEWARD_WORKFLOW_STACK_TRACES,
      callTimeout: config.STEWARD_WORKFLOW_CALL_TIMEOUT,
      niceness: config.STEWARD_WORKFLOW_THREAD_NICE,
    },
  };
}

/**
 * Steward's worker, and the only way to make one: tests and the worker role alike,
 * so a test never passes on a worker that lacks what production sets up (the
 * failure scrub, the workflow thread, its heap bound).
 */
export function createJourneyWorker(options: JourneyWorkerOptions): Promise<Worker> {
  const { workflowHeapMb, workflowThread, ...tuning } = options.tuning;
  return withThreadHeapBound(workflowHeapMb, () =>
    withWorkflowThreadSetup(workflowThread, () =>
      Worker.create({
        connection: options.connection,
        namespace: options.namespace,
        taskQueue: options.taskQueue,
        workflowBundle: options.workflowBundle,
        activities: createActivities(options.activities),
        interceptors: { activity: [scrubActivityFailures] },
        reuseV8Context: true,
        ...tuning,
        // The cache must hold at least the workflows being worked on at once.
        maxConcurrentWorkflowTaskExecutions: Math.min(tuning.maxConcurrentWorkflowTaskExecutions, tuning.maxCachedWorkflows),
      }),
    ),
  );
}
