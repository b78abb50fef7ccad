/**
 * Outgoing mail: one pooled SMTP transport per process, from SMTP_URL, with the
 * pool's size, its pace and the longest one send may take stated explicitly, so a
 * burst queues at the gate instead of failing and a send's claim outlasts the send.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config.ts';
import type { SendDiscipline } from '../delivery/claimed-send.ts';
import { createSendGate } from '../delivery/send-gate.ts';

export type MailTransport = Transporter & {
  /** The gate every send through this transport passes, and the longest one send may take. */
  readonly sending: SendDiscipline;
};

/** DKIM signing: the domain, its selector and the private key (PEM). */
export interface DkimSettings {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

export interface MailPool {
  /** SMTP connections open at once: the messages in flight. */
  maxConnections: number;
  /** Messages sent over one connection before it is replaced. */
  maxMessages: number;
  /** Messages started per second; null: no limit. */
  perSecond: number | null;
}

/** Nodemailer's own pool defaults (5 connections, 100 messages each), unpaced. */
export const defaultMailPool: MailPool = { maxConnections: 5, maxMessages: 100, perSecond: null };

export function mailPool(config: Config): MailPool {
  return { maxConnections: config.STEWARD_SMTP_MAX_CONNECTIONS, maxMessages: config.STEWARD_SMTP_MAX_MESSAGES, perSecond: config.STEWARD_SMTP_RATE };
}

// Fail a stuck connection in bounded time; together they bound one send (see callBudgetMs).
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 15_000 } as const;

export function createMailTransport(smtpUrl: string, dkim?: DkimSettings, pool: MailPool = defaultMailPool): MailTransport {
  const url = new URL(smtpUrl);
  url.searchParams.set('pool', 'true');
  url.searchParams.set('maxConnections', String(pool.maxConnections));
  url.searchParams.set('maxMessages', String(pool.maxMessages));
  for (const [option, ms] of Object.entries(TIMEOUTS)) {
    if (!url.searchParams.has(option)) url.searchParams.set(option, String(ms));
  }
  // The longest a healthy send takes: connect, greeting, then the longest silence the
  // socket allows. The send is aborted there, so its claim (this plus a margin) outlives it.
  const callBudgetMs = Object.keys(TIMEOUTS).reduce((sum, option) => sum + Number(url.searchParams.get(option)), 0);
  // Pacing is the gate's, not nodemailer's rateLimit: that one waits inside sendMail,
  // after the message is claimed, where the wait would eat the claim's time.
  const sending: SendDiscipline = { gate: createSendGate({ concurrency: pool.maxConnections, perSecond: pool.perSecond }), callBudgetMs };
  const transporter = dkim
    ? nodemailer.createTransport(url.toString(), {
        dkim: {
          ...dkim,
          // The one-click unsubscribe headers must be signed for mailbox providers to honour them (RFC 8058).
          headerFieldNames: 'from:sender:reply-to:subject:date:message-id:to:cc:mime-version:content-type:list-unsubscribe:list-unsubscribe-post',
        },
      })
    : nodemailer.createTransport(url.toString());
  return Object.assign(transporter, { sending });
}
