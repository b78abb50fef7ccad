/**
 * The constituent directory: adding and changing people, finding them, and one
 * timeline of everything that happened with each, for the API and the web app.
 */
import { z } from 'zod';
import type { AuditActor } from '../auth/audit.ts';
import { consentReport, recordConsentChanges, type ConsentReport } from '../consent/consent.ts';
import { Prisma, type Constituent, type Database } from '../db/client.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { ConsentInput } from '../events/schema.ts';
import { before, decodeCursor, pageOf, type Cursor } from '../api/pagination.ts';

export class ConstituentError extends Error {
  constructor(
    message: string,
    readonly status: 404 | 409,
    readonly issues?: { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'ConstituentError';
  }
}

type Scalar = string | number | boolean;
export interface ConstituentFields {
  email?: string | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  phone?: string | undefined;
  timezone?: string | undefined;
  locale?: string | undefined;
  attributes?: Record<string, Scalar> | undefined;
  consent?: { email?: z.infer<typeof ConsentInput> | undefined; sms?: z.infer<typeof ConsentInput> | undefined } | undefined;
}

export const timelineKinds = ['event', 'journey', 'message', 'task', 'consent'] as const;
export type TimelineKind = (typeof timelineKinds)[number];
/** `kinds=event,message`: which kinds of entry a timeline shows. */
export const TimelineKinds = z
  .string()
  .transform((text) => text.split(',').map((kind) => kind.trim()).filter(Boolean))
  .pipe(z.array(z.enum(timelineKinds)).min(1));

export interface TimelineEntry {
  kind: TimelineKind;
  id: string;
  at: Date;
  /** One line a person reads: "Gave 50.00 USD", "Moved to thanked (timer)". */
  summary: string;
  /** What the entry links to: the enrollment, the task. */
  enrollmentId?: string | null;
  journeyId?: string;
  status?: string;
  details: Record<string, unknown>;
}

/** A LIKE pattern matching text that starts with `prefix`, with LIKE's own wildcards taken literally. */
function startsWith(prefix: string): string {
  return `${prefix.toLowerCase().replace(/[\\%_]/g, (match) => `\\${match}`)}%`;
}

/** The record, and what became of the consent it was given with, if any. */
function withConsent<T extends object>(record: T, consent: ConsentReport[]): T & { consent?: ConsentReport[] } {
  return consent.length > 0 ? { ...record, consent } : record;
}

export function createConstituentDirectory(db: Database) {
  /**
   * Records the consent given with a change; returns what became of each (a refused "granted" is
   * reported, not applied). The actor who gave it is kept in the audit trail with each change.
   */
  async function recordConsentGiven(tx: Prisma.TransactionClient, constituentId: string, consent: ConstituentFields['consent'], source: string, actor: AuditActor | undefined): Promise<ConsentReport[]> {
    const changes = (['email', 'sms'] as const).flatMap((channel) => {
      const given = consent?.[channel];
      if (!given) return [];
      const change = typeof given === 'string' ? { status: given } : given;
      return [{ constituentId, channel, status: change.status, source: change.source ?? source, authority: change.by, evidence: change.evidence, at: change.at ? new Date(change.at) : new Date() }];
    });
    const results = await recordConsentChanges(tx, changes, actor);
    return results.map(consentReport);
  }

  const details = (fields: ConstituentFields) => ({
    email: fields.email,
    firstName: fields.firstName,
    lastName: fields.lastName,
    phone: fields.phone,
    timezone: fields.timezone,
    locale: fields.locale,
  });

  async function find(id: string) {
    const constituent = await db.constituent.findUnique({ where: { id }, include: { consents: { select: { channel: true, status: true, source: true, recordedAt: true } } } });
    if (!constituent) throw new ConstituentError(`Constituent ${id} not found`, 404);
    const [giving, enrollments, openTasks] = await Promise.all([
      db.interactionEvent.groupBy({
        by: ['currency'],
        where: { constituentId: id, type: 'donation' },
        _sum: { amount: true },
        _count: { _all: true },
        _max: { occurredAt: true },
      }),
      db.enrollment.groupBy({ by: ['status'], where: { constituentId: id }, _count: { _all: true } }),
      db.staffTask.count({ where: { constituentId: id, status: { in: ['open', 'claimed'] } } }),
    ]);
    return {
      ...constituent,
      giving: giving.map((row) => ({ currency: row.currency, total: row._sum.amount?.toFixed(2) ?? '0.00', gifts: row._count._all, lastGiftAt: row._max.occurredAt })),
      enrollments: Object.fromEntries(enrollments.map((row) => [row.status, row._count._all])),
      openTasks,
    };
  }

  return {
    async create(fields: ConstituentFields & { email: string }, actor?: AuditActor): Promise<Constituent & { consent?: ConsentReport[] }> {
      const existing = await db.constituent.findUnique({ where: { email: fields.email }, select: { id: true } });
      if (existing) throw new ConstituentError(`A constituent with this email already exists (${existing.id})`, 409, [{ path: 'email', message: 'already on file' }]);
      try {
        return await db.$transaction(async (tx) => {
          const created = await tx.constituent.create({ data: { ...details(fields), attributes: fields.attributes ?? {} } });
          return withConsent(created, await recordConsentGiven(tx, created.id, fields.consent, 'API', actor));
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConstituentError('A constituent with this email already exists', 409, [{ path: 'email', message: 'already on file' }]);
        throw error;
      }
    },

    async update(id: string, fields: ConstituentFields, actor?: AuditActor): Promise<Constituent & { consent?: ConsentReport[] }> {
      try {
        return await db.$transaction(async (tx) => {
          const current = await tx.constituent.findUnique({ where: { id } });
          if (!current) throw new ConstituentError(`Constituent ${id} not found`, 404);
          const attributes = fields.attributes ? { ...(current.attributes as Record<string, Scalar>), ...fields.attributes } : undefined;
          const updated = await tx.constituent.update({ where: { id }, data: { ...details(fields), ...(attributes ? { attributes } : {}) } });
          return withConsent(updated, await recordConsentGiven(tx, id, fields.consent, 'API', actor));
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConstituentError('Another constituent has this email', 409, [{ path: 'email', message: 'already on file' }]);
        throw error;
      }
    },

    /** Prefix search over email and names, newest first, a page at a time. */
    async search(query: { q?: string | undefined; limit: number; cursor?: string | undefined }) {
      const cursor = decodeCursor(query.cursor);
      const q = query.q?.trim();
      let rows: Constituent[];
      if (!q) {
        rows = await db.constituent.findMany({ where: before('createdAt', cursor), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: query.limit + 1 });
      } else {
        const [first, ...rest] = q.split(/\s+/);
        const last = rest.join(' ');
        // Each branch is answered by its own prefix index (see the operator_lists migration).
        const matches = Prisma.sql`(email LIKE ${startsWith(q)} OR lower(first_name) LIKE ${startsWith(q)} OR lower(last_name) LIKE ${startsWith(q)}${
          last ? Prisma.sql` OR (lower(first_name) LIKE ${startsWith(first!)} AND lower(last_name) LIKE ${startsWith(last)})` : Prisma.empty
        })`;
        const after = cursor ? Prisma.sql`AND (created_at, id) < (${cursor.at}, ${cursor.id})` : Prisma.empty;
        const ids = await db.$queryRaw<{ id: string }[]>`
          SELECT id FROM constituent WHERE ${matches} ${after} ORDER BY created_at DESC, id DESC LIMIT ${query.limit + 1}`;
        const found = await db.constituent.findMany({ where: { id: { in: ids.map((row) => row.id) } } });
        const byId = new Map(found.map((row) => [row.id, row]));
        rows = ids.map((row) => byId.get(row.id)!).filter(Boolean);
      }
      const page = pageOf(rows, query.limit, (row) => ({ at: row.createdAt, id: row.id }));
      return { constituents: page.items, nextCursor: page.nextCursor };
    },

    find,

    /**
     * Everything that happened with one constituent, newest first: each source is
     * read a page deep from its own index, then the pages are merged.
     */
    async timeline(id: string, query: { kinds?: TimelineKind[] | undefined; limit: number; cursor?: string | undefined }) {
      const exists = await db.constituent.findUnique({ where: { id }, select: { id: true } });
      if (!exists) throw new ConstituentError(`Constituent ${id} not found`, 404);
      const cursor = decodeCursor(query.cursor);
      const take = query.limit + 1;
      const wanted = new Set(query.kinds ?? timelineKinds);
      const sources: Promise<TimelineEntry[]>[] = [];

      if (wanted.has('event')) {
        sources.push(
          db.interactionEvent
            .findMany({ where: { constituentId: id, ...before('occurredAt', cursor) }, orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }], take })
            .then((rows) =>
              rows.map((row) => {
                const type = row.type === 'drop_off' ? 'drop-off' : row.type;
                const data = row.data as Record<string, unknown>;
                const summary =
                  type === 'donation'
                    ? `Gave ${row.amount?.toFixed(2)} ${row.currency}`
                    : type === 'registration'
                      ? `Registered for ${String(data.program ?? 'a program')}`
                      : type === 'drop-off'
                        ? `Drop-off: ${String(data.kind ?? '')}`
                        : `${String(data.name ?? 'Custom event')}`;
                return { kind: 'event' as const, id: row.id, at: row.occurredAt, summary, status: type, details: { type, data, eventId: row.idempotencyKey } };
              }),
            ),
        );
      }
      if (wanted.has('journey')) {
        sources.push(
          db.enrollmentTransition
            .findMany({
              where: { enrollment: { constituentId: id }, ...before('at', cursor) },
              orderBy: [{ at: 'desc' }, { id: 'desc' }],
              take,
              include: { enrollment: { select: { journeyVersion: { select: { journeyId: true, version: true } }, status: true } } },
            })
            .then((rows) =>
              rows.map((row) => ({
                kind: 'journey' as const,
                id: row.id,
                at: row.at,
                summary:
                  row.fromState === null
                    ? `Entered ${row.enrollment.journeyVersion.journeyId} at ${row.toState}`
                    : `${row.enrollment.journeyVersion.journeyId}: ${row.fromState} → ${row.toState} (${row.cause})`,
                enrollmentId: row.enrollmentId,
                journeyId: row.enrollment.journeyVersion.journeyId,
                status: row.enrollment.status,
                details: { from: row.fromState, to: row.toState, cause: row.cause, version: row.enrollment.journeyVersion.version },
              })),
            ),
        );
      }
      if (wanted.has('message')) {
        sources.push(
          db.message
            .findMany({
              // Notices to staff about this person are not messages to them; their tasks show instead.
              where: { constituentId: id, audience: 'constituent', ...before('createdAt', cursor) },
              orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
              take,
              select: { id: true, channel: true, template: true, messageClass: true, status: true, error: true, createdAt: true, scheduledFor: true, sentAt: true, enrollmentId: true },
            })
            .then((rows) =>
              rows.map((row) => ({
                kind: 'message' as const,
                id: row.id,
                at: row.createdAt,
                summary: `${row.channel === 'email' ? 'Email' : 'Text'} ${row.template}: ${row.status}${row.scheduledFor ? ` for ${row.scheduledFor.toISOString()}` : ''}${row.error ? ` (${row.error})` : ''}`,
                enrollmentId: row.enrollmentId,
                status: row.status,
                details: { channel: row.channel, template: row.template, class: row.messageClass, sentAt: row.sentAt, scheduledFor: row.scheduledFor, reason: row.error, content: `/messages/${row.id}` },
              })),
            ),
        );
      }
      if (wanted.has('task')) {
        sources.push(
          db.staffTask
            .findMany({ where: { constituentId: id, ...before('createdAt', cursor) }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take })
            .then((rows) =>
              rows.map((row) => ({
                kind: 'task' as const,
                id: row.id,
                at: row.createdAt,
                summary: `Task for ${row.queue}: ${row.title}${row.outcome ? ` — ${row.outcome}` : ''}${row.completedBy ? ` (${row.completedBy})` : ''}${row.notes ? `: “${row.notes}”` : ''}`,
                enrollmentId: row.enrollmentId,
                status: row.status,
                details: { queue: row.queue, assignee: row.assignee, dueAt: row.dueAt, outcome: row.outcome, completedBy: row.completedBy, completedAt: row.completedAt, notes: row.notes },
              })),
            ),
        );
      }
      if (wanted.has('consent')) {
        sources.push(
          db.consentChange
            .findMany({ where: { constituentId: id, ...before('at', cursor) }, orderBy: [{ at: 'desc' }, { id: 'desc' }], take })
            .then((rows) =>
              rows.map((row) => ({
                kind: 'consent' as const,
                id: row.id,
                at: row.at,
                summary: `${row.channel === 'email' ? 'Email' : 'SMS'} consent ${row.status} by ${row.authority} (${row.source})${row.outcome === 'applied' ? '' : `: ${row.outcome}, ${row.note}`}`,
                status: row.status,
                details: { channel: row.channel, source: row.source, by: row.authority, evidence: row.evidence, outcome: row.outcome, note: row.note },
              })),
            ),
        );
      }

      const merged = (await Promise.all(sources)).flat().sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1));
      const page = pageOf<TimelineEntry>(merged, query.limit, (entry): Cursor => ({ at: entry.at, id: entry.id }));
      return { entries: page.items, nextCursor: page.nextCursor };
    },
  };
}

export type ConstituentDirectory = ReturnType<typeof createConstituentDirectory>;
