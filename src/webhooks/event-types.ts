/** The outcomes Steward reports to an organisation's own systems (a CRM) by webhook. */
import { z } from 'zod';

export const webhookEventTypes = [
  'task.created',
  'task.completed',
  'enrollment.converted',
  'enrollment.exited',
  'consent.changed',
  'message.sent',
  'message.bounced',
] as const;

export const WebhookEventType = z.enum(webhookEventTypes);
export type WebhookEventType = z.infer<typeof WebhookEventType>;
