/**
 * People's accounts in a real browser (Debian's Chromium), over real parts: the API
 * listening, the database, the Temporal test server, an SMTP server. An admin
 * invites a staff member; the invitation arrives by mail; the staff member chooses
 * a password, signs in with it, sees the task inbox and the constituent their task
 * concerns, and is refused everything else; the admin's audit trail shows it all.
 * Screenshots are saved under test-results/screenshots/.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/api/auth.ts';
import { launchBrowser, screenshot, unlabelledFields } from '../support/browser.ts';
import { startChannelStack, type ChannelStack } from '../support/channel-stack.ts';

let stack: ChannelStack;
let browser: Browser;
let adminSession: string;
let theirConstituent: string;
let otherConstituent: string;
const PASSWORD = 'harbour lights at dusk';

beforeAll(async () => {
  [stack, browser] = await Promise.all([startChannelStack(), launchBrowser()]);
  const { db } = stack.runtime;
  const key = await stack.services.keys.create({ name: 'Grace (first admin)', scopes: ['admin'] });
  adminSession = (await stack.services.sessions.start({ keyId: key.apiKey.id })).token;
  const [their, other] = await Promise.all([
    db.constituent.create({ data: { email: `octavia-${randomUUID()}@donor.example`, firstName: 'Octavia', lastName: 'Hill' } }),
    db.constituent.create({ data: { email: `angela-${randomUUID()}@donor.example`, firstName: 'Angela', lastName: 'Burdett' } }),
  ]);
  theirConstituent = their.id;
  otherConstituent = other.id;
  await db.staffTask.create({ data: { idempotencyKey: `browser:${randomUUID()}`, constituentId: their.id, queue: 'major-gifts', title: 'Call to thank a major donor' } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function pageWith(session?: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  if (session) await context.addCookies([{ name: SESSION_COOKIE, value: session, url: stack.apiUrl }]);
  return context.newPage();
}

describe('an admin invites a staff member, who signs in with a password', () => {
  let link: string;
  let staff: Page;

  it('invites from the People page; the invitation arrives by mail', async () => {
    const admin = await pageWith(adminSession);
    await admin.goto(`${stack.apiUrl}/app/people`);
    expect(await unlabelledFields(admin)).toEqual([]);
    await admin.getByLabel('Name', { exact: true }).fill('Maria Lopez');
    await admin.getByLabel('Email', { exact: true }).fill('maria@hope.example');
    await admin.getByRole('radio', { name: /staff the task inbox/ }).check();
    await screenshot(admin, 'accounts-01-invite');
    await admin.getByRole('button', { name: 'Send invitation' }).click();
    await expect.poll(() => admin.getByRole('status').textContent()).toContain('Invited Maria Lopez');
    await screenshot(admin, 'accounts-02-invited');

    const [mail] = (await stack.runtime.smtp.waitForMessages(1)).filter((message) => JSON.stringify(message.to).includes('maria@hope.example'));
    expect(mail!.subject).toBe('Grace (first admin) invited you to Hope Shelter on Steward');
    link = /(http:\/\/\S+\/app\/invitations\/\S+)/.exec(mail!.text ?? '')![1]!;
    expect(link.startsWith(stack.apiUrl)).toBe(true);
  });

  it('chooses a password from the link, once', async () => {
    staff = await pageWith();
    await staff.goto(link);
    expect(await unlabelledFields(staff)).toEqual([]);
    await staff.getByLabel(/^New password/).fill(PASSWORD);
    await staff.getByLabel('The same again').fill(PASSWORD);
    await screenshot(staff, 'accounts-03-choose-password');
    await staff.getByRole('button', { name: 'Save password and sign in' }).click();
    await staff.waitForURL(`${stack.apiUrl}/app/inbox`);
    // The link is spent.
    const again = await (await pageWith()).goto(link);
    expect(again!.status()).toBe(410);
    // Sign out, to sign in with the password next.
    await staff.getByRole('button', { name: 'Sign out' }).click();
    await staff.waitForURL(`${stack.apiUrl}/app/sign-in`);
  });

  it('signs in with the password and sees only the inbox and the constituents of their tasks', async () => {
    await staff.getByLabel('Email', { exact: true }).fill('maria@hope.example');
    await staff.getByLabel('Password', { exact: true }).fill('not her password at all');
    await staff.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => staff.getByRole('alert').textContent()).toContain('do not match');
    await staff.getByLabel('Email', { exact: true }).fill('maria@hope.example');
    await staff.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await screenshot(staff, 'accounts-04-sign-in');
    await staff.getByRole('button', { name: 'Sign in', exact: true }).click();
    await staff.waitForURL(`${stack.apiUrl}/app/inbox`);
    await expect.poll(() => staff.locator('.who span').textContent()).toBe('Maria Lopez');
    const nav = await staff.getByRole('navigation', { name: 'Main' }).textContent();
    expect(nav).toContain('Task inbox');
    expect(nav).not.toContain('Journeys');
    expect(nav).not.toContain('Constituents');
    expect(nav).not.toContain('People');
    await staff.goto(`${stack.apiUrl}/app/inbox?queue=major-gifts`);
    await expect.poll(() => staff.getByText('Call to thank a major donor').count()).toBeGreaterThan(0);
    await screenshot(staff, 'accounts-05-staff-inbox');

    const theirs = await staff.goto(`${stack.apiUrl}/app/constituents/${theirConstituent}`);
    expect(theirs!.status()).toBe(200);
    expect(await staff.getByRole('heading', { level: 1 }).textContent()).toContain('Octavia Hill');
    await screenshot(staff, 'accounts-06-their-constituent');
    for (const path of [`/app/constituents/${otherConstituent}`, '/app/constituents', '/app/journeys', '/app/people', '/app/audit']) {
      const refused = await staff.goto(`${stack.apiUrl}${path}`);
      expect(refused!.status(), path).toBe(403);
    }
    expect(await staff.locator('main').textContent()).toContain('needs the admin role');
    await staff.goto(`${stack.apiUrl}/app/constituents/${otherConstituent}`);
    expect(await staff.locator('main').textContent()).toContain('only the constituents of their tasks');
    await screenshot(staff, 'accounts-07-other-constituent-refused');
  });

  it("shows the admin the audit trail of it all, filterable", async () => {
    const admin = await pageWith(adminSession);
    await admin.goto(`${stack.apiUrl}/app/audit`);
    expect(await unlabelledFields(admin)).toEqual([]);
    const actions = await admin.locator('tbody td:nth-child(3)').allTextContents();
    expect(actions).toEqual(expect.arrayContaining(['person.invited', 'person.joined', 'sign-in.failed', 'sign-in.succeeded']));
    await screenshot(admin, 'accounts-08-audit-trail');
    await admin.getByLabel(/^Who/).fill('Maria');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await admin.waitForURL(/actor=Maria/);
    const mine = await admin.locator('tbody td:nth-child(3)').allTextContents();
    // Her failed sign-in is kept under the address she typed.
    expect(mine.sort()).toEqual(['person.joined', 'sign-in.failed', 'sign-in.succeeded']);
    await screenshot(admin, 'accounts-09-audit-filtered');
  });
});
