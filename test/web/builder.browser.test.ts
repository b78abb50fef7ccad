/**
 * The visual journey builder and the diagram in a real browser (Debian's Chromium)
 * over the API and a real database: a marketer builds a three-state journey with
 * the builder's forms alone, finds its YAML written in place with the starter's
 * notes kept, and publishes it; major-gift-prospect's diagram fits a 1280 px page
 * and stays readable on a phone. Screenshots go to test-results/screenshots/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/api/auth.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { makeKey } from '../support/api.ts';
import { startApiWithoutTemporal, type ApiWithoutTemporal } from '../support/api-without-temporal.ts';
import { launchBrowser, screenshot, unlabelledFields } from '../support/browser.ts';

let stack: ApiWithoutTemporal;
let browser: Browser;
let baseUrl: string;
let session: string;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startApiWithoutTemporal(), launchBrowser()]);
  await publishJourneyCatalog(stack.database.prisma, await loadJourneyCatalog());
  baseUrl = (await stack.api.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  const key = await makeKey(stack.services.keys, ['admin'], 'Grace (marketing)');
  session = (await stack.services.sessions.start({ keyId: (await stack.services.keys.authenticate(key))!.id })).token;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function adminPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  await context.addCookies([{ name: SESSION_COOKIE, value: session, url: baseUrl }]);
  return context.newPage();
}

const stateSection = (page: Page, name: string) => page.locator(`[data-builder-state="${name}"]`);

async function pressAndWait(page: Page, name: string, scope: Page | ReturnType<Page['locator']> = page) {
  await Promise.all([page.waitForEvent('load'), scope.getByRole('button', { name, exact: true }).click()]);
  expect(await page.getByTestId('builder-status').textContent(), `after ${name}`).not.toMatch(/Not changed/);
}

describe('the visual journey builder', () => {
  it('lets a marketer build a three-state journey without touching the YAML, keeps its notes, and publishes it', async () => {
    const page = await adminPage();
    await page.goto(`${baseUrl}/app/journeys`);
    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Build a journey' }).click()]);
    expect(new URL(page.url()).pathname).toBe('/app/journeys/new/build');

    await page.getByLabel('Id (lower-case, dashes)').fill('spring-thanks');
    await page.getByLabel('Name', { exact: true }).fill('Spring thanks');
    await pressAndWait(page, 'Apply');
    for (const name of ['thanked', 'waiting', 'done']) {
      await page.getByLabel("New state's name").fill(name);
      // Enter in the field adds the state, as its own button would.
      await Promise.all([page.waitForEvent('load'), page.getByLabel("New state's name").press('Enter')]);
      await expect.poll(() => stateSection(page, name).count()).toBe(1);
    }

    const thanked = stateSection(page, 'thanked');
    await thanked.getByLabel('Action', { exact: true }).selectOption('email');
    await thanked.getByLabel('Template (email or SMS)').selectOption('email:first-gift-thank-you');
    await pressAndWait(page, 'Add action to thanked', thanked);
    await stateSection(page, 'thanked').getByLabel('How').selectOption('after');
    await stateSection(page, 'thanked').getByLabel('Delay or timeout').fill('7d');
    await stateSection(page, 'thanked').getByLabel('Leads to').selectOption('waiting');
    await pressAndWait(page, 'Connect thanked', stateSection(page, 'thanked'));

    const waiting = stateSection(page, 'waiting');
    await waiting.getByLabel('How').selectOption('wait');
    await waiting.getByLabel('Event', { exact: true }).selectOption('donation');
    await waiting.getByLabel('Delay or timeout').fill('30d');
    await waiting.getByLabel('Leads to').selectOption('done');
    await waiting.getByLabel('On timeout, to').selectOption('done');
    await pressAndWait(page, 'Connect waiting', waiting);
    await stateSection(page, 'done').getByLabel('Ends the journey').selectOption('completed');
    await pressAndWait(page, 'Set ending of done', stateSection(page, 'done'));

    // The diagram draws the three states; the YAML holds them, written in place under the starter's notes.
    const drawn = await page.locator('[data-testid="builder-diagram"] svg g[data-state]').evaluateAll((groups) => groups.map((group) => group.getAttribute('data-state')));
    expect(drawn).toEqual(expect.arrayContaining(['thanked', 'waiting', 'done']));
    expect(await page.getByTestId('check-status').textContent()).toBe('No errors');
    const yaml = await page.getByLabel(/Journey definition \(YAML\)/).inputValue();
    expect(yaml).toContain("# A journey built in Steward's journey builder.\n# Lines starting with # are notes for people: the builder keeps them.\nid: spring-thanks\nname: Spring thanks");
    expect(yaml).toContain('  event: donation # what enrolls someone');
    expect(yaml).toContain(`states:
  thanked:
    entry:
      - { do: email, template: first-gift-thank-you }
    after:
      - { delay: 7d, to: waiting }
  waiting:
    wait:
      for: donation
      to: done
      timeout: 30d
      then: done
  done:
    final: true`);
    expect(await unlabelledFields(page)).toEqual([]);
    await screenshot(page, 'builder-three-states');

    await pressAndWait(page, 'Save draft');
    await expect.poll(() => page.getByTestId('saved').textContent()).toMatch(/Saved as version 1 of spring-thanks/);
    await Promise.all([page.waitForURL(`${baseUrl}/app/journeys/spring-thanks`), page.getByRole('button', { name: 'Publish version 1' }).click()]);
    expect(await page.locator('.flash').first().textContent()).toMatch(/Version 1 published/);
    const stored = await stack.database.prisma.journeyVersion.findUniqueOrThrow({ where: { journeyId_version: { journeyId: 'spring-thanks', version: 1 } } });
    expect(stored.status).toBe('published');
    expect(stored.source).toContain("# A journey built in Steward's journey builder.");
    await screenshot(page, 'builder-published');
  });

  it('redraws the builder from an edit typed into the YAML, and says why an edit cannot be made', async () => {
    const page = await adminPage();
    await page.goto(`${baseUrl}/app/journeys/major-gift-prospect/build`);
    const yaml = page.getByLabel(/Journey definition \(YAML\)/);
    const text = await yaml.inputValue();
    // The shipped file, as written: its comments are there.
    expect(text).toContain('# A call not logged after 3 days is escalated.');
    await yaml.fill(text.replace('  stewarded:\n    final: true', '  stewarded:\n    final: true\n  # thanked at the gala\n  galaGuest:\n    final: true'));
    await pressAndWait(page, 'Redraw from YAML');
    await expect.poll(() => stateSection(page, 'galaGuest').count()).toBe(1);
    // A builder edit afterwards keeps the comment typed by hand.
    await stateSection(page, 'galaGuest').getByLabel('Ends the journey').selectOption('converted');
    await pressAndWait(page, 'Set ending of galaGuest', stateSection(page, 'galaGuest'));
    expect(await yaml.inputValue()).toContain('  # thanked at the gala\n  galaGuest:\n    final: true\n    outcome: converted');

    await page.getByLabel("New state's name").fill('thanked');
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Add state', exact: true }).click()]);
    expect(await page.getByTestId('builder-status').textContent()).toMatch(/Not changed: there is already a state "thanked"/);
  });
});

describe('the journey diagram', () => {
  it("fits major-gift-prospect's diagram into a 1280 px page", async () => {
    const page = await adminPage({ width: 1280, height: 1000 });
    await page.goto(`${baseUrl}/app/journeys/major-gift-prospect`);
    const box = page.getByTestId('diagram');
    await expect.poll(() => box.evaluate((element) => element.scrollWidth - element.clientWidth)).toBeLessThanOrEqual(0);
    const svg = await box.locator('svg').boundingBox();
    expect(svg!.x + svg!.width).toBeLessThanOrEqual(1280);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')).toBeLessThanOrEqual(0);
    // Zoom in makes it scroll sideways, with the hint; fit brings it back.
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await expect.poll(() => box.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
    expect(await page.locator('[data-scroll-hint]').first().isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Fit to width' }).click();
    await expect.poll(() => box.evaluate((element) => element.scrollWidth - element.clientWidth)).toBeLessThanOrEqual(0);
    await box.screenshot({ path: 'test-results/screenshots/major-gift-diagram-1280.png' });
    await screenshot(page, 'major-gift-page-1280');
  });

  it('keeps the diagram readable on a phone, scrolling sideways with a hint, and says so for wide tables', async () => {
    const page = await adminPage({ width: 390, height: 844 });
    await page.goto(`${baseUrl}/app/journeys/major-gift-prospect`);
    const box = page.getByTestId('diagram');
    // At its own size: the text stays readable, and the box scrolls with a visible hint.
    await expect.poll(() => box.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
    const scale = await box.locator('svg').evaluate((svg) => svg.getBoundingClientRect().width / Number(svg.getAttribute('width')));
    expect(scale).toBeGreaterThanOrEqual(0.6);
    expect(await page.locator('[data-diagram-view] [data-scroll-hint]').isVisible()).toBe(true);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')).toBeLessThanOrEqual(0);
    await page.goto(`${baseUrl}/app/journeys`);
    const hint = page.locator('.table-wrap > .scroll-hint').first();
    await expect.poll(() => hint.isVisible()).toBe(true);
    expect(await hint.textContent()).toContain('Scroll sideways');
    await screenshot(page, 'journeys-phone-390');
    // The builder's forms fit the phone too: one column, nothing wider than the screen but the diagram's own box.
    await page.goto(`${baseUrl}/app/journeys/major-gift-prospect/build`);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')).toBeLessThanOrEqual(0);
    await screenshot(page, 'builder-phone-390');
  });
});
