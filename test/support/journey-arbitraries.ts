/**
 * fast-check generators of valid journey definitions and of event timelines for
 * them. Every state is reachable (a "spine" leads from each state to the next),
 * decisions only point forward (no instant loops), a timer leading back has a
 * limit (no endless loop of timers), and delays within a state are
 * distinct, so that no two timers of one state fall due at the same moment.
 */
import fc from 'fast-check';
import type { Action, Condition, JourneyDefinitionInput, State } from '../../src/journeys/definition.ts';
import type { ValidationCatalog } from '../../src/journeys/validate.ts';

export const propertyCatalog: ValidationCatalog = {
  emailTemplates: new Set(['welcome', 'reminder', 'ask']),
  smsTemplates: new Set(['nudge']),
  taskQueues: new Set(['stewardship', 'major-gifts']),
};

const DELAYS = ['1h', '6h', '1d', '3d', '7d', '30d'];
const OUTCOMES = ['reached', 'pledged', 'no-answer'];
const NAMES = ['checked-in', 'opened'];

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.constantFrom('welcome', 'reminder', 'ask').map((template) => ({ do: 'email' as const, template })),
  fc.constant({ do: 'sms' as const, template: 'nudge' }),
  fc.record({ queue: fc.constantFrom('stewardship', 'major-gifts'), due: fc.option(fc.constantFrom('2d', '48h'), { nil: undefined }) }).map(
    ({ queue, due }) => ({ do: 'task' as const, queue, title: 'Call the donor', ...(due ? { due } : {}) }),
  ),
  fc.constantFrom('stage', 'score').chain((attribute) => fc.constantFrom('a', 'b', 1).map((value) => ({ do: 'set' as const, attribute, value }))),
);

const eventCondition = (type: 'donation' | 'custom' | 'task-completed'): fc.Arbitrary<Condition[] | undefined> => {
  const condition: fc.Arbitrary<Condition> =
    type === 'donation'
      ? fc.oneof(fc.constantFrom(25, 100, 500).map((gte) => ({ field: 'event.amount', gte })), fc.constantFrom(50, 200).map((lt) => ({ field: 'event.amount', lt })))
      : type === 'custom'
        ? fc.constantFrom(...NAMES).map((eq) => ({ field: 'event.name', eq }))
        : fc.oneof(fc.constantFrom(...OUTCOMES).map((eq) => ({ field: 'event.outcome', eq })), fc.constant<Condition>({ field: 'event.outcome', in: ['reached', 'pledged'] }));
  return fc.option(condition.map((c) => [c]), { nil: undefined });
};

const eventType = fc.constantFrom('donation' as const, 'custom' as const, 'task-completed' as const);

