/** The staff task inbox over HTTP: list a queue, claim, complete with an outcome. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { StaffTask } from '../db/client.ts';
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

const tags = ['Tasks'];
const IdParams = z.strictObject({ id: z.string().min(1) });

/** A task as the inbox shows it: overdue when its due time has passed and nobody has finished it. */
export function withOverdue<T extends StaffTask>(task: T, now = new Date()): T & { overdue: boolean } {
  return { ...task, overdue: (task.status === 'open' || task.status === 'claimed') && task.dueAt !== null && task.dueAt < now };
}

export function registerTaskRoutes(server: FastifyInstance, deps: { tasks: TaskService }): void {
  const { tasks } = deps;
  const app = server.withTypeProvider<ZodTypeProvider>();

  const fail = (reply: FastifyReply, error: unknown) => {
    if (error instanceof TaskError) return reply.status(error.status).send(errorBody(error.message));
    throw error;
  };

  app.get(
    '/tasks/queues',
    { config: { permission: 'tasks.read' }, schema: { tags, summary: 'The task queues, with how many tasks wait in each and how many are overdue' } },
    async () => ({ queues: await tasks.queueCounts() }),
  );

  app.get(
    '/tasks',
    {
      config: { permission: 'tasks.read', invalid: 'Invalid query' },
      schema: { tags, summary: 'A queue of staff tasks: open and claimed ones by default, soonest due first', querystring: ListQuery },
    },
    async (request) => ({ tasks: (await tasks.list(request.query)).map((task) => withOverdue(task)) }),
  );

  app.get('/tasks/:id', { config: { permission: 'tasks.read' }, schema: { tags, summary: 'One task', params: IdParams } }, async (request, reply) => {
    try {
      return withOverdue(await tasks.find(request.params.id));
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.post(
    '/tasks/:id/claim',
    { config: { permission: 'tasks.work', invalid: 'Invalid claim' }, schema: { tags, summary: 'Take an open task', params: IdParams, body: ClaimBody } },
    async (request, reply) => {
      try {
        return withOverdue(await tasks.claim(request.params.id, request.body.assignee));
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.post(
    '/tasks/:id/complete',
    {
      config: { permission: 'tasks.work', invalid: 'Invalid completion' },
      schema: {
        tags,
        summary: 'Finish a task with its outcome; the journey carries on from it',
        description: 'Answers 200 when the journey has the outcome, 202 when it is stored and will be delivered once Temporal answers.',
        params: IdParams,
        body: CompleteBody,
      },
    },
    async (request, reply) => {
      try {
        const { task, delivered } = await tasks.complete(request.params.id, request.body.outcome, request.body.by);
        return reply.status(delivered ? 200 : 202).send({ task: withOverdue(task), outcome: delivered ? 'delivered' : 'pending' });
      } catch (error) {
        return fail(reply, error);
      }
    },
  );
}
