/**
 * The numbers a nonprofit reports about its journeys, staff queues and donors,
 * each computed by one SQL statement in PostgreSQL. Every statement is built by a
 * function of `analyticsQueries`, so the methods and the query-plan tests run the
 * very same SQL; each reads one journey (or one period of gifts) through an index.
 */
import { Prisma, type Channel, type Database } from '../db/client.ts';
import type { JourneyStatus } from '../db/generated/prisma/enums.ts';
import { RESERVED_STATES } from '../journeys/definition.ts';

/** Money in one currency, exact to the cent: `"1250.00"`. */
export interface Money {
  currency: string;
  amount: string;
}

export interface JourneySummary {
  journeyId: string;
  name: string;
  /** Status of the newest version: whether the journey is live now; null for a journey without versions. */
  status: JourneyStatus | null;
  /** Versions ever written, published or not. */
  versions: number;
  /** Enrollments still under way, across all versions. */
  active: number;
  /** Every enrollment ever, across all versions. */
  enrolled: number;
  /** Enrollments that entered in the 30 days up to `now`: is the journey still attracting people. */
  enrolledLast30Days: number;
  /** Enrollments that ended at their goal (status converted). */
  converted: number;
  /** converted / enrolled; 0 when nobody has enrolled. */
  conversionRate: number;
  /** Gifts attributed to the journey (see journeyMetrics), per currency. */
  revenue: Money[];
}

export interface PeriodOptions {
  /** Only enrollments that entered at or after this moment. */
  since?: Date | undefined;
  /** Only enrollments that entered before this moment. */
  until?: Date | undefined;
  /** The end of the attribution window of enrollments still active; defaults to the present. */
  now?: Date | undefined;
}

export interface JourneyMetrics {
  /** Enrollments that entered in the period, across every version of the journey. */
  enrolled: number;
  /** Of those, still under way. */
  active: number;
  /** Ended in a final state that is not the goal. */
  completed: number;
  /** Ended at the goal. */
  converted: number;
  /** Left early: unsubscribed, bounced, removed. */
  exited: number;
  /** converted / enrolled; 0 when nobody enrolled. */
  conversionRate: number;
  /** Median of goal_reached_at − entered_at over converted enrollments that recorded it; null when none. */
  medianTimeToConvertMs: number | null;
  /** Mean of the same; far above the median when a few take very long. */
  averageTimeToConvertMs: number | null;
  /** Gifts made while enrolled (from entering until leaving, or until now), the gift that enrolled them excepted. */
  revenue: (Money & { gifts: number })[];
}

export interface StateCount {
  /** Active enrollments in the state now. */
  current: number;
  /** Enrollments that ever entered the state (each counted once). */
  entered: number;
  /** Of those, the ones no longer in it. */
  left: number;
  /** Of those, the ones that went on to convert. */
  converted: number;
}

export interface FunnelStep {
  state: string;
  /** Enrollments that entered the state. */
  reached: number;
  /** Enrollments that ended, unconverted, with this as their last state: exited from it, or completed in it. */
  droppedHere: number;
  /** Enrollments that entered the state and later converted. */
  convertedAfter: number;
}

export interface DailyCount {
  /** A UTC day, `YYYY-MM-DD`. */
  day: string;
  /** Enrollments that entered that day. */
  enrolled: number;
  /** Enrollments that reached their goal that day. */
  converted: number;
}

export interface MessageResponse {
  channel: Channel;
  /** The template the journey step named. */
  template: string;
  /** Handed to the provider and not refused: sent or delivered. */
  sent: number;
  /** Of those sent, the ones the provider reported delivered. */
  delivered: number;
  /** Tracked email opened: the pixel fetched or a link clicked (a click proves an open). A weak signal, see the README. */
  opened: number;
  /** Tracked email with at least one link followed. */
  clicked: number;
  /** Handed to the provider, then reported bounced. */
  bounced: number;
  /** Handed to the provider, then reported as spam by the recipient. */
  complained: number;
  /** Recipients who used the message's own unsubscribe link. */
  unsubscribed: number;
  /** Never reached the person: suppressed, skipped, cancelled, failed, bounced, complained. */
  notSent: number;
  /** Why, most common first: "no email consent on record", "address suppressed: hard-bounce", "skipped (frequency cap)". */
  notSentReasons: { reason: string; count: number }[];
  /** Sent messages followed, within the window, by a gift or registration of the same person. */
  responded: number;
  /** responded / sent; 0 when nothing was sent. */
  responseRate: number;
}

