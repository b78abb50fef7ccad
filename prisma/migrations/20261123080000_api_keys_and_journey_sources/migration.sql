-- API keys: only a hash of each key is kept; the key itself is shown once, when it is made.
CREATE TABLE "api_key" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" CHAR(64) NOT NULL,
    "scopes" TEXT[] NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMP(3),
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "api_key_hash_key" ON "api_key"("hash");

-- Journeys written in the web app keep their text as written (comments, order), beside the parsed definition.
ALTER TABLE "journey_version" ADD COLUMN "source" TEXT;

-- Lists newest first, a page at a time (keyset on the time, then the id).
CREATE INDEX "constituent_created_at_id_idx" ON "constituent"("created_at", "id");
CREATE INDEX "interaction_event_occurred_at_id_idx" ON "interaction_event"("occurred_at", "id");
CREATE INDEX "enrollment_entered_at_id_idx" ON "enrollment"("entered_at", "id");
CREATE INDEX "message_created_at_id_idx" ON "message"("created_at", "id");

-- Constituent search matches the start of an email or a name. Emails are stored lower-case;
-- names are compared lower-cased. text_pattern_ops lets LIKE 'prefix%' use the index whatever
-- the database's collation. (Expression indexes are beyond schema.prisma; they live here only.)
CREATE INDEX "constituent_email_prefix_idx" ON "constituent"("email" text_pattern_ops);
CREATE INDEX "constituent_first_name_prefix_idx" ON "constituent"(lower("first_name") text_pattern_ops);
CREATE INDEX "constituent_last_name_prefix_idx" ON "constituent"(lower("last_name") text_pattern_ops);
