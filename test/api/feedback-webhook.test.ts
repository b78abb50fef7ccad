/**
 * The bounce and complaint webhook suppresses addresses, so it takes reports only from
 * whoever holds its token: not from anyone who reaches the API, nor from an API key.
 * On a real database; Temporal is unreachable, and no journey needs telling here.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, makeKey } from '../support/api.ts';
import { startApiWithoutTemporal, type ApiWithoutTemporal } from '../support/api-without-temporal.ts';

const TOKEN = 'the-bounce-webhook-token-of-this-test';
let started: ApiWithoutTemporal;
let api: FastifyInstance;
let adminKey: string;

beforeAll(async () => {
  started = await startApiWithoutTemporal({
    channelRoutes: (services) => ({ channels: services.channels!, publicUrl: 'http://127.0.0.1', orgName: 'Hope', bounceWebhookToken: TOKEN }),
  });
  api = started.api;
  adminKey = await makeKey(started.services.keys, ['admin']);
});
afterAll(() => started?.stop());

const hardBounce = (recipient: string, headers: Record<string, string> = {}) =>
  api.inject({ method: 'POST', url: '/webhooks/email/feedback', headers, payload: { type: 'bounce', bounceType: 'hard', recipient } });
const suppressed = (address: string) => started.database.prisma.suppression.findUnique({ where: { channel_address: { channel: 'email', address } } });

describe('POST /webhooks/email/feedback', () => {
  it('refuses a report without the token, or with an API key in its place, and suppresses nothing', async () => {
    const address = `victim-${randomUUID()}@example.org`;
    const attempts: Record<string, string>[] = [{}, bearer('not-the-token'), bearer(adminKey), { 'x-api-key': adminKey }];
    for (const headers of attempts) {
      const refused = await hardBounce(address, headers);
      expect(refused.statusCode, JSON.stringify(headers)).toBe(401);
      expect(refused.json()).toEqual({ error: { message: expect.stringContaining('Authorization: Bearer <token>') } });
      expect(refused.headers['www-authenticate']).toContain('Bearer');
    }
    expect(await suppressed(address)).toBeNull();
  });

  it('takes a report carrying the token, as a bearer token or as the Basic password', async () => {
    const byBearer = `bounced-${randomUUID()}@example.org`;
    expect((await hardBounce(byBearer, bearer(TOKEN))).json()).toEqual({ results: [{ suppressed: true, constituents: 0, enrollments: 0 }] });
    expect(await suppressed(byBearer)).toMatchObject({ reason: 'hard-bounce' });
    const byBasic = `bounced-${randomUUID()}@example.org`;
    const basic = `Basic ${Buffer.from(`mail-provider:${TOKEN}`).toString('base64')}`;
    expect((await hardBounce(byBasic, { authorization: basic })).statusCode).toBe(200);
    expect(await suppressed(byBasic)).toMatchObject({ reason: 'hard-bounce' });
  });

  it('marks the latest message to the address bounced once, however often a report without its id repeats', async () => {
    const db = started.database.prisma;
    const address = `repeated-${randomUUID()}@example.org`;
    const constituent = await db.constituent.create({ data: { email: address } });
    const sent = (daysAgo: number) =>
      db.message.create({
        data: { idempotencyKey: randomUUID(), constituentId: constituent.id, channel: 'email', template: 't', recipient: address, status: 'sent', sentAt: new Date(Date.now() - daysAgo * 86_400_000) },
      });
    const older = await sent(3);
    const latest = await sent(1);
    for (let report = 0; report < 3; report += 1) expect((await hardBounce(address, bearer(TOKEN))).statusCode).toBe(200);
    expect(await db.message.findUniqueOrThrow({ where: { id: latest.id } })).toMatchObject({ status: 'bounced' });
    expect(await db.message.findUniqueOrThrow({ where: { id: older.id } })).toMatchObject({ status: 'sent' });
  });
});
