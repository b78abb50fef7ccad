/**
 * Runs a journey for one constituent on a simulated clock: no Temporal, no
 * database, no mail. The same interpreter the enrollment workflow uses applies
 * each event; timers fire when the simulated clock reaches them. Marketers see
 * exactly what a constituent would receive, and when, before anyone does.
 */
import type { AnyStateMachine } from 'xstate';
import { z } from 'zod';
import { Instant } from '../instant.ts';
import { holds } from './conditions.ts';
import { compileJourney } from './compile.ts';
import type { JourneyDefinition } from './definition.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { JourneyRun, type EnrollmentStatus, type JourneyStep } from './interpreter.ts';
import { journeyEventTypes, type ConstituentFacts, type JourneyEvent } from './vocabulary.ts';

const DEFAULT_START = '2026-01-05T09:00:00.000Z';
/** How far past the last event timers are followed when the timeline sets no end. */
const DEFAULT_HORIZON_MS = 400 * 86_400_000;
/**
 * Steps one simulated constituent may take. Real journeys take tens; a journey
 * whose timers chase each other in a loop would otherwise run (and grow its
 * result) until the horizon, holding the process that simulates it.
 */
export const MAX_SIMULATED_STEPS = 10_000;
/** Events one timeline may hold: a preview, not an import. */
export const MAX_TIMELINE_EVENTS = 1_000;

const When = z.string().min(1).describe('ISO date-time, or +<duration> from the start (e.g. +3d)');
const Facts: z.ZodType<ConstituentFacts> = z.looseObject({}) as unknown as z.ZodType<ConstituentFacts>;

/** A timeline: what one constituent does, and when. */
export const Timeline = z.strictObject({
  start: Instant.optional(),
  constituentId: z.string().min(1).default('simulated-constituent'),
  constituent: Facts.default({}),
  events: z
    .array(
      z.union([
        z.strictObject({ at: When, type: z.enum(journeyEventTypes), data: z.record(z.string(), z.unknown()).default({}), id: z.string().optional() }),
        z.strictObject({ at: When, facts: Facts }),
      ]),
    )
    .max(MAX_TIMELINE_EVENTS),
  until: When.optional(),
});
export type TimelineInput = z.input<typeof Timeline>;

export type SimulationEntry =
  | { at: number; kind: 'event'; event: string; eventId: string; data: Record<string, unknown>; effect: 'enrolled' | 'applied' | 'ignored' }
  | { at: number; kind: 'facts'; facts: ConstituentFacts }
  | { at: number; kind: 'state'; enrollment: number; from: string | null; to: string; cause: string; status: EnrollmentStatus }
  | { at: number; kind: 'email' | 'sms'; enrollment: number; template: string }
  | { at: number; kind: 'task'; enrollment: number; queue: string; title: string; dueAt: number | null }
  | { at: number; kind: 'set'; enrollment: number; attribute: string; value: string | number | boolean }
  | { at: number; kind: 'goal'; enrollment: number; name: string };

export interface SimulationResult {
  start: number;
  entries: SimulationEntry[];
  enrollments: { number: number; steps: JourneyStep[]; status: EnrollmentStatus; state: string }[];
}

export class TimelineError extends Error {
  override name = 'TimelineError';
}

/** Moves an enrollment in flight onto another version at `at` (epoch ms), as `POST /journeys/:id/migrate` does. */
export interface SimulatedMigration {
  at: number;
  definition: JourneyDefinition;
  /** Current state to the state in `definition`; a state not named stays where it is. */
  states: Record<string, string>;
}

