/**
 * What recipients and providers tell Steward about its messages, turned into
 * consent, suppression and journey events:
 *
 * - an unsubscribe link (clicked, or one-click POSTed by the mailbox provider)
 *   withdraws email consent and ends the constituent's journeys as `unsubscribed`;
 * - a hard bounce or a complaint suppresses the address, withdraws consent and
 *   ends the journeys of everyone at it as `hard-bounced` / `unsubscribed`;
 * - SMS keywords: STOP withdraws SMS consent and suppresses the number, START
 *   gives consent back, HELP says who is writing and how to stop;
 * - an SMS delivery receipt marks the message, and a number that can never
 *   receive is suppressed and reported to the journey as `delivery-failed`.
 *
 * Consent and suppression are written first, in one transaction; journeys are
 * told afterwards. Should Temporal be unreachable then, nothing more is sent
 * anyway: every send checks consent and suppression at the moment it goes out.
 */
import type { Client } from '@temporalio/client';
import type { Database } from '../db/client.ts';
import type { JourneyEvent } from '../journeys/vocabulary.ts';
import { isBadNumberCode } from '../sms/twilio.ts';
import { interactionSignal } from '../../workflows/contract.ts';
import { recordConsent, suppress, unsuppress } from './consent.ts';
import { toE164 } from './phone.ts';
import { verifyLinkToken, type LinkClaims } from './tokens.ts';

export interface ChannelServiceOptions {
  db: Database;
  temporal: Client;
  signingSecret: string;
  org: { name: string; website: string };
  phoneCountry: string;
  log?: (line: string) => void;
}

/** A bounce or complaint report, as the intake endpoint accepts it. */
export interface MailFeedback {
  type: 'bounce' | 'complaint';
  /** hard: the mailbox does not exist or never will accept; soft: full, temporarily refused. */
  bounceType?: 'hard' | 'soft' | undefined;
  recipient: string;
  /** Steward's message id (X-Steward-Message-Id) when the report carries it. */
  messageId?: string | undefined;
  detail?: string | undefined;
}

/** Carrier keywords (CTIA): these words alone, in any case, change consent. */
const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const START_WORDS = new Set(['START', 'YES', 'UNSTOP']);
const HELP_WORDS = new Set(['HELP', 'INFO']);

export type KeywordAction = 'stop' | 'start' | 'help' | 'none';

export function smsKeyword(body: string): KeywordAction {
  const word = body.trim().toUpperCase().replace(/[^A-Z]/g, '');
  if (STOP_WORDS.has(word)) return 'stop';
  if (START_WORDS.has(word)) return 'start';
  if (HELP_WORDS.has(word)) return 'help';
  return 'none';
}

