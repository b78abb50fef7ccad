-- Indexes for the analytics and list pages: each page reads one journey, one
-- constituent or one queue through an index instead of scanning a whole table.

-- One journey's enrollments by status, oldest or newest first: stateCounts (active
-- ones), the list filtered by status, the lifecycle's "active, oldest first", and the
-- per-journey counts of journeySummaries, answered from the index alone. Replaces the
-- (journey_version_id, status) index, which it contains.
DROP INDEX "enrollment_journey_version_id_status_idx";
CREATE INDEX "enrollment_journey_version_id_status_entered_at_idx" ON "enrollment"("journey_version_id", "status", "entered_at");

-- One journey's enrollments newest first (keyset on entered_at, id), a period of them
-- for journeyMetrics, and enrolments per day.
CREATE INDEX "enrollment_journey_version_id_entered_at_id_idx" ON "enrollment"("journey_version_id", "entered_at", "id");

-- Conversions per day for one journey.
CREATE INDEX "enrollment_journey_version_id_goal_reached_at_idx" ON "enrollment"("journey_version_id", "goal_reached_at");

-- A constituent's events newest first, a page at a time (keyset on occurred_at, id).
CREATE INDEX "interaction_event_constituent_id_occurred_at_id_idx" ON "interaction_event"("constituent_id", "occurred_at", "id");

-- Who gave in a period (donor retention), read from the index alone.
CREATE INDEX "interaction_event_type_occurred_at_constituent_id_idx" ON "interaction_event"("type", "occurred_at", "constituent_id");

-- An enrollment's messages (its page, and message response for one journey).
CREATE INDEX "message_enrollment_id_created_at_idx" ON "message"("enrollment_id", "created_at");

-- An enrollment's tasks, and a constituent's tasks newest first.
CREATE INDEX "staff_task_enrollment_id_created_at_idx" ON "staff_task"("enrollment_id", "created_at");
CREATE INDEX "staff_task_constituent_id_created_at_idx" ON "staff_task"("constituent_id", "created_at");
