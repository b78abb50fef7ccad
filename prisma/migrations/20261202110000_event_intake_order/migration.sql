-- Events are routed in the order they were stored, per constituent. A batch is stored
-- in one statement, so its rows share one transaction timestamp; "received_at" cannot
-- order them, a sequence can. Existing rows are numbered in the order they arrived.
ALTER TABLE "interaction_event" ADD COLUMN "seq" BIGSERIAL NOT NULL;
-- Renumber what was already there by arrival (BIGSERIAL filled it in storage order).
UPDATE "interaction_event" AS e
   SET "seq" = ordered.n
  FROM (SELECT "id", row_number() OVER (ORDER BY "received_at", "id") AS n FROM "interaction_event") AS ordered
 WHERE e."id" = ordered."id";
SELECT setval(pg_get_serial_sequence('"interaction_event"', 'seq'), COALESCE((SELECT max("seq") FROM "interaction_event"), 0) + 1, false);
CREATE UNIQUE INDEX "interaction_event_seq_key" ON "interaction_event"("seq");

-- The router's work list: events stored and not routed yet, oldest first. Partial, so it
-- holds only the few rows in flight however many millions are routed (Prisma's schema
-- language cannot declare a partial index; it is kept here).
CREATE INDEX "interaction_event_pending_idx" ON "interaction_event"("seq") WHERE "routed_at" IS NULL;
