/**
 * A long-lived enrollment keeps its history bounded: when Temporal suggests it,
 * the workflow continues as new, carrying its state, its timers, the events not yet
 * applied and the ids of events already seen. (The dev server is told to suggest
 * this after a few dozen history events rather than thousands.)
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { JourneyDefinition } from '../../src/journeys/definition.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { createMailTransport } from '../../src/mail/transport.ts';
import { createServices, type Services } from '../../src/services.ts';
import { storeEvent } from '../../src/events/store.ts';
import { InteractionEventInput } from '../../src/events/schema.ts';
import { findTemporalCli } from '../../src/temporal/binaries.ts';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/temporal/devServer.ts';
import { enrollmentStateQuery, interactionSignal } from '../../workflows/contract.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { eventually } from '../support/wait.ts';
import { createTestWorker } from '../support/journey-worker.ts';

let dir: string;
let database: TestDatabase;
let db: Database;
let server: TemporalDevServer;
let connection: Connection;
let client: Client;
let smtp: SmtpSink;
let services: Services;
const taskQueue = `long-lived-${randomUUID()}`;

/** A journey that flips between two states on every custom event, for as long as it takes. */
const pingPong = JourneyDefinition.parse({
  id: 'ping-pong',
  name: 'Ping pong',
  trigger: { event: 'donation' },
  initial: 'ping',
  states: {
    ping: { on: { custom: [{ to: 'done', when: [{ field: 'event.name', eq: 'stop' }] }, 'pong'] }, after: [{ delay: '30d', to: 'done' }] },
    pong: { on: { custom: [{ to: 'done', when: [{ field: 'event.name', eq: 'stop' }] }, 'ping'] }, after: [{ delay: '30d', to: 'done' }] },
    done: { entry: [{ do: 'email', template: 'new-donor-impact' }], final: true },
  },
});

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'steward-can-'));
  const cliPath = findTemporalCli({ STEWARD_TEMPORAL_CLI: process.env.STEWARD_TEMPORAL_CLI || undefined })!;
  [database, server, smtp] = await Promise.all([
    createTestDatabase(),
    startTemporalDevServer({
      cliPath,
      dbFile: path.join(dir, 'temporal.sqlite'),
      port: 0,
      uiPort: 0,
      namespace: 'default',
      log: () => {},
      dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 },
    }),
    startSmtpSink(),
  ]);
  db = database.prisma;
  await publishJourneyCatalog(db, [{ definition: pingPong, source: 'ping-pong.ts', publishOnStart: true }]);
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
  services = createServices({ db, temporal: client, taskQueue });
});

afterAll(async () => {
  await connection?.close();
  await server?.stop();
  await smtp?.stop();
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('continue-as-new', () => {
  it('carries an enrollment across runs without losing or repeating a step', { timeout: 180_000 }, async () => {
    const email = `long-${randomUUID()}@example.org`;
    const ingest = async (type: 'donation' | 'custom', data: Record<string, unknown>) => {
      const { event } = await storeEvent(db, InteractionEventInput.parse({ id: randomUUID(), type, constituent: { email, consent: { email: 'granted' } }, data }));
      return { event, routed: await services.router.routeEvent(event) };
    };
    const { routed } = await ingest('donation', { amount: 10, currency: 'USD' });
    const handle = client.workflow.getHandle(routed[0]!.workflowId);
    const firstRunId = (await handle.describe()).runId;

    const workerConnection = await NativeConnection.connect({ address: server.address });
    const mailer = createMailTransport(smtp.url);
    try {
      const worker = await createTestWorker({ connection: workerConnection, taskQueue, activities: { db, mailer } });
      const outcome = await worker.runUntil(async () => {
        const flips = 24;
        for (let flip = 0; flip < flips; flip += 1) {
          const { event } = await ingest('custom', { name: `flip-${flip}` });
          // The same event delivered twice (a router retry) is applied once, even across runs.
          await handle.signal(interactionSignal, { type: 'custom', eventId: event.id, occurredAt: event.occurredAt.toISOString(), data: { name: `flip-${flip}` } });
          await eventually(async () => ((await handle.query(enrollmentStateQuery))?.step === flip + 1 ? true : undefined), `flip ${flip}`, 30_000);
        }
        // A run that has just begun answers null until it has loaded its journey.
        const view = await eventually(async () => (await handle.query(enrollmentStateQuery)) ?? undefined, 'the current run to answer');
        // The 30-day timer of the current state survived every continue-as-new.
        expect(view?.timers).toHaveLength(1);
        expect((await handle.describe()).runId).not.toBe(firstRunId);
        await ingest('custom', { name: 'stop' });
        return handle.result();
      });
      expect(outcome).toBe('completed');
    } finally {
      mailer.close();
      await workerConnection.close();
    }
    const enrollment = await db.enrollment.findUniqueOrThrow({ where: { id: routed[0]!.enrollmentId }, include: { transitions: { orderBy: { sequence: 'asc' } } } });
    expect(enrollment.transitions.map((step) => step.sequence)).toEqual(Array.from({ length: 26 }, (_, index) => index));
    expect(enrollment.transitions.slice(1, 5).map((step) => step.toState)).toEqual(['pong', 'ping', 'pong', 'ping']);
    expect(enrollment.transitions.at(-1)).toMatchObject({ toState: 'done', cause: 'custom' });
    expect(await db.message.count({ where: { enrollmentId: enrollment.id } })).toBe(1);
  });
});