/** One non-final state `index` of `count`, whose spine leads to `index + 1`. */
function stateArbitrary(index: number, count: number): fc.Arbitrary<State> {
  const next = `s${index + 1}`;
  const anyState = fc.integer({ min: 0, max: count - 1 }).map((n) => `s${n}`);
  const laterState = fc.integer({ min: index + 1, max: count - 1 }).map((n) => `s${n}`);
  const entry = fc.array(action, { maxLength: 2 });

  const timed = fc
    .record({
      entry,
      spineDelay: fc.constantFrom(...DELAYS),
      extraAfter: fc.option(fc.record({ to: anyState, delay: fc.constantFrom(...DELAYS) }), { nil: undefined }),
      on: fc.array(fc.record({ type: eventType, to: anyState }).chain(({ type, to }) => eventCondition(type).map((when) => ({ type, to, when }))), { maxLength: 3 }),
    })
    .map(({ entry, spineDelay, extraAfter, on }): State => {
      const after: NonNullable<State['after']> = [{ delay: spineDelay, to: next }];
      // A timer leading back makes a loop of timers, which must be bounded.
      if (extraAfter && extraAfter.delay !== spineDelay) after.push(Number(extraAfter.to.slice(1)) <= index ? { ...extraAfter, limit: 2 } : extraAfter);
      const transitions: NonNullable<State['on']> = {};
      for (const { type, to, when } of on) {
        const list = (transitions[type] ?? []) as { to: string; when?: Condition[] }[];
        list.push({ to, ...(when ? { when } : {}) });
        transitions[type] = list;
      }
      return { entry, after, ...(on.length ? { on: transitions } : {}) };
    });

  const waiting = fc
    .record({ entry, type: eventType, to: anyState, timeout: fc.constantFrom(...DELAYS) })
    .chain(({ entry, type, to, timeout }) =>
      eventCondition(type).map((when): State => ({ entry, wait: { for: type, to, timeout, then: next, ...(when ? { when } : {}) } })),
    );

  const choosing = fc
    .record({
      entry,
      branch: fc.option(fc.record({ to: laterState, gte: fc.constantFrom(50, 100, 1000) }), { nil: undefined }),
      sms: fc.boolean(),
    })
    .map(({ entry, branch, sms }): State => ({
      entry,
      choose: [
        ...(branch ? [{ when: [{ field: 'trigger.amount', gte: branch.gte }], to: branch.to }] : []),
        ...(sms ? [{ when: [{ field: 'constituent.consent.sms', eq: 'granted' }], to: next }] : []),
        { to: next },
      ],
    }));

  const splitting = fc
    .record({ entry, percent: fc.constantFrom(10, 30, 50, 70), other: laterState })
    .map(({ entry, percent, other }): State => ({ entry, split: [{ percent, to: next }, { percent: 100 - percent, to: other }] }));

  return fc.oneof({ arbitrary: timed, weight: 3 }, { arbitrary: waiting, weight: 1 }, { arbitrary: choosing, weight: 1 }, { arbitrary: splitting, weight: 1 });
}

export const journeyDefinition: fc.Arbitrary<JourneyDefinitionInput> = fc.integer({ min: 2, max: 7 }).chain((count) =>
  fc
    .record({
      states: fc.tuple(...Array.from({ length: count - 1 }, (_, index) => stateArbitrary(index, count))),
      finalEntry: fc.array(action, { maxLength: 1 }),
      converted: fc.boolean(),
      goal: fc.option(fc.constantFrom(100, 500), { nil: undefined }),
    })
    .map(({ states, finalEntry, converted, goal }): JourneyDefinitionInput => ({
      id: 'generated',
      name: 'Generated journey',
      trigger: { event: 'donation' },
      ...(goal ? { goal: { event: 'donation', when: [{ field: 'event.amount', gte: goal }], name: 'big-gift' } } : {}),
      initial: 's0',
      states: Object.fromEntries([
        ...states.map((state, index) => [`s${index}`, state]),
        [`s${count - 1}`, { entry: finalEntry, final: true, ...(converted ? { outcome: 'converted' } : {}) }],
      ]),
    })),
);

export interface GeneratedEvent {
  offsetMs: number;
  type: 'donation' | 'custom' | 'task-completed' | 'unsubscribed';
  data: Record<string, unknown>;
}

/** A trigger gift at time 0, then up to twelve events at increasing, distinct moments. */
export const eventTimeline: fc.Arbitrary<{ trigger: number; smsConsent: boolean; events: GeneratedEvent[] }> = fc.record({
  trigger: fc.constantFrom(20, 60, 150, 1200),
  smsConsent: fc.boolean(),
  events: fc
    .array(
      fc.record({
        gapMinutes: fc.integer({ min: 1, max: 20 * 24 * 60 }),
        type: fc.constantFrom('donation' as const, 'custom' as const, 'task-completed' as const, 'task-completed' as const, 'unsubscribed' as const),
        amount: fc.constantFrom(10, 60, 150, 600),
        name: fc.constantFrom(...NAMES, 'other'),
        outcome: fc.constantFrom(...OUTCOMES, 'other'),
      }),
      { maxLength: 12 },
    )
    .map((items) => {
      let offset = 0;
      return items.map(({ gapMinutes, type, amount, name, outcome }) => {
        // Odd seconds keep events off the round minutes where timers fall due.
        offset += gapMinutes * 60_000 + 7_000;
        const data = type === 'donation' ? { amount, currency: 'USD' } : type === 'custom' ? { name } : type === 'task-completed' ? { outcome } : { channel: 'email' };
        return { offsetMs: offset, type, data };
      });
    }),
});
