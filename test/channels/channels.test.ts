/**
 * Email and SMS end to end, on real parts: the time-skipping Temporal server, a
 * database, a real SMTP server, the HTTP API listening on a port, and a Twilio
 * double that checks every request against Twilio's OpenAPI description.
 * Journeys here are triggered by `custom` events named for each test, so each
 * test enrolls only into its own journey.
 */
import { randomUUID } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { reserveUnderCap } from '../../src/delivery/caps.ts';
import type { MessagingSettings } from '../../src/delivery/settings.ts';
import { parseSendWindow } from '../../src/delivery/window.ts';
import type { Database } from '../../src/db/client.ts';
import { JourneyDefinition, type JourneyDefinitionInput } from '../../src/journeys/definition.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { BOUNCE_TOKEN, FROM, startChannelStack, type ChannelStack } from '../support/channel-stack.ts';
import type { TestRuntime } from '../support/runtime.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import type { TwilioDouble } from '../support/twilio-double.ts';
import { eventually } from '../support/wait.ts';
import { routed } from '../support/api.ts';

let stack: ChannelStack;
let runtime: TestRuntime;
let db: Database;
let call: ChannelStack['call'];
let apiUrl: string;
let twilioDouble: TwilioDouble;
let messaging: MessagingSettings;

