-- AlterTable
ALTER TABLE "constituent" ADD COLUMN     "attributes" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "enrollment" ADD COLUMN     "goal_name" TEXT,
ADD COLUMN     "goal_reached_at" TIMESTAMP(3);
