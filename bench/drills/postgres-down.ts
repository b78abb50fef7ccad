/**
 * (f) PostgreSQL refuses connections to Steward's database for a while: the
 * database stops accepting connections (ALLOW_CONNECTIONS false) and every backend
 * on it is terminated, then connections are allowed again. The database is the
 * drill's own, made on the server for this stack and dropped with it.
 */
import pg from 'pg';
import { atCleanup } from '../load/cleanup.ts';
import { pause, progress } from '../load/progress.ts';
import { startStewardStack } from '../load/stack.ts';
import type { Drill } from './harness.ts';
import { apiOf, onPostgresServer } from './processes.ts';

export const postgresDown: Drill = {
  name: 'postgres-down',
  letter: 'f',
  title: "PostgreSQL refuses connections to Steward's database for a while (ALLOW_CONNECTIONS false, backends terminated)",
  duplicatesExpected: false,
  async setup(mail, options) {
    const stack = await onPostgresServer(options.postgres, () => startStewardStack('stack', { SMTP_URL: mail.url, STEWARD_LOG_LEVEL: 'warn' }));
    const name = decodeURIComponent(new URL(stack.databaseUrl).pathname.slice(1));
    const admin = (sql: string) => adminQuery(options.postgres, sql, [name]);
    const allow = async (yes: boolean) => void (await admin(`ALTER DATABASE "${name.replaceAll('"', '""')}" ALLOW_CONNECTIONS ${yes}`));
    return {
      api: apiOf(stack),
      databaseUrl: () => stack.databaseUrl,
      async fault() {
        const began = Date.now();
        const unregister = atCleanup(`allow connections to ${name} again`, () => allow(true));
        try {
          await allow(false);
          const { rowCount } = await admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()');
          progress(`  ${name} refuses connections for ${options.outage.postgres} s (${rowCount ?? 0} backends terminated)`);
          await pause(options.outage.postgres * 1000);
        } finally {
          await allow(true);
          unregister();
        }
        return { began, ended: Date.now() };
      },
      logs: () => stack.lines,
      stop: () => stack.stop(),
    };
  },
};

async function adminQuery(serverUrl: string, sql: string, params: unknown[]): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await client.query(sql, sql.includes('$1') ? params : []);
  } finally {
    await client.end();
  }
}
