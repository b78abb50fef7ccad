/** The numbers nonprofits report, over HTTP: per journey, per task queue, and donor retention. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Instant } from '../instant.ts';
import { createAnalytics } from '../analytics/metrics.ts';
import type { Database } from '../db/client.ts';
import { stateOrderOf } from '../journeys/authoring.ts';
import { errorBody } from './errors.ts';

const tags = ['Analytics'];

export function registerAnalyticsRoutes(server: FastifyInstance, deps: { db: Database }): void {
  const { db } = deps;
  const app = server.withTypeProvider<ZodTypeProvider>();
  const analytics = createAnalytics(db);

  app.get(
    '/analytics/overview',
    { config: { permission: 'records.read' }, schema: { tags, summary: 'Every journey in numbers, task queues, and donor retention' } },
    async () => {
      const [journeys, tasks, retention] = await Promise.all([analytics.journeySummaries(), analytics.taskQueues(), analytics.retention()]);
      return { journeys, tasks, retention };
    },
  );

  app.get(
    '/analytics/journeys/:id',
    {
      config: { permission: 'records.read' },
      schema: {
        tags,
        summary: 'One journey in numbers: conversion, time to convert, revenue, per-state counts, funnel, daily series, response per message',
        params: z.strictObject({ id: z.string().min(1) }),
        querystring: z.strictObject({
          since: Instant.optional().describe('Only enrollments that entered from then'),
          until: Instant.optional(),
          days: z.coerce.number().int().min(1).max(366).default(30).describe('Length of the daily series'),
          responseWindowDays: z.coerce.number().int().min(1).max(90).default(7).describe('How long after a message a gift or registration counts as its response'),
        }),
      },
    },
    async (request, reply) => {
      const journey = await db.journey.findUnique({ where: { id: request.params.id }, include: { versions: { orderBy: { version: 'desc' } } } });
      if (!journey) return reply.status(404).send(errorBody(`Journey ${request.params.id} not found`));
      const current = journey.versions.find((version) => version.status === 'published') ?? journey.versions[0];
      const states = current ? stateOrderOf(current) : [];
      const { since, until, days, responseWindowDays } = request.query;
      const [metrics, stateCounts, funnel, series, messages] = await Promise.all([
        analytics.journeyMetrics(journey.id, { since: since ? new Date(since) : undefined, until: until ? new Date(until) : undefined }),
        analytics.stateCounts(journey.id),
        analytics.funnel(journey.id, states),
        analytics.timeSeries(journey.id, { days }),
        analytics.messageResponse(journey.id, { windowDays: responseWindowDays }),
      ]);
      return { journeyId: journey.id, metrics, stateCounts, funnel, series, messages };
    },
  );

  app.get('/analytics/tasks', { config: { permission: 'records.read' }, schema: { tags, summary: 'Task queues: waiting, overdue, completion rate, time in queue' } }, async () => ({
    queues: await analytics.taskQueues(),
  }));

  app.get('/analytics/retention', { config: { permission: 'records.read' }, schema: { tags, summary: 'Donor retention: of last year\'s donors, how many gave again this year' } }, async () =>
    analytics.retention(),
  );
}
