/**
 * The rule for things that happen at the same instant, as the simulator and the
 * forecast apply it: timers due together fire in arming order, before an event at
 * their instant, each step stamped at its due time; trigger conditions judged at the
 * event's own moment; a migration takes effect at its instant.
 */
import { describe, expect, it } from 'vitest';
import { JourneyDefinition, type JourneyDefinitionInput } from '../../src/journeys/definition.ts';
import { forecastJourney, forecastOneByOne } from '../../src/journeys/forecast.ts';
import { eventInstant, LATE_EVENT_MS } from '../../src/journeys/simultaneity.ts';
import { simulateJourney, type SimulationResult } from '../../src/journeys/simulate.ts';
import { lateReminders } from '../support/tie-journeys.ts';

const DAY = 86_400_000;
const START = Date.parse('2026-03-02T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const steps = (result: SimulationResult) =>
  result.enrollments.flatMap((enrollment) => enrollment.steps.map((step) => `${step.fromState ?? '(start)'} -> ${step.toState} [${step.cause}] +${(step.at - START) / DAY}d`));

/** Registrations at least 14 days ahead of the event are welcomed; later ones are not. */
const earlyBirds = JourneyDefinition.parse({
  id: 'early-birds',
  name: 'Early birds',
  trigger: { event: 'registration', when: [{ field: 'event.startsAt', atLeastAhead: '14d' }] },
  initial: 'welcomed',
  states: { welcomed: { entry: [{ do: 'email', template: 'welcome' }], after: [{ delay: '1d', to: 'done' }] }, done: { final: true } },
} satisfies JourneyDefinitionInput);

describe('trigger conditions are judged at the moment of the event', () => {
  it('enrolls a registration 20 days ahead and not one 10 days ahead', () => {
    const registration = (daysAhead: number) =>
      simulateJourney(earlyBirds, { events: [{ at: iso(START), type: 'registration', data: { program: 'Gala', startsAt: iso(START + daysAhead * DAY) } }] });
    expect(registration(20).enrollments).toHaveLength(1);
    expect(registration(10).enrollments).toHaveLength(0);
  });

  it('in the forecast too, which agrees with simulating each constituent', () => {
    const options = { constituents: 60, days: 30, seed: 5 };
    const fast = forecastJourney(earlyBirds, options);
    expect(fast.enrolled).toBeGreaterThan(0);
    expect(fast).toEqual(forecastOneByOne(earlyBirds, options));
  });
});

describe('timers due at the same instant', () => {
  const reminders = JourneyDefinition.parse(lateReminders);

  it('fire in the order they were armed, each at its due instant', () => {
    const result = simulateJourney(reminders, { events: [{ at: iso(START), type: 'registration', data: { startsAt: iso(START + 12 * 3_600_000) } }] });
    expect(steps(result)).toEqual(['(start) -> registered [enrolled] +0d', 'registered -> week [timer] +0d', 'week -> day [timer] +0d', 'day -> done [timer] +1d']);
    expect(result.entries.filter((entry) => entry.kind === 'email').map((entry) => (entry as { template: string }).template)).toEqual(['event-reminder-week', 'event-reminder-day']);
  });
});

describe('migrations', () => {
  const version = (delay: string, template: string): JourneyDefinition =>
    JourneyDefinition.parse({
      id: 'migrating',
      name: 'Migrating',
      trigger: { event: 'donation' },
      initial: 'waiting',
      states: { waiting: { entry: [{ do: 'email', template }], after: [{ delay, to: 'done' }] }, done: { final: true } },
    } satisfies JourneyDefinitionInput);

  it('take effect at their instant, after the timers due by then, and start the mapped state\'s timers afresh', () => {
    const result = simulateJourney(version('3d', 'first'), { events: [{ at: iso(START), type: 'donation', data: { amount: 5 } }] }, undefined, [
      { at: START + 2 * DAY, definition: version('5d', 'second'), states: { waiting: 'waiting' } },
    ]);
    expect(steps(result)).toEqual(['(start) -> waiting [enrolled] +0d', 'waiting -> waiting [migrated] +2d', 'waiting -> done [timer] +7d']);
  });
});

describe('the instant an event takes effect on the runtime', () => {
  const now = START + 10 * DAY;
  it('is when it happened, not before the latest step and not in the future', () => {
    expect(eventInstant(now - 5_000, now, now - DAY)).toBe(now - 5_000);
    expect(eventInstant(now - 5_000, now, now - 1_000)).toBe(now - 1_000);
    expect(eventInstant(now + DAY, now, undefined)).toBe(now);
  });

  it('is when it arrives for an event that arrives late (an import of old records)', () => {
    expect(eventInstant(now - LATE_EVENT_MS - 1, now, undefined)).toBe(now);
    expect(eventInstant(Number.NaN, now, undefined)).toBe(now);
  });
});
