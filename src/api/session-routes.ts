/** Web app sessions over HTTP, for admins: who is signed in, and ending a sign-in at once. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { WebSessionStore } from '../auth/web-sessions.ts';
import { errorBody } from './errors.ts';
import { actorOf } from '../auth/audit.ts';

const tags = ['Web sessions'];

export function registerSessionRoutes(server: FastifyInstance, deps: { sessions: WebSessionStore }): void {
  const { sessions } = deps;
  const app = server.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/sessions',
    { config: { permission: 'sessions.manage' }, schema: { tags, summary: 'Web app sessions that have not ended: the key that signed in, when, last use, when each ends' } },
    async () => ({ sessions: await sessions.listLive() }),
  );

  app.post(
    '/sessions/:id/revoke',
    { config: { permission: 'sessions.manage' }, schema: { tags, summary: 'End a web app session at once (revoking its key ends all of that key’s)', params: z.strictObject({ id: z.string().min(1) }) } },
    async (request, reply) => (await sessions.revoke(request.params.id, actorOf(request.principal))) ?? reply.status(404).send(errorBody(`Web session ${request.params.id} not found`)),
  );
}
