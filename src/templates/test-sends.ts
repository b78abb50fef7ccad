/**
 * Test sends from the template editor: the template as it stands, rendered with
 * sample data or a chosen constituent's, delivered through the real mail or SMS
 * transport to the organisation's seed list and nowhere else.
 *
 * - Marked: "[TEST] " before the subject (or SMS body) and `X-Steward-Test: true`.
 * - Recorded in `test_message` (flag `test`), apart from constituents' messages,
 *   so no analytics query, funnel, response rate or frequency cap can count one.
 * - Never a way round consent: a seed address that belongs to a constituent who
 *   has not consented on that channel, or that is suppressed, is refused.
 * - Idempotent: one send per idempotency key and address; asking again answers
 *   what happened the first time.
 */
import { sendBlocker } from '../consent/consent.ts';
import type { Database, TestMessage } from '../db/client.ts';
import { sendTestEmail, TEST_SUBJECT_PREFIX } from '../mail/send.ts';
import type { MailTransport } from '../mail/transport.ts';
import type { SmsSender } from '../sms/twilio.ts';
import { renderPreview, type PreviewRequest, type PreviewSettings } from './preview.ts';
import type { Channel } from './variables.ts';
import { TemplateVersionError } from './versions.ts';

export interface TestSendDependencies {
  db: Database;
  mailer: MailTransport;
  mailFrom: string;
  sms?: SmsSender | undefined;
  settings: PreviewSettings;
}

export interface TestSendRequest extends PreviewRequest {
  idempotencyKey: string;
  /** The version being tested, when it is a stored one. */
  templateVersionId?: string | undefined;
  sentBy: string | null;
}

export type TestSendResult = Pick<TestMessage, 'id' | 'channel' | 'recipient' | 'status' | 'error' | 'subject' | 'sentAt'>;

export class TestSendError extends Error {
  constructor(
    message: string,
    readonly status: 409 | 422,
    readonly path: string,
  ) {
    super(message);
    this.name = 'TestSendError';
  }
}

export type TestSends = ReturnType<typeof createTestSends>;

export function createTestSends(deps: TestSendDependencies) {
  const { db } = deps;

  /** Why a test may not go to this address: a constituent's refusal or a suppression is honoured here too. */
  async function blocker(channel: Channel, address: string): Promise<string | undefined> {
    const owner = await db.constituent.findFirst({
      where: channel === 'email' ? { email: { equals: address, mode: 'insensitive' } } : { phone: address },
      select: { id: true },
    });
    if (owner) return sendBlocker(db, owner.id, channel, address);
    const suppressed = await db.suppression.findUnique({ where: { channel_address: { channel, address } } });
    return suppressed ? `address suppressed: ${suppressed.reason}` : undefined;
  }

  async function deliver(row: TestMessage, rendered: { subject?: string; text: string; html?: string }): Promise<string> {
    if (row.channel === 'email') {
      return (await sendTestEmail(deps.mailer, { from: deps.mailFrom, to: row.recipient, messageId: row.id, subject: rendered.subject!, text: rendered.text, html: rendered.html! })).messageId;
    }
    if (!deps.sms) throw new Error('no SMS provider configured');
    return (await deps.sms.send({ to: row.recipient, body: `${TEST_SUBJECT_PREFIX}${rendered.text}` })).sid;
  }

  return {
    async send(request: TestSendRequest): Promise<TestSendResult[]> {
      const preview = await renderPreview(db, request, deps.settings);
      if (!preview.ok) throw new TemplateVersionError(`The ${request.channel} template "${request.name}" has errors`, 422, preview.problems);
      const seeds = await db.seedRecipient.findMany({ where: { channel: request.channel }, orderBy: { address: 'asc' } });
      if (seeds.length === 0) throw new TestSendError(`The seed list has no ${request.channel === 'sms' ? 'phones' : 'email addresses'}; add one under Settings, seed list`, 409, 'channel');
      const rendered = preview.rendered.channel === 'email' ? preview.rendered : { text: preview.rendered.body, segments: preview.rendered.segments };
      const results: TestSendResult[] = [];
      for (const seed of seeds) {
        await db.testMessage.createMany({
          data: [
            {
              idempotencyKey: request.idempotencyKey,
              channel: request.channel,
              template: request.name,
              templateVersionId: request.templateVersionId ?? null,
              recipient: seed.address,
              constituentId: preview.constituent?.id ?? null,
              subject: 'subject' in rendered ? rendered.subject : null,
              bodyText: rendered.text,
              bodyHtml: 'html' in rendered ? rendered.html : null,
              segments: 'segments' in rendered ? rendered.segments : null,
              sentBy: request.sentBy,
            },
          ],
          skipDuplicates: true,
        });
        const row = await db.testMessage.findUniqueOrThrow({ where: { idempotencyKey_recipient: { idempotencyKey: request.idempotencyKey, recipient: seed.address } } });
        results.push(await sendOne(row, rendered));
      }
      return results;
    },

    recent(limit = 20): Promise<TestMessage[]> {
      return db.testMessage.findMany({ orderBy: { createdAt: 'desc' }, take: limit });
    },
  };

  /** One seed address: refused, or claimed (pending → sending) and delivered; a row already settled is answered as it is. */
  async function sendOne(row: TestMessage, rendered: { subject?: string; text: string; html?: string }): Promise<TestSendResult> {
    if (row.status !== 'pending') return pick(row);
    const refused = await blocker(row.channel, row.recipient);
    if (refused) return pick(await db.testMessage.update({ where: { id: row.id }, data: { status: 'refused', error: refused } }));
    // Only one attempt may call the transport: a concurrent or repeated request finds it claimed.
    const { count } = await db.testMessage.updateMany({ where: { id: row.id, status: 'pending' }, data: { status: 'sending' } });
    if (count === 0) return pick(await db.testMessage.findUniqueOrThrow({ where: { id: row.id } }));
    try {
      const providerMessageId = await deliver(row, rendered);
      return pick(await db.testMessage.update({ where: { id: row.id }, data: { status: 'sent', sentAt: new Date(), providerMessageId } }));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return pick(await db.testMessage.update({ where: { id: row.id }, data: { status: 'failed', error: message.slice(0, 500) } }));
    }
  }
}

function pick(row: TestMessage): TestSendResult {
  return { id: row.id, channel: row.channel, recipient: row.recipient, status: row.status, error: row.error, subject: row.subject, sentAt: row.sentAt };
}
