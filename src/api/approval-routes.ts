/** Approval before publish over HTTP: the organisation's setting (admins), the requests, and deciding them. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/audit.ts';
import { LifecycleError } from '../journeys/lifecycle.ts';
import type { PublishApproval } from '../journeys/publish-approval.ts';
import { errorBody } from './errors.ts';

const tags = ['Publish approval'];

export function registerApprovalRoutes(server: FastifyInstance, deps: { approval: PublishApproval }): void {
  const { approval } = deps;
  const app = server.withTypeProvider<ZodTypeProvider>();

  app.get('/settings/publish-approval', { config: { permission: 'journeys.approve' }, schema: { tags, summary: 'Whether a marketer’s publish waits for approval' } }, async () => ({
    required: await approval.required(),
  }));

  app.put(
    '/settings/publish-approval',
    { config: { permission: 'settings.manage', invalid: 'Invalid setting' }, schema: { tags, summary: 'Require approval before publish, or not', body: z.strictObject({ required: z.boolean() }) } },
    async (request) => ({ required: await approval.setRequired(actorOf(request.principal), request.body.required) }),
  );

  app.get(
    '/publish-requests',
    { config: { permission: 'journeys.approve' }, schema: { tags, summary: 'Publish requests, newest first', querystring: z.strictObject({ status: z.enum(['pending', 'approved', 'rejected']).optional() }) } },
    async (request) => ({ requests: await approval.list(request.query.status) }),
  );

  app.post(
    '/publish-requests/:id/:decision',
    {
      config: { permission: 'journeys.approve', invalid: 'Invalid decision' },
      schema: {
        tags,
        summary: 'Approve (the version goes live) or reject a pending publish; never the requester’s own',
        params: z.strictObject({ id: z.string().min(1), decision: z.enum(['approve', 'reject']) }),
        body: z.strictObject({ note: z.string().trim().max(500).optional() }).nullish(),
      },
    },
    async (request, reply) => {
      try {
        return await approval.decide(request.principal!, request.params.id, request.params.decision, request.body?.note);
      } catch (error) {
        if (error instanceof LifecycleError) return reply.status(error.status).send(errorBody(error.message));
        throw error;
      }
    },
  );
}
