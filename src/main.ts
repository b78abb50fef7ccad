/** `npm start`: every part of Steward in one process, on embedded defaults unless configured. */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig } from './config.ts';
import { PRIVATE_UMASK } from './data-dir.ts';
import { startStack, type RunningStack } from './stack.ts';

const log = (line: string) => console.log(`[steward] ${line}`);

async function main(): Promise<void> {
  // Before anything writes: every file this process and its children (PGlite, the Temporal
  // server) create in the data directory is its owner's alone.
  process.umask(PRIVATE_UMASK);
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }

  // The worker's routine state changes are not worth a line each; warnings and errors are.
  // Steward stops its parts itself, in order, on SIGINT and SIGTERM; the SDK stopping the
  // worker on the same signal would look like the worker failing.
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  log(`starting in ${config.dataDir}`);
  let stack: RunningStack | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (code: number) => {
    stopping ??= (async () => {
      log('stopping…');
      await stack?.stop();
      log('stopped');
      process.exit(code);
    })();
    return stopping;
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  stack = await startStack(config, {
    log,
    onFatal: (error) => {
      console.error('[steward] fatal:', error);
      void shutdown(1);
    },
  });

  const rows: [string, string | undefined][] = [
    ['Web app', stack.apiUrl && `${stack.apiUrl}/app  (sign in with the key below)`],
    ['API', stack.apiUrl && `${stack.apiUrl}  (OpenAPI description at /openapi.json)`],
    ['API key', stack.apiKeyFile && `${stack.apiKeyFile.file}${stack.apiKeyFile.created ? '  (first admin key, made now)' : ''}`],
    ['Bounce token', stack.apiUrl && `${stack.feedbackTokenFile ?? 'STEWARD_BOUNCE_WEBHOOK_TOKEN'}  (bearer token for POST /webhooks/email/feedback)`],
    ['Database', `${stack.databaseUrl}${stack.databaseEmbedded ? '  (embedded PGlite)' : ''}`],
    ['Temporal', stack.temporalAddress],
    ['Temporal UI', stack.temporalUiUrl],
    ['Outbox', stack.outboxDir && `${stack.outboxDir}  (each email as an .eml file)`],
  ];
  for (const [label, value] of rows) if (value) log(`${label.padEnd(12)} ${value}`);
  log('ready — press Ctrl-C to stop');
}

main().catch((error: unknown) => {
  console.error('[steward] failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
