/**
 * The services an API process runs on: the event router, the task inbox and the
 * journey lifecycle, each over the same database and Temporal client.
 */
import type { Client } from '@temporalio/client';
import type { Database } from './db/client.ts';
import { createEventRouter } from './events/router.ts';
import { createJourneyLifecycle } from './journeys/lifecycle.ts';
import { createTaskService } from './tasks/service.ts';

export interface ServiceOptions {
  db: Database;
  temporal: Client;
  taskQueue: string;
  /** How long one call to Temporal may take before the work is left for a later retry. */
  temporalTimeoutMs?: number;
}

export function createServices(options: ServiceOptions) {
  const { db, temporal, taskQueue, temporalTimeoutMs } = options;
  return {
    db,
    temporal,
    router: createEventRouter({ db, temporal, taskQueue, routeTimeoutMs: temporalTimeoutMs }),
    tasks: createTaskService({ db, temporal, signalTimeoutMs: temporalTimeoutMs }),
    lifecycle: createJourneyLifecycle({ db, temporal, signalTimeoutMs: temporalTimeoutMs }),
  };
}

export type Services = ReturnType<typeof createServices>;
