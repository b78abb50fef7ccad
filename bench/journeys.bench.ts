/**
 * How fast the pure journey core runs: compiling a definition, simulating one
 * constituent's timeline, and forecasting a population. Run with `npm run bench`.
 */
import { readFileSync } from 'node:fs';
import { bench, describe } from 'vitest';
import YAML from 'yaml';
import { compileJourney } from '../src/journeys/compile.ts';
import { JourneyDefinition } from '../src/journeys/definition.ts';
import { forecastJourney } from '../src/journeys/forecast.ts';
import { simulateJourney } from '../src/journeys/simulate.ts';
import { validateJourney } from '../src/journeys/validate.ts';
import { productCatalog } from '../src/journeys/catalog.ts';

const source = YAML.parse(readFileSync(new URL('../journeys/lapsed-donor-winback.yaml', import.meta.url), 'utf8'));
const definition = JourneyDefinition.parse(source);
const catalog = productCatalog();
const timeline = {
  constituent: { consent: { sms: 'granted' as const } },
  events: [
    { at: '2026-03-02T14:00:00Z', type: 'drop-off' as const, data: { kind: 'lapsed' } },
    { at: '+16d', type: 'task-completed' as const, data: { outcome: 'pledged' } },
  ],
};

describe('journey core', () => {
  bench('validate the win-back journey', () => {
    validateJourney(source, catalog);
  });
  bench('compile the win-back journey', () => {
    compileJourney(definition);
  });
  bench('simulate one constituent through win-back (76 days)', () => {
    simulateJourney(definition, timeline);
  });
  bench('forecast 1,000 constituents over 90 days', () => {
    forecastJourney(definition, { constituents: 1_000, days: 90 });
  }, { iterations: 3 });
});
