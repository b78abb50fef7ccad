/**
 * Task work in the audit trail, on a real database through the API and the web app:
 * every claim, release, hand-on and completion is one entry under the key or person
 * that did it, naming the task, written with the change or not at all; refusals write
 * nothing; a completion's notes stay on the task. The entries filter by kind, task and
 * constituent, and read as sentences on the audit page. Temporal is unreachable on
 * purpose: these tasks belong to no journey, so completing them needs nothing from it.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.ts';
import type { AuditEntry } from '../../src/db/generated/prisma/client.ts';
import type { Database } from '../../src/db/client.ts';
import { createServices, type Services } from '../../src/services.ts';
import { bearer, makeKey } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const HOST = 'steward.example';
const KEY_NAME = 'Sam (stewardship desk)';
const NOTES = 'Her late husband Ignatius loved the harbour; she is unwell this winter';
let database: TestDatabase;
let db: Database;
let services: Services;
let api: FastifyInstance;
let staffKey: string;
let staffKeyId: string;
let adminKey: string;
let adminCookie: string;
let person: { id: string; email: string; name: string };
let personCookie: string;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.prisma;
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '300ms' }) });
  services = createServices({ db, temporal, taskQueue: 'unused', temporalTimeoutMs: 500 });
  api = buildApi(services);
  await api.ready();
  staffKey = await makeKey(services.keys, ['staff'], KEY_NAME);
  staffKeyId = (await services.keys.authenticate(staffKey))!.id;
  adminKey = await makeKey(services.keys, ['admin'], 'Grace (admin)');
  adminCookie = `steward_session=${(await services.sessions.start({ keyId: (await services.keys.authenticate(adminKey))!.id })).token}`;
  person = await db.person.create({ data: { email: 'maria@hope.example', name: 'Maria Lopez', role: 'staff' } });
  personCookie = `steward_session=${(await services.sessions.start({ personId: person.id })).token}`;
}, 120_000);

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

/** A task waiting in the stewardship queue for a constituent of its own. */
async function waitingTask(title = 'Call to say thank you') {
  const constituent = await db.constituent.create({ data: { email: `${randomUUID()}@donor.example`, firstName: 'Octavia' } });
  return db.staffTask.create({ data: { idempotencyKey: randomUUID(), constituentId: constituent.id, queue: 'stewardship', title } });
}

const asKey = (url: string, payload?: object) => api.inject({ method: 'POST', url, headers: bearer(staffKey), ...(payload ? { payload } : {}) });

