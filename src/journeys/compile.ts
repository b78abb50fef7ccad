/**
 * Compiles a journey definition into an XState v5 machine. The machine is pure:
 * its actions are named and parameterized placeholders (`sendEmail`, `createTask`)
 * that the runtime or the simulator reads from `transition()` and performs; its
 * guards are named too (`matches`, `inBucket`), so the machine stays data plus a
 * small fixed vocabulary, and runs the same in a workflow and in a test.
 */
import { assign, setup, type AnyStateMachine } from 'xstate';
import { holds, lookup, type ConditionScope } from './conditions.ts';
import type { Action, Condition, Delay, JourneyDefinition } from './definition.ts';
import { parseDuration } from './duration.ts';
import { RESERVED_STATES, transitionsOf } from './transitions.ts';
import { EXIT_TAG, GOAL_TAG, type ConstituentFacts, type JourneyEvent } from './vocabulary.ts';

/** What a journey machine knows. Ids and facts only: it is kept in Temporal's history. */
export interface JourneyContext {
  enrollmentId: string;
  constituentId: string;
  journeyId: string;
  /** Epoch ms the enrollment began (workflow or simulated time). */
  enrolledAt: number;
  /** The event that enrolled the constituent; `trigger.*` conditions read its data. */
  trigger: Pick<JourneyEvent, 'eventId' | 'type' | 'occurredAt' | 'data'> | null;
  constituent: ConstituentFacts;
  /** Attributes set by this journey's `set` actions. */
  attributes: Record<string, string | number | boolean>;
  /** How often each timer with a `limit` has moved this enrollment on, by delay name; absent until one has. */
  rounds?: Record<string, number>;
}

export type JourneyMachineInput = Pick<JourneyContext, 'enrollmentId' | 'constituentId' | 'enrolledAt'> & {
  trigger?: JourneyContext['trigger'];
  constituent?: ConstituentFacts;
};

/** Sent by the runtime when the constituent's facts (consent, giving) have changed. */
export interface FactsUpdatedEvent {
  type: 'facts.updated';
  constituent: ConstituentFacts;
  at?: number;
}

export type JourneyMachineEvent = JourneyEvent | FactsUpdatedEvent;

/** The effects a journey step can ask for, with their parameters as the runtime receives them. */
export interface JourneyEffectParams {
  sendEmail: { template: string };
  sendSms: { template: string };
  createTask: { queue: string; title: string; dueInMs: number | null };
  setAttribute: { attribute: string; value: string | number | boolean };
  recordGoal: { name: string };
}
export type JourneyEffectType = keyof JourneyEffectParams;
export const journeyEffectTypes: readonly JourneyEffectType[] = ['sendEmail', 'sendSms', 'createTask', 'setAttribute', 'recordGoal'];

const inert = () => {};

/** Delays named `<state>:decide` carry a decision state's branches; the interpreter reports them as `decision`. */
export const DECISION_DELAY_SUFFIX = ':decide';

/** The shared `setup()`: journeys written in TypeScript use it too, so they speak the same vocabulary. */
export const journeySetup = setup({
  types: {} as { context: JourneyContext; input: JourneyMachineInput; events: JourneyMachineEvent },
  actions: {
    sendEmail: (_: unknown, _params: JourneyEffectParams['sendEmail']) => inert(),
    sendSms: (_: unknown, _params: JourneyEffectParams['sendSms']) => inert(),
    createTask: (_: unknown, _params: JourneyEffectParams['createTask']) => inert(),
    setAttribute: (_: unknown, _params: JourneyEffectParams['setAttribute']) => inert(),
    recordGoal: (_: unknown, _params: JourneyEffectParams['recordGoal']) => inert(),
    rememberAttribute: assign(({ context }, params: JourneyEffectParams['setAttribute']) => ({
      attributes: { ...context.attributes, [params.attribute]: params.value },
    })),
    updateFacts: assign(({ context, event }) => ({
      constituent: event.type === 'facts.updated' ? event.constituent : context.constituent,
    })),
    countRound: assign(({ context }, params: { key: string }) => ({
      rounds: { ...context.rounds, [params.key]: (context.rounds?.[params.key] ?? 0) + 1 },
    })),
  },
  guards: {
    matches: ({ context, event }, params: { conditions: Condition[] }) => holds(params.conditions, conditionScope(context, event)),
    underLimit: ({ context }, params: { key: string; limit: number }) => (context.rounds?.[params.key] ?? 0) < params.limit,
    inBucket: ({ context }, params: { from: number; to: number; salt: string }) => {
      const bucket = splitBucket(context.constituentId, params.salt);
      return bucket >= params.from && bucket < params.to;
    },
  },
});

