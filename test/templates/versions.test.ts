/**
 * Template versions on real parts: a database (PostgreSQL when DATABASE_URL is
 * set, else PGlite), the real send activity and a real SMTP server. A draft never
 * reaches anyone; a journey version sends the version pinned when it was
 * published; publishing a template moves live journey versions onto it and leaves
 * archived ones where they were; test sends go to the seed list only, marked and
 * counted nowhere; bodies are dropped after the retention period.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendMessage, type SendMessageInput } from '../../activities/send-message.ts';
import type { Database } from '../../src/db/client.ts';
import { dropExpiredBodies } from '../../src/delivery/message-retention.ts';
import { unrestrictedMessaging } from '../../src/delivery/settings.ts';
import { JourneyDefinition } from '../../src/journeys/definition.ts';
import { createJourneyLifecycle } from '../../src/journeys/lifecycle.ts';
import { createMailTransport, type MailTransport } from '../../src/mail/transport.ts';
import { templateLibrary } from '../../src/templates/library.ts';
import { createSeedList } from '../../src/templates/seed-list.ts';
import { sentMessage } from '../../src/templates/sent-messages.ts';
import { createTestSends } from '../../src/templates/test-sends.ts';
import { createTemplateVersions, importShippedTemplates, pinLiveJourneyVersions, TemplateVersionError } from '../../src/templates/versions.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { eventually } from '../support/wait.ts';

let database: TestDatabase;
let db: Database;
let smtp: SmtpSink;
let mailer: MailTransport;
const mailFrom = 'Hope Shelter <hello@hope.example>';
const settings = { org: { name: 'Hope Shelter', address: '12 Harbour Road, Portland', website: '' }, defaultTimeZone: 'UTC', publicUrl: 'http://127.0.0.1:9' };

beforeAll(async () => {
  [database, smtp] = await Promise.all([createTestDatabase(), startSmtpSink()]);
  db = database.prisma;
  mailer = createMailTransport(smtp.url);
  await importShippedTemplates(db);
}, 120_000);

afterAll(async () => {
  mailer?.close();
  await smtp?.stop();
  await database?.drop();
});

const versions = () => createTemplateVersions(db);
const send = (input: SendMessageInput) => createSendMessage({ db, mailer, mailFrom, messaging: unrestrictedMessaging({ org: settings.org }) })(input);
const mailTo = (address: string) => smtp.messages.filter((mail) => mail.to && !Array.isArray(mail.to) && mail.to.value[0]?.address === address);

async function consentingDonor(email = `donor-${randomUUID()}@example.org`, consent: 'granted' | 'withdrawn' = 'granted') {
  return db.constituent.create({ data: { email, firstName: 'Octavia', consents: { create: { channel: 'email', status: consent, source: 'test' } } } });
}

/** A journey whose one step emails `template`, stored as a draft version and published through the lifecycle (which pins). */
async function publishedJourney(template: string) {
  const definition = JourneyDefinition.parse({
    id: `impact-${randomUUID().slice(0, 8)}`,
    name: 'Impact story',
    version: 1,
    trigger: { event: 'donation' },
    initial: 'told',
    states: { told: { entry: [{ do: 'email', template }], after: [{ delay: '30d', to: 'done' }] }, done: { final: true } },
  });
  await db.journey.create({ data: { id: definition.id, name: definition.name, description: '' } });
  const version = await db.journeyVersion.create({ data: { journeyId: definition.id, version: 1, definition: JSON.parse(JSON.stringify(definition)), status: 'draft' } });
  // Publishing needs no Temporal; an unreachable client proves it.
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '300ms' }) });
  await createJourneyLifecycle({ db, temporal }).publish(definition.id, 1);
  return version;
}

async function enrolled(journeyVersionId: string, constituentId: string) {
  return db.enrollment.create({ data: { workflowId: `test:${randomUUID()}`, constituentId, journeyVersionId, currentState: 'told' } });
}

