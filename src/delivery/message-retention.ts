/**
 * How long what was sent is kept. A sent message's body (the text and HTML the
 * recipient got, or the SMS) is personal data: it is kept for the timeline for
 * the retention period, then dropped, leaving the record (template, version,
 * status, when) for the numbers. Test sends are deleted whole.
 */
import type { Database } from '../db/client.ts';

export async function dropExpiredBodies(db: Database, now: Date, retentionDays: number): Promise<{ messages: number; tests: number }> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  // One statement, through the partial index on sent_at of rows that still hold a body.
  const messages = await db.$executeRaw`UPDATE "message" SET "body_text" = NULL, "body_html" = NULL, "body_dropped_at" = ${now}
    WHERE "sent_at" < ${cutoff} AND "body_text" IS NOT NULL`;
  const { count: tests } = await db.testMessage.deleteMany({ where: { createdAt: { lt: cutoff } } });
  return { messages, tests };
}

/** Sweeps every hour (and once at start) until stopped. */
export function startRetentionSweep(db: Database, retentionDays: number, log: (line: string) => void): () => Promise<void> {
  let running: Promise<unknown> | undefined;
  const sweep = () => {
    running ??= dropExpiredBodies(db, new Date(), retentionDays)
      .catch((error: unknown) => log(`message bodies past ${retentionDays} days wait for the next sweep (${String(error)})`))
      .finally(() => (running = undefined));
  };
  sweep();
  const timer = setInterval(sweep, 3_600_000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
