/** Messages over HTTP: what was sent to whom, or why not, a page at a time. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
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
}
