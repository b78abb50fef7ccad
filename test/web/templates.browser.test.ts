/**
 * The templates section in a real browser (Debian's Chromium), over real parts:
 * the API process listening, a database, the Temporal test server with a worker
 * and an SMTP server. A marketer adds a seed address, creates a template, sees a
 * mistake at its line in the live preview, previews it with a real constituent's
 * data, sends a test that arrives at the mail server, and reads the thank-you the
 * constituent was sent from their timeline. Screenshots go to test-results/screenshots/.
 */
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/api/auth.ts';
import { buildApi } from '../../src/api/server.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createTestSends } from '../../src/templates/test-sends.ts';
import { importShippedTemplates } from '../../src/templates/versions.ts';
import { makeKey } from '../support/api.ts';
import { launchBrowser, screenshot, unlabelledFields } from '../support/browser.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';

let runtime: TestRuntime;
let services: Services;
let api: FastifyInstance;
let baseUrl: string;
let worker: Worker;
let working: Promise<void>;
let browser: Browser;
let adminKey: string;
let adminSession: string;

const SEED = 'seeds@hope.example';
const ORG = { name: 'Hope Shelter', address: '12 Harbour Road, Portland', website: '' };

beforeAll(async () => {
  [runtime, browser] = await Promise.all([startTestRuntime(), launchBrowser()]);
  await importShippedTemplates(runtime.db);
  await publishJourneyCatalog(runtime.db, await loadJourneyCatalog());
  services = createServices({ db: runtime.db, temporal: runtime.env.client, taskQueue: runtime.taskQueue });
  worker = await runtime.worker();
  working = worker.run();
  const settings = { org: ORG, defaultTimeZone: 'UTC', publicUrl: 'http://127.0.0.1:9' };
  api = buildApi({
    ...services,
    templates: { previewSettings: settings, phoneCountry: 'US', testSends: createTestSends({ db: runtime.db, mailer: runtime.mailer, mailFrom: 'Hope Shelter <hello@hope.example>', settings }) },
  });
  baseUrl = (await api.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  adminKey = await makeKey(services.keys, ['admin'], 'Grace (marketing)');
  adminSession = (await services.sessions.start({ keyId: (await services.keys.authenticate(adminKey))!.id })).token;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  worker?.shutdown();
  await working;
  await api?.close();
  await runtime?.stop();
});

async function signedIn(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  await context.addCookies([{ name: SESSION_COOKIE, value: adminSession, url: baseUrl }]);
  return context.newPage();
}

/** A first gift from Ada: the first-gift journey thanks her by email, through the worker and the SMTP server. */
async function adaGives(): Promise<string> {
  const response = await fetch(`${baseUrl}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({
      id: 'gift-ada-1',
      type: 'donation',
      constituent: { email: 'ada@example.org', firstName: 'Ada', lastName: 'Lovelace', consent: { email: 'granted' } },
      data: { amount: 40, currency: 'USD' },
    }),
  });
  expect(response.status).toBe(202);
  const sent = await eventually(
    async () => (await runtime.db.message.findFirst({ where: { recipient: 'ada@example.org', status: 'sent' }, include: { constituent: true } })) ?? undefined,
    'the thank-you to Ada',
    60_000,
  );
  return sent.constituentId;
}

describe('the templates section in a browser', () => {
  it('creates a template, previews it for a real constituent, sends a test to the seed list, and shows a sent message from the timeline', async () => {
    const adaId = await adaGives();
    const page = await signedIn();

    // The seed list, edited in the app.
    await page.goto(`${baseUrl}/app/settings/seed-list`);
    await page.getByLabel('Email address or mobile number').fill(SEED);
    await page.getByLabel('Label (optional)').fill('Marketing inbox');
    await page.getByRole('button', { name: 'Add to the seed list' }).click();
    await page.getByTestId('seed-list').waitFor();
    expect(await page.getByTestId('seed-list').textContent()).toContain(SEED);

    // Every template, with where it is used.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Templates' }).click();
    await page.waitForURL(`${baseUrl}/app/templates`);
    const thanksRow = page.locator('tr[data-template="email:first-gift-thank-you"]');
    expect(await thanksRow.textContent()).toContain('first-gift-thank-you');
    expect(await thanksRow.textContent()).toMatch(/version 1/);
    await screenshot(page, 'templates-list');

    // A new template.
    await page.getByRole('link', { name: 'New template' }).click();
    await page.getByLabel('Name').fill('spring-appeal');
    await page.getByLabel('Subject').fill('Spring is here, {{ constituent.firstName }}');
    await page.getByLabel('Text').fill('Dear {{ constituent.firstName }},\n\nYour last gift of {{ gift.amount | money: gift.currency }} fed a family.\n');
    expect(await unlabelledFields(page)).toEqual([]);
    await page.getByRole('button', { name: 'Create template' }).click();
    await page.waitForURL(`${baseUrl}/app/templates/email/spring-appeal`);
    expect(await page.locator('.flash').textContent()).toContain('version 1');

    // A mistake, shown at its line by the live preview; then put right.
    const text = page.getByLabel('Text');
    await text.fill('Dear {{ constituent.firstName }},\n\nYour gift {{ gift.amount | monee }}.\n');
    const problem = page.getByTestId('template-problems');
    await problem.waitFor();
    expect(await problem.textContent()).toMatch(/Text, line 3, column \d+: .*undefined filter: monee/);
    await screenshot(page, 'template-error-at-line');
    await text.fill('Dear {{ constituent.firstName }},\n\nYour last gift of {{ gift.amount | money: gift.currency }} fed a family.\n');
    await problem.waitFor({ state: 'detached' });

    // Previewed with Ada's own data: her name and her gift.
    await page.getByLabel('Preview with a constituent').fill('ada@example.org');
    await page.getByRole('button', { name: 'Preview' }).click();
    expect(await page.getByTestId('preview-with').textContent()).toContain('Ada Lovelace');
    expect(await page.getByTestId('preview-subject').textContent()).toBe('Spring is here, Ada');
    const frame = page.frameLocator('[data-testid="preview-html"]');
    expect(await frame.locator('body').textContent()).toContain('Your last gift of $40.00 fed a family.');
    // The live preview keeps her data while typing.
    await page.getByLabel('Subject').fill('Spring is here, dear {{ constituent.firstName }}');
    await eventually(async () => ((await page.getByTestId('preview-subject').textContent()) === 'Spring is here, dear Ada' ? true : undefined), 'the live preview with Ada');
    await screenshot(page, 'template-preview-constituent');

    // A test send, through the real transport, to the seed address only.
    await page.getByRole('button', { name: 'Send test' }).click();
    expect(await page.getByTestId('test-results').textContent()).toContain(`${SEED}: sent`);
    const mail = await eventually(async () => runtime.smtp.messages.find((message) => message.subject === '[TEST] Spring is here, dear Ada'), 'the test at the seed address');
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : undefined).toBe(SEED);
    expect(mail.headers.get('x-steward-test')).toBe('true');
    expect(mail.text).toContain('Your last gift of $40.00 fed a family.');
    expect(runtime.smtp.messages.filter((message) => message.subject?.startsWith('[TEST]') && JSON.stringify(message.to).includes('ada@example.org'))).toEqual([]);
    await screenshot(page, 'template-test-sent');

    // The thank-you Ada was sent, opened from her timeline.
    await page.goto(`${baseUrl}/app/constituents/${adaId}`);
    await page.getByTestId('message-link').first().click();
    await page.waitForURL(/\/app\/messages\//);
    const sent = await runtime.db.message.findFirstOrThrow({ where: { constituentId: adaId, status: 'sent' } });
    expect(await page.getByTestId('message-subject').textContent()).toBe(sent.subject);
    expect(await page.frameLocator('[data-testid="message-html"]').locator('body').textContent()).toContain('Ada');
    await screenshot(page, 'sent-message-from-timeline');
  });
});
