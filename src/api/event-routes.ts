/**
 * Event intake: one event, or a batch. Stored first, in one transaction (idempotent
 * on each id), and answered at once; routing to journeys follows from the stored
 * events (`GET /events/:id` tells how far it got).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import type { RoutingPump } from '../events/routing-pump.ts';
import { InteractionEventInput } from '../events/schema.ts';
import { createGroupCommit } from '../events/group-commit.ts';
import { GiftReferenceError } from '../events/refunds.ts';
import { IdempotencyConflictError, storeEvents, type EventConsent, type StoredEvent, type StoreOptions } from '../events/store.ts';
import { errorBody } from './errors.ts';
import { before, decodeCursor, PageQuery, pageOf } from './pagination.ts';

/** Most events one batch request may carry; larger imports use `steward events import`. */
export const MAX_BATCH = 1_000;

const Batch = z.strictObject({
  events: z.array(InteractionEventInput).min(1).max(MAX_BATCH),
  /** Past events being loaded: stored for giving facts and timelines, routed to no journey. */
  history: z.boolean().optional(),
});

export interface AcceptedEvent {
  eventId: string;
  duplicate: boolean;
  /** `queued`: stored, and being routed to its journeys; `routed`: routing is done (a repeat of a routed event); `history`: imported as history, routed to no journey. */
  routing: 'queued' | 'routed' | 'history';
  /** Where to see which journeys it enrolled in or moved on. */
  status: string;
  /**
   * What became of the consent it carried, when it carried any: `applied`; `older`
   * than the change in force; or `refused`, with `note` saying why (a "granted"
   * after the constituent's own withdrawal). Kept on record either way.
   */
  consent?: EventConsent[];
}

const EventListQuery = z.strictObject({
  constituentId: z.string().min(1).optional(),
  type: z.enum(['donation', 'registration', 'drop-off', 'custom', 'refund']).optional(),
  ...PageQuery,
});

const tags = ['Events'];

function accepted({ event, duplicate, consent }: StoredEvent): AcceptedEvent {
  return { eventId: event.id, duplicate, routing: routingOf(event), status: `/events/${event.id}`, ...(consent ? { consent } : {}) };
}

function routingOf(event: { routedAt: Date | null; historical: boolean }): AcceptedEvent['routing'] {
  return event.historical ? 'history' : event.routedAt ? 'routed' : 'queued';
}

