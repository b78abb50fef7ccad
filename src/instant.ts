/**
 * An instant as Steward accepts it at every edge: ISO 8601 with an offset, in
 * years 1900 to 2200. Gifts, sign-ups and consent all fall well inside; outside
 * it is a typing slip (year 0 PostgreSQL cannot store, year 9999 a placeholder).
 */
import { z } from 'zod';

export const EARLIEST_YEAR = 1900;
export const LATEST_YEAR = 2200;
const earliest = Date.UTC(EARLIEST_YEAR, 0, 1);
const afterLatest = Date.UTC(LATEST_YEAR + 1, 0, 1);

/** Whether an ISO text's moment lies in the years Steward accepts. */
export function inAcceptedYears(text: string): boolean {
  const at = Date.parse(text);
  return at >= earliest && at < afterLatest;
}

export const Instant = z.iso
  .datetime({ offset: true })
  .refine(inAcceptedYears, `must be in the years ${EARLIEST_YEAR} to ${LATEST_YEAR}`)
  .describe(`ISO 8601 with an offset, e.g. 2026-05-01T09:30:00Z; years ${EARLIEST_YEAR} to ${LATEST_YEAR}`);
