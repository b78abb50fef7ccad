/**
 * People's accounts and the work they do, in a real browser (Debian's Chromium), over
 * real parts: the API listening, the database, the Temporal test server with a
 * worker, an SMTP server. An admin invites a staff member; the invitation arrives by
 * mail; the staff member chooses a password, signs in with it, sees only the task
 * inbox and is refused everything else. A major gift starts the shipped major-gift
 * journey, which asks for a call: the staff member opens the task, whose card carries
 * the donor's phone number as a link to call, opens the donor (theirs now), claims the
 * task and records the outcome with notes; the journey carries on from it. The
 * admin's audit trail shows it all, the completion by that staff member with its
 * outcome, linked to the task. Screenshots are saved under test-results/screenshots/.
 */
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/api/auth.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { routed } from '../support/api.ts';
import { launchBrowser, screenshot, unlabelledFields } from '../support/browser.ts';
import { startChannelStack, type ChannelStack } from '../support/channel-stack.ts';
import { eventually } from '../support/wait.ts';

let stack: ChannelStack;
let browser: Browser;
let worker: Worker;
let working: Promise<void>;
let adminSession: string;
let otherConstituent: string;
const PASSWORD = 'harbour lights at dusk';
const CALL_TITLE = 'Call to thank a major donor';
const NOTES = 'Thrilled to be thanked; would like a tour of the new shelter in spring';

