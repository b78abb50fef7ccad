/**
 * The differential property: for generated journeys and timelines full of ties, the
 * durable runtime records exactly what the simulator shows (states, causes, instants,
 * messages and tasks, in order). Used by the fixed-seed test and by `npm run differential`.
 */
import fc from 'fast-check';
import { createEventRouter } from '../../src/events/router.ts';
import { runDifferentialCase } from './differential.ts';
import { tieJourney, tieTimeline } from './differential-arbitraries.ts';
import type { TestRuntime } from './runtime.ts';

export interface DifferentialSummary {
  cases: number;
  enrolled: number;
  steps: number;
}

/** Runs `cases` generated cases from `seed` through one worker; throws on the first disagreement. */
export async function runDifferential(runtime: TestRuntime, options: { cases: number; seed: number; onCase?: (done: number) => void }): Promise<DifferentialSummary> {
  const router = createEventRouter({ db: runtime.db, temporal: runtime.env.client, taskQueue: runtime.taskQueue });
  const summary: DifferentialSummary = { cases: 0, enrolled: 0, steps: 0 };
  const worker = await runtime.worker();
  await worker.runUntil(() =>
    fc.assert(
      fc.asyncProperty(tieJourney, tieTimeline, async (journey, timeline) => {
        summary.cases += 1;
        const { recorded, simulated } = await runDifferentialCase(runtime, router, journey, timeline, `tie-${options.seed}-${summary.cases}`);
        summary.enrolled += recorded.length;
        summary.steps += recorded.reduce((sum, record) => sum + record.steps.length, 0);
        options.onCase?.(summary.cases);
        if (JSON.stringify(recorded) !== JSON.stringify(simulated)) {
          throw new Error(
            `the runtime and the simulator disagree\njourney ${JSON.stringify(journey)}\ntimeline ${JSON.stringify(timeline)}\nruntime   ${JSON.stringify(recorded, null, 1)}\nsimulator ${JSON.stringify(simulated, null, 1)}`,
          );
        }
      }),
      // Each case runs on real servers: stop at the first failure instead of shrinking against them.
      { numRuns: options.cases, seed: options.seed, endOnFailure: true },
    ),
  );
  return summary;
}
