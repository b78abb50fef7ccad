/**
 * Test sends and the seed list they go to: `POST /templates/:channel/:name/test-sends`
 * sends the template as written to every seed address of its channel;
 * `/settings/seed-list` is the organisation's list of those addresses.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import { createSeedList, SeedListError } from '../templates/seed-list.ts';
import { TestSendError, type TestSends } from '../templates/test-sends.ts';
import { errorBody } from './errors.ts';
import { answerTemplateError, PreviewBody, TemplateChannel } from './template-routes.ts';

export interface TestSendRouteOptions {
  db: Database;
  /** Left out (no mail transport in this process), test sends are refused with 409. */
  testSends?: TestSends | undefined;
  phoneCountry: string;
}

const TestSendBody = PreviewBody.extend({
  idempotencyKey: z.string().min(8).max(128).describe('Asking again with the same key sends nothing new and answers what happened'),
  templateVersionId: z.uuid().optional().describe('The stored version being tested, if it is one'),
});

export function seedListError(reply: FastifyReply, error: unknown) {
  if (error instanceof SeedListError) return reply.status(error.status).send(errorBody(error.message, [{ path: error.path, message: error.message }]));
  throw error;
}

export function registerTestSendRoutes(server: FastifyInstance, options: TestSendRouteOptions): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const seedList = createSeedList(options.db, options.phoneCountry);

  app.post(
    '/templates/:channel/:name/test-sends',
    {
      config: { permission: 'templates.manage' },
      schema: {
        tags: ['Templates'],
        summary: 'Send the template as written to every seed address of its channel, marked as a test',
        description:
          'Rendered with sample data or the constituent given; "[TEST] " leads the subject (or SMS), `X-Steward-Test: true` is set, and each send is recorded as a test, counted in no report or cap. A seed address belonging to a constituent without consent, or suppressed, is refused (`status: refused`).',
        params: z.strictObject({ channel: z.string(), name: z.string().max(200) }),
        body: TestSendBody,
      },
    },
    async (request, reply) => {
      const channel = TemplateChannel.safeParse(request.params.channel);
      if (!channel.success) return reply.status(404).send(errorBody(`No channel "${request.params.channel}" (email or sms)`, [{ path: 'channel', message: 'email or sms' }]));
      if (!options.testSends) return reply.status(409).send(errorBody('This Steward process has no mail transport for test sends', [{ path: 'channel', message: 'no transport' }]));
      const { constituentId, sample, trigger, idempotencyKey, templateVersionId, ...source } = request.body;
      try {
        const sends = await options.testSends.send({ channel: channel.data, name: request.params.name, source, constituentId, sample, trigger, idempotencyKey, templateVersionId, sentBy: request.principal?.name ?? null });
        return { sends };
      } catch (error) {
        if (error instanceof TestSendError) return reply.status(error.status).send(errorBody(error.message, [{ path: error.path, message: error.message }]));
        return answerTemplateError(reply, error);
      }
    },
  );

  app.get('/settings/seed-list', { config: { permission: 'records.read' }, schema: { tags: ['Settings'], summary: 'The seed list: the addresses and phones test sends go to' } }, async () => ({
    recipients: (await seedList.list()).map(({ id, channel, address, label, createdAt }) => ({ id, channel, address, label, createdAt })),
  }));

  app.post(
    '/settings/seed-list',
    {
      config: { permission: 'templates.manage' },
      schema: {
        tags: ['Settings'],
        summary: 'Add an address (email) or mobile number (sms) to the seed list',
        body: z.strictObject({ channel: TemplateChannel, address: z.string().min(1).max(254), label: z.string().max(200).optional() }),
      },
    },
    async (request, reply) => {
      try {
        const added = await seedList.add(request.body.channel, request.body.address, request.body.label);
        return reply.status(201).send({ id: added.id, channel: added.channel, address: added.address, label: added.label, createdAt: added.createdAt });
      } catch (error) {
        return seedListError(reply, error);
      }
    },
  );

  app.post(
    '/settings/seed-list/:id/remove',
    { config: { permission: 'templates.manage' }, schema: { tags: ['Settings'], summary: 'Take an address off the seed list', params: z.strictObject({ id: z.uuid() }) } },
    async (request, reply) => {
      try {
        await seedList.remove(request.params.id);
        return { removed: request.params.id };
      } catch (error) {
        return seedListError(reply, error);
      }
    },
  );
}
