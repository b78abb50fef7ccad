/**
 * The vocabulary every journey is written in: the events a journey reacts to, the
 * ids it carries, and the named actions it may ask for. Journeys are pure XState v5
 * machines: actions here do nothing when the machine runs; the enrollment workflow
 * reads them from `transition()` and performs each through an activity.
 */
import { setup } from 'xstate';

/** Interaction types a constituent's events arrive as (mirrors the database enum). */
export const interactionTypes = ['donation', 'registration', 'drop-off', 'custom'] as const;
export type InteractionType = (typeof interactionTypes)[number];

/**
 * An interaction as a journey sees it: ids and non-personal event data only
 * (amounts, programs, kinds), never names, addresses or phone numbers, because
 * it is recorded in the workflow history.
 */
export interface InteractionSignal {
  type: InteractionType;
  eventId: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** What every enrollment's machine knows from the start. */
export interface JourneyInput {
  enrollmentId: string;
  constituentId: string;
}

export interface JourneyContext extends JourneyInput {
  /** The event that enrolled the constituent, for templates that speak of it. */
  triggerEventId?: string;
}

/** Parameters of each named action; the workflow maps each one to an activity. */
export interface JourneyActionParams {
  sendEmail: { template: string; eventId?: string };
}
export type JourneyActionType = keyof JourneyActionParams;

/** Tag on a final state that counts as the journey's goal (a conversion). */
export const GOAL_TAG = 'goal';

const noop = () => {};

/** `setup()` shared by all journeys: types, and the named actions as inert placeholders. */
export const journeySetup = setup({
  types: {} as {
    context: JourneyContext;
    input: JourneyInput;
    events: InteractionSignal;
  },
  actions: {
    sendEmail: (_: unknown, _params: JourneyActionParams['sendEmail']) => noop(),
  },
});
