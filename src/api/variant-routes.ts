/** A/B splits over HTTP: each arm's results with a verdict, and ending a test by sending everyone down the winner. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { VARIANT_METHOD, variantResults } from '../analytics/variants.ts';
import type { Database } from '../db/client.ts';
import { createJourneyAuthoring, JourneyConflictError, JourneySourceError } from '../journeys/authoring.ts';
import { JourneyDefinition, JourneyVersionText } from '../journeys/definition.ts';
import { EndSplitError, endSplitTest } from '../journeys/end-split.ts';
import { LifecycleError, type JourneyLifecycle } from '../journeys/lifecycle.ts';
import { errorBody } from './errors.ts';

const tags = ['Journeys'];

export function registerVariantRoutes(server: FastifyInstance, deps: { db: Database; lifecycle: JourneyLifecycle }): void {
  const { db, lifecycle } = deps;
  const app = server.withTypeProvider<ZodTypeProvider>();
  const authoring = createJourneyAuthoring(db);

  app.get(
    '/analytics/journeys/:id/variants',
    {
      config: { permission: 'records.read' },
      schema: {
        tags: ['Analytics'],
        summary: 'A/B splits of a journey: per arm, conversions, clicks and revenue with 95% intervals, and a verdict',
        description: `Method: ${VARIANT_METHOD}. The verdict judges conversion when the journey has a goal, clicks otherwise. The splits are those of the version given, else the published one, else the newest.`,
        params: z.strictObject({ id: z.string().min(1) }),
        querystring: z.strictObject({ version: JourneyVersionText.optional() }),
      },
    },
    async (request, reply) => {
      const versions = await db.journeyVersion.findMany({ where: { journeyId: request.params.id }, orderBy: { version: 'desc' } });
      const shown = request.query.version ? versions.find((v) => v.version === request.query.version) : (versions.find((v) => v.status === 'published') ?? versions[0]);
      if (!shown) return reply.status(404).send(errorBody(`Journey ${request.params.id}${request.query.version ? ` has no version ${request.query.version}` : ' not found'}`));
      return { journeyId: request.params.id, version: shown.version, method: VARIANT_METHOD, splits: await variantResults(db, request.params.id, JourneyDefinition.parse(shown.definition)) };
    },
  );

  app.post(
    '/journeys/:id/versions/:version/splits/:state/end',
    {
      config: { permission: 'journeys.manage', invalid: 'Invalid request to end the test' },
      schema: {
        tags,
        summary: 'End an A/B test: a new version in which the split sends everyone down the winning arm',
        description:
          'Saves the next version of the journey with the split replaced by its winner (states only the other arms reached are dropped), as a draft, or published when `publish` is true. Enrollments already in flight stay on their version; move them with `POST /journeys/:id/migrate`.',
        params: z.strictObject({ id: z.string().min(1), version: JourneyVersionText, state: z.string().min(1).max(200) }),
        body: z.strictObject({ winner: z.string().min(1).max(200).describe('The arm (its target state) everyone now takes'), publish: z.boolean().default(false) }),
      },
    },
    async (request, reply) => {
      try {
        const ended = await endSplitTest(
          { db, authoring, lifecycle },
          { journeyId: request.params.id, version: request.params.version, state: request.params.state, winner: request.body.winner, publish: request.body.publish },
        );
        return reply.status(201).send({ version: ended.version.version, status: ended.version.status, dropped: ended.dropped });
      } catch (error) {
        return endFailure(reply, error);
      }
    },
  );
}

function endFailure(reply: FastifyReply, error: unknown) {
  if (error instanceof EndSplitError) return reply.status(400).send(errorBody('Cannot end the test', [{ path: error.path, message: error.message }]));
  if (error instanceof LifecycleError || error instanceof JourneyConflictError) return reply.status(error.status).send(errorBody(error.message));
  if (error instanceof JourneySourceError) {
    return reply.status(400).send(errorBody('The journey with the winner alone has errors', error.findings.filter((item) => item.severity === 'error').map(({ severity: _s, ...issue }) => issue)));
  }
  throw error;
}
