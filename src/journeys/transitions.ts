/**
 * What the compiler needs of the journey format besides its types, without the
 * schemas. The workflow code (which compiles journeys) is evaluated afresh for each
 * enrollment the worker starts or replays, module by module; building the zod
 * schemas of definition.ts there cost a few milliseconds of the workflow thread per
 * enrollment, so nothing that runs inside a workflow imports them as values.
 */
import type { Action, Condition, Transition } from './definition.ts';

/** States the compiler adds for the goal and the exits; journeys may not use these names. */
export const RESERVED_STATES = { goal: 'goalReached', exit: 'exited' } as const;

/** Normalises a transition's shorthand (`thanked`) to its full form. */
export function transitionsOf(spec: Transition | Transition[] | undefined): { to: string; when?: Condition[]; do?: Action[] }[] {
  if (spec === undefined) return [];
  return (Array.isArray(spec) ? spec : [spec]).map((transition) => (typeof transition === 'string' ? { to: transition } : transition));
}
