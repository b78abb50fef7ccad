/**
 * Noticing silence. Steward looks for constituents who have dropped off (a donor
 * who has not given in a year, a registrant who did not come, a monthly donor
 * whose gift did not arrive) and records each as a drop-off event, with a key that
 * makes the same lapse one event however often the scan runs. The router then
 * hands them to the journeys that care, like any other event.
 */
import type { Database } from '../db/client.ts';
import { storeDetectedEvent, type DetectedEvent } from './store.ts';

const DAY = 86_400_000;

export interface DropOffSettings {
  /** A donor with no gift for this many days has lapsed. */
  lapsedAfterDays: number;
  /** A monthly donor with no recurring gift for this many days has missed one. */
  recurringGraceDays: number;
  /** Registrations whose event ended this many days ago without a check-in are no-shows. */
  noShowAfterDays: number;
  /** A constituent sent tracked email who neither opened nor clicked for this many days is unengaged (90 when absent). */
  unengagedAfterDays?: number | undefined;
}

export const defaultDropOffSettings: DropOffSettings = { lapsedAfterDays: 365, recurringGraceDays: 35, noShowAfterDays: 1, unengagedAfterDays: 90 };

export const dropOffScanKinds = ['lapsed', 'no-show', 'recurring-failed', 'unengaged'] as const;
export type DropOffKind = (typeof dropOffScanKinds)[number];

/**
 * From when Steward counts silences: set once at first start (or by the organisation,
 * STEWARD_WATCH_FROM, which wins). A donor whose lapse began before it is not
 * flagged: an import of five years of gifts must not flag every past donor at once.
 */
export async function startWatching(db: Database, configured?: Date): Promise<Date> {
  if (configured) {
    await db.stewardSetting.upsert({ where: { key: WATCH_FROM }, create: { key: WATCH_FROM, value: configured.toISOString() }, update: { value: configured.toISOString(), updatedAt: new Date() } });
  } else {
    await db.stewardSetting.createMany({ data: [{ key: WATCH_FROM, value: new Date().toISOString() }], skipDuplicates: true });
  }
  return (await watchFrom(db))!;
}

/** The moment drop-off scans count from; undefined before Steward first started watching. */
export async function watchFrom(db: Database): Promise<Date | undefined> {
  const setting = await db.stewardSetting.findUnique({ where: { key: WATCH_FROM } });
  return setting ? new Date(setting.value) : undefined;
}

const WATCH_FROM = 'watch_from';

/** Finds drop-offs as of a moment and stores each once; returns the new events' ids. */
export async function detectDropOffs(db: Database, kind: DropOffKind, asOf: Date, settings = defaultDropOffSettings): Promise<string[]> {
  const found = await findDropOffs(db, kind, asOf, settings);
  const stored: string[] = [];
  for (const detected of found) {
    const { event, duplicate } = await storeDetectedEvent(db, detected);
    if (!duplicate) stored.push(event.id);
  }
  return stored;
}

/** What a scan would flag now, without flagging anyone: the dry run before a first scan over imported history. */
export async function previewDropOffs(db: Database, kind: DropOffKind, asOf: Date, settings = defaultDropOffSettings) {
  const found = await findDropOffs(db, kind, asOf, settings);
  const known = await db.interactionEvent.count({ where: { idempotencyKey: { in: found.map((detected) => detected.idempotencyKey) } } });
  return { kind, asOf, watchFrom: (await watchFrom(db)) ?? null, wouldFlag: found.length - known, alreadyFlagged: known };
}

/** The drop-offs of a kind as of a moment, whose silence began once Steward was watching. */
async function findDropOffs(db: Database, kind: DropOffKind, asOf: Date, settings: DropOffSettings): Promise<(DetectedEvent & { silentSince: Date })[]> {
  const found = await scanFor(kind)(db, asOf, settings);
  const since = await watchFrom(db);
  return since ? found.filter((detected) => detected.silentSince >= since) : found;
}

type Scan = (db: Database, asOf: Date, settings: DropOffSettings) => Promise<(DetectedEvent & { silentSince: Date })[]>;

function scanFor(kind: DropOffKind): Scan {
  switch (kind) {
    case 'lapsed':
      return lapsedDonors;
    case 'no-show':
      return noShows;
    case 'recurring-failed':
      return missedMonthlyGifts;
    case 'unengaged':
      return unengagedRecipients;
    default:
      throw new Error(`unknown drop-off kind ${String(kind satisfies never)}`);
  }
}

/**
 * Constituents sent tracked email who have neither opened nor clicked since: the
 * silence starts at the first tracked email sent after their latest open or click
 * (or their first tracked email, if they never engaged), and counts once it is
 * `unengagedAfterDays` old. One event per silence: engaging again and falling
 * silent again is a new one. Only tracked email counts: with tracking off, or
 * before it was on, Steward cannot tell silence from not looking.
 */
