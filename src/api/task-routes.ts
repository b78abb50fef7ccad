/** The staff task inbox over HTTP: list a queue, claim, complete with an outcome. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { describeIssues } from '../events/schema.ts';
import { TaskError, type TaskService } from '../tasks/service.ts';
import { errorBody } from './errors.ts';

const ListQuery = z.strictObject({
  queue: z.string().min(1).optional(),
  status: z.enum(['open', 'claimed', 'completed', 'cancelled']).optional(),
  assignee: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
const ClaimBody = z.strictObject({ assignee: z.string().trim().min(1).max(200) });
const CompleteBody = z.strictObject({
  outcome: z.string().trim().min(1).max(100).regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a short lower-case word or phrase with dashes, e.g. no-answer'),
  by: z.string().trim().min(1).max(200).optional(),
});

export function registerTaskRoutes(app: FastifyInstance, deps: { tasks: TaskService }): void {
  const { tasks } = deps;

  const fail = (reply: FastifyReply, error: unknown) => {
    if (error instanceof TaskError) return reply.status(error.status).send(errorBody(error.message));
    throw error;
  };

  app.get('/tasks', async (request, reply) => {
    const query = ListQuery.safeParse(request.query);
    if (!query.success) return reply.status(400).send(errorBody('Invalid query', describeIssues(query.error)));
    return { tasks: await tasks.list(query.data) };
  });

  app.get<{ Params: { id: string } }>('/tasks/:id', async (request, reply) => {
    try {
      return await tasks.find(request.params.id);
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.post<{ Params: { id: string } }>('/tasks/:id/claim', async (request, reply) => {
    const body = ClaimBody.safeParse(request.body);
    if (!body.success) return reply.status(400).send(errorBody('Invalid claim', describeIssues(body.error)));
    try {
      return await tasks.claim(request.params.id, body.data.assignee);
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.post<{ Params: { id: string } }>('/tasks/:id/complete', async (request, reply) => {
    const body = CompleteBody.safeParse(request.body);
    if (!body.success) return reply.status(400).send(errorBody('Invalid completion', describeIssues(body.error)));
    try {
      const { task, delivered } = await tasks.complete(request.params.id, body.data.outcome, body.data.by);
      return reply.status(delivered ? 200 : 202).send({ task, outcome: delivered ? 'delivered' : 'pending' });
    } catch (error) {
      return fail(reply, error);
    }
  });
}
