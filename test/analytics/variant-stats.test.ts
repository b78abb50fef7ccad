/**
 * The split statistics against known values: the z-test's p-value equals the
 * p-value of Pearson's chi-squared test without continuity correction on the same
 * 2×2 table (z² = χ²), and the Wilson intervals; the reference numbers are SciPy's
 * (scipy.stats.chi2_contingency(correction=False), binomtest(...).proportion_ci('wilson')).
 */
import { describe, expect, it } from 'vitest';
import { judgeArms, meanInterval, normalCdf, twoProportionZTest, wilsonInterval } from '../../src/analytics/variant-stats.ts';

describe('split statistics', () => {
  it('matches the standard normal distribution', () => {
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 7);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 7);
  });

  it('computes the two-proportion z-test as SciPy does', () => {
    const close = twoProportionZTest({ successes: 120, trials: 1000 }, { successes: 100, trials: 1000 });
    expect(close.z ** 2).toBeCloseTo(2.0429009193054135, 6);
    expect(close.pValue).toBeCloseTo(0.15291778186394195, 6);
    expect(close.difference).toBeCloseTo(0.02, 12);
    const clear = twoProportionZTest({ successes: 50, trials: 200 }, { successes: 30, trials: 200 });
    expect(clear.z ** 2).toBeCloseTo(6.25, 6);
    expect(clear.pValue).toBeCloseTo(0.01241933065155227, 6);
    // Unpooled interval of the difference: 0.1 ± 1.96·√(0.25·0.75/200 + 0.15·0.85/200).
    const half = 1.959963984540054 * Math.sqrt((0.25 * 0.75) / 200 + (0.15 * 0.85) / 200);
    expect(clear.interval.low).toBeCloseTo(0.1 - half, 12);
    expect(clear.interval.high).toBeCloseTo(0.1 + half, 12);
  });

  it('computes Wilson score intervals as SciPy does', () => {
    const a = wilsonInterval(120, 1000);
    expect(a.low).toBeCloseTo(0.10129926060130914, 9);
    expect(a.high).toBeCloseTo(0.14160907584771276, 9);
    const b = wilsonInterval(30, 200);
    expect(b.low).toBeCloseTo(0.10713593562241996, 9);
    expect(b.high).toBeCloseTo(0.20605579284166664, 9);
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
  });

  it('computes the mean and its interval from sums', () => {
    // Values 0, 0, 10, 30: mean 10, sample variance 200.
    const { mean, interval } = meanInterval(4, 40, 1000);
    expect(mean).toBe(10);
    expect(interval.high - mean).toBeCloseTo(1.959963984540054 * Math.sqrt(200 / 4), 9);
  });

  it('names a winner only when every other arm loses beyond chance, and says so plainly', () => {
    const clear = judgeArms('conversion', [
      { arm: 'short', successes: 30, trials: 200 },
      { arm: 'long', successes: 50, trials: 200 },
    ]);
    expect(clear.winner).toBe('long');
    expect(clear.verdict).toMatch(/^long wins on conversion: 25\.0% against 15\.0% for short \(difference \+10\.0 points, 95% interval \+2\.2 to \+17\.8; p = 0\.012\)/);

    const close = judgeArms('conversion', [
      { arm: 'a', successes: 120, trials: 1000 },
      { arm: 'b', successes: 100, trials: 1000 },
    ]);
    expect(close.winner).toBeUndefined();
    expect(close.leader).toBe('a');
    expect(close.verdict).toMatch(/^No clear winner on conversion yet: a leads with 12\.0% against 10\.0% for b .*p = 0\.153\)/);

    // Three arms: long beats short (p = 0.012 < 0.05 / 2) but not medium, so no winner yet.
    const three = judgeArms('conversion', [
      { arm: 'long', successes: 50, trials: 200 },
      { arm: 'short', successes: 30, trials: 200 },
      { arm: 'medium', successes: 45, trials: 200 },
    ]);
    expect(three.winner).toBeUndefined();
    expect(three.comparisons.find((c) => c.arm === 'short')?.significant).toBe(true);

    const early = judgeArms('click', [
      { arm: 'a', successes: 2, trials: 10 },
      { arm: 'b', successes: 0, trials: 9 },
    ]);
    expect(early.enoughData).toBe(false);
    expect(early.winner).toBeUndefined();
    expect(early.verdict).toMatch(/^Too early to tell: a, b have fewer than 5 clicks or non-clicks/);
    expect(judgeArms('conversion', [{ arm: 'a', successes: 0, trials: 0 }, { arm: 'b', successes: 1, trials: 3 }]).verdict).toMatch(/^Too early to tell: not every arm/);
  });
});
