/**
 * The sendMessage activity: one journey step's email or SMS, sent at most once per
 * idempotency key, and only when everything that guards a constituent's inbox and
 * phone agrees at that moment:
 *
 * 1. consent on the channel, an address, and no suppression of it (checked on
 *    every attempt, so a STOP that arrives while a message waits is obeyed);
 * 2. the recipient's local send window (else: scheduled for when it opens);
 * 3. room under the frequency cap, taken atomically (else: scheduled for when
 *    room opens, or skipped, by the journey's policy);
 *    a transactional message (a thank-you, a receipt: see message-classes.ts)
 *    skips 2 and 3, and needs no email consent unless the organisation says so;
 * 4. the template renders with the data (else: failed, never a blank).
 *
 * The workflow makes the first attempt as a local activity, inside its own task, and
 * hands a failed one over to this same code as an ordinary activity, retried
 * patiently (see workflows/enrollment.ts, `deliver`).
 *
 * Then the provider is called, once at a time across every worker: the attempt
 * claims the message first (see src/delivery/send-lease.ts), and an attempt that
 * finds another's claim in force throws SendInProgress for Temporal to retry when
 * it lapses, without calling the provider. The activity heartbeats all along and
 * stops before the provider when Temporal cancels it.
 *
 * A passing provider failure is thrown for Temporal
 * to retry with backoff; the message keeps its place under the cap meanwhile. A
 * permanent one (unknown mailbox, invalid number) is recorded and reported back,
 * so the journey can branch on it; when it is the receiving mail server refusing
 * the recipient or the message, the record tells the CRM of the bounce too. Results
 * carry ids and codes only: they are kept in workflow history, which holds no
 * personal data.
 */
import type { Database, Message } from '../src/db/client.ts';
import type { Prisma } from '../src/db/client.ts';
import { sendBlocker, suppress } from '../src/consent/consent.ts';
import { loseEmailAddress } from '../src/consent/bounces.ts';
import { toE164 } from '../src/consent/phone.ts';
import { signLinkToken } from '../src/consent/tokens.ts';
import { loadMessageData } from '../src/delivery/message-data.ts';
import { clearOutsideCap, reserveUnderCap } from '../src/delivery/caps.ts';
import { acceptedEarlier, noteAccepted, recordAcceptedEarlier } from '../src/delivery/accepted-send.ts';
import { withHeartbeat } from '../src/delivery/activity-heartbeat.ts';
import { callUnderLease } from '../src/delivery/claimed-send.ts';
import { leaseRemainingMs, recordUnderLease, sendInProgress } from '../src/delivery/send-lease.ts';
import type { MessagingSettings } from '../src/delivery/settings.ts';
import { describeWindow, nextOpening, parseSendWindow, type SendWindow } from '../src/delivery/window.ts';
import { JourneyDefinition, type MessageClass } from '../src/journeys/definition.ts';
import { messageClassOf, type TemplateClass } from '../src/journeys/message-classes.ts';
import { sendEmailMessage } from '../src/mail/send.ts';
import { trackEmail } from '../src/engagement/tracked-links.ts';
import type { MailTransport } from '../src/mail/transport.ts';
import { isBadNumberCode, isOptedOutCode, PermanentSmsError } from '../src/sms/twilio.ts';
import { receiptForMessage } from '../src/receipts/message-data.ts';
import { noReceipts } from '../src/receipts/settings.ts';
import { statementOf } from '../src/receipts/statement.ts';
import { renderEmail, renderSms, templateLibrary, TemplateRenderError } from '../src/templates/library.ts';
import { createTemplateResolver } from '../src/templates/resolve.ts';
import type { Channel } from '../src/templates/variables.ts';

export interface SendMessageInput {
  channel: Channel;
  /** The enrollment whose step asks for it; null for a message outside any journey. */
  enrollmentId: string | null;
  constituentId: string;
  template: string;
  /** The event that enrolled the constituent: what the template speaks of. */
  eventId?: string | undefined;
  idempotencyKey: string;
  /** The workflow's clock when it asked (ISO): windows and caps are judged at the later of it and now. */
  at?: string | undefined;
  /** For a template of kind `statement`: the year of giving it reports. */
  statementYear?: number | undefined;
  /**
   * What an attempt made inside the workflow task noted before it failed (ids only,
   * see `noteInHeartbeat`), handed on by the workflow: this attempt uses it as it
   * would an earlier attempt's heartbeat.
   */
  notedBefore?: unknown;
}

