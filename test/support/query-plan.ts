/** PostgreSQL's plan for a statement, as the nodes a test can look through (PGlite's planner is PostgreSQL's own). */
import { Prisma } from '../../src/db/client.ts';

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Heap Fetches'?: number;
  Plans?: PlanNode[];
}

/** What can run raw SQL: the client, or a transaction's (where a test may first `SET LOCAL` a planner setting). */
type RawQuerier = Pick<Prisma.TransactionClient, '$queryRaw' | '$queryRawUnsafe'>;

/** Every node of a plan, init plans and subplans included, depth first. */
function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}

export async function planOf(db: RawQuerier, statement: Prisma.Sql | { sql: string; params: unknown[] }): Promise<PlanNode[]> {
  const rows =
    statement instanceof Prisma.Sql
      ? await db.$queryRaw<Record<string, unknown>[]>(Prisma.sql`EXPLAIN (FORMAT JSON) ${statement}`)
      : await db.$queryRawUnsafe<Record<string, unknown>[]>(`EXPLAIN (FORMAT JSON) ${statement.sql}`, ...statement.params);
  const output = Object.values(rows[0]!)[0];
  const [explained] = (typeof output === 'string' ? JSON.parse(output) : output) as { Plan: PlanNode }[];
  return nodesOf(explained!.Plan);
}

/** One line per node, to show with a failed expectation. */
export function describePlan(nodes: PlanNode[]): string {
  return nodes.map((node) => [node['Node Type'], node['Relation Name'] && `on ${node['Relation Name']}`, node['Index Name'] && `using ${node['Index Name']}`].filter(Boolean).join(' ')).join('\n');
}

export function indexesUsed(nodes: PlanNode[]): string[] {
  return nodes.flatMap((node) => (node['Index Name'] ? [node['Index Name']] : []));
}
