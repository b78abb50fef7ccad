-- Deliveries from payment platforms and form tools, and what became of each. The
-- provider's delivery id (a Stripe event id) is unique per connector: a redelivery
-- finds its row and stores nothing new. Refused deliveries carry no id.
CREATE TYPE "connector_delivery_outcome" AS ENUM ('stored', 'duplicate', 'ignored', 'refused');

CREATE TABLE "connector_delivery" (
    "id" TEXT NOT NULL,
    "connector" TEXT NOT NULL,
    "delivery_id" TEXT,
    "kind" TEXT,
    "outcome" "connector_delivery_outcome" NOT NULL,
    "reason" TEXT,
    "event_id" TEXT,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "connector_delivery_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "connector_delivery_connector_delivery_id_key" ON "connector_delivery"("connector", "delivery_id");
-- The web app lists each connector's latest deliveries.
CREATE INDEX "connector_delivery_connector_received_at_idx" ON "connector_delivery"("connector", "received_at");

