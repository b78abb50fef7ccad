/**
 * The API role: the HTTP API and web app, the routing pump intake kicks, the
 * webhook dispatcher, and the passes that deliver what waited for Temporal.
 */
import path from 'node:path';
import { buildApi } from '../api/server.ts';
import { apiKeyFile as apiKeyFileIn, ensureFirstAdminKey } from '../auth/api-keys.ts';
import { createOidcSignIn, type OidcSignIn } from '../auth/oidc-sign-in.ts';
import type { Config } from '../config.ts';
import { formatMappingProblem, loadConnectorMappings } from '../connectors/mapped/catalog.ts';
import { resolveFeedbackToken } from '../consent/secret.ts';
import { startRetentionSweep } from '../delivery/message-retention.ts';
import { createAccountMail } from '../mail/account-mail.ts';
import { createServices, type Services } from '../services.ts';
import { createTestSends } from '../templates/test-sends.ts';
import { OIDC_CALLBACK_PATH } from '../web/oidc-routes.ts';
import { dropOffSettings, type RoleContext } from './context.ts';

/** How often stored events nobody kicked the router about, and undelivered task outcomes, are looked for. */
const PENDING_ROUTE_INTERVAL_MS = 5_000;

/** How often the webhook outbox is looked at for deliveries to start. */
const WEBHOOK_DISPATCH_INTERVAL_MS = 1_000;

export interface RunningApi {
  apiUrl: string;
  /** Where the first admin key was written, and whether this start made it. */
  apiKeyFile?: { file: string; created: boolean };
  /** Where the bounce webhook's token is kept; undefined when it comes from the environment. */
  feedbackTokenFile?: string;
}

export async function startApiRole(context: RoleContext): Promise<RunningApi> {
  const { config, db, temporal, mailer, messaging, signingSecret, publicUrl, log, stops } = context;
  const services = createServices({
    db,
    temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    routingConcurrency: config.STEWARD_ROUTING_CONCURRENCY,
    timeZone: config.STEWARD_TIMEZONE,
    sessionLifetimes: { idleMs: config.STEWARD_SESSION_IDLE_MINUTES * 60_000, absoluteMs: config.STEWARD_SESSION_LIFETIME_HOURS * 3_600_000 },
    log,
    channels: { signingSecret, org: messaging.org, phoneCountry: messaging.phoneCountry, log },
    webhookUrlPolicy: { allowLoopbackHttp: config.STEWARD_WEBHOOK_ALLOW_LOOPBACK_HTTP, allowPrivateNetworks: config.STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS },
    people: {
      mail: createAccountMail({ mailer, from: config.MAIL_FROM, publicUrl: () => publicUrl, orgName: messaging.org.name }),
      invitationTtlMs: config.STEWARD_INVITATION_HOURS * 3_600_000,
      throttle: { failures: config.STEWARD_SIGN_IN_FAILURES, windowMs: config.STEWARD_SIGN_IN_LOCKOUT_MINUTES * 60_000 },
    },
  });
  const { routing } = services;
  startPasses(services, log, stops);
  const apiKeyFile = await ensureFirstAdminKey(services.keys, config.dataDir);
  const feedbackToken = await resolveFeedbackToken(config.STEWARD_BOUNCE_WEBHOOK_TOKEN, config.dataDir);
  // A mapping with a mistake stops start-up, naming its line, rather than refusing deliveries later.
  const mapped = await loadConnectorMappings(path.resolve(config.STEWARD_CONNECTORS_DIR), config.STEWARD_CONNECTOR_SECRETS);
  if (mapped.problems.length > 0) throw new Error(`Connector mappings are invalid:\n${mapped.problems.map(formatMappingProblem).join('\n')}`);
  const api = buildApi({
    ...services,
    connectors: { stripeWebhookSecret: config.STEWARD_STRIPE_WEBHOOK_SECRET, mapped: mapped.connectors },
    rateLimit: config.STEWARD_RATE_LIMIT,
    // PGlite serves this one process: its counts are the only ones.
    rateLimitCounted: config.DATABASE_URL ? 'database' : 'process',
    intakeConcurrency: config.DATABASE_URL ? 4 : 1,
    logLevel: config.STEWARD_LOG_LEVEL,
    trustProxy: config.STEWARD_TRUST_PROXY,
    publicUrl,
    oidc: oidcSignIn(config, publicUrl, signingSecret),
    apiKeyFile: apiKeyFileIn(config.dataDir),
    dropOffSettings: dropOffSettings(config),
    templates: {
      previewSettings: { org: messaging.org, defaultTimeZone: messaging.defaultTimeZone, publicUrl },
      testSends: createTestSends({ db, mailer, mailFrom: config.MAIL_FROM, sms: messaging.sms, settings: { org: messaging.org, defaultTimeZone: messaging.defaultTimeZone, publicUrl } }),
      phoneCountry: messaging.phoneCountry,
    },
    channelRoutes: {
      channels: services.channels!,
      publicUrl,
      orgName: messaging.org.name,
      twilioAuthToken: config.TWILIO_AUTH_TOKEN,
      bounceWebhookToken: feedbackToken.value,
    },
  });
  const apiUrl = await api.listen({ host: config.HOST, port: config.PORT });
  // Sent messages' bodies are personal data: dropped once the retention period ends.
  stops.push(startRetentionSweep(db, config.STEWARD_MESSAGE_BODY_RETENTION_DAYS, log));
  stops.push(() => api.close());
  // First to stop: routing ends after the batch under way (a backlog of thousands
  // stays stored for the next start), then the API closes.
  stops.push(() => routing.stop());
  return { apiUrl, apiKeyFile, feedbackTokenFile: feedbackToken.file };
}

