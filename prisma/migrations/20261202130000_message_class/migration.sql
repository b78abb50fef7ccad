-- A message answering the constituent's own act (a thank-you, a receipt) goes out at
-- once, outside send windows and frequency caps; every other one is marketing, as all
-- messages were before.
CREATE TYPE "message_class" AS ENUM ('transactional', 'marketing');
ALTER TABLE "message" ADD COLUMN "class" "message_class" NOT NULL DEFAULT 'marketing';
