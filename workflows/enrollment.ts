/**
 * One constituent's journey, interpreted durably. The journey machine is pure: this
 * workflow applies each event with XState's `transition()`, turns delayed events into
 * Temporal timers, and performs every named action through an activity.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import type { JourneyActivities } from '../activities/index.ts';
import { findJourney } from '../journeys/index.ts';
import { GOAL_TAG } from '../journeys/vocabulary.ts';
import {
  enrollmentStateQuery,
  interactionSignal,
  type CarriedState,
  type EnrollmentOutcome,
  type EnrollmentWorkflowInput,
  type QueuedEvent,
} from './contract.ts';
import { stateName } from './state-name.ts';
import { JourneyTimers } from './timers.ts';

const { sendEmail } = proxyActivities<JourneyActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});
const { recordTransition } = proxyActivities<JourneyActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** How many processed event ids are remembered to drop redelivered signals. */
const SEEN_EVENT_MEMORY = 500;

export async function enrollmentWorkflow(input: EnrollmentWorkflowInput): Promise<EnrollmentOutcome> {
  const journey = findJourney(input.journeyId, input.journeyVersion);
  if (!journey) throw new Error(`Unknown journey ${input.journeyId} v${input.journeyVersion}`);
  const { machine } = journey;

  const queue: QueuedEvent[] = [...(input.carried?.queue ?? [])];
  const seen = new Set(input.carried?.seenEventIds ?? []);
  const timers = new JourneyTimers((event) => queue.push(event));

  setHandler(interactionSignal, (event) => {
    // The router may deliver an event more than once (retries, re-routing): apply it once.
    if (seen.has(event.eventId)) return;
    seen.add(event.eventId);
    queue.push(event);
  });

  let snapshot: AnyMachineSnapshot;
  let step: number;
  let initialActions: { type: string; params?: unknown }[] = [];
  if (input.carried) {
    snapshot = machine.resolveState(input.carried.snapshot as Parameters<typeof machine.resolveState>[0]);
    step = input.carried.step;
    for (const timer of input.carried.timers) timers.arm(timer);
  } else {
    [snapshot, initialActions] = initialTransition(machine, {
      enrollmentId: input.enrollmentId,
      constituentId: input.constituentId,
    });
    step = 0;
  }

  // Registered before the first await, so the state can be read from the very start.
  setHandler(enrollmentStateQuery, () => ({
    state: stateName(snapshot.value),
    status: statusOf(snapshot),
    step,
    context: snapshot.context,
    timers: timers.pending(),
  }));

  if (!input.carried) {
    const at = Date.now();
    await record(null, 'enrolled', undefined, at);
    await perform(initialActions, at);
  }

  while (snapshot.status === 'active') {
    await condition(() => queue.length > 0);
    const event = queue.shift()!;
    const before = stateName(snapshot.value);
    // Workflow time (deterministic): the step's record and its timers share one instant.
    const at = Date.now();
    const [next, actions] = transition(machine, snapshot, event);
    snapshot = next;
    if (stateName(snapshot.value) === before && actions.length === 0) continue;
    step += 1;
    await record(before, causeOf(event), 'eventId' in event ? event.eventId : undefined, at);
    await perform(actions, at);

    if (snapshot.status === 'active' && workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      const carried: CarriedState = {
        snapshot: { value: snapshot.value, context: snapshot.context },
        step,
        timers: timers.pending(),
        queue,
        seenEventIds: [...seen].slice(-SEEN_EVENT_MEMORY),
      };
      await continueAsNew<typeof enrollmentWorkflow>({ ...input, carried });
    }
  }
  return statusOf(snapshot) as EnrollmentOutcome;

  function record(fromState: string | null, cause: string, eventId: string | undefined, at: number) {
    return recordTransition({
      enrollmentId: input.enrollmentId,
      sequence: step,
      fromState,
      toState: stateName(snapshot.value),
      cause,
      eventId,
      status: statusOf(snapshot),
      snapshot: { value: snapshot.value, context: snapshot.context },
      at: new Date(at).toISOString(),
    });
  }

  /** Carries out the actions of one step, in order; each effect's key is unique to its step. */
  async function perform(actions: { type: string; params?: unknown }[], at: number) {
    for (const [index, action] of actions.entries()) {
      const idempotencyKey = `${input.enrollmentId}:${step}:${index}`;
      switch (action.type) {
        case 'sendEmail': {
          const params = action.params as { template: string; eventId?: string };
          await sendEmail({
            enrollmentId: input.enrollmentId,
            constituentId: input.constituentId,
            template: params.template,
            eventId: params.eventId,
            idempotencyKey,
          });
          break;
        }
        case 'xstate.raise': {
          const params = action.params as { id: string; event: { type: string }; delay?: number };
          if (params.delay === undefined) queue.unshift(params.event);
          else timers.arm({ id: params.id, event: params.event, fireAt: at + params.delay });
          break;
        }
        case 'xstate.cancel':
          timers.cancel((action.params as { sendId: string }).sendId);
          break;
        case 'xstate.assign':
          break; // already applied to the snapshot by transition()
        default:
          // A journey asked for something this build cannot do: fail the workflow task
          // (Temporal retries it) rather than skip a step a constituent should get.
          throw new Error(`Journey ${journey!.id} asked for unknown action "${action.type}"`);
      }
    }
  }
}

function statusOf(snapshot: AnyMachineSnapshot): 'active' | EnrollmentOutcome {
  if (snapshot.status === 'active') return 'active';
  return snapshot.hasTag(GOAL_TAG) ? 'converted' : 'completed';
}

function causeOf(event: QueuedEvent): string {
  return event.type.startsWith('xstate.after.') ? 'timer' : event.type;
}