export type SendMessageResult =
  | { messageId: string; status: 'sent' | 'delivered' }
  /** Not sent, and never will be: the reason is recorded on the message. */
  | { messageId: string; status: 'suppressed' | 'skipped' | 'cancelled'; reason: string }
  /** Waiting: ask again at `until`. */
  | { messageId: string; status: 'scheduled'; until: string; reason: string }
  /** The provider refused it for good; `code` says why in a word (mailbox-unknown, invalid-number). */
  | { messageId: string; status: 'failed'; code: string };

export interface SendMessageDependencies {
  db: Database;
  mailer: MailTransport;
  mailFrom: string;
  messaging: MessagingSettings;
  clock?: (() => Date) | undefined;
}

export function createSendMessage(deps: SendMessageDependencies) {
  const { db, messaging } = deps;
  const clock = deps.clock ?? (() => new Date());

  /** Stored journey versions never change: each is read and parsed once per worker process. */
  const definitions = new Map<string, ReturnType<typeof JourneyDefinition.safeParse>>();
  /** The journey version the enrollment runs, and its definition. */
  async function enrollmentJourney(enrollmentId: string) {
    const enrollment = await db.enrollment.findUnique({ where: { id: enrollmentId }, select: { journeyVersionId: true } });
    if (!enrollment) return undefined;
    let definition = definitions.get(enrollment.journeyVersionId);
    if (!definition) {
      const version = await db.journeyVersion.findUniqueOrThrow({ where: { id: enrollment.journeyVersionId }, select: { definition: true } });
      definition = JourneyDefinition.safeParse(version.definition);
      definitions.set(enrollment.journeyVersionId, definition);
    }
    return { journeyVersionId: enrollment.journeyVersionId, definition };
  }
  /** The template version each send renders: the one its journey version pins, parsed once per version. */
  const templates = createTemplateResolver(db);

  /** The message's record, made once per key: one INSERT … ON CONFLICT DO NOTHING, read back only when another attempt made it. */
  async function recordMessage(input: SendMessageInput, address: string | undefined, messageClass: MessageClass): Promise<Message> {
    const [created] = await db.message.createManyAndReturn({
      data: [
        {
          idempotencyKey: input.idempotencyKey,
          enrollmentId: input.enrollmentId,
          constituentId: input.constituentId,
          channel: input.channel,
          messageClass,
          template: input.template,
          recipient: address ?? '',
          status: 'scheduled',
        },
      ],
      skipDuplicates: true,
    });
    return created ?? db.message.findUniqueOrThrow({ where: { idempotencyKey: input.idempotencyKey } });
  }

  /**
   * The email with its links (and, by the organisation's choice, an open pixel) routed
   * through Steward. A function of the message id and the rendered text alone, so a
   * retry sends the same bytes; the unsubscribe and preference links stay as they are.
   */
  function tracked(email: { subject: string; text: string; html: string }, messageId: string, linkToken: string) {
    const result = trackEmail(email, {
      mode: messaging.engagementTracking,
      publicUrl: messaging.publicUrl,
      secret: messaging.signingSecret,
      messageId,
      untracked: [`${messaging.publicUrl}/u/${linkToken}`, `${messaging.publicUrl}/p/${linkToken}`],
    });
    return {
      rendered: { subject: email.subject, text: result.text, html: result.html },
      tracking: { trackedLinks: result.links, tracksClicks: result.tracksClicks, tracksOpens: result.tracksOpens },
    };
  }

  /** For a template of kind `receipt`: the gift's receipt (issued now if need be), or why there is none to send. */
  function receiptToSend(input: SendMessageInput) {
    if (input.channel !== 'email' || templateLibrary().email.get(input.template)?.kind !== 'receipt') return Promise.resolve(undefined);
    return receiptForMessage(db, input.eventId, messaging.receipts ?? noReceipts, input.constituentId);
  }

  /** For a template of kind `statement`: the donor's year of giving; null when nothing given that year was kept. */
  async function statementToSend(input: SendMessageInput) {
    if (input.channel !== 'email' || templateLibrary().email.get(input.template)?.kind !== 'statement' || input.statementYear === undefined) return undefined;
    return (await statementOf(db, input.constituentId, input.statementYear, messaging.receipts?.timeZone ?? messaging.defaultTimeZone)) ?? null;
  }

  return (input: SendMessageInput): Promise<SendMessageResult> => withHeartbeat(() => sendMessage(input));

  async function sendMessage(input: SendMessageInput): Promise<SendMessageResult> {
    const existing = await db.message.findUnique({ where: { idempotencyKey: input.idempotencyKey } });
    if (existing && !['pending', 'scheduled'].includes(existing.status)) return settled(existing);
    // An earlier attempt of this activity saw the provider accept it, but could not record that.
    const acceptedBefore = existing?.status === 'pending' ? acceptedEarlier(existing.id, input.notedBefore) : undefined;
    // Another attempt is calling the provider for it: nothing to check or write meanwhile.
    const claimed = existing?.status === 'pending' && !acceptedBefore ? await leaseRemainingMs(db, existing.id) : 0;
    if (claimed > 0) throw sendInProgress(existing!.id, claimed);

    const journeyVersion = input.enrollmentId ? await enrollmentJourney(input.enrollmentId) : undefined;
    const definition = journeyVersion?.definition;
    const delivery = definition?.success ? definition.data.delivery : undefined;
    const constituent = await db.constituent.findUnique({ where: { id: input.constituentId } });
    const address = !constituent
      ? undefined
      : input.channel === 'email'
        ? (constituent.email?.toLowerCase() ?? undefined)
        : toE164(constituent.phone, messaging.phoneCountry);

    // Decided once, when the message is first recorded; a retry keeps it.
    const messageClass = existing?.messageClass ?? messageClassOf(definition?.success ? definition.data : undefined, input.channel, input.template, templateClass);
    const message = existing ?? (await recordMessage(input, address, messageClass));
    // An outcome decided before the provider: written only while no attempt holds a claim on the message.
    const finish = async (status: Message['status'], data: Prisma.MessageUpdateManyMutationInput = {}) => {
      const { count } = await db.message.updateMany({
        where: { id: message.id, OR: [{ leaseToken: null }, { leaseExpiresAt: { lte: new Date() } }] },
        data: { status, scheduledFor: null, ...data },
      });
      if (count === 0) throw sendInProgress(message.id, await leaseRemainingMs(db, message.id));
    };

    // A receipt is a record the organisation keeps whether or not the donor can be written to: issued before any check.
    const receipt = await receiptToSend(input);
    const statement = await statementToSend(input);
    const nothingToSay = receipt && 'none' in receipt ? receipt.none : statement === null ? 'no gifts kept that year' : undefined;
    if (nothingToSay) {
      await finish('skipped', { error: nothingToSay, countedAt: null });
      return { messageId: message.id, status: 'skipped', reason: nothingToSay };
    }

    // 1. Consent, address, suppression: on every attempt.
    const blocker = await sendBlocker(db, input.constituentId, input.channel, address, { messageClass, transactionalConsent: messaging.transactionalConsent });
    if (blocker) {
      await finish('suppressed', { error: blocker, countedAt: null });
      return { messageId: message.id, status: 'suppressed', reason: blocker };
    }
    if (input.channel === 'sms' && !messaging.sms) {
      await finish('suppressed', { error: 'no SMS provider configured' });
      return { messageId: message.id, status: 'suppressed', reason: 'no SMS provider configured' };
    }

    // 4 (early). Render before taking a place under the cap: a template that cannot render never will.
    let rendered: { subject?: string; text?: string; html?: string; body?: string; segments?: number };
    let tracking: Pick<Prisma.MessageUpdateManyMutationInput, 'trackedLinks' | 'tracksClicks' | 'tracksOpens'> = {};
    let templateVersionId: string | null = null;
    const linkToken = signLinkToken(messaging.signingSecret, { constituentId: input.constituentId, channel: input.channel, messageId: message.id });
    const unsubscribeUrl = `${messaging.publicUrl}/u/${linkToken}`;
    try {
      const data = await loadMessageData(db, {
        receipt: receipt && 'receipt' in receipt ? receipt.receipt : undefined,
        statement: statement ?? undefined,
        constituentId: input.constituentId,
        constituent,
        eventId: input.eventId,
        journey: definition?.success ? { id: definition.data.id, name: definition.data.name } : { id: '', name: '' },
        settings: messaging,
        links: input.channel === 'email' ? { unsubscribe: unsubscribeUrl, preferences: `${messaging.publicUrl}/p/${linkToken}` } : undefined,
      });
      const resolved = await templates.resolve(journeyVersion?.journeyVersionId, input.channel, input.template);
      templateVersionId = resolved.templateVersionId;
      rendered = input.channel === 'email' ? renderEmail(resolved.library, input.template, data) : renderSms(resolved.library, input.template, data);
      if (input.channel === 'email') ({ rendered, tracking } = tracked(rendered as { subject: string; text: string; html: string }, message.id, linkToken));
    } catch (error) {
      if (!(error instanceof TemplateRenderError)) throw error;
      await finish('failed', { error: error.message, errorCode: 'template' });
      return { messageId: message.id, status: 'failed', code: 'template' };
    }

    const now = new Date(Math.max(clock().getTime(), input.at ? Date.parse(input.at) : 0));
    // A transactional message answers the constituent's act a moment ago: no window, no cap, no waiting.
    if (message.status !== 'pending' && messageClass === 'transactional') await clearOutsideCap(db, message.id);
    if (message.status !== 'pending' && messageClass === 'marketing') {
      // 2. The recipient's own daytime.
      const window = journeyWindow(delivery?.window) ?? messaging.window;
      const timeZone = constituent?.timezone ?? messaging.defaultTimeZone;
      const opens = window ? nextOpening(now, window, timeZone) : now;
      if (opens > now) {
        const reason = `outside the send window (${describeWindow(window!)} ${timeZone})`;
        await db.message.update({ where: { id: message.id }, data: { scheduledFor: opens, error: reason } });
        return { messageId: message.id, status: 'scheduled', until: opens.toISOString(), reason };
      }
      // 3. Room under the cap, taken atomically.
      const cap = messaging.caps[input.channel];
      const reservation = await reserveUnderCap(db, { messageId: message.id, constituentId: input.constituentId, channel: input.channel, cap, now });
      if (!reservation.reserved) {
        const reason = `frequency cap reached (${cap!.label} by ${input.channel})`;
        if ((delivery?.whenCapped ?? messaging.whenCapped) === 'skip') {
          await finish('skipped', { error: reason });
          return { messageId: message.id, status: 'skipped', reason };
        }
        const until = window ? nextOpening(reservation.roomAt, window, timeZone) : reservation.roomAt;
        await db.message.update({ where: { id: message.id }, data: { scheduledFor: until, error: reason } });
        return { messageId: message.id, status: 'scheduled', until: until.toISOString(), reason };
      }
    }

    // What the recipient got (links as tracked), kept for the timeline until the retention sweep drops it.
    const sentData =
      input.channel === 'email'
        ? { subject: rendered.subject!, bodyText: rendered.text!, bodyHtml: rendered.html!, templateVersionId, ...tracking }
        : { segments: rendered.segments ?? null, bodyText: rendered.body!, templateVersionId };
    if (acceptedBefore) {
      await recordAcceptedEarlier(db, message.id, acceptedBefore, sentData, 'message.sent');
      return { messageId: message.id, status: 'sent' };
    }

    // The provider, under a claim. Passing failures are thrown: Temporal retries, the place under the cap is kept.
    const sms = messaging.sms!;
    const call = await callUnderLease(db, {
      messageId: message.id,
      discipline: input.channel === 'email' ? deps.mailer.sending : sms.sending,
      send: async (signal) =>
        input.channel === 'email'
          ? (
              await sendEmailMessage(deps.mailer, {
                from: deps.mailFrom,
                to: address!,
                messageId: message.id,
                subject: rendered.subject!,
                text: rendered.text!,
                html: rendered.html!,
                unsubscribeUrl,
                attachments: receipt && 'pdf' in receipt && receipt.pdf ? [{ ...receipt.pdf, contentType: 'application/pdf' }] : undefined,
                signal,
              })
            ).messageId
          : (await sms.send({ to: address!, body: rendered.body! }, signal)).sid,
      isPermanent: (error) => permanentFailure(error) !== undefined,
    });
    if ('settled' in call) return settled(call.settled);
    if ('result' in call) {
      noteAccepted({ acceptedMessageId: message.id, providerMessageId: call.result });
      await recordUnderLease(db, call.lease, { status: 'sent', scheduledFor: null, sentAt: new Date(), providerMessageId: call.result, error: null, ...sentData }, 'message.sent');
      return { messageId: message.id, status: 'sent' };
    }
    const permanent = permanentFailure(call.refused)!;
    // Recorded once, under the claim, with what the refusal changes: the CRM hears of a bounce, and an
    // address that can never receive is suppressed for every journey, all in the record's transaction.
    const source = `send of message ${message.id}: ${permanent.providerCode}`;
    await recordUnderLease(
      db,
      call.lease,
      { status: 'failed', scheduledFor: null, error: permanent.detail, errorCode: permanent.providerCode },
      permanent.bounce ? 'message.bounced' : undefined,
      permanent.badAddress ? (tx) => addressCannotReceive(tx, input.channel, address!, source) : undefined,
    );
    return { messageId: message.id, status: 'failed', code: permanent.code };
  }
}

