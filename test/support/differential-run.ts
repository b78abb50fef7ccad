/**
 * The differential property: for generated journeys and timelines full of ties, the
 * durable runtime records exactly what the simulator shows (states, causes, instants,
 * messages and tasks, in order). Used by the fixed-seed test and by `npm run differential`.
 */
import fc from 'fast-check';
import { createEventRouter } from '../../src/events/router.ts';
import { runDifferentialCase } from './differential.ts';
import { tieJourney, tieTimeline } from './differential-arbitraries.ts';
import type { JourneyRecord } from './journey-record.ts';
import type { TestRuntime } from './runtime.ts';

export interface DifferentialSummary {
  cases: number;
  enrolled: number;
  steps: number;
  /** Steps taken at the same instant as the step before them. */
  sameInstant: number;
  /** Of those, timer steps after a timer step: timers due together, or chained at one instant. */
  timerAfterTimer: number;
  /** Event steps at the instant a timer fired. */
  eventAtTimer: number;
  migrations: number;
  exits: number;
}

/** Counts the ties a case exercised, from the records both sides agree on. */
function countTies(summary: DifferentialSummary, records: readonly JourneyRecord[]): void {
  for (const record of records) {
    summary.enrolled += 1;
    summary.steps += record.steps.length;
    if (record.status === 'exited') summary.exits += 1;
    const parsed = record.steps.map((line) => /\[(?<cause>[^\]]+)\] (?<at>\S+)$/.exec(line)!.groups!);
    parsed.forEach((step, index) => {
      if (step.cause === 'migrated') summary.migrations += 1;
      const before = parsed[index - 1];
      if (!before || before.at !== step.at) return;
      summary.sameInstant += 1;
      if (before.cause === 'timer' && step.cause === 'timer') summary.timerAfterTimer += 1;
      if (before.cause === 'timer' && !['timer', 'decision', 'migrated'].includes(step.cause!)) summary.eventAtTimer += 1;
    });
  }
}

/** Runs `cases` generated cases from `seed` through one worker; throws on the first disagreement. */
export async function runDifferential(runtime: TestRuntime, options: { cases: number; seed: number; onCase?: (done: number) => void }): Promise<DifferentialSummary> {
  const router = createEventRouter({ db: runtime.db, temporal: runtime.env.client, taskQueue: runtime.taskQueue });
  const summary: DifferentialSummary = { cases: 0, enrolled: 0, steps: 0, sameInstant: 0, timerAfterTimer: 0, eventAtTimer: 0, migrations: 0, exits: 0 };
  const worker = await runtime.worker();
  await worker.runUntil(() =>
    fc.assert(
      fc.asyncProperty(tieJourney, tieTimeline, async (journey, timeline) => {
        summary.cases += 1;
        const { recorded, simulated } = await runDifferentialCase(runtime, router, journey, timeline, `tie-${options.seed}-${summary.cases}`);
        options.onCase?.(summary.cases);
        if (JSON.stringify(recorded) !== JSON.stringify(simulated)) {
          throw new Error(
            `the runtime and the simulator disagree\njourney ${JSON.stringify(journey)}\ntimeline ${JSON.stringify(timeline)}\nruntime   ${JSON.stringify(recorded, null, 1)}\nsimulator ${JSON.stringify(simulated, null, 1)}`,
          );
        }
        countTies(summary, recorded);
      }),
      // Each case runs on real servers: stop at the first failure instead of shrinking against them.
      { numRuns: options.cases, seed: options.seed, endOnFailure: true },
    ),
  );
  return summary;
}
