/**
 * What an enrollment did, in one form for the simulator and the durable runtime:
 * its steps (state, cause, instant), the messages and tasks each step asked for.
 * Tests compare the two exactly.
 */
import type { Database } from '../../src/db/client.ts';
import type { JourneyStep } from '../../src/journeys/interpreter.ts';
import type { SimulationResult } from '../../src/journeys/simulate.ts';

export interface JourneyRecord {
  status: string;
  steps: string[];
  messages: string[];
  tasks: string[];
}

const iso = (ms: number) => new Date(ms).toISOString();

function stepLine(sequence: number, from: string | null, to: string, cause: string, at: number): string {
  return `${sequence} ${from ?? '(start)'} -> ${to} [${cause}] ${iso(at)}`;
}

/** The simulator's enrollments, in the order they began. */
export function simulatedRecords(result: SimulationResult): JourneyRecord[] {
  return result.enrollments.map((enrollment) => simulatedRecord(enrollment.status, enrollment.steps));
}

function simulatedRecord(status: string, steps: readonly JourneyStep[]): JourneyRecord {
  const record: JourneyRecord = { status, steps: [], messages: [], tasks: [] };
  for (const step of steps) {
    record.steps.push(stepLine(step.sequence, step.fromState, step.toState, step.cause, step.at));
    for (const [index, effect] of step.effects.entries()) {
      const key = `${step.sequence}:${index}`;
      if (effect.type === 'sendEmail') record.messages.push(`${key} email ${effect.params.template}`);
      else if (effect.type === 'sendSms') record.messages.push(`${key} sms ${effect.params.template}`);
      else if (effect.type === 'createTask') {
        record.tasks.push(`${key} ${effect.params.queue} "${effect.params.title}" due ${effect.params.dueInMs === null ? 'never' : iso(step.at + effect.params.dueInMs)}`);
      }
    }
  }
  return record;
}

/** The same, read from what the runtime recorded for one enrollment. */
export async function runtimeRecord(db: Database, enrollmentId: string): Promise<JourneyRecord> {
  const enrollment = await db.enrollment.findUniqueOrThrow({
    where: { id: enrollmentId },
    include: { transitions: { orderBy: { sequence: 'asc' } }, messages: { where: { audience: 'constituent' } }, tasks: true },
  });
  // Effect keys are `<enrollment>:<step>:<position>`: the step and position say where each belongs.
  const place = (key: string) => key.slice(enrollmentId.length + 1);
  const byPlace = (a: { idempotencyKey: string }, b: { idempotencyKey: string }) => {
    const [stepA, indexA] = place(a.idempotencyKey).split(':').map(Number);
    const [stepB, indexB] = place(b.idempotencyKey).split(':').map(Number);
    return stepA! - stepB! || indexA! - indexB!;
  };
  return {
    status: enrollment.status,
    steps: enrollment.transitions.map((step) => stepLine(step.sequence, step.fromState, step.toState, step.cause, step.at.getTime())),
    messages: [...enrollment.messages].sort(byPlace).map((message) => `${place(message.idempotencyKey)} ${message.channel} ${message.template}`),
    tasks: [...enrollment.tasks]
      .sort(byPlace)
      .map((task) => `${place(task.idempotencyKey)} ${task.queue} "${task.title}" due ${task.dueAt ? iso(task.dueAt.getTime()) : 'never'}`),
  };
}
