/**
 * A journey's life after launch. Publishing a version affects new enrollments only;
 * enrollments in flight finish on the version they entered. Pausing holds new
 * enrollments and every enrollment's sends; resuming releases them. Archiving
 * ends every enrollment of the version, with a reason; removing ends one.
 * The database holds the status; the running enrollments are told by signal.
 */
import { ServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Database, Enrollment, JourneyStatus, JourneyVersion } from '../db/client.ts';
import { interactionSignal, migrateSignal, pauseSignal, resumeSignal } from '../../workflows/contract.ts';
import { triggerOverlap, type TriggerOverlap } from './trigger-overlap.ts';
import { JourneyDefinition, RESERVED_STATES } from './definition.ts';
import { storedTemplateCatalog } from '../templates/catalog.ts';
import { pinTemplates } from '../templates/versions.ts';
import { formatPath, validateJourney, type ValidationCatalog } from './validate.ts';
import { recordAudit, SYSTEM_ACTOR, type AuditAction, type AuditActor } from '../auth/audit.ts';

export class LifecycleError extends Error {
  constructor(
    message: string,
    readonly status: 404 | 409 | 422 | 503,
  ) {
    super(message);
    this.name = 'LifecycleError';
  }
}

export type JourneyLifecycle = ReturnType<typeof createJourneyLifecycle>;

