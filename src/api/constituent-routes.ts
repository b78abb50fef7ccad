/** Constituents over HTTP: create, update, search, and one timeline of everything that happened. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canViewConstituent } from '../auth/constituent-access.ts';
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
  /** Staff keys read only the constituents their tasks concern (see canViewConstituent). */
  const mayView = async (request: FastifyRequest, reply: FastifyReply) => {
    if (await canViewConstituent(deps.db, request.principal!, (request.params as { id: string }).id)) return;
    return reply.status(403).send(errorBody(`This API key (${request.principal!.name}) may open only the constituents its tasks concern`));
  };

  app.post(
    '/constituents',
    {
      config: { scope: 'ingest', invalid: 'Invalid constituent' },
      schema: { tags, summary: 'Add a constituent', description: 'An email already on file is refused (409), naming the existing record.', body: ConstituentCreate },
    },
    async (request, reply) => {
      try {
        return reply.status(201).send(await directory.create(request.body));
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.patch(
    '/constituents/:id',
    {
      config: { scope: 'ingest', invalid: 'Invalid constituent' },
      schema: { tags, summary: 'Change a constituent', description: 'Fields left out keep their value; attributes are merged; consent given here is recorded with its source.', params: IdParams, body: ConstituentUpdate },
    },
    async (request, reply) => {
      try {
        return await directory.update(request.params.id, request.body);
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.get(
    '/constituents',
    {
      config: { scope: 'read' },
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
    {
      config: { scope: ['read', 'staff'] },
      schema: { tags, summary: 'One constituent, with consent and headline numbers', description: 'Staff keys may open only the constituents their tasks concern.', params: IdParams },
      preHandler: mayView,
    },
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
      config: { scope: ['read', 'staff'] },
      preHandler: mayView,
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
