/**
 * After gifts are posted: wait (bounded) until their enrollments exist, and until
 * the worker has thanked them, so the next measured run starts on an idle stack.
 */
import type pg from 'pg';
import { phaseCounts } from './database.ts';
import { pollUntil, progress } from './progress.ts';

export interface Enrolled {
  enrollments: number;
  /** Enrollments per second from the phase's start to its last enrollment row. */
  perSecond: number;
  /** Seconds from the end of posting until the last enrollment existed. */
  lagSeconds: number;
  complete: boolean;
  storedEvents: number;
}

/**
 * Waits (up to timeoutMs) until `expected` enrollments of the phase exist; startedWall and
 * postedWall are Date.now() values. Short of that, the rate is of those made so far.
 */
export async function awaitEnrollments(db: pg.Pool, phase: string, expected: number, startedWall: number, postedWall: number, timeoutMs: number): Promise<Enrolled> {
  const complete = await pollUntil(async () => ((await phaseCounts(db, phase)).enrollments >= expected ? true : undefined), { timeoutMs, everyMs: 250 });
  const counts = await phaseCounts(db, phase);
  const last = counts.lastEnrolledAt ?? Date.now();
  const seconds = Math.max(0.001, (last - startedWall) / 1000);
  if (!complete) progress(`  ${phase}: only ${counts.enrollments} of ${expected} enrollments after ${timeoutMs / 1000} s`);
  return { enrollments: counts.enrollments, perSecond: counts.enrollments / seconds, lagSeconds: Math.max(0, (last - postedWall) / 1000), complete: complete === true, storedEvents: counts.events };
}

/** Waits (up to timeoutMs) until the worker has sent the phase's thank-yous; returns the seconds waited, or undefined on timeout. */
export async function awaitThanked(db: pg.Pool, phase: string, expected: number, timeoutMs: number, label = phase): Promise<number | undefined> {
  const started = performance.now();
  let reported = started;
  const done = await pollUntil(
    async () => {
      const { sent } = await phaseCounts(db, phase);
      if (performance.now() - reported > 15_000) {
        reported = performance.now();
        progress(`  ${label}: ${sent} of ${expected} thanked`);
      }
      return sent >= expected ? true : undefined;
    },
    { timeoutMs, everyMs: 500 },
  );
  if (!done) progress(`  ${label}: ${expected - (await phaseCounts(db, phase)).sent} thank-yous still unsent after ${timeoutMs / 1000} s; going on`);
  return done ? (performance.now() - started) / 1000 : undefined;
}