/** A task form posted from the web app, as the person signed in. */
const asPerson = (url: string, fields: Record<string, string> = {}) =>
  api.inject({
    method: 'POST',
    url,
    headers: { host: HOST, origin: `http://${HOST}`, cookie: personCookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });

/** The trail of one task, oldest first. */
const trailOf = (taskId: string) => db.auditEntry.findMany({ where: { objectId: taskId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });

const audit = async (query: string) => {
  const response = await api.inject({ method: 'GET', url: `/audit?${query}`, headers: bearer(adminKey) });
  expect(response.statusCode).toBe(200);
  return response.json().entries as AuditEntry[];
};

describe('task work in the audit trail', () => {
  it('records each claim, release, hand-on and completion under the key that did it, naming the task, and nothing for refusals', async () => {
    const task = await waitingTask();
    const byKey = { actorKind: 'key', actorId: staffKeyId, actorName: KEY_NAME, objectType: 'task', objectId: task.id };
    const named = { title: 'Call to say thank you', constituentId: task.constituentId };

    expect((await asKey(`/tasks/${task.id}/claim`, { assignee: 'sam' })).statusCode).toBe(200);
    // Claiming one's own task again changes nothing; a colleague's claim is refused.
    expect((await asKey(`/tasks/${task.id}/claim`, { assignee: 'sam' })).statusCode).toBe(200);
    expect((await asKey(`/tasks/${task.id}/claim`, { assignee: 'alex' })).statusCode).toBe(409);
    expect((await asKey(`/tasks/${task.id}/release`)).statusCode).toBe(200);
    expect((await asKey(`/tasks/${task.id}/release`)).statusCode).toBe(409);
    expect((await asKey(`/tasks/${task.id}/reassign`, { assignee: 'omar', queue: 'major-gifts' })).statusCode).toBe(200);
    const done = await asKey(`/tasks/${task.id}/complete`, { outcome: 'reached', by: 'Omar Haddad', notes: NOTES });
    expect(done.statusCode).toBe(200);
    // After the completion: a second one, a hand-on and a release are all refused.
    expect((await asKey(`/tasks/${task.id}/complete`, { outcome: 'no-answer' })).statusCode).toBe(409);
    expect((await asKey(`/tasks/${task.id}/reassign`, { queue: 'stewardship' })).statusCode).toBe(409);
    expect((await asKey(`/tasks/${task.id}/release`)).statusCode).toBe(409);

    const trail = await trailOf(task.id);
    expect(trail).toEqual([
      expect.objectContaining({ ...byKey, action: 'task.claimed', detail: { ...named, queue: 'stewardship', assignee: 'sam' } }),
      expect.objectContaining({ ...byKey, action: 'task.released', detail: { ...named, queue: 'stewardship', assignee: null, from: { queue: 'stewardship', assignee: 'sam' } } }),
      expect.objectContaining({ ...byKey, action: 'task.reassigned', detail: { ...named, queue: 'major-gifts', assignee: 'omar', from: { queue: 'stewardship', assignee: null } } }),
      expect.objectContaining({
        ...byKey,
        action: 'task.completed',
        detail: { ...named, queue: 'major-gifts', assignee: 'omar', from: { queue: 'major-gifts', assignee: 'omar' }, outcome: 'reached', completedBy: 'Omar Haddad', notes: true },
      }),
    ]);
    // The notes stay on the task; the trail says only that there were some.
    expect(JSON.stringify(trail)).not.toContain('Ignatius');
    expect(await db.staffTask.findUniqueOrThrow({ where: { id: task.id } })).toMatchObject({ notes: NOTES, completedBy: 'Omar Haddad', completedByKeyId: staffKeyId });
  });

  it('records work done in the web app under the person signed in', async () => {
    const task = await waitingTask('Send a handwritten card');
    const back = `/app/tasks/${task.id}`;
    expect((await asPerson(`/app/inbox/${task.id}/claim`, { back })).statusCode).toBe(303);
    expect((await asPerson(`/app/inbox/${task.id}/reassign`, { back, queue: 'donor-care' })).statusCode).toBe(303);
    expect((await asPerson(`/app/inbox/${task.id}/claim`, { back })).statusCode).toBe(303);
    expect((await asPerson(`/app/inbox/${task.id}/release`, { back })).statusCode).toBe(303);
    expect((await asPerson(`/app/inbox/${task.id}/complete`, { back, outcome: 'card-sent', notes: '' })).statusCode).toBe(303);
    const refused = await asPerson(`/app/inbox/${task.id}/complete`, { back, outcome: 'card-sent' });
    const flash = refused.cookies.find((cookie) => cookie.name === 'steward_flash');
    expect(decodeURIComponent(flash?.value ?? '')).toContain('was already completed');

    const trail = await trailOf(task.id);
    expect(trail.map((entry) => entry.action)).toEqual(['task.claimed', 'task.reassigned', 'task.claimed', 'task.released', 'task.completed']);
    expect(new Set(trail.map((entry) => `${entry.actorKind} ${entry.actorId} ${entry.actorName}`))).toEqual(new Set([`person ${person.id} Maria Lopez`]));
    // A claim in the web app is kept under the person's email; a completion without notes says so.
    expect(trail[0]!.detail).toMatchObject({ assignee: person.email });
    expect(trail[4]!.detail).toMatchObject({ outcome: 'card-sent', completedBy: person.email, notes: false, queue: 'donor-care' });
  });

  it('keeps one entry for the one of several completions at once that wins', async () => {
    const task = await waitingTask();
    const outcomes = ['reached', 'left-message', 'no-answer', 'done', 'reached'];
    const answers = await Promise.all(outcomes.map((outcome, index) => asKey(`/tasks/${task.id}/complete`, { outcome, by: `caller ${index}` })));
    expect(answers.filter((answer) => answer.statusCode === 200)).toHaveLength(1);
    const stored = await db.staffTask.findUniqueOrThrow({ where: { id: task.id } });
    const trail = await trailOf(task.id);
    expect(trail).toHaveLength(1);
    expect(trail[0]!.detail).toMatchObject({ outcome: stored.outcome, completedBy: stored.completedBy });
  });

  it('leaves the task as it was when its entry cannot be written', async () => {
    const task = await waitingTask();
    await db.$executeRawUnsafe(`CREATE FUNCTION refuse_task_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit store refused'; END $$`);
    await db.$executeRawUnsafe(`CREATE TRIGGER refuse_task_audit BEFORE INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION refuse_task_audit()`);
    try {
      await expect(services.tasks.claim(task.id, 'sam')).rejects.toThrow(/audit store refused/);
      await expect(services.tasks.complete(task.id, 'reached', { by: 'sam', notes: 'Spoke at length' })).rejects.toThrow(/audit store refused/);
    } finally {
      await db.$executeRawUnsafe('DROP TRIGGER refuse_task_audit ON audit_entry');
      await db.$executeRawUnsafe('DROP FUNCTION refuse_task_audit()');
    }
    expect(await db.staffTask.findUniqueOrThrow({ where: { id: task.id } })).toMatchObject({ status: 'open', assignee: null, outcome: null, completedBy: null, notes: null });
    expect(await trailOf(task.id)).toEqual([]);
    // Once the trail takes entries again, the same completion goes through, by Steward itself when nobody is named.
    await services.tasks.complete(task.id, 'reached', 'sam');
    expect(await trailOf(task.id)).toEqual([expect.objectContaining({ action: 'task.completed', actorKind: 'system', actorName: 'Steward' })]);
  });

  it('filters by kind, task and constituent over HTTP', async () => {
    const task = await waitingTask();
    const other = await waitingTask();
    await asKey(`/tasks/${task.id}/claim`, { assignee: 'sam' });
    await asKey(`/tasks/${task.id}/complete`, { outcome: 'reached' });
    await asKey(`/tasks/${other.id}/complete`, { outcome: 'no-answer' });
    // A consent change by hand concerns the same constituent.
    const consent = await api.inject({ method: 'PATCH', url: `/constituents/${task.constituentId}`, headers: bearer(adminKey), payload: { consent: { email: { status: 'granted', source: 'phone call' } } } });
    expect(consent.statusCode, consent.body).toBe(200);

    expect((await audit(`object=${task.id}`)).map((entry) => entry.action)).toEqual(['task.completed', 'task.claimed']);
    expect((await audit(`object=${task.constituentId}`)).map((entry) => entry.action)).toEqual(['consent.changed', 'task.completed', 'task.claimed']);
    const kind = await audit('action=task&limit=200');
    expect(kind.every((entry) => entry.action.startsWith('task.'))).toBe(true);
    expect(kind.map((entry) => entry.objectId)).toEqual(expect.arrayContaining([task.id, other.id]));
    expect((await audit(`action=task.completed&actor=${staffKeyId}&limit=200`)).map((entry) => entry.objectId)).toEqual(expect.arrayContaining([task.id, other.id]));
    expect((await audit(`action=task.claimed&object=${other.id}`))).toEqual([]);
  });

  it('reads as who did what to which task on the audit page, linked to the task', async () => {
    const task = await waitingTask('Call to thank a major donor');
    await asKey(`/tasks/${task.id}/reassign`, { assignee: 'omar', queue: 'major-gifts' });
    await asKey(`/tasks/${task.id}/complete`, { outcome: 'meeting-booked', by: 'Omar Haddad', notes: NOTES });
    const page = await api.inject({ method: 'GET', url: `/app/audit?object=${task.id}`, headers: { host: HOST, cookie: adminCookie } });
    expect(page.statusCode).toBe(200);
    const rows = page.body.slice(page.body.indexOf('<tbody>'), page.body.indexOf('</tbody>')).split('<tr>').slice(1);
    expect(rows).toHaveLength(2);
    const [completed, reassigned] = rows.map((row) => row.replace(/<[^>]+>/g, '').replace(/\s+/g, ' '));
    expect(completed).toContain(`${KEY_NAME} key`);
    expect(completed).toContain('task.completed');
    expect(completed).toContain('task “Call to thank a major donor” in Major gifts');
    expect(completed).toContain('Outcome meeting-booked; completed by Omar Haddad; notes kept on the task');
    expect(completed).not.toContain('Ignatius');
    expect(reassigned).toContain('Handed to omar in Major gifts (was with Stewardship, unclaimed)');
    expect(rows[0]).toContain(`href="/app/tasks/${task.id}"`);
  });
});
