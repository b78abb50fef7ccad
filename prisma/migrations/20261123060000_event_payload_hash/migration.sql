-- AlterTable
ALTER TABLE "interaction_event" ADD COLUMN     "payload_hash" CHAR(64);
