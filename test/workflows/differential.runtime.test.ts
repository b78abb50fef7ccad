/**
 * The durable runtime does what the simulator shows, also when things happen at the
 * same instant: a fixed-seed sample of generated journeys and timelines with ties,
 * each run through the real worker on the time-skipping server and compared exactly
 * with the simulator. `npm run differential -- --cases 300` runs a larger sample.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDifferential } from '../support/differential-run.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});

afterAll(async () => {
  await runtime?.stop();
});

describe('the durable runtime against the simulator', () => {
  it('records the same steps, instants, messages and tasks on generated cases with ties', { timeout: 300_000 }, async () => {
    const summary = await runDifferential(runtime, { cases: 60, seed: 20261202 });
    expect(summary.cases).toBe(60);
    // The sample really exercises journeys: most cases enroll and take steps.
    expect(summary.enrolled).toBeGreaterThan(30);
  });
});
