-- Engagement with sent email: opens (a pixel), clicks (signed redirect links) and
-- unsubscribes from a message's own link. One row per message, kind and link: a
-- second click on the same link, a proxy's prefetch or a reload records nothing new.
CREATE TYPE "engagement_kind" AS ENUM ('open', 'click', 'unsubscribe');

CREATE TABLE "message_engagement" (
    "id" TEXT NOT NULL,
    "message_id" TEXT NOT NULL,
    "constituent_id" TEXT NOT NULL,
    "kind" "engagement_kind" NOT NULL,
    -- The link's position in the message for a click; -1 for an open or an unsubscribe.
    "link_index" INTEGER NOT NULL DEFAULT -1,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "message_engagement_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "message_engagement_message_id_kind_link_index_key" ON "message_engagement"("message_id", "kind", "link_index");
CREATE INDEX "message_engagement_constituent_id_at_idx" ON "message_engagement"("constituent_id", "at");

ALTER TABLE "message_engagement" ADD CONSTRAINT "message_engagement_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The destinations of a tracked email's links, by position.
ALTER TABLE "message" ADD COLUMN "tracked_links" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
-- Whether the email's links were tracked, and whether it carried the open pixel.
ALTER TABLE "message" ADD COLUMN "tracks_clicks" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "message" ADD COLUMN "tracks_opens" BOOLEAN NOT NULL DEFAULT false;
