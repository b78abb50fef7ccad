/**
 * Engagement on real sends: a journey's emails go through the send path to a real
 * SMTP server with click and open tracking on; recipients follow links and load the
 * pixel over HTTP, the provider reports deliveries and bounces to the webhook, and
 * the per-message counts come back from the API. Also: a forged or altered tracked
 * link is refused and redirects nowhere, and a retried send renders the same message.
 */
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendMessage } from '../../activities/send-message.ts';
import type { Database } from '../../src/db/client.ts';
import type { MessagingSettings } from '../../src/delivery/settings.ts';
import { JourneyDefinition, type JourneyDefinitionInput } from '../../src/journeys/definition.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { createMailTransport } from '../../src/mail/transport.ts';
import { routed } from '../support/api.ts';
import { BOUNCE_TOKEN, startChannelStack, type ChannelStack } from '../support/channel-stack.ts';
import type { TestRuntime } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';

let stack: ChannelStack;
let runtime: TestRuntime;
let db: Database;
let call: ChannelStack['call'];
let apiUrl: string;
let messaging: MessagingSettings;

beforeAll(async () => {
  stack = await startChannelStack();
  ({ runtime, call, apiUrl } = stack);
  messaging = { ...stack.messaging, engagementTracking: 'clicks-and-opens' };
  db = runtime.db;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

function impactJourney(id: string): JourneyDefinitionInput {
  return {
    id,
    name: id,
    trigger: { event: 'custom', when: [{ field: 'event.name', eq: id }] },
    initial: 'impact',
    states: { impact: { entry: [{ do: 'email', template: 'new-donor-impact' }], after: [{ delay: '10d', to: 'done' }] }, done: { final: true } },
  };
}

async function trigger(name: string, email: string, consent: 'granted' | 'withdrawn' = 'granted') {
  const response = await call({
    method: 'POST',
    url: '/events',
    payload: { id: randomUUID(), type: 'custom', constituent: { email, firstName: 'Ada', consent: { email: consent } }, data: { name } },
  });
  expect(response.statusCode).toBe(202);
  return routed(call, response);
}

function mailTo(address: string): Promise<ParsedMail> {
  return eventually(async () => runtime.smtp.messages.find((message) => (message.to as { text: string }).text === address), `the email to ${address}`);
}

const trackedLinkIn = (mail: ParsedMail) => /href="([^"]+\/t\/c\/[^"]+)"/.exec(String(mail.html))![1]!;
const pixelIn = (mail: ParsedMail) => /<img src="([^"]+\/t\/o\/[^"]+)"/.exec(String(mail.html))![1]!;

describe('engagement tracking', () => {
  it('counts sent, delivered, opened, clicked, bounced, unsubscribed and not sent per message from real sends, clicks and provider reports', async () => {
    const journeyId = `engagement-${randomUUID().slice(0, 8)}`;
    await publishJourneyCatalog(db, [{ definition: JourneyDefinition.parse(impactJourney(journeyId)), source: `${journeyId}.test`, publishOnStart: true }]);
    const [clicker, opener, delivered, bounced, withdrawn] = ['clicker', 'opener', 'delivered', 'bounced', 'withdrawn'].map((label) => `${label}-${randomUUID()}@example.org`) as [string, string, string, string, string];
    const worker = await runtime.worker({ messaging });
    await worker.runUntil(async () => {
      for (const email of [clicker, opener, delivered, bounced]) await trigger(journeyId, email);
      await trigger(journeyId, withdrawn, 'withdrawn');
      const clickerMail = await mailTo(clicker);
      const openerMail = await mailTo(opener);
      await mailTo(delivered);
      const bouncedMail = await mailTo(bounced);

      // The story link goes through Steward and lands where the template pointed; the unsubscribe link does not.
      expect(clickerMail.text).toMatch(new RegExp(`Read their stories: ${apiUrl}/t/c/`));
      expect(clickerMail.text).toMatch(new RegExp(`Unsubscribe: ${apiUrl}/u/`));
      const link = trackedLinkIn(clickerMail);
      for (let time = 0; time < 2; time++) {
        const followed = await fetch(link, { redirect: 'manual' });
        expect(followed.status).toBe(302);
        expect(followed.headers.get('location')).toBe('https://hope.example');
      }
      // The pixel: twice for one (a reload, a proxy), once for another; always the same image.
      for (const url of [pixelIn(openerMail), pixelIn(openerMail), pixelIn(clickerMail)]) {
        const pixel = await fetch(url);
        expect(pixel.status).toBe(200);
        expect(pixel.headers.get('content-type')).toBe('image/gif');
      }
      // The provider reports a delivery and a hard bounce, naming Steward's message id.
      const report = (body: unknown) => fetch(`${apiUrl}/webhooks/email/feedback`, { method: 'POST', headers: { authorization: `Bearer ${BOUNCE_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await report({ type: 'delivery', recipient: delivered })).status).toBe(200);
      const bouncedId = String(bouncedMail.headers.get('x-steward-message-id'));
      expect((await report({ type: 'bounce', bounceType: 'hard', recipient: bounced, messageId: bouncedId })).status).toBe(200);
      // The clicker then unsubscribes with the email's own link.
      const unsubscribe = /Unsubscribe: (\S+)/.exec(clickerMail.text!)![1]!;
      expect((await fetch(unsubscribe, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })).status).toBe(200);
      await eventually(async () => ((await db.message.count({ where: { recipient: withdrawn, status: 'suppressed' } })) === 1 ? true : undefined), 'the unsent message');
    });

    const response = await call({ method: 'GET', url: `/analytics/journeys/${journeyId}` });
    expect(response.statusCode).toBe(200);
    const [row] = response.json().messages;
    expect(row).toMatchObject({
      channel: 'email',
      template: 'new-donor-impact',
      sent: 3,
      delivered: 1,
      opened: 2,
      clicked: 1,
      bounced: 1,
      complained: 0,
      unsubscribed: 1,
      notSent: 2,
    });
    expect(row.notSentReasons).toEqual(expect.arrayContaining([{ reason: 'bounced', count: 1 }, { reason: expect.stringMatching(/consent/), count: 1 }]));
    // Recorded once per message and link, however often followed.
    const clickerMessage = await db.message.findFirstOrThrow({ where: { recipient: clicker }, include: { engagements: true } });
    expect(clickerMessage.engagements.map((row) => row.kind).sort()).toEqual(['click', 'open', 'unsubscribe']);
    expect(clickerMessage.trackedLinks).toEqual(['https://hope.example']);
  });

  it('refuses forged and altered tracked links without redirecting anywhere, and records nothing for them', async () => {
    const journeyId = `forged-${randomUUID().slice(0, 8)}`;
    await publishJourneyCatalog(db, [{ definition: JourneyDefinition.parse(impactJourney(journeyId)), source: `${journeyId}.test`, publishOnStart: true }]);
    const email = `forged-${randomUUID()}@example.org`;
    const worker = await runtime.worker({ messaging });
    const link = await worker.runUntil(async () => {
      await trigger(journeyId, email);
      return trackedLinkIn(await mailTo(email));
    });
    const [messageId, position, mac] = link.split('/t/c/')[1]!.split('.') as [string, string, string];
    const attempts = [
      `${messageId}.${Number(position) + 1}.${mac}`, // another link of the same message
      `${randomUUID()}.${position}.${mac}`, // another message
      `${messageId}.${position}.${mac.slice(0, -2)}xx`, // a made-up signature
      `${messageId}.${position}.${mac}.https:%2F%2Fevil.example`, // a destination smuggled in
      encodeURIComponent('https://evil.example'),
    ];
    for (const token of attempts) {
      const response = await fetch(`${apiUrl}/t/c/${token}`, { redirect: 'manual' });
      expect(response.status, token).toBe(404);
      expect(response.headers.get('location'), token).toBeNull();
    }
    const pixel = await fetch(`${apiUrl}/t/o/${messageId}.forged`);
    expect(pixel.status).toBe(200);
    expect(await db.messageEngagement.count({ where: { messageId } })).toBe(0);
  });

  it('renders the very same message when a send is retried after the mail server refused it for a while', async () => {
    // A real SMTP server that refuses the first message with a passing 451, then accepts.
    const attempts: ParsedMail[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        simpleParser(stream).then(
          (mail) => {
            attempts.push(mail);
            callback(attempts.length === 1 ? Object.assign(new Error('4.3.0 try again later'), { responseCode: 451 }) : null);
          },
          (error: Error) => callback(error),
        );
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.server.address() as { port: number };
    const mailer = createMailTransport(`smtp://127.0.0.1:${port}`);
    try {
      const email = `retry-${randomUUID()}@example.org`;
      const constituent = await db.constituent.create({ data: { email, firstName: 'Ada', consents: { create: { channel: 'email', status: 'granted', source: 'test' } } } });
      const send = createSendMessage({ db, mailer, mailFrom: 'Steward <hello@steward.localhost>', messaging });
      const input = { channel: 'email' as const, enrollmentId: null, constituentId: constituent.id, template: 'new-donor-impact', idempotencyKey: `retry:${randomUUID()}` };
      const environment = new MockActivityEnvironment();
      await expect(environment.run(send, input)).rejects.toMatchObject({ responseCode: 451 });
      expect(await environment.run(send, input)).toMatchObject({ status: 'sent' });
      expect(attempts).toHaveLength(2);
      const [first, second] = attempts as [ParsedMail, ParsedMail];
      expect(second.html).toBe(first.html);
      expect(second.text).toBe(first.text);
      expect(second.subject).toBe(first.subject);
      expect(second.messageId).toBe(first.messageId);
      expect(String(first.html)).toContain('/t/c/');
      expect(String(first.html)).toContain('/t/o/');
    } finally {
      mailer.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
