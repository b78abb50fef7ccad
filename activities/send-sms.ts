/**
 * The sendSms activity. Steward has no SMS provider configured yet, so each SMS a
 * journey asks for is recorded once, as suppressed with that reason: the journey
 * carries on, and the record shows exactly what would have been sent.
 */
import type { Database } from '../src/db/client.ts';

export interface SendSmsInput {
  enrollmentId: string;
  constituentId: string;
  template: string;
  idempotencyKey: string;
}

export function createSendSms(deps: { db: Database }) {
  const { db } = deps;
  return async function sendSms(input: SendSmsInput): Promise<{ messageId: string; status: 'suppressed' }> {
    const constituent = await db.constituent.findUnique({ where: { id: input.constituentId }, select: { phone: true } });
    const message = await db.message.upsert({
      where: { idempotencyKey: input.idempotencyKey },
      create: {
        idempotencyKey: input.idempotencyKey,
        enrollmentId: input.enrollmentId,
        constituentId: input.constituentId,
        channel: 'sms',
        template: input.template,
        recipient: constituent?.phone ?? '',
        status: 'suppressed',
        error: 'no SMS provider configured',
      },
      update: {},
    });
    return { messageId: message.id, status: 'suppressed' };
  };
}