export function simulateJourney(
  definition: JourneyDefinition,
  timelineInput: TimelineInput,
  /** The definition compiled already, when simulating many constituents. */
  machine: AnyStateMachine = compileJourney(definition),
  /** Migrations, each after the events at its instant. */
  migrations: readonly SimulatedMigration[] = [],
): SimulationResult {
  const parsed = Timeline.safeParse(timelineInput);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TimelineError(`timeline ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const timeline = parsed.data;
  const start = Date.parse(timeline.start ?? firstAbsolute(timeline.events.map((event) => event.at)) ?? DEFAULT_START);
  const resolve = (when: string, where: string) => resolveTime(when, start, where);
  const events = timeline.events
    .map((event, index) => ({ ...event, time: resolve(event.at, `events[${index}].at`), index }))
    .sort((a, b) => a.time - b.time || a.index - b.index);
  const lastEvent = events.at(-1)?.time ?? start;
  const until = timeline.until ? resolve(timeline.until, 'until') : lastEvent + DEFAULT_HORIZON_MS;

  const entries: SimulationEntry[] = [];
  const enrollments: SimulationResult['enrollments'] = [];
  let facts: ConstituentFacts = timeline.constituent;
  let run: JourneyRun | undefined;
  const seenTypes = new Set<string>();
  let stepCount = 0;

  const recordSteps = (steps: JourneyStep[]) => {
    const enrollment = enrollments.at(-1)!;
    stepCount += steps.length;
    if (stepCount > MAX_SIMULATED_STEPS) {
      const recent = enrollment.steps.slice(-6).map((step) => step.toState);
      throw new TimelineError(
        `the journey took more than ${MAX_SIMULATED_STEPS.toLocaleString('en-US')} steps for one constituent by ${new Date(steps[0]!.at).toISOString()}: ` +
          `its timers loop without end (${recent.join(' → ')} …); add a way out, a goal or an \`until\` to the timeline`,
      );
    }
    for (const step of steps) {
      enrollment.steps.push(step);
      entries.push({ at: step.at, kind: 'state', enrollment: enrollment.number, from: step.fromState, to: step.toState, cause: step.cause, status: step.status });
      for (const effect of step.effects) {
        const base = { at: step.at, enrollment: enrollment.number };
        switch (effect.type) {
          case 'sendEmail':
            entries.push({ ...base, kind: 'email', template: effect.params.template });
            break;
          case 'sendSms':
            entries.push({ ...base, kind: 'sms', template: effect.params.template });
            break;
          case 'createTask':
            entries.push({ ...base, kind: 'task', queue: effect.params.queue, title: effect.params.title, dueAt: effect.params.dueInMs === null ? null : step.at + effect.params.dueInMs });
            break;
          case 'setAttribute':
            entries.push({ ...base, kind: 'set', attribute: effect.params.attribute, value: effect.params.value });
            break;
          case 'recordGoal':
            entries.push({ ...base, kind: 'goal', name: effect.params.name });
            break;
        }
      }
    }
    enrollment.status = run!.status;
    enrollment.state = run!.state;
  };

  /** Fires every timer due at or before `time`, soonest first (a timer due with an event fires first). */
  const fireTimersThrough = (time: number) => {
    for (;;) {
      if (!run || run.status !== 'active') return;
      const next = run.dueBy(time);
      if (!next) return;
      const event = run.fire(next.id)!;
      recordSteps(run.apply(event, event.at));
    }
  };

  const pendingMigrations = [...migrations].sort((a, b) => a.at - b.at);
  /** Applies the migrations due before `time` (or at it, when `inclusive`), each after the timers due by its instant. */
  const migrateThrough = (time: number, inclusive: boolean) => {
    while (pendingMigrations.length > 0 && (pendingMigrations[0]!.at < time || (inclusive && pendingMigrations[0]!.at === time))) {
      const migration = pendingMigrations.shift()!;
      fireTimersThrough(migration.at);
      const target = run?.status === 'active' ? migration.states[run.state] : undefined;
      if (run && target) recordSteps([run.migrate(compileJourney(migration.definition), target, migration.at)]);
    }
  };

  for (const item of events) {
    migrateThrough(item.time, false);
    fireTimersThrough(item.time);
    if ('facts' in item) {
      facts = mergeFacts(facts, item.facts);
      entries.push({ at: item.time, kind: 'facts', facts: item.facts });
      if (run?.status === 'active') recordSteps(run.apply({ type: 'facts.updated', constituent: facts } as never, item.time));
      continue;
    }
    const event: JourneyEvent = {
      type: item.type,
      eventId: item.id ?? `event-${item.index + 1}`,
      occurredAt: new Date(item.time).toISOString(),
      data: item.data,
    };
    const firstOfType = !seenTypes.has(item.type);
    seenTypes.add(item.type);
    const base = { at: item.time, kind: 'event' as const, event: event.type, eventId: event.eventId, data: event.data };

    if (run?.status === 'active') {
      const steps = run.apply(event, item.time);
      entries.push({ ...base, effect: steps.length > 0 ? 'applied' : 'ignored' });
      recordSteps(steps);
    } else if (admits(definition, event, facts, firstOfType, enrollments, item.time)) {
      entries.push({ ...base, effect: 'enrolled' });
      const number = enrollments.length + 1;
      enrollments.push({ number, steps: [], status: 'active', state: definition.initial });
      const started = JourneyRun.start(machine, {
        enrollmentId: `enrollment-${number}`,
        constituentId: timeline.constituentId,
        enrolledAt: item.time,
        trigger: { eventId: event.eventId, type: event.type, occurredAt: event.occurredAt, data: event.data },
        constituent: facts,
      });
      run = started.run;
      recordSteps([started.step]);
    } else {
      entries.push({ ...base, effect: 'ignored' });
    }
  }
  migrateThrough(until, true);
  fireTimersThrough(until);
  return { start, entries, enrollments };
}

