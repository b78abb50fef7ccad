/**
 * A real browser for the web app's tests: Debian's Chromium driven by
 * playwright-core. On a machine without it, the package is installed with apt
 * when the tests run as root; otherwise the error says what to install.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = process.env.STEWARD_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.resolve('test-results/screenshots');

function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set STEWARD_CHROMIUM to a Chromium binary`);
  }
  console.log('[browser] installing Debian chromium for the web app tests (once per machine)…');
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium, but ${CHROMIUM} is still missing`);
  return CHROMIUM;
}

export async function launchBrowser(): Promise<Browser> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: ensureChromium(),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * Opens `path` in a browser context of its own, signs in there with an API key (the
 * way behind "Sign in with an API key"; people use email and password) and waits to
 * be back at `path`, where the app returns after signing in.
 */
export async function signInWithKey(browser: Browser, options: { baseUrl: string; key: string; path: string }): Promise<Page> {
  const { baseUrl, key, path: where } = options;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${baseUrl}${where}`);
  // Without a session the app asks who you are first.
  if (new URL(page.url()).pathname !== '/app/sign-in') throw new Error(`Opening ${where} without a session showed ${page.url()}, not the sign-in page`);
  await page.getByText('Sign in with an API key').click();
  await page.getByLabel('Your access key').fill(key);
  await page.getByRole('button', { name: 'Sign in with key' }).click();
  await page.waitForURL(`${baseUrl}${where}`);
  return page;
}

/** Saves the whole page as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Form fields a person cannot name: each needs a <label> or an aria-label. */
export async function unlabelledFields(page: Page): Promise<string[]> {
  // Runs in the page; typed structurally so the project needs no DOM types.
  type Field = { labels: { length: number } | null; getAttribute(name: string): string | null; outerHTML: string };
  return page.$$eval('input:not([type=hidden]), textarea, select', (fields) =>
    (fields as unknown as Field[]).filter((field) => !field.labels?.length && !field.getAttribute('aria-label')).map((field) => field.outerHTML.slice(0, 80)),
  );
}
