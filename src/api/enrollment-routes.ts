/** An enrollment as people look at it: where it is, how it got there, what comes next. */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/client.ts';
import { enrollmentStateQuery, type EnrollmentView } from '../../workflows/contract.ts';
import { errorBody } from './errors.ts';

/** How long the API waits for a live answer from the enrollment's workflow. */
const LIVE_VIEW_TIMEOUT_MS = 2_000;

export function registerEnrollmentRoutes(app: FastifyInstance, deps: { db: Database; temporal: Client }): void {
  const { db, temporal } = deps;

  app.get<{ Params: { id: string } }>('/enrollments/:id', async (request, reply) => {
    const enrollment = await db.enrollment.findUnique({
      where: { id: request.params.id },
      include: {
        journeyVersion: { select: { journeyId: true, version: true } },
        transitions: { orderBy: { sequence: 'asc' } },
        messages: { orderBy: { createdAt: 'asc' }, select: { id: true, channel: true, template: true, status: true, sentAt: true, error: true } },
        tasks: { orderBy: { createdAt: 'asc' }, select: { id: true, queue: true, title: true, status: true, dueAt: true, outcome: true } },
      },
    });
    if (!enrollment) return reply.status(404).send(errorBody(`Enrollment ${request.params.id} not found`));
    const { snapshot: _snapshot, ...view } = enrollment;
    const live = enrollment.status === 'active' ? await liveView(enrollment.workflowId) : undefined;
    return {
      ...view,
      // The next thing the journey will do on its own, unless the constituent acts first.
      nextStep: live?.timers[0] ? { at: new Date(live.timers[0].fireAt).toISOString(), state: live.state } : null,
    };
  });

  async function liveView(workflowId: string): Promise<EnrollmentView | undefined> {
    try {
      const view = await temporal.withDeadline(Date.now() + LIVE_VIEW_TIMEOUT_MS, () =>
        temporal.workflow.getHandle(workflowId).query(enrollmentStateQuery),
      );
      return view ?? undefined;
    } catch {
      // Temporal unreachable or the worker busy: the stored view still stands.
      return undefined;
    }
  }
}
