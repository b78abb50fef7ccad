/**
 * The worker role: the Temporal worker that runs enrollments and their activities,
 * the drop-off watch and the upkeep schedules.
 */
import { NativeConnection, type Worker } from '@temporalio/worker';
import { startWatching } from '../events/drop-offs.ts';
import { createEventRouter } from '../events/router.ts';
import { taskQueueIds } from '../tasks/queues.ts';
import { ensureUpkeepSchedules } from '../temporal/schedules.ts';
import { limitHeapGrowth } from '../temporal/worker-heap.ts';
import { bundleWorkflows } from '../temporal/workflow-bundle.ts';
import { createJourneyWorker, workerTuning } from '../worker.ts';
import { dropOffSettings, type RoleContext } from './context.ts';

export async function startWorkerRole(context: RoleContext): Promise<void> {
  const { config, db, temporal, temporalAddress, mailer, messaging, onFatal, stops } = context;
  limitHeapGrowth(config.STEWARD_WORKER_HEAP_GROWTH_PERCENT);
  const workerConnection = await NativeConnection.connect({ address: temporalAddress });
  stops.push(() => workerConnection.close());
  const worker = await createJourneyWorker({
    connection: workerConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundle: await bundleWorkflows(),
    tuning: workerTuning(config),
    activities: {
      db,
      mailer,
      mailFrom: config.MAIL_FROM,
      taskQueueEmails: config.STEWARD_TASK_QUEUE_EMAILS,
      router: createEventRouter({ db, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE }),
      messaging,
      webhooks: { requestTimeoutMs: config.STEWARD_WEBHOOK_TIMEOUT_SECONDS * 1_000, allowPrivateNetworks: config.STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS },
    },
  });
  stops.push(runUntilStopped(worker, onFatal));
  if (!taskQueueIds.has(config.STEWARD_TASK_ESCALATION_QUEUE)) {
    throw new Error(`STEWARD_TASK_ESCALATION_QUEUE names "${config.STEWARD_TASK_ESCALATION_QUEUE}", which is not a task queue (${[...taskQueueIds].join(', ')})`);
  }
  // Drop-off scans count silences from here on (or from STEWARD_WATCH_FROM): history loaded later flags no one.
  await startWatching(db, config.STEWARD_WATCH_FROM ? new Date(config.STEWARD_WATCH_FROM) : undefined);
  await ensureUpkeepSchedules(temporal, {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    dropOffs: dropOffSettings(config),
    escalationQueue: config.STEWARD_TASK_ESCALATION_QUEUE,
  });
}

/** Runs the worker in the background; the returned stop drains it and waits for it to finish. */
function runUntilStopped(worker: Worker, onFatal: (error: unknown) => void): () => Promise<void> {
  let stopping = false;
  const running = worker.run().then(
    () => {
      if (!stopping) onFatal(new Error('The Temporal worker stopped unexpectedly'));
    },
    (error: unknown) => onFatal(error),
  );
  return async () => {
    stopping = true;
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
}
