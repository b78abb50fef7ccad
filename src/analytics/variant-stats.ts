/**
 * The statistics behind A/B split results, in the frequentist form most marketers
 * have met: each arm's rate with a 95% Wilson score interval, and each arm against
 * the best one by a two-proportion z-test (pooled standard error for the test,
 * unpooled for the interval of the difference), two-sided. With more than two arms
 * the significance level is divided among the comparisons (Bonferroni), so a
 * three-way test does not find a winner by chance more often than a two-way one.
 * The normal distribution's CDF comes from simple-statistics' error function.
 */
import { errorFunction } from 'simple-statistics';

/** The 97.5th percentile of the standard normal: a 95% two-sided interval. */
export const Z_95 = 1.959963984540054;
/** A difference is called real below this p-value (before the Bonferroni split). */
export const SIGNIFICANCE = 0.05;
/** The z-test's normal approximation wants this many successes and failures in every arm. */
export const MIN_EXPECTED = 5;

export interface Interval {
  low: number;
  high: number;
}

/** Standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * (1 + errorFunction(z / Math.SQRT2));
}

/** The 95% Wilson score interval of a proportion; [0, 1] when there are no trials. */
export function wilsonInterval(successes: number, trials: number, z = Z_95): Interval {
  if (trials === 0) return { low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / (1 + z2 / trials);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export interface ProportionComparison {
  /** rate A − rate B. */
  difference: number;
  /** 95% interval of the difference (unpooled standard error). */
  interval: Interval;
  z: number;
  /** Two-sided p-value; 1 when the test cannot be computed (no trials, or no variation at all). */
  pValue: number;
}

/** Two-proportion z-test of A against B. */
export function twoProportionZTest(a: { successes: number; trials: number }, b: { successes: number; trials: number }): ProportionComparison {
  const rateA = a.trials === 0 ? 0 : a.successes / a.trials;
  const rateB = b.trials === 0 ? 0 : b.successes / b.trials;
  const difference = rateA - rateB;
  if (a.trials === 0 || b.trials === 0) return { difference, interval: { low: -1, high: 1 }, z: 0, pValue: 1 };
  const pooled = (a.successes + b.successes) / (a.trials + b.trials);
  const pooledSe = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials));
  const unpooledSe = Math.sqrt((rateA * (1 - rateA)) / a.trials + (rateB * (1 - rateB)) / b.trials);
  const z = pooledSe === 0 ? 0 : difference / pooledSe;
  const pValue = pooledSe === 0 ? 1 : 2 * (1 - normalCdf(Math.abs(z)));
  // A difference of rates lies within ±1 whatever the approximation says.
  return { difference, interval: { low: Math.max(-1, difference - Z_95 * unpooledSe), high: Math.min(1, difference + Z_95 * unpooledSe) }, z, pValue };
}

/** The 95% interval of a mean from its count, sum and sum of squares (normal approximation). */
export function meanInterval(count: number, sum: number, sumOfSquares: number): { mean: number; interval: Interval } {
  if (count === 0) return { mean: 0, interval: { low: 0, high: 0 } };
  const mean = sum / count;
  if (count === 1) return { mean, interval: { low: mean, high: mean } };
  const variance = Math.max(0, (sumOfSquares - count * mean * mean) / (count - 1));
  const half = Z_95 * Math.sqrt(variance / count);
  return { mean, interval: { low: mean - half, high: mean + half } };
}

export interface ArmCounts {
  arm: string;
  successes: number;
  trials: number;
}

export interface ArmVerdict {
  /** The arm with the highest rate; undefined before any arm has trials. */
  leader?: string | undefined;
  /** Whether the leader beats every other arm beyond chance; then it is the winner. */
  winner?: string | undefined;
  /** Each other arm against the leader. */
  comparisons: (ProportionComparison & { arm: string; against: string; significant: boolean })[];
  /** What to conclude, in a sentence. */
  verdict: string;
  enoughData: boolean;
}

/** The plain-language conclusion of one metric across a split's arms. */
export function judgeArms(metric: string, arms: ArmCounts[]): ArmVerdict {
  const rated = arms.map((arm) => ({ ...arm, rate: arm.trials === 0 ? 0 : arm.successes / arm.trials }));
  const leader = [...rated].sort((x, y) => y.rate - x.rate || y.trials - x.trials)[0];
  if (!leader || rated.some((arm) => arm.trials === 0)) {
    return { leader: undefined, comparisons: [], verdict: `Too early to tell: not every arm has anyone in it yet.`, enoughData: false };
  }
  const alpha = SIGNIFICANCE / Math.max(1, rated.length - 1);
  const comparisons = rated
    .filter((arm) => arm.arm !== leader.arm)
    .map((arm) => {
      const test = twoProportionZTest(leader, arm);
      return { ...test, arm: arm.arm, against: leader.arm, significant: test.pValue < alpha && test.difference > 0 };
    });
  const thin = rated.filter((arm) => arm.successes < MIN_EXPECTED || arm.trials - arm.successes < MIN_EXPECTED);
  const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;
  const points = (difference: number) => `${difference >= 0 ? '+' : '−'}${Math.abs(difference * 100).toFixed(1)}`;
  const versus = comparisons
    .map((test) => {
      const other = rated.find((arm) => arm.arm === test.arm)!;
      return `${percent(other.rate)} for ${test.arm} (difference ${points(test.difference)} points, 95% interval ${points(test.interval.low)} to ${points(test.interval.high)}; p = ${formatP(test.pValue)})`;
    })
    .join('; ');
  if (thin.length > 0) {
    return {
      leader: leader.arm,
      comparisons,
      enoughData: false,
      verdict: `Too early to tell: ${thin.map((arm) => arm.arm).join(', ')} ${thin.length === 1 ? 'has' : 'have'} fewer than ${MIN_EXPECTED} ${metric}s or non-${metric}s, too few to compare. So far ${leader.arm} leads with ${percent(leader.rate)} against ${versus}.`,
    };
  }
  if (comparisons.every((test) => test.significant)) {
    return {
      leader: leader.arm,
      winner: leader.arm,
      comparisons,
      enoughData: true,
      verdict: `${leader.arm} wins on ${metric}: ${percent(leader.rate)} against ${versus}. A difference this large would rarely happen by chance.`,
    };
  }
  return {
    leader: leader.arm,
    comparisons,
    enoughData: true,
    verdict: `No clear winner on ${metric} yet: ${leader.arm} leads with ${percent(leader.rate)} against ${versus}. Differences this size often happen by chance; keep the test running.`,
  };
}

function formatP(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}
