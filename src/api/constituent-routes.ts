/** Constituents over HTTP: create, update, search, and one timeline of everything that happened. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/audit.ts';
import { createConstituentDirectory, ConstituentError, TimelineKinds } from '../constituents/directory.ts';
import type { Database } from '../db/client.ts';
import { ConstituentInput } from '../events/schema.ts';
import { errorBody } from './errors.ts';
import { PageQuery } from './pagination.ts';

const Attributes = z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be a name like donorStage'), z.union([z.string(), z.number(), z.boolean()]));
const ConstituentCreate = ConstituentInput.extend({ attributes: Attributes.optional() }).strict();
const ConstituentUpdate = ConstituentCreate.partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'name at least one field to change');
const IdParams = z.strictObject({ id: z.uuid('is not a constituent id') });

const tags = ['Constituents'];

export function registerConstituentRoutes(server: FastifyInstance, deps: { db: Database }): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const directory = createConstituentDirectory(deps.db);
  const fail = (reply: { status(code: number): { send(body: unknown): unknown } }, error: unknown) => {
    if (error instanceof ConstituentError) return reply.status(error.status).send(errorBody(error.message, error.issues));
    throw error;
  };

  app.post(
    '/constituents',
    {
      config: { permission: 'records.ingest', invalid: 'Invalid constituent' },
      schema: { tags, summary: 'Add a constituent', description: 'An email already on file is refused (409), naming the existing record.', body: ConstituentCreate },
    },
    async (request, reply) => {
      try {
        return reply.status(201).send(await directory.create(request.body, actorOf(request.principal)));
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.patch(
    '/constituents/:id',
    {
      config: { permission: 'records.ingest', invalid: 'Invalid constituent' },
      schema: { tags, summary: 'Change a constituent', description: 'Fields left out keep their value; attributes are merged; consent given here is recorded with its source, and in the audit trail (`consent.changed`) with who gave it and what became of it.', params: IdParams, body: ConstituentUpdate },
    },
    async (request, reply) => {
      try {
        return await directory.update(request.params.id, request.body, actorOf(request.principal));
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.get(
    '/constituents',
    {
      config: { permission: 'constituents.search' },
      schema: {
        tags,
        summary: 'Search constituents',
        description: 'Without `q`, the newest first. `q` matches the start of an email address, a first or last name, or "first last".',
        querystring: z.strictObject({ q: z.string().trim().max(200).optional(), ...PageQuery }),
      },
    },
    async (request) => directory.search(request.query),
  );

  app.get(
    '/constituents/:id',
    { config: { permission: 'constituents.view' }, schema: { tags, summary: 'One constituent, with consent and headline numbers', params: IdParams } },
    async (request, reply) => {
      try {
        return await directory.find(request.params.id);
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.get(
    '/constituents/:id/timeline',
    {
      config: { permission: 'constituents.view' },
      schema: {
        tags,
        summary: "One timeline of a constituent's events, journey steps, messages, tasks and consent, newest first",
        params: IdParams,
        querystring: z.strictObject({ kinds: TimelineKinds.optional(), ...PageQuery }),
      },
    },
    async (request, reply) => {
      try {
        return await directory.timeline(request.params.id, request.query);
      } catch (error) {
        return fail(reply, error);
      }
    },
  );
}
