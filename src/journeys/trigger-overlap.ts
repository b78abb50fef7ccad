/**
 * Two journeys that would both answer one event with a message: a first gift of
 * 1,500 thanked by the first-gift journey and by the major-gift journey, within
 * a second. Found before publishing, with an example event both would take, so
 * the author can put them in one trigger group (`trigger.group`) or narrow one.
 */
import { holds } from './conditions.ts';
import { templateLibrary } from '../templates/library.ts';
import type { Condition, JourneyDefinition } from './definition.ts';

export interface TriggerOverlap {
  other: string;
  /** The data of an event both journeys would enroll on. */
  example: Record<string, unknown>;
  message: string;
}

/** Where `journey` and `other` would both enroll someone on one event and message them at once; undefined when they cannot. */
export function triggerOverlap(journey: JourneyDefinition, other: JourneyDefinition): TriggerOverlap | undefined {
  if (journey.id === other.id || journey.trigger.event !== other.trigger.event) return undefined;
  if (journey.trigger.group && journey.trigger.group === other.trigger.group) return undefined;
  if (!messagesOnEntry(journey) || !messagesOnEntry(other)) return undefined;
  const conditions = [...eventConditions(journey.trigger.when), ...eventConditions(other.trigger.when)];
  const example = exampleEvents(conditions).find((data) => {
    const scope = { event: data, trigger: data, constituent: {}, now: Date.now() };
    return holds(eventConditions(journey.trigger.when), scope) && holds(eventConditions(other.trigger.when), scope);
  });
  if (!example) return undefined;
  return {
    other: other.id,
    example,
    message:
      `${journey.id} and ${other.id} would both enroll a constituent on one ${journey.trigger.event} event, such as ${JSON.stringify(example)}, ` +
      `and message them at once; put them in one trigger group (trigger.group, with a priority) so one event gets one message, or narrow a trigger`,
  };
}

/**
 * Whether entering the journey sends an email or SMS straight away (in the initial
 * state, or one it chooses at once). A receipt does not count: it is the record every
 * gift is owed beside its thank-you, not a second acknowledgment.
 */
function messagesOnEntry(definition: JourneyDefinition): boolean {
  const initial = definition.states[definition.initial];
  const atOnce = [initial, ...[...(initial?.choose ?? []), ...(initial?.split ?? [])].map((branch) => definition.states[branch.to])];
  const isReceipt = (template: string) => templateLibrary().email.get(template)?.kind === 'receipt';
  return atOnce.some((state) => state?.entry?.some((action) => (action.do === 'email' && !isReceipt(action.template)) || action.do === 'sms'));
}

/** The conditions about the event itself; those on the constituent are assumed able to hold. */
function eventConditions(conditions: readonly Condition[] | undefined): Condition[] {
  return (conditions ?? []).filter((condition) => !('field' in condition) || !condition.field.startsWith('constituent.'));
}

type Comparison = Extract<Condition, { field: string }>;

/** Event data to try: for each field a condition names, the values at and around its bounds. */
function exampleEvents(conditions: readonly Condition[]): Record<string, unknown>[] {
  const comparisons: Comparison[] = [];
  const walk = (condition: Condition): void => {
    if ('any' in condition) condition.any.forEach(walk);
    else if ('not' in condition) walk(condition.not);
    else comparisons.push(condition);
  };
  conditions.forEach(walk);
  const byField = new Map<string, Set<unknown>>();
  for (const comparison of comparisons) {
    const field = comparison.field.split('.').slice(1).join('.');
    const values = byField.get(field) ?? new Set<unknown>([undefined]);
    for (const value of candidateValues(comparison)) values.add(value);
    byField.set(field, values);
  }
  let examples: Record<string, unknown>[] = [{}];
  for (const [field, values] of byField) {
    examples = examples.flatMap((example) => [...values].map((value) => (value === undefined ? example : { ...example, [field]: value }))).slice(0, 2_000);
  }
  return examples;
}

function candidateValues(comparison: Comparison): unknown[] {
  const near = (value: number) => [value - 1, value, value + 1];
  if (comparison.eq !== undefined) return [comparison.eq];
  if (comparison.ne !== undefined) return typeof comparison.ne === 'number' ? [comparison.ne + 1] : [`not ${String(comparison.ne)}`];
  if (comparison.in !== undefined) return comparison.in;
  if (comparison.notIn !== undefined) return ['another'];
  if (comparison.contains !== undefined) return [comparison.contains];
  if (comparison.exists !== undefined) return [true, 'some value', 1];
  if (comparison.atLeastAhead !== undefined) return [new Date(Date.now() + 10 * 365 * 86_400_000).toISOString()];
  const bound = comparison.gt ?? comparison.gte ?? comparison.lt ?? comparison.lte;
  return bound === undefined ? [] : near(bound);
}
