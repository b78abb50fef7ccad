/**
 * One constituent's journey, interpreted durably. The journey's definition is
 * loaded and compiled to a pure XState machine; the interpreter applies each event
 * with XState's `transition()`; this workflow turns the timers it asks for into
 * Temporal timers and performs every effect through an activity.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  TemporalFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { JourneyActivities } from '../activities/index.ts';
import type { SendMessageInput, SendMessageResult } from '../activities/send-message.ts';
import { NOTED_BEFORE_FAILURE } from '../src/delivery/noted-failure.ts';
import { compileJourney } from '../src/journeys/compile.ts';
import { JourneyRun, type EnrollmentStatus, type JourneyStep } from '../src/journeys/interpreter.ts';
import { eventInstant } from '../src/journeys/simultaneity.ts';
import { dueSendOf, takeNext } from './order.ts';
import type { ConstituentFacts } from '../src/journeys/vocabulary.ts';
import {
  enrollmentStateQuery,
  interactionSignal,
  migrateSignal,
  pauseSignal,
  resumeSignal,
  type EnrollmentOutcome,
  type EnrollmentWorkflowInput,
  type PendingSend,
  type QueuedItem,
} from './contract.ts';
import { JourneyTimers, WakeUps } from './timers.ts';

/**
 * Sends and staff notices: retried patiently (a mail server may be down for a
 * while), never twice thanks to their keys and send leases. They heartbeat while
 * they work, so a worker that dies mid-send is noticed within the heartbeat
 * timeout; the long start-to-close only bounds an attempt that keeps heartbeating.
 */
const { sendMessage, notifyTaskQueue } = proxyActivities<JourneyActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/**
 * Since the `send-in-task` patch: a message's first attempt, made inside the workflow
 * task that asks for it. When the provider answers at once, as it does nearly
 * always, the step needs no activity task and no second workflow task. Any failure
 * (the provider busy or down, another attempt holding the message's claim) hands the
 * send to the patient `sendMessage` above, with what the attempt noted. The bound
 * covers the provider's own call budget (35 s for SMTP), so a slow provider fails
 * this attempt rather than timing it out mid-call.
 */
const { sendMessage: sendInTask } = proxyLocalActivities<JourneyActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 1 },
});

/** Quick database reads and writes: retried quickly. */
const quickRetry = { initialInterval: '1 second', maximumInterval: '1 minute' } as const;

/**
 * Enrollments started before the `local-records` patch ran their reads and records
 * as ordinary activities, each a round trip through the Temporal server; their
 * histories must replay unchanged.
 */
const recordsAsActivities = proxyActivities<JourneyActivities>({ startToCloseTimeout: '30 seconds', retry: quickRetry });

/**
 * Since the `local-records` patch: the same reads and records as local activities,
 * run by the worker inside the workflow task that asks for them and kept in history
 * as markers. A first step then takes one workflow task, not five.
 */
const recordsAsLocalActivities = proxyLocalActivities<JourneyActivities>({ startToCloseTimeout: '30 seconds', retry: quickRetry });

/** The patch id that moved the enrollment's reads and records to local activities. */
export const LOCAL_RECORDS_PATCH = 'local-records';

/**
 * The patch id since which the workflow follows the README's rule for things at the
 * same instant: it orders due timers itself (due instant, then arming order, before an
 * event at their instant), stamps each step at its instant (a timer's due time, an
 * event's own moment) and never cancels a timer that may have fired already.
 * Enrollments started before it replay as they ran.
 */
export const SIMULTANEITY_PATCH = 'simultaneity';

/**
 * The patch id since which a message's first attempt runs inside the workflow task.
 * It implies `simultaneity` and `local-records`: an enrollment started with it asks
 * for neither, so its history carries one patch marker, not two.
 */
export const SEND_IN_TASK_PATCH = 'send-in-task';

/** How many processed event ids are remembered to drop redelivered signals. */
const SEEN_EVENT_MEMORY = 500;

