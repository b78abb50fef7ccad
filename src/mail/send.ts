/**
 * One email to a constituent, as mailbox providers expect a bulk sender's mail:
 * a Message-ID derived from Steward's record (a retry after a crash carries the
 * same one, so receivers can recognise it), and one-click unsubscribe (RFC 8058):
 * `List-Unsubscribe` with the signed link, `List-Unsubscribe-Post` saying a POST
 * to it unsubscribes without further questions.
 */
import type { MailTransport } from './transport.ts';

export interface ConstituentEmail {
  from: string;
  to: string;
  /** Steward's message record id. */
  messageId: string;
  subject: string;
  text: string;
  html: string;
  unsubscribeUrl: string;
}

export async function sendEmailMessage(mailer: MailTransport, email: ConstituentEmail): Promise<{ messageId: string }> {
  const domain = /@([^>\s]+)>?\s*$/.exec(email.from)?.[1] ?? 'steward.localhost';
  const messageId = `<${email.messageId}@${domain}>`;
  await mailer.sendMail({
    from: email.from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    messageId,
    headers: {
      'List-Unsubscribe': `<${email.unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'X-Steward-Message-Id': email.messageId,
    },
  });
  return { messageId };
}
