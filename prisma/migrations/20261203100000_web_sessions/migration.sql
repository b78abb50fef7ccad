-- Web app sign-ins: the browser's cookie carries a random session id, never the API key.
-- Only the id's sha256 is kept, with the key that signed in and when the session ends;
-- deleting a key deletes its sessions.
CREATE TABLE "web_session" (
    "id" TEXT NOT NULL,
    "hash" CHAR(64) NOT NULL,
    "api_key_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "web_session_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "web_session_hash_key" ON "web_session"("hash");
CREATE INDEX "web_session_api_key_id_idx" ON "web_session"("api_key_id");
-- Sessions long ended are deleted by their end time.
CREATE INDEX "web_session_expires_at_idx" ON "web_session"("expires_at");

ALTER TABLE "web_session" ADD CONSTRAINT "web_session_api_key_id_fkey" FOREIGN KEY ("api_key_id") REFERENCES "api_key"("id") ON DELETE CASCADE ON UPDATE CASCADE;
