/**
 * A staff notice sent at most once per idempotency key: the message is recorded
 * (pending, addressed to staff) before anything is sent, sent with a Message-ID
 * derived from its record, and marked sent afterwards. A retry finds the record
 * and sends again only if the first attempt never completed; the stable
 * Message-ID lets receivers recognise the one duplicate no sender can rule out
 * (accepted by the server, crashed before the record was updated).
 *
 * Constituents' messages take the guarded path in `send-message.ts` instead
 * (consent, windows, caps); staff notices need none of that.
 */
import type { Database } from '../src/db/client.ts';
import { sendStaffEmail } from '../src/mail/send.ts';
import type { MailTransport } from '../src/mail/transport.ts';

export interface StaffNotice {
  idempotencyKey: string;
  enrollmentId: string | null;
  /** The constituent the notice is about (not its recipient). */
  constituentId: string;
  template: string;
  recipient: string;
  subject: string;
  text: string;
}

export async function deliverStaffNotice(
  deps: { db: Database; mailer: MailTransport; mailFrom: string },
  notice: StaffNotice,
): Promise<{ messageId: string; status: 'sent' }> {
  const { db, mailer, mailFrom } = deps;
  const message = await db.message.upsert({
    where: { idempotencyKey: notice.idempotencyKey },
    create: {
      idempotencyKey: notice.idempotencyKey,
      enrollmentId: notice.enrollmentId,
      constituentId: notice.constituentId,
      channel: 'email',
      audience: 'staff',
      template: notice.template,
      recipient: notice.recipient,
      subject: notice.subject,
      status: 'pending',
    },
    update: {},
  });
  if (message.status === 'sent') return { messageId: message.id, status: 'sent' };

  const { messageId } = await sendStaffEmail(mailer, {
    from: mailFrom,
    to: message.recipient,
    subject: message.subject ?? notice.subject,
    text: notice.text,
    messageId: message.id,
  });
  await db.message.update({
    where: { id: message.id },
    data: { status: 'sent', sentAt: new Date(), providerMessageId: messageId, error: null },
  });
  return { messageId: message.id, status: 'sent' };
}
