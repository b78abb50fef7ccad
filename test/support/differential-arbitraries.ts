/**
 * Generated journeys and timelines that put things at the same instant on purpose:
 * every delay and every event falls on a multiple of 12 hours from the trigger, so
 * several timers fall due together (`3d`, `72h`, `P3D`), events land on timers'
 * instants, decisions and `0s` waits chain at one instant, `before:` waits are often
 * already past, goals and exits arrive as waits time out, and a migration may move
 * the enrollment at a timer's instant. Timers only lead forward (a journey always
 * ends); events may lead anywhere.
 */
import fc from 'fast-check';
import type { Action, Condition, Delay, JourneyDefinitionInput, State } from '../../src/journeys/definition.ts';

export const HALF_DAY = 12 * 3_600_000;

/** Equal lengths written differently, and zero: ties by construction. */
const DELAYS = ['0s', '12h', '1d', '24h', 'PT24H', '36h', '2d', '3d', '72h', 'P3D'];
const delay: fc.Arbitrary<Delay> = fc.oneof(
  { arbitrary: fc.constantFrom(...DELAYS), weight: 3 },
  { arbitrary: fc.constantFrom('0s', '12h', '1d', '2d').map((by) => ({ before: 'trigger.startsAt', by })), weight: 1 },
);

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.constantFrom('event-confirmation', 'event-reminder-week', 'event-reminder-day').map((template) => ({ do: 'email' as const, template })),
  fc.constant({ do: 'sms' as const, template: 'event-reminder-day-sms' }),
  fc.record({ queue: fc.constantFrom('events', 'stewardship'), due: fc.constantFrom(undefined, '1d', '36h') }).map(({ queue, due }) => ({ do: 'task' as const, queue, title: 'Call the registrant', ...(due ? { due } : {}) })),
  fc.constantFrom('a', 'b').map((value) => ({ do: 'set' as const, attribute: 'stage', value })),
);

const listened = fc.oneof(
  fc.constantFrom<Condition[] | undefined>(undefined, [{ field: 'event.name', eq: 'checked-in' }]).map((when) => ({ type: 'custom' as const, when })),
  fc.constant({ type: 'donation' as const, when: undefined }),
);

function stateAt(index: number, count: number): fc.Arbitrary<State> {
  const next = `s${index + 1}`;
  const forward = fc.integer({ min: index + 1, max: count - 1 }).map((n) => `s${n}`);
  const anywhere = fc.integer({ min: 0, max: count - 1 }).map((n) => `s${n}`);
  const entry = fc.array(action, { maxLength: 2 });
  const timed = fc
    .record({ entry, first: delay, more: fc.array(fc.record({ delay, to: forward }), { maxLength: 2 }), on: fc.option(fc.record({ event: listened, to: anywhere }), { nil: undefined }) })
    .map(({ entry, first, more, on }): State => ({
      entry,
      after: [{ delay: first, to: next }, ...more],
      ...(on ? { on: { [on.event.type]: [{ to: on.to, ...(on.event.when ? { when: on.event.when } : {}) }] } } : {}),
    }));
  const waiting = fc
    .record({ entry, event: listened, to: anywhere, timeout: delay, after: fc.option(fc.record({ delay, to: forward }), { nil: undefined }) })
    .map(({ entry, event, to, timeout, after }): State => ({
      entry,
      wait: { for: event.type, to, timeout, then: next, ...(event.when ? { when: event.when } : {}) },
      ...(after ? { after: [after] } : {}),
    }));
  const choosing = fc.record({ entry, other: forward }).map(({ entry, other }): State => ({
    entry,
    choose: [
      { when: [{ field: 'trigger.startsAt', atLeastAhead: '2d' }], to: other },
      { when: [{ field: 'constituent.consent.sms', eq: 'granted' }], to: next },
      { to: next },
    ],
  }));
  const splitting = fc.record({ entry, other: forward }).map(({ entry, other }): State => ({ entry, split: [{ percent: 50, to: next }, { percent: 50, to: other }] }));
  return fc.oneof({ arbitrary: timed, weight: 3 }, { arbitrary: waiting, weight: 2 }, { arbitrary: choosing, weight: 1 }, { arbitrary: splitting, weight: 1 });
}

