/**
 * A what-if before launch: many synthetic constituents, each with a plausible
 * timeline, run through the journey; the result says how many reach each state,
 * how the enrollments end, and how many emails, texts and staff tasks each day
 * brings. Deterministic for a seed, so two forecasts can be compared.
 *
 * A forecast says exactly what simulating every constituent's timeline says
 * (`forecastOneByOne`), but reuses the journey's transitions across constituents
 * (`JourneyTransitions`), which makes a population of 100,000 a matter of seconds.
 */
import { compileJourney } from './compile.ts';
import type { JourneyDefinition } from './definition.ts';
import { ConstituentRunner, StepLimitReached } from './forecast/constituent-run.ts';
import { population, timelineOf } from './forecast/population.ts';
import { forecastOneByOne, progressEvery, type ForecastOptions } from './forecast/reference.ts';
import { ForecastTally, type ForecastResult } from './forecast/tally.ts';
import { JourneyTransitions } from './forecast/transitions.ts';
import { simulateJourney } from './simulate.ts';

export type { ForecastProfile } from './forecast/population.ts';
export type { ForecastOptions } from './forecast/reference.ts';
export type { ForecastResult } from './forecast/tally.ts';
export { forecastOneByOne } from './forecast/reference.ts';

/** Forecasts a synthetic population: the result `forecastOneByOne` gives for the same options, in a fraction of the time. */
export function forecastJourney(definition: JourneyDefinition, options: ForecastOptions): ForecastResult {
  const machine = compileJourney(definition);
  const transitions = JourneyTransitions.of(machine);
  // A machine shaped otherwise than compiled journeys are gets no shortcuts.
  if (!transitions) return forecastOneByOne(definition, options);
  const seed = options.seed ?? 1;
  const people = population(definition, options.days, seed, options.profile);
  const runner = new ConstituentRunner(definition, transitions, options.days);
  const tally = new ForecastTally(options.days);
  const progress = progressEvery(options);
  for (let index = 0; index < options.constituents; index += 1) {
    const constituent = people.next(index);
    try {
      runner.run(constituent, tally);
    } catch (error) {
      if (!(error instanceof StepLimitReached)) throw error;
      // The simulator stops the run and says which states loop.
      simulateJourney(definition, timelineOf(constituent, options.days), machine);
      throw new Error(`Forecast of ${definition.id}: constituent ${index} passed the step limit, but the simulator did not`);
    }
    progress(index + 1);
  }
  return tally.result(definition, options.constituents, seed);
}

/** The forecast as a report for a terminal: a table of states, the outcomes and a chart per day or week. */
export function formatForecast(result: ForecastResult): string {
  const lines: string[] = [];
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  lines.push(`Forecast for ${result.journey}: ${result.constituents} constituents over ${result.days} days (seed ${result.seed})`);
  lines.push(`Enrolled ${result.enrolled} · converted ${result.outcomes.converted} (${percent(result.conversionRate)}) · completed ${result.outcomes.completed} · exited ${result.outcomes.exited} · still active ${result.outcomes.active}`);
  lines.push('');
  const width = Math.max(5, ...result.byState.map((row) => row.state.length));
  lines.push(`${'state'.padEnd(width)}  ${'entered'.padStart(8)}  ${'at the end'.padStart(10)}  ${'of enrolled'.padStart(11)}`);
  lines.push(`${'-'.repeat(width)}  ${'-'.repeat(8)}  ${'-'.repeat(10)}  ${'-'.repeat(11)}`);
  for (const row of result.byState) {
    lines.push(`${row.state.padEnd(width)}  ${String(row.entered).padStart(8)}  ${String(row.endedHere).padStart(10)}  ${percent(row.share).padStart(11)}`);
  }
  lines.push('');

  // Bucket days into weeks for long forecasts, so the chart fits a terminal.
  const perWeek = result.days > 60;
  const size = perWeek ? 7 : 1;
  const buckets: { label: number; email: number; sms: number; tasks: number }[] = [];
  for (let start = 0; start < result.perDay.length; start += size) {
    const slice = result.perDay.slice(start, start + size);
    buckets.push({
      label: start / size + (perWeek ? 1 : 0),
      email: slice.reduce((sum, day) => sum + day.email, 0),
      sms: slice.reduce((sum, day) => sum + day.sms, 0),
      tasks: slice.reduce((sum, day) => sum + day.tasks, 0),
    });
  }
  const peak = Math.max(1, ...buckets.map((bucket) => bucket.email + bucket.sms + bucket.tasks));
  const barWidth = 60;
  lines.push(`Sends per ${perWeek ? 'week' : 'day'}   █ email  ▓ SMS  ░ staff tasks   (longest bar = ${peak})`);
  for (const bucket of buckets) {
    const scale = (count: number) => Math.round((count / peak) * barWidth);
    const bar = '█'.repeat(scale(bucket.email)) + '▓'.repeat(scale(bucket.sms)) + '░'.repeat(scale(bucket.tasks));
    const total = bucket.email + bucket.sms + bucket.tasks;
    lines.push(`${perWeek ? 'week' : 'day'} ${String(bucket.label).padStart(3)} │${bar}${total > 0 ? ` ${total}` : ''}`);
  }
  if (result.byTemplate.length > 0) {
    lines.push('');
    lines.push('Messages by template:');
    for (const row of result.byTemplate) lines.push(`  ${row.channel.padEnd(5)} ${row.template.padEnd(36)} ${String(row.count).padStart(7)}`);
  }
  if (result.tasksByQueue.length > 0) {
    lines.push('Staff tasks by queue:');
    for (const row of result.tasksByQueue) lines.push(`  ${row.queue.padEnd(42)} ${String(row.count).padStart(7)}`);
  }
  return lines.join('\n');
}
