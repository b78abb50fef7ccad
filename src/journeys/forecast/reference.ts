/**
 * The straightforward forecast: every synthetic constituent's timeline through the
 * simulator, one after another. Slow at population scale, but it is the
 * definition of what a forecast says; the fast forecast must agree with it exactly.
 */
import { compileJourney } from '../compile.ts';
import type { JourneyDefinition } from '../definition.ts';
import { simulateJourney, type SimulationResult } from '../simulate.ts';
import { population, timelineOf, type ForecastProfile } from './population.ts';
import { ForecastTally, type ForecastResult } from './tally.ts';

export interface ForecastOptions {
  constituents: number;
  days: number;
  seed?: number;
  profile?: ForecastProfile;
  onProgress?: (done: number, total: number) => void;
}

/** Forecasts by simulating each constituent's whole timeline with the simulator. */
export function forecastOneByOne(definition: JourneyDefinition, options: ForecastOptions): ForecastResult {
  const seed = options.seed ?? 1;
  const people = population(definition, options.days, seed, options.profile);
  const tally = new ForecastTally(options.days);
  const machine = compileJourney(definition);
  const progress = progressEvery(options);
  for (let index = 0; index < options.constituents; index += 1) {
    tallySimulation(tally, simulateJourney(definition, timelineOf(people.next(index), options.days), machine));
    progress(index + 1);
  }
  return tally.result(definition, options.constituents, seed);
}

function tallySimulation(tally: ForecastTally, result: SimulationResult): void {
  for (const enrollment of result.enrollments) {
    tally.enrollment(enrollment.status, enrollment.state, new Set(enrollment.steps.map((step) => step.toState)));
  }
  for (const entry of result.entries) {
    if (entry.kind === 'email' || entry.kind === 'sms') tally.message(entry.at, entry.kind, entry.template);
    else if (entry.kind === 'task') tally.task(entry.at, entry.queue);
  }
}

/** Calls `onProgress` about a hundred times over a run, and at its end. */
export function progressEvery(options: ForecastOptions): (done: number) => void {
  const every = Math.max(1, Math.floor(options.constituents / 100));
  return (done) => {
    if (done % every === 0 || done === options.constituents) options.onProgress?.(done, options.constituents);
  };
}
