/**
 * A thank-you in the donor's own language, end to end: a donation event through
 * the API, the journey on the time-skipping Temporal server, the send activity,
 * and a real SMTP server receiving the mail.
 */
import { randomUUID } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JourneyDefinition } from '../../src/journeys/definition.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { routed } from '../support/api.ts';
import { startChannelStack, type ChannelStack } from '../support/channel-stack.ts';
import { eventually } from '../support/wait.ts';

let stack: ChannelStack;
const campaign = `locales-${randomUUID()}`;

beforeAll(async () => {
  stack = await startChannelStack();
  const definition = JourneyDefinition.parse({
    id: campaign,
    name: 'Localised thank-you',
    trigger: { event: 'donation', when: [{ field: 'event.campaign', eq: campaign }] },
    initial: 'thanked',
    states: { thanked: { entry: [{ do: 'email', template: 'first-gift-thank-you' }], after: [{ delay: '10d', to: 'done' }] }, done: { final: true } },
  });
  await publishJourneyCatalog(stack.runtime.db, [{ definition, source: `${campaign}.test`, publishOnStart: true }]);
}, 120_000);

afterAll(async () => stack?.stop());

async function give(person: { email: string; firstName: string; locale?: string }, amount: number, currency: string) {
  const response = await stack.call({
    method: 'POST',
    url: '/events',
    payload: { id: randomUUID(), type: 'donation', constituent: { ...person, consent: { email: 'granted' } }, data: { amount, currency, campaign } },
  });
  expect(response.statusCode).toBe(202);
  expect((await routed(stack.call, response)).enrollments).toHaveLength(1);
}

function mailTo(address: string): Promise<ParsedMail> {
  return eventually(async () => stack.runtime.smtp.messages.find((message) => (message.to as { text: string }).text === address), `the email to ${address}`);
}

describe('a thank-you in the constituent’s language', () => {
  it('sends a fr-FR donor the French thank-you with French formatting, and an en-US donor the English one', async () => {
    const french = `aurore-${randomUUID()}@example.org`;
    const english = `ada-${randomUUID()}@example.org`;
    const worker = await stack.runtime.worker({ messaging: stack.messaging });
    await worker.runUntil(async () => {
      await give({ email: french, firstName: 'Aurore', locale: 'fr-FR' }, 1234.5, 'EUR');
      await give({ email: english, firstName: 'Ada', locale: 'en-US' }, 1234.5, 'EUR');
      const [frenchMail, englishMail] = await Promise.all([mailTo(french), mailTo(english)]);

      expect(frenchMail.subject).toBe('Merci pour votre don, Aurore');
      expect(frenchMail.text).toContain('Bonjour Aurore,');
      expect(frenchMail.text).toContain('premier don de 1\u202f234,50\u00a0€');
      expect(frenchMail.text).toContain('Vous recevez ce message parce que vous soutenez Hope Shelter.');
      expect(frenchMail.html).toContain('<html lang="fr">');
      expect(frenchMail.html).toContain('<strong>1\u202f234,50\u00a0€</strong>');
      expect(frenchMail.text).not.toMatch(/Thank you|Unsubscribe/);

      expect(englishMail.subject).toBe('Thank you for your gift, Ada');
      expect(englishMail.text).toContain('first gift of €1,234.50');
    });
    const sent = await stack.runtime.db.message.findMany({ where: { recipient: { in: [french, english] } }, select: { recipient: true, status: true, subject: true } });
    expect(sent).toHaveLength(2);
    expect(sent.find((message) => message.recipient === french)).toMatchObject({ status: 'sent', subject: 'Merci pour votre don, Aurore' });
  });
});