export interface TaskQueueMetrics {
  queue: string;
  /** Waiting for someone to take them. */
  open: number;
  /** Taken, not finished. */
  claimed: number;
  /** Open or claimed, and past due. */
  overdue: number;
  /** Finished with an outcome, all time. */
  completed: number;
  /** Withdrawn without an outcome, all time. */
  cancelled: number;
  /** completed / (completed + cancelled + overdue): how much of the work that came due got done; 0 when none. */
  completionRate: number;
  /** Median wait from creation until someone claimed it, over claimed and completed tasks; null when none. */
  medianQueueMs: number | null;
  /** Median time from creation to completion; null when none. */
  medianTimeToCompleteMs: number | null;
}

export interface DonorRetention {
  /** Donors who gave in the 12 months before the last 12 months. */
  priorDonors: number;
  /** Of those, the ones who gave again in the last 12 months. */
  retained: number;
  /** retained / priorDonors; 0 when there were none. */
  rate: number;
  /** Donors who gave in the last 12 months and never before. */
  newDonors: number;
}

const DAY_MS = 86_400_000;
const SENT = Prisma.sql`('sent', 'delivered')`;
const NOT_SENT = Prisma.sql`('suppressed', 'skipped', 'cancelled', 'failed', 'bounced', 'complained')`;
/**
 * A not-sent message's reason in a word or two, for counting: a suppression's reason
 * without its particulars ("email consent withdrawn (unsubscribe link in message …)"
 * counts as "email consent withdrawn"), a failure by its code, otherwise the status.
 */
const NOT_SENT_REASON = Prisma.sql`CASE m.status
  WHEN 'suppressed' THEN regexp_replace(coalesce(m.error, 'suppressed'), ' \\(.*\\)$', '')
  WHEN 'skipped' THEN 'skipped (frequency cap)'
  WHEN 'failed' THEN 'failed: ' || coalesce(m.error_code, 'provider')
  ELSE m.status::text END`;

/** Per message, what its recipient did with it, read through the engagement table's (message_id, …) index. */
const engagementOf = (alias: string) => Prisma.sql`
  LEFT JOIN LATERAL (
    SELECT bool_or(x.kind IN ('open', 'click')) AS opened, bool_or(x.kind = 'click') AS clicked, bool_or(x.kind = 'unsubscribe') AS unsubscribed
      FROM message_engagement x WHERE x.message_id = ${Prisma.raw(alias)}.id
  ) AS en ON true`;

/** Enrollment `e` belongs to any version of the journey; answered from the version index, then the enrollment index. */
const ofJourney = (journeyId: string) => Prisma.sql`e.journey_version_id IN (SELECT v.id FROM journey_version v WHERE v.journey_id = ${journeyId})`;

/**
 * Per enrollment `e`, the gifts attributed to it, by currency: its constituent's
 * donations while enrolled (from entering until leaving, or until `now`), except the
 * gift that enrolled them. A LATERAL aggregate, so each enrollment's gifts are read
 * from the constituent's index: the cost follows the journey's size, where a join
 * would let PostgreSQL hash every donation ever made once a journey is large.
 */
const attributedGifts = (now: Date) => Prisma.sql`
  CROSS JOIN LATERAL (
    SELECT g.currency, sum(g.amount) AS amount, count(*) AS gifts
      FROM interaction_event g
     WHERE g.constituent_id = e.constituent_id AND g.type = 'donation'
       AND g.occurred_at >= e.entered_at AND g.occurred_at <= coalesce(e.exited_at, ${now}::timestamp)
       AND g.id IS DISTINCT FROM e.trigger_event_id
       AND g.amount IS NOT NULL AND g.currency IS NOT NULL
     GROUP BY g.currency
  ) AS gift`;

/**
 * One journey's enrollments (`journey_enrollment`) and the states each entered
 * (`passed`, one row per enrollment and state). The DISTINCT inside LATERAL keeps the
 * history read per enrollment, through its (enrollment_id, sequence) index.
 */
