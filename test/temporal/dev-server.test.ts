/** The embedded Temporal server keeps workflows across a restart, and a crash, on the same SQLite file. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { findTemporalCli } from '../../src/temporal/binaries.ts';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/temporal/devServer.ts';

const cliPath = findTemporalCli({ STEWARD_TEMPORAL_CLI: process.env.STEWARD_TEMPORAL_CLI || undefined })!;
const running: TemporalDevServer[] = [];
let dataDir: string | undefined;

afterAll(async () => {
  await Promise.all(running.map((server) => server.stop()));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function start(dbFile: string) {
  const server = await startTemporalDevServer({ cliPath, dbFile, port: 0, uiPort: 0, namespace: 'default', log: () => {} });
  running.push(server);
  return server;
}

describe('startTemporalDevServer', () => {
  it('serves clients once started, and keeps an open workflow after a restart', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'steward-temporal-'));
    const dbFile = path.join(dataDir, 'temporal.sqlite');
    const workflowId = 'persisted-across-restart';

    const first = await start(dbFile);
    expect(first.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(first.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    let connection = await Connection.connect({ address: first.address });
    // Nobody polls this task queue: the workflow simply stays open in the server's store.
    await new Client({ connection }).workflow.start('nobodyRunsThis', { workflowId, taskQueue: 'unpolled' });
    await connection.close();
    await first.stop();

    const second = await start(dbFile);
    connection = await Connection.connect({ address: second.address });
    const description = await new Client({ connection }).workflow.getHandle(workflowId).describe();
    await connection.close();
    expect(description).toMatchObject({ workflowId, type: 'nobodyRunsThis', status: { name: 'RUNNING' } });
  });

  it('journals to a write-ahead log, and keeps a started workflow when the server is killed outright', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'steward-temporal-wal-'));
    try {
      const dbFile = path.join(dir, 'temporal.sqlite');
      const workflowId = 'persisted-across-kill';
      const first = await start(dbFile);
      let connection = await Connection.connect({ address: first.address });
      await new Client({ connection }).workflow.start('nobodyRunsThis', { workflowId, taskQueue: 'unpolled' });
      await connection.close();
      // Bytes 18 and 19 of a SQLite file's header are its write and read versions: 2 means WAL.
      const header = await readFile(dbFile);
      expect([header[18], header[19]]).toEqual([2, 2]);
      process.kill(first.pid, 'SIGKILL');
      await first.stop();

      const second = await start(dbFile);
      connection = await Connection.connect({ address: second.address });
      const description = await new Client({ connection }).workflow.getHandle(workflowId).describe();
      await connection.close();
      expect(description).toMatchObject({ workflowId, status: { name: 'RUNNING' } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails with the server output when the CLI cannot start', async () => {
    await expect(
      startTemporalDevServer({ cliPath, dbFile: '/nonexistent-dir/x/temporal.sqlite', port: 0, uiPort: 0, namespace: 'default', log: () => {} }),
    ).rejects.toThrow(/exited .* before it was ready/);
  });
});
