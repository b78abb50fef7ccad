/** The sendEmail activity: one journey step's email, sent at most once per idempotency key. */
import { ApplicationFailure } from '@temporalio/activity';
import type { Database } from '../src/db/client.ts';
import type { MailTransport } from '../src/mail/transport.ts';
import { renderEmail, TemplateDataError } from '../src/templates/email.ts';

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
  const { db, mailer, mailFrom } = deps;

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

    const event = input.eventId
      ? await db.interactionEvent.findUnique({ where: { id: input.eventId } })
      : null;
    let rendered;
    try {
      rendered = renderEmail(input.template, {
        constituent,
        gift: event?.amount && event.currency ? { amount: event.amount.toString(), currency: event.currency } : undefined,
      });
    } catch (error) {
      if (error instanceof TemplateDataError) throw ApplicationFailure.nonRetryable(error.message, 'TemplateError');
      throw error;
    }

    const message =
      done ??
      (await db.message.upsert({
        where: { idempotencyKey: input.idempotencyKey },
        create: {
          idempotencyKey: input.idempotencyKey,
          enrollmentId: input.enrollmentId,
          constituentId: constituent.id,
          channel: 'email',
          template: input.template,
          recipient: constituent.email ?? '',
          subject: rendered.subject,
          status: suppression ? 'suppressed' : 'pending',
          error: suppression ?? null,
        },
        update: {},
      }));
    if (message.status === 'suppressed' || message.status === 'sent') {
      return { messageId: message.id, status: message.status };
    }

    // A crash between the SMTP hand-off and the update below makes Temporal retry the
    // send; the Message-ID stays the same, so receiving systems can still tell it apart.
    const info = await mailer.sendMail({
      from: mailFrom,
      to: message.recipient,
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      messageId: `<${message.id}@steward>`,
      headers: { 'X-Steward-Message-Id': message.id },
    });
    await db.message.update({
      where: { id: message.id },
      data: { status: 'sent', sentAt: new Date(), providerMessageId: info.messageId ?? null, error: null },
    });
    return { messageId: message.id, status: 'sent' };
  };
}
