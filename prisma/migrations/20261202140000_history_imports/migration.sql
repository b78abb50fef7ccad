-- Imports of past events: kept for giving facts and timelines, never routed to journeys.
ALTER TABLE "interaction_event" ADD COLUMN "historical" BOOLEAN NOT NULL DEFAULT false;

-- Facts the installation's processes share. `watch_from`: drop-off scans count only a
-- silence that began after it, so loading years of history flags no one at once.
CREATE TABLE "steward_setting" (
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "steward_setting_pkey" PRIMARY KEY ("key")
);
