/** An enrollment as people look at it: where it is, how it got there, what comes next. */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import { JourneyVersionText } from '../journeys/definition.ts';
import { enrollmentStateQuery, type EnrollmentView } from '../../workflows/contract.ts';
import { errorBody } from './errors.ts';
import { before, decodeCursor, PageQuery, pageOf } from './pagination.ts';

/** How long the API waits for a live answer from the enrollment's workflow. */
const LIVE_VIEW_TIMEOUT_MS = 2_000;

const EnrollmentListQuery = z.strictObject({
  journeyId: z.string().min(1).optional(),
  version: JourneyVersionText.optional().describe('With journeyId: one version only'),
  status: z.enum(['active', 'completed', 'converted', 'exited']).optional(),
  state: z.string().min(1).optional().describe('Where the enrollment is now'),
  constituentId: z.string().min(1).optional(),
  ...PageQuery,
});
const tags = ['Enrollments'];

export function registerEnrollmentRoutes(server: FastifyInstance, deps: { db: Database; temporal: Client }): void {
  const { db, temporal } = deps;
  const app = server.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/enrollments',
    { config: { permission: 'records.read' }, schema: { tags, summary: 'Enrollments, newest first', querystring: EnrollmentListQuery } },
    async (request) => {
      const { journeyId, version, status, state, constituentId, limit, cursor } = request.query;
      const rows = await db.enrollment.findMany({
        where: {
          ...(journeyId ? { journeyVersion: { journeyId, ...(version ? { version } : {}) } } : {}),
          ...(status ? { status } : {}),
          ...(state ? { currentState: state } : {}),
          ...(constituentId ? { constituentId } : {}),
          ...before('enteredAt', decodeCursor(cursor)),
        },
        orderBy: [{ enteredAt: 'desc' }, { id: 'desc' }],
        take: limit + 1,
        select: {
          id: true,
          constituentId: true,
          status: true,
          currentState: true,
          enteredAt: true,
          exitedAt: true,
          exitReason: true,
          goalName: true,
          goalReachedAt: true,
          journeyVersion: { select: { journeyId: true, version: true } },
        },
      });
      const page = pageOf(rows, limit, (row) => ({ at: row.enteredAt, id: row.id }));
      return {
        enrollments: page.items.map(({ journeyVersion, ...row }) => ({ ...row, journeyId: journeyVersion.journeyId, version: journeyVersion.version })),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get('/enrollments/:id', { config: { permission: 'records.read' }, schema: { tags, summary: 'One enrollment: where it is, its history, its messages and tasks, what comes next', params: z.strictObject({ id: z.string().min(1) }) } }, async (request, reply) => {
    const enrollment = await db.enrollment.findUnique({
      where: { id: request.params.id },
      include: {
        journeyVersion: { select: { journeyId: true, version: true } },
        transitions: { orderBy: { sequence: 'asc' } },
        messages: { orderBy: { createdAt: 'asc' }, select: { id: true, channel: true, template: true, messageClass: true, status: true, scheduledFor: true, sentAt: true, error: true } },
        tasks: { orderBy: { createdAt: 'asc' }, select: { id: true, queue: true, title: true, status: true, dueAt: true, outcome: true } },
      },
    });
    if (!enrollment) return reply.status(404).send(errorBody(`Enrollment ${request.params.id} not found`));
    const { snapshot: _snapshot, messages, ...view } = enrollment;
    const live = enrollment.status === 'active' ? await liveView(enrollment.workflowId) : undefined;
    return {
      ...view,
      messages: messages.map(messageView),
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

/**
 * A message as callers read it: its class, and for one not (yet) sent, why, and
 * when a waiting one will go (`scheduledFor`). `error` is kept for earlier callers.
 */
function messageView({ messageClass, error, ...message }: { id: string; messageClass: string; error: string | null; status: string; scheduledFor: Date | null }) {
  return { ...message, class: messageClass, reason: message.status === 'sent' || message.status === 'delivered' ? null : error, error, content: `/messages/${message.id}` };
}
