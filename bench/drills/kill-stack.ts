/** (a) kill -9 of the whole `npm start` process group mid-burst, then `npm start` again on the same data directory and port. */
import { progress } from '../load/progress.ts';
import { startStewardProcess, startStewardStack, type StewardProcess } from '../load/stack.ts';
import type { Drill } from './harness.ts';
import { apiOf, killGroup, printed } from './processes.ts';

export const killStack: Drill = {
  name: 'kill-stack',
  letter: 'a',
  title: 'kill -9 of the whole stack (API, worker, PGlite, Temporal dev server) mid-burst; restart on the same data directory',
  duplicatesExpected: false,
  async setup(mail) {
    const stack = await startStewardStack('stack', { SMTP_URL: mail.url, STEWARD_LOG_LEVEL: 'warn' });
    let current: StewardProcess = stack;
    let databaseUrl = stack.databaseUrl;
    return {
      api: apiOf(stack),
      databaseUrl: () => databaseUrl,
      async fault() {
        const began = Date.now();
        await killGroup(stack.pid);
        progress(`  killed the stack's process group (${stack.pid}); starting it again`);
        const restarting = performance.now();
        // Embedded database and Temporal again (their addresses change), the API on the port the burst is posting to.
        current = await startStewardProcess('stack (restarted)', stack, { DATABASE_URL: '', TEMPORAL_ADDRESS: '', PORT: new URL(stack.apiUrl!).port });
        const restartToReadySeconds = (performance.now() - restarting) / 1000;
        databaseUrl = printed(current, 'Database');
        return { began, ended: Date.now(), restartToReadySeconds };
      },
      logs: () => [...stack.lines, ...current.lines],
      async stop() {
        if (current !== stack) await current.stop();
        await stack.stop();
      },
    };
  },
};
