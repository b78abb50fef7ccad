/** The HTTP API: one Fastify app, one error shape, routes grouped by what they serve. */
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Database } from '../db/client.ts';
import type { EventRouter } from '../events/router.ts';
import type { JourneyLifecycle } from '../journeys/lifecycle.ts';
import type { TaskService } from '../tasks/service.ts';
import { errorBody } from './errors.ts';
import { registerChannelRoutes, type ChannelRouteOptions } from './channel-routes.ts';
import { registerEnrollmentRoutes } from './enrollment-routes.ts';
import { registerEventRoutes } from './event-routes.ts';
import { registerJourneyRoutes } from './journey-routes.ts';
import { registerTaskRoutes } from './task-routes.ts';
import { registerTemplateRoutes } from './template-routes.ts';

export interface ApiDependencies {
  db: Database;
  router: EventRouter;
  tasks: TaskService;
  lifecycle: JourneyLifecycle;
  temporal: Client;
  /** Unsubscribe page and provider webhooks; left out, those routes are not served. */
  channelRoutes?: ChannelRouteOptions | undefined;
  logger?: FastifyBaseLogger | boolean;
}

export function buildApi(deps: ApiDependencies): FastifyInstance {
  const { db } = deps;
  // Signed tokens travel in the path (/u/:token); they are longer than Fastify's default 100 characters.
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: 10 * 1_048_576, routerOptions: { maxParamLength: 500 } });

  app.setErrorHandler((error: { statusCode?: number; message: string; code?: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error(error);
    const message =
      status === 500
        ? 'Internal error'
        : error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
          ? `Body is not valid JSON: ${error.message}`
          : error.message;
    return reply.status(status).send(errorBody(message));
  });
  app.setNotFoundHandler((request, reply) => reply.status(404).send(errorBody(`No route for ${request.method} ${request.url}`)));

  app.get('/health', async (_request, reply) => {
    try {
      await db.$queryRaw`SELECT 1`;
      return { status: 'ok' };
    } catch {
      return reply.status(503).send({ status: 'unavailable', database: 'unreachable' });
    }
  });

  registerEventRoutes(app, deps);
  registerEnrollmentRoutes(app, deps);
  registerTaskRoutes(app, deps);
  registerJourneyRoutes(app, deps);
  registerTemplateRoutes(app);
  if (deps.channelRoutes) registerChannelRoutes(app, deps.channelRoutes);
  return app;
}