const passedStates = (journeyId: string) => Prisma.sql`
  journey_enrollment AS (
    SELECT e.id, e.status, e.current_state FROM enrollment e WHERE ${ofJourney(journeyId)}
  ),
  passed AS (
    SELECT t.state, je.id, je.status, je.current_state
      FROM journey_enrollment je
      CROSS JOIN LATERAL (SELECT DISTINCT to_state AS state FROM enrollment_transition WHERE enrollment_id = je.id) AS t
  )`;

/** The SQL behind each analytics method, for running and for EXPLAIN. */
export const analyticsQueries = {
  journeySummaries(now: Date): Prisma.Sql {
    return Prisma.sql`
      WITH version_stats AS (
        SELECT journey_id, count(*)::int AS versions, (array_agg(status::text ORDER BY version DESC))[1] AS status
          FROM journey_version GROUP BY journey_id
      ),
      -- Counted per version from the (journey_version_id, status, entered_at) index alone.
      enrollment_stats AS (
        SELECT v.journey_id, sum(c.enrolled)::int AS enrolled, sum(c.active)::int AS active,
               sum(c.converted)::int AS converted, sum(c.last_30_days)::int AS last_30_days
          FROM journey_version v
          CROSS JOIN LATERAL (
            SELECT count(*) AS enrolled,
                   count(*) FILTER (WHERE e.status = 'active') AS active,
                   count(*) FILTER (WHERE e.status = 'converted') AS converted,
                   count(*) FILTER (WHERE e.entered_at > ${now}::timestamp - interval '30 days' AND e.entered_at <= ${now}::timestamp) AS last_30_days
              FROM enrollment e WHERE e.journey_version_id = v.id
          ) AS c
         GROUP BY v.journey_id
      ),
      revenue AS (
        SELECT v.journey_id, gift.currency, sum(gift.amount) AS amount
          FROM enrollment e JOIN journey_version v ON v.id = e.journey_version_id ${attributedGifts(now)}
         GROUP BY v.journey_id, gift.currency
      )
      SELECT j.id AS "journeyId", j.name, vs.status, coalesce(vs.versions, 0) AS versions,
             coalesce(es.active, 0) AS active, coalesce(es.enrolled, 0) AS enrolled,
             coalesce(es.last_30_days, 0) AS "enrolledLast30Days", coalesce(es.converted, 0) AS converted,
             coalesce((SELECT json_agg(json_build_object('currency', r.currency, 'amount', r.amount::text) ORDER BY r.currency)
                         FROM revenue r WHERE r.journey_id = j.id), '[]'::json) AS revenue
        FROM journey j
        LEFT JOIN version_stats vs ON vs.journey_id = j.id
        LEFT JOIN enrollment_stats es ON es.journey_id = j.id
       ORDER BY j.name, j.id`;
  },

  journeyMetrics(journeyId: string, period: PeriodOptions = {}): Prisma.Sql {
    const now = period.now ?? new Date();
    return Prisma.sql`
      WITH enrolled AS (
        SELECT e.id, e.constituent_id, e.status, e.entered_at, e.exited_at, e.goal_reached_at, e.trigger_event_id
          FROM enrollment e
         WHERE ${ofJourney(journeyId)}
           ${period.since ? Prisma.sql`AND e.entered_at >= ${period.since}::timestamp` : Prisma.empty}
           ${period.until ? Prisma.sql`AND e.entered_at < ${period.until}::timestamp` : Prisma.empty}
      ),
      revenue AS (
        SELECT gift.currency, sum(gift.amount) AS amount, sum(gift.gifts)::int AS gifts
          FROM enrolled e ${attributedGifts(now)}
         GROUP BY gift.currency
      ),
      converted AS (
        SELECT (extract(epoch FROM goal_reached_at - entered_at) * 1000)::float8 AS ms
          FROM enrolled WHERE status = 'converted' AND goal_reached_at IS NOT NULL
      )
      SELECT count(*)::int AS enrolled,
             count(*) FILTER (WHERE status = 'active')::int AS active,
             count(*) FILTER (WHERE status = 'completed')::int AS completed,
             count(*) FILTER (WHERE status = 'converted')::int AS converted,
             count(*) FILTER (WHERE status = 'exited')::int AS exited,
             (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM converted) AS "medianTimeToConvertMs",
             (SELECT avg(ms) FROM converted) AS "averageTimeToConvertMs",
             coalesce((SELECT json_agg(json_build_object('currency', currency, 'amount', amount::text, 'gifts', gifts) ORDER BY currency) FROM revenue),
                      '[]'::json) AS revenue
        FROM enrolled`;
  },

  stateCounts(journeyId: string): Prisma.Sql {
    return Prisma.sql`
      WITH ${passedStates(journeyId)}
      SELECT state,
             count(*) FILTER (WHERE status = 'active' AND current_state = state)::int AS "current",
             count(*)::int AS entered,
             count(*) FILTER (WHERE NOT (status = 'active' AND current_state = state))::int AS "left",
             count(*) FILTER (WHERE status = 'converted')::int AS converted
        FROM passed GROUP BY state ORDER BY state`;
  },

  funnel(journeyId: string, definitionStates: readonly string[]): Prisma.Sql {
    const states = definitionStates.length > 0 ? Prisma.sql`ARRAY[${Prisma.join(definitionStates)}]::text[]` : Prisma.sql`ARRAY[]::text[]`;
    // The workflow records an early exit as a step into the reserved exit state, from
    // the state the enrollment was in; a completed enrollment stays in its final state.
    return Prisma.sql`
      WITH ${passedStates(journeyId)},
      reached AS (
        SELECT state, count(*) AS reached, count(*) FILTER (WHERE status = 'converted') AS converted_after FROM passed GROUP BY state
      ),
      ended AS (
        SELECT t.from_state AS state
          FROM journey_enrollment je
          CROSS JOIN LATERAL (
            SELECT from_state FROM enrollment_transition
             WHERE enrollment_id = je.id AND to_state = ${RESERVED_STATES.exit} ORDER BY sequence DESC LIMIT 1
          ) AS t
         WHERE je.status = 'exited'
        UNION ALL
        SELECT current_state FROM journey_enrollment WHERE status = 'completed'
      ),
      dropped AS (SELECT state, count(*) AS dropped FROM ended GROUP BY state)
      SELECT s.state, coalesce(r.reached, 0)::int AS reached, coalesce(d.dropped, 0)::int AS "droppedHere",
             coalesce(r.converted_after, 0)::int AS "convertedAfter"
        FROM unnest(${states}) WITH ORDINALITY AS s(state, position)
        LEFT JOIN reached r ON r.state = s.state
        LEFT JOIN dropped d ON d.state = s.state
       ORDER BY s.position`;
  },

  timeSeries(journeyId: string, options: { days?: number; now?: Date } = {}): Prisma.Sql {
    const days = Math.max(1, Math.floor(options.days ?? 30));
    const now = options.now ?? new Date();
    const end = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS + DAY_MS);
    const start = new Date(end.getTime() - days * DAY_MS);
    return Prisma.sql`
      WITH entered AS (
        SELECT date_trunc('day', e.entered_at) AS day, count(*)::int AS n
          FROM enrollment e WHERE ${ofJourney(journeyId)} AND e.entered_at >= ${start}::timestamp AND e.entered_at < ${end}::timestamp
         GROUP BY 1
      ),
      converted AS (
        SELECT date_trunc('day', e.goal_reached_at) AS day, count(*)::int AS n
          FROM enrollment e WHERE ${ofJourney(journeyId)} AND e.goal_reached_at >= ${start}::timestamp AND e.goal_reached_at < ${end}::timestamp
         GROUP BY 1
      )
      SELECT to_char(d.day, 'YYYY-MM-DD') AS day, coalesce(en.n, 0) AS enrolled, coalesce(c.n, 0) AS converted
        FROM generate_series(${start}::timestamp, ${end}::timestamp - interval '1 day', interval '1 day') AS d(day)
        LEFT JOIN entered en ON en.day = d.day
        LEFT JOIN converted c ON c.day = d.day
       ORDER BY d.day`;
  },

  messageResponse(journeyId: string, options: { windowDays?: number } = {}): Prisma.Sql {
    const windowDays = options.windowDays ?? 7;
    return Prisma.sql`
      SELECT m.channel::text AS channel, m.template,
             count(*) FILTER (WHERE m.status IN ${SENT})::int AS sent,
             count(*) FILTER (WHERE m.status = 'delivered')::int AS delivered,
             count(*) FILTER (WHERE en.opened)::int AS opened,
             count(*) FILTER (WHERE en.clicked)::int AS clicked,
             count(*) FILTER (WHERE m.status = 'bounced')::int AS bounced,
             count(*) FILTER (WHERE m.status = 'complained')::int AS complained,
             count(*) FILTER (WHERE en.unsubscribed)::int AS unsubscribed,
             count(*) FILTER (WHERE m.status IN ${NOT_SENT})::int AS "notSent",
             count(*) FILTER (WHERE m.status IN ${SENT} AND EXISTS (
               SELECT 1 FROM interaction_event r
                WHERE r.constituent_id = m.constituent_id AND r.type IN ('donation', 'registration')
                  AND r.occurred_at > m.sent_at AND r.occurred_at <= m.sent_at + make_interval(days => ${windowDays}::int)
             ))::int AS responded
        FROM message m
        ${engagementOf('m')}
       WHERE m.enrollment_id IN (SELECT e.id FROM enrollment e WHERE ${ofJourney(journeyId)})
         AND m.audience = 'constituent'
       GROUP BY m.channel, m.template
       ORDER BY m.channel, m.template`;
  },

  /** Why messages of one journey were not sent, per channel and template: the reason without its particulars. */
  messageNotSentReasons(journeyId: string): Prisma.Sql {
    return Prisma.sql`
      SELECT m.channel::text AS channel, m.template, ${NOT_SENT_REASON} AS reason, count(*)::int AS count
        FROM message m
       WHERE m.enrollment_id IN (SELECT e.id FROM enrollment e WHERE ${ofJourney(journeyId)})
         AND m.audience = 'constituent' AND m.status IN ${NOT_SENT}
       GROUP BY 1, 2, 3
       ORDER BY 1, 2, 4 DESC, 3`;
  },

  taskQueues(now: Date): Prisma.Sql {
    return Prisma.sql`
      SELECT queue,
             count(*) FILTER (WHERE status = 'open')::int AS open,
             count(*) FILTER (WHERE status = 'claimed')::int AS claimed,
             count(*) FILTER (WHERE status IN ('open', 'claimed') AND due_at < ${now}::timestamp)::int AS overdue,
             count(*) FILTER (WHERE status = 'completed')::int AS completed,
             count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY (extract(epoch FROM claimed_at - created_at) * 1000)::float8)
               FILTER (WHERE status IN ('claimed', 'completed') AND claimed_at IS NOT NULL) AS "medianQueueMs",
             percentile_cont(0.5) WITHIN GROUP (ORDER BY (extract(epoch FROM completed_at - created_at) * 1000)::float8)
               FILTER (WHERE status = 'completed' AND completed_at IS NOT NULL) AS "medianTimeToCompleteMs"
        FROM staff_task
       GROUP BY queue
       ORDER BY queue`;
  },

  retention(now: Date): Prisma.Sql {
    const yearAgo = Prisma.sql`(${now}::timestamp - interval '12 months')`;
    const twoYearsAgo = Prisma.sql`(${now}::timestamp - interval '24 months')`;
    // One pass over two years of gifts, from the (type, occurred_at, constituent_id)
    // index alone; only this year's first-time-in-two-years donors are then looked up
    // in their own history, to tell new donors from ones who came back.
    return Prisma.sql`
      WITH donor AS (
        SELECT constituent_id, bool_or(occurred_at >= ${yearAgo}) AS gave_recently, bool_or(occurred_at < ${yearAgo}) AS gave_before
          FROM interaction_event
         WHERE type = 'donation' AND occurred_at >= ${twoYearsAgo} AND occurred_at <= ${now}::timestamp
         GROUP BY constituent_id
      )
      SELECT count(*) FILTER (WHERE gave_before)::int AS "priorDonors",
             count(*) FILTER (WHERE gave_before AND gave_recently)::int AS retained,
             count(*) FILTER (WHERE gave_recently AND NOT gave_before AND NOT EXISTS (
               SELECT 1 FROM interaction_event g
                WHERE g.constituent_id = donor.constituent_id AND g.type = 'donation' AND g.occurred_at < ${twoYearsAgo}
             ))::int AS "newDonors"
        FROM donor`;
  },
};

