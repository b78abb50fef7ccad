/** The HTTP API: event intake, enrollments, health. */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Database } from '../db/client.ts';
import type { EventRouter, RoutedEnrollment } from '../events/router.ts';
import { describeIssues, InteractionEventInput } from '../events/schema.ts';
import { storeEvent } from '../events/store.ts';
import { errorBody } from './errors.ts';

export interface ApiDependencies {
  db: Database;
  router: EventRouter;
  logger?: FastifyBaseLogger | boolean;
}

export function buildApi(deps: ApiDependencies): FastifyInstance {
  const { db, router } = deps;
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: 1_048_576 });

  app.setErrorHandler((error: { statusCode?: number; message: string; code?: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error(error);
    const message = status === 500 ? 'Internal error' : error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError ? `Body is not valid JSON: ${error.message}` : error.message;
    return reply.status(status).send(errorBody(message));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody(`No route for ${request.method} ${request.url}`)),
  );

  app.get('/health', async (_request, reply) => {
    try {
      await db.$queryRaw`SELECT 1`;
      return { status: 'ok' };
    } catch {
      return reply.status(503).send({ status: 'unavailable', database: 'unreachable' });
    }
  });

  app.post('/events', async (request, reply) => {
    const parsed = InteractionEventInput.safeParse(request.body);
    if (!parsed.success) {
      return reply.status(400).send(errorBody('Invalid event', describeIssues(parsed.error)));
    }
    const { event, duplicate } = await storeEvent(db, parsed.data);
    let enrollments: RoutedEnrollment[] = [];
    let routing: 'routed' | 'pending' = 'routed';
    if (!duplicate || event.routedAt === null) {
      try {
        enrollments = await router.routeEvent(event);
      } catch (error) {
        // Stored is accepted: the background router delivers it once Temporal answers.
        request.log.warn({ err: error, eventId: event.id }, 'event stored, routing deferred');
        routing = 'pending';
      }
    }
    return reply.status(202).send({ eventId: event.id, duplicate, routing, enrollments });
  });

  app.get<{ Params: { id: string } }>('/enrollments/:id', async (request, reply) => {
    const enrollment = await db.enrollment.findUnique({
      where: { id: request.params.id },
      include: {
        journeyVersion: { select: { journeyId: true, version: true } },
        transitions: { orderBy: { sequence: 'asc' } },
        messages: { orderBy: { createdAt: 'asc' }, select: { id: true, channel: true, template: true, status: true, sentAt: true } },
      },
    });
    if (!enrollment) return reply.status(404).send(errorBody(`Enrollment ${request.params.id} not found`));
    const { snapshot: _snapshot, ...view } = enrollment;
    return view;
  });

  return app;
}
