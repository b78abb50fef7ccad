/**
 * A mapped connector: a file that says how one platform's webhook (a donation form,
 * an event registration tool) becomes Steward events, in the journey format's style.
 * Values are read from the payload by JSON paths (`$.data.donor.email`,
 * `$.items[0].amount`), optionally transformed, or given as constants.
 */
import { z } from 'zod';
import { parseDuration } from '../../journeys/duration.ts';

/** `$`, then `.name` or `[index]` steps: `$.data.donor.email`, `$.lines[0].amount`. */
export const JsonPath = z
  .string()
  .regex(/^\$(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*$/, 'must be a JSON path such as $.data.donor.email or $.items[0].amount');

/** Turns a payload value into what Steward stores. */
export const Transform = z.enum([
  /** An integer of minor units (cents) to an amount, by the currency's decimals (or `decimals`). */
  'minor-units',
  /** An ISO 8601 date, or Unix seconds, to an instant. */
  'date',
  /** Text in capitals (a currency code written `usd`). */
  'upper',
  /** Text in lower case. */
  'lower',
  /** A number written as text (`"25.00"`). */
  'number',
  /** Text from a number or flag. */
  'string',
]);
export type Transform = z.infer<typeof Transform>;

/** A value: a JSON path, a path with a transform, or a constant. */
export const ValueSpec = z.union([
  JsonPath,
  z.strictObject({
    path: JsonPath,
    transform: Transform.optional(),
    /** minor-units: where the currency is, or how many decimals the unit has. */
    currency: JsonPath.optional(),
    decimals: z.number().int().min(0).max(4).optional(),
    /** Left out of the event when the payload lacks it, instead of an error. */
    optional: z.boolean().optional(),
    /** Text put before the value: a refund names its gift as `<connector>:<the platform's gift id>`. */
    prefix: z.string().max(100).optional(),
  }).refine((spec) => spec.transform !== 'minor-units' || spec.currency !== undefined || spec.decimals !== undefined, {
    path: ['currency'],
    message: 'minor-units needs the currency (a path) or decimals, to know the size of the unit',
  }),
  z.strictObject({ constant: z.union([z.string(), z.number(), z.boolean()]) }),
]);
export type ValueSpec = z.infer<typeof ValueSpec>;

const duration = z.string().transform((text, ctx) => {
  const parsed = parseDuration(text);
  if ('error' in parsed) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return parsed.ms;
});

export const SignatureSpec = z.strictObject({
  /** The header carrying the HMAC-SHA256 of the body (or of `<timestamp>.<body>`). */
  header: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be a header name'),
  algorithm: z.literal('sha256').default('sha256'),
  encoding: z.enum(['hex', 'base64']),
  /** Text before the signature in the header, e.g. `sha256=`. */
  prefix: z.string().max(50).optional(),
  /** With a timestamp, the signed text is `<timestamp>.<body>` and an old one is refused. */
  timestamp: z
    .strictObject({
      header: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be a header name'),
      /** How far from now the timestamp (Unix seconds) may be. */
      tolerance: duration.default(300_000),
    })
    .optional(),
});
export type SignatureSpec = z.infer<typeof SignatureSpec>;

const Constituent = z.strictObject({
  email: ValueSpec,
  firstName: ValueSpec.optional(),
  lastName: ValueSpec.optional(),
  phone: ValueSpec.optional(),
  timezone: ValueSpec.optional(),
  locale: ValueSpec.optional(),
});

/** One kind of delivery and the Steward event it becomes. */
export const DeliveryRule = z.strictObject({
  /** Which deliveries this rule takes: the value at `path` equals one of these. */
  when: z.strictObject({ path: JsonPath, equals: z.union([z.string(), z.array(z.string()).min(1)]) }),
  type: z.enum(['donation', 'registration', 'drop-off', 'custom', 'refund']),
  /**
   * The platform's id for what happened (a donation's id), which makes the Steward event's
   * id `<connector>:<value>`, so a refund can name the gift; the delivery id when left out.
   */
  id: ValueSpec.optional(),
  /** When it happened; the moment it arrived when left out. */
  occurredAt: ValueSpec.optional(),
  constituent: Constituent,
  /** Steward's event data: `amount`, `currency`, `campaign`, `program`, `startsAt`, `kind`, … */
  data: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be a field name'), ValueSpec).default({}),
});

export const ConnectorDefinition = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes').refine((name) => name !== 'stripe', 'stripe is the built-in Stripe connector'),
  description: z.string().max(500).optional(),
  signature: SignatureSpec,
  /** The provider's id for the delivery: the same id again is a redelivery and stores nothing. */
  idempotencyKey: JsonPath,
  /** Where the provider names the kind of delivery, for the delivery log. */
  kind: JsonPath.optional(),
  /** Tried in order; a delivery no rule takes is acknowledged and recorded as ignored. */
  deliveries: z.array(DeliveryRule).min(1),
});
export type ConnectorDefinition = z.infer<typeof ConnectorDefinition>;
