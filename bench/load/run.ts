/**
 * `npm run bench:load`: Steward under load, started whole by the benchmark on
 * embedded defaults (or DATABASE_URL when set) in temporary data directories on
 * free loopback ports. Each figure comes with its ratio to a raw part measured
 * in the same run, so the numbers carry from one machine to another. Progress on
 * stderr, the table on stdout, the record in bench/results/.
 */
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ConfigSchema } from '../../src/config.ts';
import { atCleanup, cleanupAll, installExitHandlers } from './cleanup.ts';
import { measureCsvImport } from './csv-import.ts';
import { openPool } from './database.ts';
import { measureDelivery } from './delivery.ts';
import { measureForecasts } from './forecast.ts';
import { runId, type Api } from './gifts.ts';
import { measureHistory } from './history.ts';
import { measureIntake } from './intake.ts';
import { parseOptions, reproduceCommand, type LoadOptions } from './options.ts';
import { progress } from './progress.ts';
import { formatTable, tableRows, writeResults, type Results } from './report.ts';
import { measureRawSleepers } from './raw-sleepers.ts';
import { measureSleepers } from './sleepers.ts';
import { measureSplitIntake } from './split-intake.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';
import { setRunSettings, startStewardProcess, startStewardStack, type StewardProcess, type StewardStack } from './stack.ts';

/** The workflow cache Steward's worker has by default, given to the bare worker too. */
const defaultCachedWorkflows = ConfigSchema.shape.STEWARD_WORKER_CACHED_WORKFLOWS.parse(undefined);

function apiOf(process: StewardProcess): Api {
  if (!process.apiUrl || !process.apiKey) throw new Error('this Steward process runs no API');
  return { url: process.apiUrl, key: process.apiKey };
}

async function withSink<T>(use: (sink: SmtpSink) => Promise<T>): Promise<T> {
  const sink = await startSmtpSink();
  const unregister = atCleanup('stop the SMTP sink', sink.stop);
  try {
    return await use(sink);
  } finally {
    await sink.stop();
    unregister();
  }
}

/** Rows d, a and b on one stack as `npm start` runs it: embedded database, Temporal and mail capture. */
async function intakeAndHistory(options: LoadOptions, results: Results): Promise<void> {
  const stack: StewardStack = await startStewardStack('stack');
  const db = openPool(stack.databaseUrl, 1);
  try {
    const api = apiOf(stack);
    // History first, on an idle stack: the intake runs leave a backlog of thank-yous behind them.
    if (options.rows.has('d')) {
      await attempt(results, 'd', async () => (results.history = await measureHistory(api, db, stack.temporalAddress, options.histories)));
    }
    if (options.rows.has('a') || options.rows.has('b')) {
      await attempt(results, 'a, b', async () => (results.intake = await measureIntake(stack, api, db, options)));
    }
  } finally {
    await db.end();
    await stack.stop();
  }
}

/** Row c: the same stack with its mail going to the benchmark's SMTP server. */
function delivery(options: LoadOptions, results: Results): Promise<void> {
  return withSink(async (sink) => {
    const stack = await startStewardStack('mail stack', { SMTP_URL: sink.url });
    try {
      results.delivery = await measureDelivery(apiOf(stack), sink, options);
    } finally {
      await stack.stop();
    }
  });
}

/**
 * Row e: on DATABASE_URL, an API-only Steward (with the embedded Temporal) and a
 * separate worker process. Embedded PGlite cannot serve a second process (it mixes
 * up answers across the worker's pool of connections), so there the worker is read
 * inside the one `npm start` process, API included.
 */
function sleepers(options: LoadOptions, results: Results): Promise<void> {
  return withSink(async (sink) => {
    const split = Boolean(process.env.DATABASE_URL);
    const host = await startStewardStack(split ? 'api process' : 'stack', { STEWARD_ROLES: split ? 'api' : 'api,worker', SMTP_URL: sink.url });
    const db = openPool(host.databaseUrl, 1);
    try {
      const worker = split ? await startStewardProcess('worker process', host, { STEWARD_ROLES: 'worker' }) : host;
      try {
        results.sleepers = { ...(await measureSleepers(apiOf(host), db, worker, host, options.sleepers)), workerProcess: split ? 'own process' : 'with the API' };
        // The raw part, on the same Temporal server, while Steward's sleepers sleep on.
        results.sleepers.raw = await measureRawSleepers(host.temporalAddress, defaultCachedWorkflows, options.sleepers);
      } catch (error) {
        for (const [label, process] of [['worker', worker], ['api', host]] as const) progress(`${label} said:\n${process.lines.slice(-15).join('\n')}`);
        throw error;
      } finally {
        if (worker !== host) await worker.stop();
      }
    } finally {
      await db.end();
      await host.stop();
    }
  });
}

