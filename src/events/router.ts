/**
 * The event router: hands a stored event to the journeys it concerns. A published
 * journey whose trigger, re-entry policy and limit admit the constituent starts
 * (signal-with-start) a new enrollment; every active enrollment of the constituent
 * is signalled. Routing is idempotent, so a stored event whose routing failed
 * (Temporal unreachable) is simply routed again later.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import { loadConstituentFacts } from '../constituents/facts.ts';
import type { Database, InteractionEvent } from '../db/client.ts';
import { holds } from '../journeys/conditions.ts';
import { JourneyDefinition } from '../journeys/definition.ts';
import { parseDuration } from '../journeys/duration.ts';
import type { InteractionType, JourneyEvent } from '../journeys/vocabulary.ts';
import { enrollmentWorkflowId, interactionSignal, type EnrollmentWorkflowInput } from '../../workflows/contract.ts';
import { signalFacts } from './signal-facts.ts';

export interface RoutedEnrollment {
  enrollmentId: string;
  journeyId: string;
  workflowId: string;
  /** `enrolled`: this event started the enrollment; `signalled`: it was delivered to a running one. */
  action: 'enrolled' | 'signalled';
}

export interface EventRouterDependencies {
  db: Database;
  temporal: Client;
  taskQueue: string;
  /**
   * Time budget for routing one event. When Temporal does not answer within it the
   * event stays stored and unrouted, and the background pass routes it later.
   */
  routeTimeoutMs?: number;
}

export type EventRouter = ReturnType<typeof createEventRouter>;

interface PublishedJourney {
  versionId: string;
  definition: JourneyDefinition;
}