export async function enrollmentWorkflow(input: EnrollmentWorkflowInput): Promise<EnrollmentOutcome> {
  const { enrollmentId, constituentId } = input;
  const queue: QueuedItem[] = [...(input.carried?.queue ?? [])];
  const seen = new Set(input.carried?.seenEventIds ?? []);
  const sendsInTask = patched(SEND_IN_TASK_PATCH);
  const simultaneous = sendsInTask || patched(SIMULTANEITY_PATCH);
  const timers = simultaneous
    ? new WakeUps()
    : new JourneyTimers((timerId, due) => (due ? queue.unshift({ kind: 'timer', timerId }) : queue.push({ kind: 'timer', timerId })));
  let run: JourneyRun | undefined;
  let paused = input.carried?.paused ?? false;
  /** Messages waiting for a send window or cap, by idempotency key; each has a timer `send:<key>`. */
  const pendingSends = new Map<string, PendingSend>();
  const waitForSend = (send: PendingSend) => {
    pendingSends.set(send.idempotencyKey, send);
    timers.arm({ id: `send:${send.idempotencyKey}`, fireAt: send.until });
  };

  // Handlers first: signals and queries may arrive before the first activity returns.
  setHandler(interactionSignal, (event) => {
    // The router may deliver an event more than once (retries, re-routing): apply it once.
    if (seen.has(event.eventId)) return;
    seen.add(event.eventId);
    queue.push({ kind: 'event', event });
  });
  setHandler(pauseSignal, () => void (paused = true));
  setHandler(migrateSignal, (migration) => void queue.push({ kind: 'migrate', migration }));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(enrollmentStateQuery, () =>
    run
      ? { state: run.state, status: run.status, paused, step: run.step, context: run.snapshot.context as Record<string, unknown>, timers: run.pendingTimers() }
      : null,
  );

  const local = sendsInTask || patched(LOCAL_RECORDS_PATCH);
  const { recordTransition, loadJourney, loadConstituentFacts, cancelMessage, createTask, setAttribute, recordGoal } = local
    ? recordsAsLocalActivities
    : recordsAsActivities;
  // A new enrollment needs the constituent's facts at once: read them beside the journey.
  const factsAtStart = local && !input.carried ? loadConstituentFacts({ constituentId }) : undefined;
  // Awaited below; should loading the journey fail first, its failure is the one that counts.
  factsAtStart?.catch(() => undefined);

  let journeyVersionId = input.journeyVersionId;
  const journey = await loadJourney({ journeyVersionId });
  // Parsed by the activity (see journey-records.ts), so the zod schemas stay out of the workflow code.
  const machine = compileJourney(journey.definition);
  // A journey paused before this enrollment started holds it from its first step.
  if (!input.carried && journey.status === 'paused') paused = true;

  if (input.carried) {
    run = JourneyRun.resume(machine, input.carried.run);
    for (const timer of run.pendingTimers()) timers.arm(timer);
    for (const send of input.carried.sends ?? []) waitForSend(send);
  } else {
    // The enrolling event arrives with the start (signal-with-start).
    await condition(() => queue.some((item) => item.kind === 'event'));
    const index = queue.findIndex((item) => item.kind === 'event');
    const trigger = (queue.splice(index, 1)[0] as Extract<QueuedItem, { kind: 'event' }>).event;
    const facts = await (factsAtStart ?? loadConstituentFacts({ constituentId }));
    const started = JourneyRun.start(machine, {
      enrollmentId,
      constituentId,
      enrolledAt: simultaneous ? eventInstant(Date.parse(trigger.occurredAt), Date.now(), undefined) : Date.now(),
      trigger: { eventId: trigger.eventId, type: trigger.type, occurredAt: trigger.occurredAt, data: trigger.data },
      constituent: facts,
    });
    run = started.run;
    await carryOut(started.step);
  }

  while (run.status === 'active') {
    await condition(() => queue.length > 0 || (simultaneous && somethingDue()));
    const { item, at } = simultaneous ? takeNext(queue, run, dueSend(), Date.now()) : { item: queue.shift()!, at: undefined };
    let steps: JourneyStep[];
    if (item.kind === 'migrate') {
      const target = item.migration.states[run.state];
      if (!target) continue; // a state the migration does not map stays on its version
      const next = await loadJourney({ journeyVersionId: item.migration.journeyVersionId });
      journeyVersionId = item.migration.journeyVersionId;
      const step = run.migrate(compileJourney(next.definition), target, at ?? Date.now());
      await carryOut(step);
      continue;
    } else if (item.kind === 'timer' && item.timerId.startsWith('send:')) {
      await retrySend(item.timerId.slice('send:'.length));
      continue;
    } else if (item.kind === 'timer') {
      const event = run.fire(item.timerId);
      if (!event) continue;
      steps = run.apply(event, simultaneous ? event.at : Date.now());
    } else {
      // Conditions on consent and giving see the constituent as they are now.
      const facts = await loadConstituentFacts({ constituentId });
      if (!sameFacts(facts, (run.snapshot.context as { constituent: ConstituentFacts }).constituent)) {
        run.apply({ type: 'facts.updated', constituent: facts } as never, at ?? Date.now());
      }
      steps = run.apply(item.event, at ?? Date.now());
    }
    // An exit says why: `removed: journey archived`, `unsubscribed`.
    const reason = item.kind === 'event' && typeof item.event.data.reason === 'string' ? `${item.event.type}: ${item.event.data.reason}` : undefined;
    for (const step of steps) await carryOut(step, reason);
    const status = run.status as EnrollmentStatus;
    if (status === 'exited' || status === 'converted') {
      // Ended early: what earlier steps still had waiting is no longer wanted.
      const ending = steps.at(-1)?.sequence ?? run.step;
      for (const send of [...pendingSends.values()].filter((send) => send.step < ending)) {
        timers.cancel(`send:${send.idempotencyKey}`);
        pendingSends.delete(send.idempotencyKey);
        await cancelMessage({ idempotencyKey: send.idempotencyKey, reason: `enrollment ${status} before the message could go out` });
      }
    }

    if (run.status === 'active' && workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof enrollmentWorkflow>({
        ...input,
        journeyVersionId,
        carried: { run: run.saveState(), queue, seenEventIds: [...seen].slice(-SEEN_EVENT_MEMORY), paused, sends: [...pendingSends.values()] },
      });
    }
  }
  // The last steps' messages still go out when their window opens.
  while (pendingSends.size > 0) {
    if (simultaneous) {
      await condition(() => dueSend() !== undefined);
      await retrySend(dueSend()!);
      continue;
    }
    await condition(() => queue.some(isSendTimer));
    const item = queue.splice(queue.findIndex(isSendTimer), 1)[0] as Extract<QueuedItem, { kind: 'timer' }>;
    await retrySend(item.timerId.slice('send:'.length));
  }
  return run.status as EnrollmentOutcome;

  function somethingDue(): boolean {
    return dueSend() !== undefined || run?.dueBy(Date.now()) !== undefined;
  }

  /** A waiting message whose time has come; none while the journey is paused. */
  function dueSend(): string | undefined {
    return paused ? undefined : dueSendOf(pendingSends.values(), Date.now());
  }

  /** A waiting message's time has come: ask again (it may wait once more, for the cap). */
  async function retrySend(idempotencyKey: string): Promise<void> {
    const send = pendingSends.get(idempotencyKey);
    if (!send) return;
    await condition(() => !paused || removalPending());
    if (paused) return;
    pendingSends.delete(idempotencyKey);
    await deliver(send.channel, send.template, idempotencyKey, send.step);
  }

  /** Sends (or schedules) one message; a permanent failure becomes an event the journey can branch on. */
  async function deliver(channel: 'email' | 'sms', template: string, idempotencyKey: string, step: number): Promise<void> {
    const triggerEventId = (run!.snapshot.context as { trigger: { eventId: string } | null }).trigger?.eventId;
    const request: SendMessageInput = { channel, enrollmentId, constituentId, template, eventId: triggerEventId, idempotencyKey, at: new Date().toISOString() };
    const result = sendsInTask ? await sendSoon(request) : await sendMessage(request);
    if (result.status === 'scheduled') {
      waitForSend({ channel, template, idempotencyKey, until: Date.parse(result.until), step });
    } else if (result.status === 'failed' && run!.status === 'active') {
      queue.unshift({
        kind: 'event',
        event: {
          type: 'delivery-failed',
          eventId: `delivery-failed:${idempotencyKey}`,
          occurredAt: new Date().toISOString(),
          data: { channel, template, code: result.code },
        },
      });
    }
  }

  /** The first attempt inside this workflow task; should it fail, the patient activity, told what it noted. */
  async function sendSoon(request: SendMessageInput): Promise<SendMessageResult> {
    try {
      return await sendInTask(request);
    } catch (error) {
      // A local activity's failure arrives as the attempt's own failure, or wrapped as an ActivityFailure.
      if (!(error instanceof TemporalFailure) || isCancellation(error)) throw error;
      return sendMessage({ ...request, notedBefore: notedBy(error) });
    }
  }

  function removalPending(): boolean {
    return queue.some(isRemoval);
  }

  /** Records a step, then performs its effects in order; each effect's key is unique to its step. */
  async function carryOut(step: JourneyStep, exitReason?: string): Promise<void> {
    for (const id of step.timersCancelled) timers.cancel(id);
    for (const timer of step.timersArmed) timers.arm(timer);
    await recordTransition({
      enrollmentId,
      sequence: step.sequence,
      fromState: step.fromState,
      toState: step.toState,
      cause: step.cause,
      exitReason: step.status === 'exited' ? (exitReason ?? step.cause) : undefined,
      journeyVersionId: step.cause === 'migrated' ? journeyVersionId : undefined,
      eventId: step.eventId,
      status: step.status,
      snapshot: { value: run!.snapshot.value, context: run!.snapshot.context as Record<string, unknown> },
      at: new Date(step.at).toISOString(),
    });
    for (const [index, effect] of step.effects.entries()) {
      // Paused: hold the send until the journey resumes, unless the enrollment is being removed.
      await condition(() => !paused || removalPending());
      if (paused) return;
      const idempotencyKey = `${enrollmentId}:${step.sequence}:${index}`;
      switch (effect.type) {
        case 'sendEmail':
          await deliver('email', effect.params.template, idempotencyKey, step.sequence);
          break;
        case 'sendSms':
          await deliver('sms', effect.params.template, idempotencyKey, step.sequence);
          break;
        case 'createTask': {
          const { taskId } = await createTask({
            enrollmentId,
            constituentId,
            queue: effect.params.queue,
            title: effect.params.title,
            dueAt: effect.params.dueInMs === null ? null : new Date(step.at + effect.params.dueInMs).toISOString(),
            idempotencyKey,
          });
          await notifyTaskQueue({ taskId, idempotencyKey: `${idempotencyKey}:notify` });
          break;
        }
        case 'setAttribute':
          await setAttribute({ constituentId, attribute: effect.params.attribute, value: effect.params.value });
          break;
        case 'recordGoal':
          await recordGoal({ enrollmentId, name: effect.params.name, at: new Date(step.at).toISOString() });
          break;
      }
    }
  }
}

/** What a failed attempt noted before failing (see activity-heartbeat.ts); undefined when it noted nothing. */
function notedBy(failure: TemporalFailure): unknown {
  const attempt = failure instanceof ActivityFailure ? failure.cause : failure;
  return attempt instanceof ApplicationFailure && attempt.type === NOTED_BEFORE_FAILURE ? attempt.details?.[0] : undefined;
}

/** Removal ends an enrollment even while its journey is paused. */
function isRemoval(item: QueuedItem): boolean {
  return item.kind === 'event' && item.event.type === 'removed';
}

function isSendTimer(item: QueuedItem): boolean {
  return item.kind === 'timer' && item.timerId.startsWith('send:');
}

function sameFacts(a: ConstituentFacts, b: ConstituentFacts): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
