-- Staff tasks keep the notes written on completion and the key that recorded it.
ALTER TABLE "staff_task" ADD COLUMN "completed_by_key_id" TEXT;
ALTER TABLE "staff_task" ADD COLUMN "notes" TEXT;
