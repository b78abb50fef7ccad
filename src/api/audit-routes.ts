/** The audit trail over HTTP, for admins: newest first, filtered by actor, action, object and dates. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AuditQuery, listAudit } from '../auth/audit.ts';
import type { Database } from '../db/client.ts';

export function registerAuditRoutes(server: FastifyInstance, deps: { db: Database }): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/audit',
    {
      config: { permission: 'audit.read', invalid: 'Invalid audit query' },
      schema: {
        tags: ['Audit trail'],
        summary: 'Who did what: publishes, pauses, migrations, archives, removals, keys, people, sign-ins, task work',
        description:
          "`action` is an action (`journey.published`) or a kind (`task`); `object` an object's id, or a constituent's for everything that concerned them; `since` and `until` bound the time; pages by `cursor`.",
        querystring: AuditQuery,
      },
    },
    async (request) => listAudit(deps.db, request.query),
  );
}
