/**
 * The web app in a real browser (Debian's Chromium), over real parts: the API
 * process listening, PostgreSQL, the Temporal test server with a worker, an SMTP
 * server. A marketer writes, checks, simulates and publishes a journey and
 * watches its diagram count people in; a staff member works a task and the
 * constituent's journey carries on. Each page's screenshot is saved under
 * test-results/screenshots/.
 */
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/api/auth.ts';
import { buildApi } from '../../src/api/server.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { createServices, type Services } from '../../src/services.ts';
import { makeKey } from '../support/api.ts';
import { launchBrowser, screenshot, signInWithKey, unlabelledFields } from '../support/browser.ts';
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
/** A web session the admin key started, for tests that are not about signing in. */
let adminSession: string;
let staffKey: string;

beforeAll(async () => {
  [runtime, browser] = await Promise.all([startTestRuntime(), launchBrowser()]);
  await publishJourneyCatalog(runtime.db, await loadJourneyCatalog());
  services = createServices({ db: runtime.db, temporal: runtime.env.client, taskQueue: runtime.taskQueue });
  worker = await runtime.worker();
  working = worker.run();
  api = buildApi(services);
  baseUrl = (await api.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  adminKey = await makeKey(services.keys, ['admin'], 'Grace (marketing)');
  adminSession = (await services.sessions.start({ keyId: (await services.keys.authenticate(adminKey))!.id })).token;
  staffKey = await makeKey(services.keys, ['read', 'staff'], 'Maria (gift officer)');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  worker?.shutdown();
  await working;
  await api?.close();
  await runtime?.stop();
});

/** Without a session the app asks for a key, and comes back to the journeys it was going to. */
const signIn = (key: string): Promise<Page> => signInWithKey(browser, { baseUrl, key, path: '/app/journeys' });

async function postEvent(body: unknown) {
  const response = await fetch(`${baseUrl}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
  // Answered once stored; wait for routing to say where the event went.
  const { eventId } = (await response.json()) as { eventId: string };
  return eventually(async () => {
    const event = (await (await fetch(`${baseUrl}/events/${eventId}`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as {
      routing: string;
      enrollments: { enrollmentId: string; journeyId: string }[];
    };
    return event.routing === 'routed' ? event : undefined;
  }, `event ${eventId} to be routed`);
}

/** A signed-in admin's page, by cookie, for tests that are not about signing in. */
async function adminPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  await context.addCookies([{ name: SESSION_COOKIE, value: adminSession, url: baseUrl }]);
  return context.newPage();
}

/** WCAG contrast ratio of two computed colours, "rgb(r, g, b)". */
function contrast(first: string, second: string): number {
  const luminance = (color: string) => {
    const [r, g, b] = (color.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((part) => {
      const channel = Number(part) / 255;
      return channel <= 0.04045 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [light, dark] = [luminance(first), luminance(second)].sort((a, b) => b - a);
  return (light! + 0.05) / (dark! + 0.05);
}

/** The focused element's outline and shadow, and the colour behind them (its nearest ancestor with a background). */
const FOCUS_INDICATOR = `(() => {
  const style = getComputedStyle(document.activeElement);
  let behind = document.activeElement.parentElement;
  while (behind && getComputedStyle(behind).backgroundColor === 'rgba(0, 0, 0, 0)') behind = behind.parentElement;
  return {
    outline: { style: style.outlineStyle, width: style.outlineWidth, color: style.outlineColor },
    shadow: style.boxShadow,
    behind: behind ? getComputedStyle(behind).backgroundColor : 'rgb(255, 255, 255)',
  };
})()`;

/** How far the focus indicator's best-standing ring stands out from what is behind it (WCAG 2.2 asks 3:1). */
async function focusContrast(page: Page): Promise<number> {
  const indicator = await page.evaluate<{ outline: { style: string; width: string; color: string }; shadow: string; behind: string }>(FOCUS_INDICATOR);
  expect(indicator.outline.style).toBe('solid');
  expect(parseFloat(indicator.outline.width)).toBeGreaterThanOrEqual(2);
  const rings = [indicator.outline.color, ...(indicator.shadow.match(/rgba?\([^)]*\)/g) ?? [])];
  return Math.max(...rings.map((ring) => contrast(ring, indicator.behind)));
}

const JOURNEY_WITH_ERROR = `id: spring-appeal-thanks
name: Spring appeal thank-you
description: Thank spring appeal donors at once.
trigger:
  event: donation
  when:
    - { field: event.campaign, eq: spring-appeal }
initial: thanked
states:
  thanked:
    entry:
      - { do: email, template: spring-thanks }
    after:
      - { delay: 30d, to: done }
  done:
    final: true
`;
const JOURNEY_FIXED = JOURNEY_WITH_ERROR.replace('template: spring-thanks', 'template: first-gift-thank-you');

describe('the web app', () => {
  it('refuses a wrong key at sign-in', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/app/sign-in`);
    await page.getByText('Sign in with an API key').click();
    await page.getByLabel('Your access key').fill('stw_wrong-key-000000000000000000000000');
    await page.getByRole('button', { name: 'Sign in with key' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('unknown or revoked');
    await screenshot(page, '01-sign-in-refused');
    await page.close();
  });

  it('lets a marketer write a journey, see an error at its line, fix it, simulate, publish, and watch people arrive', async () => {
    const page = await signIn(adminKey);
    expect(await page.locator('h1').textContent()).toBe('Journeys');
    expect(await page.getByRole('link', { name: 'First-gift thank-you' }).count()).toBe(1);
    expect(await unlabelledFields(page)).toEqual([]);
    await screenshot(page, '02-journeys');

    await page.getByRole('link', { name: 'New journey' }).click();
    await page.waitForURL(`${baseUrl}/app/journeys/new`);
    const editor = page.getByLabel('Journey definition');
    await editor.fill(JOURNEY_WITH_ERROR);
    await page.getByRole('button', { name: 'Check' }).click();
    await page.waitForLoadState('domcontentloaded');

    // The error names the field and the line, and the line is marked beside the text.
    const finding = page.getByTestId('findings').locator('li').first();
    expect(await finding.textContent()).toMatch(/line 12.*states\.thanked\.entry\[0\]\.template.*spring-thanks/s);
    expect(await page.locator('.gutter li.error-line').allTextContents()).toEqual(['12']);
    expect(await page.getByLabel('Journey definition').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('check-status').textContent()).toBe('1 error');
    expect(await unlabelledFields(page)).toEqual([]);
    await screenshot(page, '03-editor-error');

    // Following the finding puts the caret on that line.
    await finding.getByRole('link').click();
    const caretLine = await page.getByLabel('Journey definition').evaluate((area) => {
      const { value, selectionStart } = area as unknown as { value: string; selectionStart: number };
      return value.slice(0, selectionStart).split('\n').length;
    });
    expect(caretLine).toBe(12);

    // Fixing it in place clears the error while typing, before any button is pressed.
    await page.getByLabel('Journey definition').fill(JOURNEY_FIXED);
    await expect.poll(() => page.getByTestId('check-status').textContent(), { timeout: 10_000 }).toBe('No errors');
    expect(await page.locator('.gutter li.error-line').count()).toBe(0);

    await page.getByText('Simulation timeline').click();
    await page.getByRole('button', { name: 'Simulate' }).click();
    await page.waitForLoadState('domcontentloaded');
    const simulation = page.getByTestId('simulation');
    expect(await simulation.textContent()).toContain('enrollment 1: completed in done');
    expect(await simulation.textContent()).toContain('first-gift-thank-you');
    await screenshot(page, '04-editor-simulation');

    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.waitForLoadState('domcontentloaded');
    expect(await page.getByTestId('saved').textContent()).toContain('version 1');
    // Publishing asks first, saying what goes live.
    await page.getByRole('link', { name: 'Review and publish version 1' }).click();
    await page.waitForURL(`${baseUrl}/app/journeys/spring-appeal-thanks/versions/1/publish`);
    await page.getByRole('button', { name: 'Publish version 1' }).click();
    await page.waitForURL(`${baseUrl}/app/journeys/spring-appeal-thanks`);
    expect(await page.getByRole('status').textContent()).toContain('Version 1 published');
    // A spring-appeal first gift would be thanked by this journey and by the first-gift one: said at once.
    expect(await page.getByRole('status').textContent()).toContain('spring-appeal-thanks and first-gift-thank-you would both enroll a constituent on one donation event');
    expect(await page.locator('h1').textContent()).toContain('published');
    // Each version's buttons say which version they act on.
    for (const name of ['Pause version 1', 'Archive version 1']) expect(await page.getByRole('button', { name, exact: true }).count()).toBe(1);

    // Events arrive; the diagram's counts move without reloading the page.
    const now = () => page.locator('[data-testid="state-counts"] tr[data-state="thanked"] td').first().textContent();
    expect(await now()).toBe('0');
    await screenshot(page, '05-journey-before');
    // A keyboard user opens the table of numbers. While focus is in the numbers they are left alone:
    // rebuilding them would throw focus back to the top of the page.
    const summary = page.locator('#live summary');
    await summary.focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('#live details').getAttribute('open')).toBe('');
    for (let index = 0; index < 3; index++) {
      const accepted = await postEvent({
        id: `spring-${randomUUID()}`,
        type: 'donation',
        constituent: { email: `spring-${index}-${randomUUID()}@example.org`, firstName: `Donor ${index}`, consent: { email: 'granted' } },
        data: { amount: 25 + index, currency: 'USD', campaign: 'spring-appeal' },
      });
      expect(accepted.enrollments.map((enrollment) => enrollment.journeyId)).toContain('spring-appeal-thanks');
    }
    await page.waitForTimeout(4_000); // longer than one turn of the live refresh
    expect(await page.evaluate<boolean>("document.activeElement.matches('#live summary')")).toBe(true);
    expect(await now()).toBe('0');
    // Once focus leaves, the numbers catch up, and the table stays open.
    await page.getByRole('link', { name: 'Edit journey' }).focus();
    await expect.poll(now, { timeout: 20_000 }).toBe('3');
    expect(await page.locator('#live details').getAttribute('open')).toBe('');
    expect(await page.locator('[data-testid="diagram"] g[data-state="thanked"] text.counts').first().textContent()).toContain('3 now');
    expect(await page.locator('[data-metric="enrolled"] .card-value').textContent()).toBe('3');
    // The funnel and the daily chart move with the diagram: one page, one truth.
    expect(await page.locator('.funnel li').first().textContent()).toMatch(/thanked\s*3 reached/);
    expect(await page.locator('figure.chart svg').getAttribute('aria-label')).toContain('3 enrolled');
    // Behind the picture, a table gives every day's numbers to assistive tech.
    const perDay = page.getByRole('table', { name: 'Enrollments and conversions per day' });
    const enrolledPerDay = await perDay.locator('tbody td:nth-child(2)').allTextContents();
    expect(enrolledPerDay.length).toBeGreaterThan(1);
    expect(enrolledPerDay.reduce((sum, count) => sum + Number(count), 0)).toBe(3);
    await screenshot(page, '06-journey-live');

    // Someone reading the numbers can stop them moving, and start them again.
    const pause = page.getByRole('button', { name: 'Pause live updates' });
    await pause.click();
    expect(await pause.getAttribute('aria-pressed')).toBe('true');
    await postEvent({
      id: `spring-${randomUUID()}`,
      type: 'donation',
      constituent: { email: `spring-late-${randomUUID()}@example.org`, consent: { email: 'granted' } },
      data: { amount: 40, currency: 'USD', campaign: 'spring-appeal' },
    });
    await page.waitForTimeout(4_000); // longer than one turn of the live refresh
    expect(await now()).toBe('3');
    await pause.click();
    expect(await pause.getAttribute('aria-pressed')).toBe('false');
    await expect.poll(now, { timeout: 20_000 }).toBe('4');
    await page.context().close();
  });

  it('lets a staff member claim and complete a task, and the constituent’s journey carries on', async () => {
    // Shipped as a draft; an admin puts it live.
    await services.lifecycle.publish('major-gift-prospect', 2);
    const email = `major-${randomUUID()}@example.org`;
    const accepted = await postEvent({
      id: `major-${randomUUID()}`,
      type: 'donation',
      constituent: { email, firstName: 'Octavia', lastName: 'Hill', phone: '+1 503 555 0188', consent: { email: 'granted' } },
      data: { amount: 5000, currency: 'USD', campaign: 'Harbour appeal' },
    });
    const enrollment = accepted.enrollments.find((item) => item.journeyId === 'major-gift-prospect');
    expect(enrollment).toBeDefined();
    const task = await eventually(
      () => runtime.db.staffTask.findFirst({ where: { enrollmentId: enrollment!.enrollmentId } }).then((row) => row ?? undefined),
      'the gift officer task',
    );

    const page = await signIn(staffKey);
    // A read-and-staff key sees journeys but not the editor.
    expect(await page.getByRole('link', { name: 'New journey' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Task inbox' }).click();
    await page.getByRole('link', { name: /Major gifts/ }).click();
    const card = page.locator(`[data-task="${task.id}"]`);
    expect(await card.getByRole('heading').textContent()).toBe('Call to thank a major donor');
    expect(await card.textContent()).toContain('Octavia Hill');
    // What the call is for: how to reach her, and the gift behind it.
    const phone = card.getByRole('link', { name: '+1 503 555 0188' });
    expect(await phone.getAttribute('href')).toBe('tel:+15035550188');
    expect(await card.getByRole('link', { name: email }).getAttribute('href')).toBe(`mailto:${email}`);
    expect(await card.getByTestId('cause').textContent()).toContain('Gift of USD 5,000.00 (campaign Harbour appeal)');
    expect(await card.getByTestId('giving').textContent()).toContain('1 gift: USD 5,000.00 in all, USD 5,000.00 this year');
    expect(await unlabelledFields(page)).toEqual([]);
    await screenshot(page, '07-inbox');

    // Each task's buttons say which task they act on, for those who hear the page rather than see it.
    expect(await card.getByRole('button', { name: 'Claim task: Call to thank a major donor, Octavia Hill', exact: true }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Complete task: Call to thank a major donor, Octavia Hill', exact: true }).count()).toBe(1);
    await card.getByRole('button', { name: 'Claim' }).click();
    await page.waitForLoadState('domcontentloaded');
    expect(await page.getByRole('status').textContent()).toContain('Claimed');
    expect(await page.locator(`[data-task="${task.id}"]`).textContent()).toContain('Maria (gift officer)');
    // The outcomes this journey branches on are offered.
    expect(await page.locator(`#outcomes-${task.id} option`).evaluateAll((options) => options.map((option) => option.getAttribute('value')))).toEqual(
      expect.arrayContaining(['meeting-booked', 'reached', 'left-message']),
    );
    await page.locator(`[data-task="${task.id}"]`).getByLabel('Outcome').fill('meeting-booked');
    await page.locator(`[data-task="${task.id}"]`).getByLabel('Notes').fill('Lunch on Friday; wants to see the harbour site');
    await screenshot(page, '07b-task-card-with-notes');
    await page.locator(`[data-task="${task.id}"]`).getByRole('button', { name: 'Complete' }).click();
    await page.waitForLoadState('domcontentloaded');
    expect(await page.getByRole('status').textContent()).toContain('meeting-booked');
    expect(await page.locator(`[data-task="${task.id}"]`).count()).toBe(0);
    await screenshot(page, '08-inbox-done');

    const stored = await runtime.db.staffTask.findUniqueOrThrow({ where: { id: task.id } });
    expect(stored).toMatchObject({ status: 'completed', outcome: 'meeting-booked', completedBy: 'Maria (gift officer)', notes: 'Lunch on Friday; wants to see the harbour site' });

    // The constituent's page shows the journey moved on to cultivation and converted.
    const constituent = await runtime.db.constituent.findUniqueOrThrow({ where: { email } });
    await eventually(async () => {
      const row = await runtime.db.enrollment.findUniqueOrThrow({ where: { id: enrollment!.enrollmentId } });
      return row.status === 'converted' ? row : undefined;
    }, 'the enrollment to convert');
    await page.goto(`${baseUrl}/app/constituents/${constituent.id}`);
    const row = page.locator(`[data-enrollment="${enrollment!.enrollmentId}"]`);
    expect(await row.getByTestId('current-state').textContent()).toBe('cultivation');
    expect(await row.textContent()).toContain('converted');
    const timeline = await page.getByTestId('timeline').textContent();
    expect(timeline).toContain('major-gift-prospect: thanked → cultivation (task-completed)');
    expect(timeline).toContain('Call to thank a major donor — meeting-booked (Maria (gift officer)): “Lunch on Friday; wants to see the harbour site”');
    expect(timeline).toContain('Gave 5000.00 USD');
    // Only admins take people out of journeys.
    expect(await page.getByRole('button', { name: /^Remove/ }).count()).toBe(0);
    await screenshot(page, '09-constituent');

    await page.goto(`${baseUrl}/app/constituents?q=octavia`);
    expect(await page.getByRole('link', { name: 'Octavia Hill' }).count()).toBe(1);
    await screenshot(page, '10-constituents');
    await page.context().close();
  });

  it('lets an admin take a constituent out of a journey, with a reason, and the journey records the exit', async () => {
    const email = `phoned-${randomUUID()}@example.org`;
    const accepted = await postEvent({
      id: `phoned-${randomUUID()}`,
      type: 'donation',
      constituent: { email, firstName: 'Mary', lastName: 'Seacole', consent: { email: 'granted' } },
      data: { amount: 40, currency: 'USD' },
    });
    const enrollment = accepted.enrollments.find((item) => item.journeyId === 'first-gift-thank-you');
    expect(enrollment).toBeDefined();
    const constituent = await runtime.db.constituent.findUniqueOrThrow({ where: { email } });

    const page = await adminPage();
    await page.goto(`${baseUrl}/app/constituents/${constituent.id}`);
    const row = page.locator(`[data-enrollment="${enrollment!.enrollmentId}"]`);
    expect(await row.textContent()).toContain('active');
    // The field and the button say which journey they act on; a reason is required before anything is sent.
    const reason = row.getByRole('textbox', { name: 'Reason for removing from first-gift-thank-you', exact: true });
    const remove = row.getByRole('button', { name: 'Remove from first-gift-thank-you', exact: true });
    expect(await remove.count()).toBe(1);
    expect(await reason.evaluate((field) => (field as unknown as { required: boolean }).required)).toBe(true);
    expect(await unlabelledFields(page)).toEqual([]);
    await reason.fill('Asked by phone not to be contacted about this appeal');
    await screenshot(page, '14-constituent-remove');

    // The app asks before taking someone out; accepting goes ahead.
    const asked = new Promise<string>((resolve) =>
      page.once('dialog', (dialog) => {
        resolve(dialog.message());
        void dialog.accept();
      }),
    );
    await remove.click();
    expect(await asked).toBe('Take Mary Seacole out of first-gift-thank-you? The journey stops at once and sends them nothing more.');
    await page.waitForURL(`${baseUrl}/app/constituents/${constituent.id}`);
    await page.waitForLoadState('domcontentloaded');
    expect(await page.getByRole('status').textContent()).toContain('Removed from first-gift-thank-you');
    await screenshot(page, '15-constituent-removed');

    // The workflow records the exit a moment later; the page shows it once reloaded.
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.locator(`[data-enrollment="${enrollment!.enrollmentId}"]`).getByTestId('current-state').textContent();
        },
        { timeout: 20_000 },
      )
      .toBe('exited');
    const ended = page.locator(`[data-enrollment="${enrollment!.enrollmentId}"]`);
    // The exit keeps the reason and who gave it; with nothing left running, nothing is offered.
    expect(await ended.textContent()).toContain('removed: Asked by phone not to be contacted about this appeal — Grace (marketing)');
    expect(await page.getByRole('button', { name: /^Remove/ }).count()).toBe(0);
    expect(await page.getByTestId('timeline').textContent()).toContain('first-gift-thank-you: thanked → exited (removed)');
    await screenshot(page, '16-constituent-exited');
    await page.context().close();
  });

  it('works on a phone-sized screen and with the keyboard alone', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    await context.addCookies([{ name: SESSION_COOKIE, value: adminSession, url: baseUrl }]);
    const page = await context.newPage();
    await page.goto(`${baseUrl}/app/journeys/first-gift-thank-you`);
    // Nothing wider than the screen but the diagram and tables, which scroll in their own boxes.
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.textContent')).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>("document.activeElement.getAttribute('href')")).toBe('/app'); // the brand, home for whoever is signed in
    await screenshot(page, '11-journey-phone');
    await context.close();
  });

  it('keeps a journey’s leading blank line, so findings stay on their lines after a check', async () => {
    const page = await adminPage();
    await page.goto(`${baseUrl}/app/journeys/new`);
    const source = `\n${JOURNEY_WITH_ERROR}`;
    await page.getByLabel('Journey definition').fill(source);
    await page.getByRole('button', { name: 'Check' }).click();
    await page.waitForLoadState('domcontentloaded');
    expect(await page.getByLabel('Journey definition').inputValue()).toBe(source);
    expect(await page.getByTestId('findings').locator('li').first().textContent()).toMatch(/line 13\b/);
    expect(await page.locator('.gutter li.error-line').allTextContents()).toEqual(['13']);
    await page.context().close();
  });

  it('sends someone whose session ended to sign in, instead of refreshing the sign-in form into the numbers', async () => {
    const page = await adminPage();
    await page.goto(`${baseUrl}/app/journeys/first-gift-thank-you`);
    await page.context().clearCookies();
    await page.waitForURL(/\/app\/sign-in\?/, { timeout: 10_000 });
    expect(new URL(page.url()).searchParams.get('next')).toBe('/app/journeys/first-gift-thank-you');
    expect(await page.locator('[data-live]').count()).toBe(0);
    await page.context().close();
  });

  it('shows where focus is on the page and in the header, and says which key each Revoke button acts on', async () => {
    const page = await adminPage();
    await page.goto(`${baseUrl}/app/keys`);
    expect(await page.getByRole('button', { name: 'Revoke' }).count()).toBe(2);
    expect(await page.getByRole('button', { name: 'Revoke key Maria (gift officer)', exact: true }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Revoke key Grace (marketing)', exact: true }).count()).toBe(1);

    // Focus stands out both on the dark-blue header (there the amber ring does) and on the white page (there the dark one does).
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>("document.activeElement.closest('header') ? 'header' : 'page'")).toBe('header');
    expect(await focusContrast(page)).toBeGreaterThanOrEqual(3);
    await screenshot(page, '12-focus-header');
    await page.getByLabel('Who or what holds it').focus();
    expect(await focusContrast(page)).toBeGreaterThanOrEqual(3);
    await screenshot(page, '13-keys-focus-field');
    await page.context().close();
  });
});
