/**
 * Who may look at a constituent's record. Keys that may read see everyone; a key
 * that works the task inbox sees only the people its tasks concern: tasks waiting
 * unclaimed in a queue, tasks it holds, tasks it completed. Every page and route
 * that shows a constituent asks here, so the rule lives in one place.
 */
import type { Database, Prisma } from '../db/client.ts';
import { allows, type ApiPrincipal } from './api-keys.ts';

/** The tasks that are an actor's to work: unclaimed in a queue, held by them, or completed by them. */
export function tasksOf(actor: ApiPrincipal): Prisma.StaffTaskWhereInput {
  return { OR: [{ status: 'open' }, { status: 'claimed', assignee: actor.name }, { completedByKeyId: actor.keyId }] };
}

/** Whether the actor may open the constituent's record. */
export async function canViewConstituent(db: Database, actor: ApiPrincipal, constituentId: string): Promise<boolean> {
  if (allows(actor.scopes, 'read')) return true;
  if (!actor.scopes.includes('staff')) return false;
  const task = await db.staffTask.findFirst({ where: { constituentId, ...tasksOf(actor) }, select: { id: true } });
  return task !== null;
}
