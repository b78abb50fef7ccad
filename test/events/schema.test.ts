/** The event contract: what it accepts, and where it says a rejected event is wrong. */
import { describe, expect, it } from 'vitest';
import { describeIssues, InteractionEventInput } from '../../src/events/schema.ts';

const donation = {
  id: 'gift-1',
  type: 'donation',
  occurredAt: '2026-11-20T15:04:05Z',
  constituent: { email: 'Ada@Example.org', firstName: 'Ada', lastName: 'Lovelace', timezone: 'Europe/London' },
  data: { amount: 25, currency: 'USD' },
};

/** The event with one change applied at a dotted path (undefined deletes). */
function withChange(path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(donation) as Record<string, unknown>;
  const keys = path.split('.');
  let target = copy as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  if (value === undefined) delete target[keys.at(-1)!];
  else target[keys.at(-1)!] = value;
  return copy;
}

describe('InteractionEventInput', () => {
  it('accepts a donation, lower-cases the email and keeps extra data fields', () => {
    const parsed = InteractionEventInput.parse(withChange('data.campaign', 'giving-tuesday'));
    expect(parsed).toMatchObject({
      type: 'donation',
      constituent: { email: 'ada@example.org' },
      data: { amount: 25, currency: 'USD', campaign: 'giving-tuesday' },
    });
  });

  it.each([
    ['registration', { program: 'Spring gala' }],
    ['drop-off', { kind: 'lapsed' }],
    ['custom', { name: 'volunteered' }],
  ])('accepts a %s event', (type, data) => {
    expect(InteractionEventInput.safeParse({ ...donation, type, data }).success).toBe(true);
  });

  it.each([
    ['a missing id', 'id', undefined, 'id', /expected string/],
    ['an empty id', 'id', '  ', 'id', /too small|at least/i],
    ['an unknown type', 'type', 'pledge', 'type', /donation.*registration|invalid/i],
    ['a date without a time zone', 'occurredAt', '2026-11-20 15:04', 'occurredAt', /datetime/i],
    ['a missing constituent email', 'constituent.email', undefined, 'constituent.email', /expected string/],
    ['a malformed email', 'constituent.email', 'ada-at-example', 'constituent.email', /email/i],
    ['an unknown time zone', 'constituent.timezone', 'Mars/Olympus', 'constituent.timezone', /IANA time zone/],
    ['a phone number with letters', 'constituent.phone', 'call me', 'constituent.phone', /phone number/],
    ['a missing amount', 'data.amount', undefined, 'data.amount', /expected number/],
    ['an amount given as text', 'data.amount', '25', 'data.amount', /expected number/],
    ['a negative amount', 'data.amount', -5, 'data.amount', /too small|greater than 0/i],
    ['fractions of a cent', 'data.amount', 10.005, 'data.amount', /two decimal places/],
    ['a lower-case currency', 'data.currency', 'usd', 'data.currency', /ISO 4217/],
    ['an unknown currency', 'data.currency', 'XYZ', 'data.currency', /not a known ISO 4217 currency/],
  ])('rejects %s, naming %s', (_case, path, value, expectedPath, message) => {
    const result = InteractionEventInput.safeParse(withChange(path, value));
    expect(result.success).toBe(false);
    const issues = describeIssues(result.error!);
    expect(issues).toContainEqual({ path: expectedPath, message: expect.stringMatching(message) });
  });

  it('checks data against the event type: a registration needs its program', () => {
    const result = InteractionEventInput.safeParse({ ...donation, type: 'registration', data: {} });
    expect(describeIssues(result.error!)).toEqual([{ path: 'data.program', message: expect.any(String) }]);
  });
});
