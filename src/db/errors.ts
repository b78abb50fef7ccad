/** What a database error means, whichever way Prisma reports it. */

/** A unique constraint refused a write: P2002 from the query builder, SQLSTATE 23505 from a raw query. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, meta } = error as { code?: unknown; meta?: { code?: unknown } };
  return code === 'P2002' || (code === 'P2010' && meta?.code === '23505');
}
