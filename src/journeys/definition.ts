/**
 * The journey definition format: the one source of truth for what a journey file
 * may say. YAML and JSON files, journeys written in TypeScript, the validator,
 * the compiler and the editor's JSON Schema all derive from these schemas.
 */
import { z } from 'zod';
import { interactionTypes, journeyEventTypes, systemEventTypes } from './vocabulary.ts';

const stateName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must start with a letter and use only letters, digits, - and _');

/** A duration as written: `3d`, `48h`, `P1W`; checked by the validator so the error can say why. */
const Duration = z.string().min(1).describe('Duration: 30m, 48h, 3d, 2w, or ISO 8601 such as P3D or PT48H');

/** How old an event may be when it arrives and still enroll, unless a journey's trigger says `within`. */
export const DEFAULT_TRIGGER_WITHIN = '7d';

/** A field a condition tests: `event.amount`, `trigger.program`, `constituent.consent.sms`, `constituent.attributes.stage`. */
const FieldRef = z
  .string()
  .regex(/^(event|trigger|constituent)\.[A-Za-z][A-Za-z0-9_.-]*$/, 'must start with event., trigger. or constituent.')
  .describe('event.<field>, trigger.<field>, constituent.<field>');

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

export const comparisonOperators = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'exists', 'contains', 'atLeastAhead'] as const;
export type ComparisonOperator = (typeof comparisonOperators)[number];

/** `{ field: event.amount, gte: 100 }`: one field, one operator. */
const Comparison = z
  .strictObject({
    field: FieldRef,
    eq: Scalar.optional(),
    ne: Scalar.optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    in: z.array(Scalar).min(1).optional(),
    notIn: z.array(Scalar).min(1).optional(),
    exists: z.boolean().optional(),
    contains: z.string().optional(),
    /** A date-time field at least this far in the future, e.g. an event starting in 7d or more. */
    atLeastAhead: Duration.optional(),
  })
  .superRefine((comparison, ctx) => {
    const given = comparisonOperators.filter((op) => comparison[op] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: given.length === 0
          ? `needs one operator: ${comparisonOperators.join(', ')}`
          : `has ${given.length} operators (${given.join(', ')}); write one condition per operator`,
      });
    }
  });
export type Comparison = z.infer<typeof Comparison>;

export type Condition = Comparison | { any: Condition[] } | { not: Condition };
export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([Comparison, z.strictObject({ any: z.array(Condition).min(1) }), z.strictObject({ not: Condition })]),
);

/** All conditions must hold (an empty list always holds). */
const When = z.array(Condition).describe('Conditions that must all hold');

/**
 * `transactional`: answers the constituent's own act a moment ago (a thank-you, a
 * receipt, a confirmation): sent at once at any hour, outside frequency caps, never
 * cancelled. `marketing`: asks, updates, win-backs: send windows, caps, cancelled by
 * a goal or an exit while it waits. A step without one takes its template's class.
 */
export const MessageClass = z.enum(['transactional', 'marketing']);
export type MessageClass = z.infer<typeof MessageClass>;

const messageClass = MessageClass.optional().describe("transactional or marketing; the template's class when omitted");

export const Action = z.discriminatedUnion('do', [
  z.strictObject({ do: z.literal('email'), template: z.string().min(1), class: messageClass }),
  z.strictObject({ do: z.literal('sms'), template: z.string().min(1), class: messageClass }),
  z.strictObject({
    do: z.literal('task'),
    queue: z.string().min(1),
    title: z.string().min(1).max(200),
    due: Duration.optional().describe('Time the task is due after it is created'),
  }),
  z.strictObject({ do: z.literal('set'), attribute: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), value: Scalar }),
  z.strictObject({ do: z.literal('goal'), name: z.string().min(1) }),
]);
export type Action = z.infer<typeof Action>;

const Transition = z.union([
  stateName,
  z.strictObject({ to: stateName, when: When.optional(), do: z.array(Action).optional() }),
]);
export type Transition = z.infer<typeof Transition>;

/** A wait measured from the moment the state is entered, or up to a date carried by an event. */
export const Delay = z.union([
  Duration,
  z.strictObject({
    before: FieldRef.describe('A datetime field, e.g. trigger.startsAt'),
    by: Duration.optional().describe('How long before that moment; 0 when omitted'),
  }),
]);
export type Delay = z.infer<typeof Delay>;

const eventType = z.enum(journeyEventTypes);