async function unengagedRecipients(db: Database, asOf: Date, settings: DropOffSettings): Promise<(DetectedEvent & { silentSince: Date })[]> {
  const days = settings.unengagedAfterDays ?? 90;
  const cutoff = new Date(asOf.getTime() - days * DAY);
  const rows = await db.$queryRaw<{ constituent_id: string; silence_began: Date }[]>`
    WITH last_engaged AS (
      SELECT constituent_id, max(at) AS at FROM message_engagement
       WHERE kind IN ('open', 'click') AND at <= ${asOf} GROUP BY constituent_id
    )
    SELECT m.constituent_id, min(m.sent_at) AS silence_began
      FROM message m
      LEFT JOIN last_engaged le ON le.constituent_id = m.constituent_id
     WHERE m.channel = 'email' AND m.audience = 'constituent' AND m.tracks_clicks
       AND m.sent_at IS NOT NULL AND m.sent_at <= ${asOf}
       AND (le.at IS NULL OR m.sent_at > le.at)
     GROUP BY m.constituent_id
    HAVING min(m.sent_at) <= ${cutoff}`;
  return rows.map((row) => ({
    constituentId: row.constituent_id,
    type: 'drop-off',
    idempotencyKey: `drop-off:unengaged:${row.constituent_id}:${row.silence_began.toISOString()}`,
    data: { kind: 'unengaged', days: Math.floor((asOf.getTime() - row.silence_began.getTime()) / DAY) },
    occurredAt: asOf,
    silentSince: new Date(row.silence_began.getTime() + days * DAY),
  }));
}

/** Each donor's latest gift, when it is older than the lapse threshold. */
async function lapsedDonors(db: Database, asOf: Date, settings: DropOffSettings): Promise<(DetectedEvent & { silentSince: Date })[]> {
  const cutoff = new Date(asOf.getTime() - settings.lapsedAfterDays * DAY);
  const rows = await db.$queryRaw<{ constituent_id: string; event_id: string; occurred_at: Date }[]>`
    SELECT DISTINCT ON (constituent_id) constituent_id, id AS event_id, occurred_at
      FROM interaction_event
     WHERE type = 'donation' AND occurred_at <= ${asOf}
     ORDER BY constituent_id, occurred_at DESC, received_at DESC`;
  return rows
    .filter((row) => row.occurred_at < cutoff)
    .map((row) => ({
      constituentId: row.constituent_id,
      type: 'drop-off',
      // One lapse per last gift: a donor who gives again and lapses again is signalled again.
      idempotencyKey: `drop-off:lapsed:${row.event_id}`,
      data: { kind: 'lapsed', days: Math.floor((asOf.getTime() - row.occurred_at.getTime()) / DAY) },
      occurredAt: asOf,
      silentSince: new Date(row.occurred_at.getTime() + settings.lapsedAfterDays * DAY),
    }));
}

/** Registrations for events that ended without the registrant checking in. */
async function noShows(db: Database, asOf: Date, settings: DropOffSettings): Promise<(DetectedEvent & { silentSince: Date })[]> {
  const until = new Date(asOf.getTime() - settings.noShowAfterDays * DAY);
  const since = new Date(until.getTime() - 30 * DAY);
  const rows = await db.$queryRaw<{ constituent_id: string; event_id: string; program: string; starts_at: Date }[]>`
    SELECT r.constituent_id, r.id AS event_id, r.data->>'program' AS program, (r.data->>'startsAt')::timestamptz AS starts_at
      FROM interaction_event r
     WHERE r.type = 'registration'
       AND (r.data->>'startsAt') IS NOT NULL
       AND (r.data->>'startsAt')::timestamptz BETWEEN ${since} AND ${until}
       AND NOT EXISTS (
             SELECT 1 FROM interaction_event c
              WHERE c.constituent_id = r.constituent_id AND c.type = 'custom'
                AND c.data->>'name' = 'checked-in' AND c.occurred_at >= r.occurred_at)`;
  return rows.map((row) => ({
    constituentId: row.constituent_id,
    type: 'drop-off',
    idempotencyKey: `drop-off:no-show:${row.event_id}`,
    data: { kind: 'no-show', program: row.program },
    occurredAt: asOf,
    silentSince: new Date(row.starts_at.getTime() + settings.noShowAfterDays * DAY),
  }));
}

/** Monthly donors whose latest recurring gift is older than a month and its grace. */
async function missedMonthlyGifts(db: Database, asOf: Date, settings: DropOffSettings): Promise<(DetectedEvent & { silentSince: Date })[]> {
  const cutoff = new Date(asOf.getTime() - settings.recurringGraceDays * DAY);
  // A failure the payment platform already reported (a recurring-failed drop-off it sent, such
  // as Stripe's invoice.payment_failed) since the last gift is not flagged a second time.
  const rows = await db.$queryRaw<{ constituent_id: string; event_id: string; occurred_at: Date }[]>`
    SELECT last.* FROM (
      SELECT DISTINCT ON (constituent_id) constituent_id, id AS event_id, occurred_at
        FROM interaction_event
       WHERE type = 'donation' AND (data->>'recurring')::boolean IS TRUE AND occurred_at <= ${asOf}
       ORDER BY constituent_id, occurred_at DESC, received_at DESC) last
     WHERE NOT EXISTS (
             SELECT 1 FROM interaction_event reported
              WHERE reported.constituent_id = last.constituent_id AND reported.type = 'drop-off'
                AND reported.data->>'kind' = 'recurring-failed' AND reported.occurred_at >= last.occurred_at
                AND reported.idempotency_key NOT LIKE 'drop-off:%')`;
  return rows
    .filter((row) => row.occurred_at < cutoff)
    .map((row) => ({
      constituentId: row.constituent_id,
      type: 'drop-off',
      idempotencyKey: `drop-off:recurring-failed:${row.event_id}`,
      data: { kind: 'recurring-failed', days: Math.floor((asOf.getTime() - row.occurred_at.getTime()) / DAY) },
      occurredAt: asOf,
      silentSince: new Date(row.occurred_at.getTime() + settings.recurringGraceDays * DAY),
    }));
}
