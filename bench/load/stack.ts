/**
 * Starts Steward as `npm start` does (src/main.ts, here through node with the tsx
 * loader so the pid is Steward's own), in its own process group, on embedded
 * defaults in a temporary data directory and on free loopback ports. With
 * DATABASE_URL set, each stack runs on a scratch database of that server; no other
 * Steward setting is inherited from the environment.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigSchema, loadConfig } from '../../src/config.ts';
import { embeddedSocketUrl } from '../../src/db/embedded.ts';
import { atCleanup, trackDir, trackGroup } from './cleanup.ts';
import { pause, progress } from './progress.ts';
import { createEmptyTestDatabase } from '../../test/support/database.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const READY_TIMEOUT_MS = 180_000;
/** A stack stopped with a backlog may take a while to drain its worker; then it is killed. */
const STOP_GRACE_MS = 15_000;

export interface StewardProcess {
  pid: number;
  /** Set when this process runs the API. */
  apiUrl?: string;
  apiKey?: string;
  /** Its latest output lines, to show when something goes wrong. */
  lines: string[];
  stop(): Promise<void>;
}

export interface StewardStack extends StewardProcess {
  dataDir: string;
  databaseUrl: string;
  databaseEmbedded: boolean;
  temporalAddress: string;
  /** Settings every further process of this deployment needs (a separate worker). */
  env: Record<string, string>;
}

/** What --set asks every stack and process of this run to start with. */
let runSettings: Record<string, string> = {};

/** Settings for every Steward this run starts from now on (the benchmark's own come first, these over them). */
export function setRunSettings(settings: Record<string, string>): void {
  runSettings = { ...settings };
}

/** The settings of a benchmark run: any hour is a sending hour, no frequency cap, no rate limit in the way. */
function benchEnv(dataDir: string, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  // Steward's settings come from this benchmark only, except the database it is asked to use.
  for (const key of Object.keys(ConfigSchema.shape)) if (key !== 'DATABASE_URL') delete env[key];
  Object.assign(env, {
    STEWARD_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    STEWARD_EMBEDDED_DB_PORT: '0',
    STEWARD_TEMPORAL_PORT: '0',
    STEWARD_TEMPORAL_UI_PORT: '0',
    STEWARD_OUTBOX_SMTP_PORT: '0',
    STEWARD_SEND_WINDOW: '00:00-24:00',
    STEWARD_EMAIL_CAP: 'none',
    STEWARD_RATE_LIMIT: '1000000000',
    ...runSettings,
    ...extra,
  });
  loadConfig(env); // a bad setting stops the benchmark here, named, rather than in a child
  return env;
}

/** Starts a whole Steward (database, Temporal, mail, and the roles in extra.STEWARD_ROLES) in a fresh data directory. */
export async function startStewardStack(label: string, extra: Record<string, string> = {}): Promise<StewardStack> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'steward-bench-'));
  // On a server, a database of the stack's own, as each test file gets: nothing else there is read or changed.
  const database = process.env.DATABASE_URL ? await createEmptyTestDatabase() : undefined;
  const untrackDir = trackDir(dataDir);
  const removeAll = async () => {
    // A process of the stack may still be closing files in it: retry rather than leave it behind.
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    untrackDir();
    await database?.drop();
  };
  const unregister = atCleanup(`remove ${dataDir}${database ? ' and the scratch database' : ''}`, removeAll);
  const env = benchEnv(dataDir, { ...extra, ...(database ? { DATABASE_URL: database.url } : {}) });
  let child: StewardProcess;
  try {
    child = await spawnSteward(label, env);
  } catch (error) {
    await removeAll();
    unregister();
    throw error;
  }
  const value = (name: string) => child.lines.map((line) => new RegExp(`^\\[steward\\] ${name}\\s+(\\S+)`).exec(line)?.[1]).find(Boolean);
  const databaseEmbedded = !env.DATABASE_URL;
  // On the embedded database, the benchmark's queries (its raw INSERT included) take the path
  // Steward's own take, the Unix socket, rather than the port that forwards to it for tools.
  const databaseUrl = databaseEmbedded ? (embeddedSocketUrl(path.join(dataDir, 'pglite')) ?? value('Database')) : env.DATABASE_URL;
  const temporalAddress = value('Temporal');
  if (!databaseUrl || !temporalAddress) throw new Error(`${label}: no database or Temporal address in its output:\n${child.lines.join('\n')}`);
  return {
    ...child,
    dataDir,
    databaseUrl,
    databaseEmbedded,
    temporalAddress,
    env: { ...env, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporalAddress },
    async stop() {
      await child.stop();
      await removeAll();
      unregister();
    },
  };
}

/** Starts one more process of a running stack, e.g. `{ STEWARD_ROLES: 'worker' }` on the stack's database and Temporal. */
export function startStewardProcess(label: string, stack: StewardStack, extra: Record<string, string>): Promise<StewardProcess> {
  return spawnSteward(label, { ...stack.env, ...extra });
}

async function spawnSteward(label: string, env: Record<string, string>): Promise<StewardProcess> {
  progress(`${label}: starting Steward (${env.STEWARD_ROLES ?? 'api,worker'})`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: projectRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid!;
  const untrack = trackGroup(pid);
  const exited = once(child, 'exit');
  const lines: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: not ready in ${READY_TIMEOUT_MS / 1000} s:\n${lines.slice(-30).join('\n')}`)), READY_TIMEOUT_MS);
    let partial = '';
    const onData = (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const complete = text.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) {
        lines.push(line);
        if (lines.length > 2_000) lines.splice(0, 1_000);
        if (line.includes('[steward] ready')) {
          clearTimeout(timer);
          resolve();
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(([code, signal]) => {
      clearTimeout(timer);
      reject(new Error(`${label}: Steward exited (${code ?? signal}) before it was ready:\n${lines.slice(-30).join('\n')}`));
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        signalGroup(pid, 'SIGINT');
        const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      // The Temporal dev server is a child of Steward, in the same group: make sure it is gone too.
      for (let attempt = 0; attempt < 50 && groupAlive(pid); attempt += 1) await pause(200);
      if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
      untrack();
      progress(`${label}: stopped`);
    })());
  const unregister = atCleanup(`stop ${label}`, stop);
  try {
    await ready;
  } catch (error) {
    await stop();
    unregister();
    throw error;
  }
  const apiUrl = lines.map((line) => /^\[steward\] API\s+(http:\/\/\S+)/.exec(line)?.[1]).find(Boolean);
  const apiKey = apiUrl ? (await readFile(path.join(env.STEWARD_DATA_DIR!, 'api-key'), 'utf8')).trim() : undefined;
  progress(`${label}: ready (pid ${pid}${apiUrl ? `, ${apiUrl}` : ''})`);
  return {
    pid,
    apiUrl,
    apiKey,
    lines,
    async stop() {
      await stop();
      unregister();
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
