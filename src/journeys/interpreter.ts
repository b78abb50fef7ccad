/**
 * Runs a journey machine one step at a time with XState's pure functions, and says
 * what each step asks for: effects to perform, timers to arm or cancel. It owns no
 * clock and performs nothing, so the Temporal workflow (durable timers, activities)
 * and the simulator (a simulated clock) drive the very same logic.
 */
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine, type StateValue } from 'xstate';
import { DECISION_DELAY_SUFFIX, journeyEffectTypes, type JourneyEffectParams, type JourneyEffectType, type JourneyMachineInput } from './compile.ts';
import { EXIT_TAG, GOAL_TAG } from './vocabulary.ts';

export type EnrollmentStatus = 'active' | 'completed' | 'converted' | 'exited';

/** A timer the machine asked for: deliver `event` at `fireAt` (epoch ms) unless cancelled. */
export interface PendingTimer {
  id: string;
  event: { type: string };
  fireAt: number;
  /** Arming order: of timers due at the same moment, the one armed first fires first. */
  seq: number;
}

export type JourneyEffect = { [T in JourneyEffectType]: { type: T; params: JourneyEffectParams[T] } }[JourneyEffectType];

/** One recorded step of an enrollment: where it went, why, and what it asked for. */
export interface JourneyStep {
  sequence: number;
  fromState: string | null;
  toState: string;
  /** `enrolled`, the event type, or `timer`. */
  cause: string;
  eventId?: string | undefined;
  at: number;
  status: EnrollmentStatus;
  effects: JourneyEffect[];
  timersArmed: PendingTimer[];
  timersCancelled: string[];
}

/** What carries a run over to a fresh workflow execution (continue-as-new). */
export interface RunState {
  snapshot: { value: StateValue; context: Record<string, unknown> };
  sequence: number;
  timers: PendingTimer[];
  /** Epoch ms of the latest step; absent in runs carried over by older builds. */
  at?: number;
}

type AppliedEvent = { type: string; eventId?: string; at?: number };

export class JourneyRun {
  private lastSeq = -1;
  /** When the latest step was taken: nothing that happens later is stamped earlier. */
  private lastAt: number | undefined;

  private constructor(
    /** The machine this run follows; replaced when the enrollment migrates to another version. */
    public machine: AnyStateMachine,
    private current: AnyMachineSnapshot,
    private sequence: number,
    private readonly armed: Map<string, PendingTimer>,
  ) {}

  /** Enters the initial state. */
  static start(machine: AnyStateMachine, input: JourneyMachineInput): { run: JourneyRun; step: JourneyStep } {
    const [snapshot, actions] = initialTransition(machine, input);
    const run = new JourneyRun(machine, snapshot, 0, new Map());
    const step = run.record(null, 'enrolled', undefined, input.enrolledAt, actions);
    return { run, step };
  }

  static resume(machine: AnyStateMachine, state: RunState): JourneyRun {
    const snapshot = machine.resolveState(state.snapshot as Parameters<typeof machine.resolveState>[0]);
    const run = new JourneyRun(machine, snapshot, state.sequence, new Map(state.timers.map((timer) => [timer.id, timer])));
    run.lastAt = state.at;
    return run;
  }

  /**
   * Moves an enrollment onto another version's machine: same context, the mapped
   * state, and that state's timers started afresh from `at`. Nothing is sent on
   * arrival; the state's entry actions belong to constituents who enter it normally.
   */
  migrate(machine: AnyStateMachine, target: string, at: number): JourneyStep {
    const fromState = this.state;
    const cancelled = [...this.armed.keys()];
    this.armed.clear();
    const context = { ...(this.current.context as Record<string, unknown>), journeyId: machine.id };
    this.current = machine.resolveState({ value: target, context } as Parameters<typeof machine.resolveState>[0]);
    this.machine = machine;
    const node = machine.states[target];
    const armed: PendingTimer[] = [];
    for (const timed of (node?.after ?? []) as { delay: string | number; eventType: string }[]) {
      const implementation = typeof timed.delay === 'number' ? timed.delay : (machine.implementations.delays[timed.delay] as unknown);
      const delay =
        typeof implementation === 'function'
          ? (implementation as (args: { context: unknown; event: { type: string; at: number } }) => number)({ context, event: { type: 'migrated', at } })
          : Number(implementation);
      this.lastSeq += 1;
      const timer = { id: timed.eventType, event: { type: timed.eventType }, fireAt: at + delay, seq: this.lastSeq };
      this.armed.set(timer.id, timer);
      armed.push(timer);
    }
    this.sequence += 1;
    this.lastAt = at;
    return {
      sequence: this.sequence,
      fromState,
      toState: target,
      cause: 'migrated',
      at,
      status: this.status,
      effects: [],
      timersArmed: armed,
      timersCancelled: cancelled,
    };
  }

  get snapshot(): AnyMachineSnapshot {
    return this.current;
  }

  get state(): string {
    return stateName(this.current.value);
  }

  get status(): EnrollmentStatus {
    return statusOf(this.current);
  }

  get step(): number {
    return this.sequence;
  }

