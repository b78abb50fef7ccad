/**
 * What the benchmark reads from Steward's database: how many of a phase's gifts
 * are stored, enrolled and thanked. Counted by the phase's own ids, so a shared
 * DATABASE_URL with other data in it counts only this run.
 */
import pg from 'pg';
import { phasePattern } from './gifts.ts';

export function openPool(databaseUrl: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max });
  // An idle connection dropped by a stopping server is not the benchmark's failure; the next query reports real ones.
  pool.on('error', () => {});
  return pool;
}

export interface PhaseCounts {
  events: number;
  enrollments: number;
  /** Wall-clock ms of the phase's last enrollment row. */
  lastEnrolledAt: number | null;
  /** Messages handed to the mail server (sent or delivered). */
  sent: number;
}

export async function phaseCounts(db: pg.Pool, phase: string): Promise<PhaseCounts> {
  const { rows } = await db.query<{ events: string; enrollments: string; last_enrolled: Date | null; sent: string }>(
    `SELECT
       (SELECT count(*) FROM interaction_event WHERE idempotency_key LIKE $1) AS events,
       (SELECT count(*) FROM enrollment e JOIN constituent c ON c.id = e.constituent_id WHERE c.email LIKE $1) AS enrollments,
       (SELECT max(e.entered_at) FROM enrollment e JOIN constituent c ON c.id = e.constituent_id WHERE c.email LIKE $1) AS last_enrolled,
       (SELECT count(*) FROM message m JOIN constituent c ON c.id = m.constituent_id
         WHERE c.email LIKE $1 AND m.status IN ('sent', 'delivered')) AS sent`,
    [phasePattern(phase)],
  );
  const row = rows[0];
  if (!row) throw new Error(`counting phase ${phase}: the database answered no row to a one-row query`);
  return { events: Number(row.events), enrollments: Number(row.enrollments), lastEnrolledAt: row.last_enrolled?.getTime() ?? null, sent: Number(row.sent) };
}

/** Workflow ids of a phase's enrollments. */
export async function phaseWorkflowIds(db: pg.Pool, phase: string, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ workflow_id: string }>(
    `SELECT e.workflow_id FROM enrollment e JOIN constituent c ON c.id = e.constituent_id WHERE c.email LIKE $1 ORDER BY e.entered_at LIMIT $2`,
    [phasePattern(phase), limit],
  );
  return rows.map((row) => row.workflow_id);
}