export function createJourneyLifecycle(deps: { db: Database; temporal: Client; signalTimeoutMs?: number; catalog?: () => Promise<ValidationCatalog> }) {
  const { db, temporal } = deps;
  const signalTimeoutMs = deps.signalTimeoutMs ?? 10_000;
  const catalog = deps.catalog ?? (() => storedTemplateCatalog(db));

  async function version(journeyId: string, number: number): Promise<JourneyVersion> {
    const found = await db.journeyVersion.findUnique({ where: { journeyId_version: { journeyId, version: number } } });
    if (!found) throw new LifecycleError(`Journey ${journeyId} has no version ${number}`, 404);
    return found;
  }

  /**
   * Sends one signal to every active enrollment of a version; an enrollment already
   * ended is skipped. The version's new status is stored first, and every action
   * that tells enrollments may be repeated: when Temporal does not answer, the
   * refusal says so, and doing it again tells those not yet told.
   */
  async function tellEnrollments(versionId: string, send: (enrollment: Enrollment) => Promise<void>): Promise<number> {
    const active = await db.enrollment.findMany({ where: { journeyVersionId: versionId, status: 'active' }, orderBy: { enteredAt: 'asc' } });
    try {
      await temporal.withDeadline(Date.now() + signalTimeoutMs + active.length * 50, async () => {
        for (const enrollment of active) {
          try {
            await send(enrollment);
          } catch (error) {
            if (!(error instanceof WorkflowNotFoundError)) throw error;
          }
        }
      });
    } catch (error) {
      if (error instanceof ServiceError) {
        throw new LifecycleError('Temporal, which runs the journeys, did not answer: the version is saved, but its running enrollments were not all told; do it again in a moment', 503);
      }
      throw error;
    }
    return active.length;
  }

  /** Stores a version's new status with its audit entry, in one transaction. */
  function setStatus(target: JourneyVersion, status: JourneyStatus, actor: AuditActor, action: AuditAction, detail?: Record<string, unknown>): Promise<JourneyVersion> {
    return db.$transaction(async (tx) => {
      const updated = await tx.journeyVersion.update({
        where: { id: target.id },
        data: { status, ...(status === 'published' ? { publishedAt: target.publishedAt ?? new Date() } : {}) },
      });
      await recordAudit(tx, actor, { action, objectType: 'journey', objectId: target.journeyId, detail: { version: target.version, ...detail } });
      return updated;
    });
  }

  async function publishable(journeyId: string, number: number): Promise<JourneyVersion> {
    const target = await version(journeyId, number);
    if (target.status === 'archived') throw new LifecycleError(`Version ${number} of ${journeyId} is archived`, 409);
    if (target.status === 'paused') throw new LifecycleError(`Version ${number} of ${journeyId} is paused; resume it instead`, 409);
    await checkTemplatesUsable(target);
    return target;
  }

  /**
   * The rest of a draft was checked when it was saved and cannot change since; the
   * templates it sends can (a new version in force needing variables this trigger
   * lacks), so they are checked again against the templates published now.
   */
  async function checkTemplatesUsable(target: JourneyVersion): Promise<void> {
    const checked = validateJourney(target.definition, await catalog());
    const problems = checked.diagnostics.filter((diagnostic) => diagnostic.severity === 'error' && diagnostic.path.at(-1) === 'template');
    if (problems.length === 0) return;
    const listed = problems.map((problem) => `${formatPath(problem.path)}: ${problem.message}`).join('; ');
    throw new LifecycleError(`Version ${target.version} of ${target.journeyId} cannot be published: ${listed}`, 422);
  }

  const handle = (enrollment: Enrollment) => temporal.workflow.getHandle(enrollment.workflowId);
  const removal = (enrollment: Enrollment, reason: string) =>
    handle(enrollment).signal(interactionSignal, {
      type: 'removed',
      eventId: `removed:${enrollment.id}`,
      occurredAt: new Date().toISOString(),
      data: { reason },
    });

  return {
    /** New enrollments go to this version from now on; a paused or archived one cannot be published again. */
    async publish(journeyId: string, number: number, actor: AuditActor = SYSTEM_ACTOR, detail?: Record<string, unknown>): Promise<JourneyVersion> {
      const target = await publishable(journeyId, number);
      const published = await setStatus(target, 'published', actor, 'journey.published', detail);
      // The templates it sends are pinned at the versions in force now (see src/templates/versions.ts).
      const definition = JourneyDefinition.safeParse(published.definition);
      if (definition.success) await pinTemplates(db, published.id, definition.data);
      return published;
    },

    /** The version, when it may be published; refused when archived or paused. */
    publishable,

    /**
     * Published journeys of other ids that would also answer, with a message, an
     * event this version takes: one gift, two thank-yous. Said when publishing.
     */
    async overlaps(journeyId: string, number: number): Promise<TriggerOverlap[]> {
      const target = JourneyDefinition.parse((await version(journeyId, number)).definition);
      const published = await db.journeyVersion.findMany({ where: { status: 'published', journeyId: { not: journeyId } }, orderBy: [{ journeyId: 'asc' }, { version: 'desc' }], distinct: ['journeyId'] });
      return published.flatMap((other) => {
        const overlap = triggerOverlap(target, JourneyDefinition.parse(other.definition));
        return overlap ? [overlap] : [];
      });
    },

    async pause(journeyId: string, number: number, actor: AuditActor = SYSTEM_ACTOR): Promise<{ version: JourneyVersion; enrollments: number }> {
      const target = await version(journeyId, number);
      if (target.status !== 'published' && target.status !== 'paused') {
        throw new LifecycleError(`Only a published journey can be paused; version ${number} is ${target.status}`, 409);
      }
      const updated = await setStatus(target, 'paused', actor, 'journey.paused');
      const enrollments = await tellEnrollments(target.id, (enrollment) => handle(enrollment).signal(pauseSignal));
      return { version: updated, enrollments };
    },

    async resume(journeyId: string, number: number, actor: AuditActor = SYSTEM_ACTOR): Promise<{ version: JourneyVersion; enrollments: number }> {
      const target = await version(journeyId, number);
      if (target.status !== 'paused' && target.status !== 'published') {
        throw new LifecycleError(`Only a paused journey can be resumed; version ${number} is ${target.status}`, 409);
      }
      const updated = await setStatus(target, 'published', actor, 'journey.resumed');
      const enrollments = await tellEnrollments(target.id, (enrollment) => handle(enrollment).signal(resumeSignal));
      return { version: updated, enrollments };
    },

    /** Ends the version for good: no new enrollments, and every active one exits with the reason. */
    async archive(journeyId: string, number: number, reason: string, actor: AuditActor = SYSTEM_ACTOR): Promise<{ version: JourneyVersion; enrollments: number }> {
      const target = await version(journeyId, number);
      const updated = await setStatus(target, 'archived', actor, 'journey.archived', { reason });
      const enrollments = await tellEnrollments(target.id, (enrollment) => removal(enrollment, reason));
      return { version: updated, enrollments };
    },

    /**
     * Moves every active enrollment of version `from` onto version `to`, each to the
     * state the mapping names for the state it is in. Every state of `from` a
     * constituent can be waiting in must be mapped, to a state that exists in `to`.
     */
    async migrate(journeyId: string, from: number, to: number, states: Record<string, string>, actor: AuditActor = SYSTEM_ACTOR): Promise<{ enrollments: number }> {
      const [source, target] = [await version(journeyId, from), await version(journeyId, to)];
      if (target.status !== 'published') throw new LifecycleError(`Publish version ${to} before migrating enrollments to it`, 409);
      const before = JourneyDefinition.parse(source.definition);
      const after = JourneyDefinition.parse(target.definition);
      const waiting = Object.entries(before.states).filter(([, state]) => !state.final).map(([name]) => name);
      const problems = [
        ...waiting.filter((name) => !(name in states)).map((name) => `state "${name}" of version ${from} is not mapped`),
        ...Object.keys(states).filter((name) => !(name in before.states)).map((name) => `version ${from} has no state "${name}"`),
        ...Object.values(states)
          .filter((name) => !(name in after.states) || Object.values(RESERVED_STATES).includes(name as never))
          .map((name) => `version ${to} has no state "${name}"`),
      ];
      if (problems.length > 0) throw new LifecycleError(`Migration refused: ${problems.join('; ')}`, 409);
      const enrollments = await tellEnrollments(source.id, (enrollment) =>
        handle(enrollment).signal(migrateSignal, { journeyVersionId: target.id, states, at: Date.now() }),
      );
      // A migration is signals only; it is recorded once every enrollment has been told.
      await recordAudit(db, actor, { action: 'journey.migrated', objectType: 'journey', objectId: journeyId, detail: { from, to, states, enrollments } });
      return { enrollments };
    },

    /** Ends one enrollment at once, whatever state it is in. */
    async remove(enrollmentId: string, reason: string, actor: AuditActor = SYSTEM_ACTOR): Promise<Enrollment> {
      const enrollment = await db.enrollment.findUnique({ where: { id: enrollmentId } });
      if (!enrollment) throw new LifecycleError(`Enrollment ${enrollmentId} not found`, 404);
      if (enrollment.status !== 'active') throw new LifecycleError(`Enrollment ${enrollmentId} has already ended (${enrollment.status})`, 409);
      try {
        await temporal.withDeadline(Date.now() + signalTimeoutMs, () => removal(enrollment, reason));
      } catch (error) {
        // A removal is a signal to the enrollment's workflow: when it does not arrive, nothing changed.
        if (error instanceof WorkflowNotFoundError) throw new LifecycleError(`Enrollment ${enrollmentId} is recorded as active, but its workflow no longer runs`, 409);
        if (error instanceof ServiceError) throw new LifecycleError('Temporal, which runs the journeys, did not answer: nothing changed; try again in a moment', 503);
        throw error;
      }
      // The removal is a signal, recorded once it has arrived; the workflow records the exit itself.
      await recordAudit(db, actor, { action: 'enrollment.removed', objectType: 'enrollment', objectId: enrollmentId, detail: { constituentId: enrollment.constituentId, reason } });
      return enrollment;
    },
  };
}
