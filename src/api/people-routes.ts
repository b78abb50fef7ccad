/** People over HTTP, for admins: invite (the link goes by email), list, change a role, unlink from the identity provider, remove. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/audit.ts';
import { Email, PeopleError, type PeopleStore } from '../auth/people.ts';
import { Role } from '../auth/permissions.ts';
import { errorBody } from './errors.ts';

const tags = ['People'];
const IdParams = z.strictObject({ id: z.string().min(1) });

function fail(reply: FastifyReply, error: unknown) {
  if (error instanceof PeopleError) return reply.status(error.status).send(errorBody(error.message, error.path ? [{ path: error.path, message: error.message }] : undefined));
  throw error;
}

export function registerPeopleRoutes(server: FastifyInstance, deps: { people: PeopleStore }): void {
  const { people } = deps;
  const app = server.withTypeProvider<ZodTypeProvider>();

  app.get('/people', { config: { permission: 'people.manage' }, schema: { tags, summary: 'Everyone invited: name, email, role, status (invited, active, removed), and the identity provider subject each is linked to (oidcSubject, or null)' } }, async () => ({
    people: await people.list(),
  }));

  app.post(
    '/people',
    {
      config: { permission: 'people.manage', invalid: 'Invalid invitation' },
      schema: {
        tags,
        summary: 'Invite a person: they receive an email with a single-use link to choose their password',
        body: z.strictObject({ email: Email, name: z.string().trim().min(1).max(100), role: Role }),
      },
    },
    async (request, reply) => {
      try {
        return reply.status(201).send(await people.invite(actorOf(request.principal), request.body));
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.patch(
    '/people/:id',
    { config: { permission: 'people.manage', invalid: 'Invalid change' }, schema: { tags, summary: "Change a person's role", params: IdParams, body: z.strictObject({ role: Role }) } },
    async (request, reply) => {
      try {
        return await people.changeRole(actorOf(request.principal), request.params.id, request.body.role);
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.post(
    '/people/:id/unlink-provider',
    {
      config: { permission: 'people.manage' },
      schema: {
        tags,
        summary: "Unlink a person from their identity provider subject: their sessions end, and their next sign-in through the provider must match them again by their invited, verified email",
        params: IdParams,
      },
    },
    async (request, reply) => {
      try {
        return await people.unlinkProvider(actorOf(request.principal), request.params.id);
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.post(
    '/people/:id/remove',
    { config: { permission: 'people.manage' }, schema: { tags, summary: 'Remove a person: they cannot sign in any more and their sessions end', params: IdParams } },
    async (request, reply) => {
      try {
        return await people.remove(actorOf(request.principal), request.params.id);
      } catch (error) {
        return fail(reply, error);
      }
    },
  );
}
