/**
 * How long a forecast of 1,000, 10,000 and 100,000 constituents over 365 days
 * takes, against a baseline measured in the same run: simulating 1,000
 * constituents one by one (the straightforward way, the faster of two runs),
 * extrapolated to each size.
 *
 *   npx tsx bench/forecast-scale.ts [journey-id ...]    (default: every YAML journey)
 */
import { readdirSync, readFileSync } from 'node:fs';
import YAML from 'yaml';
import { JourneyDefinition } from '../src/journeys/definition.ts';
import { forecastJourney, forecastOneByOne, formatForecast } from '../src/journeys/forecast.ts';

const DAYS = 365;
const SIZES = [1_000, 10_000, 100_000];
const BASELINE_SIZE = 1_000;

const folder = new URL('../journeys/', import.meta.url);
const requested = process.argv.slice(2);
const ids = requested.length > 0 ? requested : readdirSync(folder).filter((file) => file.endsWith('.yaml')).map((file) => file.replace(/\.yaml$/, ''));

function timed<T>(run: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = run();
  return { value, ms: performance.now() - started };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`.padStart(9);

console.log(`Forecast over ${DAYS} days; baseline: ${BASELINE_SIZE.toLocaleString('en-US')} constituents simulated one by one, scaled linearly\n`);
console.log(`${'journey'.padEnd(26)} ${'constituents'.padStart(12)} ${'forecast'.padStart(9)} ${'baseline'.padStart(9)} ${'speed-up'.padStart(9)}`);
for (const id of ids) {
  const definition = JourneyDefinition.parse(YAML.parse(readFileSync(new URL(`${id}.yaml`, folder), 'utf8')));
  // Warm both paths up, so that neither pays for compiling the code it runs.
  forecastOneByOne(definition, { constituents: 200, days: DAYS, seed: 2 });
  forecastJourney(definition, { constituents: 200, days: DAYS, seed: 2 });
  // The faster of two runs, so that a busy moment on the machine does not flatter the forecast.
  const baseline = [0, 1]
    .map(() => timed(() => forecastOneByOne(definition, { constituents: BASELINE_SIZE, days: DAYS })))
    .reduce((best, run) => (run.ms < best.ms ? run : best));
  const perConstituent = baseline.ms / BASELINE_SIZE;
  for (const constituents of SIZES) {
    const fast = timed(() => forecastJourney(definition, { constituents, days: DAYS }));
    const expected = perConstituent * constituents;
    console.log(
      `${id.padEnd(26)} ${constituents.toLocaleString('en-US').padStart(12)} ${seconds(fast.ms)} ${seconds(expected)} ${`${(expected / fast.ms).toFixed(1)}×`.padStart(9)}`,
    );
    if (constituents === BASELINE_SIZE && formatForecast(fast.value) !== formatForecast(baseline.value)) {
      console.log(`  the report differs from the one-by-one report for ${id}: the fast forecast is wrong`);
      process.exitCode = 1;
    }
  }
}
