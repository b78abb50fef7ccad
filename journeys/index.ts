/** The catalog of journeys this Steward runs; the worker and the event router both read it. */
import type { AnyStateMachine } from 'xstate';
import { firstGiftThankYou } from './first-gift-thank-you.ts';
import type { InteractionType } from './vocabulary.ts';

export interface JourneyTrigger {
  eventType: InteractionType;
  /** Only the constituent's first event of this type enrolls them (e.g. a first gift). */
  firstOfType: boolean;
}

export interface JourneyDefinition {
  id: string;
  version: number;
  name: string;
  description: string;
  trigger: JourneyTrigger;
  machine: AnyStateMachine;
}

export const journeyCatalog: readonly JourneyDefinition[] = [firstGiftThankYou];

/** The journey with this id and version, or undefined when this build does not know it. */
export function findJourney(id: string, version: number): JourneyDefinition | undefined {
  return journeyCatalog.find((journey) => journey.id === id && journey.version === version);
}
