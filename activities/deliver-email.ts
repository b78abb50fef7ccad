/**
 * Sending an email at most once per idempotency key: the message is recorded
 * (pending, or suppressed with its reason) before anything is sent, sent with a
 * Message-ID derived from its record, and marked sent afterwards. A retry finds
 * the record and sends again only if the first attempt never completed; the stable
 * Message-ID lets receivers recognise the one duplicate no sender can rule out
 * (accepted by the server, crashed before the record was updated).
 */
import type Mail from 'nodemailer/lib/mailer';
import type { Database } from '../src/db/client.ts';
import type { MailTransport } from '../src/mail/transport.ts';

export interface EmailDraft {
  idempotencyKey: string;
  enrollmentId: string | null;
  constituentId: string;
  template: string;
  recipient: string;
  subject: string;
  /** Why this email must not go out (no address, consent withdrawn); recorded instead of sent. */
  suppression?: string | undefined;
}

export async function deliverOnce(
  deps: { db: Database; mailer: MailTransport; mailFrom: string },
  draft: EmailDraft,
  content: Pick<Mail.Options, 'text' | 'html'>,
): Promise<{ messageId: string; status: 'sent' | 'suppressed' }> {
  const { db, mailer, mailFrom } = deps;
  const message = await db.message.upsert({
    where: { idempotencyKey: draft.idempotencyKey },
    create: {
      idempotencyKey: draft.idempotencyKey,
      enrollmentId: draft.enrollmentId,
      constituentId: draft.constituentId,
      channel: 'email',
      template: draft.template,
      recipient: draft.recipient,
      subject: draft.subject,
      status: draft.suppression ? 'suppressed' : 'pending',
      error: draft.suppression ?? null,
    },
    update: {},
  });
  if (message.status === 'sent' || message.status === 'suppressed') return { messageId: message.id, status: message.status };

  const info = await mailer.sendMail({
    from: mailFrom,
    to: message.recipient,
    subject: message.subject ?? draft.subject,
    ...content,
    messageId: `<${message.id}@steward>`,
    headers: { 'X-Steward-Message-Id': message.id },
  });
  await db.message.update({
    where: { id: message.id },
    data: { status: 'sent', sentAt: new Date(), providerMessageId: info.messageId ?? null, error: null },
  });
  return { messageId: message.id, status: 'sent' };
}
