/**
 * The pages' queries at the volume of a large nonprofit (100,000 constituents, a
 * million interactions, ten journeys), planned by PostgreSQL with real parameters:
 * a query about one journey, one constituent or one queue must reach the big tables
 * through an index, never by reading them whole. Only the plans are checked here;
 * bench/pages.bench.ts measures the time.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsQueries } from '../../src/analytics/metrics.ts';
import { Prisma, type Database } from '../../src/db/client.ts';
import { PrismaClient } from '../../src/db/generated/prisma/client.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { describePlan, indexesUsed, planOf, type PlanNode } from '../support/query-plan.ts';
import { pageQueries, seedVolume, type SeededVolume } from '../support/volume.ts';

const BIG_TABLES = new Set(['interaction_event', 'constituent', 'enrollment', 'enrollment_transition', 'message', 'staff_task']);

let database: TestDatabase;
let db: Database;
let seeded: SeededVolume;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.prisma;
  const started = performance.now();
  // Full volume on PostgreSQL and on PGlite alike: PGlite fills it about as fast
  // (30 to 45 s on two cores), and its planner is PostgreSQL's own.
  seeded = await seedVolume(db, { now: new Date('2026-11-23T12:00:00.000Z'), log: (line) => console.log(`seed (${database.kind}): ${line}`) });
  console.log(`seed (${database.kind}): ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
}, 600_000);
afterAll(() => database?.drop());

function seqScansOfBigTables(nodes: PlanNode[]): string[] {
  return nodes.filter((node) => node['Node Type'] === 'Seq Scan' && BIG_TABLES.has(node['Relation Name'] ?? '')).map((node) => node['Relation Name']!);
}

describe('the seed', () => {
  it('is the volume the plans are about', () => {
    expect(seeded.rows).toMatchObject({ constituent: 100_000, interaction_event: 1_000_000, enrollment: 20_000, journey: 10 });
    expect(seeded.enrollmentId).not.toBe('');
  });
});

describe('analytics about one journey read only that journey’s rows, through indexes', () => {
  const perJourney: [string, () => Prisma.Sql][] = [
    ['journeyMetrics, all time', () => analyticsQueries.journeyMetrics(seeded.journeyId, { now: seeded.now })],
    [
      'journeyMetrics, one quarter',
      () => analyticsQueries.journeyMetrics(seeded.journeyId, { since: new Date('2026-07-01T00:00:00Z'), until: new Date('2026-10-01T00:00:00Z'), now: seeded.now }),
    ],
    ['stateCounts', () => analyticsQueries.stateCounts(seeded.journeyId)],
    ['funnel', () => analyticsQueries.funnel(seeded.journeyId, seeded.definitionStates)],
    ['timeSeries', () => analyticsQueries.timeSeries(seeded.journeyId, { days: 30, now: seeded.now })],
    ['messageResponse', () => analyticsQueries.messageResponse(seeded.journeyId, { windowDays: 7 })],
    ['messageNotSentReasons', () => analyticsQueries.messageNotSentReasons(seeded.journeyId)],
  ];

  it.each(perJourney)('%s', async (_name, query) => {
    const nodes = await planOf(db, query());
    expect(seqScansOfBigTables(nodes), describePlan(nodes)).toEqual([]);
    // The journey's enrollments are found through one of the journey_version_id indexes.
    expect(indexesUsed(nodes).some((name) => name.startsWith('enrollment_journey_version_id_')), describePlan(nodes)).toBe(true);
  });

  it('attributes gifts by looking up each enrollment’s constituent, not by reading every gift', async () => {
    const nodes = await planOf(db, analyticsQueries.journeyMetrics(seeded.journeyId, { now: seeded.now }));
    const giftReads = nodes.filter((node) => node['Relation Name'] === 'interaction_event');
    expect(giftReads.length, describePlan(nodes)).toBeGreaterThan(0);
    expect(giftReads.every((node) => node['Index Name']?.startsWith('interaction_event_constituent_id_')), describePlan(nodes)).toBe(true);
  });
});

describe('analytics over everything', () => {
  it('journeySummaries counts each version’s enrollments from the index alone, and finds gifts per enrollment', async () => {
    // Every journey is every enrollment, so the work grows with the enrollments; what
    // must not happen is reading the enrollment table or every gift ever made for it.
    const nodes = await planOf(db, analyticsQueries.journeySummaries(seeded.now));
    expect(seqScansOfBigTables(nodes), describePlan(nodes)).toEqual([]);
    expect(
      nodes.some((node) => node['Node Type'] === 'Index Only Scan' && node['Index Name'] === 'enrollment_journey_version_id_status_entered_at_idx'),
      describePlan(nodes),
    ).toBe(true);
  });

  it('retention is answered from an index of the gifts alone, never the table', async () => {
    // Two years of gifts are read either as a range of the (type, occurred_at,
    // constituent_id) index or, while the history is short (three years here), as the
    // whole (constituent_id, type, occurred_at) index in donor order, which spares a sort;
    // the planner picks, and both read index entries only.
    const nodes = await planOf(db, analyticsQueries.retention(seeded.now));
    const giftReads = nodes.filter((node) => node['Relation Name'] === 'interaction_event');
    expect(seqScansOfBigTables(nodes), describePlan(nodes)).toEqual([]);
    expect(giftReads.length, describePlan(nodes)).toBeGreaterThan(0);
    const scan = giftReads.find((node) => node['Node Type'] === 'Index Only Scan');
    expect(scan?.['Index Name'], describePlan(nodes)).toMatch(/^interaction_event_(type_occurred_at_constituent_id|constituent_id_type_occurred_at)_idx$/);
  });

  it('taskQueues reads the tasks in one pass and nothing else', async () => {
    // Medians over every claimed and completed task need each task's times, so the
    // table is read whole, and that is the right plan: an index would be read whole
    // too, and the table behind it besides. What must hold is a single pass.
    const nodes = await planOf(db, analyticsQueries.taskQueues(seeded.now));
    const scans = nodes.filter((node) => node['Relation Name'] !== undefined);
    expect(scans.map((node) => node['Relation Name']), describePlan(nodes)).toEqual(['staff_task']);
  });
});

describe('page lists read one journey, constituent, enrollment or queue through indexes', () => {
  let logged: PrismaClient<'query'>;
  const statements: { sql: string; params: unknown[] }[] = [];

  beforeAll(() => {
    // The SQL Prisma writes for each list, captured as it runs and then explained.
    logged = new PrismaClient({ adapter: new PrismaPg({ connectionString: database.url, max: 1 }), log: [{ emit: 'event', level: 'query' }] });
    logged.$on('query', (event) => statements.push({ sql: event.query, params: JSON.parse(event.params) as unknown[] }));
  });
  afterAll(() => logged?.$disconnect());

  it('every statement of every list', async () => {
    const lists = pageQueries(logged as unknown as Database, seeded);
    const findings: string[] = [];
    let explained = 0;
    for (const [name, run] of Object.entries(lists)) {
      statements.length = 0;
      await run();
      expect(statements.length, name).toBeGreaterThan(0);
      for (const statement of statements) {
        const nodes = await planOf(db, statement);
        explained += 1;
        const scanned = seqScansOfBigTables(nodes);
        if (scanned.length > 0) findings.push(`${name}: Seq Scan on ${scanned.join(', ')}\n${statement.sql}\n${describePlan(nodes)}`);
      }
    }
    expect(findings).toEqual([]);
    expect(explained).toBeGreaterThanOrEqual(Object.keys(lists).length);
  });
});
