/** The ask ladder: the documented examples, and the promises it keeps for any history. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { askLadder, nextAsk, roundUpFriendly } from '../../src/templates/ask-ladder.ts';

const isFriendly = (amount: number) =>
  amount < 100 ? amount % 5 === 0 : amount < 1_000 ? amount % 25 === 0 : amount < 10_000 ? amount % 100 === 0 : amount % 500 === 0;

describe('nextAsk', () => {
  it.each([
    [undefined, undefined, 10],
    [20, 20, 30],
    [35, 50, 55],
    [100, 250, 250],
    [180, 180, 275],
    [66, 66, 100],
    [2_000, 2_000, 3_000],
    [40_000, 40_000, 25_000],
  ])('asks %s/%s donors for %s', (lastGift, highestGift, expected) => {
    expect(nextAsk({ lastGift, highestGift })).toBe(expected);
  });

  it('refuses amounts that are not amounts', () => {
    expect(() => nextAsk({ lastGift: Number.NaN })).toThrow(RangeError);
    expect(() => nextAsk({ lastGift: -5 })).toThrow(/lastGift must be a finite amount/);
    expect(() => nextAsk({ floor: 100, ceiling: 50 })).toThrow(/below the floor/);
  });

  const gift = fc.double({ min: 0, max: 100_000, noNaN: true });

  it('is always friendly, within its bounds, and at least the last gift unless capped', () => {
    fc.assert(
      fc.property(gift, gift, (lastGift, highestGift) => {
        const ask = nextAsk({ lastGift, highestGift });
        expect(isFriendly(ask)).toBe(true);
        expect(ask).toBeGreaterThanOrEqual(10);
        expect(ask).toBeLessThanOrEqual(25_000);
        if (lastGift <= 25_000) expect(ask).toBeGreaterThanOrEqual(Math.min(lastGift, 25_000));
      }),
    );
  });

  it('never asks less of someone who gave more', () => {
    fc.assert(
      fc.property(gift, gift, gift, (lastGift, highestGift, more) => {
        const ask = nextAsk({ lastGift, highestGift });
        expect(nextAsk({ lastGift: lastGift + more, highestGift })).toBeGreaterThanOrEqual(ask);
        expect(nextAsk({ lastGift, highestGift: highestGift + more })).toBeGreaterThanOrEqual(ask);
      }),
    );
  });
});

describe('askLadder', () => {
  it('offers a step below, the ask and a step above, all friendly', () => {
    expect(askLadder({ lastGift: 20, highestGift: 20 })).toEqual([20, 30, 45]);
    expect(askLadder({ lastGift: 700, highestGift: 700 })).toEqual([725, 1_100, 1_700]);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 50_000, noNaN: true }), (lastGift) => {
        const [below, ask, above] = askLadder({ lastGift, highestGift: lastGift });
        expect(below).toBeLessThanOrEqual(ask);
        expect(above).toBeGreaterThanOrEqual(ask);
        expect([below, ask, above].every(isFriendly)).toBe(true);
      }),
    );
  });

  it('rounds up to the friendly step of the size', () => {
    expect([7, 99, 101, 999, 1_001, 10_001].map(roundUpFriendly)).toEqual([10, 100, 125, 1_000, 1_100, 10_500]);
  });
});
