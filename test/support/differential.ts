/**
 * One differential case: a generated journey and timeline through the real worker on
 * the time-skipping server (router, workflow, database, SMTP) and through the
 * simulator; what each recorded, in the same form.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { loadConstituentFacts } from '../../src/constituents/facts.ts';
import type { EventRouter } from '../../src/events/router.ts';
import { JourneyDefinition, type JourneyDefinitionInput } from '../../src/journeys/definition.ts';
import { simulateJourney, type SimulationResult, type TimelineInput } from '../../src/journeys/simulate.ts';
import { validateJourney } from '../../src/journeys/validate.ts';
import { productCatalog } from '../../src/journeys/catalog.ts';
import { interactionSignal, migrateSignal } from '../../workflows/contract.ts';
import { HALF_DAY, secondVersion, type TieTimeline } from './differential-arbitraries.ts';
import { runtimeRecord, simulatedRecords, type JourneyRecord } from './journey-record.ts';
import type { TestRuntime } from './runtime.ts';
import { skipTo, storeAndRoute, storeJourneyVersion } from './runtime-timeline.ts';

export interface CaseOutcome {
  recorded: JourneyRecord[];
  simulated: JourneyRecord[];
  /** The simulator's own result, for counting what the case exercised. */
  simulation: SimulationResult;
}

/** A fresh journey id per case, so cases never see each other's enrollments. */
function versions(input: JourneyDefinitionInput, id: string): [JourneyDefinition, JourneyDefinition] {
  const parse = (journey: JourneyDefinitionInput) => {
    const result = validateJourney({ ...journey, id }, productCatalog());
    if (!result.ok) throw new Error(`generator produced an invalid journey: ${JSON.stringify(result.diagnostics)}\n${JSON.stringify(journey)}`);
    return result.definition;
  };
  return [parse(input), parse(secondVersion(input))];
}

/** Runs the case on the runtime (with a worker already running) and in the simulator. */
export async function runDifferentialCase(runtime: TestRuntime, router: EventRouter, input: JourneyDefinitionInput, timeline: TieTimeline, id: string): Promise<CaseOutcome> {
  const [first, second] = versions(input, id);
  await runtime.db.journeyVersion.updateMany({ where: { status: 'published' }, data: { status: 'draft' } });
  await storeJourneyVersion(runtime.db, first);
  const secondId = await storeJourneyVersion(runtime.db, second, 'draft');
  const start = Math.ceil(((await runtime.env.currentTimeMs()) + 1) / HALF_DAY) * HALF_DAY;
  const registration = { program: 'Gala', startsAt: new Date(start + timeline.startsIn * HALF_DAY).toISOString() };
  const email = `${id}@example.org`;
  const states = Object.fromEntries(Object.entries(first.states).filter(([, state]) => !state.final).map(([name]) => [name, name]));

  await skipTo(runtime, start);
  const enrolled = (await storeAndRoute(runtime.db, router, { email, type: 'registration', data: registration, at: start, smsConsent: timeline.smsConsent })).filter(
    (routed) => routed.action === 'enrolled',
  );
  const handle = enrolled[0] && runtime.env.client.workflow.getHandle(enrolled[0].workflowId);
  const tell = async (send: () => Promise<void>) => {
    try {
      await send();
    } catch (error) {
      // The enrollment has ended: there is nobody to tell, as in the simulator.
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  };
  const moments = [...timeline.events.map((event, index) => ({ after: event.after, index })), ...(timeline.migrateAfter === undefined ? [] : [{ after: timeline.migrateAfter, index: -1 }])];
  // Events in timeline order; a migration after the events of its instant.
  moments.sort((a, b) => a.after - b.after || (a.index < 0 ? 1 : b.index < 0 ? -1 : a.index - b.index));
  for (const moment of moments) {
    await skipTo(runtime, start + moment.after);
    if (!handle) continue;
    const at = start + moment.after;
    const event = timeline.events[moment.index];
    await tell(() =>
      event
        ? handle.signal(interactionSignal, { type: event.type, eventId: `${id}-${moment.index}`, occurredAt: new Date(at).toISOString(), data: event.data })
        : handle.signal(migrateSignal, { journeyVersionId: secondId, states, at }),
    );
  }
  if (handle) await within(handle.result(), 60_000, `enrollment ${handle.workflowId}`);
  const recorded = await Promise.all(enrolled.map((routed) => runtimeRecord(runtime.db, routed.enrollmentId)));

  const constituent = await runtime.db.constituent.findUniqueOrThrow({ where: { email } });
  const simulated = simulateJourney(
    first,
    {
      // The start is the registration's instant (the first event): given as an event time, which
      // takes any instant, since over a long run the test server's clock passes the years `start` accepts.
      constituent: (await loadConstituentFacts(runtime.db, constituent.id)) ?? {},
      constituentId: constituent.id,
      events: [
        { at: new Date(start).toISOString(), type: 'registration', data: registration },
        ...timeline.events.map((event) => ({ at: new Date(start + event.after).toISOString(), type: event.type, data: event.data })),
      ],
    } satisfies TimelineInput,
    undefined,
    timeline.migrateAfter === undefined ? [] : [{ at: start + timeline.migrateAfter, definition: second, states }],
  );
  return { recorded, simulated: simulatedRecords(simulated), simulation: simulated };
}

/** Fails instead of waiting for ever: a workflow that hangs must fail its case. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
