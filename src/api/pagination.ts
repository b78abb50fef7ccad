/**
 * Keyset pagination for every list: a page is "the next `limit` rows after this
 * one" in a stable order (a time, then the id), so pages stay fast however deep
 * they go and do not skip or repeat rows when new ones arrive.
 */
import { z } from 'zod';
import { InputError } from './input-hygiene.ts';

export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Rows per page, at most 200'),
  cursor: z.string().min(1).max(200).optional().describe('The `nextCursor` of the previous page'),
};

export interface Cursor {
  at: Date;
  id: string;
}

const CursorShape = z.strictObject({ at: z.iso.datetime(), id: z.string().min(1) });

/** A cursor this API did not give out: refused like any other bad field, naming it. */
export class CursorError extends InputError {
  constructor() {
    super([{ path: 'cursor', message: 'is not one this API gave out; start again without it' }]);
  }
}

export function decodeCursor(cursor: string | undefined): Cursor | undefined {
  if (!cursor) return undefined;
  try {
    const parsed = CursorShape.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    const at = new Date(parsed.at);
    // ISO allows year 0, which PostgreSQL does not: such a cursor was never given out.
    if (!(at.getUTCFullYear() >= 1)) throw new Error('out of range');
    return { at, id: parsed.id };
  } catch {
    throw new CursorError();
  }
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ at: cursor.at.toISOString(), id: cursor.id }), 'utf8').toString('base64url');
}

/** Splits one extra row off a fetched page: its presence says there is a next page. */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (row: T) => Cursor): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(cursorOf(last)) : null };
}

/** Prisma `where` for rows strictly after the cursor in (field desc, id desc) order. */
export function before<F extends string>(field: F, cursor: Cursor | undefined) {
  if (!cursor) return {};
  return { OR: [{ [field]: { lt: cursor.at } }, { [field]: cursor.at, id: { lt: cursor.id } }] } as Record<string, unknown>;
}
