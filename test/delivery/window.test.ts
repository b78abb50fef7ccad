/** Send windows in the recipient's own clock, on both sides of UTC and across daylight-saving changes. */
import { describe, expect, it } from 'vitest';
import { parseCap } from '../../src/delivery/caps.ts';
import { nextOpening, parseSendWindow, type SendWindow } from '../../src/delivery/window.ts';

const window = (hours: string, days = 'mon-sun'): SendWindow => {
  const parsed = parseSendWindow(hours, days);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
};
const at = (iso: string) => new Date(iso);

describe('send windows', () => {
  const daytime = window('09:00-20:00');

  it('lets a message go at once inside the window', () => {
    // 10:00 in Los Angeles (UTC-8 in November).
    expect(nextOpening(at('2026-11-23T18:00:00Z'), daytime, 'America/Los_Angeles')).toEqual(at('2026-11-23T18:00:00Z'));
  });

  it('holds a message until the morning west of UTC', () => {
    // 21:30 in Los Angeles on Monday: next opening Tuesday 09:00 PST = 17:00 UTC.
    expect(nextOpening(at('2026-11-24T05:30:00Z'), daytime, 'America/Los_Angeles')).toEqual(at('2026-11-24T17:00:00Z'));
  });

  it('holds a message until the morning east of UTC, where the local date is already tomorrow', () => {
    // 07:00 UTC Monday is 20:00 Monday in Auckland (UTC+13 in November): closed; opens Tuesday 09:00 NZDT = Monday 20:00 UTC.
    expect(nextOpening(at('2026-11-23T07:00:00Z'), daytime, 'Pacific/Auckland')).toEqual(at('2026-11-23T20:00:00Z'));
    // 22:00 UTC Sunday is 11:00 Monday in Auckland: open.
    expect(nextOpening(at('2026-11-22T22:00:00Z'), daytime, 'Pacific/Auckland')).toEqual(at('2026-11-22T22:00:00Z'));
  });

  it('keeps 09:00 local on the morning the clocks spring forward', () => {
    // New York, Saturday 7 March 2026 21:00 EST (02:00 UTC Sunday). Clocks go forward at 02:00 on Sunday 8 March.
    // Sunday 09:00 is EDT (UTC-4): 13:00 UTC, not the 14:00 UTC a fixed offset would give.
    expect(nextOpening(at('2026-03-08T02:00:00Z'), daytime, 'America/New_York')).toEqual(at('2026-03-08T13:00:00Z'));
  });

  it('keeps 09:00 local on the morning the clocks fall back', () => {
    // London, Saturday 24 October 2026 22:00 BST (21:00 UTC). Clocks go back on Sunday 25 October: 09:00 GMT is 09:00 UTC.
    expect(nextOpening(at('2026-10-24T21:00:00Z'), daytime, 'Europe/London')).toEqual(at('2026-10-25T09:00:00Z'));
  });

  it('opens at the first valid moment when the window starts in the hour the clocks skip', () => {
    // New York has no 02:30 on 8 March 2026: the window opens at 03:30 EDT (07:30 UTC).
    expect(nextOpening(at('2026-03-08T05:00:00Z'), window('02:30-06:00'), 'America/New_York')).toEqual(at('2026-03-08T07:30:00Z'));
  });

  it('skips days the window does not open on', () => {
    // Friday 20 November 2026, 21:00 in Chicago: weekdays only, so Monday 09:00 CST = 15:00 UTC.
    expect(nextOpening(at('2026-11-21T03:00:00Z'), window('09:00-20:00', 'mon-fri'), 'America/Chicago')).toEqual(at('2026-11-23T15:00:00Z'));
    // A range may wrap the week: fri-mon includes Saturday.
    expect(nextOpening(at('2026-11-21T16:00:00Z'), window('09:00-20:00', 'fri-mon'), 'America/Chicago')).toEqual(at('2026-11-21T16:00:00Z'));
  });

  it('explains a window it cannot use', () => {
    expect(parseSendWindow('9-17', 'mon-fri')).toEqual({ error: '"9-17" is not a window like 09:00-20:00' });
    expect(parseSendWindow('20:00-09:00', 'mon-fri')).toEqual({ error: '"20:00-09:00" must open before it closes, on the same day' });
    expect(parseSendWindow('09:00-17:00', 'mon-fry')).toEqual({ error: '"mon-fry" is not a day or range of days like mon-fri' });
    expect(parseSendWindow('00:00-24:00', 'mon,wed')).toEqual({ start: 0, end: 1440, days: [1, 3] });
  });
});

describe('frequency caps', () => {
  it('reads caps as count per period', () => {
    expect(parseCap('3/7d')).toEqual({ limit: 3, periodMs: 7 * 86_400_000, label: '3 per 7 days' });
    expect(parseCap('1/1d')).toEqual({ limit: 1, periodMs: 86_400_000, label: '1 per day' });
    expect(parseCap('none')).toBeNull();
    expect(parseCap('3 a week')).toEqual({ error: '"3 a week" is not a cap like 3/7d (count / period in h, d or w), or none' });
  });
});
