/**
 * Which constituents a principal may open. Admins, marketers and viewers see every
 * one; staff see only those their tasks concern: a task waiting unclaimed in the
 * inbox, one they claimed, or one they completed. The one rule, shared by the API,
 * the web app and the task inbox.
 */
import type { Database, Prisma } from '../db/client.ts';
import { reach, type Principal } from './permissions.ts';

/** The name a principal's task claims are kept under: a person's email (unique), a key's name. */
export const assigneeOf = (principal: Pick<Principal, 'email' | 'name'>): string => principal.email ?? principal.name;

/** The tasks that are an actor's to work: unclaimed in a queue, held by them, or completed by them. */
export function tasksOf(actor: Principal): Prisma.StaffTaskWhereInput {
  return { OR: [{ status: 'open' }, { assignee: assigneeOf(actor) }, { completedByKeyId: actor.id }] };
}

/** Whether `actor` may open the constituent `constituentId`. */
export async function canViewConstituent(db: Database, actor: Principal, constituentId: string): Promise<boolean> {
  const how = reach(actor, 'constituents.view');
  if (how !== 'their-tasks') return how === 'full';
  const task = await db.staffTask.findFirst({ where: { constituentId, ...tasksOf(actor) }, select: { id: true } });
  return task !== null;
}
