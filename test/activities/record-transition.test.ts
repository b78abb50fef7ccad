/** recordTransition on a real database: each step once, the enrollment where its last step left it. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordTransition, type RecordTransitionInput } from '../../activities/record-transition.ts';
import type { Database } from '../../src/db/client.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let db: Database;
let recordTransition: ReturnType<typeof createRecordTransition>;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.prisma;
  recordTransition = createRecordTransition({ db });
});
afterAll(() => database?.drop());

async function enrollment() {
  const constituent = await db.constituent.create({ data: { email: `${randomUUID()}@example.org` } });
  await db.journey.upsert({ where: { id: 'rt' }, create: { id: 'rt', name: 'RT' }, update: {} });
  const versions = await Promise.all(
    [1, 2].map((version) =>
      db.journeyVersion.upsert({
        where: { journeyId_version: { journeyId: 'rt', version } },
        create: { journeyId: 'rt', version, definition: {}, status: 'published' },
        update: {},
      }),
    ),
  );
  const row = await db.enrollment.create({ data: { workflowId: `wf-${randomUUID()}`, constituentId: constituent.id, journeyVersionId: versions[0]!.id, currentState: 'start' } });
  return { enrollmentId: row.id, versions: versions.map((version) => version.id) };
}

const step = (enrollmentId: string, sequence: number, extra: Partial<RecordTransitionInput> = {}): RecordTransitionInput => ({
  enrollmentId,
  sequence,
  fromState: sequence === 0 ? null : `s${sequence - 1}`,
  toState: `s${sequence}`,
  cause: sequence === 0 ? 'enrolled' : 'timer',
  status: 'active',
  snapshot: { value: `s${sequence}`, context: { n: sequence, note: 'é ✓' } },
  at: new Date(Date.UTC(2026, 11, 1, 12, sequence)).toISOString(),
  ...extra,
});

describe('recordTransition', () => {
  it('records each step once and leaves the enrollment where the step put it', async () => {
    const { enrollmentId, versions } = await enrollment();
    const eventId = randomUUID();
    await recordTransition(step(enrollmentId, 0, { eventId }));
    await recordTransition(step(enrollmentId, 0, { eventId }));
    await recordTransition(step(enrollmentId, 1, { journeyVersionId: versions[1] }));

    const transitions = await db.enrollmentTransition.findMany({ where: { enrollmentId }, orderBy: { sequence: 'asc' } });
    expect(transitions.map(({ sequence, fromState, toState, cause, eventId: event, at }) => ({ sequence, fromState, toState, cause, event, at }))).toEqual([
      { sequence: 0, fromState: null, toState: 's0', cause: 'enrolled', event: eventId, at: new Date(step(enrollmentId, 0).at) },
      { sequence: 1, fromState: 's0', toState: 's1', cause: 'timer', event: null, at: new Date(step(enrollmentId, 1).at) },
    ]);
    const row = await db.enrollment.findUniqueOrThrow({ where: { id: enrollmentId } });
    expect(row).toMatchObject({ currentState: 's1', status: 'active', exitedAt: null, exitReason: null, journeyVersionId: versions[1], snapshot: { value: 's1', context: { n: 1, note: 'é ✓' } } });
  });

  it('keeps the journey version when a step does not move it, and the cause of an early exit', async () => {
    const { enrollmentId, versions } = await enrollment();
    await recordTransition(step(enrollmentId, 0));
    await recordTransition(step(enrollmentId, 1, { status: 'exited', cause: 'unsubscribed' }));

    const row = await db.enrollment.findUniqueOrThrow({ where: { id: enrollmentId } });
    expect(row).toMatchObject({ status: 'exited', exitReason: 'unsubscribed', exitedAt: new Date(step(enrollmentId, 1).at), journeyVersionId: versions[0] });
    // A retried exit adds nothing to the history.
    await recordTransition(step(enrollmentId, 1, { status: 'exited', cause: 'unsubscribed' }));
    expect(await db.enrollmentTransition.count({ where: { enrollmentId } })).toBe(2);
  });

  it('fails for an enrollment that does not exist, writing nothing', async () => {
    const enrollmentId = randomUUID();
    await expect(recordTransition(step(enrollmentId, 0))).rejects.toThrow();
    expect(await db.enrollmentTransition.count({ where: { enrollmentId } })).toBe(0);
  });
});
