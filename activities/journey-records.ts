/**
 * Activities that read what a journey needs (its definition, the constituent's
 * facts) and record what it did besides messages: staff tasks, attributes, goals.
 * Each write is idempotent, so a retried activity changes nothing the second time.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { loadConstituentFacts } from '../src/constituents/facts.ts';
import type { Database } from '../src/db/client.ts';
import { JourneyDefinition } from '../src/journeys/definition.ts';
import type { ConstituentFacts } from '../src/journeys/vocabulary.ts';
import { recordWebhookEvent } from '../src/webhooks/outbox.ts';

export interface CreateTaskInput {
  enrollmentId: string;
  constituentId: string;
  queue: string;
  title: string;
  dueAt: string | null;
  idempotencyKey: string;
}

/** Most parsed journey versions one worker keeps. */
const PARSED_VERSIONS = 200;
const parsedVersions = new Map<string, JourneyDefinition>();

function parsedDefinition(versionId: string, stored: unknown): JourneyDefinition {
  const known = parsedVersions.get(versionId);
  if (known) return known;
  const parsed = JourneyDefinition.safeParse(stored);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || '(top)';
    throw ApplicationFailure.nonRetryable(`Journey version ${versionId} holds an invalid definition at ${where}: ${parsed.error.issues[0]?.message}`, 'InvalidJourney');
  }
  if (parsedVersions.size >= PARSED_VERSIONS) parsedVersions.delete(parsedVersions.keys().next().value!);
  parsedVersions.set(versionId, parsed.data);
  return parsed.data;
}

export function createJourneyRecords(deps: { db: Database }) {
  const { db } = deps;

  return {
    /**
     * A journey version's definition, parsed (defaults applied) so the workflow compiles
     * it as it comes, and its status. A version is immutable, so its parse is kept.
     */
    async loadJourney(input: { journeyVersionId: string }): Promise<{ definition: JourneyDefinition; status: string }> {
      const version = await db.journeyVersion.findUnique({ where: { id: input.journeyVersionId } });
      if (!version) throw ApplicationFailure.nonRetryable(`Journey version ${input.journeyVersionId} not found`, 'JourneyNotFound');
      return { definition: parsedDefinition(version.id, version.definition), status: version.status };
    },

    async loadConstituentFacts(input: { constituentId: string }): Promise<ConstituentFacts> {
      const facts = await loadConstituentFacts(db, input.constituentId);
      if (!facts) throw ApplicationFailure.nonRetryable(`Constituent ${input.constituentId} not found`, 'ConstituentNotFound');
      return facts;
    },

    /** Makes the task once per key; the first time, with its `task.created` webhook in the same transaction. */
    async createTask(input: CreateTaskInput): Promise<{ taskId: string }> {
      return db.$transaction(async (tx) => {
        const [created] = await tx.staffTask.createManyAndReturn({
          data: [
            {
              idempotencyKey: input.idempotencyKey,
              enrollmentId: input.enrollmentId,
              constituentId: input.constituentId,
              queue: input.queue,
              title: input.title,
              dueAt: input.dueAt ? new Date(input.dueAt) : null,
            },
          ],
          skipDuplicates: true,
        });
        if (!created) return { taskId: (await tx.staffTask.findUniqueOrThrow({ where: { idempotencyKey: input.idempotencyKey } })).id };
        await recordWebhookEvent(tx, 'task.created', created.id);
        return { taskId: created.id };
      });
    },

    /** Sets one attribute atomically, leaving the others as they are. */
    async setAttribute(input: { constituentId: string; attribute: string; value: string | number | boolean }): Promise<void> {
      await db.$executeRaw`
        UPDATE "constituent"
           SET "attributes" = "attributes" || jsonb_build_object(${input.attribute}::text, ${JSON.stringify(input.value)}::jsonb),
               "updated_at" = now()
         WHERE "id" = ${input.constituentId}`;
    },

    /** Marks the enrollment's goal; the first goal reached is the one kept. */
    async recordGoal(input: { enrollmentId: string; name: string; at: string }): Promise<void> {
      await db.enrollment.updateMany({
        where: { id: input.enrollmentId, goalReachedAt: null },
        data: { goalName: input.name, goalReachedAt: new Date(input.at) },
      });
    },
  };
}