/** Whether this event enrolls the constituent: trigger, its conditions, re-entry policy and limit. */
function admits(
  definition: JourneyDefinition,
  event: JourneyEvent,
  facts: ConstituentFacts,
  firstOfType: boolean,
  enrollments: SimulationResult['enrollments'],
  now: number,
): boolean {
  const { trigger, reentry, limit } = definition;
  if (event.type !== trigger.event) return false;
  if (trigger.first && !firstOfType) return false;
  // The trigger's conditions are judged at the event's own moment, as the router judges them.
  if (!holds(trigger.when, { event: event.data, trigger: event.data, constituent: facts as Record<string, unknown>, now })) return false;
  if (limit !== undefined && enrollments.length >= limit) return false;
  const last = enrollments.at(-1);
  if (!last) return true;
  if (reentry.policy === 'once') return false;
  if (reentry.policy === 'once-per-period') {
    const period = parseDuration(reentry.period ?? '0s');
    const enteredAt = last.steps[0]?.at ?? 0;
    return 'ms' in period && now >= enteredAt + period.ms;
  }
  return true;
}

function mergeFacts(current: ConstituentFacts, update: ConstituentFacts): ConstituentFacts {
  return {
    ...current,
    ...update,
    consent: { ...current.consent, ...update.consent },
    giving: { ...current.giving, ...update.giving },
    attributes: { ...current.attributes, ...update.attributes },
  };
}

function firstAbsolute(times: string[]): string | undefined {
  return times.filter((time) => !time.startsWith('+')).sort((a, b) => Date.parse(a) - Date.parse(b))[0];
}

function resolveTime(when: string, start: number, where: string): number {
  if (when.startsWith('+')) {
    const parsed = parseDuration(when.slice(1));
    if ('error' in parsed) throw new TimelineError(`timeline ${where}: ${parsed.error}`);
    return start + parsed.ms;
  }
  const time = Date.parse(when);
  if (Number.isNaN(time)) throw new TimelineError(`timeline ${where}: "${when}" is neither an ISO date-time nor +<duration>`);
  return time;
}

/** The simulation as lines people read: `+7d  email   new-donor-impact`. */
export function formatSimulation(result: SimulationResult): string {
  const lines: string[] = [];
  for (const entry of result.entries) {
    const when = `+${formatDuration(entry.at - result.start)}`.padEnd(10);
    const date = new Date(entry.at).toISOString().replace('.000Z', 'Z');
    const prefix = `${date}  ${when}`;
    switch (entry.kind) {
      case 'event':
        lines.push(`${prefix}event   ${entry.event}${describeData(entry.data)} (${entry.effect})`);
        break;
      case 'facts':
        lines.push(`${prefix}facts   ${JSON.stringify(entry.facts)}`);
        break;
      case 'state':
        lines.push(`${prefix}state   ${entry.from ?? '(start)'} -> ${entry.to}  [${entry.cause}]${entry.status === 'active' ? '' : `  => ${entry.status}`}`);
        break;
      case 'email':
      case 'sms':
        lines.push(`${prefix}${entry.kind.padEnd(8)}${entry.template}`);
        break;
      case 'task':
        lines.push(`${prefix}task    ${entry.queue}: ${entry.title}${entry.dueAt === null ? '' : ` (due +${formatDuration(entry.dueAt - result.start)})`}`);
        break;
      case 'set':
        lines.push(`${prefix}set     ${entry.attribute} = ${JSON.stringify(entry.value)}`);
        break;
      case 'goal':
        lines.push(`${prefix}goal    ${entry.name}`);
        break;
    }
  }
  return lines.join('\n');
}

function describeData(data: Record<string, unknown>): string {
  const parts = Object.entries(data).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return parts.length > 0 ? ` {${parts.join(', ')}}` : '';
}
