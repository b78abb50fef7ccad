/**
 * Starts the parts of Steward this process runs, on embedded defaults where the
 * configuration names no external service, and stops them in reverse order.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Config } from './config.ts';
import { ensurePrivateDataDir } from './data-dir.ts';
import { applyMigrations } from './db/migrate.ts';
import { createPrismaClient } from './db/client.ts';
import { startEmbeddedPostgres } from './db/embedded.ts';
import { loadJourneyCatalog } from './journeys/catalog.ts';
import { publishJourneyCatalog } from './journeys/publish-catalog.ts';
import { startOutboxCapture } from './mail/outbox.ts';
import { createMailTransport, mailPool, type DkimSettings } from './mail/transport.ts';
import { resolveSigningSecret } from './consent/secret.ts';
import { messagingSettings } from './delivery/settings.ts';
import { importShippedTemplates, pinLiveJourneyVersions } from './templates/versions.ts';
import { findTemporalCli } from './temporal/binaries.ts';
import { startTemporalDevServer } from './temporal/devServer.ts';
import type { RoleContext } from './roles/context.ts';

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
    /** Where Steward's own connection goes: on the embedded database, its Unix socket. */
    let ownDatabaseUrl = databaseUrl;
    if (!databaseUrl || !ownDatabaseUrl) {
      const embedded = await startEmbeddedPostgres({
        dataDir: path.join(config.dataDir, 'pglite'),
        port: config.STEWARD_EMBEDDED_DB_PORT,
      });
      stops.push(embedded.stop);
      databaseUrl = embedded.url;
      ownDatabaseUrl = embedded.localUrl;
    }
    const { applied } = await applyMigrations(ownDatabaseUrl, { log });
    if (applied.length > 0) log(`database: applied ${applied.length} migration(s)`);
    const db = createPrismaClient(ownDatabaseUrl, config.DATABASE_URL ? { connectionTimeoutMs: 10_000 } : { maxConnections: 1 });
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

    const context: RoleContext = { config, db, temporal, temporalAddress, mailer, messaging, signingSecret, publicUrl, log, onFatal, stops };
    // Each role's code is loaded only by a process that runs it (see roles/context.ts).
    if (config.STEWARD_ROLES.includes('worker')) await (await import('./roles/worker-role.ts')).startWorkerRole(context);
    const api = config.STEWARD_ROLES.includes('api') ? await (await import('./roles/api-role.ts')).startApiRole(context) : undefined;

    return {
      ...api,
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
