/**
 * The Liquid engine messages are written in, configured so that mistakes show up
 * when a template is loaded, not in a donor's inbox: unknown filters are parse
 * errors, and a variable the data does not hold is an error at render time
 * (`if` and `default` may still test for one).
 */
import { Liquid, type Context } from 'liquidjs';

/** What a filter function sees as `this`. */
interface FilterImpl {
  context: Context;
}

/** The constituent's locale and time zone, as the filters read them from the data. */
function localeOf(filter: FilterImpl): string {
  const locale = filter.context.getSync(['constituent', 'locale']);
  return typeof locale === 'string' && locale ? locale : 'en-US';
}

function timeZoneOf(filter: FilterImpl): string {
  const zone = filter.context.getSync(['constituent', 'timezone']);
  return typeof zone === 'string' && zone ? zone : 'UTC';
}

const dateStyles = {
  full: { dateStyle: 'full', timeStyle: 'short' },
  date: { dateStyle: 'long' },
  time: { timeStyle: 'short' },
} as const satisfies Record<string, Intl.DateTimeFormatOptions>;

/** Formats an amount in a currency as readers of `locale` write it; used by the `money` filter and receipts' PDFs. */
export function moneyFormatter(locale: string, currency: unknown): (amount: unknown) => string {
  const code = typeof currency === 'string' && /^[A-Z]{3}$/.test(currency) ? currency : 'USD';
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency: code });
  return (amount) => {
    const value = Number(amount);
    return Number.isFinite(value) ? format.format(value) : '';
  };
}

function createEngine(outputEscape: 'escape' | undefined): Liquid {
  const engine = new Liquid({ strictVariables: true, strictFilters: true, lenientIf: true, ownPropertyOnly: true, outputEscape });
  /** `{{ gift.amount | money: gift.currency }}`: £25.00 for en-GB, 25,00 € for fr-FR. */
  engine.registerFilter('money', function (this: FilterImpl, amount: unknown, currency: unknown) {
    return moneyFormatter(localeOf(this), currency)(amount);
  });
  /** `{{ registration.startsAt | localdate }}`: the moment in the constituent's own time zone and language. */
  engine.registerFilter('localdate', function (this: FilterImpl, value: unknown, style: unknown = 'full') {
    if (typeof value !== 'string' && !(value instanceof Date)) return '';
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return '';
    const options = dateStyles[(typeof style === 'string' && style in dateStyles ? style : 'full') as keyof typeof dateStyles];
    return new Intl.DateTimeFormat(localeOf(this), { ...options, timeZone: timeZoneOf(this) }).format(date);
  });
  return engine;
}

/** For subjects, plain text and SMS: output as is. */
export const textEngine = createEngine(undefined);
/** For HTML parts: every output escaped, so what a constituent typed stays text. */
export const htmlEngine = createEngine('escape');
