-- CreateEnum
CREATE TYPE "channel" AS ENUM ('email', 'sms');

-- CreateEnum
CREATE TYPE "consent_status" AS ENUM ('granted', 'withdrawn');

-- CreateEnum
CREATE TYPE "interaction_type" AS ENUM ('donation', 'registration', 'drop-off', 'custom');

-- CreateEnum
CREATE TYPE "journey_status" AS ENUM ('draft', 'published', 'paused', 'archived');

-- CreateEnum
CREATE TYPE "enrollment_status" AS ENUM ('active', 'completed', 'converted', 'exited');

-- CreateEnum
CREATE TYPE "message_status" AS ENUM ('pending', 'sent', 'failed', 'suppressed');

-- CreateEnum
CREATE TYPE "task_status" AS ENUM ('open', 'claimed', 'completed', 'cancelled');

-- CreateTable
CREATE TABLE "constituent" (
    "id" TEXT NOT NULL,
    "email" TEXT,
    "first_name" TEXT,
    "last_name" TEXT,
    "phone" TEXT,
    "timezone" TEXT,
    "locale" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "constituent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "constituent_consent" (
    "id" TEXT NOT NULL,
    "constituent_id" TEXT NOT NULL,
    "channel" "channel" NOT NULL,
    "status" "consent_status" NOT NULL,
    "source" TEXT NOT NULL,
    "recorded_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "constituent_consent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "interaction_event" (
    "id" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "type" "interaction_type" NOT NULL,
    "constituent_id" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "amount" DECIMAL(14,2),
    "currency" CHAR(3),
    "occurred_at" TIMESTAMP(3) NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "routed_at" TIMESTAMP(3),

    CONSTRAINT "interaction_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "journey" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "journey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "journey_version" (
    "id" TEXT NOT NULL,
    "journey_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "definition" JSONB NOT NULL,
    "status" "journey_status" NOT NULL DEFAULT 'draft',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMP(3),

    CONSTRAINT "journey_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "enrollment" (
    "id" TEXT NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "constituent_id" TEXT NOT NULL,
    "journey_version_id" TEXT NOT NULL,
    "status" "enrollment_status" NOT NULL DEFAULT 'active',
    "current_state" TEXT NOT NULL,
    "snapshot" JSONB,
    "trigger_event_id" TEXT,
    "entered_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "exited_at" TIMESTAMP(3),
    "exit_reason" TEXT,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "enrollment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "enrollment_transition" (
    "id" TEXT NOT NULL,
    "enrollment_id" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "from_state" TEXT,
    "to_state" TEXT NOT NULL,
    "cause" TEXT NOT NULL,
    "event_id" TEXT,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "enrollment_transition_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "message" (
    "id" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "enrollment_id" TEXT,
    "constituent_id" TEXT NOT NULL,
    "channel" "channel" NOT NULL,
    "template" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "subject" TEXT,
    "status" "message_status" NOT NULL DEFAULT 'pending',
    "provider_message_id" TEXT,
    "error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMP(3),

    CONSTRAINT "message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "staff_task" (
    "id" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "enrollment_id" TEXT,
    "constituent_id" TEXT,
    "queue" TEXT NOT NULL,
    "assignee" TEXT,
    "title" TEXT NOT NULL,
    "due_at" TIMESTAMP(3),
    "status" "task_status" NOT NULL DEFAULT 'open',
    "outcome" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMP(3),

    CONSTRAINT "staff_task_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "constituent_email_key" ON "constituent"("email");

-- CreateIndex
CREATE UNIQUE INDEX "constituent_consent_constituent_id_channel_key" ON "constituent_consent"("constituent_id", "channel");

-- CreateIndex
CREATE UNIQUE INDEX "interaction_event_idempotency_key_key" ON "interaction_event"("idempotency_key");

-- CreateIndex
CREATE INDEX "interaction_event_constituent_id_type_occurred_at_idx" ON "interaction_event"("constituent_id", "type", "occurred_at");

-- CreateIndex
CREATE INDEX "interaction_event_unrouted_idx" ON "interaction_event"("received_at");

-- CreateIndex
CREATE UNIQUE INDEX "journey_version_journey_id_version_key" ON "journey_version"("journey_id", "version");

-- CreateIndex
CREATE UNIQUE INDEX "enrollment_workflow_id_key" ON "enrollment"("workflow_id");

-- CreateIndex
CREATE INDEX "enrollment_constituent_id_status_idx" ON "enrollment"("constituent_id", "status");

-- CreateIndex
CREATE INDEX "enrollment_journey_version_id_status_idx" ON "enrollment"("journey_version_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "enrollment_transition_enrollment_id_sequence_key" ON "enrollment_transition"("enrollment_id", "sequence");

-- CreateIndex
CREATE UNIQUE INDEX "message_idempotency_key_key" ON "message"("idempotency_key");

-- CreateIndex
CREATE INDEX "message_constituent_id_channel_created_at_idx" ON "message"("constituent_id", "channel", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "staff_task_idempotency_key_key" ON "staff_task"("idempotency_key");

-- CreateIndex
CREATE INDEX "staff_task_queue_status_due_at_idx" ON "staff_task"("queue", "status", "due_at");

-- AddForeignKey
ALTER TABLE "constituent_consent" ADD CONSTRAINT "constituent_consent_constituent_id_fkey" FOREIGN KEY ("constituent_id") REFERENCES "constituent"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "interaction_event" ADD CONSTRAINT "interaction_event_constituent_id_fkey" FOREIGN KEY ("constituent_id") REFERENCES "constituent"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "journey_version" ADD CONSTRAINT "journey_version_journey_id_fkey" FOREIGN KEY ("journey_id") REFERENCES "journey"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "enrollment" ADD CONSTRAINT "enrollment_constituent_id_fkey" FOREIGN KEY ("constituent_id") REFERENCES "constituent"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "enrollment" ADD CONSTRAINT "enrollment_journey_version_id_fkey" FOREIGN KEY ("journey_version_id") REFERENCES "journey_version"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "enrollment_transition" ADD CONSTRAINT "enrollment_transition_enrollment_id_fkey" FOREIGN KEY ("enrollment_id") REFERENCES "enrollment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "message" ADD CONSTRAINT "message_enrollment_id_fkey" FOREIGN KEY ("enrollment_id") REFERENCES "enrollment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "message" ADD CONSTRAINT "message_constituent_id_fkey" FOREIGN KEY ("constituent_id") REFERENCES "constituent"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "staff_task" ADD CONSTRAINT "staff_task_enrollment_id_fkey" FOREIGN KEY ("enrollment_id") REFERENCES "enrollment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "staff_task" ADD CONSTRAINT "staff_task_constituent_id_fkey" FOREIGN KEY ("constituent_id") REFERENCES "constituent"("id") ON DELETE SET NULL ON UPDATE CASCADE;
