/**
 * One synthetic constituent through a journey, the way the simulator runs a
 * timeline (same enrollment rules, same timer order, same step limit), but with
 * the journey's transitions reused from `JourneyTransitions` and the counts going
 * straight to the tally instead of into a step-by-step record.
 */
import { holds } from '../conditions.ts';
import type { JourneyContext } from '../compile.ts';
import type { JourneyDefinition } from '../definition.ts';
import { parseDuration } from '../duration.ts';
import type { EnrollmentStatus } from '../interpreter.ts';
import { MAX_SIMULATED_STEPS } from '../simulate.ts';
import type { ConstituentFacts } from '../vocabulary.ts';
import { DAY_MS, FORECAST_START, type SyntheticConstituent } from './population.ts';
import type { ForecastTally } from './tally.ts';
import type { ForecastEvent, JourneyTransitions, TimerOrder, TransitionOutcome } from './transitions.ts';

interface Timer {
  id: string;
  event: { type: string };
  fireAt: number;
  /** Arming order: of timers due at the same moment, the one armed first fires first. */
  seq: number;
}

interface Enrollment {
  state: string;
  status: EnrollmentStatus;
  context: JourneyContext;
  timers: Timer[];
  lastSeq: number;
  entered: Set<string>;
  startedAt: number;
}

/** The step limit was passed: the simulator, which says where the journey loops, should run this constituent. */
export class StepLimitReached extends Error {}

export class ConstituentRunner {
  private readonly until: number;
  private readonly period: number | undefined;

  constructor(
    private readonly definition: JourneyDefinition,
    private readonly transitions: JourneyTransitions,
    days: number,
  ) {
    this.until = FORECAST_START + days * DAY_MS;
    const period = parseDuration(definition.reentry.period ?? '0s');
    this.period = 'ms' in period ? period.ms : undefined;
  }

  /** Runs the constituent's timeline to the end of the window and counts what happened. */
  run(constituent: SyntheticConstituent, tally: ForecastTally): void {
    new Timeline(this, constituent, tally).run(this.until);
  }

  /** Whether an event enrolls the constituent: trigger, its conditions, re-entry policy and limit. */
  admits(type: string, data: Record<string, unknown>, facts: ConstituentFacts, firstOfType: boolean, enrollments: number, lastStartedAt: number, now: number): boolean {
    const { trigger, reentry, limit } = this.definition;
    if (type !== trigger.event) return false;
    if (trigger.first && !firstOfType) return false;
    // The trigger's conditions are judged at the event's own moment, as the router judges them.
    if (!holds(trigger.when, { event: data, trigger: data, constituent: facts as Record<string, unknown>, now })) return false;
    if (limit !== undefined && enrollments >= limit) return false;
    if (enrollments === 0) return true;
    if (reentry.policy === 'once') return false;
    if (reentry.policy === 'once-per-period') return this.period !== undefined && now >= lastStartedAt + this.period;
    return true;
  }

  get journey(): JourneyTransitions {
    return this.transitions;
  }
}

class Timeline {
  private current: Enrollment | undefined;
  private enrollments = 0;
  private steps = 0;

  constructor(
    private readonly runner: ConstituentRunner,
    private readonly constituent: SyntheticConstituent,
    private readonly tally: ForecastTally,
  ) {}

  run(until: number): void {
    // A stable sort: events at the same moment keep the order they were generated in, as in the simulator.
    const events = this.constituent.events.sort((a, b) => a.time - b.time);
    const seenTypes = new Set<string>();
    for (const item of events) {
      this.fireTimersThrough(item.time);
      const firstOfType = !seenTypes.has(item.type);
      seenTypes.add(item.type);
      const run = this.current;
      if (run?.status === 'active') {
        this.apply(run, { type: item.type, data: item.data, at: item.time });
      } else if (this.runner.admits(item.type, item.data, this.constituent.facts, firstOfType, this.enrollments, run?.startedAt ?? 0, item.time)) {
        if (run) this.count(run);
        this.enrol(item);
      }
    }
    this.fireTimersThrough(until);
    if (this.current) this.count(this.current);
  }

