/**
 * Journeys over HTTP: write one (validate, simulate, save a draft version), run
 * it (publish, pause, resume, archive, migrate), and look at it (diagram with live counts).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createAnalytics } from '../analytics/metrics.ts';
import type { Database, JourneyVersion } from '../db/client.ts';
import { createJourneyAuthoring, JourneyConflictError, JourneySourceError, sourceOf, stateOrderOf } from '../journeys/authoring.ts';
import { JourneyDefinition, JourneyVersionNumber, JourneyVersionText } from '../journeys/definition.ts';
import { journeyToMermaid, journeyToSvg } from '../journeys/diagram.ts';
import { LifecycleError, type JourneyLifecycle } from '../journeys/lifecycle.ts';
import { formatSimulation, Timeline } from '../journeys/simulate.ts';
import { errorBody } from './errors.ts';
import { actorOf } from '../auth/audit.ts';
import type { PublishApproval } from '../journeys/publish-approval.ts';

const Reason = z.strictObject({ reason: z.string().trim().min(1).max(200) });
const Source = z.string().min(1).max(200_000).describe('The journey as YAML (or JSON), as a marketer writes it');
const JourneyParams = z.strictObject({ id: z.string().min(1) });
const VersionParams = z.strictObject({ id: z.string().min(1), version: JourneyVersionText });
const tags = ['Journeys'];

export function registerJourneyRoutes(server: FastifyInstance, deps: { db: Database; lifecycle: JourneyLifecycle; approval: PublishApproval }): void {
  const { db, lifecycle, approval } = deps;
  const app = server.withTypeProvider<ZodTypeProvider>();
  const authoring = createJourneyAuthoring(db);
  const analytics = createAnalytics(db);

  const fail = (reply: FastifyReply, error: unknown) => {
    if (error instanceof LifecycleError || error instanceof JourneyConflictError) return reply.status(error.status).send(errorBody(error.message));
    if (error instanceof JourneySourceError) {
      return reply.status(400).send(errorBody(error.message, error.findings.filter((item) => item.severity === 'error').map(({ severity: _s, ...issue }) => issue)));
    }
    throw error;
  };

  const versionView = (version: JourneyVersion) => ({
    id: version.id,
    version: version.version,
    status: version.status,
    createdAt: version.createdAt,
    publishedAt: version.publishedAt,
  });

  /** The version people mean by "the journey": the published one, else the newest. */
  async function currentVersion(journeyId: string, number?: number): Promise<JourneyVersion> {
    const versions = await db.journeyVersion.findMany({ where: { journeyId, ...(number ? { version: number } : {}) }, orderBy: { version: 'desc' } });
    const chosen = versions.find((version) => version.status === 'published') ?? versions[0];
    if (!chosen) throw new LifecycleError(number ? `Journey ${journeyId} has no version ${number}` : `Journey ${journeyId} not found`, 404);
    return chosen;
  }

  app.get('/journeys', { config: { permission: 'records.read' }, schema: { tags, summary: 'Every journey with its versions and headline numbers' } }, async () => {
    const [journeys, summaries] = await Promise.all([
      db.journey.findMany({
        orderBy: { id: 'asc' },
        include: { versions: { orderBy: { version: 'asc' }, select: { id: true, version: true, status: true, publishedAt: true } } },
      }),
      analytics.journeySummaries(),
    ]);
    const active = await db.enrollment.groupBy({ by: ['journeyVersionId'], where: { status: 'active' }, _count: { _all: true } });
    const activeBy = new Map(active.map((row) => [row.journeyVersionId, row._count._all]));
    return {
      journeys: journeys.map((journey) => ({
        id: journey.id,
        name: journey.name,
        description: journey.description,
        versions: journey.versions.map(({ id, ...version }) => ({ ...version, activeEnrollments: activeBy.get(id) ?? 0 })),
        summary: summaries.find((summary) => summary.journeyId === journey.id) ?? null,
      })),
    };
  });

  app.post(
    '/journeys/validate',
    {
      config: { permission: 'records.read', invalid: 'Invalid validation request' },
      schema: { tags, summary: 'Check a journey text; every finding names its field and line', body: z.strictObject({ source: Source }) },
    },
    async (request) => {
      const { ok, findings } = await authoring.check(request.body.source);
      return { ok, findings };
    },
  );

  app.post(
    '/journeys/simulate',
    {
      config: { permission: 'records.read', invalid: 'Invalid simulation request' },
      schema: {
        tags,
        summary: 'Run a journey over a timeline of events, without sending anything',
        description: 'Give the journey as `source`, or name a stored one with `journeyId` (and `version`).',
        body: z
          .strictObject({ source: Source.optional(), journeyId: z.string().min(1).optional(), version: JourneyVersionNumber.optional(), timeline: Timeline })
          .refine((body) => Boolean(body.source) !== Boolean(body.journeyId), 'give either source or journeyId'),
      },
    },
    async (request, reply) => {
      try {
        const source = request.body.source ?? sourceOf(await currentVersion(request.body.journeyId!, request.body.version));
        const result = await authoring.simulate(source, request.body.timeline);
        return { ...result, text: formatSimulation(result) };
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.post(
    '/journeys',
    {
      config: { permission: 'journeys.manage', invalid: 'Invalid journey' },
      schema: {
        tags,
        summary: 'Save a journey text as a new draft version (a new journey, or the next version of one)',
        description: 'Refused with 400 when the text has errors, each issue with its field path and line. Publish the draft to put it live.',
        body: z.strictObject({ source: Source }),
      },
    },
    async (request, reply) => {
      try {
        return reply.status(201).send(versionView(await authoring.saveDraft(request.body.source)));
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.get('/journeys/:id', { config: { permission: 'records.read' }, schema: { tags, summary: 'One journey: its versions and the current definition', params: JourneyParams } }, async (request, reply) => {
    try {
      const current = await currentVersion(request.params.id);
      const journey = await db.journey.findUniqueOrThrow({ where: { id: request.params.id }, include: { versions: { orderBy: { version: 'asc' } } } });
      return {
        id: journey.id,
        name: journey.name,
        description: journey.description,
        versions: journey.versions.map(versionView),
        current: { ...versionView(current), definition: current.definition, source: sourceOf(current) },
      };
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.get(
    '/journeys/:id/versions/:version',
    { config: { permission: 'records.read' }, schema: { tags, summary: 'One version: its definition and its text', params: VersionParams } },
    async (request, reply) => {
      try {
        const version = await currentVersion(request.params.id, request.params.version);
        return { ...versionView(version), definition: version.definition, source: sourceOf(version) };
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.get(
    '/journeys/:id/diagram',
    {
      config: { permission: 'records.read' },
      schema: {
        tags,
        summary: 'The journey drawn: SVG (default) or Mermaid, each state with how many are in it now, entered, left and converted',
        params: JourneyParams,
        querystring: z.strictObject({ version: JourneyVersionText.optional(), format: z.enum(['svg', 'mermaid']).default('svg') }),
      },
    },
    async (request, reply) => {
      try {
        const version = await currentVersion(request.params.id, request.query.version);
        const definition = JourneyDefinition.parse(version.definition);
        const counts = await analytics.stateCounts(request.params.id);
        if (request.query.format === 'mermaid') return reply.type('text/plain; charset=utf-8').send(journeyToMermaid(definition, { counts }));
        return reply.type('image/svg+xml').send(await journeyToSvg(definition, { counts, order: stateOrderOf(version) }));
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  const lifecycleRoute = (action: 'publish' | 'pause' | 'resume', summary: string) =>
    app.post(
      `/journeys/:id/versions/:version/${action}`,
      { config: { permission: 'journeys.manage' }, schema: { tags, summary, params: VersionParams } },
      async (request, reply) => {
        try {
          const { id, version } = request.params;
          // Publishing says which published journeys would also message someone on the same event;
          // when approval is required, a marketer's publish waits for a second person (202).
          if (action === 'publish') {
            const outcome = await approval.publish(request.principal!, id, version);
            const warnings = (await lifecycle.overlaps(id, version)).map((overlap) => overlap.message);
            if (outcome.status === 'pending') return reply.status(202).send({ status: 'pending', request: outcome.requestId, warnings });
            return { status: 'published', version: outcome.version, warnings };
          }
          return await lifecycle[action](id, version, actorOf(request.principal));
        } catch (error) {
          return fail(reply, error);
        }
      },
    );
  lifecycleRoute('publish', 'Put a version live: new enrollments go to it');
  lifecycleRoute('pause', "Hold a version's new enrollments and sends");
  lifecycleRoute('resume', 'Release a paused version');

  app.post(
    '/journeys/:id/versions/:version/archive',
    {
      config: { permission: 'journeys.manage', invalid: 'Invalid archive request' },
      schema: { tags, summary: 'End a version: every enrollment on it exits with the reason', params: VersionParams, body: Reason.optional() },
    },
    async (request, reply) => {
      try {
        return await lifecycle.archive(request.params.id, request.params.version, request.body?.reason ?? 'journey archived', actorOf(request.principal));
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.post(
    '/journeys/:id/migrate',
    {
      config: { permission: 'journeys.manage', invalid: 'Invalid migration' },
      schema: {
        tags,
        summary: 'Move enrollments from one version to another, state by state',
        params: JourneyParams,
        body: z.strictObject({ from: JourneyVersionNumber, to: JourneyVersionNumber, states: z.record(z.string().min(1), z.string().min(1)) }),
      },
    },
    async (request, reply) => {
      try {
        return reply.status(202).send(await lifecycle.migrate(request.params.id, request.body.from, request.body.to, request.body.states, actorOf(request.principal)));
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.post(
    '/enrollments/:id/remove',
    {
      config: { permission: 'enrollments.remove', invalid: 'Invalid removal' },
      schema: { tags: ['Enrollments'], summary: 'Take one constituent out of a journey, with a reason', params: JourneyParams, body: Reason.optional() },
    },
    async (request, reply) => {
      try {
        const enrollment = await lifecycle.remove(request.params.id, request.body?.reason ?? 'removed by staff', actorOf(request.principal));
        return reply.status(202).send({ enrollmentId: enrollment.id, removal: 'requested' });
      } catch (error) {
        return fail(reply, error);
      }
    },
  );
}