export function createEventRouter(deps: EventRouterDependencies) {
  const { db, temporal, taskQueue } = deps;
  const routeTimeoutMs = deps.routeTimeoutMs ?? 5_000;

  /** Routes one stored event and marks it routed; throws if Temporal cannot be reached in time. */
  function routeEvent(event: InteractionEvent): Promise<RoutedEnrollment[]> {
    return temporal.withDeadline(Date.now() + routeTimeoutMs, () => deliver(event));
  }

  async function deliver(event: InteractionEvent): Promise<RoutedEnrollment[]> {
    const signal = toSignal(event);
    const routed: RoutedEnrollment[] = [];

    for (const journey of await publishedJourneys()) {
      const enrollment = await enrollmentFor(journey, event, signal);
      if (!enrollment) continue;
      const input: EnrollmentWorkflowInput = {
        enrollmentId: enrollment.id,
        constituentId: event.constituentId,
        journeyVersionId: journey.versionId,
      };
      try {
        await temporal.workflow.signalWithStart('enrollmentWorkflow', {
          workflowId: enrollment.workflowId,
          taskQueue,
          args: [input],
          signal: interactionSignal,
          signalArgs: [signal],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
      } catch (error) {
        // Re-routing an event whose enrollment already ran to its end: nothing to do.
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
      routed.push({ enrollmentId: enrollment.id, journeyId: journey.definition.id, workflowId: enrollment.workflowId, action: 'enrolled' });
    }

    const active = await db.enrollment.findMany({
      where: { constituentId: event.constituentId, status: 'active', NOT: { triggerEventId: event.id } },
      include: { journeyVersion: true },
      orderBy: { enteredAt: 'asc' },
    });
    for (const enrollment of active) {
      try {
        await temporal.workflow.getHandle(enrollment.workflowId).signal(interactionSignal, signal);
        routed.push({
          enrollmentId: enrollment.id,
          journeyId: enrollment.journeyVersion.journeyId,
          workflowId: enrollment.workflowId,
          action: 'signalled',
        });
      } catch (error) {
        // The journey ended after we read its row; nothing left to tell it.
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    }

    await db.interactionEvent.update({ where: { id: event.id }, data: { routedAt: new Date() } });
    return routed;
  }

  /** The newest published version of each journey. */
  async function publishedJourneys(): Promise<PublishedJourney[]> {
    const versions = await db.journeyVersion.findMany({
      where: { status: 'published' },
      orderBy: [{ journeyId: 'asc' }, { version: 'desc' }],
    });
    const newest = new Map<string, PublishedJourney>();
    for (const version of versions) {
      if (newest.has(version.journeyId)) continue;
      newest.set(version.journeyId, { versionId: version.id, definition: JourneyDefinition.parse(version.definition) });
    }
    return [...newest.values()];
  }

  /**
   * The enrollment this event opens, created on first routing and found again on a
   * retry; undefined when the journey does not admit the constituent on this event.
   */
  async function enrollmentFor(journey: PublishedJourney, event: InteractionEvent, signal: JourneyEvent) {
    const { definition } = journey;
    const { trigger, reentry, limit } = definition;
    if (trigger.event !== signal.type) return undefined;

    // A retry of an event that already enrolled the constituent finds that enrollment again.
    const existing = await db.enrollment.findFirst({ where: { triggerEventId: event.id, journeyVersion: { journeyId: definition.id } } });
    if (existing) return existing;

    if (trigger.first && (await earlierEventsOfType(event)) > 0) return undefined;
    if (trigger.when?.length) {
      const facts = (await loadConstituentFacts(db, event.constituentId)) ?? {};
      if (!holds(trigger.when, { event: signal.data, trigger: signal.data, constituent: facts as Record<string, unknown>, now: event.occurredAt.getTime() })) {
        return undefined;
      }
    }
    const previous = await db.enrollment.findMany({
      where: { constituentId: event.constituentId, journeyVersion: { journeyId: definition.id } },
      orderBy: { enteredAt: 'desc' },
    });
    if (previous.some((enrollment) => enrollment.status === 'active')) return undefined;
    const last = previous[0];
    if (last) {
      if (reentry.policy === 'once') return undefined;
      if (reentry.policy === 'once-per-period') {
        const period = parseDuration(reentry.period ?? '0s');
        if ('error' in period || event.occurredAt.getTime() < last.enteredAt.getTime() + period.ms) return undefined;
      }
    }
    if (limit !== undefined && (await db.enrollment.count({ where: { journeyVersionId: journey.versionId } })) >= limit) {
      return undefined;
    }

    const workflowId = enrollmentWorkflowId(definition.id, event.constituentId, previous.length + 1);
    const enrollment = await db.enrollment.upsert({
      where: { workflowId },
      create: {
        workflowId,
        constituentId: event.constituentId,
        journeyVersionId: journey.versionId,
        triggerEventId: event.id,
        status: 'active',
        currentState: definition.initial,
      },
      update: {},
    });
    // Another event enrolled the constituent a moment earlier: that enrollment is theirs.
    return enrollment.triggerEventId === event.id ? enrollment : undefined;
  }

  /** How many events of the same type the constituent had before this one. */
  function earlierEventsOfType(event: InteractionEvent): Promise<number> {
    return db.interactionEvent.count({
      where: {
        constituentId: event.constituentId,
        type: event.type,
        id: { not: event.id },
        OR: [{ occurredAt: { lt: event.occurredAt } }, { occurredAt: event.occurredAt, receivedAt: { lt: event.receivedAt } }],
      },
    });
  }

  /** Routes stored events that are not routed yet, oldest first; stops at the first failure to keep order. */
  async function routePending(limit = 100): Promise<number> {
    const pending = await db.interactionEvent.findMany({
      where: { routedAt: null },
      orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    for (const event of pending) await routeEvent(event);
    return pending.length;
  }

  return { routeEvent, routePending };
}

const signalType: Record<InteractionEvent['type'], InteractionType> = {
  donation: 'donation',
  registration: 'registration',
  drop_off: 'drop-off',
  custom: 'custom',
};

/** The event as a journey sees it: ids and non-personal facts only. */
function toSignal(event: InteractionEvent): JourneyEvent {
  const type = signalType[event.type];
  return { type, eventId: event.id, occurredAt: event.occurredAt.toISOString(), data: signalFacts(type, event.data) };
}
