/** Outgoing mail: one pooled SMTP transport per process, from SMTP_URL. */
import nodemailer, { type Transporter } from 'nodemailer';

export type MailTransport = Transporter;

export function createMailTransport(smtpUrl: string): MailTransport {
  const url = new URL(smtpUrl);
  url.searchParams.set('pool', 'true');
  return nodemailer.createTransport(url.toString());
}
