/**
 * A what-if before launch: many synthetic constituents, each with a plausible
 * timeline, run through the simulator; the result says how many reach each state,
 * how the enrollments end, and how many emails, texts and staff tasks each day
 * brings. Deterministic for a seed, so two forecasts can be compared.
 */
import { compileJourney } from './compile.ts';
import { transitionsOf, type Condition, type JourneyDefinition } from './definition.ts';
import { simulateJourney, type TimelineInput } from './simulate.ts';
import { eventFields, type ConstituentFacts, type JourneyEventType } from './vocabulary.ts';

const DAY_MS = 86_400_000;
const START = Date.parse('2026-01-05T00:00:00Z');

/**
 * How synthetic constituents behave. Defaults: 40% agreed to texts; after enrolling,
 * each gives on a given day with probability 0.4%, sends a custom signal 1%, drops
 * off 0.5%; staff complete an open task within 1–4 days 80% of the time.
 */
export interface ForecastProfile {
  smsConsentShare?: number;
  dailyProbability?: Partial<Record<JourneyEventType, number>>;
  taskCompletionShare?: number;
}

export interface ForecastOptions {
  constituents: number;
  days: number;
  seed?: number;
  profile?: ForecastProfile;
  onProgress?: (done: number, total: number) => void;
}

export interface ForecastResult {
  journey: string;
  constituents: number;
  days: number;
  seed: number;
  enrolled: number;
  byState: { state: string; entered: number; endedHere: number; share: number }[];
  outcomes: { active: number; completed: number; converted: number; exited: number };
  conversionRate: number;
  perDay: { day: number; email: number; sms: number; tasks: number }[];
  byTemplate: { template: string; channel: 'email' | 'sms'; count: number }[];
  tasksByQueue: { queue: string; count: number }[];
}

/** mulberry32: a small, fast, seedable generator; plenty for synthetic behaviour. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function forecastJourney(definition: JourneyDefinition, options: ForecastOptions): ForecastResult {
  const seed = options.seed ?? 1;
  const next = random(seed);
  const profile = options.profile ?? {};
  const daily: Partial<Record<JourneyEventType, number>> = { donation: 0.004, custom: 0.01, 'drop-off': 0.005, ...profile.dailyProbability };
  const listened = listenedEvents(definition);
  const stateNames = Object.keys(definition.states);
  const entered = new Map<string, number>();
  const endedHere = new Map<string, number>();
  const outcomes = { active: 0, completed: 0, converted: 0, exited: 0 };
  const perDay = Array.from({ length: options.days }, (_, day) => ({ day, email: 0, sms: 0, tasks: 0 }));
  const templates = new Map<string, { template: string; channel: 'email' | 'sms'; count: number }>();
  const queues = new Map<string, number>();
  let enrolled = 0;
  const progressEvery = Math.max(1, Math.floor(options.constituents / 100));

  const machine = compileJourney(definition);
  for (let index = 0; index < options.constituents; index += 1) {
    const timeline = syntheticTimeline(definition, options.days, next, profile, daily, listened, index);
    const result = simulateJourney(definition, timeline, machine);
    for (const enrollment of result.enrollments) {
      enrolled += 1;
      outcomes[enrollment.status] += 1;
      endedHere.set(enrollment.state, (endedHere.get(enrollment.state) ?? 0) + 1);
      const seen = new Set(enrollment.steps.map((step) => step.toState));
      for (const state of seen) entered.set(state, (entered.get(state) ?? 0) + 1);
    }
    for (const entry of result.entries) {
      const day = Math.floor((entry.at - START) / DAY_MS);
      const bucket = perDay[day];
      if (!bucket) continue;
      if (entry.kind === 'email' || entry.kind === 'sms') {
        bucket[entry.kind] += 1;
        const key = `${entry.kind}:${entry.template}`;
        const counted = templates.get(key) ?? { template: entry.template, channel: entry.kind, count: 0 };
        counted.count += 1;
        templates.set(key, counted);
      } else if (entry.kind === 'task') {
        bucket.tasks += 1;
        queues.set(entry.queue, (queues.get(entry.queue) ?? 0) + 1);
      }
    }
    if ((index + 1) % progressEvery === 0 || index + 1 === options.constituents) options.onProgress?.(index + 1, options.constituents);
  }

  const order = [...stateNames, 'goalReached', 'exited'].filter((state) => stateNames.includes(state) || entered.has(state));
  return {
    journey: definition.id,
    constituents: options.constituents,
    days: options.days,
    seed,
    enrolled,
    byState: order.map((state) => ({
      state,
      entered: entered.get(state) ?? 0,
      endedHere: endedHere.get(state) ?? 0,
      share: enrolled === 0 ? 0 : (entered.get(state) ?? 0) / enrolled,
    })),
    outcomes,
    conversionRate: enrolled === 0 ? 0 : outcomes.converted / enrolled,
    perDay,
    byTemplate: [...templates.values()].sort((a, b) => b.count - a.count || a.template.localeCompare(b.template)),
    tasksByQueue: [...queues.entries()].map(([queue, count]) => ({ queue, count })).sort((a, b) => b.count - a.count),
  };
}

/** Event types the journey reacts to after enrolling, and the conditions it tests on each. */
function listenedEvents(definition: JourneyDefinition): Map<JourneyEventType, Condition[][]> {
  const listened = new Map<JourneyEventType, Condition[][]>();
  const add = (type: JourneyEventType, when: Condition[] | undefined) => listened.set(type, [...(listened.get(type) ?? []), when ?? []]);
  for (const state of Object.values(definition.states)) {
    for (const [type, spec] of Object.entries(state.on ?? {}) as [JourneyEventType, Parameters<typeof transitionsOf>[0]][]) {
      for (const transition of transitionsOf(spec)) add(type, transition.when);
    }
    if (state.wait) add(state.wait.for, state.wait.when);
  }
  if (definition.goal) add(definition.goal.event, definition.goal.when);
  return listened;
}

