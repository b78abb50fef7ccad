/**
 * The audit trail: who (a person, a key, Steward itself) did what to which object.
 * An entry is written with the transaction client of the change it records, so the
 * change and its entry commit together or not at all.
 */
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import type { Principal } from './permissions.ts';

/** A transaction client (or the database itself, for changes made in one statement). */
export type AuditWriter = Pick<Database, 'auditEntry'>;

export interface AuditActor {
  kind: 'person' | 'key' | 'system' | 'anonymous';
  id: string | null;
  name: string;
}

export const SYSTEM_ACTOR: AuditActor = { kind: 'system', id: null, name: 'Steward' };

export const actorOf = (principal: Principal | null | undefined): AuditActor =>
  principal ? { kind: principal.kind, id: principal.id, name: principal.name } : SYSTEM_ACTOR;

/** Everything the trail records, by object. */
export const auditActions = [
  'journey.published',
  'journey.publish-requested',
  'journey.publish-approved',
  'journey.publish-rejected',
  'journey.paused',
  'journey.resumed',
  'journey.archived',
  'journey.migrated',
  'enrollment.removed',
  'consent.changed',
  'key.created',
  'key.revoked',
  'person.invited',
  'person.joined',
  'person.role-changed',
  'person.removed',
  'person.password-reset',
  'person.sso-linked',
  'person.sso-unlinked',
  'session.revoked',
  'settings.changed',
  'sign-in.succeeded',
  'sign-in.failed',
  'sign-in.refused',
  'task.claimed',
  'task.released',
  'task.reassigned',
  'task.completed',
  'task.escalated',
] as const;
export type AuditAction = (typeof auditActions)[number];

export interface AuditRecord {
  action: AuditAction;
  objectType: 'journey' | 'enrollment' | 'constituent' | 'key' | 'person' | 'session' | 'settings' | 'sign-in' | 'task';
  objectId: string;
  detail?: Record<string, unknown>;
}

/** Writes one entry with the change's own transaction client. */
export async function recordAudit(writer: AuditWriter, actor: AuditActor, record: AuditRecord, at = new Date()): Promise<void> {
  await writer.auditEntry.create({
    data: {
      at,
      actorKind: actor.kind,
      actorId: actor.id,
      actorName: actor.name,
      action: record.action,
      objectType: record.objectType,
      objectId: record.objectId,
      constituentId: typeof record.detail?.constituentId === 'string' ? record.detail.constituentId : null,
      ...(record.detail ? { detail: record.detail as object } : {}),
    },
  });
}

export const AuditQuery = z.strictObject({
  actor: z.string().trim().min(1).max(200).optional().describe('A person or key id, or the start of an actor name'),
  action: z.string().trim().min(1).max(100).optional().describe('An action (journey.published) or its object (journey)'),
  object: z
    .string()
    .trim()
    .min(1)
    .max(300)
    .optional()
    .describe("An object id: a journey, person, key, enrollment, task or constituent; a constituent's id also finds the removals and task work that concerned them"),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

/** Entries newest first, filtered; the cursor is the last entry's time and id. */
export async function listAudit(db: Database, query: AuditQuery) {
  const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
  const rows = await db.auditEntry.findMany({
    where: {
      AND: [
        query.actor ? { OR: [{ actorId: query.actor }, { actorName: { startsWith: query.actor, mode: 'insensitive' as const } }] } : {},
        query.action ? (query.action.includes('.') ? { action: query.action } : { action: { startsWith: `${query.action}.` } }) : {},
        query.object ? { OR: [{ objectId: query.object }, { constituentId: query.object }] } : {},
        query.since || query.until ? { at: { ...(query.since ? { gte: new Date(query.since) } : {}), ...(query.until ? { lte: new Date(query.until) } : {}) } } : {},
        cursor ? { OR: [{ at: { lt: cursor.at } }, { at: cursor.at, id: { lt: cursor.id } }] } : {},
      ],
    },
    orderBy: [{ at: 'desc' }, { id: 'desc' }],
    take: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return { entries: page, nextCursor: rows.length > query.limit && last ? Buffer.from(`${last.at.toISOString()}|${last.id}`).toString('base64url') : null };
}

function decodeCursor(text: string): { at: Date; id: string } | undefined {
  const [at, id] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  const when = new Date(at ?? '');
  return id && !Number.isNaN(when.getTime()) ? { at: when, id } : undefined;
}
