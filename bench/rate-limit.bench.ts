/**
 * What the shared rate limit adds to each API request: one upsert in PostgreSQL,
 * against one round trip (`SELECT 1`) as the baseline, for one busy key and for a
 * crowd of 10,000 distinct clients. Against the server named by DATABASE_URL, or
 * embedded PGlite without one. Run with `npm run bench`.
 */
import { afterAll, bench, describe } from 'vitest';
import { createRateLimitStore } from '../src/api/rate-limit-store.ts';
import { createTestDatabase } from '../test/support/database.ts';

const database = await createTestDatabase();
const db = database.prisma;
afterAll(() => database.drop());

const store = createRateLimitStore({ db, log: console, sweepEveryMs: Number.POSITIVE_INFINITY });
let client = 0;

describe(`rate limit (${database.kind})`, () => {
  bench('baseline: one round trip', async () => {
    await db.$queryRaw`SELECT 1`;
  });
  bench('count a request: one busy key', async () => {
    await store.count('bench:busy', 60_000);
  });
  bench('count a request: 10,000 clients in turn', async () => {
    client = (client + 1) % 10_000;
    await store.count(`bench:client:${client}`, 60_000);
  });
});
