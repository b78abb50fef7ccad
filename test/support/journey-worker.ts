/**
 * Steward's own worker for tests: made by `createJourneyWorker` with the default
 * settings, as the worker role makes it, so a test runs what production runs (the
 * failure scrub, the workflow thread and its heap bound) and cannot drift from it.
 */
import type { NativeConnection, Worker, WorkflowBundle } from '@temporalio/worker';
import type { ActivityDependencies } from '../../activities/index.ts';
import { loadConfig } from '../../src/config.ts';
import { bundleWorkflows } from '../../src/temporal/workflow-bundle.ts';
import { createJourneyWorker, workerTuning } from '../../src/worker.ts';

export const TEST_MAIL_FROM = 'Steward <hello@steward.localhost>';

export interface TestWorkerOptions {
  connection: NativeConnection;
  taskQueue: string;
  /** Steward's workflows, bundled once by the caller when it makes many workers; bundled here otherwise. */
  workflowBundle?: WorkflowBundle;
  /** `mailFrom` defaults to the quickstart's sender. */
  activities: Omit<ActivityDependencies, 'mailFrom'> & { mailFrom?: string };
  namespace?: string;
}

export async function createTestWorker(options: TestWorkerOptions): Promise<Worker> {
  return createJourneyWorker({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue,
    workflowBundle: options.workflowBundle ?? (await bundleWorkflows()),
    activities: { mailFrom: TEST_MAIL_FROM, ...options.activities },
    tuning: workerTuning(loadConfig({})),
  });
}
