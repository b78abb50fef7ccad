/**
 * (b) The worker in its own process (STEWARD_ROLES=worker) beside an API-only one,
 * on a PostgreSQL database of the drill's own and an external Temporal dev server;
 * the worker is killed with -9 mid-burst and started again.
 */
import { progress } from '../load/progress.ts';
import { startStewardProcess, startStewardStack, type StewardProcess } from '../load/stack.ts';
import type { Drill } from './harness.ts';
import { apiOf, killGroup, onPostgresServer } from './processes.ts';
import { startDrillTemporal } from './temporal-server.ts';

export const killWorker: Drill = {
  name: 'kill-worker',
  letter: 'b',
  title: 'kill -9 of the worker process (API and worker apart, PostgreSQL, external Temporal) mid-burst; restart it',
  duplicatesExpected: false,
  async setup(mail, options) {
    const temporal = await startDrillTemporal();
    const api = await onPostgresServer(options.postgres, () =>
      startStewardStack('api', { STEWARD_ROLES: 'api', TEMPORAL_ADDRESS: temporal.address, SMTP_URL: mail.url, STEWARD_LOG_LEVEL: 'warn' }),
    );
    let worker: StewardProcess = await startStewardProcess('worker', api, { STEWARD_ROLES: 'worker' });
    const killed: StewardProcess[] = [];
    return {
      api: apiOf(api),
      databaseUrl: () => api.databaseUrl,
      async fault() {
        const began = Date.now();
        await killGroup(worker.pid);
        killed.push(worker);
        progress(`  killed the worker's process group (${worker.pid}); starting another`);
        const restarting = performance.now();
        worker = await startStewardProcess('worker (restarted)', api, { STEWARD_ROLES: 'worker' });
        return { began, ended: Date.now(), restartToReadySeconds: (performance.now() - restarting) / 1000 };
      },
      logs: () => [...api.lines, ...killed.flatMap((one) => one.lines), ...worker.lines],
      async stop() {
        for (const one of [...killed, worker]) await one.stop();
        await api.stop();
        await temporal.stop();
      },
    };
  },
};
