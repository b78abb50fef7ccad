/**
 * The two kinds of email Steward sends, each as its readers' mailbox providers
 * expect. Both carry a Message-ID derived from Steward's record, so a retry after
 * a crash carries the same one and receivers can recognise it.
 *
 * - To a constituent: bulk mail, so one-click unsubscribe (RFC 8058): a
 *   `List-Unsubscribe` header with the signed link, and `List-Unsubscribe-Post`
 *   saying a POST to it unsubscribes without further questions.
 * - To staff (a task queue's notice): work mail about a constituent; nothing to
 *   unsubscribe from.
 */
import type { MailTransport } from './transport.ts';

interface Email {
  from: string;
  to: string;
  /** Steward's message record id. */
  messageId: string;
  subject: string;
  text: string;
  /** Aborts the send: removed from the pool's queue, or its connection closed. */
  signal?: AbortSignal | undefined;
}

export interface ConstituentEmail extends Email {
  html: string;
  unsubscribeUrl: string;
  /** Documents sent with it: a receipt's PDF. */
  attachments?: { filename: string; content: Buffer; contentType: string }[] | undefined;
}

/** `<record id@sender's domain>`: unique per record, stable across retries. */
export function messageIdHeader(recordId: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'steward.localhost';
  return `<${recordId}@${domain}>`;
}

export function sendEmailMessage(mailer: MailTransport, email: ConstituentEmail): Promise<{ messageId: string }> {
  return sendRecorded(mailer, email, {
    'List-Unsubscribe': `<${email.unsubscribeUrl}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  });
}

/**
 * A test send from the template editor to a seed address: marked in its subject
 * and by `X-Steward-Test`, so neither people nor filters take it for the real one.
 */
export function sendTestEmail(mailer: MailTransport, email: Email & { html: string }): Promise<{ messageId: string }> {
  return sendRecorded(mailer, { ...email, subject: `${TEST_SUBJECT_PREFIX}${email.subject}` }, { 'X-Steward-Test': 'true' });
}

/** What a test send's subject (or SMS body) starts with. */
export const TEST_SUBJECT_PREFIX = '[TEST] ';

export function sendStaffEmail(mailer: MailTransport, email: Email): Promise<{ messageId: string }> {
  return sendRecorded(mailer, email, {});
}

async function sendRecorded(mailer: MailTransport, email: Email & Partial<Pick<ConstituentEmail, 'html' | 'attachments'>>, headers: Record<string, string>): Promise<{ messageId: string }> {
  const messageId = messageIdHeader(email.messageId, email.from);
  await mailer.sendMail({
    from: email.from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    ...(email.html === undefined ? {} : { html: email.html }),
    ...(email.attachments?.length ? { attachments: email.attachments } : {}),
    messageId,
    headers: { ...headers, 'X-Steward-Message-Id': email.messageId },
    ...(email.signal ? { signal: email.signal } : {}),
  });
  return { messageId };
}
