/**
 * Crashes and outages on the real Temporal dev server: a worker process killed in
 * the middle of sending, and a Temporal server down while events arrive. Nothing is
 * sent twice, nothing is lost, and events reach journeys in the order they happened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.ts';
import type { Database } from '../../src/db/client.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { createMailTransport } from '../../src/mail/transport.ts';
import { createServices, type Services } from '../../src/services.ts';
import { findTemporalCli } from '../../src/temporal/binaries.ts';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/temporal/devServer.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { eventually } from '../support/wait.ts';
import { injectWithKey, makeKey, routed } from '../support/api.ts';
import { createTestWorker } from '../support/journey-worker.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const cliPath = findTemporalCli({ STEWARD_TEMPORAL_CLI: process.env.STEWARD_TEMPORAL_CLI || undefined })!;

let dir: string;
let database: TestDatabase;
let db: Database;
let temporalServer: TemporalDevServer;
let connection: Connection;
let services: Services;
let api: FastifyInstance;
let call: ReturnType<typeof injectWithKey>;
const children: ChildProcess[] = [];

async function startTemporal(port = 0) {
  return startTemporalDevServer({ cliPath, dbFile: path.join(dir, 'temporal.sqlite'), port, uiPort: 0, namespace: 'default', log: () => {} });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'steward-resilience-'));
  [database, temporalServer] = await Promise.all([createTestDatabase(), startTemporal()]);
  db = database.prisma;
  await publishJourneyCatalog(db, await loadJourneyCatalog());
  connection = await Connection.connect({ address: temporalServer.address });
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  await api?.close();
  await connection?.close();
  await temporalServer?.stop();
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

/** A Steward worker process (`npm start` with only the worker role), in its own process group. */
async function startWorkerProcess(taskQueue: string, smtpUrl: string): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STEWARD_ROLES: 'worker',
    STEWARD_DATA_DIR: path.join(dir, `worker-${children.length}`),
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: temporalServer.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    SMTP_URL: smtpUrl,
    // The run may fall at any hour; the send window has its own tests.
    STEWARD_SEND_WINDOW: '00:00-24:00',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: projectRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('[steward] ready')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready:\n${output}`)));
  });
  return child;
}

async function donate(email: string, id = randomUUID()) {
  const response = await call({
    method: 'POST',
    url: '/events',
    payload: { id, type: 'donation', constituent: { email, firstName: 'Ada', consent: { email: 'granted' } }, data: { amount: 25, currency: 'USD' } },
  });
  return response;
}

describe('resilience', () => {
  // A worker in a process of its own needs a database server: PGlite is one session, and
  // a second process's connection could receive the first one's rows (see README).
  it.skipIf(!process.env.DATABASE_URL)('sends every message exactly once when a worker is killed in the middle of sending', { timeout: 360_000 }, async () => {
    const taskQueue = `crash-${randomUUID()}`;
    services = createServices({ db, temporal: new Client({ connection }), taskQueue });
    api = buildApi(services);
    call = injectWithKey(api, await makeKey(services.keys));
    let receiving!: () => void;
    const firstMailArriving = new Promise<void>((resolve) => (receiving = resolve));
    // A slow mail server: it takes its time before accepting each message.
    const smtp: SmtpSink = await startSmtpSink({ acceptDelayMs: 1_500, onReceiving: () => receiving() });
    try {
      const first = await startWorkerProcess(taskQueue, smtp.url);
      const emails = Array.from({ length: 3 }, () => `crash-${randomUUID()}@example.org`);
      const enrollments = [];
      for (const email of emails) enrollments.push(...(await routed(call, await donate(email))).enrollments);
      expect(enrollments).toHaveLength(3);

      await firstMailArriving;
      process.kill(-first.pid!, 'SIGKILL');
      await startWorkerProcess(taskQueue, smtp.url);

      const ids = enrollments.map((enrollment) => enrollment.enrollmentId);
      await eventually(
        async () => ((await db.message.count({ where: { enrollmentId: { in: ids }, status: 'sent' } })) === 3 ? true : undefined),
        'every thank-you to be sent after the restart',
        240_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const received = smtp.messages.map((mail) => (mail.to as { text: string }).text).sort();
      expect(received).toEqual([...emails].sort());
      expect(new Set(smtp.messages.map((mail) => mail.messageId)).size).toBe(3);
      expect(await db.message.count({ where: { enrollmentId: { in: ids } } })).toBe(3);
    } finally {
      await api.close();
      await smtp.stop();
    }
  });

  it('keeps events that arrive while Temporal is down and routes each once, in order, when it is back', { timeout: 180_000 }, async () => {
    const taskQueue = `outage-${randomUUID()}`;
    const client = new Client({ connection });
    services = createServices({ db, temporal: client, taskQueue, temporalTimeoutMs: 2_000 });
    api = buildApi(services);
    call = injectWithKey(api, await makeKey(services.keys));
    const port = Number(temporalServer.address.split(':').pop());
    await temporalServer.stop();

    const email = `outage-${randomUUID()}@example.org`;
    const first = (await donate(email)).json() as { eventId: string; routing: string };
    const second = (await donate(email)).json() as { eventId: string; routing: string };
    expect([first.routing, second.routing]).toEqual(['queued', 'queued']);
    // The routing pass intake started gives up on Temporal; both stay stored, unrouted.
    await services.routing.idle();
    expect(await db.interactionEvent.count({ where: { id: { in: [first.eventId, second.eventId] }, routedAt: null } })).toBe(2);

    temporalServer = await startTemporal(port);
    expect(await services.router.routePending()).toBe(2);
    const events = await db.interactionEvent.findMany({ where: { id: { in: [first.eventId, second.eventId] } } });
    expect(events.every((event) => event.routedAt !== null)).toBe(true);
    // Routing again changes nothing.
    expect(await services.router.routePending()).toBe(0);

    const smtp = await startSmtpSink();
    const workerConnection = await NativeConnection.connect({ address: temporalServer.address });
    const mailer = createMailTransport(smtp.url);
    try {
      const worker = await createTestWorker({ connection: workerConnection, taskQueue, activities: { db, mailer } });
      const enrollment = await db.enrollment.findFirstOrThrow({ where: { constituent: { email } } });
      const outcome = await worker.runUntil(client.workflow.getHandle(enrollment.workflowId).result());
      expect(outcome).toBe('converted');
      // The first gift enrolled the donor and the second converted them: in that order, once each.
      const steps = await db.enrollmentTransition.findMany({ where: { enrollmentId: enrollment.id }, orderBy: { sequence: 'asc' } });
      expect(enrollment.triggerEventId).toBe(first.eventId);
      expect(steps.map((step) => [step.toState, step.cause, step.eventId])).toEqual([
        ['thanked', 'enrolled', null],
        ['goalReached', 'donation', second.eventId],
      ]);
      expect(await db.enrollment.count({ where: { constituent: { email } } })).toBe(1);
      expect(smtp.messages).toHaveLength(1);
    } finally {
      mailer.close();
      await workerConnection.close();
      await smtp.stop();
      await api.close();
    }
  });
});