beforeAll(async () => {
  stack = await startChannelStack();
  ({ runtime, call, apiUrl, twilioDouble, messaging } = stack);
  db = runtime.db;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function publish(definition: JourneyDefinitionInput): Promise<void> {
  await publishJourneyCatalog(db, [{ definition: JourneyDefinition.parse(definition), source: `${definition.id}.test`, publishOnStart: true }]);
}

/** A one-message journey triggered by the custom event `name`. */
function oneMessage(name: string, channel: 'email' | 'sms', template: string, extra: Partial<JourneyDefinitionInput> = {}): JourneyDefinitionInput {
  return {
    id: name,
    name,
    trigger: { event: 'custom', when: [{ field: 'event.name', eq: name }] },
    initial: 'sending',
    states: { sending: { entry: [{ do: channel, template }], after: [{ delay: '10d', to: 'done' }] }, done: { final: true } },
    ...extra,
  };
}

interface Person {
  email?: string;
  phone?: string;
  timezone?: string;
  consent?: { email?: 'granted' | 'withdrawn'; sms?: 'granted' | 'withdrawn' };
}

async function trigger(name: string, person: Person) {
  const response = await call({
    method: 'POST',
    url: '/events',
    payload: {
      id: randomUUID(),
      type: 'custom',
      constituent: { email: person.email ?? `${randomUUID()}@example.org`, firstName: 'Ada', ...person },
      data: { name },
    },
  });
  expect(response.statusCode).toBe(202);
  const body = await routed(call, response);
  expect(body.enrollments).toHaveLength(1);
  const enrollment = await db.enrollment.findUniqueOrThrow({ where: { id: body.enrollments[0]!.enrollmentId } });
  return { enrollment, handle: runtime.env.client.workflow.getHandle(enrollment.workflowId) };
}

/** The email that arrived for this address. */
function mailTo(address: string): Promise<ParsedMail> {
  return eventually(async () => runtime.smtp.messages.find((message) => (message.to as { text: string }).text === address), `the email to ${address}`);
}

function headerLine(mail: ParsedMail, key: string): string {
  // Long headers are folded onto continuation lines; unfold them.
  return (mail.headerLines.find((header) => header.key === key)?.line ?? '').replace(/\r?\n\s+/g, ' ');
}

async function messageOf(enrollmentId: string) {
  return eventually(async () => {
    const message = await db.message.findFirst({ where: { enrollmentId } });
    return message && message.status !== 'pending' ? message : undefined;
  }, 'the message record');
}

describe('email', () => {
  it('arrives with text and HTML parts, one-click unsubscribe headers and a link that really unsubscribes', async () => {
    await publish(oneMessage('mail-unsubscribe', 'email', 'new-donor-impact'));
    const email = `unsub-${randomUUID()}@example.org`;
    const worker = await runtime.worker({ messaging });
    const { enrollment, handle } = await trigger('mail-unsubscribe', { email, consent: { email: 'granted' } });
    const outcome = await worker.runUntil(async () => {
      const mail = await mailTo(email);
      expect(mail.subject).toBe('Ada, here is what your gift is doing');
      expect(mail.text).toContain('Dear Ada,');
      expect(mail.html).toContain('<p>Dear Ada,</p>');
      expect(mail.text).toContain('Hope Shelter, 12 Harbour Road, Portland');
      const stored = await messageOf(enrollment.id);
      expect(mail.messageId).toBe(`<${stored.id}@steward.localhost>`);
      expect(headerLine(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
      const link = /Unsubscribe: (\S+)/.exec(mail.text!)![1]!;
      expect(headerLine(mail, 'list-unsubscribe')).toBe(`List-Unsubscribe: <${link}>`);
      expect(link.startsWith(`${apiUrl}/u/`)).toBe(true);

      // A person follows the link: a page that asks, then a button that does it.
      const page = await fetch(link);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Unsubscribe from Hope Shelter');
      const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!;
      const done = await fetch(new URL(action, apiUrl), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
      expect(done.status).toBe(200);
      expect(await done.text()).toContain('You are unsubscribed');
      return handle.result();
    });
    // Unsubscribing ends the journey, and the consent record says how.
    expect(outcome).toBe('exited');
    expect(await db.enrollment.findUniqueOrThrow({ where: { id: enrollment.id } })).toMatchObject({ status: 'exited', exitReason: 'unsubscribed' });
    expect(await db.constituentConsent.findFirstOrThrow({ where: { constituent: { email }, channel: 'email' } })).toMatchObject({
      status: 'withdrawn',
      source: expect.stringMatching(/^unsubscribe link in message /),
    });
  });

  it("holds an unsubscribe against an integration's later \"granted\", and lets only the constituent's own opt-in on the preference page restore it", async () => {
    await publish(oneMessage('mail-preferences', 'email', 'new-donor-impact'));
    const email = `prefs-${randomUUID()}@example.org`;
    const worker = await runtime.worker({ messaging });
    const { enrollment, handle } = await trigger('mail-preferences', { email, consent: { email: 'granted' } });
    const preferencesLink = await worker.runUntil(async () => {
      const mail = await mailTo(email);
      const unsubscribe = /<([^>]+)>/.exec(headerLine(mail, 'list-unsubscribe'))![1]!;
      const response = await fetch(unsubscribe, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
      expect(response.status).toBe(200);
      await handle.result();
      return /Your preferences: (\S+)/.exec(mail.text!)![1]!;
    });
    expect(await db.suppression.findUnique({ where: { channel_address: { channel: 'email', address: email } } })).toMatchObject({ reason: 'unsubscribe' });

    // The CRM sends the constituent again with "granted", as it does with every record.
    const again = await call({ method: 'POST', url: '/events', payload: { id: randomUUID(), type: 'custom', constituent: { email, consent: { email: 'granted' } }, data: { name: 'crm-sync' } } });
    expect(again.statusCode).toBe(202);
    expect(again.json().consent).toEqual([
      { channel: 'email', status: 'granted', outcome: 'refused', note: expect.stringMatching(/^the constituent withdrew consent \(one-click unsubscribe in message .*\); only their own opt-in restores it$/) },
    ]);
    expect(await db.constituentConsent.findFirstOrThrow({ where: { constituent: { email }, channel: 'email' } })).toMatchObject({ status: 'withdrawn', authority: 'constituent' });
    expect(await db.consentChange.findFirstOrThrow({ where: { constituent: { email }, outcome: 'refused' } })).toMatchObject({ status: 'granted', authority: 'integration' });
    const { sendMessage } = createActivities({ db, mailer: runtime.mailer, mailFrom: 'hello@hope.example', messaging });
    const send = () => sendMessage({ channel: 'email', enrollmentId: null, constituentId: enrollment.constituentId, template: 'new-donor-impact', idempotencyKey: randomUUID() });
    expect(await send()).toMatchObject({ status: 'suppressed', reason: expect.stringMatching(/^email consent withdrawn/) });

    // Claiming to speak for the constituent takes evidence.
    const unproven = await call({ method: 'POST', url: '/events', payload: { id: randomUUID(), type: 'custom', constituent: { email, consent: { email: { status: 'granted', by: 'constituent' } } }, data: { name: 'form' } } });
    expect(unproven.statusCode).toBe(400);
    expect(unproven.json().error.issues).toEqual([expect.objectContaining({ path: 'constituent.consent.email.evidence' })]);

    // The constituent opts back in from the link at the foot of the email.
    expect(preferencesLink.startsWith(`${apiUrl}/p/`)).toBe(true);
    const page = await (await fetch(preferencesLink)).text();
    expect(page).toContain('Messages from Hope Shelter');
    expect(page).toMatch(/<input type="checkbox" name="email" value="yes"> Emails to p•••@example\.org/);
    expect(page).not.toContain(email);
    const saved = await fetch(preferencesLink, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=yes' });
    expect(saved.status).toBe(200);
    expect(await saved.text()).toMatch(/Your choices are saved[\s\S]*name="email" value="yes" checked/);
    expect(await db.constituentConsent.findFirstOrThrow({ where: { constituent: { email }, channel: 'email' } })).toMatchObject({ status: 'granted', authority: 'constituent', source: expect.stringMatching(/^preference page/) });
    expect(await db.suppression.findUnique({ where: { channel_address: { channel: 'email', address: email } } })).toBeNull();
    expect(await send()).toMatchObject({ status: 'sent' });

    // And out again from the same page: unchecked is "no".
    await fetch(preferencesLink, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(await db.constituentConsent.findFirstOrThrow({ where: { constituent: { email }, channel: 'email' } })).toMatchObject({ status: 'withdrawn', authority: 'constituent' });
    expect((await fetch(`${preferencesLink.slice(0, -2)}xx`)).status).toBe(400);
  });

  it('honours a one-click POST from the mailbox provider, and refuses a forged link', async () => {
    await publish(oneMessage('mail-one-click', 'email', 'new-donor-impact'));
    const email = `oneclick-${randomUUID()}@example.org`;
    const worker = await runtime.worker({ messaging });
    const { handle } = await trigger('mail-one-click', { email, consent: { email: 'granted' } });
    const outcome = await worker.runUntil(async () => {
      const mail = await mailTo(email);
      const link = /<([^>]+)>/.exec(headerLine(mail, 'list-unsubscribe'))![1]!;
      const forged = `${link.slice(0, -3)}abc`;
      const refused = await fetch(forged, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
      expect(refused.status).toBe(400);
      const response = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
      expect(response.status).toBe(200);
      return handle.result();
    });
    expect(outcome).toBe('exited');
    expect(await db.constituentConsent.findFirstOrThrow({ where: { constituent: { email }, channel: 'email' } })).toMatchObject({
      status: 'withdrawn',
      source: expect.stringMatching(/^one-click unsubscribe/),
    });
  });

  it('suppresses an address that hard-bounces, ends its journeys, and sends it nothing more', async () => {
    await publish(oneMessage('mail-bounce', 'email', 'new-donor-impact'));
    const email = `bounce-${randomUUID()}@example.org`;
    const worker = await runtime.worker({ messaging });
    const { enrollment, handle } = await trigger('mail-bounce', { email, consent: { email: 'granted' } });
    const outcome = await worker.runUntil(async () => {
      const stored = await eventually(async () => {
        const message = await db.message.findFirst({ where: { enrollmentId: enrollment.id, status: 'sent' } });
        return message ?? undefined;
      }, 'the email to be sent');
      // The mail provider proves itself with the webhook's token, not an API key.
      const feedback = (payload: unknown) => call({ method: 'POST', url: '/webhooks/email/feedback', headers: { authorization: `Bearer ${BOUNCE_TOKEN}` }, payload: payload as object });
      const bad = await feedback({ type: 'bounce', recipient: 'not-an-address' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: { issues: [{ path: 'recipient' }] } });
      const response = await feedback({ type: 'bounce', bounceType: 'hard', recipient: email.toUpperCase(), messageId: stored.id, detail: '550 5.1.1 user unknown' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ results: [{ suppressed: true, constituents: 1, enrollments: 1 }] });
      return handle.result();
    });
    expect(outcome).toBe('exited');
    expect(await db.enrollment.findUniqueOrThrow({ where: { id: enrollment.id } })).toMatchObject({ exitReason: 'hard-bounced' });
    expect(await db.suppression.findUniqueOrThrow({ where: { channel_address: { channel: 'email', address: email } } })).toMatchObject({ reason: 'hard-bounce' });
    expect(await db.message.findFirstOrThrow({ where: { enrollmentId: enrollment.id } })).toMatchObject({ status: 'bounced' });
  });

  it('records an unknown mailbox as a permanent failure, suppresses it, and does not retry', async () => {
    const unknown = `nobody-${randomUUID()}@example.org`;
    const smtp: SmtpSink = await startSmtpSink({ unknownMailboxes: new Set([unknown]) });
    const { createMailTransport } = await import('../../src/mail/transport.ts');
    const mailer = createMailTransport(smtp.url);
    try {
      const { sendMessage } = createActivities({ db, mailer, mailFrom: 'Hope Shelter <hello@hope.example>', messaging });
      const constituent = await db.constituent.create({ data: { email: unknown, consents: { create: { channel: 'email', status: 'granted', source: 'test' } } } });
      const input = { channel: 'email' as const, enrollmentId: null, constituentId: constituent.id, template: 'new-donor-impact', idempotencyKey: randomUUID() };
      const first = await sendMessage(input);
      expect(first).toMatchObject({ status: 'failed', code: 'mailbox-unknown' });
      // Asked again (a retry), it answers from the record, as the first call did.
      expect(await sendMessage(input)).toEqual(first);
      expect(await db.message.findUniqueOrThrow({ where: { idempotencyKey: input.idempotencyKey } })).toMatchObject({ status: 'failed', errorCode: '550' });
      expect(await db.suppression.findUnique({ where: { channel_address: { channel: 'email', address: unknown } } })).toMatchObject({ reason: 'hard-bounce' });
      expect(smtp.messages).toHaveLength(0);
    } finally {
      mailer.close();
      await smtp.stop();
    }
  });
});

describe('SMS through Twilio', () => {
  it('sends through the Twilio API with an E.164 number, and records the delivery receipt Twilio signs', async () => {
    await publish(oneMessage('sms-receipt', 'sms', 'winback-sms'));
    const worker = await runtime.worker({ messaging });
    const { enrollment } = await trigger('sms-receipt', { phone: '(503) 555-0142', consent: { sms: 'granted' } });
    await worker.runUntil(async () => {
      const stored = await eventually(async () => (await db.message.findFirst({ where: { enrollmentId: enrollment.id, status: 'sent' } })) ?? undefined, 'the SMS to be sent');
      const received = twilioDouble.messages.find((message) => message.sid === stored.providerMessageId)!;
      expect(received.params).toMatchObject({ To: '+15035550142', From: FROM, Body: 'Hi Ada, we miss you at Hope Shelter! Your support made a real difference. Reply STOP to opt out.' });
      expect(received.params.StatusCallback).toBe(`${apiUrl}/webhooks/twilio/status`);
      expect(stored).toMatchObject({ recipient: '+15035550142', segments: 1 });

      const callback = await twilioDouble.sendStatusCallback(stored.providerMessageId!, 'delivered');
      expect(callback.status).toBe(204);
      expect(await db.message.findUniqueOrThrow({ where: { id: stored.id } })).toMatchObject({ status: 'delivered', deliveredAt: expect.any(Date) });
    });
    expect(twilioDouble.rejected).toEqual([]);
  });

  it('refuses webhooks whose X-Twilio-Signature is forged or missing', async () => {
    const forged = await twilioDouble.sendInbound(`${apiUrl}/webhooks/twilio/inbound`, { from: '+15035550199', to: FROM, body: 'STOP' }, { forge: true });
    expect(forged.status).toBe(403);
    const unsigned = await fetch(`${apiUrl}/webhooks/twilio/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ MessageSid: `SM${'0'.repeat(32)}`, MessageStatus: 'delivered' }),
    });
    expect(unsigned.status).toBe(403);
  });

  it('obeys STOP, START and HELP, answering each as carriers require', async () => {
    const phone = '+15035550177';
    const constituent = await db.constituent.create({
      data: { email: `keywords-${randomUUID()}@example.org`, phone: '503-555-0177', consents: { create: { channel: 'sms', status: 'granted', source: 'form' } } },
    });
    const { sendMessage } = createActivities({ db, mailer: runtime.mailer, mailFrom: 'hello@hope.example', messaging });
    const send = () => sendMessage({ channel: 'sms', enrollmentId: null, constituentId: constituent.id, template: 'winback-sms', idempotencyKey: randomUUID() });

    const stop = await twilioDouble.sendInbound(`${apiUrl}/webhooks/twilio/inbound`, { from: phone, to: FROM, body: ' stop ' });
    expect(stop.status).toBe(200);
    expect(stop.contentType).toMatch(/^text\/xml/);
    expect(stop.body).toContain('<Message>Hope Shelter: you are unsubscribed and will receive no more messages. Reply START to opt back in.</Message>');
    expect(await db.constituentConsent.findFirstOrThrow({ where: { constituentId: constituent.id, channel: 'sms' } })).toMatchObject({ status: 'withdrawn', source: 'SMS keyword STOP' });
    expect(await db.suppression.findUnique({ where: { channel_address: { channel: 'sms', address: phone } } })).toMatchObject({ reason: 'sms-stop' });
    const before = twilioDouble.messages.length;
    expect(await send()).toMatchObject({ status: 'suppressed', reason: expect.stringMatching(/SMS consent withdrawn/) });

    const help = await twilioDouble.sendInbound(`${apiUrl}/webhooks/twilio/inbound`, { from: phone, to: FROM, body: 'HELP' });
    expect(help.body).toMatch(/<Message>Hope Shelter: .*Reply STOP to opt out.*Msg&amp;data rates may apply.<\/Message>/);

    const start = await twilioDouble.sendInbound(`${apiUrl}/webhooks/twilio/inbound`, { from: phone, to: FROM, body: 'START' });
    expect(start.body).toContain('you are subscribed again');
    expect(await db.suppression.findUnique({ where: { channel_address: { channel: 'sms', address: phone } } })).toBeNull();
    expect(await send()).toMatchObject({ status: 'sent' });
    expect(twilioDouble.messages.length).toBe(before + 1);

    // Anything else is a conversation, not a keyword: no automatic answer.
    const chat = await twilioDouble.sendInbound(`${apiUrl}/webhooks/twilio/inbound`, { from: phone, to: FROM, body: 'Please stop by on Friday' });
    expect(chat.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
  });

  it('retries a passing Twilio outage and sends once; an invalid number fails for good and the journey branches on it', async () => {
    const constituent = await db.constituent.create({
      data: { email: `outage-${randomUUID()}@example.org`, phone: '+15035550123', consents: { create: { channel: 'sms', status: 'granted', source: 'form' } } },
    });
    const { sendMessage } = createActivities({ db, mailer: runtime.mailer, mailFrom: 'hello@hope.example', messaging });
    const input = { channel: 'sms' as const, enrollmentId: null, constituentId: constituent.id, template: 'winback-sms', idempotencyKey: randomUUID() };
    twilioDouble.failNext({ kind: 'transient', status: 503 });
    await expect(sendMessage(input)).rejects.toMatchObject({ status: 503 });
    expect(await db.message.findUniqueOrThrow({ where: { idempotencyKey: input.idempotencyKey } })).toMatchObject({ status: 'pending' });
    const sent = await sendMessage(input);
    expect(sent.status).toBe('sent');
    expect(await sendMessage(input)).toEqual(sent);
    expect(twilioDouble.messages.filter((message) => message.params.To === '+15035550123')).toHaveLength(1);

    // The journey: a text first; when the number cannot receive, an email instead.
    await publish({
      id: 'sms-fallback',
      name: 'SMS with an email fallback',
      trigger: { event: 'custom', when: [{ field: 'event.name', eq: 'sms-fallback' }] },
      initial: 'texted',
      states: {
        texted: { entry: [{ do: 'sms', template: 'winback-sms' }], on: { 'delivery-failed': 'emailed' }, after: [{ delay: '3d', to: 'done' }] },
        emailed: { entry: [{ do: 'email', template: 'new-donor-impact' }], after: [{ delay: '3d', to: 'done' }] },
        done: { final: true },
      },
    });
    const worker = await runtime.worker({ messaging });
    twilioDouble.failNext({ kind: 'error', code: 21211, message: "The 'To' number is not a valid phone number." });
    const email = `fallback-${randomUUID()}@example.org`;
    const { enrollment, handle } = await trigger('sms-fallback', { email, phone: '+15035550111', consent: { sms: 'granted', email: 'granted' } });
    expect(await worker.runUntil(handle.result())).toBe('completed');
    const transitions = await db.enrollmentTransition.findMany({ where: { enrollmentId: enrollment.id }, orderBy: { sequence: 'asc' } });
    expect(transitions.map((step) => `${step.fromState ?? '(start)'} -> ${step.toState} [${step.cause}]`)).toEqual([
      '(start) -> texted [enrolled]',
      'texted -> emailed [delivery-failed]',
      'emailed -> done [timer]',
    ]);
    const messages = await db.message.findMany({ where: { enrollmentId: enrollment.id }, orderBy: { createdAt: 'asc' } });
    expect(messages.map((message) => `${message.channel} ${message.status} ${message.errorCode ?? ''}`.trim())).toEqual(['sms failed 21211', 'email sent']);
    // A retry of the failed text answers from the record with the same reason the journey branched on.
    expect(await sendMessage({ channel: 'sms', enrollmentId: enrollment.id, constituentId: messages[0]!.constituentId, template: 'winback-sms', idempotencyKey: messages[0]!.idempotencyKey })).toEqual({
      messageId: messages[0]!.id,
      status: 'failed',
      code: 'invalid-number',
    });
    expect(await db.suppression.findUnique({ where: { channel_address: { channel: 'sms', address: '+15035550111' } } })).toMatchObject({ reason: 'invalid-number' });
  });
});

describe('consent', () => {
  const cases = [
    { case: 'missing', consent: undefined, suppressed: false, reason: /no (email|SMS) consent on record/ },
    { case: 'withdrawn', consent: 'withdrawn' as const, suppressed: false, reason: /consent withdrawn/ },
    { case: 'suppressed', consent: 'granted' as const, suppressed: true, reason: /address suppressed: complaint/ },
  ];
  for (const channel of ['email', 'sms'] as const) {
    for (const { case: name, consent, suppressed, reason } of cases) {
      it(`sends no ${channel} when consent is ${name}`, async () => {
        const email = `${name}-${randomUUID()}@example.org`;
        const phone = `+1503555${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
        const constituent = await db.constituent.create({
          data: { email, phone, ...(consent ? { consents: { create: { channel, status: consent, source: 'test' } } } : {}) },
        });
        if (suppressed) await db.suppression.create({ data: { channel, address: channel === 'email' ? email : phone, reason: 'complaint', source: 'test' } });
        const { sendMessage } = createActivities({ db, mailer: runtime.mailer, mailFrom: 'hello@hope.example', messaging });
        const [mailBefore, smsBefore] = [runtime.smtp.messages.length, twilioDouble.messages.length];
        const result = await sendMessage({
          channel,
          enrollmentId: null,
          constituentId: constituent.id,
          template: channel === 'email' ? 'new-donor-impact' : 'winback-sms',
          idempotencyKey: randomUUID(),
        });
        expect(result).toMatchObject({ status: 'suppressed', reason: expect.stringMatching(reason) });
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect([runtime.smtp.messages.length, twilioDouble.messages.length]).toEqual([mailBefore, smsBefore]);
      });
    }
  }

  it('checks consent when the message goes out, not only when it was asked for', async () => {
    const constituent = await db.constituent.create({
      data: { email: `late-${randomUUID()}@example.org`, timezone: 'UTC', consents: { create: { channel: 'email', status: 'granted', source: 'test' } } },
    });
    const nightOnly = { ...messaging, window: { start: 0, end: 1, days: [1, 2, 3, 4, 5, 6, 7] } };
    const clock = () => new Date('2027-01-10T12:00:00Z');
    const { sendMessage } = createActivities({ db, mailer: runtime.mailer, mailFrom: 'hello@hope.example', messaging: nightOnly, clock });
    const input = { channel: 'email' as const, enrollmentId: null, constituentId: constituent.id, template: 'new-donor-impact', idempotencyKey: randomUUID(), at: '2027-01-10T12:00:00Z' };
    const first = await sendMessage(input);
    expect(first).toMatchObject({ status: 'scheduled', until: '2027-01-11T00:00:00.000Z' });
    await db.constituentConsent.update({ where: { constituentId_channel: { constituentId: constituent.id, channel: 'email' } }, data: { status: 'withdrawn', source: 'phone call' } });
    expect(await sendMessage({ ...input, at: '2027-01-11T00:00:00Z' })).toMatchObject({ status: 'suppressed', reason: 'email consent withdrawn (phone call)' });
  });

  it('keeps the latest consent when an older one arrives late', async () => {
    const email = `order-${randomUUID()}@example.org`;
    const post = (consent: unknown) =>
      call({ method: 'POST', url: '/events', payload: { id: randomUUID(), type: 'custom', constituent: { email, consent: { email: consent } }, data: { name: 'nothing' } } });
    expect((await post({ status: 'withdrawn', source: 'phone call', at: '2026-11-20T10:00:00Z' })).statusCode).toBe(202);
    expect((await post({ status: 'granted', source: 'old paper form', at: '2026-01-05T10:00:00Z' })).statusCode).toBe(202);
    expect(await db.constituentConsent.findFirstOrThrow({ where: { constituent: { email } } })).toMatchObject({ status: 'withdrawn', source: 'phone call' });
    expect(await db.consentChange.count({ where: { constituent: { email } } })).toBe(2);
  });
});

describe('frequency caps', () => {
  it('lets no more than the cap through when many workers send at once', async () => {
    const constituent = await db.constituent.create({ data: { email: `cap-${randomUUID()}@example.org` } });
    const messages = await Promise.all(
      Array.from({ length: 12 }, () =>
        db.message.create({ data: { idempotencyKey: randomUUID(), constituentId: constituent.id, channel: 'email', template: 't', recipient: 'x', status: 'scheduled' } }),
      ),
    );
    const now = new Date('2026-11-23T12:00:00Z');
    const cap = { limit: 3, periodMs: 7 * 86_400_000, label: '3 per 7 days' };
    const results = await Promise.all(messages.map((message) => reserveUnderCap(db, { messageId: message.id, constituentId: constituent.id, channel: 'email', cap, now })));
    expect(results.filter((result) => result.reserved)).toHaveLength(3);
    expect(results.filter((result) => !result.reserved).map((result) => !result.reserved && result.roomAt.toISOString())).toEqual(
      Array.from({ length: 9 }, () => '2026-11-30T12:00:00.000Z'),
    );
  });

  it('defers or skips a message over the cap, by policy, and says why', async () => {
    const constituent = await db.constituent.create({
      data: { email: `capped-${randomUUID()}@example.org`, timezone: 'Pacific/Auckland', consents: { create: { channel: 'email', status: 'granted', source: 'test' } } },
    });
    const window = parseSendWindow('09:00-20:00', 'mon-sun');
    if ('error' in window) throw new Error(window.error);
    const capped = { ...messaging, window, caps: { email: { limit: 1, periodMs: 86_400_000, label: '1 per day' }, sms: null } };
    const send = (settings: MessagingSettings, at: string) =>
      createActivities({ db, mailer: runtime.mailer, mailFrom: 'hello@hope.example', messaging: settings, clock: () => new Date('2026-11-24T06:00:00Z') }).sendMessage({
        channel: 'email',
        enrollmentId: null,
        constituentId: constituent.id,
        template: 'new-donor-impact',
        idempotencyKey: randomUUID(),
        at,
      });
    // 19:00 in Auckland (NZDT, UTC+13) on 24 November: inside the window.
    expect(await send(capped, '2026-11-24T06:00:00Z')).toMatchObject({ status: 'sent' });
    // Half an hour later the cap is full: room opens 24 hours after the first, at 19:00 on the 25th, inside the window.
    expect(await send(capped, '2026-11-24T06:30:00Z')).toMatchObject({
      status: 'scheduled',
      until: '2026-11-25T06:00:00.000Z',
      reason: 'frequency cap reached (1 per day by email)',
    });
    expect(await send({ ...capped, whenCapped: 'skip' }, '2026-11-24T06:30:00Z')).toMatchObject({ status: 'skipped', reason: 'frequency cap reached (1 per day by email)' });
  });
});

describe('message classes', () => {
  /** Closed at the moment of sending (a one-hour night window), and a cap already full. */
  async function closedAndCapped() {
    const window = parseSendWindow('03:00-04:00', 'mon-sun');
    if ('error' in window) throw new Error(window.error);
    return { ...messaging, window, caps: { email: { limit: 1, periodMs: 86_400_000, label: '1 per day' }, sms: { limit: 1, periodMs: 86_400_000, label: '1 per day' } } };
  }
  const noon = () => new Date('2026-11-24T12:00:00Z');
  const sender = (settings: MessagingSettings) => createActivities({ db, mailer: runtime.mailer, mailFrom: 'hello@hope.example', messaging: settings, clock: noon }).sendMessage;
  /** A thank-you speaks of the gift: each send names a gift of the constituent's. */
  async function send(settings: MessagingSettings, constituentId: string, template: string) {
    const gift = await db.interactionEvent.create({
      data: { idempotencyKey: randomUUID(), payloadHash: 'test', type: 'donation', constituentId, data: { amount: 25, currency: 'USD' }, amount: '25.00', currency: 'USD', occurredAt: noon() },
    });
    return sender(settings)({ channel: 'email', enrollmentId: null, constituentId, template, eventId: gift.id, idempotencyKey: randomUUID(), at: noon().toISOString() });
  }

  async function donor(consent: 'granted' | 'withdrawn', extra: { phone?: string } = {}) {
    const email = `class-${randomUUID()}@example.org`;
    return db.constituent.create({ data: { email, timezone: 'UTC', ...extra, consents: { create: [{ channel: 'email', status: consent, source: 'test' }, ...(extra.phone ? [{ channel: 'sms' as const, status: consent, source: 'test' }] : [])] } } });
  }

  it('sends a transactional thank-you at once outside the window and outside the cap, where a marketing email waits', async () => {
    const settings = await closedAndCapped();
    const constituent = await donor('granted');
    expect(await send(settings, constituent.id, 'first-gift-thank-you')).toMatchObject({ status: 'sent' });
    expect(await db.message.findFirstOrThrow({ where: { constituentId: constituent.id, template: 'first-gift-thank-you' } })).toMatchObject({ messageClass: 'transactional', countedAt: null });
    // The marketing email meets the closed window, and then the cap: the thank-you took no room under it.
    expect(await send(settings, constituent.id, 'new-donor-impact')).toMatchObject({ status: 'scheduled', reason: expect.stringMatching(/^outside the send window/) });
    expect(await send({ ...settings, window: null }, constituent.id, 'new-donor-impact')).toMatchObject({ status: 'sent' });
    expect(await db.message.findFirstOrThrow({ where: { constituentId: constituent.id, template: 'new-donor-impact', status: 'sent' } })).toMatchObject({ messageClass: 'marketing' });
    await mailTo(constituent.email!);
  });

  it('thanks a donor who unsubscribed, unless the organisation requires consent for transactional email; never an address that bounced or complained', async () => {
    const unsubscribed = await donor('withdrawn');
    await db.suppression.create({ data: { channel: 'email', address: unsubscribed.email!, reason: 'unsubscribe', source: 'test' } });
    expect(await send(messaging, unsubscribed.id, 'first-gift-thank-you')).toMatchObject({ status: 'sent' });
    expect(await send(messaging, unsubscribed.id, 'new-donor-impact')).toMatchObject({ status: 'suppressed', reason: expect.stringMatching(/^email consent withdrawn/) });
    expect(await send({ ...messaging, transactionalConsent: 'required' }, unsubscribed.id, 'first-gift-thank-you')).toMatchObject({
      status: 'suppressed',
      reason: expect.stringMatching(/^email consent withdrawn/),
    });
    for (const reason of ['hard-bounce', 'complaint']) {
      const gone = await donor('granted');
      await db.suppression.create({ data: { channel: 'email', address: gone.email!, reason, source: 'test' } });
      expect(await send(messaging, gone.id, 'first-gift-thank-you')).toMatchObject({ status: 'suppressed', reason: `address suppressed: ${reason}` });
    }
  });

  it('takes the class a journey step gives over its template, and still wants SMS consent for a transactional text', async () => {
    // new-donor-impact is marketing by its template; this step says it answers the constituent's act.
    await publish({ ...oneMessage('class-step', 'email', 'new-donor-impact'), states: { sending: { entry: [{ do: 'email', template: 'new-donor-impact', class: 'transactional' }], after: [{ delay: '10d', to: 'done' }] }, done: { final: true } } });
    const worker = await runtime.worker({ messaging: await closedAndCapped(), clock: noon });
    const { enrollment } = await trigger('class-step', { consent: { email: 'granted' }, timezone: 'UTC' });
    const sent = await worker.runUntil(() =>
      eventually(async () => (await db.message.findFirst({ where: { enrollmentId: enrollment.id, status: 'sent' } })) ?? undefined, 'the step\'s message to go at once'),
    );
    expect(sent).toMatchObject({ messageClass: 'transactional', template: 'new-donor-impact', countedAt: null });

    const texted = await donor('withdrawn', { phone: '+15035550111' });
    await publish({ ...oneMessage('class-sms', 'sms', 'winback-sms'), states: { sending: { entry: [{ do: 'sms', template: 'winback-sms', class: 'transactional' }], after: [{ delay: '10d', to: 'done' }] }, done: { final: true } } });
    const smsEnrollment = await db.enrollment.create({
      data: { constituentId: texted.id, journeyVersionId: (await db.journeyVersion.findFirstOrThrow({ where: { journeyId: 'class-sms' } })).id, workflowId: `class-sms-${randomUUID()}`, currentState: 'sending', status: 'active' },
    });
    const result = await sender(messaging)({ channel: 'sms', enrollmentId: smsEnrollment.id, constituentId: texted.id, template: 'winback-sms', idempotencyKey: randomUUID() });
    expect(result).toMatchObject({ status: 'suppressed', reason: expect.stringMatching(/^SMS consent withdrawn/) });
    expect(await db.message.findFirstOrThrow({ where: { enrollmentId: smsEnrollment.id } })).toMatchObject({ messageClass: 'transactional' });
  });
});
