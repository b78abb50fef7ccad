/**
 * A send is claimed before the provider is called, on real parts: a real SMTP
 * server that holds its answer to DATA until the test lets it go (so an attempt
 * can be caught in the middle of sending), and a real database (PostgreSQL when
 * DATABASE_URL is set, else PGlite). Every wait is for a condition.
 */
import { randomUUID } from 'node:crypto';
import { CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverStaffNotice } from '../../activities/deliver-email.ts';
import { createSendMessage, type SendMessageInput } from '../../activities/send-message.ts';
import type { Database } from '../../src/db/client.ts';
import { unrestrictedMessaging } from '../../src/delivery/settings.ts';
import { noteInHeartbeat, withHeartbeat } from '../../src/delivery/activity-heartbeat.ts';
import { NOTED_BEFORE_FAILURE } from '../../src/delivery/noted-failure.ts';
import { clearOutsideCap, reserveUnderCap } from '../../src/delivery/caps.ts';
import { claimSend, recordUnderLease } from '../../src/delivery/send-lease.ts';
import { createMailTransport, type MailTransport } from '../../src/mail/transport.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/wait.ts';

/** A real SMTP server that counts the messages whose data arrived and answers each only when released. */
async function startHoldingSmtp() {
  const received: string[] = [];
  const answers: (() => void)[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push(Buffer.concat(chunks).toString());
        answers.push(() => callback());
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    /** Accepts the n-th message (0-based) that arrived. */
    accept: (n: number) => answers[n]!(),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let database: TestDatabase;
let db: Database;
let smtp: Awaited<ReturnType<typeof startHoldingSmtp>>;
let mailer: MailTransport;

beforeAll(async () => {
  [database, smtp] = await Promise.all([createTestDatabase(), startHoldingSmtp()]);
  db = database.prisma;
  mailer = createMailTransport(smtp.url);
}, 120_000);

afterAll(async () => {
  mailer?.close();
  await smtp?.stop();
  await database?.drop();
});

const mailFrom = 'Hope Shelter <hello@hope.example>';

async function consentingDonor() {
  return db.constituent.create({
    data: { email: `once-${randomUUID()}@example.org`, firstName: 'Ada', consents: { create: { channel: 'email', status: 'granted', source: 'test' } } },
  });
}

function emailInput(constituentId: string): SendMessageInput {
  return { channel: 'email', enrollmentId: null, constituentId, template: 'new-donor-impact', idempotencyKey: randomUUID() };
}

const sendMessage = () => createSendMessage({ db, mailer, mailFrom, messaging: unrestrictedMessaging() });
const arrived = (count: number) => eventually(async () => (smtp.received.length >= count ? true : undefined), `${count} message(s) at the mail server`);
const messageFor = (input: SendMessageInput) => db.message.findUniqueOrThrow({ where: { idempotencyKey: input.idempotencyKey } });

/** The message an attempt made for `input` and cleared to go (counted under the cap), before claiming it. */
async function pendingMessageFor(input: SendMessageInput) {
  const donor = await db.constituent.findUniqueOrThrow({ where: { id: input.constituentId } });
  return db.message.create({
    data: { idempotencyKey: input.idempotencyKey, constituentId: donor.id, channel: 'email', template: input.template, recipient: donor.email!, status: 'pending', countedAt: new Date() },
  });
}

describe(`a claimed send (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('gives the claim to exactly one of many attempts at once', async () => {
    const donor = await consentingDonor();
    const message = await db.message.create({
      data: { idempotencyKey: randomUUID(), constituentId: donor.id, channel: 'email', template: 't', recipient: donor.email!, status: 'pending' },
    });
    const claims = await Promise.all(Array.from({ length: 8 }, () => claimSend(db, message.id, 60_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await db.message.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ sendAttempts: 1, leaseToken: claims.find(Boolean)!.token });
  });

  it('calls the provider once when a second attempt starts while the first is still sending', async () => {
    const input = emailInput((await consentingDonor()).id);
    const before = smtp.received.length;
    const first = sendMessage()(input);
    await arrived(before + 1);

    // The retry Temporal starts when the first attempt looks dead: it does not send.
    await expect(sendMessage()(input)).rejects.toMatchObject({ type: 'SendInProgress', nonRetryable: false });
    smtp.accept(before);
    const sent = await first;
    expect(sent).toMatchObject({ status: 'sent' });
    // Once the first is recorded, a retry answers from the record.
    expect(await sendMessage()(input)).toEqual(sent);
    expect(smtp.received.length).toBe(before + 1);
    expect(await messageFor(input)).toMatchObject({ status: 'sent', sendAttempts: 1, leaseToken: null, leaseExpiresAt: null });
  });

  it('does not let an attempt that read the message before another sent it clear it to go again', async () => {
    // The second attempt read the message while it still waited, then the first sent it:
    // clearing it for the window or the cap now must leave it sent and unclaimable.
    const donor = await consentingDonor();
    const message = await db.message.create({
      data: { idempotencyKey: randomUUID(), constituentId: donor.id, channel: 'email', template: 't', recipient: donor.email!, status: 'sent', sentAt: new Date() },
    });
    await clearOutsideCap(db, message.id);
    expect(await reserveUnderCap(db, { messageId: message.id, constituentId: donor.id, channel: 'email', cap: null, now: new Date() })).toEqual({ reserved: true });
    expect(await reserveUnderCap(db, { messageId: message.id, constituentId: donor.id, channel: 'email', cap: { limit: 5, periodMs: 86_400_000, label: '5 per day' }, now: new Date() })).toEqual({
      reserved: true,
    });
    expect(await db.message.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ status: 'sent', countedAt: null });
    expect(await claimSend(db, message.id, 60_000)).toBeUndefined();
  });

  it('calls the provider once for a staff notice asked twice at once', async () => {
    const donor = await consentingDonor();
    const notice = { idempotencyKey: randomUUID(), enrollmentId: null, constituentId: donor.id, template: 'staff-task-notification', recipient: 'care@hope.example', subject: 'Call Ada', text: 'Please call.' };
    const before = smtp.received.length;
    const first = deliverStaffNotice({ db, mailer, mailFrom }, notice);
    await arrived(before + 1);
    await expect(deliverStaffNotice({ db, mailer, mailFrom }, notice)).rejects.toMatchObject({ type: 'SendInProgress' });
    smtp.accept(before);
    expect(await first).toMatchObject({ status: 'sent' });
    expect(smtp.received.length).toBe(before + 1);
  });

  it('lets the next attempt send once the claim of an attempt that died has lapsed', async () => {
    const input = emailInput((await consentingDonor()).id);
    const message = await pendingMessageFor(input);
    // A worker claimed the send and died before it called the provider or recorded anything.
    expect(await claimSend(db, message.id, 500)).toMatchObject({ attempt: 1 });
    const before = smtp.received.length;

    const retry = sendMessage();
    const sending = eventually(async () => {
      try {
        return await retry(input);
      } catch (error) {
        if ((error as { type?: string }).type === 'SendInProgress') return undefined;
        throw error;
      }
    }, 'the claim to lapse and the retry to send');
    await arrived(before + 1);
    smtp.accept(before);
    expect(await sending).toMatchObject({ status: 'sent' });
    expect(smtp.received.length).toBe(before + 1);
    expect(await messageFor(input)).toMatchObject({ status: 'sent', sendAttempts: 2, leaseToken: null });
  });

  it('does not record the result of an attempt whose claim was taken over over the newer one', async () => {
    const input = emailInput((await consentingDonor()).id);
    const before = smtp.received.length;
    const first = sendMessage()(input);
    await arrived(before + 1);
    // The first attempt stalls past its claim (a paused process, a lost network): the claim lapses.
    await db.$executeRaw`UPDATE message SET lease_expires_at = now() AT TIME ZONE 'UTC' - interval '1 second' WHERE idempotency_key = ${input.idempotencyKey}`;

    const second = sendMessage()(input);
    await arrived(before + 2);
    smtp.accept(before + 1);
    expect(await second).toMatchObject({ status: 'sent' });
    const recorded = await messageFor(input);
    expect(recorded).toMatchObject({ status: 'sent', sendAttempts: 2, leaseToken: null });

    // The first attempt's server answers at last: it records nothing over the second's record.
    smtp.accept(before);
    await expect(first).rejects.toMatchObject({ type: 'SendLeaseLost' });
    expect(await messageFor(input)).toEqual(recorded);
  });

  it('records nothing under a claim that is no longer its own', async () => {
    const donor = await consentingDonor();
    const message = await db.message.create({
      data: { idempotencyKey: randomUUID(), constituentId: donor.id, channel: 'email', template: 't', recipient: donor.email!, status: 'pending' },
    });
    const stale = (await claimSend(db, message.id, 60_000))!;
    await db.message.update({ where: { id: message.id }, data: { leaseExpiresAt: new Date(0) } });
    const fresh = (await claimSend(db, message.id, 60_000))!;
    expect(fresh.attempt).toBe(2);
    await expect(recordUnderLease(db, stale, { status: 'sent', providerMessageId: 'stale' })).rejects.toMatchObject({ type: 'SendLeaseLost' });
    await recordUnderLease(db, fresh, { status: 'sent', providerMessageId: 'fresh' });
    expect(await db.message.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ providerMessageId: 'fresh', leaseToken: null });
  });

  it('notes in its heartbeat that the provider accepted, before recording it', async () => {
    const input = emailInput((await consentingDonor()).id);
    const before = smtp.received.length;
    const activity = new MockActivityEnvironment();
    const noted: unknown[] = [];
    activity.on('heartbeat', (details: unknown) => noted.push(details));
    const sending = activity.run(sendMessage(), input);
    await arrived(before + 1);
    smtp.accept(before);
    expect(await sending).toMatchObject({ status: 'sent' });
    const recorded = await messageFor(input);
    // Ids only: heartbeat details reach the workflow's history when an attempt fails.
    expect(noted).toContainEqual({ acceptedMessageId: recorded.id, providerMessageId: recorded.providerMessageId });
  });

  it('records, without sending again, a message an earlier attempt saw accepted but could not record', async () => {
    const input = emailInput((await consentingDonor()).id);
    const message = await pendingMessageFor(input);
    // The earlier attempt claimed the send, the server accepted it, then the database stopped answering:
    // its claim is still in force and the row still says pending.
    await claimSend(db, message.id, 60_000);
    const before = smtp.received.length;
    const noted = { acceptedMessageId: message.id, providerMessageId: `<${message.id}@steward.localhost>` };
    // A later attempt that cannot use the note yet (the database still down) passes it on in its own heartbeats.
    const stillDown = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: noted });
    const passedOn: unknown[] = [];
    stillDown.on('heartbeat', (details: unknown) => passedOn.push(details));
    await expect(stillDown.run(() => withHeartbeat(() => Promise.reject(new Error('database down'))))).rejects.toThrow('database down');
    expect(passedOn).toEqual([noted]);
    const retry = new MockActivityEnvironment({ attempt: 3, heartbeatDetails: passedOn.at(-1) });
    expect(await retry.run(sendMessage(), input)).toMatchObject({ status: 'sent' });
    expect(smtp.received.length).toBe(before);
    expect(await messageFor(input)).toMatchObject({ status: 'sent', providerMessageId: `<${message.id}@steward.localhost>`, leaseToken: null, subject: expect.any(String) });
  });

  it('heartbeats as a Temporal activity and, once cancelled, stops before the provider', async () => {
    const input = emailInput((await consentingDonor()).id);
    const before = smtp.received.length;
    const activity = new MockActivityEnvironment();
    let heartbeats = 0;
    activity.on('heartbeat', () => heartbeats++);
    activity.cancel();
    await expect(activity.run(sendMessage(), input)).rejects.toBeInstanceOf(CancelledFailure);
    expect(heartbeats).toBeGreaterThan(0);
    expect(smtp.received.length).toBe(before);
    expect(await messageFor(input)).toMatchObject({ status: 'pending', sendAttempts: 0, leaseToken: null });
  });

  // The workflow makes a message's first attempt as a local activity, inside its own task.
  describe('attempted inside the workflow task (a local activity)', () => {
    it('sends without heartbeating, since a local activity has no heartbeat to keep', async () => {
      const input = emailInput((await consentingDonor()).id);
      const before = smtp.received.length;
      const local = new MockActivityEnvironment({ isLocal: true });
      let heartbeats = 0;
      local.on('heartbeat', () => heartbeats++);
      const sending = local.run(sendMessage(), input);
      await arrived(before + 1);
      smtp.accept(before);
      expect(await sending).toMatchObject({ status: 'sent' });
      expect(heartbeats).toBe(0);
      expect(await messageFor(input)).toMatchObject({ status: 'sent', sendAttempts: 1, leaseToken: null });
    });

    it('fails carrying what it noted, and the ordinary activity given the note records without sending again', async () => {
      const input = emailInput((await consentingDonor()).id);
      const message = await pendingMessageFor(input);
      // The local attempt claimed the send, the server accepted it, then the database stopped answering.
      await claimSend(db, message.id, 60_000);
      const accepted = { acceptedMessageId: message.id, providerMessageId: `<${message.id}@steward.localhost>` };
      const local = new MockActivityEnvironment({ isLocal: true });
      const failure = await local
        .run(() =>
          withHeartbeat(async () => {
            noteInHeartbeat(accepted);
            throw new Error('database down');
          }),
        )
        .catch((error: unknown) => error);
      // The note travels in the failure (ids only: Temporal keeps it in the workflow's history).
      expect(failure).toMatchObject({ type: NOTED_BEFORE_FAILURE, message: 'database down', details: [accepted] });

      const before = smtp.received.length;
      const patient = new MockActivityEnvironment({ attempt: 1 });
      expect(await patient.run(sendMessage(), { ...input, notedBefore: (failure as { details: unknown[] }).details[0] })).toMatchObject({ status: 'sent' });
      expect(smtp.received.length).toBe(before);
      expect(await messageFor(input)).toMatchObject({ status: 'sent', providerMessageId: accepted.providerMessageId, leaseToken: null, subject: expect.any(String) });
    });

    it('fails as it would outside Temporal when it noted nothing', async () => {
      const local = new MockActivityEnvironment({ isLocal: true });
      await expect(local.run(() => withHeartbeat(() => Promise.reject(new Error('connection refused'))))).rejects.toThrow(/^connection refused$/);
    });

    it('gives up before claiming anything when the provider has no free turn soon, leaving the send to the ordinary activity', async () => {
      const oneAtATime = createMailTransport(smtp.url, undefined, { maxConnections: 1, maxMessages: 100, perSecond: null });
      const send = createSendMessage({ db, mailer: oneAtATime, mailFrom, messaging: unrestrictedMessaging() });
      try {
        const holding = emailInput((await consentingDonor()).id);
        const before = smtp.received.length;
        const first = send(holding);
        await arrived(before + 1);

        // The only turn is taken (the server holds its answer): the local attempt waits a moment, then fails.
        const waiting = emailInput((await consentingDonor()).id);
        const local = new MockActivityEnvironment({ isLocal: true });
        await expect(local.run(send, waiting)).rejects.toMatchObject({ type: 'ProviderBusy', nonRetryable: false });
        expect(await messageFor(waiting)).toMatchObject({ status: 'pending', sendAttempts: 0, leaseToken: null });

        // The ordinary activity queues for the turn instead, and sends once it is free.
        const patient = new MockActivityEnvironment();
        const queued = patient.run(send, waiting);
        smtp.accept(before);
        expect(await first).toMatchObject({ status: 'sent' });
        await arrived(before + 2);
        smtp.accept(before + 1);
        expect(await queued).toMatchObject({ status: 'sent' });
        expect(await messageFor(waiting)).toMatchObject({ status: 'sent', sendAttempts: 1 });
      } finally {
        oneAtATime.close();
      }
    });
  });
});
