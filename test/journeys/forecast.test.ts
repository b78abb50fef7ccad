/** Forecasts: deterministic per seed, consistent with themselves, honest about triggers, and the same however they are run. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { firstGiftThankYou } from '../../journeys/first-gift-thank-you.ts';
import { JourneyDefinition, type JourneyDefinitionInput } from '../../src/journeys/definition.ts';
import { forecastJourney, forecastOneByOne, formatForecast, type ForecastOptions } from '../../src/journeys/forecast.ts';

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

/**
 * Exercises what the shipped journeys use little: a split (a guard on the
 * constituent's id), attributes set and then tested, a goal with conditions,
 * re-entry at will with a limit, and a reaction to the same event in two states.
 */
const splitAndRemember = JourneyDefinition.parse({
  id: 'split-and-remember',
  name: 'Split and remember',
  trigger: { event: 'custom', when: [{ field: 'event.name', in: ['signed-up', 'came-back'] }] },
  reentry: { policy: 'always' },
  limit: 3,
  goal: { event: 'donation', when: [{ field: 'event.amount', gte: 100 }], name: 'big-gift' },
  initial: 'assign',
  states: {
    assign: { split: [{ percent: 30, to: 'short' }, { percent: 70, to: 'long' }] },
    short: { entry: [{ do: 'set', attribute: 'track', value: 'short' }, { do: 'email', template: 'short-hello' }], after: [{ delay: '2d', to: 'check' }] },
    long: {
      entry: [{ do: 'set', attribute: 'track', value: 'long' }, { do: 'sms', template: 'long-hello' }],
      on: { donation: { to: 'check', do: [{ do: 'set', attribute: 'gave', value: true }] } },
      after: [{ delay: '9d', to: 'check' }],
    },
    check: { choose: [{ when: [{ field: 'constituent.attributes.track', eq: 'short' }], to: 'nudge' }, { to: 'nudge' }] },
    nudge: {
      entry: [{ do: 'task', queue: 'nudges', title: 'Nudge a sign-up', due: '1d' }, { do: 'set', attribute: 'nudged', value: true }],
      wait: { for: 'donation', to: 'thanked', timeout: '5d', then: 'wrapUp' },
      on: { custom: [{ to: 'short', when: [{ field: 'event.name', eq: 'came-back' }] }] },
    },
    // Reads an attribute set two steps earlier, so the steps between must carry it.
    wrapUp: { choose: [{ when: [{ field: 'constituent.attributes.gave', eq: true }], to: 'thanked' }, { to: 'done' }] },
    thanked: { entry: [{ do: 'email', template: 'thanks' }], final: true, outcome: 'converted' },
    done: { final: true },
  },
} satisfies JourneyDefinitionInput);

const shipped = [
  ...['lapsed-donor-winback', 'new-donor-welcome', 'event-registration', 'major-gift-prospect', 'recurring-gift-recovery'].map(journey),
  JourneyDefinition.parse(firstGiftThankYou),
];

describe('forecastJourney agrees exactly with simulating each constituent one by one', () => {
  const sameReport = (definition: JourneyDefinition, options: ForecastOptions) => {
    const fast = forecastJourney(definition, options);
    const oneByOne = forecastOneByOne(definition, options);
    expect(formatForecast(fast)).toBe(formatForecast(oneByOne));
    expect(fast).toEqual(oneByOne);
  };

  for (const definition of [...shipped, splitAndRemember]) {
    it(`for ${definition.id}, over several seeds and windows`, () => {
      for (const seed of [1, 5, 2026]) {
        for (const days of [21, 365]) sameReport(definition, { constituents: 120, days, seed });
      }
    });
  }

  it('for busy constituents: frequent events, many re-entries, every task worked', () => {
    const profile = { smsConsentShare: 0.9, taskCompletionShare: 1, dailyProbability: { donation: 0.05, custom: 0.08, 'drop-off': 0.1 } };
    for (const definition of [...shipped, splitAndRemember]) sameReport(definition, { constituents: 60, days: 200, seed: 9, profile });
  });

  it('for any seed, population and window', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...shipped, splitAndRemember),
        fc.integer({ min: -2_000_000, max: 2_000_000 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 400 }),
        (definition, seed, constituents, days) => sameReport(definition, { constituents, days, seed }),
      ),
      { numRuns: 40 },
    );
  });

  it('stops a journey whose timers loop without end with the simulator\'s own message', () => {
    // Every minute it times out of one state, decides at once to go back, and is in it again.
    const loop = JourneyDefinition.parse(
      YAML.parse(`
        id: round-and-round
        name: Round and round
        trigger: { event: donation }
        initial: waiting
        states:
          waiting:
            entry: [{ do: email, template: still-here }]
            wait: { for: custom, to: again, timeout: 1m, then: again }
          again:
            choose: [{ to: waiting }]
      `),
    );
    const options = { constituents: 5, days: 30, seed: 3 };
    const expected = (() => {
      try {
        forecastOneByOne(loop, options);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('the simulator did not stop the loop');
    })();
    expect(expected).toContain('loop without end');
    expect(() => forecastJourney(loop, options)).toThrow(expected);
  });
});
