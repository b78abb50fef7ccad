/** The staff task inbox over HTTP: list a queue, see what a task is for, claim, release, reassign, complete with an outcome and notes. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { StaffTask } from '../db/client.ts';
import { actorOf } from '../auth/audit.ts';
import { assigneeOf } from '../auth/constituent-access.ts';
import { taskQueueIds } from '../tasks/queues.ts';
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
  notes: z.string().trim().max(5_000).optional(),
});
const ReassignBody = z
  .strictObject({ assignee: z.string().trim().min(1).max(200).optional(), queue: z.enum([...taskQueueIds] as [string, ...string[]]).optional() })
  .refine((body) => body.assignee !== undefined || body.queue !== undefined, 'name an assignee, a queue, or both');

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
    if (error instanceof TaskError) return reply.status(error.status).send({ ...errorBody(error.message), ...(error.completed ? { completed: error.completed } : {}) });
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

  app.get(
    '/tasks/:id',
    {
      config: { permission: 'tasks.read' },
      schema: {
        tags,
        summary: 'One task, with what it is for',
        description: "`card` holds the constituent's name and contacts, the gift or registration that started the journey, their giving, recent messages and notes from earlier tasks.",
        params: IdParams,
      },
    },
    async (request, reply) => {
      try {
        const task = await tasks.find(request.params.id);
        return { ...withOverdue(task), card: await tasks.card(task) };
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.post(
    '/tasks/:id/claim',
    { config: { permission: 'tasks.work', invalid: 'Invalid claim' }, schema: { tags, summary: 'Take an open task', params: IdParams, body: ClaimBody } },
    async (request, reply) => {
      try {
        return withOverdue(await tasks.claim(request.params.id, request.body.assignee, actorOf(request.principal)));
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
        summary: 'Finish a task with its outcome and notes; the journey carries on from the outcome',
        description:
          'Answers 200 when the journey has the outcome, 202 when it is stored and will be delivered once Temporal answers. `by` names who did it; without it, the key. The audit trail keeps the completion (`task.completed`) under the key or person that sent it. A task is completed once: completing it again answers 409 with the recorded outcome, who and when (`completed`), and records nothing. Notes stay with the task and never reach the journey or the audit trail.',
        params: IdParams,
        body: CompleteBody,
      },
    },
    async (request, reply) => {
      try {
        const principal = request.principal!;
        const completer = { by: request.body.by ?? assigneeOf(principal), notes: request.body.notes };
        const { task, delivered } = await tasks.complete(request.params.id, request.body.outcome, completer, actorOf(principal));
        return reply.status(delivered ? 200 : 202).send({ task: withOverdue(task), outcome: delivered ? 'delivered' : 'pending' });
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.post(
    '/tasks/:id/release',
    { config: { permission: 'tasks.work' }, schema: { tags, summary: 'Give a claimed task back to its queue', params: IdParams } },
    async (request, reply) => {
      try {
        return withOverdue(await tasks.release(request.params.id, actorOf(request.principal)));
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.post(
    '/tasks/:id/reassign',
    {
      config: { permission: 'tasks.work', invalid: 'Invalid reassignment' },
      schema: {
        tags,
        summary: 'Hand an unfinished task to another person or queue',
        description: 'A named assignee holds the task at once; a queue alone leaves it waiting there, unclaimed.',
        params: IdParams,
        body: ReassignBody,
      },
    },
    async (request, reply) => {
      try {
        return withOverdue(await tasks.reassign(request.params.id, request.body, actorOf(request.principal)));
      } catch (error) {
        return fail(reply, error);
      }
    },
  );
}
