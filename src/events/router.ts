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
import type { Database, Enrollment, InteractionEvent } from '../db/client.ts';
import { holds } from '../journeys/conditions.ts';
import { DEFAULT_TRIGGER_WITHIN, JourneyDefinition } from '../journeys/definition.ts';
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
   * event stays stored and unrouted, and a later pass routes it.
   */
  routeTimeoutMs?: number;
  /** Constituents routed at once: each one's events in order, different constituents side by side. */
  concurrency?: number;
}

export type EventRouter = ReturnType<typeof createEventRouter>;

interface PublishedJourney {
  versionId: string;
  definition: JourneyDefinition;
}

/** Some events could not be routed; those before them (per constituent) were, and are marked so. */
export class RoutingDeferredError extends Error {
  constructor(
    readonly routed: number,
    readonly deferred: number,
    override readonly cause: unknown,
  ) {
    super(`${deferred} event(s) wait to be routed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'RoutingDeferredError';
  }
}

export function createEventRouter(deps: EventRouterDependencies) {
  const { db, temporal, taskQueue } = deps;
  const routeTimeoutMs = deps.routeTimeoutMs ?? 5_000;
  const concurrency = deps.concurrency ?? 64;
  /** Stored versions are immutable: each is parsed once per process, whatever its status later. */
  const definitions = new Map<string, JourneyDefinition>();

  /** Routes one stored event and marks it routed; throws if Temporal cannot be reached in time. */
  async function routeEvent(event: InteractionEvent): Promise<RoutedEnrollment[]> {
    const journeys = await publishedJourneys();
    const routed = await temporal.withDeadline(Date.now() + routeTimeoutMs, () => deliver(event, journeys));
    await markRouted([event.id]);
    return routed;
  }

  /**
   * Routes stored events: each constituent's in the order given, stopping at the
   * first that fails (a later event must not overtake it); constituents side by side,
   * at most `concurrency` at once. Marks the routed ones in one statement.
   */
  async function routeEvents(events: readonly InteractionEvent[]): Promise<Map<string, RoutedEnrollment[]>> {
    const routed = new Map<string, RoutedEnrollment[]>();
    if (events.length === 0) return routed;
    const journeys = await publishedJourneys();
    const byConstituent = new Map<string, InteractionEvent[]>();
    for (const event of events) {
      const ordered = byConstituent.get(event.constituentId);
      if (ordered) ordered.push(event);
      else byConstituent.set(event.constituentId, [event]);
    }
    // What each event's admission reads, read for the whole batch at once.
    const [enrollmentsBefore, earlier] = await Promise.all([
      enrollmentsOfConstituents(db, [...byConstituent.keys()]),
      earlierEventsOfTypeFor(events.filter((event) => journeys.some(({ definition }) => definition.trigger.first && definition.trigger.event === signalType[event.type]))),
    ]);
    let failure: unknown;
    await inPool([...byConstituent.values()], concurrency, async (ordered) => {
      for (const [index, event] of ordered.entries()) {
        // Read before the batch, the enrollments hold for the constituent's first event only:
        // an earlier event of theirs in this batch may have enrolled them since.
        const read = { known: index === 0 ? (enrollmentsBefore.get(event.constituentId) ?? []) : undefined, earlierOfType: earlier.get(event.id) };
        try {
          routed.set(event.id, await temporal.withDeadline(Date.now() + routeTimeoutMs, () => deliver(event, journeys, read)));
        } catch (error) {
          failure ??= error;
          return;
        }
      }
    });
    await markRouted([...routed.keys()]);
    if (failure !== undefined) throw new RoutingDeferredError(routed.size, events.length - routed.size, failure);
    return routed;
  }

  async function markRouted(ids: string[]): Promise<void> {
    if (ids.length > 0) await db.interactionEvent.updateMany({ where: { id: { in: ids } }, data: { routedAt: new Date() } });
  }

  async function deliver(event: InteractionEvent, journeys: readonly PublishedJourney[], read: ReadAhead = {}): Promise<RoutedEnrollment[]> {
    const signal = toSignal(event);
    const routed: RoutedEnrollment[] = [];
    const known = read.known ?? (await constituentEnrollments(db, event.constituentId));
    const admission = admissionChecks(event, signal, read.earlierOfType);

    for (const { journey, enrollment } of await enrollmentsFor(journeys, event, signal, known, admission)) {
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

    // Read before this event enrolled anyone, so these are the enrollments it finds running.
    const active = known.filter((enrollment) => enrollment.status === 'active' && enrollment.triggerEventId !== event.id).reverse();
    for (const enrollment of active) {
      try {
        await temporal.workflow.getHandle(enrollment.workflowId).signal(interactionSignal, signal);
        routed.push({ enrollmentId: enrollment.id, journeyId: enrollment.journeyVersion.journeyId, workflowId: enrollment.workflowId, action: 'signalled' });
      } catch (error) {
        // The journey ended after we read its row; nothing left to tell it.
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    }
    return routed;
  }

  /**
   * The newest published version of each journey. One small read per call (ids
   * only), so a publish, pause or archive in any process is seen by the next batch;
   * definitions are parsed once per version.
   */
  async function publishedJourneys(): Promise<PublishedJourney[]> {
    const versions = await db.journeyVersion.findMany({
      where: { status: 'published' },
      orderBy: [{ journeyId: 'asc' }, { version: 'desc' }],
      select: { id: true, journeyId: true },
    });
    const newest = versions.filter((version, index) => index === 0 || versions[index - 1]!.journeyId !== version.journeyId);
    const missing = newest.filter((version) => !definitions.has(version.id)).map((version) => version.id);
    if (missing.length > 0) {
      for (const version of await db.journeyVersion.findMany({ where: { id: { in: missing } }, select: { id: true, definition: true } })) {
        definitions.set(version.id, JourneyDefinition.parse(version.definition));
      }
    }
    return newest.flatMap((version) => {
      const definition = definitions.get(version.id);
      return definition ? [{ versionId: version.id, definition }] : [];
    });
  }

  /** What admitting this event may need, each read at most once however many journeys ask. */
  function admissionChecks(event: InteractionEvent, signal: JourneyEvent, earlierOfType?: number) {
    let earlier: Promise<number> | undefined = earlierOfType === undefined ? undefined : Promise.resolve(earlierOfType);
    let facts: Promise<Record<string, unknown>> | undefined;
    return {
      earlierOfType: () => (earlier ??= earlierEventsOfType(event)),
      admits: async (conditions: NonNullable<JourneyDefinition['trigger']['when']>) => {
        facts ??= loadConstituentFacts(db, event.constituentId).then((found) => (found ?? {}) as Record<string, unknown>);
        return holds(conditions, { event: signal.data, trigger: signal.data, constituent: await facts, now: event.occurredAt.getTime() });
      },
    };
  }

  /**
   * Whether this journey takes the constituent on this event: `existing` on a retry
   * of an event that already enrolled them, `admitted` when it would enroll them now,
   * undefined when its trigger, freshness, re-entry policy or limit says no.
   */
  async function admissionOf(
    journey: PublishedJourney,
    event: InteractionEvent,
    signal: JourneyEvent,
    known: readonly KnownEnrollment[],
    admission: ReturnType<typeof admissionChecks>,
  ): Promise<{ existing: KnownEnrollment } | { admitted: true; ordinal: number } | undefined> {
    const { definition } = journey;
    const { trigger, reentry, limit } = definition;
    if (trigger.event !== signal.type) return undefined;

    const previous = known.filter((enrollment) => enrollment.journeyVersion.journeyId === definition.id);
    // A retry of an event that already enrolled the constituent finds that enrollment again.
    const existing = previous.find((enrollment) => enrollment.triggerEventId === event.id);
    if (existing) return { existing };
    if (!freshEnough(event, trigger.within)) return undefined;

    if (trigger.first && (await admission.earlierOfType()) > 0) return undefined;
    if (trigger.when?.length && !(await admission.admits(trigger.when))) return undefined;
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
    return { admitted: true, ordinal: previous.length + 1 };
  }

  /** Opens the enrollment; undefined when another event enrolled the constituent a moment earlier. */
  async function enroll(journey: PublishedJourney, event: InteractionEvent, ordinal: number) {
    const { definition } = journey;
    const workflowId = enrollmentWorkflowId(definition.id, event.constituentId, ordinal);
    // One INSERT … ON CONFLICT DO NOTHING; only when it meets a row already there is it read.
    const [created] = await db.enrollment.createManyAndReturn({
      data: [
        {
          workflowId,
          constituentId: event.constituentId,
          journeyVersionId: journey.versionId,
          triggerEventId: event.id,
          status: 'active',
          currentState: definition.initial,
        },
      ],
      skipDuplicates: true,
    });
    const enrollment = created ?? (await db.enrollment.findUniqueOrThrow({ where: { workflowId } }));
    return enrollment.triggerEventId === event.id ? enrollment : undefined;
  }

  /** The enrollments this event opens: every admitting journey, but one per trigger group (see `oneOfEachGroup`). */
  async function enrollmentsFor(
    journeys: readonly PublishedJourney[],
    event: InteractionEvent,
    signal: JourneyEvent,
    known: readonly KnownEnrollment[],
    admission: ReturnType<typeof admissionChecks>,
  ) {
    const candidates: Candidate[] = [];
    for (const journey of journeys) {
      const decision = await admissionOf(journey, event, signal, known, admission);
      if (decision) candidates.push({ journey, decision });
    }
    const opened: { journey: PublishedJourney; enrollment: { id: string; workflowId: string } }[] = [];
    for (const { journey, decision } of oneOfEachGroup(candidates)) {
      const enrollment = 'existing' in decision ? decision.existing : await enroll(journey, event, decision.ordinal);
      if (enrollment) opened.push({ journey, enrollment });
    }
    return opened;
  }

  /** How many events of the same type the constituent had before this one. */
  async function earlierEventsOfType(event: InteractionEvent): Promise<number> {
    return (await earlierEventsOfTypeFor([event])).get(event.id) ?? 0;
  }

  /** `earlierEventsOfType` for many events in one read: event id → count. */
  async function earlierEventsOfTypeFor(events: readonly InteractionEvent[]): Promise<Map<string, number>> {
    if (events.length === 0) return new Map();
    const rows = await db.$queryRaw<{ id: string; earlier: number }[]>`
      SELECT e."id",
             (SELECT count(*)::int FROM "interaction_event" x
               WHERE x."constituent_id" = e."constituent_id" AND x."type" = e."type" AND x."id" <> e."id"
                 AND (x."occurred_at" < e."occurred_at" OR (x."occurred_at" = e."occurred_at" AND x."seq" < e."seq"))) AS "earlier"
        FROM "interaction_event" e
       WHERE e."id" = ANY(${events.map((event) => event.id)}::text[])`;
    return new Map(rows.map((row) => [row.id, row.earlier]));
  }

  /**
   * Routes up to `limit` stored events that are not routed yet, in the order they
   * were stored; returns how many it routed. Throws `RoutingDeferredError` when some
   * had to wait (Temporal or the database not answering), after routing the rest.
   */
  async function routePending(limit = 200): Promise<number> {
    const pending = await db.interactionEvent.findMany({ where: { routedAt: null }, orderBy: { seq: 'asc' }, take: limit });
    return (await routeEvents(pending)).size;
  }

  return { routeEvent, routeEvents, routePending };
}

/** A constituent's enrollment as routing needs it, with its journey. */
interface KnownEnrollment {
  id: string;
  constituentId: string;
  workflowId: string;
  status: Enrollment['status'];
  triggerEventId: string | null;
  enteredAt: Date;
  journeyVersion: { journeyId: string };
}

/** Every enrollment of the constituent, newest first, with its journey. */
async function constituentEnrollments(db: Database, constituentId: string): Promise<KnownEnrollment[]> {
  return (await enrollmentsOfConstituents(db, [constituentId])).get(constituentId) ?? [];
}

/** `constituentEnrollments` for many constituents in one read. */
async function enrollmentsOfConstituents(db: Database, constituentIds: readonly string[]): Promise<Map<string, KnownEnrollment[]>> {
  const rows = await db.enrollment.findMany({
    where: { constituentId: { in: [...constituentIds] } },
    orderBy: { enteredAt: 'desc' },
    select: { id: true, constituentId: true, workflowId: true, status: true, triggerEventId: true, enteredAt: true, journeyVersion: { select: { journeyId: true } } },
  });
  const byConstituent = new Map<string, KnownEnrollment[]>();
  for (const row of rows) {
    const list = byConstituent.get(row.constituentId);
    if (list) list.push(row);
    else byConstituent.set(row.constituentId, [row]);
  }
  return byConstituent;
}

/** What routing a batch read ahead for one of its events. */
interface ReadAhead {
  /** The constituent's enrollments, when read for this event. */
  known?: KnownEnrollment[];
  /** How many events of its type the constituent had before it, when some journey asks. */
  earlierOfType?: number | undefined;
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function inPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

const signalType: Record<InteractionEvent['type'], InteractionType> = {
  donation: 'donation',
  registration: 'registration',
  drop_off: 'drop-off',
  custom: 'custom',
  refund: 'refund',
};

/** The event as a journey sees it: ids and non-personal facts only. */
function toSignal(event: InteractionEvent): JourneyEvent {
  const type = signalType[event.type];
  return { type, eventId: event.id, occurredAt: event.occurredAt.toISOString(), data: signalFacts(type, event.data) };
}

/**
 * Whether an event was recent when it arrived, so that it may start a journey: an
 * import of past gifts (or a sync that lagged by weeks) must not thank anyone today.
 * Judged against when Steward received it, so a routing delay changes nothing.
 */
export function freshEnough(event: Pick<InteractionEvent, 'occurredAt' | 'receivedAt'>, within: string | undefined): boolean {
  const limit = parseDuration(within ?? DEFAULT_TRIGGER_WITHIN);
  return 'error' in limit || event.receivedAt.getTime() - event.occurredAt.getTime() <= limit.ms;
}

interface Candidate {
  journey: PublishedJourney;
  decision: { existing: KnownEnrollment } | { admitted: true; ordinal: number };
}

/**
 * Journeys that share a trigger group (`trigger.group: acknowledgment`) answer one
 * event once: of those that admit the constituent, only the one with the highest
 * `trigger.priority` (then the first by id) enrolls them, so one first gift of
 * 1,500 gets one thank-you, not one from each journey. On a retry the enrollment
 * the event already opened is the group's.
 */
export function oneOfEachGroup<T extends Candidate>(candidates: readonly T[]): T[] {
  const chosen = new Map<string, T>();
  const rank = (candidate: T) => ['existing' in candidate.decision ? 1 : 0, candidate.journey.definition.trigger.priority ?? 0] as const;
  const better = (a: T, b: T) => {
    const [ra, rb] = [rank(a), rank(b)];
    return ra[0] !== rb[0] ? ra[0] > rb[0] : ra[1] !== rb[1] ? ra[1] > rb[1] : a.journey.definition.id < b.journey.definition.id;
  };
  for (const candidate of candidates) {
    const group = candidate.journey.definition.trigger.group;
    if (group && (!chosen.has(group) || better(candidate, chosen.get(group)!))) chosen.set(group, candidate);
  }
  // In the journeys' own order, as routing has always gone.
  return candidates.filter((candidate) => {
    const group = candidate.journey.definition.trigger.group;
    return !group || chosen.get(group) === candidate;
  });
}
