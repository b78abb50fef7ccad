/**
 * Every activity a journey can ask for, built from the dependencies they need, so
 * tests hand in real databases and mail servers without module mocking.
 */
import type { Database } from '../src/db/client.ts';
import type { MailTransport } from '../src/mail/transport.ts';
import type { EventRouter } from '../src/events/router.ts';
import { createJourneyRecords } from './journey-records.ts';
import { createMaintenance } from './maintenance.ts';
import { createNotifyTaskQueue } from './notify-task-queue.ts';
import { createRecordTransition } from './record-transition.ts';
import { createCancelMessage, createSendMessage } from './send-message.ts';
import { createSendYearEndStatements } from './year-end-statements.ts';
import { createWebhookActivities, type WebhookDeliverySettings } from './deliver-webhook.ts';
import { unrestrictedMessaging, type MessagingSettings } from '../src/delivery/settings.ts';

export interface ActivityDependencies {
  db: Database;
  mailer: MailTransport;
  mailFrom: string;
  /** Staff task queue addresses (queue id to email). */
  taskQueueEmails?: Record<string, string>;
  /** Routes events the upkeep detects; without it they wait for the router's background pass. */
  router?: EventRouter;
  /** Links, send window, caps, SMS provider; without it messages go out at any hour, uncapped, and SMS is not sent. */
  messaging?: MessagingSettings;
  /** What time it is; windows and caps are judged by it. Tests fix it so dates in them never go stale. */
  clock?: () => Date;
  /** Outbound webhooks: how long a receiver may take to answer; 15 seconds unless given. */
  webhooks?: WebhookDeliverySettings;
}

export function createActivities(deps: ActivityDependencies) {
  const messaging = deps.messaging ?? unrestrictedMessaging();
  const sendMessage = createSendMessage({ ...deps, messaging });
  return {
    ...createJourneyRecords(deps),
    ...createMaintenance(deps),
    sendMessage,
    sendYearEndStatements: createSendYearEndStatements({ db: deps.db, sendMessage, timeZone: messaging.receipts?.timeZone ?? messaging.defaultTimeZone }),
    cancelMessage: createCancelMessage(deps),
    notifyTaskQueue: createNotifyTaskQueue({ ...deps, publicUrl: messaging.publicUrl, timeZone: messaging.defaultTimeZone }),
    recordTransition: createRecordTransition(deps),
    ...createWebhookActivities(deps),
  };
}

/** The activities' signatures, for `proxyActivities` in workflow code. */
export type JourneyActivities = ReturnType<typeof createActivities>;
