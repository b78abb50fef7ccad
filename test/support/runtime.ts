/**
 * The real parts an integration test runs journeys on, started together: the
 * Temporal time-skipping test server, a fresh database, a real SMTP server, the
 * bundled workflows. `worker()` gives a worker with Steward's real activities;
 * each worker serves one `runUntil`, so tests make one per run.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkflowBundle } from '@temporalio/worker';
import type { ActivityDependencies } from '../../activities/index.ts';
import type { Database } from '../../src/db/client.ts';
import { createMailTransport, type MailTransport } from '../../src/mail/transport.ts';
import { testServerExecutable } from '../../src/temporal/binaries.ts';
import { bundleWorkflows } from '../../src/temporal/workflow-bundle.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { createTestWorker } from './journey-worker.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';

export interface TestRuntime {
  env: TestWorkflowEnvironment;
  database: TestDatabase;
  db: Database;
  smtp: SmtpSink;
  mailer: MailTransport;
  /** A task queue of this runtime's own. */
  taskQueue: string;
  worker(extra?: Partial<ActivityDependencies>): Promise<Worker>;
  stop(): Promise<void>;
}

export async function startTestRuntime(): Promise<TestRuntime> {
  let bundle: WorkflowBundle;
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let smtp: SmtpSink;
  [env, bundle, database, smtp] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable: testServerExecutable() } }),
    bundleWorkflows(),
    createTestDatabase(),
    startSmtpSink(),
  ]);
  const db = database.prisma;
  const mailer = createMailTransport(smtp.url);
  const taskQueue = `test-${randomUUID()}`;
  return {
    env,
    database,
    db,
    smtp,
    mailer,
    taskQueue,
    worker: (extra = {}) =>
      createTestWorker({ connection: env.nativeConnection, namespace: env.namespace, taskQueue, workflowBundle: bundle, activities: { db, mailer, ...extra } }),
    async stop() {
      mailer.close();
      await Promise.all([env.teardown(), database.drop(), smtp.stop()]);
    },
  };
}
