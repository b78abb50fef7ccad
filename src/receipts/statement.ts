/**
 * The year-end giving statement: each donor's gifts of a calendar year (the
 * organisation's calendar), net of refunds, with their receipt numbers, in one message.
 */
import { DateTime } from 'luxon';
import type { Database } from '../db/client.ts';
import { keptAmount, refundedOf } from './gift-refunds.ts';

/** `statement.*` in templates; amounts as decimal text for the `money` filter. */
export interface StatementData {
  year: number;
  gifts: { date: string; amount: string; currency: string; receipt: string }[];
  /** One total per currency given in. */
  totals: { amount: string; currency: string }[];
}

/** The instants a calendar year starts and ends in a time zone. */
export function yearBounds(year: number, timeZone: string): { from: Date; to: Date } {
  const start = DateTime.fromObject({ year, month: 1, day: 1 }, { zone: timeZone });
  return { from: start.toJSDate(), to: start.plus({ years: 1 }).toJSDate() };
}

/** Donors who gave in the year, by id after `after`, at most `limit`: the statement run's pages. */
export async function yearEndDonors(db: Database, year: number, timeZone: string, after: string, limit: number): Promise<string[]> {
  const { from, to } = yearBounds(year, timeZone);
  const rows = await db.interactionEvent.findMany({
    where: { type: 'donation', occurredAt: { gte: from, lt: to }, constituentId: { gt: after } },
    distinct: ['constituentId'],
    orderBy: { constituentId: 'asc' },
    select: { constituentId: true },
    take: limit,
  });
  return rows.map((row) => row.constituentId);
}

/** The donor's statement for the year; undefined when nothing given that year was kept. */
export async function statementOf(db: Database, constituentId: string, year: number, timeZone: string): Promise<StatementData | undefined> {
  const { from, to } = yearBounds(year, timeZone);
  const gifts = await db.interactionEvent.findMany({
    where: { constituentId, type: 'donation', occurredAt: { gte: from, lt: to } },
    orderBy: { occurredAt: 'asc' },
  });
  const receipts = await db.giftReceipt.findMany({ where: { giftEventId: { in: gifts.map((gift) => gift.id) }, status: 'issued' }, select: { giftEventId: true, serial: true } });
  const serialOf = new Map(receipts.map((receipt) => [receipt.giftEventId, receipt.serial]));
  const lines: StatementData['gifts'] = [];
  const totals = new Map<string, number>();
  for (const gift of gifts) {
    const kept = keptAmount(gift, await refundedOf(db, gift));
    if (kept.lte(0) || !gift.currency) continue;
    const day = DateTime.fromJSDate(gift.occurredAt, { zone: timeZone }).toISODate()!;
    lines.push({ date: day, amount: kept.toFixed(2), currency: gift.currency, receipt: serialOf.get(gift.id) ?? '' });
    totals.set(gift.currency, (totals.get(gift.currency) ?? 0) + kept.toNumber());
  }
  if (lines.length === 0) return undefined;
  return { year, gifts: lines, totals: [...totals].map(([currency, amount]) => ({ currency, amount: amount.toFixed(2) })) };
}
