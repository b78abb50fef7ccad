/** Messages over HTTP: what was sent to whom, or why not, a page at a time. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import { sentMessage } from '../templates/sent-messages.ts';
import { errorBody } from './errors.ts';
import { before, decodeCursor, PageQuery, pageOf } from './pagination.ts';

const statuses = ['pending', 'scheduled', 'sent', 'delivered', 'failed', 'suppressed', 'skipped', 'cancelled', 'bounced', 'complained'] as const;

const MessageListQuery = z.strictObject({
  constituentId: z.string().min(1).optional(),
  enrollmentId: z.string().min(1).optional(),
  channel: z.enum(['email', 'sms']).optional(),
  audience: z.enum(['constituent', 'staff']).optional().describe('`staff`: task notices sent to a queue about the constituent'),
  status: z.enum(statuses).optional(),
  ...PageQuery,
});

export function registerMessageRoutes(server: FastifyInstance, deps: { db: Database }): void {
  const { db } = deps;
  const app = server.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/messages',
    {
      config: { permission: 'records.read' },
      schema: {
        tags: ['Messages'],
        summary: 'Messages, newest first: sent, waiting for their window, or not sent and why',
        description: 'Recipients are not included. `constituentId` is who a message was written to or, for a staff task notice (`audience: staff`), who it was about.',
        querystring: MessageListQuery,
      },
    },
    async (request) => {
      const { constituentId, enrollmentId, channel, audience, status, limit, cursor } = request.query;
      const rows = await db.message.findMany({
        where: {
          ...(constituentId ? { constituentId } : {}),
          ...(enrollmentId ? { enrollmentId } : {}),
          ...(channel ? { channel } : {}),
          ...(audience ? { audience } : {}),
          ...(status ? { status } : {}),
          ...before('createdAt', decodeCursor(cursor)),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: limit + 1,
        select: {
          id: true,
          enrollmentId: true,
          constituentId: true,
          channel: true,
          audience: true,
          template: true,
          status: true,
          error: true,
          errorCode: true,
          segments: true,
          createdAt: true,
          scheduledFor: true,
          sentAt: true,
          deliveredAt: true,
        },
      });
      const page = pageOf(rows, limit, (row) => ({ at: row.createdAt, id: row.id }));
      return { messages: page.items, nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/messages/:id',
    {
      config: { permission: 'records.read' },
      schema: {
        tags: ['Messages'],
        summary: 'One message to a constituent as they got it: subject, text, HTML (or SMS body) and the template version',
        description: 'The body is kept for `STEWARD_MESSAGE_BODY_RETENTION_DAYS` after sending; after that `text` and `html` are null and `bodyDroppedAt` says when they were dropped.',
        params: z.strictObject({ id: z.string().min(1) }),
      },
    },
    async (request, reply) => {
      const message = await sentMessage(db, request.params.id);
      if (!message) return reply.status(404).send(errorBody(`No message ${request.params.id}`, [{ path: 'id', message: 'no such message' }]));
      return message;
    },
  );
}