export const State = z.strictObject({
  description: z.string().optional(),
  entry: z.array(Action).optional().describe('Actions performed on entering the state, in order'),
  on: z.partialRecord(eventType, z.union([Transition, z.array(Transition).min(1)])).optional(),
  after: z
    .array(
      z.strictObject({
        delay: Delay,
        to: stateName,
        do: z.array(Action).optional(),
        limit: z.int().positive().optional().describe('Most times this timer moves one enrollment on: the bound of a loop made of timers'),
      }),
    )
    .optional()
    .describe('Timed transitions'),
  wait: z
    .strictObject({
      for: eventType,
      when: When.optional(),
      to: stateName,
      timeout: Delay,
      then: stateName.describe('State entered when the timeout passes first'),
    })
    .optional()
    .describe('Wait for an event, or time out'),
  choose: z
    .array(z.strictObject({ when: When.optional(), to: stateName }))
    .min(1)
    .optional()
    .describe('Branches taken at once on entry; the first whose conditions hold wins'),
  split: z
    .array(z.strictObject({ percent: z.number().gt(0).max(100), to: stateName }))
    .min(2)
    .optional()
    .describe('Deterministic percentage split per constituent (A/B tests)'),
  final: z.boolean().optional(),
  outcome: z.enum(['completed', 'converted']).optional().describe('How a final state ends the enrollment'),
});
export type State = z.infer<typeof State>;

/** Versions are numbered 1, 2, 3…; stored as a PostgreSQL integer, so a number past its range names no version. */
export const MAX_JOURNEY_VERSION = 2_147_483_647;
export const JourneyVersionNumber = z.int().min(1).max(MAX_JOURNEY_VERSION);
/** A version number written in a path or query. */
export const JourneyVersionText = z.coerce.number().pipe(JourneyVersionNumber);

export const JourneyDefinition = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes, e.g. new-donor-welcome'),
  name: z.string().min(1),
  description: z.string().optional(),
  version: JourneyVersionNumber.default(1),
  trigger: z.strictObject({
    event: z.enum(interactionTypes),
    when: When.optional(),
    first: z.boolean().optional().describe("Only the constituent's first event of this type enrolls them"),
    group: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes, e.g. acknowledgment')
      .optional()
      .describe('Journeys sharing a group answer one event once: only the admitting one with the highest priority enrolls'),
    priority: z.int().optional().describe('Rank within the trigger group; higher wins, 0 when omitted'),
    within: Duration.optional().describe(
      `An event that was already older than this when Steward received it enrolls no one (an import of past gifts thanks no one today); ${DEFAULT_TRIGGER_WITHIN} when omitted`,
    ),
  }),
  reentry: z
    .strictObject({
      policy: z.enum(['once', 'once-per-period', 'always']),
      period: Duration.optional(),
    })
    .default({ policy: 'once' })
    .describe('once: never again; once-per-period: at most once per period; always: whenever not already enrolled'),
  limit: z.int().positive().optional().describe('Most enrollments this journey version accepts'),
  goal: z
    .strictObject({ event: eventType, when: When.optional(), name: z.string().min(1).optional() })
    .optional()
    .describe('An event that ends the enrollment as converted, from any state'),
  exits: z
    .array(z.enum(systemEventTypes).exclude(['task-completed', 'delivery-failed']))
    .default(['unsubscribed', 'hard-bounced', 'removed'])
    .describe('Events that end the enrollment at once, from any state'),
  delivery: z
    .strictObject({
      window: z
        .strictObject({
          hours: z.string().describe('Local clock time messages may go out, e.g. 10:00-18:00'),
          days: z.string().default('mon-sun').describe('Days of the week, e.g. mon-fri or mon,wed,sat'),
        })
        .optional()
        .describe("This journey's own send window, in each recipient's time zone"),
      whenCapped: z.enum(['defer', 'skip']).optional().describe('A message over the frequency cap waits for room (defer) or is dropped (skip)'),
    })
    .optional()
    .describe('When and how often messages go out, where this journey differs from the organisation'),
  initial: stateName,
  states: z.record(stateName, State).refine((states) => Object.keys(states).length > 0, 'needs at least one state'),
});

/** A definition as written (defaults not yet applied): what a TypeScript journey is typed as. */
export type JourneyDefinitionInput = z.input<typeof JourneyDefinition>;
/** A parsed definition, defaults applied. */
export type JourneyDefinition = z.infer<typeof JourneyDefinition>;

// Kept apart from the schemas (they need no zod), for the workflow code: see transitions.ts.
export { RESERVED_STATES, transitionsOf } from './transitions.ts';

/** JSON Schema for editors (completion and checks while typing a journey file). */
export function journeyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(JourneyDefinition, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
