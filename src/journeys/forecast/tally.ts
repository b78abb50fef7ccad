/**
 * Counts what a forecast's constituents did: enrollments by outcome, the states
 * they entered and ended in, and the messages and tasks of each day. Both ways of
 * running a forecast feed the same tally, so they report alike.
 */
import type { JourneyDefinition } from '../definition.ts';
import type { EnrollmentStatus } from '../interpreter.ts';
import { DAY_MS, FORECAST_START } from './population.ts';

export interface ForecastResult {
  journey: string;
  constituents: number;
  days: number;
  seed: number;
  enrolled: number;
  byState: { state: string; entered: number; endedHere: number; share: number }[];
  outcomes: { active: number; completed: number; converted: number; exited: number };
  conversionRate: number;
  perDay: { day: number; email: number; sms: number; tasks: number }[];
  byTemplate: { template: string; channel: 'email' | 'sms'; count: number }[];
  tasksByQueue: { queue: string; count: number }[];
}

export class ForecastTally {
  private enrolled = 0;
  private readonly entered = new Map<string, number>();
  private readonly endedHere = new Map<string, number>();
  private readonly outcomes = { active: 0, completed: 0, converted: 0, exited: 0 };
  private readonly perDay: ForecastResult['perDay'];
  // Insertion order breaks ties in the report, so counts are kept in the order first seen.
  private readonly templates = new Map<string, { template: string; channel: 'email' | 'sms'; count: number }>();
  private readonly queues = new Map<string, number>();

  constructor(private readonly days: number) {
    this.perDay = Array.from({ length: days }, (_, day) => ({ day, email: 0, sms: 0, tasks: 0 }));
  }

  /** One enrollment as it stood at the end of the window; `entered` names each state it entered, once. */
  enrollment(status: EnrollmentStatus, state: string, entered: Iterable<string>): void {
    this.enrolled += 1;
    this.outcomes[status] += 1;
    this.endedHere.set(state, (this.endedHere.get(state) ?? 0) + 1);
    for (const name of entered) this.entered.set(name, (this.entered.get(name) ?? 0) + 1);
  }

  /** A message sent at `at`; one sent after the window's last day is not counted. */
  message(at: number, channel: 'email' | 'sms', template: string): void {
    const bucket = this.perDay[Math.floor((at - FORECAST_START) / DAY_MS)];
    if (!bucket) return;
    bucket[channel] += 1;
    const key = `${channel}:${template}`;
    const counted = this.templates.get(key);
    if (counted) counted.count += 1;
    else this.templates.set(key, { template, channel, count: 1 });
  }

  /** A staff task created at `at`. */
  task(at: number, queue: string): void {
    const bucket = this.perDay[Math.floor((at - FORECAST_START) / DAY_MS)];
    if (!bucket) return;
    bucket.tasks += 1;
    this.queues.set(queue, (this.queues.get(queue) ?? 0) + 1);
  }

  result(definition: JourneyDefinition, constituents: number, seed: number): ForecastResult {
    const { enrolled, entered, endedHere, outcomes } = this;
    const stateNames = Object.keys(definition.states);
    const order = [...stateNames, 'goalReached', 'exited'].filter((state) => stateNames.includes(state) || entered.has(state));
    return {
      journey: definition.id,
      constituents,
      days: this.days,
      seed,
      enrolled,
      byState: order.map((state) => ({
        state,
        entered: entered.get(state) ?? 0,
        endedHere: endedHere.get(state) ?? 0,
        share: enrolled === 0 ? 0 : (entered.get(state) ?? 0) / enrolled,
      })),
      outcomes,
      conversionRate: enrolled === 0 ? 0 : outcomes.converted / enrolled,
      perDay: this.perDay,
      byTemplate: [...this.templates.values()].sort((a, b) => b.count - a.count || a.template.localeCompare(b.template)),
      tasksByQueue: [...this.queues.entries()].map(([queue, count]) => ({ queue, count })).sort((a, b) => b.count - a.count),
    };
  }
}
