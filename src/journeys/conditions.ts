/**
 * Evaluating a journey's conditions against what it knows: the event being
 * applied, the event that enrolled the constituent, and the constituent's facts.
 * Pure and deterministic: it runs inside workflows and the simulator alike.
 */
import type { Condition } from './definition.ts';
import { parseDuration } from './duration.ts';

export interface ConditionScope {
  event: Record<string, unknown>;
  trigger: Record<string, unknown>;
  constituent: Record<string, unknown>;
  /** The moment of evaluation (epoch ms, workflow or simulated time), for date comparisons. */
  now?: number;
}

export function holds(conditions: readonly Condition[] | undefined, scope: ConditionScope): boolean {
  return (conditions ?? []).every((condition) => evaluate(condition, scope));
}

export function evaluate(condition: Condition, scope: ConditionScope): boolean {
  if ('any' in condition) return condition.any.some((inner) => evaluate(inner, scope));
  if ('not' in condition) return !evaluate(condition.not, scope);
  const actual = lookup(condition.field, scope);
  if (condition.exists !== undefined) return (actual !== undefined && actual !== null) === condition.exists;
  if (condition.eq !== undefined) return actual === condition.eq;
  if (condition.ne !== undefined) return actual !== condition.ne;
  if (condition.in !== undefined) return condition.in.includes(actual as never);
  if (condition.notIn !== undefined) return !condition.notIn.includes(actual as never);
  if (condition.contains !== undefined) return typeof actual === 'string' && actual.includes(condition.contains);
  if (condition.atLeastAhead !== undefined) {
    const moment = typeof actual === 'string' ? Date.parse(actual) : Number.NaN;
    const ahead = parseDuration(condition.atLeastAhead);
    return scope.now !== undefined && !Number.isNaN(moment) && 'ms' in ahead && moment - scope.now >= ahead.ms;
  }
  if (typeof actual !== 'number') return false;
  if (condition.gt !== undefined) return actual > condition.gt;
  if (condition.gte !== undefined) return actual >= condition.gte;
  if (condition.lt !== undefined) return actual < condition.lt;
  if (condition.lte !== undefined) return actual <= condition.lte;
  return false;
}

/** The value at `event.amount`, `constituent.consent.sms`; undefined when absent. */
export function lookup(field: string, scope: ConditionScope): unknown {
  const [root, ...path] = field.split('.');
  if (root !== 'event' && root !== 'trigger' && root !== 'constituent') return undefined;
  let value: unknown = scope[root];
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
