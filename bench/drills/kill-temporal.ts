/** (c) kill -9 of the Temporal dev server Steward uses (TEMPORAL_ADDRESS) mid-burst; down for a while, then restarted on the same SQLite file. */
import { pause, progress } from '../load/progress.ts';
import { startStewardStack } from '../load/stack.ts';
import type { Drill } from './harness.ts';
import { apiOf } from './processes.ts';
import { startDrillTemporal } from './temporal-server.ts';

export const killTemporal: Drill = {
  name: 'kill-temporal',
  letter: 'c',
  title: 'kill -9 of the Temporal dev server mid-burst; restart it on the same SQLite file',
  duplicatesExpected: false,
  async setup(mail, options) {
    const temporal = await startDrillTemporal();
    const stack = await startStewardStack('stack', { TEMPORAL_ADDRESS: temporal.address, SMTP_URL: mail.url, STEWARD_LOG_LEVEL: 'warn' });
    return {
      api: apiOf(stack),
      databaseUrl: () => stack.databaseUrl,
      async fault() {
        const began = Date.now();
        await temporal.kill();
        progress(`  killed the Temporal dev server; down for ${options.outage.temporal} s`);
        await pause(options.outage.temporal * 1000);
        const restartToReadySeconds = await temporal.restart();
        return { began, ended: Date.now(), restartToReadySeconds };
      },
      logs: () => stack.lines,
      async stop() {
        await stack.stop();
        await temporal.stop();
      },
    };
  },
};
