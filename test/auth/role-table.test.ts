/**
 * The permission table, enforced on every route: for each role (a person signed in
 * with that role, through the web app's session cookie) and every route the server
 * has, API and web pages alike, the answer is a refusal (403, naming the roles
 * needed) exactly when the table says the role lacks the route's permission.
 * Staff open a constituent only when one of their tasks concerns them.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.ts';
import { reach, roles, rolesFor, type Permission, type Role } from '../../src/auth/permissions.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const HOST = 'steward.example';
let database: TestDatabase;
let services: Services;
let api: FastifyInstance;
const routes: { method: string; url: string; permission: Permission | 'public' }[] = [];
const cookieOf = {} as Record<Role, string>;
const personOf = {} as Record<Role, string>;
let theirConstituent: string;
let otherConstituent: string;

beforeAll(async () => {
  database = await createTestDatabase();
  // Temporal is out of reach: routes that need it answer 503, which is not a refusal.
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '300ms' }) });
  services = createServices({ db: database.prisma, temporal, taskQueue: 'unused', temporalTimeoutMs: 1_000 });
  api = buildApi(services);
  api.addHook('onRoute', (route) => {
    const permission = (route.config as { permission?: Permission | 'public' } | undefined)?.permission ?? 'settings.manage';
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, permission });
  });
  await api.ready();
  for (const role of roles) {
    const person = await database.prisma.person.create({ data: { email: `${role}@hope.example`, name: `The ${role}`, role } });
    personOf[role] = person.id;
    cookieOf[role] = `steward_session=${(await services.sessions.start({ personId: person.id })).token}`;
  }
  const [their, other] = await Promise.all(
    ['their', 'other'].map((name) => database.prisma.constituent.create({ data: { email: `${name}@donor.example`, firstName: name } })),
  );
  theirConstituent = their!.id;
  otherConstituent = other!.id;
  await database.prisma.staffTask.create({ data: { idempotencyKey: `t:${randomUUID()}`, constituentId: theirConstituent, queue: 'stewardship', title: 'Call to thank' } });
}, 120_000);

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

/** A URL that reaches the route: its parameters filled with values that name nothing (auth runs before validation). */
function concrete(url: string): string {
  return url.replace(/:([A-Za-z]+)/g, (_match, name: string) => (name === 'version' ? '1' : name === 'channel' ? 'email' : name === 'action' ? 'pause' : name === 'decision' ? 'approve' : randomUUID()));
}

const call = (role: Role, method: string, url: string) =>
  api.inject({ method: method as 'GET', url, headers: { host: HOST, origin: `http://${HOST}`, cookie: cookieOf[role] } });

describe('the role table', () => {
  it('is enforced on every route: 403 naming the roles needed exactly where the table refuses', async () => {
    const guarded = routes.filter((route) => route.permission !== 'public' && !route.url.includes('*'));
    expect(guarded.length).toBeGreaterThan(50);
    const mismatches: string[] = [];
    for (const route of guarded) {
      for (const role of roles) {
        const url = concrete(route.url);
        const response = await call(role, route.method, url);
        const expected = reach({ grants: [role] }, route.permission as Permission);
        const where = `${role} ${route.method} ${route.url} (${route.permission})`;
        if (expected === 'full') {
          if (response.statusCode === 401 || response.statusCode === 403) mismatches.push(`${where}: refused with ${response.statusCode}`);
          if (response.statusCode === 500) mismatches.push(`${where}: 500 ${response.body.slice(0, 200)}`);
        } else {
          // Refused, and the refusal says which roles would do (staff here: a constituent no task of theirs concerns).
          if (response.statusCode !== 403) mismatches.push(`${where}: expected 403, got ${response.statusCode}`);
          else if (!response.body.includes(rolesFor(route.permission as Permission))) mismatches.push(`${where}: 403 without the roles needed: ${response.body.slice(0, 200)}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('answers 2xx where the table allows a read, for each role', async () => {
    const reads: [string, Permission][] = [
      ['/journeys', 'records.read'],
      ['/constituents', 'constituents.search'],
      ['/tasks', 'tasks.read'],
      ['/people', 'people.manage'],
      ['/audit', 'audit.read'],
      ['/publish-requests', 'journeys.approve'],
      ['/app/inbox', 'tasks.read'],
      ['/app/journeys', 'records.read'],
      ['/app/people', 'people.manage'],
      ['/app/audit', 'audit.read'],
    ];
    for (const role of roles) {
      for (const [url, permission] of reads) {
        const response = await call(role, 'GET', url);
        expect(response.statusCode, `${role} GET ${url}`).toBe(reach({ grants: [role] }, permission) === 'full' ? 200 : 403);
      }
    }
  });

  it('lets staff open only the constituents of their tasks, on the API and the web app', async () => {
    for (const prefix of ['/constituents', '/app/constituents']) {
      expect((await call('staff', 'GET', `${prefix}/${theirConstituent}`)).statusCode, prefix).toBe(200);
      const refused = await call('staff', 'GET', `${prefix}/${otherConstituent}`);
      expect(refused.statusCode, prefix).toBe(403);
      expect(refused.body).toContain('only the constituents of their tasks');
      expect((await call('staff', 'GET', `/constituents/${theirConstituent}/timeline`)).statusCode).toBe(200);
      for (const role of ['admin', 'marketer', 'viewer'] as const) expect((await call(role, 'GET', `${prefix}/${otherConstituent}`)).statusCode, `${role} ${prefix}`).toBe(200);
    }
  });

  it('shows each role only the sections it may open', async () => {
    const nav = async (role: Role) => [...(await call(role, 'GET', '/app/inbox')).body.matchAll(/<nav aria-label="Main">(.*?)<\/nav>/gs)][0]![1]!;
    expect(await nav('staff')).not.toContain('/app/journeys');
    expect(await nav('staff')).not.toContain('/app/constituents');
    expect(await nav('viewer')).not.toContain('/app/people');
    expect(await nav('marketer')).toContain('/app/approvals');
    expect(await nav('admin')).toContain('/app/audit');
  });

  it('maps API key scopes onto roles: read is viewer, staff is staff, ingest only sends records in', async () => {
    const key = async (scopes: ('read' | 'staff' | 'ingest' | 'admin')[]) => `Bearer ${(await services.keys.create({ name: scopes.join('+'), scopes })).key}`;
    const read = await key(['read']);
    expect((await api.inject({ method: 'GET', url: '/journeys', headers: { authorization: read } })).statusCode).toBe(200);
    const publish = await api.inject({ method: 'POST', url: '/journeys/x/versions/1/publish', headers: { authorization: read } });
    expect(publish.statusCode).toBe(403);
    expect(publish.json().error.message).toBe('This API key (read) may not do this: it needs the admin or marketer role');
    const ingest = await key(['ingest']);
    expect((await api.inject({ method: 'GET', url: '/journeys', headers: { authorization: ingest } })).statusCode).toBe(403);
    expect((await api.inject({ method: 'GET', url: `/constituents/${theirConstituent}`, headers: { authorization: await key(['staff']) } })).statusCode).toBe(200);
  });
});
