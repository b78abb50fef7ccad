/**
 * How long the pages' queries take at the volume of a large nonprofit (100,000
 * constituents, a million interactions, ten journeys): each analytics method and each
 * list, against the PostgreSQL server named by DATABASE_URL, or embedded PGlite
 * without one. Each group starts with one round trip (`SELECT 1`) as its baseline, so
 * the summary reads as "so many round trips". Run with `npm run bench`.
 */
import { afterAll, bench, describe } from 'vitest';
import { createAnalytics } from '../src/analytics/metrics.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { pageQueries, seedVolume } from '../test/support/volume.ts';

const database = await createTestDatabase();
const db = database.prisma;
const started = performance.now();
const seeded = await seedVolume(db, { now: new Date('2026-11-23T12:00:00.000Z'), log: (line) => console.log(`seed (${database.kind}): ${line}`) });
console.log(`seed (${database.kind}): ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
afterAll(() => database.drop());

const analytics = createAnalytics(db);
const { journeyId, definitionStates, now } = seeded;
/** A bench function runs for its time only; what the query returns is dropped. */
const timed = (run: () => Promise<unknown>) => async () => {
  await run();
};
const roundTrip = timed(() => db.$queryRaw`SELECT 1`);

describe(`analytics (${database.kind})`, () => {
  bench('baseline: one round trip', roundTrip);
  bench('journeySummaries: every journey', timed(() => analytics.journeySummaries(now)));
  bench('journeyMetrics: one journey, all time', timed(() => analytics.journeyMetrics(journeyId, { now })));
  const quarter = { since: new Date('2026-07-01T00:00:00Z'), until: new Date('2026-10-01T00:00:00Z'), now };
  bench('journeyMetrics: one journey, one quarter', timed(() => analytics.journeyMetrics(journeyId, quarter)));
  bench('stateCounts: one journey', timed(() => analytics.stateCounts(journeyId)));
  bench('funnel: one journey', timed(() => analytics.funnel(journeyId, definitionStates)));
  bench('timeSeries: one journey, 30 days', timed(() => analytics.timeSeries(journeyId, { days: 30, now })));
  bench('timeSeries: one journey, 365 days', timed(() => analytics.timeSeries(journeyId, { days: 365, now })));
  bench('messageResponse: one journey', timed(() => analytics.messageResponse(journeyId)));
  bench('taskQueues: every queue', timed(() => analytics.taskQueues(now)));
  bench('retention: every donor', timed(() => analytics.retention(now)));
});

describe(`page lists (${database.kind})`, () => {
  bench('baseline: one round trip', roundTrip);
  for (const [name, run] of Object.entries(pageQueries(db, seeded))) bench(name, timed(run));
});
