/**
 * A Temporal dev server of the drill's own, outside Steward, in its own process
 * group so it can be killed outright, and started again on the same port and the
 * same SQLite file in a temporary directory of its own (what a restarted server
 * keeps is the drill's question).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { findTemporalCli } from '../../src/temporal/binaries.ts';
import { atCleanup, trackGroup } from '../load/cleanup.ts';
import { pause, pollUntil, progress } from '../load/progress.ts';
import { killGroup, scratchDir } from './processes.ts';

export interface DrillTemporal {
  address: string;
  /** SIGKILL to its process group. */
  kill(): Promise<void>;
  /** Starts it again on the same port and file; resolves with the seconds until it served. */
  restart(): Promise<number>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 120_000;

export async function startDrillTemporal(): Promise<DrillTemporal> {
  const dataDir = await scratchDir('temporal');
  const cliPath = findTemporalCli({ STEWARD_TEMPORAL_CLI: process.env.STEWARD_TEMPORAL_CLI || undefined });
  if (!cliPath) throw new Error('no temporal CLI: run npm install (it provisions .tools/) or set STEWARD_TEMPORAL_CLI');
  const [port, uiPort] = [await freePort(), await freePort()];
  const address = `127.0.0.1:${port}`;
  const args = ['server', 'start-dev', '--db-filename', path.join(dataDir.dir, 'temporal.sqlite'), '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--ui-disable-news-fetch', '--log-level', 'error'];
  let pid = 0;
  let untrack = () => {};

  const kill = async () => {
    await killGroup(pid);
    untrack();
  };
  const start = async () => {
    const started = performance.now();
    const child = spawn(cliPath, args, { detached: true, stdio: 'ignore' });
    pid = child.pid!;
    untrack = trackGroup(pid);
    const serving = await pollUntil(() => answers(address), { timeoutMs: READY_TIMEOUT_MS, everyMs: 250 });
    if (!serving) throw new Error(`Temporal dev server at ${address} did not serve within ${READY_TIMEOUT_MS / 1000} s`);
    const seconds = (performance.now() - started) / 1000;
    progress(`temporal: serving at ${address} (pid ${pid}) after ${seconds.toFixed(1)} s`);
    return seconds;
  };
  const unregister = atCleanup(`stop the Temporal dev server at ${address}`, kill);
  await start();
  return {
    address,
    kill,
    restart: start,
    async stop() {
      await kill();
      unregister();
      await dataDir.remove();
    },
  };
}

async function answers(address: string): Promise<true | undefined> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: '1s' });
    try {
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    await pause(0);
    return undefined;
  }
}

/** A loopback port free right now. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
