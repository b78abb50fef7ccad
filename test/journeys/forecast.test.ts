/** Forecasts: deterministic per seed, consistent with themselves, and honest about triggers. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { JourneyDefinition } from '../../src/journeys/definition.ts';
import { forecastJourney, formatForecast } from '../../src/journeys/forecast.ts';

const journey = (id: string) =>
  JourneyDefinition.parse(YAML.parse(readFileSync(new URL(`../../journeys/${id}.yaml`, import.meta.url), 'utf8')));

describe('forecastJourney', () => {
  const welcome = journey('new-donor-welcome');

  it('gives the same result for the same seed and a different one for another', () => {
    const first = forecastJourney(welcome, { constituents: 200, days: 60, seed: 7 });
    expect(forecastJourney(welcome, { constituents: 200, days: 60, seed: 7 })).toEqual(first);
    expect(forecastJourney(welcome, { constituents: 200, days: 60, seed: 8 })).not.toEqual(first);
  });

  it('accounts for every enrollment and every email it counts', () => {
    const result = forecastJourney(welcome, { constituents: 200, days: 90, seed: 3 });
    const { active, completed, converted, exited } = result.outcomes;
    expect(active + completed + converted + exited).toBe(result.enrolled);
    expect(result.enrolled).toBe(200);
    // Everybody is thanked: the thank-you is the first step.
    expect(result.byState.find((row) => row.state === 'thanked')).toMatchObject({ entered: 200, share: 1 });
    expect(result.byTemplate.find((row) => row.template === 'new-donor-thanks')?.count).toBe(200);
    const emailsPerDay = result.perDay.reduce((sum, day) => sum + day.email, 0);
    expect(emailsPerDay).toBe(result.byTemplate.filter((row) => row.channel === 'email').reduce((sum, row) => sum + row.count, 0));
    expect(result.perDay).toHaveLength(90);
    expect(result.conversionRate).toBeCloseTo(converted / result.enrolled);
  });

  it('generates trigger events that meet the trigger: every major-gift enrollment starts from a gift of 1,000 or more', () => {
    const result = forecastJourney(journey('major-gift-prospect'), { constituents: 150, days: 30, seed: 11 });
    expect(result.enrolled).toBe(150);
    expect(result.tasksByQueue.find((row) => row.queue === 'major-gifts')?.count).toBeGreaterThanOrEqual(150);
  });

  it('reports progress in order, ending at the total', () => {
    const seen: number[] = [];
    forecastJourney(welcome, { constituents: 250, days: 30, onProgress: (done, total) => (expect(total).toBe(250), seen.push(done)) });
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(250);
  });

  it('formats a table of states and a chart with its legend, by week for long windows', () => {
    const text = formatForecast(forecastJourney(welcome, { constituents: 100, days: 365, seed: 2 }));
    expect(text).toContain('Forecast for new-donor-welcome: 100 constituents over 365 days (seed 2)');
    for (const state of ['thanked', 'impact', 'secondAsk', 'completed']) expect(text).toMatch(new RegExp(`^${state}\\s+\\d+`, 'm'));
    expect(text).toContain('Sends per week   █ email  ▓ SMS  ░ staff tasks');
    expect(text).toMatch(/^week {2}53 │/m);
  });
});
