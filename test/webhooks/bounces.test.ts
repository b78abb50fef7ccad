/**
 * `message.bounced` for every way a message bounces, once each, on real parts: a real
 * SMTP server that refuses (the recipient with 550 5.1.1, the message with 554 5.7.1,
 * the sender with 553 5.1.8), Twilio's delivery receipts from the Twilio double
 * (signed, for messages created through requests checked against Twilio's OpenAPI
 * description), the time-skipping Temporal server, the database, and a CRM endpoint
 * subscribed through the API. What the CRM is told is read from the outbox and, for
 * a journey's send, from a real receiver verifying the Standard Webhooks signature.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import type { SendMessageInput } from '../../activities/send-message.ts';
import type { Database } from '../../src/db/client.ts';
import { JourneyDefinition } from '../../src/journeys/definition.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { createMailTransport, type MailTransport } from '../../src/mail/transport.ts';
import { routed } from '../support/api.ts';
import { ACCOUNT_SID, AUTH_TOKEN, startChannelStack, type ChannelStack } from '../support/channel-stack.ts';
import { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from '../support/smtp-sink.ts';
import { createTwilioClient } from '../support/twilio-double.ts';
import { eventually } from '../support/wait.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

let stack: ChannelStack;
let db: Database;
let crm: WebhookReceiver;
let verifier: Webhook;

beforeAll(async () => {
  stack = await startChannelStack({}, { localWebhookReceiver: true });
  db = stack.runtime.db;
  crm = await startWebhookReceiver(() => 204);
  const created = await stack.call({ method: 'POST', url: '/webhooks/endpoints', payload: { url: crm.url, description: 'CRM', eventTypes: ['message.bounced', 'consent.changed'] } });
  expect(created.statusCode).toBe(201);
  verifier = new Webhook((created.json() as { secret: string }).secret);
  stack.services.webhooks.dispatcher.start(100);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await crm?.close();
});

interface BouncedPayload {
  message: Record<string, unknown> & { id: string };
  constituent: { id: string; email: string | null };
}

/** The `message.bounced` deliveries the outbox holds for one message. */
async function bouncesOf(messageId: string): Promise<BouncedPayload[]> {
  const rows = await db.webhookDelivery.findMany({ where: { eventType: 'message.bounced' } });
  return rows.map((row) => row.payload as unknown as BouncedPayload).filter((payload) => payload.message.id === messageId);
}

/** The consent changes the outbox holds for one constituent, by status. */
async function consentWebhooksOf(constituentId: string): Promise<string[]> {
  const rows = await db.webhookDelivery.findMany({ where: { eventType: 'consent.changed' } });
  return rows
    .map((row) => row.payload as { consent: { status: string }; constituent: { id: string } })
    .filter((payload) => payload.constituent.id === constituentId)
    .map((payload) => payload.consent.status);
}

/** A mail server refusing in the way `options` says, with a transport to it; stopped after `use`. */
async function withRefusingServer<T>(options: SmtpSinkOptions, use: (mailer: MailTransport, smtp: SmtpSink) => Promise<T>): Promise<T> {
  const smtp = await startSmtpSink(options);
  const mailer = createMailTransport(smtp.url);
  try {
    return await use(mailer, smtp);
  } finally {
    mailer.close();
    await smtp.stop();
  }
}

async function donor(email: string, extra: { phone?: string } = {}) {
  return db.constituent.create({
    data: {
      email,
      firstName: 'Ada',
      ...extra,
      consents: { create: [{ channel: 'email', status: 'granted', source: 'test' }, ...(extra.phone ? [{ channel: 'sms' as const, status: 'granted' as const, source: 'test' }] : [])] },
    },
  });
}

const emailTo = (constituentId: string): SendMessageInput => ({ channel: 'email', enrollmentId: null, constituentId, template: 'new-donor-impact', idempotencyKey: randomUUID() });

