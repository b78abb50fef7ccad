-- A send is claimed before the provider is called: the attempt that claims it writes
-- its own token and when its claim lapses, in the one conditional UPDATE that also
-- checks the message is still pending, so a second attempt (a retry Temporal started
-- because the first looked dead) finds the claim and does not call the provider.
-- The result is recorded only under the attempt's own token. A lapsed claim lets the
-- next attempt through: the worker died between the provider and the record.
--
-- No index: claims are taken and checked by the message's primary key.
ALTER TABLE "message" ADD COLUMN "send_attempts" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "message" ADD COLUMN "lease_token" TEXT;
ALTER TABLE "message" ADD COLUMN "lease_expires_at" TIMESTAMP(3);
