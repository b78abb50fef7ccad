/**
 * The event router: hands a stored event to the journeys it concerns. A trigger
 * match starts (signal-with-start) the constituent's enrollment; every active
 * enrollment of the constituent is signalled. Routing is idempotent, so a stored
 * event whose routing failed (Temporal unreachable) is simply routed again later.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import type { Database, InteractionEvent } from '../db/client.ts';
import { journeyCatalog, type JourneyDefinition } from '../../journeys/index.ts';
import type { InteractionSignal, InteractionType } from '../../journeys/vocabulary.ts';
import {
  enrollmentWorkflowId,
  interactionSignal,
  type EnrollmentWorkflowInput,
} from '../../workflows/contract.ts';
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
  journeys?: readonly JourneyDefinition[];
  /**
   * Time budget for routing one event. When Temporal does not answer within it the
   * event stays stored and unrouted, and the background pass routes it later.
   */
  routeTimeoutMs?: number;
}

export type EventRouter = ReturnType<typeof createEventRouter>;

export function createEventRouter(deps: EventRouterDependencies) {
  const { db, temporal, taskQueue } = deps;
  const journeys = deps.journeys ?? journeyCatalog;
  const routeTimeoutMs = deps.routeTimeoutMs ?? 5_000;

  /** Routes one stored event and marks it routed; throws if Temporal cannot be reached in time. */
  function routeEvent(event: InteractionEvent): Promise<RoutedEnrollment[]> {
    return temporal.withDeadline(Date.now() + routeTimeoutMs, () => deliver(event));
  }

  async function deliver(event: InteractionEvent): Promise<RoutedEnrollment[]> {
    const signal = toSignal(event);
    const routed: RoutedEnrollment[] = [];

    for (const journey of journeys) {
      if (!(await admits(journey, event, signal.type))) continue;
      const enrollment = await enrollmentFor(journey, event);
      if (!enrollment) continue;
      const input: EnrollmentWorkflowInput = {
        enrollmentId: enrollment.id,
        constituentId: event.constituentId,
        journeyId: journey.id,
        journeyVersion: journey.version,
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
      routed.push({ enrollmentId: enrollment.id, journeyId: journey.id, workflowId: enrollment.workflowId, action: 'enrolled' });
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

  /** Does the journey's trigger enroll this constituent on this event? */
  async function admits(journey: JourneyDefinition, event: InteractionEvent, type: InteractionType): Promise<boolean> {
    if (journey.trigger.eventType !== type) return false;
    if (!journey.trigger.firstOfType) return true;
    const earlier = await db.interactionEvent.count({
      where: {
        constituentId: event.constituentId,
        type: event.type,
        id: { not: event.id },
        OR: [
          { occurredAt: { lt: event.occurredAt } },
          { occurredAt: event.occurredAt, receivedAt: { lt: event.receivedAt } },
        ],
      },
    });
    return earlier === 0;
  }

  /**
   * The enrollment this event opens, created on first routing and found again on a
   * retry. Undefined when the constituent was enrolled before by another event: the
   * journeys here enroll a constituent once ever.
   */
  async function enrollmentFor(journey: JourneyDefinition, event: InteractionEvent) {
    const version = await db.journeyVersion.findUnique({
      where: { journeyId_version: { journeyId: journey.id, version: journey.version } },
    });
    if (!version || version.status !== 'published') return undefined;
    const workflowId = enrollmentWorkflowId(journey.id, event.constituentId);
    const enrollment = await db.enrollment.upsert({
      where: { workflowId },
      create: {
        workflowId,
        constituentId: event.constituentId,
        journeyVersionId: version.id,
        triggerEventId: event.id,
        status: 'active',
        currentState: 'enrolling',
      },
      update: {},
    });
    return enrollment.triggerEventId === event.id ? enrollment : undefined;
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
function toSignal(event: InteractionEvent): InteractionSignal {
  const type = signalType[event.type];
  return {
    type,
    eventId: event.id,
    occurredAt: event.occurredAt.toISOString(),
    data: signalFacts(type, event.data),
  };
}
