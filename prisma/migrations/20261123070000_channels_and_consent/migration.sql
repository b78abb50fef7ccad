-- Message lifecycle: waiting for a send window or room under the cap, delivery receipts, bounces.
ALTER TYPE "message_status" ADD VALUE 'scheduled' AFTER 'pending';
ALTER TYPE "message_status" ADD VALUE 'delivered' AFTER 'sent';
ALTER TYPE "message_status" ADD VALUE 'skipped';
ALTER TYPE "message_status" ADD VALUE 'cancelled';
ALTER TYPE "message_status" ADD VALUE 'bounced';
ALTER TYPE "message_status" ADD VALUE 'complained';

-- AlterTable
ALTER TABLE "message" ADD COLUMN "error_code" TEXT,
ADD COLUMN "segments" INTEGER,
ADD COLUMN "scheduled_for" TIMESTAMP(3),
ADD COLUMN "counted_at" TIMESTAMP(3),
ADD COLUMN "delivered_at" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "message_constituent_id_channel_counted_at_idx" ON "message"("constituent_id", "channel", "counted_at");
CREATE INDEX "message_provider_message_id_idx" ON "message"("provider_message_id");

-- CreateTable
CREATE TABLE "consent_change" (
    "id" TEXT NOT NULL,
    "constituent_id" TEXT NOT NULL,
    "channel" "channel" NOT NULL,
    "status" "consent_status" NOT NULL,
    "source" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "recorded_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consent_change_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "consent_change_constituent_id_channel_at_idx" ON "consent_change"("constituent_id", "channel", "at");

ALTER TABLE "consent_change" ADD CONSTRAINT "consent_change_constituent_id_fkey" FOREIGN KEY ("constituent_id") REFERENCES "constituent"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "suppression" (
    "id" TEXT NOT NULL,
    "channel" "channel" NOT NULL,
    "address" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "suppression_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "suppression_channel_address_key" ON "suppression"("channel", "address");
