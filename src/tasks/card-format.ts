/** How task cards and staff notices write amounts and times: the currency always named, times in the organisation's zone. */
import { DateTime } from 'luxon';

/** `USD 5,000.00`: the code, not a symbol, so dollars of different countries are never confused. */
export function formatAmount(amount: string | number, currency: string | null): string {
  if (!currency) return Number(amount).toFixed(2);
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency, currencyDisplay: 'code' }).format(Number(amount)).replace(/\u00a0/g, ' ');
  } catch {
    return `${currency} ${Number(amount).toFixed(2)}`;
  }
}

/** `2 Dec 2026, 09:30 EST`: a time as people where the organisation is read it, its zone named. */
export function formatLocalTime(at: Date, timeZone: string): string {
  return DateTime.fromJSDate(at, { zone: timeZone }).toFormat('d LLL yyyy, HH:mm ZZZZ');
}

/** `2 Dec 2026`: a day in the organisation's calendar. */
export function formatLocalDay(at: Date, timeZone: string): string {
  return DateTime.fromJSDate(at, { zone: timeZone }).toFormat('d LLL yyyy');
}