  private enrol(item: SyntheticConstituent['events'][number]): void {
    this.enrollments += 1;
    const input = {
      enrollmentId: `enrollment-${this.enrollments}`,
      constituentId: this.constituent.id,
      enrolledAt: item.time,
      trigger: { eventId: `event-${item.index + 1}`, type: item.type, occurredAt: new Date(item.time).toISOString(), data: item.data },
      constituent: this.constituent.facts,
    };
    const { context, outcome } = this.runner.journey.start(input);
    const run: Enrollment = { state: outcome.state, status: outcome.status, context, timers: [], lastSeq: -1, entered: new Set(), startedAt: item.time };
    this.current = run;
    // Events raised at once while entering the first state are not applied, as in the simulator.
    this.record(run, outcome, item.time, { type: 'xstate.init', input }, undefined);
  }

  /** Applies one event and whatever it raises at once, as the interpreter does. */
  private apply(run: Enrollment, event: ForecastEvent, at: number = event.at): void {
    const queue: ForecastEvent[] = [];
    for (let next: ForecastEvent | undefined = event; next !== undefined; next = queue.shift()) {
      const outcome = this.runner.journey.next(run.state, run.context, next);
      if (!outcome) continue;
      run.context = this.runner.journey.after(run.context, outcome);
      run.state = outcome.state;
      run.status = outcome.status;
      if (!outcome.isStep) continue;
      this.record(run, outcome, at, next, queue);
      if (run.status !== 'active') break;
    }
  }

  private record(run: Enrollment, outcome: TransitionOutcome, at: number, event: unknown, raised: ForecastEvent[] | undefined): void {
    this.steps += 1;
    if (this.steps > MAX_SIMULATED_STEPS) throw new StepLimitReached();
    run.entered.add(outcome.state);
    for (const effect of outcome.effects) {
      if (effect.type === 'sendEmail') this.tally.message(at, 'email', effect.params.template);
      else if (effect.type === 'sendSms') this.tally.message(at, 'sms', effect.params.template);
      else if (effect.type === 'createTask') this.tally.task(at, effect.params.queue);
    }
    for (const order of outcome.timers) this.follow(run, order, at, event, raised);
    // A journey that has ended keeps no timers.
    if (run.status !== 'active') run.timers.length = 0;
  }

  private follow(run: Enrollment, order: TimerOrder, at: number, event: unknown, raised: ForecastEvent[] | undefined): void {
    switch (order.kind) {
      case 'raise':
        raised?.push({ ...order.event, at });
        return;
      case 'cancel': {
        const index = run.timers.findIndex((timer) => timer.id === order.id);
        if (index >= 0) run.timers.splice(index, 1);
        return;
      }
      case 'arm': {
        let seq = Math.max(0, run.lastSeq + 1);
        for (const timer of run.timers) seq = Math.max(seq, timer.seq + 1);
        run.lastSeq = seq;
        const timer = { id: order.id, event: order.event, fireAt: at + this.runner.journey.delay(order, run.context, event), seq };
        const index = run.timers.findIndex((armed) => armed.id === order.id);
        if (index >= 0) run.timers[index] = timer;
        else run.timers.push(timer);
        return;
      }
      default:
        order satisfies never;
    }
  }

  /** Fires every timer due at or before `time`, soonest first (a timer due with an event fires first). */
  private fireTimersThrough(time: number): void {
    for (let fired = 0; ; fired += 1) {
      // Every timer that fires makes a step or is gone; more fires than steps allowed is a loop.
      if (fired > MAX_SIMULATED_STEPS) throw new StepLimitReached();
      const run = this.current;
      if (!run || run.status !== 'active') return;
      let next: Timer | undefined;
      for (const timer of run.timers) if (!next || timer.fireAt < next.fireAt || (timer.fireAt === next.fireAt && timer.seq < next.seq)) next = timer;
      if (!next || next.fireAt > time) return;
      run.timers.splice(run.timers.indexOf(next), 1);
      this.apply(run, { ...next.event, at: next.fireAt });
    }
  }

  private count(run: Enrollment): void {
    this.tally.enrollment(run.status, run.state, run.entered);
  }
}
