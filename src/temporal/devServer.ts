/**
 * The embedded Temporal server for single-machine use: `temporal server start-dev`
 * as a child process, persisting to a SQLite file in the data directory so
 * workflows and their timers survive a restart.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { Connection } from '@temporalio/client';

export interface TemporalDevServerOptions {
  cliPath: string;
  /** SQLite file holding the server's state. */
  dbFile: string;
  /** Frontend gRPC port; 0 picks a free one. */
  port: number;
  /** Web UI port; 0 picks a free one. */
  uiPort: number;
  namespace: string;
  log: (line: string) => void;
  /** How long to wait for the server to answer. */
  readyTimeoutMs?: number;
  /** SQLite's journal; Steward runs on the write-ahead log, the benchmark compares it with the default. */
  journal?: 'wal' | 'delete';
  /** Server dynamic configuration, e.g. history limits in tests. */
  dynamicConfig?: Record<string, string | number | boolean>;
}

export interface TemporalDevServer {
  address: string;
  uiUrl: string;
  /** The server's process (the CLI runs the server itself). */
  pid: number;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const STOP_GRACE_MS = 10_000;

/** Ports picked here can be taken by another process before the server binds them; then it tries again. */
const PORT_ATTEMPTS = 4;

export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options, options.port || (await freePort()), options.uiPort || (await freePort()));
    } catch (error) {
      const pickedHere = !options.port || !options.uiPort;
      if (!(pickedHere && error instanceof PortTakenError && attempt < PORT_ATTEMPTS)) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function startOnce(options: TemporalDevServerOptions, port: number, uiPort: number): Promise<TemporalDevServer> {
  const args = [
    'server', 'start-dev',
    '--db-filename', options.dbFile,
    '--ip', HOST,
    '--port', String(port),
    '--ui-port', String(uiPort),
    '--ui-disable-news-fetch',
    '--log-level', 'error',
    // SQLite's default rollback journal writes and syncs each commit twice; the
    // write-ahead log appends and syncs once, and keeps the default FULL sync, which
    // SQLite documents as durable across a power cut. Measured on one machine:
    // 1.5-1.7x the signal-with-starts per second at 0.7-0.8x the server's
    // processor per call (bench/temporal-journal.ts).
    '--sqlite-pragma', `journal_mode=${options.journal ?? 'wal'}`,
  ];
  if (options.namespace !== 'default') args.push('--namespace', options.namespace);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);

  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const recent: string[] = [];
  let stopping = false;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      // While shutting down the server reports its own connections closing: not news.
      if (!stopping) options.log(line);
    });
  }
  // A Steward that exits without stopping cleanly must not leave the server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  const stop = async () => {
    stopping = true;
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  const address = `${HOST}:${port}`;
  try {
    await Promise.race([
      waitUntilServing(address, options.namespace, options.readyTimeoutMs ?? 60_000),
      exited.then(([code, signal]) => {
        const message = `temporal server start-dev exited (${code ?? signal}) before it was ready:\n${recent.join('\n')}`;
        throw recent.some((line) => line.includes('address already in use')) ? new PortTakenError(message) : new Error(message);
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, uiUrl: `http://${HOST}:${uiPort}`, pid: child.pid!, stop };
}

/** Polls the frontend until the namespace answers: the server is then ready for clients and workers. */
async function waitUntilServing(address: string, namespace: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: '1s' });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`Temporal dev server at ${address} did not become ready in ${timeoutMs} ms: ${String(lastError)}`);
}

/** A port nobody listens on right now; the server binds it moments later. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
