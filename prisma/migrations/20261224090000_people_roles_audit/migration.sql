-- People who sign in to the web app, their roles, single-use mailed links (invitations,
-- password resets), the audit trail and publish approvals.
CREATE TYPE "person_role" AS ENUM ('admin', 'marketer', 'staff', 'viewer');
CREATE TYPE "person_token_kind" AS ENUM ('invitation', 'password_reset');
CREATE TYPE "publish_request_status" AS ENUM ('pending', 'approved', 'rejected');

CREATE TABLE "person" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "person_role" NOT NULL,
    "password_hash" TEXT,
    "oidc_subject" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "removed_at" TIMESTAMP(3),

    CONSTRAINT "person_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "person_email_key" ON "person"("email");
CREATE UNIQUE INDEX "person_oidc_subject_key" ON "person"("oidc_subject");

CREATE TABLE "person_token" (
    "id" TEXT NOT NULL,
    "hash" CHAR(64) NOT NULL,
    "person_id" TEXT NOT NULL,
    "kind" "person_token_kind" NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "used_at" TIMESTAMP(3),

    CONSTRAINT "person_token_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "person_token_hash_key" ON "person_token"("hash");
CREATE INDEX "person_token_person_id_idx" ON "person_token"("person_id");
ALTER TABLE "person_token" ADD CONSTRAINT "person_token_person_id_fkey" FOREIGN KEY ("person_id") REFERENCES "person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A web session is a key's or a person's, never both and never neither.
ALTER TABLE "web_session" ALTER COLUMN "api_key_id" DROP NOT NULL;
ALTER TABLE "web_session" ADD COLUMN "person_id" TEXT;
ALTER TABLE "web_session" ADD CONSTRAINT "web_session_one_holder" CHECK (("api_key_id" IS NULL) <> ("person_id" IS NULL));
CREATE INDEX "web_session_person_id_idx" ON "web_session"("person_id");
ALTER TABLE "web_session" ADD CONSTRAINT "web_session_person_id_fkey" FOREIGN KEY ("person_id") REFERENCES "person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "audit_entry" (
    "id" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_kind" TEXT NOT NULL,
    "actor_id" TEXT,
    "actor_name" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "object_type" TEXT NOT NULL,
    "object_id" TEXT NOT NULL,
    "detail" JSONB,

    CONSTRAINT "audit_entry_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "audit_entry_at_id_idx" ON "audit_entry"("at", "id");
CREATE INDEX "audit_entry_actor_id_at_idx" ON "audit_entry"("actor_id", "at");
CREATE INDEX "audit_entry_action_at_idx" ON "audit_entry"("action", "at");
-- Also counts an address's recent failed sign-ins, for throttling.
CREATE INDEX "audit_entry_object_type_object_id_at_idx" ON "audit_entry"("object_type", "object_id", "at");

CREATE TABLE "publish_request" (
    "id" TEXT NOT NULL,
    "journey_version_id" TEXT NOT NULL,
    "status" "publish_request_status" NOT NULL DEFAULT 'pending',
    "requested_by_id" TEXT NOT NULL,
    "requested_by_name" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_by_id" TEXT,
    "decided_by_name" TEXT,
    "decided_at" TIMESTAMP(3),
    "note" TEXT,

    CONSTRAINT "publish_request_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "publish_request_status_created_at_idx" ON "publish_request"("status", "created_at");
CREATE INDEX "publish_request_journey_version_id_idx" ON "publish_request"("journey_version_id");
ALTER TABLE "publish_request" ADD CONSTRAINT "publish_request_journey_version_id_fkey" FOREIGN KEY ("journey_version_id") REFERENCES "journey_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;
