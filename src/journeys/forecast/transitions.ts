/**
 * A journey machine's transitions, worked out by XState once and then reused.
 *
 * In a compiled journey, what a transition does (the state it reaches, the effects
 * it asks for, the timers it arms and cancels, the attributes it sets) is decided
 * by the state, the event type, which of the candidate transitions' guards passes
 * first, and the attributes already set. Guards are evaluated per enrollment, with
 * the machine's own guard implementations; the first time a combination is seen
 * XState's `transition()` is asked, and its answer is kept. Delays computed from
 * the enrollment (`before: trigger.startsAt`) are computed again each time.
 * Anything that escapes this (a guard XState alone can evaluate, context changed
 * beyond attributes, an event raised at once) is asked of XState every time.
 */
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine, type StateNode } from 'xstate';
import { journeyEffectTypes, type JourneyContext, type JourneyMachineInput } from '../compile.ts';
import { stateName, statusOf, type EnrollmentStatus, type JourneyEffect } from '../interpreter.ts';

/** An event as a forecast applies it: `at` is the simulated time it is applied. */
export interface ForecastEvent {
  type: string;
  data?: Record<string, unknown>;
  at: number;
  [key: string]: unknown;
}

type Attributes = JourneyContext['attributes'];
type DelayFunction = (args: { context: JourneyContext; event: unknown }, params: undefined) => unknown;

/** Timer work of one transition, in the order XState gave it. */
export type TimerOrder =
  | { kind: 'arm'; id: string; event: { type: string }; delay: number; computeDelay: DelayFunction | undefined }
  | { kind: 'cancel'; id: string }
  | { kind: 'raise'; event: { type: string } };

/** What one transition does to an enrollment. */
export interface TransitionOutcome {
  state: string;
  status: EnrollmentStatus;
  /** Whether this is a step of the journey (it moved or asked for something), not just a change of context. */
  isStep: boolean;
  effects: JourneyEffect[];
  timers: TimerOrder[];
  attributes: Attributes;
  /** The whole context, when XState changed more than attributes: the outcome was not kept. */
  context: JourneyContext | undefined;
}

type Guard = { type: string; params?: unknown } | undefined;
type GuardImplementation = (args: { context: JourneyContext; event: ForecastEvent }, params: unknown) => unknown;

/** The transitions of one state for one event type, and the outcomes seen, per first passing candidate. */
interface Candidates {
  guards: { guard: Guard; check: GuardImplementation | undefined }[];
  /** False when a guard is not a named guard with fixed parameters: XState evaluates it every time. */
  plain: boolean;
  outcomes: Map<Attributes, TransitionOutcome>[];
}

const STEPLESS_ACTIONS = new Set(['xstate.assign', 'updateFacts', 'rememberAttribute', 'countRound']);
const effectTypes = new Set<string>(journeyEffectTypes);

export class JourneyTransitions {
  private readonly candidates = new Map<string, Map<string, Candidates>>();
  private readonly attributeSets = new Map<string, Attributes>();
  private readonly delayOf = new Map<string, string | number>();
  private started: TransitionOutcome | undefined;
  private readonly noAttributes: Attributes = this.intern({});

  private constructor(private readonly machine: AnyStateMachine) {
    for (const node of Object.values(machine.states) as StateNode[]) {
      for (const timed of node.after) this.delayOf.set(timed.eventType, timed.delay as string | number);
    }
  }

  /**
   * The transitions of a machine shaped as `compileJourney` shapes them: one level of
   * states, no eventless or wildcard transitions, no invoked actors, context built
   * from input. Undefined for any other machine.
   */
  static of(machine: AnyStateMachine): JourneyTransitions | undefined {
    const root = machine.root;
    if (typeof machine.config.context !== 'function' || root.after.length > 0 || root.always?.length) return undefined;
    const nodes = [root, ...(Object.values(machine.states) as StateNode[])];
    for (const node of nodes) {
      if (node.invoke.length > 0 || [...node.transitions.keys()].some((type) => type.includes('*'))) return undefined;
      if (node !== root && (node.always?.length || Object.keys(node.states).length > 0 || (node.type !== 'atomic' && node.type !== 'final'))) return undefined;
    }
    return new JourneyTransitions(machine);
  }

  /** Enters the initial state: the enrollment's context, and what entering asks for. */
  start(input: JourneyMachineInput): { context: JourneyContext; outcome: TransitionOutcome } {
    const made = (this.machine.config.context as (args: { input: JourneyMachineInput }) => JourneyContext)({ input });
    const context = { ...made, attributes: Object.keys(made.attributes).length === 0 ? this.noAttributes : this.intern(made.attributes) };
    if (this.started) return { context: this.after(context, this.started), outcome: this.started };
    const [snapshot, actions] = initialTransition(this.machine, input);
    const outcome = this.outcome(null, context, snapshot, actions);
    if (outcome.context === undefined) this.started = outcome;
    return { context: outcome.context ?? this.after(context, outcome), outcome };
  }

