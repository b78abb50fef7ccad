/**
 * What each webhook says: ids, and the fields a CRM needs to file the outcome
 * against its own record of the person (email, name, phone). These go to the
 * organisation's own endpoints only; they are stored with the delivery and never
 * pass through Temporal.
 */
import type { Prisma } from '../db/client.ts';
import type { WebhookEventType } from './event-types.ts';

type Tx = Prisma.TransactionClient;

export interface WebhookContent {
  occurredAt: Date;
  payload: Record<string, unknown>;
}

const constituentFields = { id: true, email: true, firstName: true, lastName: true, phone: true } as const;
const journeyOf = { journeyVersion: { select: { journeyId: true, version: true } } } as const;

async function taskContent(tx: Tx, taskId: string, at: 'createdAt' | 'completedAt'): Promise<WebhookContent | undefined> {
  const task = await tx.staffTask.findUnique({ where: { id: taskId }, include: { constituent: { select: constituentFields } } });
  if (!task) return undefined;
  const { constituent, idempotencyKey: _key, outcomeDeliveredAt: _delivered, escalatedAt: _escalated, constituentId: _id, completedByKeyId: _keyId, ...fields } = task;
  return { occurredAt: task[at] ?? new Date(), payload: { task: fields, constituent } };
}

async function enrollmentContent(tx: Tx, enrollmentId: string): Promise<WebhookContent | undefined> {
  const enrollment = await tx.enrollment.findUnique({ where: { id: enrollmentId }, include: { ...journeyOf, constituent: { select: constituentFields } } });
  if (!enrollment) return undefined;
  return {
    occurredAt: enrollment.exitedAt ?? new Date(),
    payload: {
      enrollment: {
        id: enrollment.id,
        journeyId: enrollment.journeyVersion.journeyId,
        journeyVersion: enrollment.journeyVersion.version,
        status: enrollment.status,
        state: enrollment.currentState,
        exitReason: enrollment.exitReason,
        goalName: enrollment.goalName,
        enteredAt: enrollment.enteredAt,
        endedAt: enrollment.exitedAt,
      },
      constituent: enrollment.constituent,
    },
  };
}

async function consentContent(tx: Tx, changeId: string): Promise<WebhookContent | undefined> {
  const change = await tx.consentChange.findUnique({ where: { id: changeId }, include: { constituent: { select: constituentFields } } });
  if (!change) return undefined;
  const { constituent, constituentId: _id, note: _note, outcome: _outcome, ...fields } = change;
  return { occurredAt: change.at, payload: { consent: fields, constituent } };
}

/**
 * A message's outcome. A bounce carries what the provider said (`error`) and its code
 * (`errorCode`: the SMTP reply code, Twilio's error code): a message refused as it was
 * sent keeps the status `failed`, one reported afterwards becomes `bounced`.
 */
async function messageContent(tx: Tx, messageId: string, outcome: 'sent' | 'bounced'): Promise<WebhookContent | undefined> {
  const message = await tx.message.findUnique({ where: { id: messageId }, include: { constituent: { select: constituentFields } } });
  if (!message) return undefined;
  const bounced = outcome === 'bounced';
  return {
    occurredAt: bounced ? new Date() : (message.sentAt ?? new Date()),
    payload: {
      message: {
        id: message.id,
        enrollmentId: message.enrollmentId,
        channel: message.channel,
        class: message.messageClass,
        template: message.template,
        recipient: message.recipient,
        subject: message.subject,
        status: message.status,
        providerMessageId: message.providerMessageId,
        sentAt: message.sentAt,
        error: bounced ? message.error : null,
        errorCode: bounced ? message.errorCode : null,
      },
      constituent: message.constituent,
    },
  };
}

/** How each event type's content is read from the row the change wrote (by that row's id). */
export const webhookContent: Record<WebhookEventType, (tx: Tx, subjectId: string) => Promise<WebhookContent | undefined>> = {
  'task.created': (tx, id) => taskContent(tx, id, 'createdAt'),
  'task.completed': (tx, id) => taskContent(tx, id, 'completedAt'),
  'enrollment.converted': enrollmentContent,
  'enrollment.exited': enrollmentContent,
  'consent.changed': consentContent,
  'message.sent': (tx, id) => messageContent(tx, id, 'sent'),
  'message.bounced': (tx, id) => messageContent(tx, id, 'bounced'),
};
