/** The contract of an incoming interaction event (POST /events, imports). */
import { z } from 'zod';
import { Instant } from '../instant.ts';

const currencies = new Set(Intl.supportedValuesOf('currency'));
const timeZones = new Set(Intl.supportedValuesOf('timeZone'));

/** Consent given or withdrawn with the event: `granted`, or with where and when it was given. */
export const ConsentInput = z.union([
  z.enum(['granted', 'withdrawn']),
  z.strictObject({
    status: z.enum(['granted', 'withdrawn']),
    /** Where it was given: "donation form", "event sign-up". Defaults to the event. */
    source: z.string().trim().min(1).max(200).optional(),
    /** When it was given; defaults to when the event occurred. */
    at: Instant.optional(),
    /**
     * Who gave or withdrew it: the sending system (`integration`, the default), a
     * member of `staff`, or the `constituent` themself (a form they submitted),
     * which needs `evidence`. Only the constituent can undo their own withdrawal.
     */
    by: z.enum(['constituent', 'staff', 'integration']).optional(),
    /** What shows the constituent did it: a form submission's id, a signed page. */
    evidence: z.string().trim().min(1).max(500).optional(),
  }).refine((consent) => consent.by !== 'constituent' || consent.evidence !== undefined, {
    path: ['evidence'],
    message: 'is required when by is "constituent": say what shows the constituent gave it, e.g. a form submission id',
  }),
]);

export const ConstituentInput = z.object({
  email: z.email().max(254).transform((email) => email.toLowerCase()),
  firstName: z.string().trim().min(1).max(100).optional(),
  lastName: z.string().trim().min(1).max(100).optional(),
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9 ().-]{6,20}$/, 'must be a phone number, e.g. +15551234567')
    .optional(),
  timezone: z
    .string()
    .refine((zone) => timeZones.has(zone) || zone === 'UTC', 'must be an IANA time zone, e.g. America/New_York')
    .optional(),
  locale: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 locale, e.g. en-US').optional(),
  /** Per channel: what the constituent agreed to (or withdrew) when this happened. */
  consent: z.strictObject({ email: ConsentInput.optional(), sms: ConsentInput.optional() }).optional(),
});

const Money = {
  amount: z
    .number()
    .positive()
    .max(1_000_000_000)
    .refine((amount) => Math.abs(amount * 100 - Math.round(amount * 100)) < 1e-6, 'must have at most two decimal places'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, { error: 'must be a three-letter ISO 4217 code, e.g. USD', abort: true })
    .refine((code) => currencies.has(code), 'is not a known ISO 4217 currency'),
};

const base = {
  /** The sender's idempotency key: the same id again is the same event. */
  id: z.string().trim().min(1).max(200),
  occurredAt: Instant.optional(),
  constituent: ConstituentInput,
};

export const InteractionEventInput = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('donation'),
    data: z.looseObject({
      ...Money,
      campaign: z.string().min(1).max(200).optional(),
      fund: z.string().min(1).max(200).optional(),
      /** Part of a recurring (monthly) gift. */
      recurring: z.boolean().optional(),
      /** The value of what the donor received for it (a dinner, a gift): receipts state it and deduct it. */
      benefitValue: z.number().nonnegative().max(1_000_000_000).optional(),
      benefitDescription: z.string().trim().min(1).max(200).optional(),
      /** UK: the donor has made a Gift Aid declaration covering this gift. */
      giftAid: z.boolean().optional(),
    }).refine((data) => (data.benefitValue ?? 0) <= data.amount, { path: ['benefitValue'], message: 'cannot be more than the amount' }),
  }),
  z.object({
    ...base,
    type: z.literal('registration'),
    data: z.looseObject({ program: z.string().min(1).max(200), startsAt: Instant.optional() }),
  }),
  z.object({
    ...base,
    type: z.literal('drop-off'),
    data: z.looseObject({
      /** lapsed, no-show, recurring-failed, recurring-cancelled, unengaged, or an organisation's own kind. */
      kind: z.string().min(1).max(100),
      days: z.number().int().nonnegative().optional(),
      program: z.string().min(1).max(200).optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('custom'),
    data: z.looseObject({ name: z.string().min(1).max(100), value: z.string().max(200).optional() }),
  }),
  z.object({
    ...base,
    type: z.literal('refund'),
    data: z
      .looseObject({
        /** The gift taken back: the `id` its donation event was sent with. */
        gift: z.string().trim().min(1).max(200),
        /** `refund`: money returned; `void`: the gift should never have counted (a bounced cheque, an entry in error). */
        kind: z.enum(['refund', 'void']).optional(),
        /** How much was refunded; without it, the whole gift. */
        amount: Money.amount.optional(),
        currency: Money.currency.optional(),
        reason: z.string().trim().min(1).max(500).optional(),
      })
      .refine((data) => data.kind !== 'void' || data.amount === undefined, { path: ['amount'], message: 'a void takes back the whole gift: leave amount out' })
      .refine((data) => (data.amount === undefined) === (data.currency === undefined), { path: ['currency'], message: 'is required with amount, and only with it' }),
  }),
]);

export type InteractionEventInput = z.infer<typeof InteractionEventInput>;

/** A zod error as the API's issue list: `{ path: "data.amount", message }`. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.flatMap((issue) => located(issue, [])).map(({ path, message }) => ({ path: path.map(String).join('.'), message }));
}

/**
 * An issue with its full path. A union that matched no branch ("Invalid input")
 * says more as the issues of the branch the sender meant: the one that got
 * furthest into the value (`consent.email.status`, not `consent.email`).
 */
function located(issue: z.core.$ZodIssue, prefix: PropertyKey[]): { path: PropertyKey[]; message: string }[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const depth = (branch: z.core.$ZodIssue[]) => Math.max(0, ...branch.map((inner) => inner.path.length));
    const meant = issue.errors.reduce((best, branch) => (depth(branch) > depth(best) ? branch : best));
    return meant.flatMap((inner) => located(inner, path));
  }
  return [{ path, message: issue.message }];
}
