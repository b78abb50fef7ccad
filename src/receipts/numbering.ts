/**
 * Receipt numbers: unique, never reused and gapless per calendar year.
 *
 * A number is taken by one upsert on the year's counter row inside the transaction
 * that records the receipt. The row lock orders concurrent takers; a transaction
 * that rolls back (a retry that found its receipt already made, a crash) gives its
 * number back with it, so every number that exists belongs to a committed receipt.
 */
import type { Prisma } from '../db/client.ts';

/** Takes the next number of `year`; call only inside the transaction that records the receipt. */
export async function takeReceiptNumber(tx: Prisma.TransactionClient, year: number): Promise<number> {
  const [row] = await tx.$queryRaw<{ last_number: number }[]>`
    INSERT INTO "receipt_counter" ("year", "last_number") VALUES (${year}, 1)
    ON CONFLICT ("year") DO UPDATE SET "last_number" = "receipt_counter"."last_number" + 1
    RETURNING "last_number"`;
  return row!.last_number;
}

/** The number as printed: `2026-000042`. */
export function receiptSerial(year: number, number: number): string {
  return `${year}-${String(number).padStart(6, '0')}`;
}

/** The calendar year of an instant in a time zone: a gift at 23:30 on 31 December in Toronto is that year's. */
export function receiptYear(at: Date, timeZone: string): number {
  return Number(new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric' }).format(at));
}
