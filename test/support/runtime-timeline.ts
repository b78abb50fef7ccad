/**
 * Driving the durable runtime along a timeline: journeys published straight into
 * the database, events stored and routed at an exact instant of the time-skipping
 * server's clock, and the server's clock moved to the next instant.
 */
import { randomUUID } from 'node:crypto';
import type { Database, Prisma } from '../../src/db/client.ts';
import type { EventRouter, RoutedEnrollment } from '../../src/events/router.ts';
import type { InteractionEventInput } from '../../src/events/schema.ts';
import { storeEvent } from '../../src/events/store.ts';
import type { JourneyDefinition } from '../../src/journeys/definition.ts';
import type { InteractionType } from '../../src/journeys/vocabulary.ts';
import type { TestRuntime } from './runtime.ts';

/** Stores a version of a journey with the given status; returns its id. */
export async function storeJourneyVersion(db: Database, definition: JourneyDefinition, status: 'published' | 'draft' = 'published'): Promise<string> {
  await db.journey.upsert({ where: { id: definition.id }, create: { id: definition.id, name: definition.name, description: '' }, update: {} });
  const stored = JSON.parse(JSON.stringify(definition)) as Prisma.InputJsonValue;
  const version = await db.journeyVersion.create({ data: { journeyId: definition.id, version: definition.version, definition: stored, status, publishedAt: new Date() } });
  return version.id;
}

export interface TimedEvent {
  email: string;
  type: InteractionType;
  data: Record<string, unknown>;
  /** Epoch ms on the test server's clock. */
  at: number;
  smsConsent?: boolean;
}

/** Stores the event as having happened at `at` and routes it; returns what it started or reached. */
export async function storeAndRoute(db: Database, router: EventRouter, event: TimedEvent): Promise<RoutedEnrollment[]> {
  // Built as the API's schema would parse it, not parsed: over a long run the test server's clock
  // passes the years the API accepts at its edge, and the store and router take any instant.
  const input = {
    id: randomUUID(),
    type: event.type,
    occurredAt: new Date(event.at).toISOString(),
    constituent: { email: event.email.toLowerCase(), phone: '+14155552671', consent: { email: 'granted', ...(event.smsConsent ? { sms: 'granted' } : {}) } },
    data: event.data,
  } as InteractionEventInput;
  const { event: stored } = await storeEvent(db, input);
  return router.routeEvent(stored);
}

/** Moves the test server's clock to `at` (never back), firing the timers due on the way. */
export async function skipTo(runtime: TestRuntime, at: number): Promise<void> {
  const now = await runtime.env.currentTimeMs();
  if (at > now) await runtime.env.sleep(at - now);
}
