-- Message templates edited in the app. The files in journeys/templates/ are the
-- shipped defaults, imported as each template's first version; every edit in the
-- app is a new version, immutable once stored, and reaches no one until published.
CREATE TABLE "template_version" (
    "id" TEXT NOT NULL,
    "channel" "channel" NOT NULL,
    "name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "subject" TEXT,
    -- The plain-text part of an email, or an SMS body.
    "text" TEXT NOT NULL,
    "html" TEXT,
    "class" "message_class",
    "kind" TEXT,
    -- file: imported from journeys/templates/; app: written in the web app or the API.
    "origin" TEXT NOT NULL DEFAULT 'app',
    "created_by" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- The latest publication of a template's versions is the one in force.
    "published_at" TIMESTAMP(3),

    CONSTRAINT "template_version_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "template_version_channel_name_version_key" ON "template_version"("channel", "name", "version");

-- Which version of each template a journey version sends: set when the journey
-- version is published, moved when a template is published.
CREATE TABLE "journey_template_pin" (
    "journey_version_id" TEXT NOT NULL,
    "channel" "channel" NOT NULL,
    "name" TEXT NOT NULL,
    "template_version_id" TEXT NOT NULL,
    "pinned_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "journey_template_pin_pkey" PRIMARY KEY ("journey_version_id", "channel", "name")
);
ALTER TABLE "journey_template_pin" ADD CONSTRAINT "journey_template_pin_journey_version_id_fkey" FOREIGN KEY ("journey_version_id") REFERENCES "journey_version"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "journey_template_pin" ADD CONSTRAINT "journey_template_pin_template_version_id_fkey" FOREIGN KEY ("template_version_id") REFERENCES "template_version"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The organisation's seed list: the only addresses test sends go to.
CREATE TABLE "seed_recipient" (
    "id" TEXT NOT NULL,
    "channel" "channel" NOT NULL,
    "address" TEXT NOT NULL,
    "label" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "seed_recipient_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "seed_recipient_channel_address_key" ON "seed_recipient"("channel", "address");

-- Test sends live apart from constituents' messages, so no report, funnel or cap can count one.
CREATE TABLE "test_message" (
    "id" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "test" BOOLEAN NOT NULL DEFAULT true,
    "channel" "channel" NOT NULL,
    "template" TEXT NOT NULL,
    "template_version_id" TEXT,
    "recipient" TEXT NOT NULL,
    -- Whose data it was rendered with; none for sample data.
    "constituent_id" TEXT,
    "subject" TEXT,
    "body_text" TEXT,
    "body_html" TEXT,
    "segments" INTEGER,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "error" TEXT,
    "provider_message_id" TEXT,
    "sent_by" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMP(3),

    CONSTRAINT "test_message_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "test_message_idempotency_key_recipient_key" ON "test_message"("idempotency_key", "recipient");
CREATE INDEX "test_message_created_at_idx" ON "test_message"("created_at");

-- What was sent, as the recipient saw it, kept for the retention period and then dropped.
ALTER TABLE "message" ADD COLUMN "template_version_id" TEXT;
ALTER TABLE "message" ADD COLUMN "body_text" TEXT;
ALTER TABLE "message" ADD COLUMN "body_html" TEXT;
ALTER TABLE "message" ADD COLUMN "body_dropped_at" TIMESTAMP(3);
-- The retention sweep finds bodies still held, oldest first.
CREATE INDEX "message_sent_at_idx" ON "message"("sent_at") WHERE "body_text" IS NOT NULL;