export function registerEventRoutes(server: FastifyInstance, deps: { db: Database; routing: RoutingPump; intakeConcurrency?: number | undefined }): void {
  const { db, routing } = deps;
  // Single events arriving together are stored together (see `group-commit.ts`).
  const intake = createGroupCommit((inputs, options) => storeEvents(db, inputs, options), { maxInFlight: deps.intakeConcurrency ?? 1 });
  const app = server.withTypeProvider<ZodTypeProvider>();
  // Closing waits for the routing pass under way (the pump itself belongs to the process and may serve other apps).
  server.addHook('onClose', () => routing.idle());

  /** Stores all or nothing, then asks for routing; answers after the durable write, not after Temporal. */
  async function accept(inputs: InteractionEventInput[], options: StoreOptions = {}): Promise<AcceptedEvent[]> {
    const stored = inputs.length === 1 && !options.history ? [await intake.store(inputs[0]!)] : await storeEvents(db, inputs, options);
    if (stored.some(({ event }) => event.routedAt === null)) routing.kick();
    return stored.map(accepted);
  }

  app.post(
    '/events',
    {
      config: { permission: 'records.ingest', invalid: 'Invalid event' },
      schema: {
        tags,
        summary: 'Send one event: a gift, a registration, a drop-off',
        description:
          'Stored, then answered (202): stored means accepted, and it is never lost. Routing to the journeys it concerns follows within moments; `GET /events/:id` shows it. The same `id` again is accepted and changes nothing; the same `id` with other content is refused (409).',
        body: InteractionEventInput,
      },
    },
    async (request, reply) => {
      try {
        return reply.status(202).send((await accept([request.body]))[0]);
      } catch (error) {
        if (error instanceof IdempotencyConflictError) {
          return reply.status(409).send(errorBody(error.message, [{ path: 'id', message: 'already used for a different event' }]));
        }
        if (error instanceof GiftReferenceError) return reply.status(400).send(errorBody('Invalid event', error.issues.map(({ path, message }) => ({ path, message }))));
        throw error;
      }
    },
  );

  app.get(
    '/events/:id',
    {
      config: { permission: 'records.read' },
      schema: {
        tags,
        summary: 'One event, and where routing took it',
        description: '`routing` is `queued` until the event has been handed to every journey it concerns; `enrollments` are those it started, and those that took a step on it.',
        params: z.strictObject({ id: z.string().min(1).max(200) }),
      },
    },
    async (request, reply) => {
      const event = await db.interactionEvent.findFirst({
        where: { OR: [{ id: request.params.id }, { idempotencyKey: request.params.id }] },
        select: { id: true, idempotencyKey: true, type: true, constituentId: true, data: true, amount: true, currency: true, occurredAt: true, receivedAt: true, routedAt: true, historical: true },
      });
      if (!event) return reply.status(404).send(errorBody(`No event ${request.params.id}`));
      const [started, stepped] = await Promise.all([
        db.enrollment.findMany({
          where: { triggerEventId: event.id },
          orderBy: { journeyVersion: { journeyId: 'asc' } },
          select: { id: true, workflowId: true, journeyVersion: { select: { journeyId: true } } },
        }),
        db.enrollmentTransition.findMany({
          where: { eventId: event.id, enrollment: { triggerEventId: { not: event.id } } },
          distinct: ['enrollmentId'],
          select: { enrollment: { select: { id: true, workflowId: true, journeyVersion: { select: { journeyId: true } } } } },
        }),
      ]);
      const enrollment = (action: 'enrolled' | 'signalled') => (row: { id: string; workflowId: string; journeyVersion: { journeyId: string } }) => ({
        enrollmentId: row.id,
        journeyId: row.journeyVersion.journeyId,
        workflowId: row.workflowId,
        action,
      });
      return {
        ...event,
        type: event.type === 'drop_off' ? 'drop-off' : event.type,
        amount: event.amount?.toFixed(2) ?? null,
        routing: routingOf(event),
        enrollments: [...started.map(enrollment('enrolled')), ...stepped.map((row) => enrollment('signalled')(row.enrollment))],
      };
    },
  );

  app.get(
    '/events',
    { config: { permission: 'records.read' }, schema: { tags, summary: 'Events, newest first', querystring: EventListQuery } },
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
      config: { permission: 'records.ingest', invalid: 'Invalid batch' },
      schema: {
        tags,
        summary: `Send up to ${MAX_BATCH} events at once`,
        description:
          'All or nothing: one invalid event (named by its index) or one conflicting id rejects the whole batch; the rest is stored in one transaction, then routed. With `history: true` the events are past ones being loaded: stored for giving facts and timelines, and routed to no journey.',
        body: Batch,
      },
    },
    async (request, reply) => {
      const { events, history } = request.body;
      try {
        const results = await accept(events, { history });
        return reply.status(202).send({ accepted: results.length, results });
      } catch (error) {
        // Every reused id is named; the batch wrote nothing.
        if (error instanceof IdempotencyConflictError) {
          return reply.status(409).send(errorBody(error.message, error.indices.map((index) => ({ path: `events.${index}.id`, message: 'already used for a different event' }))));
        }
        if (error instanceof GiftReferenceError) {
          return reply.status(400).send(errorBody('Invalid event', error.issues.map(({ index, path, message }) => ({ path: `events.${index}.${path}`, message }))));
        }
        throw error;
      }
    },
  );
}