export function createChannelService(options: ChannelServiceOptions) {
  const { db, temporal, signingSecret } = options;
  const log = options.log ?? (() => {});

  /** Tells every active enrollment of these constituents; failures are logged (sends are guarded anyway). */
  async function tellJourneys(constituentIds: string[], event: (enrollmentId: string) => JourneyEvent): Promise<number> {
    if (constituentIds.length === 0) return 0;
    const enrollments = await db.enrollment.findMany({ where: { constituentId: { in: constituentIds }, status: 'active' } });
    let told = 0;
    for (const enrollment of enrollments) {
      try {
        await temporal.withDeadline(Date.now() + 5_000, () =>
          temporal.workflow.getHandle(enrollment.workflowId).signal(interactionSignal, event(enrollment.id)),
        );
        told += 1;
      } catch (error) {
        log(`could not tell enrollment ${enrollment.id}: ${String(error)}`);
      }
    }
    return told;
  }

  return {
    /** The claims of an unsubscribe link, or undefined for a forged or damaged one. */
    readLink(token: string): LinkClaims | undefined {
      return verifyLinkToken(signingSecret, token);
    },

    async unsubscribe(token: string, how: 'link' | 'one-click'): Promise<LinkClaims | undefined> {
      const claims = verifyLinkToken(signingSecret, token);
      if (!claims) return undefined;
      const constituent = await db.constituent.findUnique({ where: { id: claims.constituentId } });
      if (!constituent) return undefined;
      await recordConsent(db, {
        constituentId: claims.constituentId,
        channel: claims.channel,
        status: 'withdrawn',
        source: `${how === 'one-click' ? 'one-click unsubscribe' : 'unsubscribe link'} in message ${claims.messageId}`,
      });
      await tellJourneys([claims.constituentId], (enrollmentId) => ({
        type: 'unsubscribed',
        eventId: `unsubscribed:${claims.messageId}:${enrollmentId}`,
        occurredAt: new Date().toISOString(),
        data: { channel: claims.channel },
      }));
      return claims;
    },

    /** Records a bounce or complaint; hard bounces and complaints suppress the address and end its journeys. */
    async mailFeedback(report: MailFeedback): Promise<{ suppressed: boolean; constituents: number; enrollments: number }> {
      const address = report.recipient.trim().toLowerCase();
      const final = report.type === 'complaint' || report.bounceType !== 'soft';
      const constituents = await db.constituent.findMany({ where: { email: address }, select: { id: true } });
      const ids = constituents.map((constituent) => constituent.id);
      await db.$transaction(async (tx) => {
        const status = report.type === 'complaint' ? 'complained' : final ? 'bounced' : undefined;
        const where = report.messageId ? { id: report.messageId, recipient: address } : { recipient: address, channel: 'email' as const, status: { in: ['sent' as const, 'delivered' as const] } };
        if (status) {
          // The message the report names, or else the latest one sent to the address.
          const message = await tx.message.findFirst({ where, orderBy: { sentAt: 'desc' } });
          if (message) await tx.message.update({ where: { id: message.id }, data: { status, error: report.detail ?? `${report.type}${report.bounceType ? ` (${report.bounceType})` : ''}` } });
        }
        if (!final) return;
        await suppress(tx, { channel: 'email', address, reason: report.type === 'complaint' ? 'complaint' : 'hard-bounce', source: report.detail ?? 'mail feedback report' });
        for (const id of ids) {
          await recordConsent(tx, { constituentId: id, channel: 'email', status: 'withdrawn', source: report.type === 'complaint' ? 'spam complaint' : 'hard bounce' });
        }
      });
      if (!final) return { suppressed: false, constituents: ids.length, enrollments: 0 };
      const enrollments = await tellJourneys(ids, (enrollmentId) => ({
        type: report.type === 'complaint' ? 'unsubscribed' : 'hard-bounced',
        eventId: `${report.type}:${address}:${enrollmentId}`,
        occurredAt: new Date().toISOString(),
        data: { channel: 'email' },
      }));
      return { suppressed: true, constituents: ids.length, enrollments };
    },

    /**
     * An SMS from a constituent. Returns the reply carriers require for a
     * keyword (confirmation of STOP and START, who we are for HELP), or none.
     */
    async smsInbound(message: { from: string; body: string }): Promise<{ action: KeywordAction; reply?: string }> {
      const action = smsKeyword(message.body);
      const number = toE164(message.from, options.phoneCountry);
      if (action === 'none' || !number) return { action };
      const name = options.org.name;
      if (action === 'help') {
        return {
          action,
          reply: `${name}: messages about your support and events. Reply STOP to opt out, START to opt back in.${options.org.website ? ` ${options.org.website}` : ''} Msg&data rates may apply.`,
        };
      }
      const constituents = await findByPhone(db, number, options.phoneCountry);
      await db.$transaction(async (tx) => {
        if (action === 'stop') await suppress(tx, { channel: 'sms', address: number, reason: 'sms-stop', source: `SMS keyword ${message.body.trim().toUpperCase()}` });
        else await unsuppress(tx, 'sms', number);
        for (const id of constituents) {
          await recordConsent(tx, { constituentId: id, channel: 'sms', status: action === 'stop' ? 'withdrawn' : 'granted', source: `SMS keyword ${message.body.trim().toUpperCase()}` });
        }
      });
      if (action === 'stop') {
        await tellJourneys(constituents, (enrollmentId) => ({
          type: 'unsubscribed',
          eventId: `sms-stop:${number}:${Date.now()}:${enrollmentId}`,
          occurredAt: new Date().toISOString(),
          data: { channel: 'sms' },
        }));
        return { action, reply: `${name}: you are unsubscribed and will receive no more messages. Reply START to opt back in.` };
      }
      return { action, reply: `${name}: you are subscribed again. Reply HELP for help, STOP to opt out. Msg&data rates may apply.` };
    },

    /** A delivery receipt from Twilio for a message Steward sent. */
    async smsStatus(report: { sid: string; status: string; errorCode?: string | undefined }): Promise<{ known: boolean }> {
      const message = await db.message.findFirst({ where: { providerMessageId: report.sid, channel: 'sms' } });
      if (!message) return { known: false };
      if (report.status === 'delivered') {
        await db.message.update({ where: { id: message.id }, data: { status: 'delivered', deliveredAt: new Date() } });
      } else if (report.status === 'undelivered' || report.status === 'failed') {
        await db.message.update({ where: { id: message.id }, data: { status: 'failed', errorCode: report.errorCode ?? null, error: `Twilio ${report.status}${report.errorCode ? ` (${report.errorCode})` : ''}` } });
        if (isBadNumberCode(report.errorCode)) {
          await suppress(db, { channel: 'sms', address: message.recipient, reason: 'invalid-number', source: `Twilio error ${report.errorCode} for message ${message.id}` });
        }
        if (message.enrollmentId) {
          const enrollment = await db.enrollment.findUnique({ where: { id: message.enrollmentId } });
          if (enrollment?.status === 'active') {
            await temporal.workflow.getHandle(enrollment.workflowId).signal(interactionSignal, {
              type: 'delivery-failed',
              eventId: `delivery-failed:${message.idempotencyKey}`,
              occurredAt: new Date().toISOString(),
              data: { channel: 'sms', template: message.template, code: isBadNumberCode(report.errorCode) ? 'invalid-number' : 'undelivered' },
            }).catch((error: unknown) => log(`could not tell enrollment ${enrollment.id}: ${String(error)}`));
          }
        }
      }
      return { known: true };
    },
  };
}

export type ChannelService = ReturnType<typeof createChannelService>;

/** Constituents whose phone, however it was written, is this E.164 number. */
async function findByPhone(db: Database, number: string, country: string): Promise<string[]> {
  // Phones are kept as written; the last four digits are contiguous in every usual spelling.
  const candidates = await db.constituent.findMany({ where: { phone: { contains: number.slice(-4) } }, select: { id: true, phone: true } });
  return candidates.filter((candidate) => toE164(candidate.phone, country) === number).map((candidate) => candidate.id);
}

