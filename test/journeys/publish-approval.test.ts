/**
 * Approval before publish: with the organisation's setting on, a marketer's publish
 * becomes a pending request and the version stays a draft until a second person (an
 * admin or another marketer, never the requester) approves it; a rejection leaves it
 * a draft. Admins publish directly. Each step is in the audit trail.
 */
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.ts';
import type { Role } from '../../src/auth/permissions.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const HOST = 'steward.example';
let database: TestDatabase;
let services: Services;
let api: FastifyInstance;
const cookieOf: Record<string, string> = {};

const JOURNEY = (id: string) => `id: ${id}
name: Approval ${id}
trigger: { event: donation }
initial: thanked
states:
  thanked:
    entry: [{ do: set, attribute: thanked, value: "yes" }]
    after: [{ delay: 1d, to: done }]
  done: { final: true }
`;

beforeAll(async () => {
  database = await createTestDatabase();
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '300ms' }) });
  services = createServices({ db: database.prisma, temporal, taskQueue: 'unused', temporalTimeoutMs: 1_000 });
  api = buildApi(services);
  await api.ready();
  const people: [string, Role][] = [['mona', 'marketer'], ['mark', 'marketer'], ['ada', 'admin'], ['vic', 'viewer']];
  for (const [name, role] of people) {
    const person = await database.prisma.person.create({ data: { email: `${name}@hope.example`, name, role } });
    cookieOf[name] = `steward_session=${(await services.sessions.start({ personId: person.id })).token}`;
  }
}, 120_000);

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

const as = (name: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  api.inject({ method, url, headers: { host: HOST, origin: `http://${HOST}`, cookie: cookieOf[name]! }, ...(payload ? { payload } : {}) });

const statusOf = async (journeyId: string) => (await database.prisma.journeyVersion.findFirstOrThrow({ where: { journeyId, version: 1 } })).status;

async function draft(id: string) {
  const saved = await as('mona', 'POST', '/journeys', { source: JOURNEY(id) });
  expect(saved.statusCode, saved.body).toBe(201);
}

describe('approval before publish', () => {
  it('is off by default: a marketer publishes directly', async () => {
    await draft('direct');
    const published = await as('mona', 'POST', '/journeys/direct/versions/1/publish');
    expect(published.statusCode).toBe(200);
    expect(published.json()).toMatchObject({ status: 'published' });
    expect(await statusOf('direct')).toBe('published');
  });

  it('is switched on by admins only', async () => {
    expect((await as('mona', 'PUT', '/settings/publish-approval', { required: true })).statusCode).toBe(403);
    expect((await as('ada', 'PUT', '/settings/publish-approval', { required: true })).json()).toEqual({ required: true });
  });

  it("holds a marketer's publish until another marketer approves it; the requester cannot approve their own", async () => {
    await draft('held');
    const asked = await as('mona', 'POST', '/journeys/held/versions/1/publish');
    expect(asked.statusCode).toBe(202);
    const requestId = asked.json().request as string;
    expect(await statusOf('held')).toBe('draft');
    // Asking again finds the same request.
    expect((await as('mona', 'POST', '/journeys/held/versions/1/publish')).json().request).toBe(requestId);

    const own = await as('mona', 'POST', `/publish-requests/${requestId}/approve`);
    expect(own.statusCode).toBe(409);
    expect(own.json().error.message).toContain('another admin or marketer');
    expect((await as('vic', 'POST', `/publish-requests/${requestId}/approve`)).statusCode).toBe(403);
    expect(await statusOf('held')).toBe('draft');

    const approved = await as('mark', 'POST', `/publish-requests/${requestId}/approve`, { note: 'read it through' });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', requestedBy: { name: 'mona' }, decidedBy: { name: 'mark' } });
    expect(await statusOf('held')).toBe('published');
    expect((await as('ada', 'POST', `/publish-requests/${requestId}/reject`)).statusCode).toBe(409);

    const trail = (await as('ada', 'GET', '/audit?object=held')).json().entries.map((entry: { action: string; actorName: string }) => `${entry.action} by ${entry.actorName}`);
    expect(trail).toEqual(['journey.published by mark', 'journey.publish-approved by mark', 'journey.publish-requested by mona']);
  });

  it('leaves a rejected version a draft, and lets admins publish directly', async () => {
    await draft('rejected');
    const requestId = (await as('mona', 'POST', '/journeys/rejected/versions/1/publish')).json().request as string;
    expect((await as('ada', 'POST', `/publish-requests/${requestId}/reject`)).json()).toMatchObject({ status: 'rejected', decidedBy: { name: 'ada' } });
    expect(await statusOf('rejected')).toBe('draft');
    expect((await as('ada', 'GET', '/publish-requests?status=rejected')).json().requests).toEqual([expect.objectContaining({ id: requestId, journeyId: 'rejected' })]);

    const direct = await as('ada', 'POST', '/journeys/rejected/versions/1/publish');
    expect(direct.statusCode).toBe(200);
    expect(await statusOf('rejected')).toBe('published');
  });

  it('works from the web app: the journey page says it waits, the approvals page approves', async () => {
    await draft('from-the-app');
    const form = (name: string, url: string) => api.inject({ method: 'POST', url, headers: { host: HOST, origin: `http://${HOST}`, cookie: cookieOf[name]!, 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
    const asked = await form('mona', '/app/journeys/from-the-app/versions/1/publish');
    expect(asked.statusCode).toBe(303);
    expect(JSON.parse(decodeURIComponent(asked.cookies.find((cookie) => cookie.name === 'steward_flash')!.value)).text).toContain('waits for approval');
    const page = await as('mark', 'GET', '/app/approvals');
    const action = /action="(\/app\/approvals\/[^/]+\/approve)"/.exec(page.body)?.[1];
    expect(action).toBeDefined();
    expect((await form('mark', action!)).statusCode).toBe(303);
    expect(await statusOf('from-the-app')).toBe('published');
  });
});
