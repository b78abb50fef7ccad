import type { StateValue } from 'xstate';

/** A readable name for a state value: `thanked`, `waiting.reminder`, or `a,b` for parallel regions. */
export function stateName(value: StateValue): string {
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .map(([key, child]) => (child === undefined || (typeof child === 'object' && Object.keys(child).length === 0) ? key : `${key}.${stateName(child)}`))
    .join(',');
}