export function conditionScope(context: JourneyContext, event: { type: string; data?: unknown; at?: number }): ConditionScope {
  return {
    // Events carry the time they are applied; on entering the first state that is the enrollment.
    now: event.at ?? (event.type === 'xstate.init' ? context.enrolledAt : undefined),
    event: (typeof event.data === 'object' && event.data !== null ? event.data : {}) as Record<string, unknown>,
    trigger: context.trigger?.data ?? {},
    constituent: {
      ...context.constituent,
      attributes: { ...context.constituent.attributes, ...context.attributes },
    } as Record<string, unknown>,
  };
}

/**
 * A constituent's bucket (0-99) for a split: the same constituent always lands in
 * the same branch of the same split, and different splits divide people independently.
 */
export function splitBucket(constituentId: string, salt: string): number {
  // FNV-1a, 32 bit: stable across processes and platforms, no dependencies.
  let hash = 0x811c9dc5;
  for (const char of `${salt}:${constituentId}`) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 100;
}

type ActionObject = { type: string; params: Record<string, unknown> };

function compileActions(actions: readonly Action[] | undefined): ActionObject[] {
  return (actions ?? []).flatMap((action): ActionObject[] => {
    switch (action.do) {
      case 'email':
        return [{ type: 'sendEmail', params: { template: action.template } }];
      case 'sms':
        return [{ type: 'sendSms', params: { template: action.template } }];
      case 'task':
        return [{ type: 'createTask', params: { queue: action.queue, title: action.title, dueInMs: action.due ? durationMs(action.due) : null } }];
      case 'set': {
        const params = { attribute: action.attribute, value: action.value };
        return [{ type: 'setAttribute', params }, { type: 'rememberAttribute', params }];
      }
      case 'goal':
        return [{ type: 'recordGoal', params: { name: action.name } }];
    }
  });
}

function guardFor(conditions: readonly Condition[] | undefined) {
  return conditions && conditions.length > 0 ? { guard: { type: 'matches' as const, params: { conditions: [...conditions] } } } : {};
}

