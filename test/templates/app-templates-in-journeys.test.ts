/**
 * A template written in the app, sent by a journey, end to end: the template saved
 * and published through the API, a journey naming it saved and published, a
 * donation event through the API, the journey on the time-skipping Temporal
 * server, the real send activity and a real SMTP server receiving the mail. A
 * template with only drafts, or one needing what the journey's trigger lacks, is
 * refused at the step that names it; the builder offers what may be sent.
 */
import { randomUUID } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKey, routed, signedInCookie } from '../support/api.ts';
import { startChannelStack, type ChannelStack } from '../support/channel-stack.ts';
import { eventually } from '../support/wait.ts';

let stack: ChannelStack;
const suffix = randomUUID().slice(0, 8);
const campaign = `spring-${suffix}`;
const template = `spring-thanks-${suffix}`;

beforeAll(async () => {
  stack = await startChannelStack();
}, 120_000);

afterAll(async () => stack?.stop());

/** A journey for this test's campaign (or program) whose first step emails `name`; the `template:` key is on line 8. */
function donationJourney(id: string, name: string, trigger: 'donation' | 'registration' = 'donation'): string {
  const when = trigger === 'donation' ? `{ field: event.campaign, eq: ${campaign} }` : `{ field: event.program, eq: ${campaign} }`;
  return [
    `id: ${id}`,
    'name: Spring thanks',
    'trigger:',
    `  event: ${trigger}`,
    `  when: [ ${when} ]`,
    'initial: thanked',
    'states:',
    `  thanked: { entry: [ { do: email, template: ${name} } ], after: [ { delay: 10d, to: done } ] }`,
    '  done: { final: true }',
    '',
  ].join('\n');
}

async function saveTemplate(name: string, body: { subject: string; text: string }): Promise<number> {
  const response = await stack.call({ method: 'POST', url: `/templates/email/${name}/versions`, payload: body });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().version as number;
}

async function publishTemplate(name: string, version: number): Promise<void> {
  const response = await stack.call({ method: 'POST', url: `/templates/email/${name}/versions/${version}/publish` });
  expect(response.statusCode, response.body).toBe(200);
}

const saveJourney = (source: string) => stack.call({ method: 'POST', url: '/journeys', payload: { source } });

function mailTo(address: string): Promise<ParsedMail> {
  return eventually(async () => stack.runtime.smtp.messages.find((message) => (message.to as { text: string }).text === address), `the email to ${address}`);
}

