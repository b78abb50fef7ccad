/**
 * `steward tasks` and `steward events import` against a running Steward API on a
 * real port and database. Temporal is unreachable here on purpose: events and task
 * outcomes are still accepted, and said to be waiting for it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.ts';
import { main } from '../../src/cli/main.ts';
import type { Database } from '../../src/db/client.ts';
import { createServices } from '../../src/services.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { makeKey } from '../support/api.ts';

let database: TestDatabase;
let db: Database;
let api: FastifyInstance;
let env: Record<string, string>;
let dir: string;
const keyName = 'Sam (stewardship desk)';

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.prisma;
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '300ms' }) });
  const services = createServices({ db, temporal, taskQueue: 'unused', temporalTimeoutMs: 500 });
  api = buildApi(services);
  env = {
    STEWARD_API_URL: await api.listen({ host: '127.0.0.1', port: 0 }),
    STEWARD_API_KEY: await makeKey(services.keys, ['ingest', 'read', 'staff'], keyName),
  };
  dir = await mkdtemp(path.join(tmpdir(), 'steward-cli-api-'));
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

async function steward(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: { write: (text: string) => (out += text) }, err: { write: (text: string) => (err += text) } }, env);
  return { code, out, err };
}

describe('steward events import', () => {
  it('imports a CSV file in batches, and recognises the same events when run again', async () => {
    const file = path.join(dir, 'gifts.csv');
    const rows = Array.from({ length: 7 }, (_, index) => `gift-${index},donation,donor${index}@example.org,${10 + index},USD`);
    await writeFile(file, ['id,type,email,amount,currency', ...rows].join('\n'));

    const first = await steward('events', 'import', file, '--batch', '3');
    expect(first.code).toBe(0);
    // No journey is published here, so routing needs nothing from Temporal.
    expect(first.out).toBe(`Imported 7 events from ${file}: 7 new, 0 already known.\n`);
    expect(first.err).toContain('importing: 100% (7/7)');
    expect(await db.interactionEvent.count({ where: { idempotencyKey: { startsWith: 'gift-' } } })).toBe(7);

    const again = await steward('events', 'import', file);
    expect(again.out).toContain('0 new, 7 already known');
    expect(await db.interactionEvent.count({ where: { idempotencyKey: { startsWith: 'gift-' } } })).toBe(7);
  });

  it('imports nothing from a file with a bad row, and names its line', async () => {
    const file = path.join(dir, 'bad.jsonl');
    await writeFile(
      file,
      [
        JSON.stringify({ id: 'ok-1', type: 'donation', constituent: { email: 'x@example.org' }, data: { amount: 5, currency: 'USD' } }),
        JSON.stringify({ id: 'bad-2', type: 'donation', constituent: { email: 'y@example.org' }, data: { amount: 5, currency: 'usd' } }),
      ].join('\n'),
    );
    const result = await steward('events', 'import', file);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`${file}:2: data.currency: must be a three-letter ISO 4217 code`);
    expect(result.err).toContain('1 problem; nothing was imported.');
    expect(await db.interactionEvent.count({ where: { idempotencyKey: 'ok-1' } })).toBe(0);
  });
});

describe('steward events import, refused by the server', () => {
  it('names the line of an event whose id was used for another, and stops there with what came before stored', async () => {
    await steward('events', 'import', await csv('first.csv', ['taken-1,donation,taken@example.org,10,USD']));
    const rows = ['early-1,donation,early1@example.org,10,USD', 'early-2,donation,early2@example.org,10,USD', 'late-1,donation,late1@example.org,10,USD', 'taken-1,donation,taken@example.org,99,USD'];
    const file = await csv('second.csv', rows);
    const result = await steward('events', 'import', file, '--batch', '2');
    expect(result.code).toBe(1);
    // Header on line 1: the fourth event is on line 5.
    expect(result.err).toContain(`${file}:5: id: already used for a different event`);
    expect(result.err).toContain('Lines 4-5 were not imported');
    expect(await db.interactionEvent.count({ where: { idempotencyKey: { in: ['early-1', 'early-2'] } } })).toBe(2);
    // All or nothing per batch: the good event beside the refused one was not stored.
    expect(await db.interactionEvent.count({ where: { idempotencyKey: 'late-1' } })).toBe(0);
  });
});

async function csv(name: string, rows: string[]): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, ['id,type,email,amount,currency', ...rows].join('\n'));
  return file;
}

describe('steward tasks', () => {
  it('lists a queue, claims a task and completes it with an outcome', async () => {
    const constituent = await db.constituent.create({ data: { email: `${randomUUID()}@example.org` } });
    const journey = await db.journey.create({ data: { id: `j-${randomUUID()}`, name: 'J' } });
    const version = await db.journeyVersion.create({ data: { journeyId: journey.id, version: 1, definition: {}, status: 'published' } });
    const enrollment = await db.enrollment.create({
      data: { workflowId: `wf-${randomUUID()}`, constituentId: constituent.id, journeyVersionId: version.id, currentState: 'staffCall' },
    });
    const task = await db.staffTask.create({
      data: {
        idempotencyKey: randomUUID(),
        enrollmentId: enrollment.id,
        constituentId: constituent.id,
        queue: 'stewardship',
        title: 'Call a lapsed donor',
        dueAt: new Date(Date.now() - 3_600_000),
      },
    });

    const list = await steward('tasks', 'list', '--queue', 'stewardship');
    expect(list.code).toBe(0);
    expect(list.out.split('\n')[0]).toMatch(/^id\s+queue\s+status\s+due \(UTC\)\s+title$/);
    expect(list.out).toMatch(new RegExp(`${task.id}\\s+stewardship\\s+open\\s+\\S+ \\S+ OVERDUE\\s+Call a lapsed donor`));

    expect((await steward('tasks', 'claim', task.id, '--as', 'sam')).out).toBe(`Claimed ${task.id} for sam: Call a lapsed donor\n`);
    const taken = await steward('tasks', 'claim', task.id, '--as', 'alex');
    expect(taken).toMatchObject({ code: 1, err: `steward tasks: Task ${task.id} is already claimed by sam\n` });

    const done = await steward('tasks', 'complete', task.id, '--outcome', 'no-answer', '--by', 'sam');
    expect(done.code).toBe(0);
    expect(done.out).toBe(`Completed ${task.id} with outcome "no-answer" by sam; the journey gets it as soon as Temporal answers.\n`);
    const completed = await db.staffTask.findUniqueOrThrow({ where: { id: task.id } });
    expect(completed).toMatchObject({ status: 'completed', outcome: 'no-answer', completedBy: 'sam', completedByKeyId: expect.any(String), outcomeDeliveredAt: null });
    expect((await steward('tasks', 'list', '--queue', 'stewardship')).out).toBe('No tasks.\n');
    // The audit trail keeps the work under the key the CLI sent, whoever --as and --by name; the refused claim is not there.
    const trail = await db.auditEntry.findMany({ where: { objectId: task.id }, orderBy: { at: 'asc' } });
    const byKey = { actorKind: 'key', actorId: completed.completedByKeyId, actorName: keyName };
    expect(trail).toEqual([
      expect.objectContaining({ ...byKey, action: 'task.claimed', detail: expect.objectContaining({ assignee: 'sam' }) }),
      expect.objectContaining({ ...byKey, action: 'task.completed', detail: expect.objectContaining({ outcome: 'no-answer', completedBy: 'sam', notes: false }) }),
    ]);
  });

  it('records the key’s holder as the completer without --by, releases and reassigns, and refuses a second completion', async () => {
    const constituent = await db.constituent.create({ data: { email: `${randomUUID()}@example.org`, firstName: 'Nell', phone: '+1 503 555 0117' } });
    const task = await db.staffTask.create({ data: { idempotencyKey: randomUUID(), constituentId: constituent.id, queue: 'stewardship', title: 'Send a card' } });

    expect((await steward('tasks', 'claim', task.id, '--as', 'sam')).code).toBe(0);
    expect((await steward('tasks', 'release', task.id)).out).toBe(`Released ${task.id}: it waits in stewardship again.\n`);
    expect(await db.staffTask.findUniqueOrThrow({ where: { id: task.id } })).toMatchObject({ status: 'open', assignee: null, claimedAt: null });
    expect(await steward('tasks', 'release', task.id)).toMatchObject({ code: 1, err: `steward tasks: Task ${task.id} is not claimed\n` });
    expect((await steward('tasks', 'reassign', task.id, '--to', 'omar', '--queue', 'donor-care')).out).toBe(`Reassigned ${task.id}: held by omar in donor-care.\n`);
    expect((await steward('tasks', 'reassign', task.id, '--queue', 'nowhere')).err).toContain('queue');

    const shown = await steward('tasks', 'show', task.id);
    expect(shown.out).toContain('constituent: Nell, +1 503 555 0117');

    const done = await steward('tasks', 'complete', task.id, '--outcome', 'card-sent', '--notes', 'Wrote about the harbour project');
    expect(done.out).toContain(`by ${keyName}`);
    const stored = await db.staffTask.findUniqueOrThrow({ where: { id: task.id } });
    expect(stored).toMatchObject({ completedBy: keyName, completedByKeyId: expect.any(String), notes: 'Wrote about the harbour project' });

    const again = await steward('tasks', 'complete', task.id, '--outcome', 'card-sent');
    expect(again.code).toBe(1);
    expect(again.err).toBe(`steward tasks: Task ${task.id} was already completed with outcome "card-sent" by ${keyName} at ${stored.completedAt!.toISOString()}\n`);
    // One completion in the audit trail, the key's, with its notes left on the task.
    const completions = await db.auditEntry.findMany({ where: { objectId: task.id, action: 'task.completed' } });
    expect(completions).toEqual([
      expect.objectContaining({ actorKind: 'key', actorId: stored.completedByKeyId, actorName: keyName, detail: expect.objectContaining({ outcome: 'card-sent', completedBy: keyName, notes: true }) }),
    ]);
    expect(JSON.stringify(completions)).not.toContain('harbour project');
  });

  it('explains a bad outcome and an unknown task', async () => {
    const bad = await steward('tasks', 'complete', 'whatever', '--outcome', 'No Answer!');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('outcome: must be a short lower-case word');
    expect((await steward('tasks', 'complete', 'missing', '--outcome', 'done')).err).toBe('steward tasks: Task missing not found\n');
  });

  it('says plainly when no Steward is running', async () => {
    const result = await main(['tasks', 'list'], { out: { write: () => true }, err: { write: (text: string) => ((message = text), true) } }, { STEWARD_API_URL: 'http://127.0.0.1:1' });
    expect(result).toBe(1);
    expect(message).toMatch(/cannot reach Steward at http:\/\/127.0.0.1:1 .*is it running\?/);
  });
});

let message = '';