/** The class an email template file declares; SMS templates declare none. */
const templateClass: TemplateClass = (channel, template) => (channel === 'email' ? templateLibrary().email.get(template)?.messageClass : undefined);

/** A message that waited for its window when its enrollment ended: never sent. */
export function createCancelMessage(deps: { db: Database }) {
  return async function cancelMessage(input: { idempotencyKey: string; reason: string }): Promise<void> {
    await deps.db.message.updateMany({
      where: { idempotencyKey: input.idempotencyKey, status: 'scheduled' },
      data: { status: 'cancelled', error: input.reason, scheduledFor: null },
    });
  };
}

function journeyWindow(window: { hours: string; days: string } | undefined): SendWindow | undefined {
  if (!window) return undefined;
  const parsed = parseSendWindow(window.hours, window.days);
  return 'error' in parsed ? undefined : parsed;
}

function settled(message: Message): SendMessageResult {
  switch (message.status) {
    case 'sent':
    case 'delivered':
      return { messageId: message.id, status: message.status };
    case 'suppressed':
    case 'skipped':
    case 'cancelled':
      return { messageId: message.id, status: message.status, reason: message.error ?? message.status };
    default:
      // failed, bounced, complained
      return { messageId: message.id, status: 'failed', code: failureCode(message.channel, message.errorCode, message.error) };
  }
}