describe('a mail server refusing as the email is sent', () => {
  it('tells the CRM once of a recipient refused with 550, with the suppression and consent a hard bounce brings; the journey still branches on it', async () => {
    const email = `refused-${randomUUID()}@bounces.example`;
    await publishJourneyCatalog(db, [
      {
        definition: JourneyDefinition.parse({
          id: 'bounce-at-send',
          name: 'Refused at send',
          trigger: { event: 'custom', when: [{ field: 'event.name', eq: 'bounce-at-send' }] },
          initial: 'emailed',
          states: {
            emailed: { entry: [{ do: 'email', template: 'new-donor-impact' }], on: { 'delivery-failed': 'refused' }, after: [{ delay: '10d', to: 'done' }] },
            refused: { final: true },
            done: { final: true },
          },
        }),
        source: 'bounce-at-send.test',
        publishOnStart: true,
      },
    ]);
    await withRefusingServer({ unknownMailboxes: new Set([email]) }, async (mailer, smtp) => {
      const worker = await stack.runtime.worker({ messaging: stack.messaging, mailer, webhooks: { requestTimeoutMs: 5_000, allowPrivateNetworks: true } });
      const response = await stack.call({
        method: 'POST',
        url: '/events',
        payload: { id: randomUUID(), type: 'custom', constituent: { email, firstName: 'Ada', consent: { email: 'granted' } }, data: { name: 'bounce-at-send' } },
      });
      const [enrolled] = (await routed(stack.call, response)).enrollments;
      const enrollment = await db.enrollment.findUniqueOrThrow({ where: { id: enrolled!.enrollmentId } });
      const handle = stack.runtime.env.client.workflow.getHandle(enrollment.workflowId);

      const received = await worker.runUntil(async () => {
        expect(await handle.result()).toBe('completed');
        // The CRM hears of the bounce and of the consent it withdrew, signed.
        return eventually(async () => {
          const bodies = crm.received.map((request) => verifier.verify(request.body, request.headers as Record<string, string>) as { type: string; data: Record<string, any> });
          const mine = bodies.filter((body) => body.data.constituent.email === email);
          return mine.some((body) => body.type === 'message.bounced') && mine.some((body) => body.data.consent?.status === 'withdrawn') ? mine : undefined;
        }, 'the bounce and the withdrawn consent at the CRM', 60_000);
      });

      // The journey took its delivery-failed branch, as before: the refusal did not end it.
      const steps = await db.enrollmentTransition.findMany({ where: { enrollmentId: enrollment.id }, orderBy: { sequence: 'asc' } });
      expect(steps.map((step) => `${step.fromState ?? '(start)'} -> ${step.toState} [${step.cause}]`)).toEqual(['(start) -> emailed [enrolled]', 'emailed -> refused [delivery-failed]']);
      const message = await db.message.findFirstOrThrow({ where: { enrollmentId: enrollment.id } });
      expect(message).toMatchObject({ status: 'failed', errorCode: '550', sentAt: null });

      const bounced = received.find((body) => body.type === 'message.bounced')!;
      expect(bounced.data).toEqual({
        message: {
          id: message.id,
          enrollmentId: enrollment.id,
          channel: 'email',
          class: 'marketing',
          template: 'new-donor-impact',
          recipient: email,
          subject: null,
          status: 'failed',
          providerMessageId: null,
          sentAt: null,
          error: expect.stringMatching(/550 5\.1\.1 .*User unknown/),
          errorCode: '550',
        },
        constituent: { id: enrollment.constituentId, email, firstName: 'Ada', lastName: null, phone: null },
      });
      const withdrawn = received.find((body) => body.type === 'consent.changed' && body.data.consent.status === 'withdrawn')!;
      expect(withdrawn.data.consent).toMatchObject({ channel: 'email', source: 'hard bounce', authority: 'provider' });
      expect(await db.suppression.findUniqueOrThrow({ where: { channel_address: { channel: 'email', address: email } } })).toMatchObject({
        reason: 'hard-bounce',
        source: `send of message ${message.id}: 550`,
      });
      expect(await db.constituentConsent.findFirstOrThrow({ where: { constituentId: enrollment.constituentId, channel: 'email' } })).toMatchObject({ status: 'withdrawn', authority: 'provider' });

      // The send activity retried (Temporal lost its answer): it answers from the record and tells no one again.
      const { sendMessage } = createActivities({ db, mailer, mailFrom: 'Hope Shelter <hello@hope.example>', messaging: stack.messaging });
      const retried = await sendMessage({ channel: 'email', enrollmentId: enrollment.id, constituentId: enrollment.constituentId, template: 'new-donor-impact', idempotencyKey: message.idempotencyKey });
      expect(retried).toEqual({ messageId: message.id, status: 'failed', code: 'mailbox-unknown' });
      expect(await bouncesOf(message.id)).toHaveLength(1);
      expect((await consentWebhooksOf(enrollment.constituentId)).sort()).toEqual(['granted', 'withdrawn']);
      expect(await db.message.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ sendAttempts: 1 });
      expect(smtp.messages).toHaveLength(0);
    });
  }, 180_000);

  it('tells the CRM once of a message refused after its data (554), and keeps the address: the mailbox exists', async () => {
    let dataArrived = 0;
    // The server takes a moment over the content before refusing it, long enough for a second attempt to start.
    const server = { refuseMessages: { code: 554, text: '5.7.1 Message rejected: content policy' }, acceptDelayMs: 1_000, onReceiving: () => void dataArrived++ };
    await withRefusingServer(server, async (mailer, smtp) => {
      const constituent = await donor(`filtered-${randomUUID()}@bounces.example`);
      const { sendMessage } = createActivities({ db, mailer, mailFrom: 'Hope Shelter <hello@hope.example>', messaging: stack.messaging });
      const input = emailTo(constituent.id);
      const first = sendMessage(input);
      await eventually(async () => (dataArrived > 0 ? true : undefined), 'the message at the server');
      // The retry Temporal starts while the first attempt looks slow: it does not send.
      await expect(sendMessage(input)).rejects.toMatchObject({ type: 'SendInProgress' });
      const refused = await first;
      expect(refused).toMatchObject({ status: 'failed', code: 'refused' });
      // Once the first is recorded, a retry answers from the record.
      expect(await sendMessage(input)).toEqual(refused);
      expect(dataArrived).toBe(1);

      const message = await db.message.findUniqueOrThrow({ where: { idempotencyKey: input.idempotencyKey } });
      expect(message).toMatchObject({ status: 'failed', errorCode: '554', sendAttempts: 1 });
      const bounces = await bouncesOf(message.id);
      expect(bounces).toHaveLength(1);
      expect(bounces[0]!.message).toMatchObject({ status: 'failed', errorCode: '554', error: expect.stringContaining('5.7.1 Message rejected: content policy') });
      // No body goes to the CRM, only what the message record says of it.
      expect(bounces[0]!.message).not.toHaveProperty('bodyText');
      expect(JSON.stringify(bounces[0])).not.toContain('Dear Ada');
      expect(await db.suppression.findUnique({ where: { channel_address: { channel: 'email', address: constituent.email! } } })).toBeNull();
      expect(await consentWebhooksOf(constituent.id)).toEqual([]);
      expect(smtp.messages).toHaveLength(0);
    });
  });

  it('tells the CRM nothing, and suppresses no one, when the relay refuses Steward as the sender', async () => {
    await withRefusingServer({ refuseSenders: { code: 553, text: '5.1.8 Sender address rejected: Domain not found' } }, async (mailer) => {
      const constituent = await donor(`innocent-${randomUUID()}@bounces.example`);
      const { sendMessage } = createActivities({ db, mailer, mailFrom: 'Hope Shelter <hello@hope.example>', messaging: stack.messaging });
      const input = emailTo(constituent.id);
      expect(await sendMessage(input)).toMatchObject({ status: 'failed' });
      const message = await db.message.findUniqueOrThrow({ where: { idempotencyKey: input.idempotencyKey } });
      expect(message).toMatchObject({ status: 'failed', errorCode: '553' });
      expect(await bouncesOf(message.id)).toEqual([]);
      expect(await db.suppression.findUnique({ where: { channel_address: { channel: 'email', address: constituent.email! } } })).toBeNull();
      expect(await db.constituentConsent.findFirstOrThrow({ where: { constituentId: constituent.id, channel: 'email' } })).toMatchObject({ status: 'granted' });
    });
  });
});

