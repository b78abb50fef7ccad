/**
 * People's accounts on a real database and a real SMTP server: invitations mailed
 * with a single-use, expiring link; argon2id passwords; sign-in, refused for a wrong
 * password and throttled after repeated failures; password reset; and the audit
 * trail, written in the same transaction as each change.
 */
import { verify } from '@node-rs/argon2';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.ts';
import { createPeopleStore } from '../../src/auth/people.ts';
import { createAccountMail } from '../../src/mail/account-mail.ts';
import { createMailTransport, type MailTransport } from '../../src/mail/transport.ts';
import { createServices, type Services } from '../../src/services.ts';
import { bearer, makeKey } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const HOST = 'steward.example';
const PUBLIC_URL = `http://${HOST}`;
let database: TestDatabase;
let smtp: SmtpSink;
let mailer: MailTransport;
let services: Services;
let api: FastifyInstance;
let adminKey: string;

beforeAll(async () => {
  [database, smtp] = await Promise.all([createTestDatabase(), startSmtpSink()]);
  mailer = createMailTransport(smtp.url);
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '300ms' }) });
  services = createServices({
    db: database.prisma,
    temporal,
    taskQueue: 'unused',
    temporalTimeoutMs: 1_000,
    people: { mail: createAccountMail({ mailer, from: 'Steward <hello@steward.localhost>', publicUrl: () => PUBLIC_URL, orgName: 'Hope Shelter' }), throttle: { failures: 3, windowMs: 600_000 } },
  });
  api = buildApi(services);
  await api.ready();
  adminKey = await makeKey(services.keys, ['admin'], 'Setup key');
}, 120_000);

afterAll(async () => {
  await api?.close();
  mailer?.close();
  await Promise.all([database?.drop(), smtp?.stop()]);
});