describe(`templates written in the app, in journeys (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('refuses a journey naming a template with only drafts, at its step and line, then sends the template once it is published', async () => {
    const journeyId = `spring-thanks-${suffix}`;
    const source = donationJourney(journeyId, template);
    await saveTemplate(template, { subject: 'Spring thanks, {{ constituent.firstName }}', text: 'Dear {{ constituent.firstName }}, your spring gift keeps the shelter open.' });

    const draftOnly = await saveJourney(source);
    expect(draftOnly.statusCode).toBe(400);
    expect(draftOnly.json().error.issues).toEqual([
      expect.objectContaining({ path: 'states.thanked.entry[0].template', line: 8, message: expect.stringContaining(`"${template}" has no published version`) }),
    ]);
    const checked = (await stack.call({ method: 'POST', url: '/journeys/validate', payload: { source } })).json();
    expect(checked).toMatchObject({ ok: false, findings: [expect.objectContaining({ path: 'states.thanked.entry[0].template', message: expect.stringContaining('has no published version') })] });
    expect(await stack.runtime.db.journey.findUnique({ where: { id: journeyId } })).toBeNull();

    await publishTemplate(template, 1);
    expect((await stack.call({ method: 'POST', url: '/journeys/validate', payload: { source } })).json()).toMatchObject({ ok: true });
    const simulated = await stack.call({
      method: 'POST',
      url: '/journeys/simulate',
      payload: { source, timeline: { events: [{ at: '+0d', type: 'donation', data: { amount: 25, currency: 'USD', campaign } }], until: '+20d' } },
    });
    expect(simulated.statusCode, simulated.body).toBe(200);
    expect(simulated.json().text).toContain(template);

    const saved = await saveJourney(source);
    expect(saved.statusCode, saved.body).toBe(201);
    const published = await stack.call({ method: 'POST', url: `/journeys/${journeyId}/versions/${saved.json().version}/publish` });
    expect(published.statusCode, published.body).toBe(200);
    expect(published.json()).toMatchObject({ status: 'published' });
    const stored = await stack.runtime.db.templateVersion.findUniqueOrThrow({ where: { channel_name_version: { channel: 'email', name: template, version: 1 } } });
    expect(await stack.runtime.db.journeyTemplatePin.findMany({ where: { journeyVersionId: saved.json().id } })).toEqual([expect.objectContaining({ name: template, templateVersionId: stored.id })]);

    const donor = `octavia-${randomUUID()}@example.org`;
    const worker = await stack.runtime.worker({ messaging: stack.messaging });
    await worker.runUntil(async () => {
      const response = await stack.call({
        method: 'POST',
        url: '/events',
        payload: { id: randomUUID(), type: 'donation', constituent: { email: donor, firstName: 'Octavia', consent: { email: 'granted' } }, data: { amount: 25, currency: 'USD', campaign } },
      });
      expect((await routed(stack.call, response)).enrollments).toEqual([expect.objectContaining({ journeyId, action: 'enrolled' })]);
      const mail = await mailTo(donor);
      expect(mail.subject).toBe('Spring thanks, Octavia');
      expect(mail.text).toContain('Dear Octavia, your spring gift keeps the shelter open.');
    });
    expect(await stack.runtime.db.message.findMany({ where: { recipient: donor }, select: { status: true, templateVersionId: true } })).toEqual([{ status: 'sent', templateVersionId: stored.id }]);
  });

  it('refuses a template needing what the trigger cannot fill, when saving and again when publishing', async () => {
    const giftThanks = `gift-thanks-${suffix}`;
    await publishTemplate(giftThanks, await saveTemplate(giftThanks, { subject: 'Thank you', text: 'Your gift of {{ gift.amount }} arrived.' }));
    const refused = await saveJourney(donationJourney(`signup-${suffix}`, giftThanks, 'registration'));
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.issues).toEqual([expect.objectContaining({ path: 'states.thanked.entry[0].template', line: 8, message: expect.stringMatching(/gift\.amount/) })]);

    // Saved while the template needed nothing the trigger lacks; a version that does is published before the journey.
    const welcome = `welcome-${suffix}`;
    await publishTemplate(welcome, await saveTemplate(welcome, { subject: 'Welcome', text: 'Hello {{ constituent.firstName }}.' }));
    const journeyId = `welcome-${suffix}`;
    const saved = await saveJourney(donationJourney(journeyId, welcome, 'registration'));
    expect(saved.statusCode, saved.body).toBe(201);
    await publishTemplate(welcome, await saveTemplate(welcome, { subject: 'Welcome', text: 'Hello {{ constituent.firstName }}, thank you for {{ gift.amount }}.' }));
    const publish = await stack.call({ method: 'POST', url: `/journeys/${journeyId}/versions/1/publish` });
    expect(publish.statusCode).toBe(422);
    expect(publish.json().error.message).toMatch(/states\.thanked\.entry\[0\]\.template: .*gift\.amount/);
    expect((await stack.runtime.db.journeyVersion.findFirstOrThrow({ where: { journeyId } })).status).toBe('draft');
  });

  it('offers in the builder and accepts in the editor the templates published in the app, and not those with only drafts', async () => {
    const autumn = `autumn-${suffix}`;
    await publishTemplate(autumn, await saveTemplate(autumn, { subject: 'Autumn', text: 'Hello.' }));
    const drafted = `autumn-draft-${suffix}`;
    await saveTemplate(drafted, { subject: 'Autumn', text: 'Hello.' });
    const cookie = await signedInCookie(stack.api, await makeKey(stack.services.keys, ['admin']));
    const form = (url: string, fields: Record<string, string>) =>
      stack.api.inject({
        method: 'POST',
        url,
        headers: { cookie, host: 'steward.example', origin: 'http://steward.example', 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(fields).toString(),
      });
    // A journey with a state, so the builder shows the action form and its template list.
    const page = await form('/app/journeys/new/build', { source: donationJourney(`autumn-${suffix}`, autumn), op: 'sync' });
    expect(page.statusCode, page.body).toBe(200);
    expect(page.body).toContain(`<option value="email:${autumn}">${autumn}</option>`);
    expect(page.body).toContain('value="email:first-gift-thank-you"');
    expect(page.body).not.toContain(`email:${drafted}`);

    // The editor's live check knows them the same way.
    const check = (name: string) => form('/app/journeys/new', { source: donationJourney(`autumn-${suffix}`, name), intent: 'check' });
    const usable = await check(autumn);
    expect(usable.statusCode, usable.body).toBe(200);
    const unpublished = await check(drafted);
    expect(unpublished.statusCode).toBe(422);
    expect(unpublished.body).toContain('has no published version');
  });
});
