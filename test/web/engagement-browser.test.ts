/**
 * Engagement and A/B results in a real browser (Debian's Chromium): a journey that
 * splits people two ways sends tracked email through a real SMTP server; the email
 * is opened in the browser (its pixel loads) and its story link is clicked, through
 * Steward's redirect; the journey page then shows the open and the click, and the
 * split's arms with a verdict; the marketer ends the test, which saves a new version
 * sending everyone down the chosen arm. Screenshots go to test-results/screenshots/.
 */
import { randomUUID } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessagingSettings } from '../../src/delivery/settings.ts';
import { JourneyDefinition } from '../../src/journeys/definition.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { makeKey, routed } from '../support/api.ts';
import { launchBrowser, screenshot, signInWithKey, unlabelledFields } from '../support/browser.ts';
import { startChannelStack, type ChannelStack } from '../support/channel-stack.ts';
import { eventually } from '../support/wait.ts';

let stack: ChannelStack;
let browser: Browser;
let messaging: MessagingSettings;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startChannelStack(), launchBrowser()]);
  // The story link points back at Steward, so the browser can follow it all the way.
  messaging = { ...stack.messaging, engagementTracking: 'clicks-and-opens', org: { ...stack.messaging.org, website: `${stack.apiUrl}/health` } };
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('engagement on the journey page', () => {
  it('shows the open and click of an email followed in the browser, the split results, and ends the test with a new version', async () => {
    const journeyId = `ab-${randomUUID().slice(0, 8)}`;
    await publishJourneyCatalog(stack.runtime.db, [
      {
        definition: JourneyDefinition.parse({
          id: journeyId,
          name: 'Impact story test',
          trigger: { event: 'custom', when: [{ field: 'event.name', eq: journeyId }] },
          initial: 'test',
          states: {
            test: { split: [{ percent: 50, to: 'storyFirst' }, { percent: 50, to: 'thanksFirst' }] },
            storyFirst: { entry: [{ do: 'email', template: 'new-donor-impact' }], after: [{ delay: '10d', to: 'done' }] },
            thanksFirst: { entry: [{ do: 'email', template: 'new-donor-impact' }], after: [{ delay: '20d', to: 'done' }] },
            done: { final: true },
          },
        }),
        source: `${journeyId}.test`,
        publishOnStart: true,
      },
    ]);
    const emails = Array.from({ length: 6 }, (_, index) => `reader-${index}-${randomUUID()}@example.org`);
    const worker = await stack.runtime.worker({ messaging });
    const mails = await worker.runUntil(async () => {
      for (const email of emails) {
        const response = await stack.call({ method: 'POST', url: '/events', payload: { id: randomUUID(), type: 'custom', constituent: { email, firstName: 'Ada', consent: { email: 'granted' } }, data: { name: journeyId } } });
        expect(response.statusCode).toBe(202);
        await routed(stack.call, response);
      }
      return Promise.all(
        emails.map((email) => eventually<ParsedMail>(async () => stack.runtime.smtp.messages.find((mail) => (mail.to as { text: string }).text === email), `the email to ${email}`)),
      );
    });

    // The recipient opens the email (its images load) and clicks the story link.
    const reader = await browser.newPage();
    await reader.setContent(String(mails[0]!.html), { waitUntil: 'networkidle' });
    await screenshot(reader, 'engagement-email');
    await reader.getByRole('link', { name: `${stack.apiUrl}/health` }).click();
    await reader.waitForURL(`${stack.apiUrl}/health`);
    expect(await reader.textContent('body')).toContain('ok');

    const key = await makeKey(stack.services.keys, ['admin'], 'Grace (marketing)');
    const page = await signInWithKey(browser, { baseUrl: stack.apiUrl, key, path: '/app/journeys' });
    await page.goto(`${stack.apiUrl}/app/journeys/${journeyId}`);
    const row = page.locator('[data-testid="message-table"] tr[data-template="new-donor-impact"]');
    await expect.poll(async () => row.locator('[data-count="opened"]').textContent()).toBe('1');
    expect(await row.locator('[data-count="clicked"]').textContent()).toBe('1');
    expect(await row.locator('[data-count="sent"]').textContent()).toBe('6');
    const variants = page.getByTestId('variants');
    await variants.scrollIntoViewIfNeeded();
    const arms = await variants.locator('tr[data-arm]').evaluateAll((rows) => rows.map((tr) => (tr as unknown as { dataset: { arm: string } }).dataset.arm));
    expect(arms).toEqual(['storyFirst', 'thanksFirst']);
    const enrolled = await variants.locator('tr[data-arm] td:nth-child(3)').allTextContents();
    expect(enrolled.map(Number).reduce((sum, count) => sum + count, 0)).toBe(6);
    expect(await variants.getByTestId('verdict').textContent()).toMatch(/^Too early to tell/);
    expect(await unlabelledFields(page)).toEqual([]);
    await screenshot(page, 'engagement-journey-page');

    // End the test: everyone down storyFirst, as a draft.
    page.once('dialog', (dialog) => void dialog.accept());
    await variants.getByLabel('Send everyone down').selectOption('storyFirst');
    await variants.getByRole('button', { name: 'End the test' }).click();
    await page.waitForURL(/version=2/);
    expect(await page.textContent('body')).toContain('Test at test ended: version 2 sends everyone to storyFirst, saved as a draft');
    await screenshot(page, 'engagement-test-ended');
    const version = await stack.runtime.db.journeyVersion.findUniqueOrThrow({ where: { journeyId_version: { journeyId, version: 2 } } });
    const definition = JourneyDefinition.parse(version.definition);
    expect(version.status).toBe('draft');
    expect(definition.states.test).toEqual({ choose: [{ to: 'storyFirst' }] });
    expect(Object.keys(definition.states).sort()).toEqual(['done', 'storyFirst', 'test']);
  });
});
