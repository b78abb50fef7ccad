/**
 * The synthetic constituents of a forecast: facts and a timeline of events each,
 * drawn from one seeded generator in a fixed order, so that a seed always gives
 * the same population however the population is then simulated.
 */
import { transitionsOf, type Condition, type JourneyDefinition } from '../definition.ts';
import type { TimelineInput } from '../simulate.ts';
import { eventFields, type ConstituentFacts, type FieldType, type JourneyEventType } from '../vocabulary.ts';

export const DAY_MS = 86_400_000;
/** The first moment of every forecast window. */
export const FORECAST_START = Date.parse('2026-01-05T00:00:00Z');

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

/** One event of a synthetic timeline; `time` is epoch ms, `index` its place as generated. */
export interface SyntheticEvent {
  time: number;
  index: number;
  type: JourneyEventType;
  data: Record<string, unknown>;
}

/** One synthetic constituent; `events` are in the order generated until a run sorts them by time. */
export interface SyntheticConstituent {
  id: string;
  facts: ConstituentFacts;
  events: SyntheticEvent[];
}

/** Draws constituents one after another from a seed; the n-th draw depends on all before it. */
export interface Population {
  next(index: number): SyntheticConstituent;
}

export function population(definition: JourneyDefinition, days: number, seed: number, profile: ForecastProfile = {}): Population {
  const next = random(seed);
  const daily: Partial<Record<JourneyEventType, number>> = { donation: 0.004, custom: 0.01, 'drop-off': 0.005, ...profile.dailyProbability };
  const listened = listenedEvents(definition);
  return { next: (index) => syntheticConstituent(definition, days, next, profile, daily, listened, index) };
}

/** The constituent as a timeline the simulator reads, exactly as a person could write it. */
export function timelineOf(constituent: SyntheticConstituent, days: number): TimelineInput {
  const events = [...constituent.events].sort((a, b) => a.index - b.index);
  return {
    start: new Date(FORECAST_START).toISOString(),
    constituentId: constituent.id,
    constituent: constituent.facts,
    events: events.map((event) => ({ at: new Date(event.time).toISOString(), type: event.type, data: event.data })),
    until: `+${days}d`,
  };
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

function syntheticConstituent(
  definition: JourneyDefinition,
  days: number,
  next: () => number,
  profile: ForecastProfile,
  daily: Partial<Record<JourneyEventType, number>>,
  listened: Map<JourneyEventType, Condition[][]>,
  index: number,
): SyntheticConstituent {
  const facts: ConstituentFacts = {
    consent: { email: 'granted', sms: next() < (profile.smsConsentShare ?? 0.4) ? 'granted' : 'unknown' },
    hasEmail: true,
    hasPhone: true,
    giving: { count: 1, last: pick(next, [25, 50, 100, 250]), highest: pick(next, [50, 100, 250, 500]) },
  };
  const end = days * DAY_MS;
  const enrolAt = Math.floor(next() * end);
  const triggerData = satisfy(definition.trigger.event, definition.trigger.when ?? NO_CONDITIONS, next, enrolAt);
  const events: SyntheticEvent[] = [];
  // Times are kept to the millisecond, as an ISO timestamp would keep them.
  const push = (offset: number, type: JourneyEventType, data: Record<string, unknown>) =>
    events.push({ time: FORECAST_START + Math.floor(offset), index: events.length, type, data });
  push(enrolAt, definition.trigger.event, triggerData);

  for (const [type, conditionSets] of listened) {
    if (type === 'task-completed') {
      // Staff work tasks within a few days; the outcome is one the journey tests, or another.
      const share = profile.taskCompletionShare ?? 0.8;
      for (let day = 1; enrolAt + day * DAY_MS < end; day += 2 + Math.floor(next() * 3)) {
        if (next() < share * 0.5) push(enrolAt + day * DAY_MS, type, dataFor(type, conditionSets, next, enrolAt));
      }
      continue;
    }
    const probability = daily[type] ?? 0.005;
    for (let day = 1; enrolAt + day * DAY_MS < end; day += 1) {
      if (next() < probability) {
        const at = enrolAt + day * DAY_MS + Math.floor(next() * DAY_MS);
        push(at, type, dataFor(type, conditionSets, next, at));
      }
    }
  }
  // Registration journeys: most registrants check in when the event starts.
  if (definition.trigger.event === 'registration' && typeof triggerData.startsAt === 'string' && listened.has('custom')) {
    const startsAt = Date.parse(triggerData.startsAt) - FORECAST_START;
    if (startsAt < end && next() < 0.7) push(startsAt + 30 * 60_000, 'custom', { name: 'checked-in' });
  }
  return { id: `synthetic-${index}`, facts, events };
}

const NO_CONDITIONS: Condition[] = [];
const AMOUNTS = [10, 25, 50, 100, 250];

/** Event data meeting one of the journey's condition sets half of the time, anything plausible otherwise. */
function dataFor(type: JourneyEventType, conditionSets: Condition[][], next: () => number, at: number): Record<string, unknown> {
  const aimed = next() < 0.5 ? conditionSets[Math.floor(next() * conditionSets.length)] : undefined;
  return satisfy(type, aimed ?? NO_CONDITIONS, next, at);
}

/** Plausible data for an event type, adjusted so that the given conditions on `event.*` hold. */
function satisfy(type: JourneyEventType, conditions: Condition[], next: () => number, at: number): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [field, fieldType] of fieldsOf[type]) {
    if (fieldType === 'number') data[field] = pick(next, AMOUNTS);
    else if (fieldType === 'datetime') data[field] = new Date(FORECAST_START + at + (3 + Math.floor(next() * 28)) * DAY_MS).toISOString();
    else if (fieldType === 'boolean') data[field] = next() < 0.5;
    else if (field === 'currency') data[field] = 'USD';
  }
  if (type === 'task-completed') data.outcome = 'other';
  for (const { field, condition } of eventConditions(conditions)) {
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

const fieldsOf = Object.fromEntries(Object.entries(eventFields).map(([type, fields]) => [type, Object.entries(fields)])) as Record<
  JourneyEventType,
  [string, FieldType][]
>;

type Comparison = Extract<Condition, { field: string }>;
const eventConditionsOf = new WeakMap<Condition[], { field: string; condition: Comparison }[]>();

/** The comparisons on `event.*` and `trigger.*` fields a condition set makes, with the field each names; worked out once per set. */
function eventConditions(conditions: Condition[]): { field: string; condition: Comparison }[] {
  let found = eventConditionsOf.get(conditions);
  if (!found) {
    found = flatten(conditions)
      .filter((condition) => condition.field.startsWith('event.') || condition.field.startsWith('trigger.'))
      .map((condition) => ({ field: condition.field.split('.').slice(1).join('.'), condition }));
    eventConditionsOf.set(conditions, found);
  }
  return found;
}

function flatten(conditions: Condition[]): Comparison[] {
  return conditions.flatMap((condition) => ('any' in condition ? flatten(condition.any.slice(0, 1)) : 'not' in condition ? [] : [condition]));
}

function roundUp(amount: number): number {
  return Math.ceil(amount / 5) * 5;
}

function pick<T>(next: () => number, values: T[]): T {
  return values[Math.floor(next() * values.length)]!;
}
