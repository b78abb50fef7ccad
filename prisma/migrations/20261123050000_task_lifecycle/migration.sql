-- AlterTable
ALTER TABLE "staff_task" ADD COLUMN     "claimed_at" TIMESTAMP(3),
ADD COLUMN     "completed_by" TEXT,
ADD COLUMN     "escalated_at" TIMESTAMP(3),
ADD COLUMN     "outcome_delivered_at" TIMESTAMP(3);
