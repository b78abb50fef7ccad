/**
 * Liveness and readiness, for load balancers and orchestrators, without a key:
 * `/health` says the process is up and serving; `/ready` says whether it can do
 * its work now, checking the database and Temporal each within a short timeout.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import { errorBody } from './errors.ts';
import { ErrorBodySchema } from './openapi.ts';
import { RETRY_AFTER_SECONDS, unavailableMessage, unavailablePart, type DependentPart } from './unavailable.ts';

/**
 * Each readiness check gets this long. A healthy database answers `SELECT 1` and
 * Temporal its system info in milliseconds; two seconds still passes a pool that
 * is busy for a moment, and keeps the answer inside a probe timeout of 3 s.
 */
export const READY_TIMEOUT_MS = 2_000;

const tags = ['System'];

const PartStatus = z.object({
  status: z.enum(['up', 'down']),
  reason: z.string().optional().describe('Why the part counts as down, e.g. "no answer within 2000 ms"'),
});
const Readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  parts: z.object({ database: PartStatus, temporal: PartStatus }),
});
type PartStatus = z.infer<typeof PartStatus>;

export interface HealthRouteDependencies {
  db: Database;
  temporal: Client;
  /** Time each readiness check may take; READY_TIMEOUT_MS unless a test wants it shorter. */
  readyTimeoutMs?: number | undefined;
}

export function registerHealthRoutes(server: FastifyInstance, deps: HealthRouteDependencies): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const timeoutMs = deps.readyTimeoutMs ?? READY_TIMEOUT_MS;
  const probes: Record<DependentPart, () => Promise<unknown>> = {
    database: () => deps.db.$queryRaw`SELECT 1`,
    temporal: () => deps.temporal.connection.withDeadline(Date.now() + timeoutMs, () => deps.temporal.workflowService.getSystemInfo({})),
  };

  app.get(
    '/health',
    { config: { permission: 'public' }, schema: { tags, summary: 'Liveness: this process is up and serving requests', response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      config: { permission: 'public' },
      schema: {
        tags,
        summary: 'Readiness: the database and Temporal each answer within a short timeout',
        description: `Each part is checked within ${timeoutMs} ms. When one is down the answer is 503 with \`Retry-After\`, naming it.`,
        response: { 200: Readiness, 503: Readiness.extend(ErrorBodySchema.shape) },
      },
    },
    async (request, reply) => {
      const [database, temporal] = await Promise.all(
        (['database', 'temporal'] as const).map(async (part) => {
          const status = await check(probes[part], timeoutMs);
          if (status.failure) request.log.warn({ part, err: status.failure }, `readiness: ${part} is down`);
          return status.part;
        }),
      );
      const parts = { database: database!, temporal: temporal! };
      const down = (['database', 'temporal'] as const).filter((part) => parts[part].status === 'down');
      if (down.length === 0) return { status: 'ready' as const, parts };
      const issues = down.map((part) => ({ path: `parts.${part}`, message: parts[part].reason ?? 'down' }));
      return reply
        .status(503)
        .header('retry-after', String(RETRY_AFTER_SECONDS))
        .send({ status: 'unavailable' as const, parts, ...errorBody(unavailableMessage(...down), issues) });
    },
  );
}

/** Runs one probe, bounded by the timeout; a probe still running afterwards is left to finish unobserved. */
async function check(probe: () => Promise<unknown>, timeoutMs: number): Promise<{ part: PartStatus; failure?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    const outcome = await Promise.race([probe().then(() => 'up' as const), timedOut]);
    return outcome === 'up' ? { part: { status: 'up' } } : { part: { status: 'down', reason: `no answer within ${timeoutMs} ms` } };
  } catch (error) {
    // The reason stays general: this answer needs no key, and the error's detail names hosts and ports.
    const reason = unavailablePart(error) ? 'not reachable' : 'the check failed; the log has the error';
    return { part: { status: 'down', reason }, failure: error };
  } finally {
    clearTimeout(timer);
  }
}
