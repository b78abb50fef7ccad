/**
 * Approval before publish, when the organisation asks for it (an admin's setting):
 * a marketer's publish becomes a pending request, and the version goes live only
 * when a second person (an admin or another marketer, never the one who asked)
 * approves it. Admins publish directly. Every step is in the audit trail, written
 * in the transaction that takes it.
 */
import type { Database, JourneyVersion } from '../db/client.ts';
import { actorOf, recordAudit, type AuditActor } from '../auth/audit.ts';
import type { Principal } from '../auth/permissions.ts';
import { LifecycleError, type JourneyLifecycle } from './lifecycle.ts';

const SETTING = 'publish-approval';

export type PublishApproval = ReturnType<typeof createPublishApproval>;
export type PublishOutcome = { status: 'published'; version: JourneyVersion } | { status: 'pending'; requestId: string };

export function createPublishApproval(deps: { db: Database; lifecycle: JourneyLifecycle }) {
  const { db, lifecycle } = deps;

  const view = (row: Awaited<ReturnType<typeof db.publishRequest.findUniqueOrThrow<{ where: { id: string }; include: { journeyVersion: { select: { journeyId: true; version: true } } } }>>>) => ({
    id: row.id,
    journeyId: row.journeyVersion.journeyId,
    version: row.journeyVersion.version,
    status: row.status,
    requestedBy: { id: row.requestedById, name: row.requestedByName },
    createdAt: row.createdAt,
    decidedBy: row.decidedById ? { id: row.decidedById, name: row.decidedByName } : null,
    decidedAt: row.decidedAt,
    note: row.note,
  });
  const withVersion = { journeyVersion: { select: { journeyId: true, version: true } } } as const;

  async function required(): Promise<boolean> {
    return (await db.stewardSetting.findUnique({ where: { key: SETTING } }))?.value === 'required';
  }

  return {
    required,

    /** Turns approval before publish on or off. */
    async setRequired(actor: AuditActor, on: boolean): Promise<boolean> {
      await db.$transaction(async (tx) => {
        const value = on ? 'required' : 'off';
        await tx.stewardSetting.upsert({ where: { key: SETTING }, create: { key: SETTING, value }, update: { value, updatedAt: new Date() } });
        await recordAudit(tx, actor, { action: 'settings.changed', objectType: 'settings', objectId: SETTING, detail: { value } });
      });
      return on;
    },

    /** Publishes, or, when approval is required and the publisher is not an admin, asks for approval. */
    async publish(principal: Principal, journeyId: string, number: number): Promise<PublishOutcome> {
      if (principal.grants.includes('admin') || !(await required())) {
        return { status: 'published', version: await lifecycle.publish(journeyId, number, actorOf(principal)) };
      }
      const target = await lifecycle.publishable(journeyId, number);
      if (target.status === 'published') return { status: 'published', version: target };
      const requestId = await db.$transaction(async (tx) => {
        const pending = await tx.publishRequest.findFirst({ where: { journeyVersionId: target.id, status: 'pending' } });
        if (pending) return pending.id;
        const created = await tx.publishRequest.create({ data: { journeyVersionId: target.id, requestedById: principal.id, requestedByName: principal.name } });
        await recordAudit(tx, actorOf(principal), { action: 'journey.publish-requested', objectType: 'journey', objectId: journeyId, detail: { version: number, request: created.id } });
        return created.id;
      });
      return { status: 'pending', requestId };
    },

    async list(status?: 'pending' | 'approved' | 'rejected') {
      const rows = await db.publishRequest.findMany({ where: status ? { status } : {}, orderBy: { createdAt: 'desc' }, take: 200, include: withVersion });
      return rows.map(view);
    },

    /**
     * Approves (the version goes live) or rejects a pending request. The request's
     * decision, the version's status and their audit entries commit together.
     */
    async decide(principal: Principal, requestId: string, decision: 'approve' | 'reject', note?: string) {
      const request = await db.publishRequest.findUnique({ where: { id: requestId }, include: { journeyVersion: true } });
      if (!request) throw new LifecycleError(`Publish request ${requestId} not found`, 404);
      if (request.status !== 'pending') throw new LifecycleError(`Publish request ${requestId} is already ${request.status}`, 409);
      if (request.requestedById === principal.id) throw new LifecycleError('You asked for this publish; another admin or marketer must approve or reject it', 409);
      const { journeyId, version } = request.journeyVersion;
      if (decision === 'approve') await lifecycle.publishable(journeyId, version);
      const actor = actorOf(principal);
      await db.$transaction(async (tx) => {
        const { count } = await tx.publishRequest.updateMany({
          where: { id: requestId, status: 'pending' },
          data: { status: decision === 'approve' ? 'approved' : 'rejected', decidedById: principal.id, decidedByName: principal.name, decidedAt: new Date(), note: note ?? null },
        });
        if (count === 0) throw new LifecycleError(`Publish request ${requestId} was decided meanwhile`, 409);
        const detail = { version, request: requestId, requestedBy: request.requestedByName, ...(note ? { note } : {}) };
        await recordAudit(tx, actor, { action: decision === 'approve' ? 'journey.publish-approved' : 'journey.publish-rejected', objectType: 'journey', objectId: journeyId, detail });
        if (decision === 'approve') {
          await tx.journeyVersion.update({ where: { id: request.journeyVersionId }, data: { status: 'published', publishedAt: request.journeyVersion.publishedAt ?? new Date() } });
          await recordAudit(tx, actor, { action: 'journey.published', objectType: 'journey', objectId: journeyId, detail });
        }
      });
      return view(await db.publishRequest.findUniqueOrThrow({ where: { id: requestId }, include: withVersion }));
    },
  };
}
