/**
 * A/B split results per arm: the enrollments the split sent each way, how many of
 * them converted, how many responded (followed a link in a tracked email sent after
 * the split), and the revenue attributed to them, each with a 95% interval, and a
 * verdict from a two-proportion z-test (see variant-stats.ts). Conversion is the
 * metric judged when the journey has a goal; otherwise clicks.
 */
import { Prisma, type Database } from '../db/client.ts';
import type { JourneyDefinition } from '../journeys/definition.ts';
import { statesInJourneyOrder } from '../journeys/diagram.ts';
import { judgeArms, meanInterval, wilsonInterval, type ArmVerdict, type Interval } from './variant-stats.ts';

export interface ArmResults {
  /** The state the arm leads to. */
  arm: string;
  /** Its share of the split, as the definition says. */
  percent: number;
  /** Enrollments the split sent this way. */
  enrolled: number;
  converted: number;
  conversionRate: number;
  conversionInterval: Interval;
  /** Enrollments that clicked a link in an email sent after the split. */
  responded: number;
  responseRate: number;
  responseInterval: Interval;
  /** Per currency: the total, and the mean per enrollment of the arm with its interval. */
  revenue: { currency: string; amount: string; perEnrollment: number; perEnrollmentInterval: Interval }[];
}

export interface SplitResults {
  /** The state that splits. */
  state: string;
  /** The metric the verdict judges. */
  metric: 'conversion' | 'click';
  method: string;
  arms: ArmResults[];
  verdict: ArmVerdict;
}

export const VARIANT_METHOD = 'two-proportion z-test (two-sided, 95%, Bonferroni across arms); Wilson score intervals per arm';

/** The SQL behind variant results, for running and for EXPLAIN. */
export const variantQueries = {
  /** Per split state and arm: enrollments, conversions, and enrollments that clicked after the split. */
  arms(journeyId: string, splitStates: string[]): Prisma.Sql {
    return Prisma.sql`
      WITH split_step AS (
        SELECT DISTINCT ON (e.id, t.from_state) e.id, e.status, t.from_state AS split, t.to_state AS arm, t.at
          FROM enrollment e
          JOIN enrollment_transition t ON t.enrollment_id = e.id
         WHERE e.journey_version_id IN (SELECT v.id FROM journey_version v WHERE v.journey_id = ${journeyId})
           AND t.from_state = ANY(${splitStates}::text[])
         ORDER BY e.id, t.from_state, t.sequence
      )
      SELECT s.split, s.arm, count(*)::int AS enrolled,
             count(*) FILTER (WHERE s.status = 'converted')::int AS converted,
             count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM message m JOIN message_engagement x ON x.message_id = m.id
                WHERE m.enrollment_id = s.id AND m.created_at >= s.at AND x.kind = 'click'
             ))::int AS responded
        FROM split_step s
       GROUP BY s.split, s.arm`;
  },

  /** Per split state, arm and currency: the gifts attributed to the arm's enrollments, their sum and sum of squares per enrollment. */
  revenue(journeyId: string, splitStates: string[], now: Date): Prisma.Sql {
    return Prisma.sql`
      WITH split_step AS (
        SELECT DISTINCT ON (e.id, t.from_state) e.id, e.constituent_id, e.entered_at, e.exited_at, e.trigger_event_id, t.from_state AS split, t.to_state AS arm
          FROM enrollment e
          JOIN enrollment_transition t ON t.enrollment_id = e.id
         WHERE e.journey_version_id IN (SELECT v.id FROM journey_version v WHERE v.journey_id = ${journeyId})
           AND t.from_state = ANY(${splitStates}::text[])
         ORDER BY e.id, t.from_state, t.sequence
      ),
      per_enrollment AS (
        SELECT s.split, s.arm, g.currency, sum(g.amount) AS amount
          FROM split_step s
          JOIN interaction_event g ON g.constituent_id = s.constituent_id AND g.type = 'donation'
               AND g.occurred_at >= s.entered_at AND g.occurred_at <= coalesce(s.exited_at, ${now}::timestamp)
               AND g.id IS DISTINCT FROM s.trigger_event_id AND g.amount IS NOT NULL AND g.currency IS NOT NULL
         GROUP BY s.split, s.arm, s.id, g.currency
      )
      SELECT split, arm, currency, sum(amount)::text AS amount, sum(amount * amount)::float8 AS "sumOfSquares"
        FROM per_enrollment GROUP BY split, arm, currency ORDER BY currency`;
  },
};

/** The results of every split in the definition, in the journey's order of states. */
export async function variantResults(db: Database, journeyId: string, definition: JourneyDefinition, now = new Date()): Promise<SplitResults[]> {
  const splits = statesInJourneyOrder(definition).flatMap((state) => {
    const split = definition.states[state]?.split;
    return split ? [{ state, split }] : [];
  });
  if (splits.length === 0) return [];
  const states = splits.map((split) => split.state);
  const [armRows, revenueRows] = await Promise.all([
    db.$queryRaw<{ split: string; arm: string; enrolled: number; converted: number; responded: number }[]>(variantQueries.arms(journeyId, states)),
    db.$queryRaw<{ split: string; arm: string; currency: string; amount: string; sumOfSquares: number }[]>(variantQueries.revenue(journeyId, states, now)),
  ]);
  const metric = definition.goal ? 'conversion' : 'click';
  return splits.map(({ state, split }) => {
    const arms = split.map(({ percent, to }): ArmResults => {
      const row = armRows.find((candidate) => candidate.split === state && candidate.arm === to);
      const enrolled = row?.enrolled ?? 0;
      const converted = row?.converted ?? 0;
      const responded = row?.responded ?? 0;
      return {
        arm: to,
        percent,
        enrolled,
        converted,
        conversionRate: enrolled === 0 ? 0 : converted / enrolled,
        conversionInterval: wilsonInterval(converted, enrolled),
        responded,
        responseRate: enrolled === 0 ? 0 : responded / enrolled,
        responseInterval: wilsonInterval(responded, enrolled),
        revenue: revenueRows
          .filter((candidate) => candidate.split === state && candidate.arm === to)
          .map((money) => {
            const { mean, interval } = meanInterval(enrolled, Number(money.amount), money.sumOfSquares);
            return { currency: money.currency, amount: Number(money.amount).toFixed(2), perEnrollment: mean, perEnrollmentInterval: interval };
          }),
      };
    });
    const verdict = judgeArms(
      metric,
      arms.map((arm) => ({ arm: arm.arm, trials: arm.enrolled, successes: metric === 'conversion' ? arm.converted : arm.responded })),
    );
    return { state, metric, method: VARIANT_METHOD, arms, verdict };
  });
}
