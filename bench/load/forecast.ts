/**
 * Row g: the journey forecast (src/journeys/forecast.ts) of a large population over
 * 365 days, in the benchmark's own process, against the straightforward way
 * measured in the same run: 1,000 constituents simulated one by one (the faster
 * of two runs), extrapolated to the population.
 */
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import { JourneyDefinition } from '../../src/journeys/definition.ts';
import { forecastJourney, forecastOneByOne } from '../../src/journeys/forecast.ts';
import { progress } from './progress.ts';

/** The shipped YAML journeys whose forecasts the table reports (none of them is published on start). */
export const FORECAST_JOURNEYS = ['lapsed-donor-winback', 'event-registration'] as const;
const DAYS = 365;
const BASELINE_SIZE = 1_000;

export interface ForecastPoint {
  journey: string;
  constituents: number;
  days: number;
  seconds: number;
  /** Seconds the one-by-one simulation of BASELINE_SIZE took, scaled to `constituents`. */
  oneByOneSeconds: number;
}

export async function measureForecasts(constituents: number): Promise<ForecastPoint[]> {
  const points: ForecastPoint[] = [];
  for (const journey of FORECAST_JOURNEYS) {
    const definition = JourneyDefinition.parse(YAML.parse(await readFile(new URL(`../../journeys/${journey}.yaml`, import.meta.url), 'utf8')));
    // Warm both paths up, so that neither pays for compiling the code it runs.
    forecastOneByOne(definition, { constituents: 200, days: DAYS, seed: 2 });
    forecastJourney(definition, { constituents: 200, days: DAYS, seed: 2 });
    const baselineMs = Math.min(...[0, 1].map(() => timedMs(() => forecastOneByOne(definition, { constituents: BASELINE_SIZE, days: DAYS }))));
    const ms = timedMs(() => forecastJourney(definition, { constituents, days: DAYS }));
    const point = { journey, constituents, days: DAYS, seconds: ms / 1000, oneByOneSeconds: (baselineMs / BASELINE_SIZE) * constituents / 1000 };
    progress(`  forecast ${journey}, ${constituents} × ${DAYS} days: ${point.seconds.toFixed(2)} s (one by one, extrapolated: ${point.oneByOneSeconds.toFixed(1)} s)`);
    points.push(point);
  }
  return points;
}

function timedMs(run: () => unknown): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}
