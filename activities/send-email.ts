/** The sendEmail activity: one journey step's email, sent at most once per idempotency key. */
import { ApplicationFailure } from '@temporalio/activity';
import { loadConstituentFacts } from '../src/constituents/facts.ts';
import type { Constituent, Database } from '../src/db/client.ts';
import type { MailTransport } from '../src/mail/transport.ts';
import { nextAsk } from '../src/templates/ask-ladder.ts';
import { renderEmail, TemplateDataError, type EmailTemplateData } from '../src/templates/email.ts';
import { deliverOnce } from './deliver-email.ts';

export interface SendEmailInput {
  enrollmentId: string;
  constituentId: string;
  template: string;
  eventId?: string | undefined;
  idempotencyKey: string;
}

export interface SendEmailResult {
  messageId: string;
  status: 'sent' | 'suppressed';
}

export function createSendEmail(deps: { db: Database; mailer: MailTransport; mailFrom: string }) {
  const { db } = deps;

  return async function sendEmail(input: SendEmailInput): Promise<SendEmailResult> {
    const done = await db.message.findUnique({ where: { idempotencyKey: input.idempotencyKey } });
    if (done && (done.status === 'sent' || done.status === 'suppressed')) {
      return { messageId: done.id, status: done.status };
    }

    const constituent = await db.constituent.findUnique({
      where: { id: input.constituentId },
      include: { consents: { where: { channel: 'email' } } },
    });
    if (!constituent) {
      throw ApplicationFailure.nonRetryable(`Constituent ${input.constituentId} not found`, 'ConstituentNotFound');
    }
    const withdrawn = constituent.consents.some((consent) => consent.status === 'withdrawn');
    const suppression = !constituent.email ? 'no email address' : withdrawn ? 'email consent withdrawn' : undefined;

    let rendered;
    try {
      rendered = renderEmail(input.template, await emailData(db, constituent, input.eventId));
    } catch (error) {
      if (error instanceof TemplateDataError) throw ApplicationFailure.nonRetryable(error.message, 'TemplateError');
      throw error;
    }

    return deliverOnce(
      deps,
      {
        idempotencyKey: input.idempotencyKey,
        enrollmentId: input.enrollmentId,
        constituentId: constituent.id,
        template: input.template,
        recipient: constituent.email ?? '',
        subject: rendered.subject,
        suppression,
      },
      { text: rendered.text, html: rendered.html },
    );
  };
}

/**
 * What templates may speak of: the constituent, the event that enrolled them (the
 * gift, the registration) and the next ask from their giving history.
 */
async function emailData(db: Database, constituent: Constituent, triggerEventId: string | undefined): Promise<EmailTemplateData> {
  const event = triggerEventId ? await db.interactionEvent.findUnique({ where: { id: triggerEventId } }) : null;
  const eventData = (event?.data ?? {}) as Record<string, unknown>;
  const giving = (await loadConstituentFacts(db, constituent.id))?.giving;
  const currency = event?.currency ?? (await lastGiftCurrency(db, constituent.id)) ?? 'USD';
  return {
    constituent,
    gift: event?.amount && event.currency ? { amount: event.amount.toString(), currency: event.currency } : undefined,
    ask: { amount: String(nextAsk({ lastGift: giving?.last, highestGift: giving?.highest })), currency },
    registration:
      event?.type === 'registration' && typeof eventData.program === 'string'
        ? { program: eventData.program, startsAt: typeof eventData.startsAt === 'string' ? eventData.startsAt : null }
        : undefined,
  };
}

async function lastGiftCurrency(db: Database, constituentId: string): Promise<string | undefined> {
  const last = await db.interactionEvent.findFirst({
    where: { constituentId, type: 'donation', currency: { not: null } },
    orderBy: { occurredAt: 'desc' },
    select: { currency: true },
  });
  return last?.currency ?? undefined;
}
