/**
 * Sample data for previews: a plausible donor, gift, registration and ask, with
 * any part replaced by what the caller gives (`{"constituent": {"locale": "fr-FR"}}`).
 * A part given as null is removed, to see what a template does without it.
 */
import { z } from 'zod';
import type { MessageData } from './library.ts';

export const defaultSample: MessageData = {
  constituent: {
    firstName: 'Ada',
    lastName: 'Lovelace',
    email: 'ada@example.org',
    phone: '+15551230000',
    locale: 'en-US',
    timezone: 'America/New_York',
    attributes: {},
  },
  event: { type: 'donation', occurredAt: '2026-11-20T15:00:00.000Z', amount: 50, currency: 'USD' },
  gift: { amount: '50.00', currency: 'USD' },
  registration: { program: 'Spring Gala', startsAt: '2027-04-17T23:00:00.000Z' },
  ask: { amount: '75', currency: 'USD' },
  journey: { id: 'sample-journey', name: 'Sample journey' },
  org: { name: 'Steward', address: '1 Example Street, Springfield', website: 'https://example.org' },
  links: { unsubscribe: 'https://example.org/u/sample-token', preferences: 'https://example.org/p/sample-token' },
  receipt: {
    serial: '2026-000042',
    year: 2026,
    jurisdiction: 'us',
    status: 'issued',
    amount: '50.00',
    currency: 'USD',
    benefitValue: '0.00',
    benefitDescription: null,
    eligibleAmount: '50.00',
    replaces: '',
    giftOn: '2026-11-20',
    issuedOn: '2026-11-20',
    legalName: 'Steward Example Society',
    taxId: '12-3456789',
    signatory: 'Sam Treasurer',
    placeOfIssue: '1 Example Street, Springfield',
    authorityUrl: 'https://www.irs.gov/charities-non-profits',
    giftAid: false,
    giftAidValue: '0.00',
  },
  statement: {
    year: 2026,
    gifts: [
      { date: '2026-03-01', amount: '50.00', currency: 'USD', receipt: '2026-000007' },
      { date: '2026-11-20', amount: '120.00', currency: 'USD', receipt: '2026-000042' },
    ],
    totals: [{ amount: '170.00', currency: 'USD' }],
  },
};

/** A JSON object of overrides; anything else is refused with where it went wrong. */
export const SampleOverrides = z.record(z.string(), z.unknown());

export function sampleData(overrides: Record<string, unknown> = {}, base: MessageData = defaultSample): MessageData {
  return merge(base, overrides) as MessageData;
}

function merge(base: unknown, overrides: unknown): unknown {
  if (overrides === null) return undefined;
  if (!isObject(base) || !isObject(overrides)) return overrides === undefined ? base : overrides;
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const merged = merge(base[key], value);
    if (merged === undefined) delete result[key];
    else result[key] = merged;
  }
  return result;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The overrides with the sample constituent's locale set: a preview "as a constituent in fr-CA gets it". */
export function withLocale(overrides: Record<string, unknown>, locale: string | undefined): Record<string, unknown> {
  if (!locale) return overrides;
  const constituent = isObject(overrides.constituent) ? overrides.constituent : {};
  return { ...overrides, constituent: { ...constituent, locale } };
}
