/**
 * The embedded database for single-machine use: PGlite (PostgreSQL compiled to
 * WebAssembly) persisted in the data directory, run in a process of its own and
 * served over the PostgreSQL wire protocol on localhost, so Steward reaches it
 * through the same `pg` adapter and migrator as a real server.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../data-dir.ts';
import type { EmbeddedServerMessage } from './embedded-server.ts';

export interface EmbeddedPostgres {
  /** postgresql:// URL of the local listener on 127.0.0.1, for tools. */
  url: string;
  /** The URL Steward's own connection uses: the Unix socket where there is one, else `url`. */
  localUrl: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Directory holding the database files; created on first start. */
  dataDir: string;
  /** Port to listen on, 127.0.0.1 only; 0 picks a free one. */
  port?: number;
  /** Connections the listener accepts at once; PGlite runs their queries one at a time. */
  maxConnections?: number;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  await mkdir(options.dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const releaseLock = await lockDataDir(options.dataDir);
  try {
    const socketPath = unixSocketPath(options.dataDir);
    const server = await startServerProcess(options, socketPath);
    const url = `postgresql://postgres@127.0.0.1:${server.port}/postgres?sslmode=disable`;
    return {
      url,
      localUrl: socketPath ? socketUrl(socketPath) : url,
      port: server.port,
      async stop() {
        await server.stop();
        await releaseLock();
      },
    };
  } catch (error) {
    await releaseLock();
    throw error;
  }
}

/** The port number in the socket's file name, `.s.PGSQL.<port>`, as PostgreSQL names its own. */
const SOCKET_PORT = 5432;
/** What a Unix socket's path may hold on Linux and macOS (sun_path, less its terminator). */
const MAX_SOCKET_PATH = 103;

/**
 * Where the database's Unix socket goes: in its data directory, private like the rest
 * of it. None on Windows, or where the directory's path is too long for a socket's:
 * then Steward connects over TCP like the tools do.
 */
function unixSocketPath(dataDir: string): string | undefined {
  if (process.platform === 'win32') return undefined;
  const socket = path.join(path.resolve(dataDir), `.s.PGSQL.${SOCKET_PORT}`);
  return Buffer.byteLength(socket) <= MAX_SOCKET_PATH ? socket : undefined;
}

/**
 * The URL of the Unix socket of the embedded database in `dataDir`, where it has one,
 * in libpq's form, which pg reads too: the host is the socket's directory, the port
 * names the file in it.
 */
export function embeddedSocketUrl(dataDir: string): string | undefined {
  const socketPath = unixSocketPath(dataDir);
  return socketPath ? socketUrl(socketPath) : undefined;
}

function socketUrl(socketPath: string): string {
  return `postgresql://postgres@/postgres?host=${encodeURIComponent(path.dirname(socketPath))}&port=${SOCKET_PORT}&sslmode=disable`;
}

const serverScript = fileURLToPath(new URL('./embedded-server.ts', import.meta.url));

/** How long the database process may take to open its files and listen. */
const START_TIMEOUT_MS = 120_000;

/**
 * Runs PGlite in a process of its own (see embedded-server.ts), talking over an IPC
 * channel: it says when it listens, and closes its files when told or when this
 * process goes away.
 */
async function startServerProcess(options: EmbeddedPostgresOptions, socketPath: string | undefined): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      import.meta.resolve('tsx'),
      serverScript,
      options.dataDir,
      String(options.port ?? 0),
      String(options.maxConnections ?? 16),
      ...(socketPath ? [socketPath] : []),
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const exited = once(child, 'exit');
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The embedded database did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    child.on('message', (message: EmbeddedServerMessage) => {
      clearTimeout(timer);
      if ('ready' in message) resolve(message.ready);
      else reject(new Error(`The embedded database could not start: ${message.failed}`));
    });
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`The embedded database stopped while starting (exit code ${String(code)})`));
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });
  return {
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send('stop');
      else child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * PGlite is single-process: two processes writing one directory would corrupt it.
 * A lock file holding the owner's pid keeps a second Steward out, and is taken
 * over when its owner is gone.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockFile = path.join(dataDir, 'steward.lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(lockFile, 'wx', PRIVATE_FILE_MODE);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (owner && isRunning(owner)) {
        throw new Error(`The embedded database in ${dataDir} is in use by process ${owner}; stop it first or use another STEWARD_DATA_DIR`);
      }
      await rm(lockFile, { force: true });
    }
  }
  throw new Error(`Could not lock the embedded database in ${dataDir}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