  /** When the latest step was taken (epoch ms); undefined before the first, or when carried over by an older build. */
  get latestStepAt(): number | undefined {
    return this.lastAt;
  }

  /** Timers still to fire, soonest first; of timers due together, in the order they were armed. */
  pendingTimers(): PendingTimer[] {
    return [...this.armed.values()].sort((a, b) => a.fireAt - b.fireAt || a.seq - b.seq);
  }

  /** The timer that fires next if it is due at or before `at`: what was due by an instant happens before anything else at it. */
  dueBy(at: number): PendingTimer | undefined {
    const next = this.pendingTimers()[0];
    return next && next.fireAt <= at ? next : undefined;
  }

  /** Takes a timer off the table when it fires; the event to apply is returned, with its time. */
  fire(timerId: string): (AppliedEvent & { at: number }) | undefined {
    const timer = this.armed.get(timerId);
    if (!timer) return undefined;
    this.armed.delete(timerId);
    return { ...timer.event, at: timer.fireAt };
  }

  saveState(): RunState {
    return {
      snapshot: { value: this.current.value, context: this.current.context as Record<string, unknown> },
      sequence: this.sequence,
      timers: this.pendingTimers(),
      ...(this.lastAt === undefined ? {} : { at: this.lastAt }),
    };
  }

  /**
   * Applies one event at time `at`. Returns the steps it caused: none when the machine
   * ignored it, one normally, more when a step raised further events at once.
   */
  apply(event: AppliedEvent, at: number): JourneyStep[] {
    if (this.current.status !== 'active') return [];
    const queue: AppliedEvent[] = [{ ...event, at }];
    const steps: JourneyStep[] = [];
    while (queue.length > 0) {
      const next = queue.shift()!;
      const before = this.state;
      const [snapshot, actions]: [AnyMachineSnapshot, { type: string; params?: unknown }[]] = transition(this.machine, this.current, next);
      this.current = snapshot;
      // Events that change nothing but context (facts updated) are not steps of the journey.
      const moved = stateName(snapshot.value) !== before || snapshot.status !== 'active';
      if (!moved && !actions.some(isStepAction)) continue;
      this.sequence += 1;
      const cause = !next.type.startsWith('xstate.after.') ? next.type : next.type.includes(`${DECISION_DELAY_SUFFIX}.`) ? 'decision' : 'timer';
      const step = this.record(before, cause, next.eventId, at, actions, queue);
      steps.push(step);
      if (this.current.status !== 'active') break;
    }
    return steps;
  }

  private record(
    fromState: string | null,
    cause: string,
    eventId: string | undefined,
    at: number,
    actions: readonly { type: string; params?: unknown }[],
    raised: AppliedEvent[] = [],
  ): JourneyStep {
    this.lastAt = at;
    const step: JourneyStep = {
      sequence: this.sequence,
      fromState,
      toState: this.state,
      cause,
      eventId,
      at,
      status: this.status,
      effects: [],
      timersArmed: [],
      timersCancelled: [],
    };
    for (const action of actions) {
      if ((journeyEffectTypes as readonly string[]).includes(action.type)) {
        step.effects.push({ type: action.type, params: action.params } as JourneyEffect);
      } else if (action.type === 'xstate.raise') {
        const params = action.params as { id?: string; event: { type: string }; delay?: number };
        if (params.delay === undefined) {
          raised.push({ ...params.event, at });
        } else {
          const seq = Math.max(0, ...[...this.armed.values()].map((armed) => armed.seq + 1), this.lastSeq + 1);
          this.lastSeq = seq;
          const timer = { id: params.id ?? params.event.type, event: params.event, fireAt: at + params.delay, seq };
          this.armed.set(timer.id, timer);
          step.timersArmed.push(timer);
        }
      } else if (action.type === 'xstate.cancel') {
        const id = (action.params as { sendId: string }).sendId;
        if (this.armed.delete(id)) step.timersCancelled.push(id);
      } else if (!action.type.startsWith('xstate.')) {
        // A journey asked for something no runtime can do; failing beats skipping a step a constituent should get.
        throw new Error(`Journey ${this.machine.id} asked for unknown action "${action.type}"`);
      }
    }
    // A journey that has ended keeps no timers.
    if (this.current.status !== 'active') {
      for (const id of this.armed.keys()) step.timersCancelled.push(id);
      this.armed.clear();
    }
    return step;
  }
}

function isStepAction(action: { type: string }): boolean {
  return action.type !== 'xstate.assign' && action.type !== 'updateFacts' && action.type !== 'rememberAttribute' && action.type !== 'countRound';
}

export function statusOf(snapshot: AnyMachineSnapshot): EnrollmentStatus {
  if (snapshot.status === 'active') return 'active';
  if (snapshot.hasTag(GOAL_TAG)) return 'converted';
  if (snapshot.hasTag(EXIT_TAG)) return 'exited';
  return 'completed';
}

/** A readable name for a state value: `thanked`, `waiting.reminder`, or `a,b` for parallel regions. */
export function stateName(value: StateValue): string {
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .map(([key, child]) =>
      child === undefined || (typeof child === 'object' && Object.keys(child).length === 0) ? key : `${key}.${stateName(child)}`,
    )
    .join(',');
}