/** A registration journey of 2 to 6 states; its id is set by the caller. */
export const tieJourney: fc.Arbitrary<JourneyDefinitionInput> = fc.integer({ min: 2, max: 6 }).chain((count) =>
  fc
    .record({
      states: fc.tuple(...Array.from({ length: count - 1 }, (_, index) => stateAt(index, count))),
      last: fc.array(action, { maxLength: 1 }),
      converted: fc.boolean(),
      early: fc.boolean(),
      goal: fc.boolean(),
    })
    .map(({ states, last, converted, early, goal }): JourneyDefinitionInput => ({
      id: 'tie',
      name: 'Generated journey with ties',
      trigger: { event: 'registration', ...(early ? { when: [{ field: 'event.startsAt', atLeastAhead: '2d' }] } : {}) },
      ...(goal ? { goal: { event: 'donation', when: [{ field: 'event.amount', gte: 100 }], name: 'gift' } } : {}),
      initial: 's0',
      states: Object.fromEntries([
        ...states.map((state, index) => [`s${index}`, state]),
        [`s${count - 1}`, { entry: last, final: true, ...(converted ? { outcome: 'converted' } : {}) }],
      ]),
    })),
);

export type LaterEvent =
  | { after: number; type: 'custom'; data: { name: string } }
  | { after: number; type: 'donation'; data: { amount: number; currency: string } }
  | { after: number; type: 'unsubscribed'; data: { channel: string } }
  | { after: number; type: 'removed'; data: { reason: string } };

export interface TieTimeline {
  /** Half-days from the registration to the event it registers for (may be past). */
  startsIn: number;
  smsConsent: boolean;
  /** Events after the trigger, in the order sent; `after` is ms from the trigger, a multiple of 12 hours. */
  events: LaterEvent[];
  /** A move onto version 2 (same states, every delay changed), ms after the trigger. */
  migrateAfter: number | undefined;
}

const halfDays = (max: number) => fc.integer({ min: 0, max }).map((n) => n * HALF_DAY);
/** Mostly early, where most timers fall due, so events meet timers at their instants. */
const eventTime = fc.oneof({ arbitrary: halfDays(6), weight: 2 }, { arbitrary: halfDays(16), weight: 1 });

const laterEvent: fc.Arbitrary<LaterEvent> = fc.oneof(
  { arbitrary: fc.record({ after: eventTime, name: fc.constantFrom('checked-in', 'other') }).map(({ after, name }) => ({ after, type: 'custom' as const, data: { name } })), weight: 3 },
  { arbitrary: fc.record({ after: eventTime, amount: fc.constantFrom(50, 150) }).map(({ after, amount }) => ({ after, type: 'donation' as const, data: { amount, currency: 'USD' } })), weight: 2 },
  { arbitrary: eventTime.map((after) => ({ after, type: 'unsubscribed' as const, data: { channel: 'email' } })), weight: 1 },
  { arbitrary: eventTime.map((after) => ({ after, type: 'removed' as const, data: { reason: 'test' } })), weight: 1 },
);

export const tieTimeline: fc.Arbitrary<TieTimeline> = fc.record({
  startsIn: fc.integer({ min: -2, max: 16 }),
  smsConsent: fc.boolean(),
  // Stable by time: events at one instant keep the order they are sent in.
  events: fc.array(laterEvent, { maxLength: 5 }).map((events) => [...events].sort((a, b) => a.after - b.after)),
  migrateAfter: fc.option(halfDays(10), { nil: undefined, freq: 3 }),
});

/** Version 2 of a generated journey: the same states, each delay written longer, so a migration changes what comes next. */
export function secondVersion(journey: JourneyDefinitionInput): JourneyDefinitionInput {
  const longer = (value: Delay): Delay => (typeof value === 'string' ? (value === '0s' ? '12h' : `P0DT${Number(value === '1d' || value === '24h' || value === 'PT24H' ? 36 : 60)}H`) : { ...value, by: '0s' });
  const states = Object.fromEntries(
    Object.entries(journey.states).map(([name, state]) => [
      name,
      {
        ...state,
        ...(state.after ? { after: state.after.map((timed) => ({ ...timed, delay: longer(timed.delay) })) } : {}),
        ...(state.wait ? { wait: { ...state.wait, timeout: longer(state.wait.timeout) } } : {}),
      },
    ]),
  );
  return { ...journey, version: 2, states };
}