beforeAll(async () => {
  [stack, browser] = await Promise.all([startChannelStack(), launchBrowser()]);
  const { db } = stack.runtime;
  // The shipped major-gift journey alone is live: a gift of 1,000 or more gets a gift officer's call.
  const majorGift = (await loadJourneyCatalog()).filter((journey) => journey.definition.id === 'major-gift-prospect');
  await publishJourneyCatalog(db, majorGift.map((journey) => ({ ...journey, publishOnStart: true })));
  worker = await stack.runtime.worker({ messaging: stack.messaging });
  working = worker.run();
  const key = await stack.services.keys.create({ name: 'Grace (first admin)', scopes: ['admin'] });
  adminSession = (await stack.services.sessions.start({ keyId: key.apiKey.id })).token;
  const other = await db.constituent.create({ data: { email: `angela-${randomUUID()}@donor.example`, firstName: 'Angela', lastName: 'Burdett' } });
  otherConstituent = other.id;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  worker?.shutdown();
  await working;
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

  it('signs in with the password, sees only the task inbox, and is refused a constituent who is not theirs', async () => {
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
    await screenshot(staff, 'accounts-05-staff-inbox');

    for (const path of [`/app/constituents/${otherConstituent}`, '/app/constituents', '/app/journeys', '/app/people', '/app/audit']) {
      const refused = await staff.goto(`${stack.apiUrl}${path}`);
      expect(refused!.status(), path).toBe(403);
    }
    expect(await staff.locator('main').textContent()).toContain('needs the admin role');
    await staff.goto(`${stack.apiUrl}/app/constituents/${otherConstituent}`);
    expect(await staff.locator('main').textContent()).toContain('only the constituents of their tasks');
    await screenshot(staff, 'accounts-06-other-constituent-refused');
  });

  it("opens the call task a major gift's journey made, calls the number on its card, claims it and records the outcome with notes", async () => {
    const { db } = stack.runtime;
    const donor = { email: `octavia-${randomUUID()}@donor.example`, firstName: 'Octavia', lastName: 'Hill', phone: '+1 (503) 555-0142', consent: { email: 'granted' } };
    const gift = await stack.call({ method: 'POST', url: '/events', payload: { id: randomUUID(), type: 'donation', constituent: donor, data: { amount: 2500, currency: 'USD', campaign: 'Harbour appeal' } } });
    const [enrollment] = (await routed(stack.call, gift)).enrollments;
    expect(enrollment).toMatchObject({ journeyId: 'major-gift-prospect', action: 'enrolled' });
    const task = await eventually(async () => (await db.staffTask.findFirst({ where: { enrollmentId: enrollment!.enrollmentId } })) ?? undefined, 'the call task');

    await staff.goto(`${stack.apiUrl}/app/inbox?queue=major-gifts`);
    await staff.getByRole('link', { name: CALL_TITLE }).click();
    await staff.waitForURL(`${stack.apiUrl}/app/tasks/${task.id}`);
    expect(await staff.getByRole('heading', { level: 1 }).textContent()).toContain('Octavia Hill');
    // The card says what the call is for and gives the number as a link the phone dials.
    const phone = staff.getByTestId('phone');
    expect(await phone.textContent()).toBe('+1 (503) 555-0142');
    expect(await phone.getAttribute('href')).toBe('tel:+15035550142');
    expect(await staff.getByTestId('cause').textContent()).toContain('Gift of USD 2,500.00 (campaign Harbour appeal)');
    await screenshot(staff, 'accounts-07-task-card');

    // The donor is a constituent of her task, so she may open them.
    await staff.getByRole('link', { name: 'Octavia Hill' }).click();
    await staff.waitForURL(`${stack.apiUrl}/app/constituents/${task.constituentId}`);
    expect(await staff.getByRole('heading', { level: 1 }).textContent()).toContain('Octavia Hill');
    await screenshot(staff, 'accounts-08-their-constituent');
    await staff.goBack();

    await staff.getByRole('button', { name: /^Claim/ }).click();
    await expect.poll(() => staff.getByRole('status').textContent()).toContain(`Claimed: ${CALL_TITLE}`);
    expect(await unlabelledFields(staff)).toEqual([]);
    await staff.getByLabel(/^Outcome/).fill('reached');
    await staff.getByLabel(/^Notes/).fill(NOTES);
    await screenshot(staff, 'accounts-09-outcome-and-notes');
    await staff.getByRole('button', { name: /^Complete/ }).click();
    await expect.poll(() => staff.getByRole('status').textContent()).toContain(`Completed "${CALL_TITLE}" with reached`);
    expect(await staff.getByTestId('completion').textContent()).toContain('Completed with reached by maria@hope.example');
    expect(await staff.locator('blockquote.notes').textContent()).toBe(NOTES);
    await screenshot(staff, 'accounts-10-completed');
    // The journey carries on from the outcome: a conversation gets the personal follow-up.
    await eventually(async () => ((await db.enrollment.findUniqueOrThrow({ where: { id: enrollment!.enrollmentId } })).currentState === 'followUp' ? true : undefined), 'the journey to follow up');
  });

  it('shows the admin the audit trail of it all, filterable, down to the completion with its outcome', async () => {
    const admin = await pageWith(adminSession);
    await admin.goto(`${stack.apiUrl}/app/audit`);
    expect(await unlabelledFields(admin)).toEqual([]);
    const actions = await admin.locator('tbody td:nth-child(3)').allTextContents();
    expect(actions).toEqual(expect.arrayContaining(['person.invited', 'person.joined', 'sign-in.failed', 'sign-in.succeeded', 'task.claimed', 'task.completed']));
    await screenshot(admin, 'accounts-11-audit-trail');
    await admin.getByLabel(/^Who/).fill('Maria');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await admin.waitForURL(/actor=Maria/);
    const mine = await admin.locator('tbody td:nth-child(3)').allTextContents();
    // Her failed sign-in is kept under the address she typed.
    expect(mine.sort()).toEqual(['person.joined', 'sign-in.failed', 'sign-in.succeeded', 'task.claimed', 'task.completed']);
    await screenshot(admin, 'accounts-12-audit-filtered');

    await admin.getByLabel(/^Action/).fill('task.completed');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await admin.waitForURL(/action=task.completed/);
    const [completion] = await admin.locator('tbody tr').all();
    const cells = (await completion!.locator('td').allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim());
    expect(cells[1]).toBe('Maria Lopez person');
    expect(cells[2]).toBe('task.completed');
    expect(cells[3]).toContain(`task “${CALL_TITLE}” in Major gifts`);
    expect(cells[4]).toBe('Outcome reached; completed by maria@hope.example; notes kept on the task');
    expect(cells[4]).not.toContain(NOTES);
    await screenshot(admin, 'accounts-13-audit-completion');
    // The entry links to the task, where the notes are.
    await completion!.getByRole('link', { name: new RegExp(CALL_TITLE) }).click();
    await admin.waitForURL(/\/app\/tasks\//);
    expect(await admin.getByTestId('completion').textContent()).toContain('Completed with reached by maria@hope.example');
    expect(await admin.locator('blockquote.notes').textContent()).toBe(NOTES);
  });
});
