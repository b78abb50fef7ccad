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
 * - an SMS delivery receipt marks the message delivered or bounced (a bounce told
 *   to the CRM once, by `message.bounced`), and a number that can never receive
 *   is suppressed and reported to the journey as `delivery-failed`.
 *
 * Consent and suppression are written first, in one transaction; journeys are
 * told afterwards. Should Temporal be unreachable then, nothing more is sent
 * anyway: every send checks consent and suppression at the moment it goes out.
 */
import type { Client } from '@temporalio/client';
import type { Database, Message } from '../db/client.ts';
import type { JourneyEvent } from '../journeys/vocabulary.ts';
import { isBadNumberCode } from '../sms/twilio.ts';
import { interactionSignal } from '../../workflows/contract.ts';
import { liftConstituentSuppressions, recordConsentChanges, suppress, unsuppress, type ConsentResult } from './consent.ts';
import { loseEmailAddress, markBounced } from './bounces.ts';
import { toE164 } from './phone.ts';
import { verifyLinkToken, type LinkClaims } from './tokens.ts';
import { followTrackedLink, recordOpen } from '../engagement/record.ts';

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
  /** delivery: the receiving server accepted the message (a delivery notification). */
  type: 'delivery' | 'bounce' | 'complaint';
  /** hard: the mailbox does not exist or never will accept; soft: full, temporarily refused. */
  bounceType?: 'hard' | 'soft' | undefined;
  recipient: string;
  /** Steward's message id (X-Steward-Message-Id) when the report carries it. */
  messageId?: string | undefined;
  detail?: string | undefined;
}

/**
 * The unsubscribe link of an email is engagement with that email: recorded against it
 * once, when the message exists (a link may outlive its record).
 */
async function recordUnsubscribeEngagement(tx: Pick<Database, '$executeRaw'>, link: LinkClaims): Promise<void> {
  if (link.channel !== 'email') return;
  await tx.$executeRaw`
    INSERT INTO message_engagement (id, message_id, constituent_id, kind, link_index, at)
    SELECT gen_random_uuid()::text, m.id, m.constituent_id, 'unsubscribe', -1, now()
      FROM message m WHERE m.id = ${link.messageId} AND m.constituent_id = ${link.constituentId}
    ON CONFLICT (message_id, kind, link_index) DO NOTHING`;
}

/** A delivery notification: the message it names (or the latest sent to the address) was delivered. */
async function markDelivered(db: Database, address: string, messageId: string | undefined): Promise<void> {
  const message = await db.message.findFirst({
    where: { ...(messageId ? { id: messageId } : {}), recipient: address, channel: 'email', status: 'sent' },
    orderBy: { sentAt: 'desc' },
    select: { id: true },
  });
  if (message) await db.message.updateMany({ where: { id: message.id, status: 'sent' }, data: { status: 'delivered', deliveredAt: new Date() } });
}

/**
 * Twilio could not deliver a text (`undelivered`, `failed`): the message is marked
 * bounced with Twilio's error code, and a number that can never receive is suppressed,
 * in one transaction. Only the first receipt does this; returns whether it was this one.
 */
