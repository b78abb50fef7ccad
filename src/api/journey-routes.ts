/** Journeys over HTTP: what is live, and publishing, pausing, resuming, archiving versions. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import { describeIssues } from '../events/schema.ts';
import { LifecycleError, type JourneyLifecycle } from '../journeys/lifecycle.ts';
import { errorBody } from './errors.ts';

const Reason = z.strictObject({ reason: z.string().trim().min(1).max(200) });

export function registerJourneyRoutes(app: FastifyInstance, deps: { db: Database; lifecycle: JourneyLifecycle }): void {
  const { db, lifecycle } = deps;

  const fail = (reply: FastifyReply, error: unknown) => {
    if (error instanceof LifecycleError) return reply.status(error.status).send(errorBody(error.message));
    throw error;
  };

  app.get('/journeys', async () => {
    const journeys = await db.journey.findMany({
      orderBy: { id: 'asc' },
      include: { versions: { orderBy: { version: 'asc' }, select: { id: true, version: true, status: true, publishedAt: true } } },
    });
    const active = await db.enrollment.groupBy({ by: ['journeyVersionId'], where: { status: 'active' }, _count: { _all: true } });
    const activeBy = new Map(active.map((row) => [row.journeyVersionId, row._count._all]));
    return {
      journeys: journeys.map((journey) => ({
        id: journey.id,
        name: journey.name,
        description: journey.description,
        versions: journey.versions.map(({ id, ...version }) => ({ ...version, activeEnrollments: activeBy.get(id) ?? 0 })),
      })),
    };
  });

  type VersionRoute = { Params: { id: string; version: string } };
  const versionOf = (params: VersionRoute['Params']) => {
    const number = Number(params.version);
    if (!Number.isInteger(number) || number < 1) throw new LifecycleError(`"${params.version}" is not a version number`, 404);
    return number;
  };

  app.post<VersionRoute>('/journeys/:id/versions/:version/publish', async (request, reply) => {
    try {
      return { version: await lifecycle.publish(request.params.id, versionOf(request.params)) };
    } catch (error) {
      return fail(reply, error);
    }
  });
  app.post<VersionRoute>('/journeys/:id/versions/:version/pause', async (request, reply) => {
    try {
      return await lifecycle.pause(request.params.id, versionOf(request.params));
    } catch (error) {
      return fail(reply, error);
    }
  });
  app.post<VersionRoute>('/journeys/:id/versions/:version/resume', async (request, reply) => {
    try {
      return await lifecycle.resume(request.params.id, versionOf(request.params));
    } catch (error) {
      return fail(reply, error);
    }
  });
  app.post<VersionRoute>('/journeys/:id/versions/:version/archive', async (request, reply) => {
    const body = Reason.safeParse(request.body ?? { reason: 'journey archived' });
    if (!body.success) return reply.status(400).send(errorBody('Invalid archive request', describeIssues(body.error)));
    try {
      return await lifecycle.archive(request.params.id, versionOf(request.params), body.data.reason);
    } catch (error) {
      return fail(reply, error);
    }
  });

  const Migration = z.strictObject({
    from: z.int().min(1),
    to: z.int().min(1),
    states: z.record(z.string().min(1), z.string().min(1)),
  });
  app.post<{ Params: { id: string } }>('/journeys/:id/migrate', async (request, reply) => {
    const body = Migration.safeParse(request.body);
    if (!body.success) return reply.status(400).send(errorBody('Invalid migration', describeIssues(body.error)));
    try {
      return reply.status(202).send(await lifecycle.migrate(request.params.id, body.data.from, body.data.to, body.data.states));
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.post<{ Params: { id: string } }>('/enrollments/:id/remove', async (request, reply) => {
    const body = Reason.safeParse(request.body ?? { reason: 'removed by staff' });
    if (!body.success) return reply.status(400).send(errorBody('Invalid removal', describeIssues(body.error)));
    try {
      const enrollment = await lifecycle.remove(request.params.id, body.data.reason);
      return reply.status(202).send({ enrollmentId: enrollment.id, removal: 'requested' });
    } catch (error) {
      return fail(reply, error);
    }
  });
}
