-- A refund or void of a gift, sent by the CRM or payment processor: it voids the
-- gift's receipt, or (a partial refund) replaces it with one for what was kept.
ALTER TYPE "interaction_type" ADD VALUE 'refund';

CREATE TYPE "receipt_status" AS ENUM ('issued', 'void', 'replaced');

-- The last receipt number taken in each year. A number is taken by an UPDATE …
-- RETURNING in the transaction that records the receipt, so the row lock orders
-- concurrent gifts and a rolled-back receipt gives its number back: gapless.
CREATE TABLE "receipt_counter" (
    "year" INTEGER NOT NULL,
    "last_number" INTEGER NOT NULL,
    CONSTRAINT "receipt_counter_pkey" PRIMARY KEY ("year")
);

-- Every receipt ever issued; none is deleted, a void or replaced one keeps its number.
CREATE TABLE "gift_receipt" (
    "id" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "number" INTEGER NOT NULL,
    "serial" TEXT NOT NULL,
    "gift_event_id" TEXT NOT NULL,
    "source_event_id" TEXT NOT NULL,
    "constituent_id" TEXT NOT NULL,
    "jurisdiction" TEXT NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "benefit_value" DECIMAL(14,2) NOT NULL DEFAULT 0,
    "eligible_amount" DECIMAL(14,2) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "gift_date" TIMESTAMP(3) NOT NULL,
    "issued_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status" "receipt_status" NOT NULL DEFAULT 'issued',
    "voided_at" TIMESTAMP(3),
    "void_reason" TEXT,
    "replaces_id" TEXT,
    CONSTRAINT "gift_receipt_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "gift_receipt_year_number_key" ON "gift_receipt"("year", "number");
-- One receipt per event that caused it (the gift, or the refund that reissued it): a retry finds it.
CREATE UNIQUE INDEX "gift_receipt_source_event_id_key" ON "gift_receipt"("source_event_id");
CREATE INDEX "gift_receipt_gift_event_id_status_idx" ON "gift_receipt"("gift_event_id", "status");
CREATE INDEX "gift_receipt_constituent_id_gift_date_idx" ON "gift_receipt"("constituent_id", "gift_date");

-- No foreign key to interaction_event, as none of Steward's tables has one: its bulk
-- loads rebuild that table's keys, and events are never deleted.
ALTER TABLE "gift_receipt" ADD CONSTRAINT "gift_receipt_constituent_id_fkey" FOREIGN KEY ("constituent_id") REFERENCES "constituent"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "gift_receipt" ADD CONSTRAINT "gift_receipt_replaces_id_fkey" FOREIGN KEY ("replaces_id") REFERENCES "gift_receipt"("id") ON DELETE SET NULL ON UPDATE CASCADE;
