/**
 * What SQLite's journal costs the embedded Temporal server: two dev servers, one
 * on the default rollback journal and one on the write-ahead log Steward uses,
 * alternated round by round, each given a closed loop of bare signal-with-starts
 * of a trivial workflow (the load benchmark's baseline, `bench/load/raw-signal.ts`).
 * Reports calls per second, latency, and the server's processor time per call.
 *
 *   npx tsx bench/temporal-journal.ts [seconds=20] [callers=8] [rounds=2]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findTemporalCli } from '../src/temporal/binaries.ts';
import { startTemporalDevServer } from '../src/temporal/devServer.ts';
import { processorSeconds } from './load/processor.ts';
import { startRawSignal } from './load/raw-signal.ts';

const [seconds = 20, callers = 8, rounds = 2] = process.argv.slice(2).map(Number);
type Journal = 'delete' | 'wal';

async function measure(journal: Journal, round: number): Promise<string> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `steward-journal-${journal}-`));
  const cliPath = findTemporalCli(process.env);
  if (!cliPath) throw new Error('No temporal CLI: run npm install');
  const server = await startTemporalDevServer({ cliPath, dbFile: path.join(dataDir, 'temporal.sqlite'), port: 0, uiPort: 0, namespace: 'default', log: () => {}, journal });
  const raw = await startRawSignal(server.address, 'default');
  try {
    const call = raw.signalWithStart(`${journal}-${round}`);
    const latencies: number[] = [];
    let next = 0;
    const processorBefore = await processorSeconds(server.pid);
    const started = performance.now();
    const until = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (performance.now() < until) {
          const begun = performance.now();
          await call(next++);
          latencies.push(performance.now() - begun);
        }
      }),
    );
    const wallSeconds = (performance.now() - started) / 1000;
    const processor = (await processorSeconds(server.pid)) - processorBefore;
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))]!.toFixed(1);
    return [
      journal.padEnd(7),
      `${(latencies.length / wallSeconds).toFixed(1)}/s`.padStart(9),
      `p50 ${at(0.5)} ms`.padStart(14),
      `p99 ${at(0.99)} ms`.padStart(15),
      `server ${((processor * 1000) / latencies.length).toFixed(2)} ms per call`.padStart(28),
    ].join(' ');
  } finally {
    await raw.stop();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

console.log(`${callers} callers, ${seconds} s per measurement, ${rounds} rounds`);
for (let round = 1; round <= rounds; round += 1) {
  const order: Journal[] = round % 2 === 1 ? ['delete', 'wal'] : ['wal', 'delete'];
  for (const journal of order) console.log(`round ${round} ${await measure(journal, round)}`);
}
