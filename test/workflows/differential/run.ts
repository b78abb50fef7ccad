/**
 * The differential test at any size: generated journeys and timelines with ties, each
 * through the real worker on the time-skipping server and compared exactly with the
 * simulator.
 *
 *   npm run differential -- --cases 300 [--seed 7]
 *
 * Prints progress to stderr and a summary line; exits 1 on the first disagreement,
 * printing the journey, the timeline and both records.
 */
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { runDifferential } from '../../support/differential-run.ts';
import { startTestRuntime } from '../../support/runtime.ts';

const { values } = parseArgs({ options: { cases: { type: 'string', default: '300' }, seed: { type: 'string', default: '1' } } });
const cases = Number(values.cases);
const seed = Number(values.seed);
if (!Number.isInteger(cases) || cases <= 0 || !Number.isInteger(seed)) {
  console.error('usage: npm run differential -- --cases <N> [--seed <n>]');
  process.exit(2);
}

Runtime.install({ logger: new DefaultLogger('WARN') });
const runtime = await startTestRuntime();
const started = Date.now();
try {
  const summary = await runDifferential(runtime, { cases, seed, onCase: (done) => done % 10 === 0 && process.stderr.write(`${done}/${cases} cases\n`) });
  console.log(
    `differential: ${summary.cases} cases (seed ${seed}) agree in ${Math.round((Date.now() - started) / 1000)} s: ${summary.enrolled} enrollments, ${summary.steps} steps; ` +
      `${summary.sameInstant} steps at the instant of the step before (${summary.timerAfterTimer} timer after timer, ${summary.eventAtTimer} event at a timer's instant), ${summary.dueTogether} timers fired with others due at their instant, ` +
      `${summary.migrations} migrations, ${summary.exits} exits`,
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await runtime.stop();
}
