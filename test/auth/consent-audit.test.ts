/**
 * Consent changed by hand through the API goes in the audit trail, in the change's
 * own transaction: who changed it, the constituent, the channel, the status and what
 * became of it, refusals included. Consent arriving with events is not audited.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/auth/audit.ts';
import { recordConsentChanges } from '../../src/consent/consent.ts';
import { bearer, makeKey } from '../support/api.ts';
import { startApiWithoutTemporal, type ApiWithoutTemporal } from '../support/api-without-temporal.ts';

let stack: ApiWithoutTemporal;
let api: FastifyInstance;
let adminKey: string;
let ingestKey: string;

beforeAll(async () => {
  stack = await startApiWithoutTemporal();
  api = stack.api;
  adminKey = await makeKey(stack.services.keys, ['admin'], 'Auditor');
  ingestKey = await makeKey(stack.services.keys, ['ingest'], 'Donor CRM');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

interface Entry {
  action: string;
  actorKind: string;
  actorId: string | null;
  actorName: string;
  objectType: string;
  objectId: string;
  detail: Record<string, unknown> | null;
}

async function audit(query: string): Promise<Entry[]> {
  const response = await api.inject({ method: 'GET', url: `/audit?${query}`, headers: bearer(adminKey) });
  expect(response.statusCode, response.body).toBe(200);
  return (response.json() as { entries: Entry[] }).entries;
}

describe('consent changes in the audit trail', () => {
  it('records who changed which consent and what became of it, refusals included', async () => {
    const created = await api.inject({
      method: 'POST',
      url: '/constituents',
      headers: bearer(ingestKey),
      payload: { email: 'ada@example.org', firstName: 'Ada', consent: { email: 'granted', sms: 'withdrawn' } },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = (created.json() as { id: string }).id;

    const withdrawn = await api.inject({
      method: 'PATCH',
      url: `/constituents/${id}`,
      headers: bearer(adminKey),
      payload: { consent: { email: { status: 'withdrawn', by: 'constituent', evidence: 'signed form 7', source: 'paper form' } } },
    });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    // Only the constituent's own opt-in undoes their withdrawal: this one is refused, and kept.
    const regranted = await api.inject({ method: 'PATCH', url: `/constituents/${id}`, headers: bearer(ingestKey), payload: { consent: { email: 'granted' } } });
    expect(regranted.statusCode, regranted.body).toBe(200);
    expect((regranted.json() as { consent: { outcome: string }[] }).consent[0]!.outcome).toBe('refused');

    const entries = await audit(`action=consent.changed&object=${id}`);
    const summary = (entry: Entry) => [entry.actorName, entry.detail?.channel, entry.detail?.status, entry.detail?.outcome].join(' ');
    expect(entries.slice(0, 2).map(summary)).toEqual(['Donor CRM email granted refused', 'Auditor email withdrawn applied']);
    // The first request's two channels share a moment: their order between them is not asked.
    expect(entries.slice(2).map(summary).sort()).toEqual(['Donor CRM email granted applied', 'Donor CRM sms withdrawn applied']);
    expect(entries).toHaveLength(4);
    for (const entry of entries) {
      expect(entry).toMatchObject({ action: 'consent.changed', actorKind: 'key', objectType: 'constituent', objectId: id });
      expect(entry.actorId).toBeTruthy();
    }
    const refused = entries[0]!;
    expect(refused.detail).toMatchObject({ source: 'API', by: 'integration' });
    expect(String(refused.detail?.note)).toContain('the constituent withdrew consent');
    const change = await stack.database.prisma.consentChange.findUniqueOrThrow({ where: { id: String(refused.detail?.changeId) } });
    expect(change).toMatchObject({ constituentId: id, outcome: 'refused', status: 'granted' });

    // The object's kind finds them too, and a change to other fields leaves no consent entry.
    expect(await audit(`action=consent&object=${id}`)).toHaveLength(4);
    const renamed = await api.inject({ method: 'PATCH', url: `/constituents/${id}`, headers: bearer(adminKey), payload: { firstName: 'Augusta' } });
    expect(renamed.statusCode).toBe(200);
    expect(await audit(`action=consent.changed&object=${id}`)).toHaveLength(4);
  });

  it('records a change an admin makes in the web app, as that person, refusals included', async () => {
    const admin = await stack.database.prisma.person.create({ data: { email: 'admin@hope.example', name: 'Ruth Admin', role: 'admin' } });
    const cookie = `steward_session=${(await stack.services.sessions.start({ personId: admin.id })).token}`;
    const constituent = await stack.database.prisma.constituent.create({ data: { email: 'lin@example.org', firstName: 'Lin' } });
    const page = await api.inject({ method: 'GET', url: `/app/constituents/${constituent.id}`, headers: { host: 'steward.example', cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Record a consent change');

    const post = (fields: Record<string, string>) =>
      api.inject({
        method: 'POST',
        url: `/app/constituents/${constituent.id}/consent`,
        headers: { host: 'steward.example', origin: 'http://steward.example', cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(fields).toString(),
      });
    const flash = (response: { cookies: { name: string; value: string }[] }) => decodeURIComponent(response.cookies.find((item) => item.name === 'steward_flash')?.value ?? '');

    await recordConsentChanges(stack.database.prisma, [{ constituentId: constituent.id, channel: 'sms', status: 'withdrawn', source: 'STOP', authority: 'constituent' }]);
    const granted = await post({ channel: 'email', status: 'granted', source: 'phone call' });
    expect(granted.statusCode).toBe(303);
    expect(flash(granted)).toContain('Email consent granted: recorded.');
    const refused = await post({ channel: 'sms', status: 'granted' });
    expect(refused.statusCode).toBe(303);
    expect(flash(refused)).toContain('kept, not applied (refused)');
    const bad = await post({ channel: 'fax', status: 'granted' });
    expect(flash(bad)).toContain('Choose a channel');

    const entries = await audit(`action=consent.changed&object=${constituent.id}`);
    expect(entries.map((entry) => [entry.actorKind, entry.actorId, entry.detail?.channel, entry.detail?.status, entry.detail?.outcome, entry.detail?.by, entry.detail?.source])).toEqual([
      ['person', admin.id, 'sms', 'granted', 'refused', 'staff', 'Steward app'],
      ['person', admin.id, 'email', 'granted', 'applied', 'staff', 'phone call'],
    ]);
  });

  it('commits the entry with its change, or neither', async () => {
    const constituent = await stack.database.prisma.constituent.create({ data: { email: 'grace@example.org' } });
    await expect(
      stack.database.prisma.$transaction(async (tx) => {
        await recordConsentChanges(tx, [{ constituentId: constituent.id, channel: 'email', status: 'granted', source: 'API' }], SYSTEM_ACTOR);
        throw new Error('the rest of the change failed');
      }),
    ).rejects.toThrow('the rest of the change failed');
    expect(await stack.database.prisma.consentChange.count({ where: { constituentId: constituent.id } })).toBe(0);
    expect(await stack.database.prisma.auditEntry.count({ where: { objectId: constituent.id } })).toBe(0);
  });

  it('leaves consent that arrives without an actor (the event intake) out of the trail', async () => {
    const constituent = await stack.database.prisma.constituent.create({ data: { email: 'mary@example.org' } });
    const [result] = await recordConsentChanges(stack.database.prisma, [{ constituentId: constituent.id, channel: 'email', status: 'granted', source: 'donation form' }]);
    expect(result!.outcome).toBe('applied');
    expect(await stack.database.prisma.auditEntry.count({ where: { objectId: constituent.id } })).toBe(0);
  });
});
