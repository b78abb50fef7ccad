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
import { createSendEmail } from './send-email.ts';
import { createSendSms } from './send-sms.ts';

export interface ActivityDependencies {
  db: Database;
  mailer: MailTransport;
  mailFrom: string;
  /** Staff task queue addresses (queue id to email). */
  taskQueueEmails?: Record<string, string>;
  /** Routes events the upkeep detects; without it they wait for the router's background pass. */
  router?: EventRouter;
}

export function createActivities(deps: ActivityDependencies) {
  return {
    ...createJourneyRecords(deps),
    ...createMaintenance(deps),
    sendEmail: createSendEmail(deps),
    sendSms: createSendSms(deps),
    notifyTaskQueue: createNotifyTaskQueue(deps),
    recordTransition: createRecordTransition(deps),
  };
}

/** The activities' signatures, for `proxyActivities` in workflow code. */
export type JourneyActivities = ReturnType<typeof createActivities>;
