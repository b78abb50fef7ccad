/** Outgoing mail: one pooled SMTP transport per process, from SMTP_URL. */
import nodemailer, { type Transporter } from 'nodemailer';

export type MailTransport = Transporter;

/** DKIM signing: the domain, its selector and the private key (PEM). */
export interface DkimSettings {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

export function createMailTransport(smtpUrl: string, dkim?: DkimSettings): MailTransport {
  const url = new URL(smtpUrl);
  url.searchParams.set('pool', 'true');
  // Fail a stuck connection well inside the send activity's timeout, so Temporal retries it.
  for (const [option, ms] of [['connectionTimeout', 10_000], ['greetingTimeout', 10_000], ['socketTimeout', 15_000]] as const) {
    if (!url.searchParams.has(option)) url.searchParams.set(option, String(ms));
  }
  if (!dkim) return nodemailer.createTransport(url.toString());
  return nodemailer.createTransport(url.toString(), {
    dkim: {
      ...dkim,
      // The one-click unsubscribe headers must be signed for mailbox providers to honour them (RFC 8058).
      headerFieldNames: 'from:sender:reply-to:subject:date:message-id:to:cc:mime-version:content-type:list-unsubscribe:list-unsubscribe-post',
    },
  });
}
