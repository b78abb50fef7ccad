-- Who said it: a consent change by the constituent themself can be undone only by the
-- constituent, never by an integration or import asserting "granted" again.
CREATE TYPE "consent_authority" AS ENUM ('constituent', 'staff', 'integration', 'provider');
-- What became of a change: in force, older than the one in force, or refused by precedence.
CREATE TYPE "consent_outcome" AS ENUM ('applied', 'older', 'refused');

ALTER TABLE "consent_change"
  ADD COLUMN "authority" "consent_authority" NOT NULL DEFAULT 'integration',
  ADD COLUMN "evidence" TEXT,
  ADD COLUMN "outcome" "consent_outcome" NOT NULL DEFAULT 'applied',
  ADD COLUMN "note" TEXT;
ALTER TABLE "constituent_consent"
  ADD COLUMN "authority" "consent_authority" NOT NULL DEFAULT 'integration';

-- Changes recorded before authorities existed: the constituent's own acts (links, keywords,
-- complaints) and the provider's (bounces) are recognised by the sources Steward wrote.
UPDATE "consent_change" SET "authority" = 'constituent'
 WHERE "source" LIKE 'unsubscribe link%' OR "source" LIKE 'one-click unsubscribe%'
    OR "source" LIKE 'SMS keyword%' OR "source" = 'spam complaint';
UPDATE "consent_change" SET "authority" = 'provider' WHERE "source" = 'hard bounce';
UPDATE "constituent_consent" SET "authority" = 'constituent'
 WHERE "source" LIKE 'unsubscribe link%' OR "source" LIKE 'one-click unsubscribe%'
    OR "source" LIKE 'SMS keyword%' OR "source" = 'spam complaint';
UPDATE "constituent_consent" SET "authority" = 'provider' WHERE "source" = 'hard bounce';

-- An email unsubscribe now also suppresses the address; earlier ones are brought in line.
INSERT INTO "suppression" ("id", "channel", "address", "reason", "source", "created_at")
SELECT gen_random_uuid()::text, 'email', lower(c."email"), 'unsubscribe', cc."source", cc."recorded_at"
  FROM "constituent_consent" cc JOIN "constituent" c ON c."id" = cc."constituent_id"
 WHERE cc."channel" = 'email' AND cc."status" = 'withdrawn' AND cc."authority" = 'constituent' AND c."email" IS NOT NULL
ON CONFLICT ("channel", "address") DO NOTHING;
