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
import type { SimulationResult } from '../../src/journeys/simulate.ts';
import type { TestRuntime } from './runtime.ts';

export interface DifferentialSummary {
  cases: number;
  enrolled: number;
  steps: number;
  /** Steps taken at the same instant as the step before them. */
  sameInstant: number;
  /** Of those, timer steps after a timer step: timers due together, or chained at one instant. */
  timerAfterTimer: number;
  /** Event steps at the instant a timer or decision was taken, after it. */
  eventAtTimer: number;
  /** Timers that fired while others were due at the very same instant (which they then cancelled or preceded). */
  dueTogether: number;
  migrations: number;
  exits: number;
}

/** Timer steps taken while another timer was due at the same instant, from the simulator's steps. */
function countDueTogether(summary: DifferentialSummary, simulation: SimulationResult): void {
  for (const enrollment of simulation.enrollments) {
    // Pending timers by id, in arming order.
    const fireAt = new Map<string, number>();
    for (const step of enrollment.steps) {
      if (step.cause === 'timer' || step.cause === 'decision') {
        const due = [...fireAt].filter(([, at]) => at === step.at);
        if (due.length >= 2) summary.dueTogether += 1;
        // The one that fired: due then, and not among those the step cancelled.
        const fired = due.find(([id]) => !step.timersCancelled.includes(id));
        if (fired) fireAt.delete(fired[0]);
      }
      for (const id of step.timersCancelled) fireAt.delete(id);
      for (const timer of step.timersArmed) fireAt.set(timer.id, timer.fireAt);
    }
  }
}

/** Counts the ties a case exercised, from the records both sides agree on. */
function countTies(summary: DifferentialSummary, records: readonly JourneyRecord[]): void {
  for (const record of records) {
    summary.enrolled += 1;
    summary.steps += record.steps.length;
    if (record.status === 'exited') summary.exits += 1;
    const parsed = record.steps.map((line) => /\[(?<cause>[^\]]+)\] (?<at>\S+)$/.exec(line)!.groups!);
    let timerAt: string | undefined;
    parsed.forEach((step, index) => {
      if (step.cause === 'migrated') summary.migrations += 1;
      const timed = step.cause === 'timer' || step.cause === 'decision';
      if (!timed && step.cause !== 'migrated' && step.cause !== 'enrolled' && step.at === timerAt) summary.eventAtTimer += 1;
      const before = parsed[index - 1];
      if (timed) timerAt = step.at;
      if (!before || before.at !== step.at) return;
      summary.sameInstant += 1;
      if (before.cause === 'timer' && step.cause === 'timer') summary.timerAfterTimer += 1;
    });
  }
}

/** Runs `cases` generated cases from `seed` through one worker; throws on the first disagreement. */
export async function runDifferential(runtime: TestRuntime, options: { cases: number; seed: number; onCase?: (done: number) => void }): Promise<DifferentialSummary> {
  const router = createEventRouter({ db: runtime.db, temporal: runtime.env.client, taskQueue: runtime.taskQueue });
  const summary: DifferentialSummary = { cases: 0, enrolled: 0, steps: 0, sameInstant: 0, timerAfterTimer: 0, eventAtTimer: 0, dueTogether: 0, migrations: 0, exits: 0 };
  const worker = await runtime.worker();
  await worker.runUntil(() =>
    fc.assert(
      fc.asyncProperty(tieJourney, tieTimeline, async (journey, timeline) => {
        summary.cases += 1;
        const { recorded, simulated, simulation } = await runDifferentialCase(runtime, router, journey, timeline, `tie-${options.seed}-${summary.cases}`);
        options.onCase?.(summary.cases);
        if (JSON.stringify(recorded) !== JSON.stringify(simulated)) {
          throw new Error(
            `the runtime and the simulator disagree\njourney ${JSON.stringify(journey)}\ntimeline ${JSON.stringify(timeline)}\nruntime   ${JSON.stringify(recorded, null, 1)}\nsimulator ${JSON.stringify(simulated, null, 1)}`,
          );
        }
        countTies(summary, recorded);
        countDueTogether(summary, simulation);
      }),
      // Each case runs on real servers: stop at the first failure instead of shrinking against them.
      { numRuns: options.cases, seed: options.seed, endOnFailure: true },
    ),
  );
  return summary;
}
