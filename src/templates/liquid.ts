/**
 * The Liquid engine messages are written in, configured so that mistakes show up
 * when a template is loaded, not in a donor's inbox: unknown filters are parse
 * errors, and a variable the data does not hold is an error at render time
 * (`if` and `default` may still test for one).
 */
import { Liquid, type Context } from 'liquidjs';
import { formattingLocale } from './locales.ts';

/** What a filter function sees as `this`. */
interface FilterImpl {
  context: Context;
}

/** The constituent's locale and time zone, as the filters read them from the data; a locale Intl cannot use reads as en-US. */
function localeOf(filter: FilterImpl): string {
  return formattingLocale(filter.context.getSync(['constituent', 'locale']));
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

/**
 * Intl formatters are costly to build and every message needs a few: built once
 * per locale and style, and kept (a bounded number of them).
 */
const formats = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function cachedFormat<F extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, build: () => F): F {
  let format = formats.get(key) as F | undefined;
  if (!format) {
    if (formats.size >= 1_000) formats.clear();
    formats.set(key, (format = build()));
  }
  return format;
}

/** Formats an amount in a currency as readers of `locale` write it; used by the `money` filter and receipts' PDFs. */
export function moneyFormatter(locale: string, currency: unknown): (amount: unknown) => string {
  const code = typeof currency === 'string' && /^[A-Z]{3}$/.test(currency) ? currency : 'USD';
  const format = cachedFormat(`money|${locale}|${code}`, () => new Intl.NumberFormat(locale, { style: 'currency', currency: code }));
  return (amount) => {
    const value = Number(amount);
    return Number.isFinite(value) ? format.format(value) : '';
  };
}

const numberFormat = (locale: string) => cachedFormat(`number|${locale}`, () => new Intl.NumberFormat(locale));

function createEngine(outputEscape: 'escape' | undefined): Liquid {
  const engine = new Liquid({ strictVariables: true, strictFilters: true, lenientIf: true, ownPropertyOnly: true, outputEscape });
  /** `{{ gift.amount | money: gift.currency }}`: £25.00 for en-GB, 25,00 € for fr-FR. */
  engine.registerFilter('money', function (this: FilterImpl, amount: unknown, currency: unknown) {
    return moneyFormatter(localeOf(this), currency)(amount);
  });
  /** `{{ statement.gifts.size | number }}`: 1,234.5 for en-US, 1 234,5 for fr-FR. */
  engine.registerFilter('number', function (this: FilterImpl, value: unknown) {
    const number = Number(value);
    return Number.isFinite(number) && value !== null && value !== '' ? numberFormat(localeOf(this)).format(number) : '';
  });
  /** `{{ registration.startsAt | localdate }}`: the moment in the constituent's own time zone and language. */
  engine.registerFilter('localdate', function (this: FilterImpl, value: unknown, style: unknown = 'full') {
    if (typeof value !== 'string' && !(value instanceof Date)) return '';
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return '';
    const styleName = (typeof style === 'string' && style in dateStyles ? style : 'full') as keyof typeof dateStyles;
    const [locale, timeZone] = [localeOf(this), timeZoneOf(this)];
    return cachedFormat(`date|${styleName}|${locale}|${timeZone}`, () => new Intl.DateTimeFormat(locale, { ...dateStyles[styleName], timeZone })).format(date);
  });
  return engine;
}

/** For subjects, plain text and SMS: output as is. */
export const textEngine = createEngine(undefined);
/** For HTML parts: every output escaped, so what a constituent typed stays text. */
export const htmlEngine = createEngine('escape');