describe('Twilio refusing a text as it is sent', () => {
  async function refusedText(phone: string, code: number) {
    const constituent = await donor(`refused-${randomUUID()}@bounces.example`, { phone });
    const { sendMessage } = createActivities({ db, mailer: stack.runtime.mailer, mailFrom: 'hello@hope.example', messaging: stack.messaging });
    stack.twilioDouble.failNext({ kind: 'error', code });
    const input: SendMessageInput = { channel: 'sms', enrollmentId: null, constituentId: constituent.id, template: 'winback-sms', idempotencyKey: randomUUID() };
    const result = await sendMessage(input);
    // A retry answers from the record, and tells no one again.
    expect(await sendMessage(input)).toEqual(result);
    return { constituent, result, message: await db.message.findUniqueOrThrow({ where: { idempotencyKey: input.idempotencyKey } }) };
  }

  it('tells the CRM once of a number Twilio says is invalid (21211), and suppresses it', async () => {
    const phone = '+15035550171';
    const { constituent, result, message } = await refusedText(phone, 21211);
    expect(result).toEqual({ messageId: message.id, status: 'failed', code: 'invalid-number' });
    expect(message).toMatchObject({ status: 'failed', errorCode: '21211', providerMessageId: null });
    expect(await bouncesOf(message.id)).toEqual([
      {
        message: expect.objectContaining({ id: message.id, channel: 'sms', status: 'failed', recipient: phone, errorCode: '21211', error: expect.stringContaining('21211') }),
        constituent: expect.objectContaining({ id: constituent.id, phone }),
      },
    ]);
    expect(await db.suppression.findUniqueOrThrow({ where: { channel_address: { channel: 'sms', address: phone } } })).toMatchObject({ reason: 'invalid-number' });
    expect(stack.twilioDouble.rejected).toEqual([]);
  });

  it('tells the CRM of no bounce for a recipient who sent STOP (21610), and suppresses the number', async () => {
    const phone = '+15035550173';
    const { result, message } = await refusedText(phone, 21610);
    expect(result).toEqual({ messageId: message.id, status: 'failed', code: 'invalid-number' });
    expect(await bouncesOf(message.id)).toEqual([]);
    expect(await db.suppression.findUniqueOrThrow({ where: { channel_address: { channel: 'sms', address: phone } } })).toMatchObject({ reason: 'invalid-number' });
  });

  it("tells the CRM nothing, and keeps the number, when the account may not send to the number's region (21408)", async () => {
    const phone = '+15035550172';
    const { result, message } = await refusedText(phone, 21408);
    expect(result).toEqual({ messageId: message.id, status: 'failed', code: 'refused' });
    expect(await bouncesOf(message.id)).toEqual([]);
    expect(await db.suppression.findUnique({ where: { channel_address: { channel: 'sms', address: phone } } })).toBeNull();
  });
});