/** Row h: the API and the worker as processes of their own, on DATABASE_URL only (PGlite serves one process). */
function splitIntake(options: LoadOptions, results: Results): Promise<void> {
  if (!process.env.DATABASE_URL) return Promise.reject(new Error('row h needs DATABASE_URL: embedded PGlite serves one process'));
  return withSink(async (sink) => {
    const host = await startStewardStack('api process', { STEWARD_ROLES: 'api', SMTP_URL: sink.url });
    const db = openPool(host.databaseUrl, 1);
    const rawPool = openPool(host.databaseUrl, 8);
    try {
      const worker = await startStewardProcess('worker process', host, { STEWARD_ROLES: 'worker' });
      try {
        results.splitIntake = await measureSplitIntake(apiOf(host), db, rawPool, options);
      } finally {
        await worker.stop();
      }
    } finally {
      await rawPool.end();
      await db.end();
      await host.stop();
    }
  });
}

/** Row f: `steward events import` on a stack of its own, after the other rows, so they share nothing. */
async function csvImport(options: LoadOptions, results: Results): Promise<void> {
  const stack = await startStewardStack('import stack');
  const db = openPool(stack.databaseUrl, 1);
  try {
    results.csvImport = await measureCsvImport(stack, apiOf(stack), db, options);
  } finally {
    await db.end();
    await stack.stop();
  }
}

/** Runs one part; a failure is recorded against its rows and the benchmark goes on with the others. */
async function attempt(results: Results, row: string, part: () => Promise<unknown>): Promise<void> {
  try {
    await part();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    progress(`row ${row} failed: ${message}`);
    results.failures.push({ row, error: message });
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let options: LoadOptions;
  try {
    options = parseOptions(argv);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  }
  // The benchmark's own worker (the signalWithStart baseline) reports only errors.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  installExitHandlers(progress);
  const startedAt = new Date();
  const database = process.env.DATABASE_URL ? 'DATABASE_URL (PostgreSQL server)' : 'embedded PGlite';
  setRunSettings(options.settings);
  const settingsNote = Object.entries(options.settings).map(([key, value]) => `${key}=${value}`).join(', ');
  progress(`run ${runId}: rows ${[...options.rows].join(', ')}${options.quick ? ' (quick)' : ''} on ${database}${settingsNote ? `, with ${settingsNote}` : ''}`);

  const results: Results = { failures: [] };
  try {
    // Row c first: its latency is the one figure a busy machine spoils, and the intake rows
    // end by stopping a stack with thousands of thank-yous still to send.
    if (options.rows.has('c')) await attempt(results, 'c', () => delivery(options, results));
    if (options.rows.has('a') || options.rows.has('b') || options.rows.has('d')) await attempt(results, 'a, b, d', () => intakeAndHistory(options, results));
    if (options.rows.has('e')) await attempt(results, 'e', () => sleepers(options, results));
    if (options.rows.has('h')) await attempt(results, 'h', () => splitIntake(options, results));
    if (options.rows.has('f')) await attempt(results, 'f', () => csvImport(options, results));
    if (options.rows.has('g')) {
      progress(`forecast: ${options.forecastConstituents} constituents × 365 days per journey`);
      await attempt(results, 'g', async () => (results.forecasts = await measureForecasts(options.forecastConstituents)));
    }
  } finally {
    await cleanupAll(progress);
  }

  const table = tableRows(results, options);
  const command = reproduceCommand(argv);
  const file = await writeResults({ startedAt, command, options, database, results, table });
  console.log(`\nSteward load benchmark (${options.quick ? 'quick' : 'full'}, ${database}, run ${runId})\n`);
  console.log(formatTable(table));
  console.log(`\nReproduce: ${command}`);
  console.log(`Results:   ${path.relative(process.cwd(), file)} and bench/results/latest.json`);
  process.exit(results.failures.length > 0 ? 1 : 0);
}

main().catch(async (error: unknown) => {
  console.error('[bench] failed:', error);
  await cleanupAll(progress);
  process.exit(1);
});