function durationMs(text: string): number {
  const parsed = parseDuration(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.ms;
}

/** A delay as XState takes it: fixed milliseconds, or computed when the state is entered. */
function compileDelay(delay: Delay) {
  if (typeof delay === 'string') return durationMs(delay);
  const by = delay.by ? durationMs(delay.by) : 0;
  return ({ context, event }: { context: JourneyContext; event: { type: string; at?: number; data?: unknown } }) => {
    const now = event.at ?? (event.type === 'xstate.init' ? context.enrolledAt : undefined);
    if (now === undefined) throw new Error(`A wait "before ${delay.before}" needs the time of the event "${event.type}"`);
    const moment = Date.parse(String(lookup(delay.before, conditionScope(context, event))));
    // No usable date: the wait ends at once rather than never.
    return Number.isNaN(moment) ? 0 : Math.max(0, moment - by - now);
  };
}

/** Compiles a parsed, validated definition. Throws only on what validation reports as an error. */
export function compileJourney(definition: JourneyDefinition): AnyStateMachine {
  const delays: Record<string, ReturnType<typeof compileDelay>> = {};
  const goal = definition.goal;
  const states: Record<string, unknown> = {};

  for (const [name, state] of Object.entries(definition.states)) {
    const entry = compileActions(state.entry);
    if (state.final) {
      states[name] = { type: 'final', entry, tags: state.outcome === 'converted' ? [GOAL_TAG] : [] };
      continue;
    }
    const on: Record<string, unknown[]> = {};
    const add = (event: string, transition: unknown) => (on[event] ??= []).push(transition);
    // The goal and the exits come first: they apply "from any state", even one that
    // also listens to the same event.
    if (goal) {
      add(goal.event, {
        ...guardFor(goal.when),
        target: RESERVED_STATES.goal,
        actions: [{ type: 'recordGoal', params: { name: goal.name ?? definition.id } }],
      });
    }
    // Manual removal (an operator, or archiving the journey) always ends an enrollment.
    for (const exit of new Set([...definition.exits, 'removed' as const])) add(exit, { target: RESERVED_STATES.exit });
    for (const [event, spec] of Object.entries(state.on ?? {})) {
      for (const transition of transitionsOf(spec)) {
        add(event, { ...guardFor(transition.when), target: transition.to, actions: compileActions(transition.do) });
      }
    }
    const after: Record<string, unknown> = {};
    if (state.wait) {
      add(state.wait.for, { ...guardFor(state.wait.when), target: state.wait.to });
      const delayName = `${name}:timeout`;
      delays[delayName] = compileDelay(state.wait.timeout);
      after[delayName] = { target: state.wait.then };
    }
    for (const [index, timed] of (state.after ?? []).entries()) {
      const delayName = `${name}:after:${index}`;
      delays[delayName] = compileDelay(timed.delay);
      // A limited timer counts its rounds; past its limit it no longer moves the enrollment.
      after[delayName] = timed.limit
        ? { guard: { type: 'underLimit', params: { key: delayName, limit: timed.limit } }, target: timed.to, actions: [{ type: 'countRound', params: { key: delayName } }, ...compileActions(timed.do)] }
        : { target: timed.to, actions: compileActions(timed.do) };
    }
    // A decision (choose or split) is taken on a zero-length timer rather than as an
    // eventless transition, so that the decision state is a step of its own: entered,
    // recorded and counted like any other, not skipped inside one XState macrostep.
    const branches = state.choose
      ? state.choose.map((branch) => ({ ...guardFor(branch.when), target: branch.to }))
      : state.split
        ? splitBranches(`${definition.id}:${name}`, state.split)
        : undefined;
    if (branches) {
      const delayName = `${name}${DECISION_DELAY_SUFFIX}`;
      delays[delayName] = 0;
      after[delayName] = branches;
    }
    states[name] = { entry, on, after };
  }

  if (goal) states[RESERVED_STATES.goal] = { type: 'final', tags: [GOAL_TAG] };
  states[RESERVED_STATES.exit] = { type: 'final', tags: [EXIT_TAG] };

  const machine = journeySetup.extend({ delays: delays as never }).createMachine({
    id: definition.id,
    initial: definition.initial,
    context: ({ input }) => ({
      enrollmentId: input.enrollmentId,
      constituentId: input.constituentId,
      journeyId: definition.id,
      enrolledAt: input.enrolledAt,
      trigger: input.trigger ?? null,
      constituent: input.constituent ?? {},
      attributes: {},
    }),
    on: { 'facts.updated': { actions: 'updateFacts' } },
    states: states as never,
  });
  // The states are built from data, so their names are not known to the type system.
  return machine as unknown as AnyStateMachine;
}

/** Consecutive bucket ranges: 30/70 becomes [0,30) and [30,100). */
function splitBranches(salt: string, split: { percent: number; to: string }[]) {
  let from = 0;
  return split.map(({ percent, to }, index) => {
    const end = index === split.length - 1 ? 100 : from + percent;
    const branch = { guard: { type: 'inBucket' as const, params: { from, to: end, salt } }, target: to };
    from = end;
    return branch;
  });
}