describe("Twilio's delivery receipts", () => {
  const spec = JSON.parse(readFileSync(new URL('../fixtures/twilio-oai/twilio_api_v2010.json', import.meta.url), 'utf8')) as {
    components: { schemas: Record<string, { enum?: string[] }> };
  };

  async function sentText(phone: string) {
    const constituent = await donor(`texted-${randomUUID()}@bounces.example`, { phone });
    const { sendMessage } = createActivities({ db, mailer: stack.runtime.mailer, mailFrom: 'hello@hope.example', messaging: stack.messaging });
    const result = await sendMessage({ channel: 'sms', enrollmentId: null, constituentId: constituent.id, template: 'winback-sms', idempotencyKey: randomUUID() });
    expect(result.status).toBe('sent');
    const message = await db.message.findUniqueOrThrow({ where: { id: result.messageId } });
    return { constituent, message, sid: message.providerMessageId! };
  }

  it('records a text Twilio reports undelivered as bounced with its error code, tells the CRM once, and suppresses a dead number', async () => {
    // The statuses Steward reads as a bounce are ones Twilio's description of a message names.
    expect(spec.components.schemas.message_enum_status!.enum).toEqual(expect.arrayContaining(['undelivered', 'failed', 'delivered']));
    const phone = '+15035550164';
    const { constituent, message, sid } = await sentText(phone);

    const first = await stack.twilioDouble.sendStatusCallback(sid, 'undelivered', 30003);
    expect(first.status).toBe(204);
    expect(await db.message.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ status: 'bounced', errorCode: '30003', error: 'Twilio undelivered (30003)' });
    const bounces = await bouncesOf(message.id);
    expect(bounces).toEqual([
      {
        message: expect.objectContaining({ id: message.id, channel: 'sms', status: 'bounced', recipient: phone, providerMessageId: sid, errorCode: '30003', error: 'Twilio undelivered (30003)' }),
        constituent: expect.objectContaining({ id: constituent.id, phone }),
      },
    ]);
    expect(JSON.stringify(bounces[0])).not.toContain(message.bodyText!);
    expect(await db.suppression.findUniqueOrThrow({ where: { channel_address: { channel: 'sms', address: phone } } })).toMatchObject({ reason: 'invalid-number' });
    // What Steward recorded is what Twilio's own record says, read through Twilio's client and checked against the spec.
    const client = createTwilioClient(stack.twilioDouble, { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    expect(await client.messages(sid).fetch()).toMatchObject({ sid, status: 'undelivered', errorCode: 30003 });

    // Twilio says it again, says failed, and a stray delivery receipt arrives late: nothing changes, no one is told twice.
    expect((await stack.twilioDouble.sendStatusCallback(sid, 'undelivered', 30003)).status).toBe(204);
    expect((await stack.twilioDouble.sendStatusCallback(sid, 'failed', 30003)).status).toBe(204);
    expect((await stack.twilioDouble.sendStatusCallback(sid, 'delivered')).status).toBe(204);
    expect(await bouncesOf(message.id)).toHaveLength(1);
    expect(await db.message.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ status: 'bounced', errorCode: '30003', deliveredAt: null });

    expect(stack.twilioDouble.rejected).toEqual([]);
  });

  it('records a text Twilio reports failed as bounced, and keeps a number that may still receive', async () => {
    const phone = '+15035550165';
    const { message, sid } = await sentText(phone);
    // 30007: the carrier filtered the message; the number itself is fine.
    const callbacks = await Promise.all([stack.twilioDouble.sendStatusCallback(sid, 'failed', 30007), stack.twilioDouble.sendStatusCallback(sid, 'failed', 30007)]);
    expect(callbacks.map((callback) => callback.status)).toEqual([204, 204]);
    expect(await db.message.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ status: 'bounced', errorCode: '30007', error: 'Twilio failed (30007)' });
    expect((await bouncesOf(message.id)).map((bounce) => bounce.message.errorCode)).toEqual(['30007']);
    expect(await db.suppression.findUnique({ where: { channel_address: { channel: 'sms', address: phone } } })).toBeNull();
  });

  it('marks a delivered text delivered and tells no one of a bounce', async () => {
    const { message, sid } = await sentText('+15035550166');
    expect((await stack.twilioDouble.sendStatusCallback(sid, 'delivered')).status).toBe(204);
    expect(await db.message.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ status: 'delivered', deliveredAt: expect.any(Date) });
    expect(await bouncesOf(message.id)).toEqual([]);
  });
});