function syntheticTimeline(
  definition: JourneyDefinition,
  days: number,
  next: () => number,
  profile: ForecastProfile,
  daily: Partial<Record<JourneyEventType, number>>,
  listened: Map<JourneyEventType, Condition[][]>,
  index: number,
): TimelineInput {
  const facts: ConstituentFacts = {
    consent: { email: 'granted', sms: next() < (profile.smsConsentShare ?? 0.4) ? 'granted' : 'unknown' },
    hasEmail: true,
    hasPhone: true,
    giving: { count: 1, last: pick(next, [25, 50, 100, 250]), highest: pick(next, [50, 100, 250, 500]) },
  };
  const enrolAt = Math.floor(next() * days * DAY_MS);
  const triggerData = satisfy(definition.trigger.event, definition.trigger.when ?? [], next, enrolAt);
  const events: NonNullable<TimelineInput['events']> = [{ at: iso(enrolAt), type: definition.trigger.event, data: triggerData }];

  for (const [type, conditionSets] of listened) {
    if (type === 'task-completed') {
      // Staff work tasks within a few days; the outcome is one the journey tests, or another.
      const share = profile.taskCompletionShare ?? 0.8;
      for (let day = 1; enrolAt + day * DAY_MS < days * DAY_MS; day += 2 + Math.floor(next() * 3)) {
        if (next() < share * 0.5) events.push({ at: iso((enrolAt + day * DAY_MS)), type, data: dataFor(type, conditionSets, next, enrolAt) });
      }
      continue;
    }
    const probability = daily[type] ?? 0.005;
    for (let day = 1; enrolAt + day * DAY_MS < days * DAY_MS; day += 1) {
      if (next() < probability) {
        const at = enrolAt + day * DAY_MS + Math.floor(next() * DAY_MS);
        events.push({ at: iso(at), type, data: dataFor(type, conditionSets, next, at) });
      }
    }
  }
  // Registration journeys: most registrants check in when the event starts.
  if (definition.trigger.event === 'registration' && typeof triggerData.startsAt === 'string' && listened.has('custom')) {
    const startsAt = Date.parse(triggerData.startsAt) - START;
    if (startsAt < days * DAY_MS && next() < 0.7) events.push({ at: iso((startsAt + 30 * 60_000)), type: 'custom', data: { name: 'checked-in' } });
  }
  return { start: new Date(START).toISOString(), constituentId: `synthetic-${index}`, constituent: facts, events, until: `+${days}d` };
}

/** Event data meeting one of the journey's condition sets half of the time, anything plausible otherwise. */
function dataFor(type: JourneyEventType, conditionSets: Condition[][], next: () => number, at: number): Record<string, unknown> {
  const aimed = next() < 0.5 ? conditionSets[Math.floor(next() * conditionSets.length)] : undefined;
  return satisfy(type, aimed ?? [], next, at);
}

