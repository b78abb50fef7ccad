/**
 * Which fields of an event's data a journey may see. Signals are kept in Temporal's
 * history, which must hold no personal data, and senders may put anything in `data`;
 * so only the fields the journey vocabulary declares for the type are passed on.
 */
import { eventFields, type JourneyEventType } from '../journeys/vocabulary.ts';

export function signalFacts(type: JourneyEventType, data: unknown): Record<string, unknown> {
  if (typeof data !== 'object' || data === null) return {};
  const source = data as Record<string, unknown>;
  return Object.fromEntries(Object.keys(eventFields[type]).filter((key) => key in source).map((key) => [key, source[key]]));
}
