/**
 * Starts the parts of Steward this process runs, on embedded defaults where the
 * configuration names no external service, and stops them in reverse order.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { buildApi } from './api/server.ts';
import { apiKeyFile as apiKeyFileIn, ensureFirstAdminKey } from './auth/api-keys.ts';
import type { Config } from './config.ts';
import { ensurePrivateDataDir } from './data-dir.ts';
import { applyMigrations } from './db/migrate.ts';
import { createPrismaClient } from './db/client.ts';
import { startEmbeddedPostgres } from './db/embedded.ts';
import { loadJourneyCatalog } from './journeys/catalog.ts';
import { publishJourneyCatalog } from './journeys/publish-catalog.ts';
import { startOutboxCapture } from './mail/outbox.ts';
import { createAccountMail } from './mail/account-mail.ts';
import { createMailTransport, mailPool, type DkimSettings } from './mail/transport.ts';
import { resolveFeedbackToken, resolveSigningSecret } from './consent/secret.ts';
import { messagingSettings } from './delivery/settings.ts';
import { startRetentionSweep } from './delivery/message-retention.ts';
import { createTestSends } from './templates/test-sends.ts';
import { importShippedTemplates, pinLiveJourneyVersions } from './templates/versions.ts';
import { findTemporalCli } from './temporal/binaries.ts';
import { formatMappingProblem, loadConnectorMappings } from './connectors/mapped/catalog.ts';
import { createServices } from './services.ts';
import { startTemporalDevServer } from './temporal/devServer.ts';
import { ensureUpkeepSchedules } from './temporal/schedules.ts';
import { startWatching, type DropOffSettings } from './events/drop-offs.ts';
import { createEventRouter } from './events/router.ts';
import { createOidcSignIn, type OidcSignIn } from './auth/oidc-sign-in.ts';
import { OIDC_CALLBACK_PATH } from './web/oidc-routes.ts';
import { taskQueueIds } from './tasks/queues.ts';
import { bundleWorkflows } from './temporal/workflow-bundle.ts';
import { createJourneyWorker } from './worker.ts';
import { limitHeapGrowth, workflowHeapMb } from './temporal/worker-heap.ts';

export interface RunningStack {
  apiUrl?: string;
  /** Where the first admin key was written, and whether this start made it. */
  apiKeyFile?: { file: string; created: boolean };
  /** Where the bounce webhook's token is kept; undefined when it comes from the environment. */
  feedbackTokenFile?: string;
  databaseUrl: string;
  databaseEmbedded: boolean;
  temporalAddress: string;
  temporalUiUrl?: string;
  outboxDir?: string;
  stop(): Promise<void>;
}

/** How often stored events nobody kicked the router about, and undelivered task outcomes, are looked for. */
const PENDING_ROUTE_INTERVAL_MS = 5_000;

/** How often the webhook outbox is looked at for deliveries to start. */
const WEBHOOK_DISPATCH_INTERVAL_MS = 1_000;

export interface StackOptions {
  log: (line: string) => void;
  /** Called when a part fails after start-up (the worker stopping on its own). */
  onFatal: (error: unknown) => void;
}

