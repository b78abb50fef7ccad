/**
 * Drop-off scans seen before they act: how many constituents a scan would flag
 * now, and from when Steward counts silences. Run it after loading history and
 * before the daily scans do anything.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import { defaultDropOffSettings, dropOffScanKinds, previewDropOffs, type DropOffSettings } from '../events/drop-offs.ts';

export function registerDropOffRoutes(server: FastifyInstance, deps: { db: Database; dropOffSettings?: DropOffSettings | undefined }): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/drop-offs/preview',
    {
      config: { permission: 'records.read' },
      schema: {
        tags: ['Events'],
        summary: 'How many constituents a drop-off scan would flag now, flagging no one',
        description: '`wouldFlag` counts those the next scan would record; `alreadyFlagged` those recorded before; silences that began before `watchFrom` are not counted.',
        querystring: z.strictObject({ kind: z.enum(dropOffScanKinds).default('lapsed') }),
      },
    },
    async (request) => previewDropOffs(deps.db, request.query.kind, new Date(), deps.dropOffSettings ?? defaultDropOffSettings),
  );
}
