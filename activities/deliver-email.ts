/**
 * A staff notice sent at most once per idempotency key: the message is recorded
 * (pending, addressed to staff) before anything is sent, claimed by the attempt
 * that sends it (another attempt meanwhile throws SendInProgress instead of
 * sending), sent with a Message-ID derived from its record, and marked sent under
 * that claim. A retry finds the record and sends again only if no attempt
 * completed and no claim is in force; the stable Message-ID lets receivers
 * recognise the one duplicate no sender can rule out (accepted by the server, the
 * worker died before the record was updated and its claim lapsed).
 *
 * Constituents' messages take the guarded path in `send-message.ts` instead
 * (consent, windows, caps); staff notices need none of that.
 */
import type { Database } from '../src/db/client.ts';
import { acceptedEarlier, noteAccepted, recordAcceptedEarlier } from '../src/delivery/accepted-send.ts';
import { callUnderLease } from '../src/delivery/claimed-send.ts';
import { leaseRemainingMs, recordUnderLease, sendInProgress } from '../src/delivery/send-lease.ts';
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
  // An earlier attempt saw the mail server accept it but could not record that.
  const acceptedBefore = acceptedEarlier(message.id);
  if (acceptedBefore) {
    await recordAcceptedEarlier(db, message.id, acceptedBefore);
    return { messageId: message.id, status: 'sent' };
  }
  const claimed = await leaseRemainingMs(db, message.id);
  if (claimed > 0) throw sendInProgress(message.id, claimed);

  // Every refusal is passing for a notice to staff: their own mail server, retried until it takes it.
  const call = await callUnderLease(db, {
    messageId: message.id,
    discipline: mailer.sending,
    send: async (signal) =>
      (await sendStaffEmail(mailer, { from: mailFrom, to: message.recipient, subject: message.subject ?? notice.subject, text: notice.text, messageId: message.id, signal })).messageId,
    isPermanent: () => false,
  });
  if ('result' in call) {
    noteAccepted({ acceptedMessageId: message.id, providerMessageId: call.result });
    await recordUnderLease(db, call.lease, { status: 'sent', sentAt: new Date(), providerMessageId: call.result, error: null });
  }
  // Settled by another attempt meanwhile: a staff notice only ever settles as sent.
  return { messageId: message.id, status: 'sent' };
}