export async function startStack(config: Config, { log, onFatal }: StackOptions): Promise<RunningStack> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      await stop().catch((error: unknown) => log(`error while stopping: ${String(error)}`));
    }
    stops.length = 0;
  };

  try {
    const tightened = await ensurePrivateDataDir(config.dataDir);
    if (tightened > 0) log(`data directory: made ${tightened} file(s) and folder(s) readable by their owner only`);

    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres({
        dataDir: path.join(config.dataDir, 'pglite'),
        port: config.STEWARD_EMBEDDED_DB_PORT,
      });
      stops.push(embedded.stop);
      databaseUrl = embedded.url;
    }
    const { applied } = await applyMigrations(databaseUrl, { log });
    if (applied.length > 0) log(`database: applied ${applied.length} migration(s)`);
    const db = createPrismaClient(databaseUrl, config.DATABASE_URL ? { connectionTimeoutMs: 10_000 } : { maxConnections: 1 });
    stops.push(() => db.$disconnect());
    // The shipped template files become stored versions (once; a changed file becomes a draft to review).
    await importShippedTemplates(db);
    await publishJourneyCatalog(db, await loadJourneyCatalog());
    await pinLiveJourneyVersions(db);

    let temporalAddress = config.TEMPORAL_ADDRESS;
    let temporalUiUrl: string | undefined;
    if (!temporalAddress) {
      const cliPath = findTemporalCli(config);
      if (!cliPath) {
        throw new Error(
          'No Temporal CLI found for the embedded Temporal server: run `npm install` (it provisions .tools/), ' +
            'set STEWARD_TEMPORAL_CLI to the `temporal` binary, or set TEMPORAL_ADDRESS to a running cluster.',
        );
      }
      const server = await startTemporalDevServer({
        cliPath,
        dbFile: path.join(config.dataDir, 'temporal.sqlite'),
        port: config.STEWARD_TEMPORAL_PORT,
        uiPort: config.STEWARD_TEMPORAL_UI_PORT,
        namespace: config.TEMPORAL_NAMESPACE,
        log: (line) => log(`temporal: ${line}`),
      });
      stops.push(server.stop);
      temporalAddress = server.address;
      temporalUiUrl = server.uiUrl;
    }

    let smtpUrl = config.SMTP_URL;
    let outboxDir: string | undefined;
    if (!smtpUrl) {
      outboxDir = path.join(config.dataDir, 'outbox');
      const capture = await startOutboxCapture({ dir: outboxDir, port: config.STEWARD_OUTBOX_SMTP_PORT });
      stops.push(capture.stop);
      smtpUrl = capture.url;
    }
    const mailer = createMailTransport(smtpUrl, await dkimSettings(config), mailPool(config));
    const publicUrl = (config.STEWARD_PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`).replace(/\/$/, '');
    const signingSecret = await resolveSigningSecret(config.STEWARD_SIGNING_SECRET, config.dataDir);
    const messaging = messagingSettings(config, signingSecret, publicUrl);
    if (!messaging.sms) log('sms: no Twilio account configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN); SMS steps are recorded, not sent');
    stops.push(async () => mailer.close());

    const connection = await Connection.connect({ address: temporalAddress });
    stops.push(() => connection.close());
    const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });

    if (config.STEWARD_ROLES.includes('worker')) {
      limitHeapGrowth(config.STEWARD_WORKER_HEAP_GROWTH_PERCENT);
      const workerConnection = await NativeConnection.connect({ address: temporalAddress });
      stops.push(() => workerConnection.close());
      const worker = await createJourneyWorker({
        connection: workerConnection,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowBundle: await bundleWorkflows(),
        tuning: {
          maxCachedWorkflows: config.STEWARD_WORKER_CACHED_WORKFLOWS,
          maxConcurrentWorkflowTaskExecutions: config.STEWARD_WORKER_WORKFLOW_TASKS,
          maxConcurrentActivityTaskExecutions: config.STEWARD_WORKER_ACTIVITIES,
          maxConcurrentLocalActivityExecutions: config.STEWARD_WORKER_LOCAL_ACTIVITIES,
          workflowHeapMb: config.STEWARD_WORKER_WORKFLOW_HEAP_MB ?? workflowHeapMb(config.STEWARD_WORKER_CACHED_WORKFLOWS),
        },
        activities: {
          db,
          mailer,
          mailFrom: config.MAIL_FROM,
          taskQueueEmails: config.STEWARD_TASK_QUEUE_EMAILS,
          router: createEventRouter({ db, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE }),
          messaging,
          webhooks: { requestTimeoutMs: config.STEWARD_WEBHOOK_TIMEOUT_SECONDS * 1_000, allowPrivateNetworks: config.STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS },
        },
      });
      stops.push(runUntilStopped(worker, onFatal));
      if (!taskQueueIds.has(config.STEWARD_TASK_ESCALATION_QUEUE)) {
        throw new Error(`STEWARD_TASK_ESCALATION_QUEUE names "${config.STEWARD_TASK_ESCALATION_QUEUE}", which is not a task queue (${[...taskQueueIds].join(', ')})`);
      }
      // Drop-off scans count silences from here on (or from STEWARD_WATCH_FROM): history loaded later flags no one.
      await startWatching(db, config.STEWARD_WATCH_FROM ? new Date(config.STEWARD_WATCH_FROM) : undefined);
      await ensureUpkeepSchedules(temporal, {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        dropOffs: dropOffSettings(config),
        escalationQueue: config.STEWARD_TASK_ESCALATION_QUEUE,
      });
    }

    let apiUrl: string | undefined;
    let apiKeyFile: RunningStack['apiKeyFile'];
    let feedbackTokenFile: string | undefined;
    if (config.STEWARD_ROLES.includes('api')) {
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
      apiKeyFile = await ensureFirstAdminKey(services.keys, config.dataDir);
      const feedbackToken = await resolveFeedbackToken(config.STEWARD_BOUNCE_WEBHOOK_TOKEN, config.dataDir);
      feedbackTokenFile = feedbackToken.file;
      // A mapping with a mistake stops start-up, naming its line, rather than refusing deliveries later.
      const mapped = await loadConnectorMappings(path.resolve(config.STEWARD_CONNECTORS_DIR), config.STEWARD_CONNECTOR_SECRETS);
      if (mapped.problems.length > 0) throw new Error(`Connector mappings are invalid:\n${mapped.problems.map(formatMappingProblem).join('\n')}`);
      const api = buildApi({
        ...services,
        connectors: { stripeWebhookSecret: config.STEWARD_STRIPE_WEBHOOK_SECRET, mapped: mapped.connectors },
        rateLimit: config.STEWARD_RATE_LIMIT,
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
      apiUrl = await api.listen({ host: config.HOST, port: config.PORT });
      // Sent messages' bodies are personal data: dropped once the retention period ends.
      stops.push(startRetentionSweep(db, config.STEWARD_MESSAGE_BODY_RETENTION_DAYS, log));
      stops.push(() => api.close());
      // First to stop: routing ends after the batch under way (a backlog of thousands
      // stays stored for the next start), then the API closes.
      stops.push(() => routing.stop());
    }

    return {
      apiUrl,
      apiKeyFile,
      feedbackTokenFile,
      databaseUrl: redactPassword(databaseUrl),
      databaseEmbedded: !config.DATABASE_URL,
      temporalAddress,
      temporalUiUrl,
      outboxDir,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Runs the worker in the background; the returned stop drains it and waits for it to finish. */
function runUntilStopped(worker: Worker, onFatal: (error: unknown) => void): () => Promise<void> {
  let stopping = false;
  const running = worker.run().then(
    () => {
      if (!stopping) onFatal(new Error('The Temporal worker stopped unexpectedly'));
    },
    (error: unknown) => onFatal(error),
  );
  return async () => {
    stopping = true;
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
}

/** DKIM from the configuration: all three settings or none; the key as PEM text or a file holding it. */
async function dkimSettings(config: Config): Promise<DkimSettings | undefined> {
  const { DKIM_DOMAIN: domainName, DKIM_SELECTOR: keySelector, DKIM_PRIVATE_KEY: key } = config;
  if (!domainName && !keySelector && !key) return undefined;
  if (!domainName || !keySelector || !key) throw new Error('DKIM needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY together');
  const privateKey = key.includes('-----BEGIN') ? key : await readFile(key, 'utf8');
  return { domainName, keySelector, privateKey };
}

function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** What counts as a drop-off, from the configuration. */
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

function dropOffSettings(config: Config): DropOffSettings {
  return {
    lapsedAfterDays: config.STEWARD_LAPSED_AFTER_DAYS,
    recurringGraceDays: config.STEWARD_RECURRING_GRACE_DAYS,
    noShowAfterDays: 1,
    unengagedAfterDays: config.STEWARD_UNENGAGED_AFTER_DAYS,
  };
}