const form = (url: string, fields: Record<string, string>, cookie?: string) =>
  api.inject({
    method: 'POST',
    url,
    headers: { host: HOST, origin: PUBLIC_URL, 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    payload: new URLSearchParams(fields).toString(),
  });

/** Invites someone through the API and returns the link their email carries. */
async function invite(email: string, role = 'staff'): Promise<string> {
  const before = smtp.messages.length;
  const response = await api.inject({ method: 'POST', url: '/people', headers: bearer(adminKey), payload: { email, name: `Person ${email}`, role } });
  expect(response.statusCode, response.body).toBe(201);
  const mail = (await smtp.waitForMessages(before + 1)).find((message) => message.to && JSON.stringify(message.to).includes(email))!;
  expect(mail.subject).toBe('Setup key invited you to Hope Shelter on Steward');
  const link = /http:\/\/steward\.example(\/app\/invitations\/\S+)/.exec(mail.text ?? '')?.[1];
  expect(link).toBeDefined();
  return link!;
}

const sessionCookie = (response: { cookies: { name: string; value: string }[] }) => {
  const cookie = response.cookies.find((item) => item.name === 'steward_session');
  return cookie ? `steward_session=${cookie.value}` : undefined;
};

const PASSWORD = 'correct horse battery staple';

describe('invitations', () => {
  it('mail a link that sets an argon2id password once, and signs the person in', async () => {
    const link = await invite('ruth@hope.example');
    expect((await api.inject({ method: 'GET', url: link, headers: { host: HOST } })).statusCode).toBe(200);
    const short = await form(link, { password: 'short', repeat: 'short' });
    expect(short.statusCode).toBe(422);
    expect(short.body).toContain('at least 12 characters');
    const accepted = await form(link, { password: PASSWORD, repeat: PASSWORD });
    expect(accepted.statusCode).toBe(303);
    expect(accepted.headers.location).toBe('/app/inbox');
    expect(sessionCookie(accepted)).toBeDefined();

    const person = await database.prisma.person.findUniqueOrThrow({ where: { email: 'ruth@hope.example' } });
    expect(person.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verify(person.passwordHash!, PASSWORD)).toBe(true);
    expect(await verify(person.passwordHash!, 'another password entirely')).toBe(false);

    // Single use: the link is spent, whatever is sent to it.
    const again = await form(link, { password: 'another password entirely', repeat: 'another password entirely' });
    expect(again.statusCode).toBe(410);
    expect((await api.inject({ method: 'GET', url: link, headers: { host: HOST } })).statusCode).toBe(410);
    expect(await verify((await database.prisma.person.findUniqueOrThrow({ where: { id: person.id } })).passwordHash!, PASSWORD)).toBe(true);
  });

  it('expire: a link past its time sets nothing', async () => {
    const expiring = createPeopleStore(database.prisma, {
      invitationTtlMs: 0,
      mail: createAccountMail({ mailer, from: 'Steward <hello@steward.localhost>', publicUrl: () => PUBLIC_URL, orgName: 'Hope Shelter' }),
    });
    const before = smtp.messages.length;
    await expiring.invite({ kind: 'system', id: null, name: 'Steward' }, { email: 'late@hope.example', name: 'Late', role: 'viewer' });
    const mail = (await smtp.waitForMessages(before + 1)).at(-1)!;
    const token = /invitations\/(\S+)/.exec(mail.text ?? '')![1]!;
    await expect(expiring.acceptInvitation(token, PASSWORD)).rejects.toThrow('This invitation has expired');
    expect((await form(`/app/invitations/${token}`, { password: PASSWORD, repeat: PASSWORD })).statusCode).toBe(410);
    expect((await database.prisma.person.findUniqueOrThrow({ where: { email: 'late@hope.example' } })).passwordHash).toBeNull();
  });

  it('are refused for bad input with the field named, and for an address that already has an account', async () => {
    const bad = await api.inject({ method: 'POST', url: '/people', headers: bearer(adminKey), payload: { email: 'not-an-address', name: 'X', role: 'owner' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual(['email', 'role']);
    const twice = await api.inject({ method: 'POST', url: '/people', headers: bearer(adminKey), payload: { email: 'ruth@hope.example', name: 'Ruth', role: 'admin' } });
    expect(twice.statusCode).toBe(409);
  });
});

describe('signing in', () => {
  it('takes the right password, refuses a wrong one, and throttles an address after repeated failures', async () => {
    await invite('sam@hope.example', 'marketer').then((link) => form(link, { password: PASSWORD, repeat: PASSWORD }));
    const ok = await form('/app/sign-in', { email: 'Sam@Hope.example', password: PASSWORD });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/app/journeys');
    const cookie = sessionCookie(ok)!;
    expect((await api.inject({ method: 'GET', url: '/app/journeys', headers: { host: HOST, cookie } })).statusCode).toBe(200);

    for (let attempt = 1; attempt <= 3; attempt++) {
      const wrong = await form('/app/sign-in', { email: 'sam@hope.example', password: `wrong guess ${attempt}` });
      expect(wrong.headers.location).toMatch(/failed=password/);
      expect(sessionCookie(wrong)).toBeUndefined();
    }
    // The fourth try is refused without looking at the password, even the right one.
    const throttled = await form('/app/sign-in', { email: 'sam@hope.example', password: PASSWORD });
    expect(throttled.headers.location).toMatch(/failed=throttled&retry=\d+/);
    expect(sessionCookie(throttled)).toBeUndefined();
    // Another address is not affected.
    expect((await form('/app/sign-in', { email: 'ruth@hope.example', password: PASSWORD })).headers.location).toBe('/app/inbox');

    const failures = await database.prisma.auditEntry.count({ where: { action: 'sign-in.failed', objectId: 'sam@hope.example' } });
    expect(failures).toBe(3);

    // Signing out ends the session.
    expect((await form('/app/sign-out', {}, cookie)).statusCode).toBe(303);
    expect((await api.inject({ method: 'GET', url: '/app/journeys', headers: { host: HOST, cookie } })).statusCode).toBe(303);
  });

  it('resets a password by email: the old one stops working, the link works once', async () => {
    await invite('kim@hope.example', 'viewer').then((link) => form(link, { password: PASSWORD, repeat: PASSWORD }));
    const signedIn = sessionCookie(await form('/app/sign-in', { email: 'kim@hope.example', password: PASSWORD }))!;
    const before = smtp.messages.length;
    expect((await form('/app/password-reset', { email: 'kim@hope.example' })).headers.location).toBe('/app/password-reset?sent=1');
    // An unknown address gets the same answer, and no mail.
    expect((await form('/app/password-reset', { email: 'nobody@hope.example' })).headers.location).toBe('/app/password-reset?sent=1');
    const mail = (await smtp.waitForMessages(before + 1)).at(-1)!;
    expect(mail.subject).toBe('Reset your Steward password');
    const link = /http:\/\/steward\.example(\/app\/password-reset\/\S+)/.exec(mail.text ?? '')![1]!;
    const fresh = 'a completely new passphrase';
    expect((await form(link, { password: fresh, repeat: fresh })).statusCode).toBe(303);
    expect((await form(link, { password: PASSWORD, repeat: PASSWORD })).statusCode).toBe(410);
    expect((await form('/app/sign-in', { email: 'kim@hope.example', password: PASSWORD })).headers.location).toMatch(/failed=password/);
    expect((await form('/app/sign-in', { email: 'kim@hope.example', password: fresh })).headers.location).toBe('/app/journeys');
    // The reset ended the sessions signed in with the old password.
    expect((await api.inject({ method: 'GET', url: '/app/journeys', headers: { host: HOST, cookie: signedIn } })).statusCode).toBe(303);
    expect(smtp.messages.length).toBe(before + 1);
  });

  it('ends a removed person’s sessions and refuses their sign-in', async () => {
    await invite('lee@hope.example').then((link) => form(link, { password: PASSWORD, repeat: PASSWORD }));
    const cookie = sessionCookie(await form('/app/sign-in', { email: 'lee@hope.example', password: PASSWORD }))!;
    const lee = await database.prisma.person.findUniqueOrThrow({ where: { email: 'lee@hope.example' } });
    expect((await api.inject({ method: 'POST', url: `/people/${lee.id}/remove`, headers: bearer(adminKey) })).json()).toMatchObject({ status: 'removed' });
    expect((await api.inject({ method: 'GET', url: '/app/inbox', headers: { host: HOST, cookie } })).statusCode).toBe(303);
    expect((await form('/app/sign-in', { email: 'lee@hope.example', password: PASSWORD })).headers.location).toMatch(/failed=password/);
  });
});

describe('the audit trail', () => {
  it('records invitations, joining, sign-ins and failures, filterable by actor, action, object and dates', async () => {
    const ruth = await database.prisma.person.findUniqueOrThrow({ where: { email: 'ruth@hope.example' } });
    const list = async (query: string) => (await api.inject({ method: 'GET', url: `/audit?${query}`, headers: bearer(adminKey) })).json().entries as { action: string; actorName: string; objectId: string }[];
    expect((await list(`object=${ruth.id}`)).map((entry) => entry.action)).toEqual(['person.joined', 'person.invited']);
    expect((await list('actor=Setup key&action=person.invited')).length).toBe(4);
    expect((await list('action=sign-in')).map((entry) => entry.action)).toEqual(expect.arrayContaining(['sign-in.succeeded', 'sign-in.failed']));
    expect(await list(`since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).toEqual([]);
    const bad = await api.inject({ method: 'GET', url: '/audit?since=yesterday', headers: bearer(adminKey) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.issues[0].path).toBe('since');
    const page = await api.inject({ method: 'GET', url: '/app/audit?action=person.invited', headers: { host: HOST, cookie: `steward_session=${(await services.sessions.start({ keyId: (await services.keys.authenticate(adminKey))!.id })).token}` } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('ruth@hope.example');
  });

  it('is written in the same transaction as the change: a change that fails leaves no entry, an entry that fails leaves no change', async () => {
    const db = database.prisma;
    const sam = await db.person.findUniqueOrThrow({ where: { email: 'sam@hope.example' } });
    const entriesBefore = await db.auditEntry.count();
    // The audit write itself fails: the role change must not stay.
    await db.$executeRawUnsafe(`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit store refused'; END $$`);
    await db.$executeRawUnsafe(`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION refuse_audit()`);
    try {
      await expect(services.people.changeRole({ kind: 'system', id: null, name: 'test' }, sam.id, 'admin')).rejects.toThrow(/audit store refused/);
      const { apiKey } = await services.keys.create({ name: 'doomed', scopes: ['read'] }).catch(() => ({ apiKey: undefined }));
      expect(apiKey).toBeUndefined();
    } finally {
      await db.$executeRawUnsafe('DROP TRIGGER refuse_audit ON audit_entry');
      await db.$executeRawUnsafe('DROP FUNCTION refuse_audit()');
    }
    expect((await db.person.findUniqueOrThrow({ where: { id: sam.id } })).role).toBe('marketer');
    expect(await db.apiKey.count({ where: { name: 'doomed' } })).toBe(0);

    // The change fails: no entry is written.
    await db.$executeRawUnsafe(`CREATE FUNCTION refuse_role() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'role change refused'; END $$`);
    await db.$executeRawUnsafe(`CREATE TRIGGER refuse_role BEFORE UPDATE ON person FOR EACH ROW EXECUTE FUNCTION refuse_role()`);
    try {
      await expect(services.people.changeRole({ kind: 'system', id: null, name: 'test' }, sam.id, 'viewer')).rejects.toThrow(/role change refused/);
    } finally {
      await db.$executeRawUnsafe('DROP TRIGGER refuse_role ON person');
      await db.$executeRawUnsafe('DROP FUNCTION refuse_role()');
    }
    expect(await db.auditEntry.count()).toBe(entriesBefore);
    // And with nothing in the way, the change and its entry land together.
    await services.people.changeRole({ kind: 'system', id: null, name: 'test' }, sam.id, 'viewer');
    expect(await db.auditEntry.count({ where: { action: 'person.role-changed', objectId: sam.id } })).toBe(1);
  });
});
