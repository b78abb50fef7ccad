/** Overdue tasks move to the fallback queue, once, and are marked as overdue. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { escalateOverdueTasks } from '../../src/tasks/escalation.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let db: Database;
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.prisma;
});
afterAll(() => database?.drop());

describe('escalateOverdueTasks', () => {
  it('moves open and claimed overdue tasks, leaves the rest, and never escalates twice', async () => {
    const now = new Date('2027-01-10T12:00:00Z');
    const make = (data: { queue: string; dueAt: Date | null; status?: 'open' | 'claimed' | 'completed'; assignee?: string }) =>
      db.staffTask.create({ data: { idempotencyKey: randomUUID(), title: 'Call the donor', ...data } });
    const overdue = await make({ queue: 'major-gifts', dueAt: new Date(now.getTime() - 3_600_000), status: 'claimed', assignee: 'sam' });
    const onTime = await make({ queue: 'major-gifts', dueAt: new Date(now.getTime() + 3_600_000) });
    const done = await make({ queue: 'major-gifts', dueAt: new Date(now.getTime() - 3_600_000), status: 'completed' });
    const undated = await make({ queue: 'events', dueAt: null });

    expect(await escalateOverdueTasks(db, now, 'stewardship')).toEqual([overdue.id]);
    expect(await db.staffTask.findUniqueOrThrow({ where: { id: overdue.id } })).toMatchObject({
      queue: 'stewardship',
      status: 'open',
      assignee: null,
      title: 'Overdue (from Major gifts): Call the donor',
      escalatedAt: now,
    });
    for (const untouched of [onTime, done, undated]) {
      expect(await db.staffTask.findUniqueOrThrow({ where: { id: untouched.id } })).toMatchObject({ queue: untouched.queue, escalatedAt: null });
    }
    expect(await escalateOverdueTasks(db, new Date(now.getTime() + 60_000), 'stewardship')).toEqual([]);
    // Steward took the claim away: the trail says so, once, with where the task was.
    expect(await db.auditEntry.findMany({ where: { objectType: 'task', objectId: { in: [overdue.id, onTime.id, done.id, undated.id] } } })).toEqual([
      expect.objectContaining({
        action: 'task.escalated',
        actorKind: 'system',
        objectId: overdue.id,
        detail: expect.objectContaining({ queue: 'stewardship', assignee: null, from: { queue: 'major-gifts', assignee: 'sam' } }),
      }),
    ]);
  });
});
