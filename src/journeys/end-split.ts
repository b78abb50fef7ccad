/**
 * Ending an A/B test: a new version of the journey in which the split sends everyone
 * down the winning arm. The split state stays (as a `choose` with the winner as its
 * only branch), so running enrollments can be migrated state for state and the
 * numbers before and after line up; states only the losing arms led to are dropped,
 * since nothing reaches them any more. The new version goes through the ordinary
 * lifecycle: saved as a draft, checked like any other text, and published if asked.
 */
import type { JourneyVersion } from '../db/client.ts';
import { sourceOf, type JourneyAuthoring } from './authoring.ts';
import { JourneyDefinition } from './definition.ts';
import { journeyGraph } from './diagram.ts';
import { LifecycleError, type JourneyLifecycle } from './lifecycle.ts';

export class EndSplitError extends Error {
  readonly status = 400;
  constructor(
    message: string,
    /** The request field at fault. */
    readonly path: string,
  ) {
    super(message);
    this.name = 'EndSplitError';
  }
}

/** The definition with the split at `state` replaced by its `winner` arm, and what no longer reachable states were dropped. */
export function definitionWithWinner(definition: JourneyDefinition, state: string, winner: string): { definition: JourneyDefinition; dropped: string[] } {
  const split = definition.states[state]?.split;
  if (!split) throw new EndSplitError(`state "${state}" is not an A/B split (splits: ${splitStates(definition).join(', ') || 'none'})`, 'state');
  if (!split.some((arm) => arm.to === winner)) throw new EndSplitError(`"${winner}" is not an arm of the split at "${state}" (arms: ${split.map((arm) => arm.to).join(', ')})`, 'winner');
  const { split: _ended, ...rest } = definition.states[state]!;
  const states = { ...definition.states, [state]: { ...rest, choose: [{ to: winner }] } };
  const rewritten = { ...definition, states };
  const reached = reachable(rewritten);
  const dropped = Object.keys(states).filter((name) => !reached.has(name));
  const kept = Object.fromEntries(Object.entries(states).filter(([name]) => reached.has(name)));
  return { definition: JourneyDefinition.parse({ ...rewritten, states: kept }), dropped };
}

export function splitStates(definition: JourneyDefinition): string[] {
  return Object.entries(definition.states).flatMap(([name, state]) => (state.split ? [name] : []));
}

function reachable(definition: JourneyDefinition): Set<string> {
  const { edges } = journeyGraph(definition);
  const reached = new Set([definition.initial]);
  const frontier = [definition.initial];
  while (frontier.length > 0) {
    const from = frontier.pop()!;
    for (const edge of edges) {
      if (edge.from === from && !reached.has(edge.to) && edge.to in definition.states) {
        reached.add(edge.to);
        frontier.push(edge.to);
      }
    }
  }
  return reached;
}

export interface EndedTest {
  version: JourneyVersion;
  /** States only the losing arms reached, left out of the new version. */
  dropped: string[];
}

/** Saves (and, when asked, publishes) the journey's next version with the split at `state` sending everyone to `winner`. */
export async function endSplitTest(
  deps: { db: { journeyVersion: { findUnique(args: { where: { journeyId_version: { journeyId: string; version: number } } }): Promise<JourneyVersion | null> } }; authoring: JourneyAuthoring; lifecycle: JourneyLifecycle },
  request: { journeyId: string; version: number; state: string; winner: string; publish: boolean },
): Promise<EndedTest> {
  const from = await deps.db.journeyVersion.findUnique({ where: { journeyId_version: { journeyId: request.journeyId, version: request.version } } });
  if (!from) throw new LifecycleError(`Journey ${request.journeyId} has no version ${request.version}`, 404);
  const { definition, dropped } = definitionWithWinner(JourneyDefinition.parse(from.definition), request.state, request.winner);
  const saved = await deps.authoring.saveDraft(sourceOf({ source: null, definition: definition as never }), request.journeyId);
  const version = request.publish ? await deps.lifecycle.publish(request.journeyId, saved.version) : saved;
  return { version, dropped };
}
