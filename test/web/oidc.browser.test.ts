/**
 * Sign-in through the identity provider in a real browser (Debian's Chromium): Steward
 * on localhost and the provider on 127.0.0.1 are different sites, as an organisation's
 * provider is, so the provider's redirect back is cross-site. The person must still
 * land in the app signed in, though the session cookie is SameSite=Strict. An admin
 * then sees on the People page which provider subject she is linked to, and unlinks it.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOidcSignIn } from '../../src/auth/oidc-sign-in.ts';
import { makeKey } from '../support/api.ts';
import { startApiWithoutTemporal, type ApiWithoutTemporal } from '../support/api-without-temporal.ts';
import { launchBrowser, screenshot, unlabelledFields } from '../support/browser.ts';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.ts';

let idp: TestOidcProvider;
let stack: ApiWithoutTemporal;
let browser: Browser;
let appUrl: string;
/** Ruth's page, signed in through the provider by the first test. */
let ruthPage: Page;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  const port = await freePort();
  appUrl = `http://localhost:${port}`;
  const client = { clientId: 'steward-browser', clientSecret: 'a-client-secret-for-the-browser-test', redirectUri: `${appUrl}/app/sign-in/oidc/callback` };
  idp = await startOidcProvider({ client, accounts: { 'ruth-at-idp': { email: 'ruth@hope.example', emailVerified: true, name: 'Ruth Okafor' } } });
  stack = await startApiWithoutTemporal({
    oidc: createOidcSignIn({ issuer: idp.issuer, ...client, providerName: 'Hope Login', sealingSecret: 'y'.repeat(32) }),
    publicUrl: appUrl,
  });
  await stack.database.prisma.person.create({ data: { email: 'ruth@hope.example', name: 'Ruth Okafor', role: 'marketer' } });
  await stack.api.listen({ host: '127.0.0.1', port });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await idp?.stop();
});

it('signs an invited person in through the provider and lands them in the app', async () => {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(`${appUrl}/app/constituents`);
  await page.waitForURL(/\/app\/sign-in/);
  expect(await unlabelledFields(page)).toEqual([]);
  await screenshot(page, 'oidc-01-sign-in');
  await page.getByRole('link', { name: 'Sign in with Hope Login' }).click();

  await page.waitForURL(`${idp.issuer}/**`);
  await page.locator('input[name="login"]').fill('ruth-at-idp');
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();

  // Back at Steward, on the page first asked for, signed in.
  await page.waitForURL(`${appUrl}/app/constituents`);
  await expect.poll(() => page.locator('form.who').textContent()).toContain('Ruth Okafor');
  await screenshot(page, 'oidc-02-landed');
  ruthPage = page;
});

it("shows an admin the provider subject Ruth is linked to, and unlinking it ends her session", async () => {
  const key = await makeKey(stack.services.keys, ['admin'], 'Grace (operations)');
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(`${appUrl}/app/people`);
  await page.getByText('Sign in with an API key').click();
  await page.getByLabel('Your access key').fill(key);
  await page.getByRole('button', { name: 'Sign in with key' }).click();
  await page.waitForURL(`${appUrl}/app/people`);

  const row = page.getByRole('row', { name: /Ruth Okafor/ });
  expect(await page.getByRole('columnheader', { name: 'Linked to Hope Login' }).count()).toBe(1);
  expect(await row.getByTestId('oidc-subject').textContent()).toBe('ruth-at-idp');
  await screenshot(page, 'oidc-03-people-linked');

  page.once('dialog', (dialog) => void dialog.accept());
  await row.getByRole('button', { name: 'Unlink Ruth Okafor from Hope Login' }).click();
  await page.waitForURL(`${appUrl}/app/people`);
  expect(await page.getByRole('status').textContent()).toContain('Unlinked Ruth Okafor from Hope Login');
  expect(await page.getByRole('row', { name: /Ruth Okafor/ }).textContent()).toContain('not linked');
  await screenshot(page, 'oidc-04-people-unlinked');

  // Her session, started through the provider, has ended.
  await ruthPage.reload();
  await ruthPage.waitForURL(/\/app\/sign-in/);
});