/**
 * An address the provider says can never receive: suppressed for every journey. For
 * email that is a hard bounce, and does what a hard bounce report does to consent.
 * Journeys are not told here: the one sending hears `delivery-failed` from the result
 * and may branch on it; the others find the address suppressed when they next send.
 */
async function addressCannotReceive(tx: Prisma.TransactionClient, channel: Channel, address: string, source: string): Promise<void> {
  if (channel === 'email') await loseEmailAddress(tx, address, 'hard-bounce', source);
  else await suppress(tx, { channel, address, reason: 'invalid-number', source });
}

interface PermanentFailure {
  code: string;
  providerCode: string;
  detail: string;
  badAddress: boolean;
  /** The receiving side refused the recipient or the message: a bounce, though nothing was handed over. */
  bounce: boolean;
}

/** The SMTP commands whose refusal is the recipient's side saying no; a refused MAIL FROM or AUTH is Steward's own problem. */
const BOUNCING_COMMANDS = new Set(['RCPT TO', 'DATA']);

/** SMTP 5xx and Twilio's refusals are final; everything else may pass. */
function permanentFailure(error: unknown): PermanentFailure | undefined {
  if (error instanceof PermanentSmsError) {
    // A number that can never receive is the receiving side's refusal, as a 550 to RCPT TO is: a bounce.
    // A recipient who sent STOP is not one: the number is suppressed all the same, and no one is told of a bounce.
    const bounce = error.badNumber && !isOptedOutCode(error.code);
    return { code: failureCode('sms', error.code, error.message), providerCode: error.code, detail: error.message, badAddress: error.badNumber, bounce };
  }
  const { responseCode, command } = (error ?? {}) as { responseCode?: unknown; command?: unknown };
  if (typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600) {
    const text = error instanceof Error ? error.message : String(error);
    const code = failureCode('email', String(responseCode), text);
    const bounce = BOUNCING_COMMANDS.has(String(command));
    // Only the recipient's side can say the mailbox is unknown: a 5.1.x refusal of MAIL FROM is about the sender.
    return { code, providerCode: String(responseCode), detail: text, badAddress: bounce && code === 'mailbox-unknown', bounce };
  }
  return undefined;
}

/**
 * A permanent failure in the journey's words, from what the provider said and
 * the record keeps: so a retry that finds the record answers as the first call did.
 */
function failureCode(channel: Message['channel'], providerCode: string | null, detail: string | null): string {
  if (providerCode === 'template') return 'template';
  if (channel === 'sms') return isBadNumberCode(providerCode) ? 'invalid-number' : 'refused';
  // 550/551/553 with 5.1.x: the mailbox does not exist. Other 5xx: refused (policy, content).
  return ['550', '551', '553'].includes(providerCode ?? '') && /5\.1\.\d/.test(detail ?? '') ? 'mailbox-unknown' : 'refused';
}
