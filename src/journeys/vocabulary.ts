/**
 * The vocabulary journeys are written in: the events a journey can react to and
 * the facts about them and the constituent it may test. The definition schema,
 * the validator, the event intake and the runtime all read this one table.
 *
 * Every field here is a non-personal fact (amounts, programs, kinds, consent
 * states), because journey state is kept in Temporal's history. Names, email
 * addresses and phone numbers never enter a journey; activities load them.
 */

export type FieldType = 'number' | 'string' | 'boolean' | 'datetime';

/** Interactions a constituent's events arrive as (mirrors the database enum). */
export const interactionTypes = ['donation', 'registration', 'drop-off', 'custom', 'refund'] as const;
export type InteractionType = (typeof interactionTypes)[number];

/**
 * Events raised by Steward itself: a staff task's outcome, a message the provider
 * refused for good (to branch on: try another channel, ask staff to call), and the
 * reasons an enrollment ends early.
 */
export const systemEventTypes = ['task-completed', 'delivery-failed', 'unsubscribed', 'hard-bounced', 'removed'] as const;
export type SystemEventType = (typeof systemEventTypes)[number];

export const journeyEventTypes = [...interactionTypes, ...systemEventTypes] as const;
export type JourneyEventType = (typeof journeyEventTypes)[number];

/** The data fields of each event type a journey may test (`event.amount`, `trigger.program`). */
export const eventFields: Record<JourneyEventType, Record<string, FieldType>> = {
  donation: { amount: 'number', currency: 'string', campaign: 'string', fund: 'string', recurring: 'boolean' },
  registration: { program: 'string', startsAt: 'datetime' },
  'drop-off': { kind: 'string', days: 'number', program: 'string' },
  custom: { name: 'string', value: 'string' },
  /** gift: the id the refunded donation was sent with; kind: refund or void; no amount: the whole gift. */
  refund: { gift: 'string', kind: 'string', amount: 'number', currency: 'string' },
  'task-completed': { queue: 'string', outcome: 'string' },
  /** code: mailbox-unknown, invalid-number, refused, template. */
  'delivery-failed': { channel: 'string', template: 'string', code: 'string' },
  unsubscribed: { channel: 'string' },
  'hard-bounced': { channel: 'string' },
  removed: { reason: 'string' },
};

/** Kinds of drop-off Steward detects (issue-free senders may use others). */
export const dropOffKinds = ['lapsed', 'no-show', 'recurring-failed', 'recurring-cancelled', 'unengaged'] as const;

/**
 * Constituent facts a journey may test (`constituent.consent.sms`). Attributes a
 * journey sets itself are read as `constituent.attributes.<name>`.
 */
export const constituentFields: Record<string, FieldType> = {
  'consent.email': 'string',
  'consent.sms': 'string',
  hasEmail: 'boolean',
  hasPhone: 'boolean',
  locale: 'string',
  timezone: 'string',
  'giving.count': 'number',
  'giving.total': 'number',
  'giving.highest': 'number',
  'giving.last': 'number',
};

/** What a journey knows of its constituent: facts only, loaded by an activity. */
export interface ConstituentFacts {
  consent?: { email?: 'granted' | 'withdrawn' | 'unknown'; sms?: 'granted' | 'withdrawn' | 'unknown' };
  hasEmail?: boolean;
  hasPhone?: boolean;
  locale?: string;
  timezone?: string;
  giving?: { count?: number; total?: number; highest?: number; last?: number };
  attributes?: Record<string, string | number | boolean>;
}

/**
 * An event as a journey receives it. `at` is when the runtime applies it (epoch ms,
 * workflow or simulated time); `occurredAt` is when it happened in the world.
 */
export interface JourneyEvent {
  type: JourneyEventType;
  eventId: string;
  occurredAt: string;
  data: Record<string, unknown>;
  at?: number;
}

/** Tag on a final state reached by the journey's goal: the enrollment converted. */
export const GOAL_TAG = 'goal';
/** Tag on a final state that ends an enrollment early (unsubscribe, bounce, removal). */
export const EXIT_TAG = 'exit';
