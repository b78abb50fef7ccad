/**
 * The variables a message template may use, and which of them a journey can
 * supply. A journey triggered by a registration has no gift to thank for, so a
 * template that says `{{ gift.amount }}` is refused when that journey is
 * validated or published, never sent with a blank where the amount should be.
 */
import { eventFields, type InteractionType } from '../journeys/vocabulary.ts';

export type Channel = 'email' | 'sms';

const receiptFields = [
  'serial', 'year', 'jurisdiction', 'status', 'amount', 'currency', 'benefitValue', 'benefitDescription', 'eligibleAmount', 'replaces',
  'giftOn', 'issuedOn', 'legalName', 'taxId', 'signatory', 'placeOfIssue', 'authorityUrl', 'giftAid', 'giftAidValue',
] as const;

/** A variable's place in the data: a leaf, a group of named variables, or free-form (attributes). */
type Shape = 'leaf' | 'any' | { readonly [name: string]: Shape };

const constituent: Shape = {
  firstName: 'leaf',
  lastName: 'leaf',
  email: 'leaf',
  phone: 'leaf',
  locale: 'leaf',
  timezone: 'leaf',
  attributes: 'any',
};

/** Where a variable comes from, so a refusal can say why it is missing. */
interface Root {
  shape: Shape;
  channels: readonly Channel[];
  /** Only journeys with this trigger have it. */
  trigger?: InteractionType;
}

function roots(trigger: InteractionType | undefined): Record<string, Root> {
  const eventShape: Record<string, Shape> = { type: 'leaf', occurredAt: 'leaf' };
  // Without a trigger (a template checked on its own) any event's fields may be meant.
  const types = trigger ? [trigger] : (Object.keys(eventFields) as (keyof typeof eventFields)[]);
  for (const type of types) for (const field of Object.keys(eventFields[type])) eventShape[field] = 'leaf';
  return {
    constituent: { shape: constituent, channels: ['email', 'sms'] },
    /** The event that enrolled the constituent. */
    event: { shape: eventShape, channels: ['email', 'sms'] },
    gift: { shape: { amount: 'leaf', currency: 'leaf' }, channels: ['email', 'sms'], trigger: 'donation' },
    registration: { shape: { program: 'leaf', startsAt: 'leaf' }, channels: ['email', 'sms'], trigger: 'registration' },
    /** The next ask from the constituent's giving history. */
    ask: { shape: { amount: 'leaf', currency: 'leaf' }, channels: ['email', 'sms'] },
    journey: { shape: { id: 'leaf', name: 'leaf' }, channels: ['email', 'sms'] },
    org: { shape: { name: 'leaf', address: 'leaf', website: 'leaf' }, channels: ['email', 'sms'] },
    /** Signed links, personal to the recipient; SMS opts out with STOP instead. */
    links: { shape: { unsubscribe: 'leaf', preferences: 'leaf' }, channels: ['email'] },
    /** The gift's receipt (templates of kind `receipt`; see src/receipts/message-data.ts). */
    receipt: { shape: Object.fromEntries(receiptFields.map((field) => [field, 'leaf'])), channels: ['email'] },
    /** The donor's gifts of a year (templates of kind `statement`). */
    statement: { shape: { year: 'leaf', gifts: 'any', totals: 'any' }, channels: ['email'] },
  };
}

/** Names of the variables a template may use, for documentation and previews. */
export function variableNames(channel: Channel, trigger?: InteractionType): string[] {
  const names: string[] = [];
  const walk = (prefix: string, shape: Shape): void => {
    if (shape === 'leaf') names.push(prefix);
    else if (shape === 'any') names.push(`${prefix}.*`);
    else for (const [name, inner] of Object.entries(shape)) walk(`${prefix}.${name}`, inner);
  };
  for (const [name, root] of Object.entries(roots(trigger))) {
    if (root.channels.includes(channel) && (!root.trigger || !trigger || root.trigger === trigger)) walk(name, root.shape);
  }
  return names;
}

/**
 * Why a variable, given as its path segments (`['gift', 'amount']`), cannot be
 * filled for this channel and trigger, worded to follow "template X uses";
 * undefined when it can. Without a trigger
 * (a template checked on its own) every trigger's variables are allowed.
 */
export function unavailableVariable(
  segments: readonly (string | number)[],
  context: { channel: Channel; trigger?: InteractionType | undefined },
): string | undefined {
  const [first, ...rest] = segments;
  const name = segments.map(String).join('.');
  const root = typeof first === 'string' ? roots(context.trigger)[first] : undefined;
  if (!root) return `unknown variable "${name}"`;
  if (!root.channels.includes(context.channel)) return `"${name}", which ${context.channel === 'sms' ? 'an SMS' : 'an email'} does not have`;
  if (root.trigger && context.trigger && root.trigger !== context.trigger) {
    return `"${name}", which only journeys triggered by a ${root.trigger} have (this one is triggered by a ${context.trigger})`;
  }
  let shape: Shape = root.shape;
  for (const segment of rest) {
    if (shape === 'any') return undefined;
    // `items[0]` or `items.size` on a leaf is the template's business.
    if (shape === 'leaf') return undefined;
    const inner: Shape | undefined = typeof segment === 'string' && Object.hasOwn(shape, segment) ? shape[segment] : undefined;
    if (!inner) return `unknown variable "${name}"`;
    shape = inner;
  }
  return undefined;
}
