/**
 * What a round trip to the embedded database costs over loopback TCP and over a
 * Unix socket: one PGlite in a process of its own, served by PGlite's socket
 * server on both at once, and one `pg` client querying it one statement after
 * another, alternated round by round. Reports wall time and the client process's
 * processor time per query, as Steward's own process pays them on every query.
 *
 *   npx tsx bench/embedded-socket.ts [queries=3000] [rounds=3]
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const SOCKET_PORT = 5432;

async function serve(socketDir: string): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create();
  const tcp = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
  await tcp.start();
  const unix = new PGLiteSocketServer({ db, path: path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`) });
  await unix.start();
  process.send!({ port: Number(tcp.getServerConn().split(':').pop()) });
}

interface PerQuery {
  wallUs: number;
  cpuUs: number;
}

async function measure(config: pg.ClientConfig, queries: number): Promise<PerQuery> {
  const client = new pg.Client({ ...config, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    for (let i = 0; i < 200; i += 1) await client.query('SELECT $1::int AS n', [i]);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < queries; i += 1) await client.query('SELECT $1::int AS n', [i]);
    const wallUs = ((performance.now() - started) * 1000) / queries;
    const cpu = process.cpuUsage(cpuBefore);
    return { wallUs, cpuUs: (cpu.user + cpu.system) / queries };
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const queries = Number(process.argv[2] ?? 3000);
  const rounds = Number(process.argv[3] ?? 3);
  const socketDir = await mkdtemp(path.join(tmpdir(), 'steward-socket-'));
  const server = fork(fileURLToPath(import.meta.url), ['serve', socketDir], { execArgv: ['--import', 'tsx'] });
  try {
    const { port } = await new Promise<{ port: number }>((resolve, reject) => {
      server.once('message', (message) => resolve(message as { port: number }));
      server.once('exit', (code) => reject(new Error(`the database process exited (${String(code)})`)));
    });
    const sides = { tcp: { host: '127.0.0.1', port }, unix: { host: socketDir, port: SOCKET_PORT } } as const;
    const results: Record<keyof typeof sides, PerQuery[]> = { tcp: [], unix: [] };
    for (let round = 1; round <= rounds; round += 1) {
      const order = round % 2 === 1 ? (['tcp', 'unix'] as const) : (['unix', 'tcp'] as const);
      for (const side of order) {
        const result = await measure(sides[side], queries);
        results[side].push(result);
        console.error(`round ${round} ${side}: ${result.wallUs.toFixed(0)} µs a query, ${result.cpuUs.toFixed(0)} µs of the client's processor`);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const of = (side: keyof typeof sides, pick: (result: PerQuery) => number) => median(results[side].map(pick));
    console.log(`${queries} queries × ${rounds} rounds, medians`);
    console.log(`loopback TCP: ${of('tcp', (r) => r.wallUs).toFixed(0)} µs wall, ${of('tcp', (r) => r.cpuUs).toFixed(0)} µs client processor a query`);
    console.log(`Unix socket:  ${of('unix', (r) => r.wallUs).toFixed(0)} µs wall, ${of('unix', (r) => r.cpuUs).toFixed(0)} µs client processor a query`);
    console.log(
      `Unix ÷ TCP:   ${(of('unix', (r) => r.wallUs) / of('tcp', (r) => r.wallUs)).toFixed(2)} wall, ${(of('unix', (r) => r.cpuUs) / of('tcp', (r) => r.cpuUs)).toFixed(2)} processor`,
    );
  } finally {
    server.kill();
    await rm(socketDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'serve') await serve(process.argv[3]!);
else await main();
