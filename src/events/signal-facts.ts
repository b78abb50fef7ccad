/**
 * Which fields of an event's data a journey may see. Signals are kept in Temporal's
 * history, which must hold no personal data, and senders may put anything in `data`;
 * so only the fields the event contract declares for the type are passed on.
 */
import type { InteractionType } from '../../journeys/vocabulary.ts';

const declaredFacts: Record<InteractionType, readonly string[]> = {
  donation: ['amount', 'currency'],
  registration: ['program', 'startsAt'],
  'drop-off': ['kind'],
  custom: ['name'],
};

export function signalFacts(type: InteractionType, data: unknown): Record<string, unknown> {
  if (typeof data !== 'object' || data === null) return {};
  const source = data as Record<string, unknown>;
  return Object.fromEntries(declaredFacts[type].filter((key) => key in source).map((key) => [key, source[key]]));
}