describe(`template versions (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('imports each shipped file once, as version 1 in force', async () => {
    await importShippedTemplates(db);
    const library = templateLibrary();
    const stored = await db.templateVersion.findMany({ where: { origin: 'file' } });
    expect(stored).toHaveLength(library.email.size + library.sms.size);
    expect(stored.every((version) => version.version === 1 && version.publishedAt)).toBe(true);
    expect(stored.find((version) => version.name === 'gift-receipt')).toMatchObject({ channel: 'email', kind: 'receipt', messageClass: 'transactional' });
  });

  it('refuses a version with errors, each at its part and line, and stores nothing', async () => {
    const before = await db.templateVersion.count();
    const attempt = versions().create('email', 'new-donor-impact', { subject: 'Impact', text: 'Hello', html: '<p>one</p>\n{% for gift in gifts %}\n<p>two</p>' }, 'Grace');
    await expect(attempt).rejects.toBeInstanceOf(TemplateVersionError);
    await expect(attempt).rejects.toMatchObject({ status: 422, problems: [expect.objectContaining({ field: 'html', line: 2, message: expect.stringMatching(/not closed/) })] });
    expect(await db.templateVersion.count()).toBe(before);
  });

  it('sends the pinned version; a draft reaches no one; publishing moves live journeys and leaves archived ones', async () => {
    const journey = await publishedJourney('new-donor-impact');
    const archived = await publishedJourney('new-donor-impact');
    await db.journeyVersion.update({ where: { id: archived.id }, data: { status: 'archived' } });
    const v1 = await db.templateVersion.findUniqueOrThrow({ where: { channel_name_version: { channel: 'email', name: 'new-donor-impact', version: 1 } } });
    expect(await db.journeyTemplatePin.findMany({ where: { journeyVersionId: { in: [journey.id, archived.id] } } })).toEqual([
      expect.objectContaining({ templateVersionId: v1.id }),
      expect.objectContaining({ templateVersionId: v1.id }),
    ]);

    const draft = await versions().create('email', 'new-donor-impact', { subject: 'Your gift at work, {{ constituent.firstName }} (v2)', text: 'Version two, {{ constituent.firstName }}.' }, 'Grace');
    expect(draft).toMatchObject({ version: 2, publishedAt: null, origin: 'app', createdBy: 'Grace' });

    const donor = await consentingDonor();
    const enrollment = await enrolled(journey.id, donor.id);
    const input = (): SendMessageInput => ({ channel: 'email', enrollmentId: enrollment.id, constituentId: donor.id, template: 'new-donor-impact', idempotencyKey: randomUUID() });

    const first = input();
    expect(await send(first)).toMatchObject({ status: 'sent' });
    await eventuallyMail(donor.email!, 1);
    const beforePublish = await db.message.findUniqueOrThrow({ where: { idempotencyKey: first.idempotencyKey } });
    expect(beforePublish).toMatchObject({ templateVersionId: v1.id, subject: expect.not.stringContaining('(v2)') });

    const published = await versions().publish('email', 'new-donor-impact', 2);
    expect(published.journeys.map((use) => use.journeyVersionId)).toContain(journey.id);
    expect(published.journeys.map((use) => use.journeyVersionId)).not.toContain(archived.id);
    expect((await db.journeyTemplatePin.findFirstOrThrow({ where: { journeyVersionId: archived.id } })).templateVersionId).toBe(v1.id);

    const second = input();
    expect(await send(second)).toMatchObject({ status: 'sent' });
    const afterPublish = await db.message.findUniqueOrThrow({ where: { idempotencyKey: second.idempotencyKey } });
    expect(afterPublish).toMatchObject({ templateVersionId: draft.id, subject: 'Your gift at work, Octavia (v2)' });
    expect(afterPublish.bodyText).toContain('Version two, Octavia.');
    expect(afterPublish.bodyHtml).toContain('Version two, Octavia.');
    await eventuallyMail(donor.email!, 2);
    expect(mailTo(donor.email!).map((mail) => mail.subject)).toContain('Your gift at work, Octavia (v2)');

    // The timeline's view of it: the body as sent, the version it came from.
    expect(await sentMessage(db, afterPublish.id)).toMatchObject({ templateVersion: 2, subject: 'Your gift at work, Octavia (v2)', text: expect.stringContaining('Version two, Octavia.') });
  });

  it('pins at start-up the live journey versions published without pins, and keeps pins already made', async () => {
    const live = await publishedJourney('winback-we-miss-you');
    await db.journeyTemplatePin.deleteMany({ where: { journeyVersionId: live.id } });
    const kept = await publishedJourney('new-donor-impact');
    const keptPin = await db.journeyTemplatePin.findFirstOrThrow({ where: { journeyVersionId: kept.id } });
    await pinLiveJourneyVersions(db);
    const inForce = await db.templateVersion.findFirstOrThrow({ where: { channel: 'email', name: 'winback-we-miss-you', publishedAt: { not: null } }, orderBy: { publishedAt: 'desc' } });
    expect(await db.journeyTemplatePin.findFirstOrThrow({ where: { journeyVersionId: live.id } })).toMatchObject({ name: 'winback-we-miss-you', templateVersionId: inForce.id });
    expect(await db.journeyTemplatePin.findFirstOrThrow({ where: { journeyVersionId: kept.id } })).toEqual(keptPin);
  });

  it('drops bodies after the retention period and keeps the record', async () => {
    const donor = await consentingDonor();
    const input: SendMessageInput = { channel: 'email', enrollmentId: null, constituentId: donor.id, template: 'new-donor-impact', idempotencyKey: randomUUID() };
    expect(await send(input)).toMatchObject({ status: 'sent' });
    const sent = await db.message.findUniqueOrThrow({ where: { idempotencyKey: input.idempotencyKey } });
    expect(sent.bodyText).toContain('Octavia');

    const now = new Date();
    await dropExpiredBodies(db, now, 90);
    expect((await db.message.findUniqueOrThrow({ where: { id: sent.id } })).bodyText).not.toBeNull();
    const later = new Date(now.getTime() + 91 * 86_400_000);
    const dropped = await dropExpiredBodies(db, later, 90);
    expect(dropped.messages).toBeGreaterThanOrEqual(1);
    expect(await sentMessage(db, sent.id)).toMatchObject({ status: 'sent', text: null, html: null, subject: sent.subject, bodyDroppedAt: later });
  });
});

describe('test sends', () => {
  it('go to the seed list only, marked as tests, once per key, and count as no message', async () => {
    const seed = `seed-${randomUUID()}@hope.example`;
    await createSeedList(db).add('email', seed.toUpperCase(), 'Grace');
    const ada = await consentingDonor(`ada-${randomUUID()}@example.org`);
    const messagesBefore = await db.message.count();
    const tests = createTestSends({ db, mailer, mailFrom, settings });
    const request = {
      channel: 'email' as const,
      name: 'spring-appeal',
      source: { subject: 'Spring, {{ constituent.firstName }}', text: 'Hello {{ constituent.firstName }}, from {{ org.name }}.' },
      constituentId: ada.id,
      idempotencyKey: randomUUID(),
      sentBy: 'Grace',
    };
    const results = await tests.send(request);
    expect(results.filter((result) => result.recipient === seed)).toEqual([expect.objectContaining({ status: 'sent' })]);
    // Never to the constituent whose data it carries.
    expect(results.map((result) => result.recipient)).not.toContain(ada.email);

    const [mail] = await eventuallyMail(seed, 1);
    expect(mail!.subject).toBe('[TEST] Spring, Octavia');
    expect(mail!.headers.get('x-steward-test')).toBe('true');
    expect(mail!.text).toContain('Hello Octavia, from Hope Shelter.');
    // The unsubscribe link in a test is never the constituent's own.
    expect(mail!.text).toContain('http://127.0.0.1:9/u/preview');

    // Asked again with the same key: nothing new is sent.
    expect((await tests.send(request)).find((result) => result.recipient === seed)).toMatchObject({ status: 'sent' });
    expect(mailTo(seed)).toHaveLength(1);
    expect(await db.testMessage.findFirstOrThrow({ where: { recipient: seed } })).toMatchObject({ test: true, constituentId: ada.id, sentBy: 'Grace' });
    expect(await db.message.count()).toBe(messagesBefore);
  });

  it('refuse a seed address whose constituent has withdrawn consent', async () => {
    const refusing = await consentingDonor(`refusing-${randomUUID()}@example.org`, 'withdrawn');
    await createSeedList(db).add('email', refusing.email!);
    const results = await createTestSends({ db, mailer, mailFrom, settings }).send({
      channel: 'email',
      name: 'spring-appeal',
      source: { subject: 'Hi', text: 'Hello' },
      idempotencyKey: randomUUID(),
      sentBy: null,
    });
    expect(results.find((result) => result.recipient === refusing.email)).toMatchObject({ status: 'refused', error: expect.stringContaining('consent withdrawn') });
    expect(mailTo(refusing.email!)).toHaveLength(0);
  });
});

function eventuallyMail(address: string, count: number) {
  return eventually(async () => (mailTo(address).length >= count ? mailTo(address) : undefined), `${count} message(s) to ${address}`);
}
