/**
 * The audit trail's `object=` filter: an object's own entries and, for a constituent,
 * the entries on other objects that concerned them, read through indexes, never the
 * whole table (which grows with every task worked and every sign-in).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditQuery, listAudit, recordAudit, SYSTEM_ACTOR } from '../../src/auth/audit.ts';
import type { Database } from '../../src/db/client.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { indexesUsed, planOf } from '../support/query-plan.ts';

let database: TestDatabase;
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.prisma;
});
afterAll(() => database?.drop());

describe('the audit filter by object', () => {
  it("finds a constituent's own entries and those that concerned them, newest first, and nothing else", async () => {
    const constituentId = randomUUID();
    const taskId = randomUUID();
    const at = (minute: number) => new Date(Date.UTC(2026, 11, 5, 12, minute));
    await recordAudit(db, SYSTEM_ACTOR, { action: 'consent.changed', objectType: 'constituent', objectId: constituentId, detail: { channel: 'email' } }, at(1));
    await recordAudit(db, SYSTEM_ACTOR, { action: 'task.completed', objectType: 'task', objectId: taskId, detail: { constituentId, title: 'Call' } }, at(2));
    await recordAudit(db, SYSTEM_ACTOR, { action: 'task.completed', objectType: 'task', objectId: randomUUID(), detail: { constituentId: randomUUID() } }, at(3));
    await recordAudit(db, SYSTEM_ACTOR, { action: 'task.claimed', objectType: 'task', objectId: randomUUID(), detail: { constituentId: null } }, at(4));

    const { entries } = await listAudit(db, AuditQuery.parse({ object: constituentId }));
    expect(entries.map((entry) => [entry.action, entry.objectId])).toEqual([
      ['task.completed', taskId],
      ['consent.changed', constituentId],
    ]);
    expect(entries[0]).toMatchObject({ constituentId, detail: { constituentId, title: 'Call' } });
    expect((await listAudit(db, AuditQuery.parse({ object: taskId }))).entries.map((entry) => entry.action)).toEqual(['task.completed']);
  });

  it('reaches the entries through indexes on the object and on the constituent, not by reading the table', async () => {
    const plan = await db.$transaction(async (tx) => {
      // On a table this small the planner would rightly read it whole; forbidden that, it shows what indexes can serve.
      await tx.$executeRawUnsafe('SET LOCAL enable_seqscan = off');
      return planOf(tx, { sql: 'SELECT id FROM audit_entry WHERE object_id = $1 OR constituent_id = $1 ORDER BY at DESC, id DESC LIMIT 51', params: [randomUUID()] });
    });
    expect(plan.filter((node) => node['Node Type'] === 'Seq Scan')).toEqual([]);
    expect(indexesUsed(plan).sort()).toEqual(['audit_entry_constituent_id_at_idx', 'audit_entry_object_id_at_idx']);
  });
});
