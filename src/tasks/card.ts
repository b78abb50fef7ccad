/**
 * What a staff member needs to act on a task, loaded by id from the records: who
 * the constituent is and how to reach them, the gift or registration that started
 * the journey, their giving, what was recently sent to them, and notes from earlier
 * tasks. Read here, at the edge, so none of it ever passes through a workflow.
 */
import type { Database, StaffTask } from '../db/client.ts';
import { receiptYear } from '../receipts/numbering.ts';
import { yearBounds } from '../receipts/statement.ts';

export interface TaskCard {
  constituent: { id: string; name: string; email: string | null; phone: string | null } | null;
  /** The event that started the task's enrollment: a gift, a registration. */
  cause: {
    type: string;
    amount: string | null;
    currency: string | null;
    campaign: string | null;
    fund: string | null;
    program: string | null;
    occurredAt: Date;
  } | null;
  /** One summary per currency given in. */
  giving: { currency: string | null; count: number; lifetime: string; thisYear: string; firstGiftAt: Date | null; lastGiftAt: Date | null }[];
  recentMessages: { id: string; channel: string; template: string; subject: string | null; status: string; at: Date }[];
  /** Notes written when this and earlier tasks about the same constituent were completed, newest first. */
  notes: { taskId: string; title: string; outcome: string | null; notes: string; by: string | null; at: Date | null }[];
}

const RECENT_MESSAGES = 5;
const NOTES_SHOWN = 5;

export const displayName = (person: { firstName: string | null; lastName: string | null; email: string | null }) =>
  [person.firstName, person.lastName].filter(Boolean).join(' ') || person.email || 'Unnamed constituent';

/** The cards of some tasks, by task id; the year's giving is counted in the organisation's calendar. */
export async function loadTaskCards(db: Database, tasks: StaffTask[], options: { timeZone: string; now?: Date }): Promise<Map<string, TaskCard>> {
  const constituentIds = [...new Set(tasks.flatMap((task) => (task.constituentId ? [task.constituentId] : [])))];
  const enrollmentIds = [...new Set(tasks.flatMap((task) => (task.enrollmentId ? [task.enrollmentId] : [])))];
  const now = options.now ?? new Date();
  const year = yearBounds(receiptYear(now, options.timeZone), options.timeZone);
  const donations = { constituentId: { in: constituentIds }, type: 'donation' as const, amount: { not: null } };

  const [people, enrollments, lifetime, thisYear, notes, messages] = await Promise.all([
    db.constituent.findMany({ where: { id: { in: constituentIds } }, select: { id: true, firstName: true, lastName: true, email: true, phone: true } }),
    db.enrollment.findMany({ where: { id: { in: enrollmentIds } }, select: { id: true, triggerEventId: true } }),
    db.interactionEvent.groupBy({
      by: ['constituentId', 'currency'],
      where: donations,
      _sum: { amount: true },
      _count: { _all: true },
      _min: { occurredAt: true },
      _max: { occurredAt: true },
    }),
    db.interactionEvent.groupBy({ by: ['constituentId', 'currency'], where: { ...donations, occurredAt: { gte: year.from, lt: year.to } }, _sum: { amount: true } }),
    db.staffTask.findMany({
      where: { constituentId: { in: constituentIds }, notes: { not: null } },
      orderBy: [{ completedAt: { sort: 'desc', nulls: 'last' } }, { id: 'desc' }],
      take: 500,
      select: { id: true, constituentId: true, title: true, outcome: true, notes: true, completedBy: true, completedAt: true },
    }),
    Promise.all(
      constituentIds.map((constituentId) =>
        db.message.findMany({
          // Staff notices about the person are not messages to them.
          where: { constituentId, audience: 'constituent' },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          take: RECENT_MESSAGES,
          select: { id: true, constituentId: true, channel: true, template: true, subject: true, status: true, createdAt: true, sentAt: true },
        }),
      ),
    ).then((pages) => pages.flat()),
  ]);
  const triggerIds = enrollments.flatMap((row) => (row.triggerEventId ? [row.triggerEventId] : []));
  const events = triggerIds.length ? await db.interactionEvent.findMany({ where: { id: { in: triggerIds } } }) : [];

  const cards = new Map<string, TaskCard>();
  for (const task of tasks) {
    const person = people.find((row) => row.id === task.constituentId);
    const triggerId = enrollments.find((row) => row.id === task.enrollmentId)?.triggerEventId;
    const event = events.find((row) => row.id === triggerId);
    const data = (event?.data ?? {}) as Record<string, unknown>;
    const text = (value: unknown) => (typeof value === 'string' && value ? value : null);
    cards.set(task.id, {
      constituent: person ? { id: person.id, name: displayName(person), email: person.email, phone: person.phone } : null,
      cause: event
        ? {
            type: event.type === 'drop_off' ? 'drop-off' : event.type,
            amount: event.amount?.toFixed(2) ?? null,
            currency: event.currency,
            campaign: text(data.campaign),
            fund: text(data.fund),
            program: text(data.program),
            occurredAt: event.occurredAt,
          }
        : null,
      giving: lifetime
        .filter((row) => row.constituentId === task.constituentId)
        .map((row) => ({
          currency: row.currency,
          count: row._count._all,
          lifetime: row._sum.amount?.toFixed(2) ?? '0.00',
          thisYear: thisYear.find((other) => other.constituentId === row.constituentId && other.currency === row.currency)?._sum.amount?.toFixed(2) ?? '0.00',
          firstGiftAt: row._min.occurredAt,
          lastGiftAt: row._max.occurredAt,
        })),
      recentMessages: messages
        .filter((row) => row.constituentId === task.constituentId)
        .map((row) => ({ id: row.id, channel: row.channel, template: row.template, subject: row.subject, status: row.status, at: row.sentAt ?? row.createdAt })),
      notes: notes
        .filter((row) => row.constituentId === task.constituentId)
        .slice(0, NOTES_SHOWN)
        .map((row) => ({ taskId: row.id, title: row.title, outcome: row.outcome, notes: row.notes!, by: row.completedBy, at: row.completedAt })),
    });
  }
  return cards;
}

/** A phone number as a `tel:` address: digits and a leading plus only. */
export function telHref(phone: string): string {
  const digits = phone.replace(/[^\d+]/g, '');
  return `tel:${digits.startsWith('+') ? `+${digits.slice(1).replace(/\+/g, '')}` : digits.replace(/\+/g, '')}`;
}
