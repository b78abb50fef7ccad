/** Outgoing mail: one pooled SMTP transport per process, from SMTP_URL. */
import nodemailer, { type Transporter } from 'nodemailer';

export type MailTransport = Transporter;

export function createMailTransport(smtpUrl: string): MailTransport {
  const url = new URL(smtpUrl);
  url.searchParams.set('pool', 'true');
  // Fail a stuck connection well inside the send activity's timeout, so Temporal retries it.
  for (const [option, ms] of [['connectionTimeout', 10_000], ['greetingTimeout', 10_000], ['socketTimeout', 15_000]] as const) {
    if (!url.searchParams.has(option)) url.searchParams.set(option, String(ms));
  }
  return nodemailer.createTransport(url.toString());
}
