/**
 * The services an API process runs on: the event router, the task inbox, the
 * journey lifecycle, the API keys and web sessions, each over the same database and
 * Temporal client.
 */
import type { Client } from '@temporalio/client';
import { createApiKeyStore } from './auth/api-keys.ts';
import { createPeopleStore, type PeopleOptions } from './auth/people.ts';
import { createPublishApproval } from './journeys/publish-approval.ts';
import { createWebSessionStore, type SessionLifetimes } from './auth/web-sessions.ts';
import type { Database } from './db/client.ts';
import { createChannelService, type ChannelServiceOptions } from './consent/service.ts';
import { createEventRouter } from './events/router.ts';
import { createRoutingPump } from './events/routing-pump.ts';
import { createJourneyLifecycle } from './journeys/lifecycle.ts';
import { createTaskService } from './tasks/service.ts';
import { createWebhookDeliveryLog } from './webhooks/delivery-log.ts';
import { createWebhookDispatcher } from './webhooks/dispatcher.ts';
import { strictEndpointPolicy, type EndpointUrlPolicy } from './webhooks/endpoint-url.ts';
import { createWebhookEndpoints } from './webhooks/endpoints.ts';

export interface ServiceOptions {
  db: Database;
  temporal: Client;
  taskQueue: string;
  /** How long one call to Temporal may take before the work is left for a later retry. */
  temporalTimeoutMs?: number;
  /** Constituents whose events are routed at once. */
  routingConcurrency?: number;
  /** Where background work (routing) says it waits. */
  log?: (line: string) => void;
  /** How long a web sign-in lasts, idle and at most; two and twelve hours unless given. */
  sessionLifetimes?: SessionLifetimes;
  /** The organisation's time zone (STEWARD_TIMEZONE): task cards count "this year" and show times in it. */
  timeZone?: string;
  /** People's accounts: the mail that carries invitations and resets, link lifetimes, sign-in throttling. */
  people?: PeopleOptions;
  /** How recipients' answers are read: link signatures, the organisation, phone numbers. */
  channels?: Omit<ChannelServiceOptions, 'db' | 'temporal'>;
  /** Which webhook endpoint URLs are accepted; https to public addresses only unless given. */
  webhookUrlPolicy?: EndpointUrlPolicy;
}

export function createServices(options: ServiceOptions) {
  const { db, temporal, taskQueue, temporalTimeoutMs } = options;
  const router = createEventRouter({ db, temporal, taskQueue, routeTimeoutMs: temporalTimeoutMs, concurrency: options.routingConcurrency });
  const keys = createApiKeyStore(db);
  const people = createPeopleStore(db, options.people);
  const lifecycle = createJourneyLifecycle({ db, temporal, signalTimeoutMs: temporalTimeoutMs });
  return {
    db,
    temporal,
    router,
    routing: createRoutingPump({ router, log: options.log }),
    tasks: createTaskService({ db, temporal, signalTimeoutMs: temporalTimeoutMs, timeZone: options.timeZone }),
    lifecycle,
    approval: createPublishApproval({ db, lifecycle }),
    keys,
    people,
    sessions: createWebSessionStore(db, { keys, people }, options.sessionLifetimes),
    channels: options.channels ? createChannelService({ db, temporal, ...options.channels }) : undefined,
    webhooks: {
      endpoints: createWebhookEndpoints(db),
      deliveries: createWebhookDeliveryLog(db),
      dispatcher: createWebhookDispatcher({ db, temporal, taskQueue, log: options.log }),
      urlPolicy: options.webhookUrlPolicy ?? strictEndpointPolicy,
    },
  };
}

export type Services = ReturnType<typeof createServices>;
