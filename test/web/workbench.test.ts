/**
 * The marketer's workbench in a real browser (Debian's Chromium): publishing asks
 * first with what changes, older versions show as superseded, the outcome field's
 * pattern really checks in the browser, the favicon is served, "no enrollments
 * yet" instead of 0%, wide tables scroll with a hint on a phone, and the sign-in
 * page names the real key file. Temporal is not needed for any of it. Screenshots
 * go to test-results/screenshots/.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/api/auth.ts';
import { createJourneyAuthoring } from '../../src/journeys/authoring.ts';
import { startApiWithoutTemporal, type ApiWithoutTemporal } from '../support/api-without-temporal.ts';
import { makeKey } from '../support/api.ts';
import { launchBrowser, screenshot } from '../support/browser.ts';

const KEY_FILE = `/srv/steward-${randomUUID().slice(0, 8)}/data/api-key`;
let started: ApiWithoutTemporal;
let browser: Browser;
let baseUrl: string;
let session: string;
const journeyId = `workbench-${randomUUID().slice(0, 8)}`;

const source = (extra: string) => `id: ${journeyId}
name: Workbench thanks
trigger:
  event: donation
  when:
    - { field: event.campaign, eq: ${journeyId} }
initial: thanked
states:
  thanked:
    entry:
      - { do: email, template: first-gift-thank-you }
    after:
      - { delay: 30d, to: done }
${extra}  done:
    final: true
`;

beforeAll(async () => {
  [started, browser] = await Promise.all([startApiWithoutTemporal({ apiKeyFile: KEY_FILE }), launchBrowser()]);
  baseUrl = (await started.api.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  const key = await makeKey(started.services.keys, ['admin'], 'Grace (marketing)');
  session = (await started.services.sessions.start({ keyId: (await started.services.keys.authenticate(key))!.id })).token;
  // v1 a draft never published, v2 live, v3 a draft that adds a call and an SMS.
  const authoring = createJourneyAuthoring(started.database.prisma);
  await authoring.saveDraft(source(''), journeyId);
  await authoring.saveDraft(source('').replace('delay: 30d', 'delay: 20d'), journeyId);
  await started.services.lifecycle.publish(journeyId, 2);
  await authoring.saveDraft(
    source(`  call:
    entry:
      - { do: task, queue: stewardship, title: Call a generous donor, due: 48h }
      - { do: sms, template: winback-sms }
    after:
      - { delay: 10d, to: done }
`).replace('delay: 30d, to: done', 'delay: 3d, to: call'),
    journeyId,
  );
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await started?.stop();
});

async function signedIn(viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  await context.addCookies([{ name: SESSION_COOKIE, value: session, url: baseUrl }]);
  return { context, page: await context.newPage() };
}

describe('the workbench', () => {
  it('asks before publishing, with what changes against the live version, and then publishes', async () => {
    const { context, page } = await signedIn();
    await page.goto(`${baseUrl}/app/journeys/${journeyId}`);
    // v1 was never published and v2 is live: v1 is superseded, not a draft waiting.
    const statusOf = (version: number) => page.locator(`tr:has(a[href$="version=${version}"]) td[data-column="status"]`).textContent();
    expect(await statusOf(1)).toContain('superseded');
    expect(await statusOf(2)).toMatch(/published\s+live/);
    expect(await statusOf(3)).toContain('draft');
    expect(await page.getByRole('link', { name: 'Publish… version 1' }).count()).toBe(0);

    await page.getByRole('link', { name: 'Publish… version 3' }).click();
    await page.waitForURL(`${baseUrl}/app/journeys/${journeyId}/versions/3/publish`);
    const changes = page.getByTestId('publish-changes');
    expect(await page.locator('h1').textContent()).toBe('Publish version 3 of Workbench thanks?');
    expect(await page.getByText('Compared with version 2, live now.').count()).toBe(1);
    expect(await changes.locator('[data-change="states-added"]').textContent()).toBe('call');
    expect(await changes.locator('[data-change="states-removed"]').textContent()).toBe('none');
    expect(await changes.locator('[data-change="states-changed"]').textContent()).toBe('thanked');
    expect(await changes.locator('[data-change="templates-added"]').textContent()).toBe('sms:winback-sms');
    expect(await changes.locator('[data-change="trigger"]').textContent()).toBe('unchanged');
    // Nothing is published until the button on this page is pressed.
    expect((await started.database.prisma.journeyVersion.findFirstOrThrow({ where: { journeyId, version: 3 } })).status).toBe('draft');
    await screenshot(page, 'workbench-01-publish-confirmation');

    await page.getByRole('button', { name: 'Publish version 3' }).click();
    await page.waitForURL(`${baseUrl}/app/journeys/${journeyId}`);
    expect(await page.getByRole('status').textContent()).toContain('Version 3 published');
    expect(await statusOf(2)).toContain('superseded');
    expect(await statusOf(3)).toMatch(/published\s+live/);
    await screenshot(page, 'workbench-02-published');
    await context.close();
  });

  it('shows a dash, not 0%, for a journey nobody has enrolled in', async () => {
    const { context, page } = await signedIn();
    await page.goto(`${baseUrl}/app/journeys`);
    const row = page.locator(`tr:has(a[href="/app/journeys/${journeyId}"])`);
    const conversion = await row.locator('td[data-column="conversion"]').textContent();
    expect(conversion).toContain('–');
    expect(conversion).toContain('no enrollments yet');
    expect(conversion).not.toContain('%');
    await page.goto(`${baseUrl}/app/journeys/${journeyId}`);
    expect(await page.locator('[data-metric="conversion-rate"] .card-value').textContent()).toMatch(/^–/);
    await screenshot(page, 'workbench-03-no-enrollments');
    await context.close();
  });

  it('checks the task outcome in the browser: the pattern compiles with the v flag and refuses what the server refuses', async () => {
    const db = started.database.prisma;
    const constituent = await db.constituent.create({ data: { email: `octavia-${randomUUID()}@example.org`, firstName: 'Octavia' } });
    await db.staffTask.create({ data: { idempotencyKey: randomUUID(), constituentId: constituent.id, queue: 'stewardship', title: 'Call Octavia' } });
    const { context, page } = await signedIn();
    await page.goto(`${baseUrl}/app/inbox?queue=stewardship`);
    const field = page.getByRole('combobox', { name: /Outcome/ }).first();
    const pattern = await field.getAttribute('pattern');
    expect(pattern).toBeTruthy();
    // Chromium compiles `pattern` as ^(?:pattern)$ with the v flag; a pattern that does not compile is ignored.
    const compiles = await page.evaluate((source) => {
      try {
        new RegExp(`^(?:${source})$`, 'v');
        return true;
      } catch {
        return false;
      }
    }, pattern!);
    expect(compiles).toBe(true);
    const valid = (value: string) =>
      field.evaluate((input, text) => {
        const element = input as unknown as { value: string; checkValidity(): boolean; validity: { patternMismatch: boolean } };
        element.value = text;
        return { ok: element.checkValidity(), mismatch: element.validity.patternMismatch };
      }, value);
    expect(await valid('no-answer')).toEqual({ ok: true, mismatch: false });
    expect(await valid('No Answer')).toEqual({ ok: false, mismatch: true });
    expect(await valid('-dash-first')).toEqual({ ok: false, mismatch: true });
    // The browser stops the form: no request leaves, the field says why.
    await field.fill('Left A Message');
    await page.getByRole('button', { name: /^Complete/ }).first().click();
    expect(new URL(page.url()).pathname).toBe('/app/inbox');
    expect(await field.evaluate((input) => (input as unknown as { validationMessage: string }).validationMessage)).not.toBe('');
    await screenshot(page, 'workbench-04-outcome-checked');
    await context.close();
  });

  it('serves a favicon instead of a 404', async () => {
    const { context, page } = await signedIn();
    const response = await page.goto(`${baseUrl}/favicon.ico`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toBe('image/x-icon');
    const body = await response!.body();
    // An ICO file: reserved 0, type 1, at least one image.
    expect([...body.subarray(0, 4)]).toEqual([0, 0, 1, 0]);
    await page.goto(`${baseUrl}/app/journeys`);
    const status = await page.evaluate(async () => (await fetch('/favicon.ico')).status);
    expect(status).toBe(200);
    await context.close();
  });

  it('lets a phone scroll a wide table sideways, and says so', async () => {
    const { context, page } = await signedIn({ width: 375, height: 740 });
    await page.goto(`${baseUrl}/app/journeys`);
    const wrap = page.locator('.table-wrap').first();
    await expect.poll(() => wrap.evaluate((element) => element.classList.contains('overflowing'))).toBe(true);
    expect(await wrap.locator('.scroll-hint').isVisible()).toBe(true);
    expect(await wrap.locator('.scroll-hint').textContent()).toContain('Scroll sideways');
    const scrolled = await wrap.evaluate((element) => {
      element.scrollLeft = 10_000;
      return element.scrollLeft;
    });
    expect(scrolled).toBeGreaterThan(0);
    // The page itself does not scroll sideways: only the table does.
    expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth + 1')).toBe(true);
    await screenshot(page, 'workbench-05-phone-table');
    // On a wide screen the hint stays out of the way.
    await page.setViewportSize({ width: 1400, height: 900 });
    await expect.poll(() => wrap.locator('.scroll-hint').isVisible()).toBe(false);
    await context.close();
  });

  it('names the real key file on the sign-in page', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/app/sign-in`);
    const hint = await page.locator('form p.muted').textContent();
    expect(hint).toContain(KEY_FILE);
    expect(hint).not.toContain('.steward/api-key');
    await page.close();
  });
});
