/** Event intake: one event, or a batch. Stored first (idempotent on its id), then routed. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import type { EventRouter, RoutedEnrollment } from '../events/router.ts';
import { InteractionEventInput } from '../events/schema.ts';
import { findConflicts, IdempotencyConflictError, payloadHash, storeEvent } from '../events/store.ts';
import { errorBody } from './errors.ts';
import { before, decodeCursor, PageQuery, pageOf } from './pagination.ts';

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

const EventListQuery = z.strictObject({
  constituentId: z.string().min(1).optional(),
  type: z.enum(['donation', 'registration', 'drop-off', 'custom']).optional(),
  ...PageQuery,
});

const tags = ['Events'];

export function registerEventRoutes(server: FastifyInstance, deps: { db: Database; router: EventRouter }): void {
  const { db, router } = deps;
  const app = server.withTypeProvider<ZodTypeProvider>();

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

  app.post(
    '/events',
    {
      config: { scope: 'ingest', invalid: 'Invalid event' },
      schema: {
        tags,
        summary: 'Send one event: a gift, a registration, a drop-off',
        description:
          'Stored first, then routed to the journeys it concerns. The same `id` again is accepted and changes nothing; the same `id` with other content is refused (409).',
        body: InteractionEventInput,
      },
    },
    async (request, reply) => {
      try {
        return reply.status(202).send(await accept(request.body, request.log));
      } catch (error) {
        if (error instanceof IdempotencyConflictError) {
          return reply.status(409).send(errorBody(error.message, [{ path: 'id', message: 'already used for a different event' }]));
        }
        throw error;
      }
    },
  );

  app.get(
    '/events',
    { config: { scope: 'read' }, schema: { tags, summary: 'Events, newest first', querystring: EventListQuery } },
    async (request) => {
      const { constituentId, type, limit, cursor } = request.query;
      const rows = await db.interactionEvent.findMany({
        where: {
          ...(constituentId ? { constituentId } : {}),
          ...(type ? { type: type === 'drop-off' ? 'drop_off' : type } : {}),
          ...before('occurredAt', decodeCursor(cursor)),
        },
        orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
        take: limit + 1,
        select: { id: true, idempotencyKey: true, type: true, constituentId: true, data: true, amount: true, currency: true, occurredAt: true, receivedAt: true, routedAt: true },
      });
      const page = pageOf(rows, limit, (row) => ({ at: row.occurredAt, id: row.id }));
      return {
        events: page.items.map((row) => ({ ...row, type: row.type === 'drop_off' ? 'drop-off' : row.type, amount: row.amount?.toFixed(2) ?? null })),
        nextCursor: page.nextCursor,
      };
    },
  );

  /** All or nothing on validation: one bad event rejects the batch, naming it by index. */
  app.post(
    '/events/batch',
    {
      config: { scope: 'ingest', invalid: 'Invalid batch' },
      schema: {
        tags,
        summary: `Send up to ${MAX_BATCH} events at once`,
        description: 'All or nothing: one invalid event (named by its index) or one conflicting id rejects the whole batch.',
        body: Batch,
      },
    },
    async (request, reply) => {
      const { events } = request.body;
      // Checked before anything is stored, so a conflicting batch writes nothing.
      const conflicts = await findConflicts(db, events);
      const repeated = events
        .map((event, index) => ({ event, index }))
        .filter(
          ({ event, index }) =>
            events.findIndex((other) => other.id === event.id) < index && payloadHash(events.find((other) => other.id === event.id)!) !== payloadHash(event),
        );
      if (conflicts.size > 0 || repeated.length > 0) {
        const issues = events.flatMap((event, index) =>
          conflicts.has(event.id) || repeated.some((item) => item.index === index) ? [{ path: `events.${index}.id`, message: 'already used for a different event' }] : [],
        );
        return reply.status(409).send(errorBody('Some event ids were already used for different events', issues));
      }
      const results: AcceptedEvent[] = [];
      for (const input of events) results.push(await accept(input, request.log));
      return reply.status(202).send({ accepted: results.length, results });
    },
  );
}