async function smsBounced(db: Database, message: Pick<Message, 'id' | 'recipient'>, report: { status: string; errorCode: string | null }): Promise<boolean> {
  const { errorCode } = report;
  return db.$transaction(async (tx) => {
    const marked = await markBounced(tx, message.id, { error: `Twilio ${report.status}${errorCode ? ` (${errorCode})` : ''}`, errorCode });
    if (marked && isBadNumberCode(errorCode)) {
      await suppress(tx, { channel: 'sms', address: message.recipient, reason: 'invalid-number', source: `Twilio error ${errorCode} for message ${message.id}` });
    }
    return marked;
  });
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

/** What the preference page shows: addresses masked, since a forwarded email carries the link. */
export interface Preferences {
  channels: { channel: 'email' | 'sms'; address: string; subscribed: boolean }[];
}

/** A change the constituent made through a signed link: the link is the evidence. */
function ownChange(link: LinkClaims, source: string) {
  return { constituentId: link.constituentId, channel: link.channel, source, authority: 'constituent' as const, evidence: `signed link in message ${link.messageId}` };
}

/** a•••@example.org: enough for the owner to recognise, little for anyone else. */
export function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}•••@${domain}`;
}

/** ••• 2671: the last four digits. */
export function maskPhone(phone: string): string {
  return `••• ${phone.replace(/\D/g, '').slice(-4)}`;
}

export function createChannelService(options: ChannelServiceOptions) {
  const { db, temporal, signingSecret } = options;
  const log = options.log ?? (() => {});

  /**
   * Tells every active enrollment of these constituents; failures are logged (sends are guarded anyway).
   * The event names the recorded consent change, never an address: signals are kept in histories.
   */
  async function tellJourneys(changes: readonly ConsentResult[], event: (enrollmentId: string, change: ConsentResult) => JourneyEvent): Promise<number> {
    const byConstituent = new Map(changes.map((change) => [change.constituentId, change]));
    if (byConstituent.size === 0) return 0;
    const enrollments = await db.enrollment.findMany({ where: { constituentId: { in: [...byConstituent.keys()] }, status: 'active' } });
    let told = 0;
    for (const enrollment of enrollments) {
      try {
        await temporal.withDeadline(Date.now() + 5_000, () =>
          temporal.workflow.getHandle(enrollment.workflowId).signal(interactionSignal, event(enrollment.id, byConstituent.get(enrollment.constituentId)!)),
        );
        told += 1;
      } catch (error) {
        log(`could not tell enrollment ${enrollment.id}: ${String(error)}`);
      }
    }
    return told;
  }

  /** A journey event saying the constituent can no longer be reached on a channel. */
  const lostChannel = (type: 'unsubscribed' | 'hard-bounced', channel: 'email' | 'sms') => (enrollmentId: string, change: ConsentResult): JourneyEvent => ({
    type,
    eventId: `${type}:${change.changeId}:${enrollmentId}`,
    occurredAt: new Date().toISOString(),
    data: { channel },
  });

  async function preferencesOf(claims: LinkClaims): Promise<Preferences | undefined> {
    const constituent = await db.constituent.findUnique({ where: { id: claims.constituentId }, include: { consents: true } });
    if (!constituent) return undefined;
    const subscribed = (channel: 'email' | 'sms') => constituent.consents.find((consent) => consent.channel === channel)?.status === 'granted';
    const channels: Preferences['channels'] = [];
    if (constituent.email) channels.push({ channel: 'email', address: maskEmail(constituent.email), subscribed: subscribed('email') });
    if (constituent.phone && toE164(constituent.phone, options.phoneCountry)) channels.push({ channel: 'sms', address: maskPhone(constituent.phone), subscribed: subscribed('sms') });
    return { channels };
  }

  /** The address a constituent is reached at on a channel, as suppressions key it. */
  function addressOf(constituent: { email: string | null; phone: string | null }, channel: 'email' | 'sms'): string | undefined {
    if (channel === 'email') return constituent.email?.toLowerCase() ?? undefined;
    return toE164(constituent.phone, options.phoneCountry);
  }

  /** The constituent's own "no" on a channel, proved by a signed link: consent withdrawn, address suppressed, journeys told. */
  async function optOut(link: LinkClaims, source: string): Promise<ConsentResult[] | undefined> {
    const constituent = await db.constituent.findUnique({ where: { id: link.constituentId } });
    if (!constituent) return undefined;
    const address = addressOf(constituent, link.channel);
    const changes = await db.$transaction(async (tx) => {
      if (address) await suppress(tx, { channel: link.channel, address, reason: 'unsubscribe', source });
      await recordUnsubscribeEngagement(tx, link);
      return recordConsentChanges(tx, [{ ...ownChange(link, source), status: 'withdrawn' }]);
    });
    await tellJourneys(changes, lostChannel('unsubscribed', link.channel));
    return changes;
  }

  /** The constituent's own "yes" on a channel: it restores consent whoever withdrew it, and lifts their own suppressions. */
  async function optIn(link: LinkClaims, source: string): Promise<void> {
    const constituent = await db.constituent.findUnique({ where: { id: link.constituentId } });
    if (!constituent) return;
    const address = addressOf(constituent, link.channel);
    await db.$transaction(async (tx) => {
      if (address) await liftConstituentSuppressions(tx, link.channel, address);
      await recordConsentChanges(tx, [{ ...ownChange(link, source), status: 'granted' }]);
    });
  }

  return {
    /** A click on a tracked link: recorded, and the link's destination; undefined for a token that is not genuine. */
    followTrackedLink(token: string): Promise<string | undefined> {
      return followTrackedLink(db, signingSecret, token);
    },

    /** The open pixel fetched: recorded once per message when the token is genuine. */
    recordOpen(token: string): Promise<boolean> {
      return recordOpen(db, signingSecret, token);
    },

    /** The claims of an unsubscribe link, or undefined for a forged or damaged one. */
    readLink(token: string): LinkClaims | undefined {
      return verifyLinkToken(signingSecret, token);
    },

    async unsubscribe(token: string, how: 'link' | 'one-click'): Promise<LinkClaims | undefined> {
      const claims = verifyLinkToken(signingSecret, token);
      if (!claims) return undefined;
      const changes = await optOut(claims, `${how === 'one-click' ? 'one-click unsubscribe' : 'unsubscribe link'} in message ${claims.messageId}`);
      return changes ? claims : undefined;
    },

    /** What the preference page shows: each channel the constituent can be reached on, and whether they are subscribed. */
    async preferences(token: string): Promise<Preferences | undefined> {
      const claims = verifyLinkToken(signingSecret, token);
      return claims && preferencesOf(claims);
    },

    /**
     * The constituent's own choice on the preference page: their opt-in restores what
     * their (or anyone's) withdrawal took away; their opt-out is an unsubscribe.
     */
    async setPreferences(token: string, wanted: Partial<Record<'email' | 'sms', boolean>>): Promise<Preferences | undefined> {
      const claims = verifyLinkToken(signingSecret, token);
      const current = claims && (await preferencesOf(claims));
      if (!claims || !current) return undefined;
      for (const { channel, subscribed } of current.channels) {
        const want = wanted[channel] ?? false;
        if (want === subscribed) continue;
        const link = { ...claims, channel };
        if (want) await optIn(link, `preference page, from message ${claims.messageId}`);
        else await optOut(link, `preference page, from message ${claims.messageId}`);
      }
      return preferencesOf(claims);
    },

    /** Records a bounce or complaint; hard bounces and complaints suppress the address and end its journeys. */
    async mailFeedback(report: MailFeedback): Promise<{ suppressed: boolean; constituents: number; enrollments: number }> {
      const address = report.recipient.trim().toLowerCase();
      if (report.type === 'delivery') {
        await markDelivered(db, address, report.messageId);
        return { suppressed: false, constituents: 0, enrollments: 0 };
      }
      const final = report.type === 'complaint' || report.bounceType !== 'soft';
      const complaint = report.type === 'complaint';
      const constituents = await db.constituent.count({ where: { email: address } });
      // A soft bounce (a full mailbox, a passing refusal) changes nothing.
      if (!final) return { suppressed: false, constituents, enrollments: 0 };
      const changes = await db.$transaction(async (tx) => {
        // The message the report names, or else the latest one handed over for the address. A repeated
        // report finds that one already bounced and changes nothing, rather than the message before it.
        const handedOver = ['sent', 'delivered', 'bounced', 'complained'] as const;
        const where = report.messageId ? { id: report.messageId, recipient: address } : { recipient: address, channel: 'email' as const, status: { in: [...handedOver] } };
        const message = await tx.message.findFirst({ where, orderBy: { sentAt: 'desc' } });
        const error = report.detail ?? `${report.type}${report.bounceType ? ` (${report.bounceType})` : ''}`;
        if (message && complaint) await tx.message.update({ where: { id: message.id }, data: { status: 'complained', error } });
        else if (message) await markBounced(tx, message.id, { error, errorCode: null });
        // A complaint is the constituent's own "no"; a bounce is the provider's report that the address cannot receive.
        return loseEmailAddress(tx, address, complaint ? 'complaint' : 'hard-bounce', report.detail ?? 'mail feedback report');
      });
      const enrollments = await tellJourneys(changes, lostChannel(complaint ? 'unsubscribed' : 'hard-bounced', 'email'));
      return { suppressed: true, constituents, enrollments };
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
      const source = `SMS keyword ${message.body.trim().toUpperCase()}`;
      const changes = await db.$transaction(async (tx) => {
        if (action === 'stop') await suppress(tx, { channel: 'sms', address: number, reason: 'sms-stop', source });
        else await unsuppress(tx, 'sms', number);
        const status = action === 'stop' ? ('withdrawn' as const) : ('granted' as const);
        return recordConsentChanges(tx, constituents.map((id) => ({ constituentId: id, channel: 'sms' as const, status, source, authority: 'constituent' as const })));
      });
      if (action === 'stop') {
        await tellJourneys(changes, lostChannel('unsubscribed', 'sms'));
        return { action, reply: `${name}: you are unsubscribed and will receive no more messages. Reply START to opt back in.` };
      }
      return { action, reply: `${name}: you are subscribed again. Reply HELP for help, STOP to opt out. Msg&data rates may apply.` };
    },

    /** A delivery receipt from Twilio for a message Steward sent. */
    async smsStatus(report: { sid: string; status: string; errorCode?: string | undefined }): Promise<{ known: boolean }> {
      const message = await db.message.findFirst({ where: { providerMessageId: report.sid, channel: 'sms' } });
      if (!message) return { known: false };
      if (report.status === 'delivered') {
        // Only a text still out counts as delivered: a late receipt never undoes a bounce.
        await db.message.updateMany({ where: { id: message.id, status: 'sent' }, data: { status: 'delivered', deliveredAt: new Date() } });
      } else if (report.status === 'undelivered' || report.status === 'failed') {
        const marked = await smsBounced(db, message, { status: report.status, errorCode: report.errorCode ?? null });
        // Told again on a repeated receipt, in case Temporal missed it: the journey drops an event it has seen.
        if ((marked || message.status === 'bounced') && message.enrollmentId) {
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