/**
 * The passes an API process keeps going: outbound webhooks handed to Temporal, the
 * routing pump (kicked by intake; its interval catches what other processes stored
 * and what waited for Temporal or the database), and task outcomes that waited.
 */
function startPasses(services: Services, log: (line: string) => void, stops: RoleContext['stops']): void {
  const { routing, tasks } = services;
  // Outbound webhooks the changes of every process wrote to the outbox, handed to Temporal.
  services.webhooks.dispatcher.start(WEBHOOK_DISPATCH_INTERVAL_MS);
  services.webhooks.dispatcher.kick();
  stops.push(() => services.webhooks.dispatcher.stop());
  // Intake kicks the pump for what it stores; the interval catches what other
  // processes stored and what waited for Temporal or the database.
  routing.start(PENDING_ROUTE_INTERVAL_MS);
  routing.kick();
  // Task outcomes recorded while Temporal was unreachable are delivered here, one pass at a time.
  let pass: Promise<unknown> | undefined;
  const pendingLoop = setInterval(() => {
    pass ??= tasks
      .deliverPendingOutcomes()
      .catch((error: unknown) => log(`task outcomes wait to reach their journeys (${String(error)})`))
      .finally(() => (pass = undefined));
  }, PENDING_ROUTE_INTERVAL_MS);
  stops.push(async () => {
    clearInterval(pendingLoop);
    await pass;
  });
}

/** Sign-in through the identity provider the configuration names, if it names one; the redirect URL follows from the public URL. */
function oidcSignIn(config: Config, publicUrl: string, signingSecret: string): OidcSignIn | undefined {
  if (!config.STEWARD_OIDC_ISSUER || !config.STEWARD_OIDC_CLIENT_ID) return undefined;
  return createOidcSignIn({
    issuer: config.STEWARD_OIDC_ISSUER,
    clientId: config.STEWARD_OIDC_CLIENT_ID,
    clientSecret: config.STEWARD_OIDC_CLIENT_SECRET,
    trustEmail: config.STEWARD_OIDC_TRUST_EMAIL,
    redirectUri: `${publicUrl}${OIDC_CALLBACK_PATH}`,
    providerName: config.STEWARD_OIDC_PROVIDER_NAME ?? new URL(config.STEWARD_OIDC_ISSUER).hostname,
    sealingSecret: signingSecret,
  });
}