/** Plausible data for an event type, adjusted so that the given conditions on `event.*` hold. */
function satisfy(type: JourneyEventType, conditions: Condition[], next: () => number, at: number): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [field, fieldType] of Object.entries(eventFields[type])) {
    if (fieldType === 'number') data[field] = pick(next, [10, 25, 50, 100, 250]);
    else if (fieldType === 'datetime') data[field] = new Date(START + at + (3 + Math.floor(next() * 28)) * DAY_MS).toISOString();
    else if (fieldType === 'boolean') data[field] = next() < 0.5;
    else if (field === 'currency') data[field] = 'USD';
  }
  if (type === 'task-completed') data.outcome = 'other';
  for (const condition of flatten(conditions)) {
    if (!condition.field.startsWith('event.') && !condition.field.startsWith('trigger.')) continue;
    const field = condition.field.split('.').slice(1).join('.');
    if (condition.eq !== undefined) data[field] = condition.eq;
    else if (condition.in) data[field] = condition.in[Math.floor(next() * condition.in.length)];
    else if (condition.gte !== undefined) data[field] = roundUp(condition.gte * (1 + next()));
    else if (condition.gt !== undefined) data[field] = roundUp(condition.gt * (1 + next()) + 1);
    else if (condition.lt !== undefined) data[field] = Math.max(1, Math.floor(condition.lt * next()));
    else if (condition.lte !== undefined) data[field] = Math.max(1, Math.floor(condition.lte * next()));
    else if (condition.contains !== undefined) data[field] = condition.contains;
  }
  // Best effort: data that still misses a condition (a `not`, say) is kept; the simulator decides.
  return data;
}

function flatten(conditions: Condition[]): Extract<Condition, { field: string }>[] {
  return conditions.flatMap((condition) => ('any' in condition ? flatten(condition.any.slice(0, 1)) : 'not' in condition ? [] : [condition]));
}

/** A moment `offset` ms into the forecast window. */
function iso(offset: number): string {
  return new Date(START + Math.floor(offset)).toISOString();
}

function roundUp(amount: number): number {
  return Math.ceil(amount / 5) * 5;
}

function pick<T>(next: () => number, values: T[]): T {
  return values[Math.floor(next() * values.length)]!;
}

/** The forecast as a report for a terminal: a table of states, the outcomes and a chart per day or week. */
export function formatForecast(result: ForecastResult): string {
  const lines: string[] = [];
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  lines.push(`Forecast for ${result.journey}: ${result.constituents} constituents over ${result.days} days (seed ${result.seed})`);
  lines.push(`Enrolled ${result.enrolled} · converted ${result.outcomes.converted} (${percent(result.conversionRate)}) · completed ${result.outcomes.completed} · exited ${result.outcomes.exited} · still active ${result.outcomes.active}`);
  lines.push('');
  const width = Math.max(5, ...result.byState.map((row) => row.state.length));
  lines.push(`${'state'.padEnd(width)}  ${'entered'.padStart(8)}  ${'at the end'.padStart(10)}  ${'of enrolled'.padStart(11)}`);
  lines.push(`${'-'.repeat(width)}  ${'-'.repeat(8)}  ${'-'.repeat(10)}  ${'-'.repeat(11)}`);
  for (const row of result.byState) {
    lines.push(`${row.state.padEnd(width)}  ${String(row.entered).padStart(8)}  ${String(row.endedHere).padStart(10)}  ${percent(row.share).padStart(11)}`);
  }
  lines.push('');

  // Bucket days into weeks for long forecasts, so the chart fits a terminal.
  const perWeek = result.days > 60;
  const size = perWeek ? 7 : 1;
  const buckets: { label: number; email: number; sms: number; tasks: number }[] = [];
  for (let start = 0; start < result.perDay.length; start += size) {
    const slice = result.perDay.slice(start, start + size);
    buckets.push({
      label: start / size + (perWeek ? 1 : 0),
      email: slice.reduce((sum, day) => sum + day.email, 0),
      sms: slice.reduce((sum, day) => sum + day.sms, 0),
      tasks: slice.reduce((sum, day) => sum + day.tasks, 0),
    });
  }
  const peak = Math.max(1, ...buckets.map((bucket) => bucket.email + bucket.sms + bucket.tasks));
  const barWidth = 60;
  lines.push(`Sends per ${perWeek ? 'week' : 'day'}   █ email  ▓ SMS  ░ staff tasks   (longest bar = ${peak})`);
  for (const bucket of buckets) {
    const scale = (count: number) => Math.round((count / peak) * barWidth);
    const bar = '█'.repeat(scale(bucket.email)) + '▓'.repeat(scale(bucket.sms)) + '░'.repeat(scale(bucket.tasks));
    const total = bucket.email + bucket.sms + bucket.tasks;
    lines.push(`${perWeek ? 'week' : 'day'} ${String(bucket.label).padStart(3)} │${bar}${total > 0 ? ` ${total}` : ''}`);
  }
  if (result.byTemplate.length > 0) {
    lines.push('');
    lines.push('Messages by template:');
    for (const row of result.byTemplate) lines.push(`  ${row.channel.padEnd(5)} ${row.template.padEnd(36)} ${String(row.count).padStart(7)}`);
  }
  if (result.tasksByQueue.length > 0) {
    lines.push('Staff tasks by queue:');
    for (const row of result.tasksByQueue) lines.push(`  ${row.queue.padEnd(42)} ${String(row.count).padStart(7)}`);
  }
  return lines.join('\n');
}
