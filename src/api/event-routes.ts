/** Event intake: one event, or a batch. Stored first (idempotent on its id), then routed. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import type { EventRouter, RoutedEnrollment } from '../events/router.ts';
import { describeIssues, InteractionEventInput } from '../events/schema.ts';
import { findConflicts, IdempotencyConflictError, payloadHash, storeEvent } from '../events/store.ts';
import { errorBody } from './errors.ts';

/** Most events one batch request may carry; larger imports use `steward events import`. */
export const MAX_BATCH = 1_000;

const Batch = z.strictObject({ events: z.array(InteractionEventInput).min(1).max(MAX_BATCH) });

export interface AcceptedEvent {
  eventId: string;
  duplicate: boolean;
  /** `pending`: stored, and routed by the background pass once Temporal answers. */
  routing: 'routed' | 'pending';
  enrollments: RoutedEnrollment[];
}

export function registerEventRoutes(app: FastifyInstance, deps: { db: Database; router: EventRouter }): void {
  const { db, router } = deps;

  async function accept(input: InteractionEventInput, log: FastifyInstance['log']): Promise<AcceptedEvent> {
    const { event, duplicate } = await storeEvent(db, input);
    let enrollments: RoutedEnrollment[] = [];
    let routing: AcceptedEvent['routing'] = 'routed';
    if (!duplicate || event.routedAt === null) {
      try {
        enrollments = await router.routeEvent(event);
      } catch (error) {
        // Stored is accepted: the background router delivers it once Temporal answers.
        log.warn({ err: error, eventId: event.id }, 'event stored, routing deferred');
        routing = 'pending';
      }
    }
    return { eventId: event.id, duplicate, routing, enrollments };
  }

  app.post('/events', async (request, reply) => {
    const parsed = InteractionEventInput.safeParse(request.body);
    if (!parsed.success) return reply.status(400).send(errorBody('Invalid event', describeIssues(parsed.error)));
    try {
      return reply.status(202).send(await accept(parsed.data, request.log));
    } catch (error) {
      if (error instanceof IdempotencyConflictError) return reply.status(409).send(errorBody(error.message, [{ path: 'id', message: 'already used for a different event' }]));
      throw error;
    }
  });

  /** All or nothing on validation: one bad event rejects the batch, naming it by index. */
  app.post('/events/batch', async (request, reply) => {
    const parsed = Batch.safeParse(request.body);
    if (!parsed.success) return reply.status(400).send(errorBody('Invalid batch', describeIssues(parsed.error)));
    // Checked before anything is stored, so a conflicting batch writes nothing.
    const conflicts = await findConflicts(db, parsed.data.events);
    const repeated = parsed.data.events.map((event, index) => ({ event, index })).filter(({ event, index }) =>
      parsed.data.events.findIndex((other) => other.id === event.id) < index && payloadHash(parsed.data.events.find((other) => other.id === event.id)!) !== payloadHash(event),
    );
    if (conflicts.size > 0 || repeated.length > 0) {
      const issues = parsed.data.events.flatMap((event, index) =>
        conflicts.has(event.id) || repeated.some((item) => item.index === index) ? [{ path: `events.${index}.id`, message: 'already used for a different event' }] : [],
      );
      return reply.status(409).send(errorBody('Some event ids were already used for different events', issues));
    }
    const results: AcceptedEvent[] = [];
    for (const input of parsed.data.events) results.push(await accept(input, request.log));
    return reply.status(202).send({ accepted: results.length, results });
  });
}
