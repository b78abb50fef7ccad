/**
 * Templates over HTTP on a real database and a real SMTP server: versions saved
 * and published, problems answered at their part and line, previews with a
 * constituent's data, the seed list, test sends and a sent message.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailTransport, type MailTransport } from '../../src/mail/transport.ts';
import { createTestSends } from '../../src/templates/test-sends.ts';
import { importShippedTemplates } from '../../src/templates/versions.ts';
import { injectWithKey, makeKey } from '../support/api.ts';
import { startApiWithoutTemporal, type ApiWithoutTemporal } from '../support/api-without-temporal.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { eventually } from '../support/wait.ts';

let stack: ApiWithoutTemporal;
let smtp: SmtpSink;
let mailer: MailTransport;
let admin: ReturnType<typeof injectWithKey>;
let reader: ReturnType<typeof injectWithKey>;
const settings = { org: { name: 'Hope Shelter', address: '12 Harbour Road, Portland', website: '' }, defaultTimeZone: 'UTC', publicUrl: 'http://127.0.0.1:9' };

beforeAll(async () => {
  smtp = await startSmtpSink();
  mailer = createMailTransport(smtp.url);
  let db: ApiWithoutTemporal['database']['prisma'] | undefined;
  // The database is made with the API: test sends reach it once it exists.
  const testSends = () => createTestSends({ db: db!, mailer, mailFrom: 'Hope <hello@hope.example>', settings });
  stack = await startApiWithoutTemporal({
    templates: { previewSettings: settings, phoneCountry: 'US', testSends: { send: (request) => testSends().send(request), recent: (limit) => testSends().recent(limit) } },
  });
  db = stack.database.prisma;
  await importShippedTemplates(db);
  admin = injectWithKey(stack.api, await makeKey(stack.services.keys, ['admin'], 'Grace (marketing)'));
  reader = injectWithKey(stack.api, await makeKey(stack.services.keys, ['read']));
}, 120_000);

afterAll(async () => {
  mailer?.close();
  await smtp?.stop();
  await stack?.stop();
});

describe('template routes', () => {
  it('lists every template with the version in force', async () => {
    const response = await reader({ method: 'GET', url: '/templates' });
    expect(response.statusCode).toBe(200);
    const thanks = response.json().templates.find((template: { name: string }) => template.name === 'first-gift-thank-you');
    expect(thanks).toMatchObject({ channel: 'email', current: 1, latest: 1, unpublished: false });
  });

  it('saves a new template as a draft, refuses one with errors at its line, and publishes', async () => {
    const broken = await admin({ method: 'POST', url: '/templates/email/spring-appeal/versions', payload: { subject: 'Spring', text: 'Hi\n{{ constituent.firstName | shout }}' } });
    expect(broken.statusCode).toBe(422);
    expect(broken.json().error.issues).toEqual([expect.objectContaining({ path: 'text', line: 2, message: expect.stringContaining('undefined filter: shout') })]);
    expect((await reader({ method: 'GET', url: '/templates/email/spring-appeal' })).statusCode).toBe(404);

    const created = await admin({ method: 'POST', url: '/templates/email/spring-appeal/versions', payload: { subject: 'Spring, {{ constituent.firstName }}', text: 'Hello {{ constituent.firstName }}' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ version: 1, publishedAt: null, createdBy: 'Grace (marketing)' });
    expect((await reader({ method: 'POST', url: '/templates/email/spring-appeal/versions', payload: { text: 'x' } })).statusCode).toBe(403);

    const published = await admin({ method: 'POST', url: '/templates/email/spring-appeal/versions/1/publish' });
    expect(published.statusCode).toBe(200);
    expect(published.json()).toMatchObject({ version: { version: 1, publishedAt: expect.any(String) }, journeys: [] });
    expect((await reader({ method: 'GET', url: '/templates/email/spring-appeal' })).json()).toMatchObject({ current: 1, versions: [expect.objectContaining({ version: 1 })] });
    expect((await admin({ method: 'POST', url: '/templates/email/spring-appeal/versions/9/publish' })).statusCode).toBe(404);
    expect((await admin({ method: 'POST', url: '/templates/sms/spring-appeal/versions', payload: { text: 'Hi' } })).statusCode).toBe(409);
    expect((await admin({ method: 'POST', url: '/templates/fax/spring-appeal/versions', payload: { text: 'Hi' } })).statusCode).toBe(404);
  });

  it('renders a preview with a constituent, or answers the problems at their lines', async () => {
    const ada = await stack.database.prisma.constituent.create({ data: { email: `ada-${randomUUID()}@example.org`, firstName: 'Ada', locale: 'en-GB' } });
    const preview = await reader({ method: 'POST', url: '/templates/sms/spring-sms/render', payload: { text: 'Hi {{ constituent.firstName }} 🎉', constituentId: ada.id } });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toMatchObject({ ok: true, rendered: { body: 'Hi Ada 🎉', encoding: 'UCS-2', segments: 1 }, constituent: { id: ada.id, name: 'Ada' } });

    const problems = await reader({ method: 'POST', url: '/templates/email/spring-appeal/render', payload: { subject: 'x', text: 'a\nb\n{% if %}' } });
    expect(problems.json()).toMatchObject({ ok: false, problems: [expect.objectContaining({ path: 'text', line: 3 })] });
    const nobody = await reader({ method: 'POST', url: '/templates/email/spring-appeal/render', payload: { subject: 'x', text: 'y', constituentId: randomUUID() } });
    expect(nobody.statusCode).toBe(404);
    expect(nobody.json().error.issues[0].path).toBe('constituentId');
  });

  it('keeps a seed list and sends tests to it through the real transport', async () => {
    const bad = await admin({ method: 'POST', url: '/settings/seed-list', payload: { channel: 'email', address: 'not an address' } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.issues[0].path).toBe('address');
    const none = await admin({ method: 'POST', url: '/templates/sms/spring-sms/test-sends', payload: { text: 'Hi', idempotencyKey: randomUUID() } });
    expect(none.statusCode).toBe(409);

    const added = await admin({ method: 'POST', url: '/settings/seed-list', payload: { channel: 'email', address: 'Seeds@Hope.example', label: 'Marketing inbox' } });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ address: 'seeds@hope.example' });
    expect((await reader({ method: 'GET', url: '/settings/seed-list' })).json().recipients).toEqual([expect.objectContaining({ address: 'seeds@hope.example' })]);

    const sent = await admin({ method: 'POST', url: '/templates/email/spring-appeal/test-sends', payload: { subject: 'Spring', text: 'Hello {{ constituent.firstName }}', idempotencyKey: randomUUID() } });
    expect(sent.statusCode).toBe(200);
    expect(sent.json().sends).toEqual([expect.objectContaining({ recipient: 'seeds@hope.example', status: 'sent' })]);
    const mail = await eventually(async () => smtp.messages.find((message) => message.subject === '[TEST] Spring'), 'the test at the seed address');
    expect(mail.headers.get('x-steward-test')).toBe('true');

    const removed = await admin({ method: 'POST', url: `/settings/seed-list/${added.json().id}/remove` });
    expect(removed.statusCode).toBe(200);
    expect((await admin({ method: 'POST', url: `/settings/seed-list/${added.json().id}/remove` })).statusCode).toBe(404);
  });

  it('exports a version in the shipped format and imports it back; a broken file is refused at its line', async () => {
    const exported = await reader({ method: 'GET', url: '/templates/email/new-donor-thanks/versions/1/export' });
    expect(exported.statusCode).toBe(200);
    expect(exported.json()).toMatchObject({ path: 'email/new-donor-thanks.yaml', text: expect.stringContaining('class: transactional') });
    const imported = await admin({ method: 'POST', url: '/templates/email/new-donor-thanks/import', payload: { source: exported.json().text } });
    expect(imported.statusCode).toBe(201);
    const [first, second] = (await reader({ method: 'GET', url: '/templates/email/new-donor-thanks' })).json().versions;
    expect(second).toMatchObject({ version: 2, subject: first.subject, text: first.text, html: first.html, class: 'transactional', publishedAt: null });

    const broken = await admin({ method: 'POST', url: '/templates/email/new-donor-thanks/import', payload: { source: 'subject: Hi\ntext: |\n  one\n  two {{ gift.amount | bogus }}\n' } });
    expect(broken.statusCode).toBe(422);
    expect(broken.json().error.issues).toEqual([expect.objectContaining({ path: 'text', line: 4, message: expect.stringContaining('undefined filter: bogus') })]);
    const sms = await reader({ method: 'GET', url: '/templates/sms/winback-sms/versions/1/export' });
    expect(sms.json()).toMatchObject({ path: 'sms/winback-sms.liquid' });
  });

  it('answers 404 for a message that does not exist', async () => {
    const response = await reader({ method: 'GET', url: `/messages/${randomUUID()}` });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.issues[0].path).toBe('id');
  });
});