function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}

/** The analytics over one database; every method is a single query. */
export function createAnalytics(db: Database) {
  return {
    /** Every journey with its headline numbers, for the journeys page. */
    async journeySummaries(now: Date = new Date()): Promise<JourneySummary[]> {
      const rows = await db.$queryRaw<Omit<JourneySummary, 'conversionRate'>[]>(analyticsQueries.journeySummaries(now));
      return rows.map((row) => ({ ...row, conversionRate: ratio(row.converted, row.enrolled) }));
    },

    /** One journey's outcomes for the enrollments that entered in a period (all time by default). */
    async journeyMetrics(journeyId: string, period: PeriodOptions = {}): Promise<JourneyMetrics> {
      const [row] = await db.$queryRaw<Omit<JourneyMetrics, 'conversionRate'>[]>(analyticsQueries.journeyMetrics(journeyId, period));
      if (!row) throw new Error('journeyMetrics returned no row');
      return { ...row, conversionRate: ratio(row.converted, row.enrolled) };
    },

    /** Per state of one journey: who is there now, who passed through, who converted after. */
    async stateCounts(journeyId: string): Promise<Record<string, StateCount>> {
      const rows = await db.$queryRaw<(StateCount & { state: string })[]>(analyticsQueries.stateCounts(journeyId));
      return Object.fromEntries(rows.map(({ state, ...counts }) => [state, counts]));
    },

    /** The journey's states in the order given (the definition's), with where people dropped out. */
    async funnel(journeyId: string, definitionStates: readonly string[]): Promise<FunnelStep[]> {
      return db.$queryRaw<FunnelStep[]>(analyticsQueries.funnel(journeyId, definitionStates));
    },

    /** Enrollments and conversions per UTC day over the last `days` days (today included), oldest first, every day present. */
    async timeSeries(journeyId: string, options: { days?: number; now?: Date } = {}): Promise<DailyCount[]> {
      return db.$queryRaw<DailyCount[]>(analyticsQueries.timeSeries(journeyId, options));
    },

    /** Per channel and template of one journey's messages: how many went out and how many people acted after. */
    async messageResponse(journeyId: string, options: { windowDays?: number } = {}): Promise<MessageResponse[]> {
      const [rows, reasons] = await Promise.all([
        db.$queryRaw<Omit<MessageResponse, 'responseRate' | 'notSentReasons'>[]>(analyticsQueries.messageResponse(journeyId, options)),
        db.$queryRaw<{ channel: Channel; template: string; reason: string; count: number }[]>(analyticsQueries.messageNotSentReasons(journeyId)),
      ]);
      const reasonsOf = (row: { channel: Channel; template: string }) =>
        reasons.filter((entry) => entry.channel === row.channel && entry.template === row.template).map(({ reason, count }) => ({ reason, count }));
      return rows.map((row) => ({ ...row, notSentReasons: reasonsOf(row), responseRate: ratio(row.responded, row.sent) }));
    },

    /** Per staff queue: the backlog, what is overdue, and how fast work is picked up and finished. */
    async taskQueues(now: Date = new Date()): Promise<TaskQueueMetrics[]> {
      const rows = await db.$queryRaw<Omit<TaskQueueMetrics, 'completionRate'>[]>(analyticsQueries.taskQueues(now));
      return rows.map((row) => ({ ...row, completionRate: ratio(row.completed, row.completed + row.cancelled + row.overdue) }));
    },

    /** Donor retention as nonprofits report it: of last year's donors, how many gave again this year; and who is new. */
    async retention(now: Date = new Date()): Promise<DonorRetention> {
      const [row] = await db.$queryRaw<Omit<DonorRetention, 'rate'>[]>(analyticsQueries.retention(now));
      if (!row) throw new Error('retention returned no row');
      return { ...row, rate: ratio(row.retained, row.priorDonors) };
    },
  };
}

export type Analytics = ReturnType<typeof createAnalytics>;