  /** Applies one event; undefined when no transition is enabled and nothing changes. */
  next(state: string, context: JourneyContext, event: ForecastEvent): TransitionOutcome | undefined {
    const candidates = this.candidatesFor(state, event.type);
    if (!candidates.plain) return this.askXState(state, context, event);
    let chosen = -1;
    try {
      for (let index = 0; index < candidates.guards.length && chosen < 0; index += 1) {
        const { guard, check } = candidates.guards[index]!;
        if (!guard || check!({ context, event }, guard.params)) chosen = index;
      }
    } catch {
      // XState says which guard failed and where.
      return this.askXState(state, context, event);
    }
    if (chosen < 0) return undefined;
    const known = candidates.outcomes[chosen]!.get(context.attributes);
    if (known) return known;
    const outcome = this.askXState(state, context, event);
    if (outcome?.context === undefined && outcome !== undefined) candidates.outcomes[chosen]!.set(context.attributes, outcome);
    return outcome;
  }

  /** The context after an outcome. */
  after(context: JourneyContext, outcome: TransitionOutcome): JourneyContext {
    if (outcome.context) return outcome.context;
    return outcome.attributes === context.attributes ? context : { ...context, attributes: outcome.attributes };
  }

  /** A timer's delay for this enrollment: computed on entry when the journey says so, as XState computes it. */
  delay(order: Extract<TimerOrder, { kind: 'arm' }>, context: JourneyContext, event: unknown): number {
    if (!order.computeDelay) return order.delay;
    const delay = order.computeDelay({ context, event }, undefined);
    if (typeof delay !== 'number') throw new Error(`Journey ${this.machine.id}: the delay of ${order.id} is not a number`);
    return delay;
  }

  private askXState(state: string, context: JourneyContext, event: ForecastEvent): TransitionOutcome | undefined {
    const snapshot = this.machine.resolveState({ value: state, context } as Parameters<AnyStateMachine['resolveState']>[0]);
    const [next, actions] = transition(this.machine, snapshot, event);
    if (next === snapshot && actions.length === 0) return undefined;
    return this.outcome(state, context, next, actions);
  }

  private outcome(
    from: string | null,
    before: JourneyContext,
    snapshot: AnyMachineSnapshot,
    actions: readonly { type: string; params?: unknown }[],
  ): TransitionOutcome {
    const state = stateName(snapshot.value);
    const status = statusOf(snapshot);
    const context = snapshot.context as JourneyContext;
    // Reused only if the rest of the context is as it was.
    let reusable = (Object.keys(context) as (keyof JourneyContext)[]).every((key) => key === 'attributes' || context[key] === before[key]);
    const outcome: TransitionOutcome = {
      state,
      status,
      isStep: from === null || state !== from || status !== 'active' || actions.some((action) => !STEPLESS_ACTIONS.has(action.type)),
      effects: [],
      timers: [],
      attributes: this.intern(context.attributes),
      context: undefined,
    };
    for (const action of actions) {
      if (effectTypes.has(action.type)) {
        outcome.effects.push({ type: action.type, params: action.params } as JourneyEffect);
      } else if (action.type === 'xstate.raise') {
        const params = action.params as { id?: string; event: { type: string }; delay?: number };
        if (params.delay === undefined) {
          reusable = false;
          outcome.timers.push({ kind: 'raise', event: params.event });
          continue;
        }
        const delay = this.delayOf.get(params.event.type);
        if (delay === undefined) reusable = false;
        const implementation = typeof delay === 'string' ? (this.machine.implementations.delays[delay] as unknown) : undefined;
        const computeDelay = typeof implementation === 'function' ? (implementation as DelayFunction) : undefined;
        outcome.timers.push({ kind: 'arm', id: params.id ?? params.event.type, event: params.event, delay: params.delay, computeDelay });
      } else if (action.type === 'xstate.cancel') {
        outcome.timers.push({ kind: 'cancel', id: (action.params as { sendId: string }).sendId });
      } else if (!action.type.startsWith('xstate.')) {
        throw new Error(`Journey ${this.machine.id} asked for unknown action "${action.type}"`);
      }
    }
    if (!reusable) outcome.context = { ...context, attributes: outcome.attributes };
    return outcome;
  }

  private candidatesFor(state: string, eventType: string): Candidates {
    let byEvent = this.candidates.get(state);
    if (!byEvent) this.candidates.set(state, (byEvent = new Map()));
    let found = byEvent.get(eventType);
    if (found) return found;
    // As XState looks: the state's own transitions first, then the machine's.
    const node = this.machine.states[state] as StateNode | undefined;
    const transitions = [...(node?.transitions.get(eventType) ?? []), ...(this.machine.root.transitions.get(eventType) ?? [])];
    const guards = transitions.map(({ guard }) => {
      const named = typeof guard === 'object' && guard !== null && typeof (guard as { type?: unknown }).type === 'string';
      const check = named ? (this.machine.implementations.guards[(guard as { type: string }).type] as unknown) : undefined;
      const plain = guard === undefined || (typeof check === 'function' && !('check' in check) && typeof (guard as { params?: unknown }).params !== 'function');
      return { guard: guard as Guard, check: typeof check === 'function' ? (check as GuardImplementation) : undefined, plain };
    });
    found = { guards, plain: node !== undefined && guards.every((guard) => guard.plain), outcomes: guards.map(() => new Map()) };
    byEvent.set(eventType, found);
    return found;
  }

  /** One object per distinct set of attributes, so outcomes can be looked up by identity. */
  private intern(attributes: Attributes): Attributes {
    const key = JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const known = this.attributeSets.get(key);
    if (known) return known;
    this.attributeSets.set(key, attributes);
    return attributes;
  }
}
