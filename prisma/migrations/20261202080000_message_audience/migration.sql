-- Staff task notices are stored as messages (sent once per task, like any other),
-- but they go to a queue's address, not to the constituent they concern. Marking
-- them keeps them out of the constituent's timeline and of response rates.
CREATE TYPE "message_audience" AS ENUM ('constituent', 'staff');

ALTER TABLE "message" ADD COLUMN "audience" "message_audience" NOT NULL DEFAULT 'constituent';

UPDATE "message" SET "audience" = 'staff' WHERE "template" = 'staff-task-notification';
