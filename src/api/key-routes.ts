/** API keys over HTTP, for admins: make one (shown once), list them, revoke one. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiScope, type ApiKeyStore } from '../auth/api-keys.ts';
import { errorBody } from './errors.ts';
import { actorOf } from '../auth/audit.ts';

const tags = ['API keys'];

export function registerKeyRoutes(server: FastifyInstance, deps: { keys: ApiKeyStore }): void {
  const { keys } = deps;
  const app = server.withTypeProvider<ZodTypeProvider>();

  app.get('/keys', { config: { permission: 'keys.manage' }, schema: { tags, summary: 'Every API key: name, scopes, last use; never the key itself' } }, async () => ({
    keys: await keys.list(),
  }));

  app.post(
    '/keys',
    {
      config: { permission: 'keys.manage', invalid: 'Invalid API key request' },
      schema: {
        tags,
        summary: 'Make an API key; the answer is the only time the key is shown',
        body: z.strictObject({ name: z.string().trim().min(1).max(100), scopes: z.array(ApiScope).min(1) }),
      },
    },
    async (request, reply) => reply.status(201).send(await keys.create(request.body, actorOf(request.principal))),
  );

  app.post(
    '/keys/:id/revoke',
    { config: { permission: 'keys.manage' }, schema: { tags, summary: 'Revoke a key: it stops working at once', params: z.strictObject({ id: z.string().min(1) }) } },
    async (request, reply) => {
      if (request.principal?.kind === 'key' && request.principal.id === request.params.id) return reply.status(409).send(errorBody('A key cannot revoke itself; use another admin key'));
      const revoked = await keys.revoke(request.params.id, actorOf(request.principal));
      return revoked ?? reply.status(404).send(errorBody(`API key ${request.params.id} not found`));
    },
  );
}
