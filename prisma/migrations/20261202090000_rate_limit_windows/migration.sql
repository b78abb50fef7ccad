-- The API's rate-limit counters live here rather than in each process, so every API
-- process draws on one budget per key. One row per client (API key or address), upserted
-- on each request. A window's end is stored rather than its start, so any process can
-- tell an expired row from a live one without knowing the window length.
--
-- No index on "expires_at": the table holds one row per client seen in the last window,
-- and the occasional delete of expired rows reads it whole; an index would add a write to
-- every new window and save little at that size.
CREATE TABLE "rate_limit_window" (
    "key" TEXT NOT NULL,
    "hits" INTEGER NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "rate_limit_window_pkey" PRIMARY KEY ("key")
);
