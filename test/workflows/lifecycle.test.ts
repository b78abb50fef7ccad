/**
 * Journey lifecycle on the durable runtime: a new version affects new enrollments
 * only; pause holds enrollments and sends, resume releases them; archive and manual
 * removal end enrollments at once, with their reason.
 */
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.ts';
import type { Database } from '../../src/db/client.ts';
import type { CatalogJourney } from '../../src/journeys/catalog.ts';
import { JourneyDefinition, type JourneyDefinitionInput } from '../../src/journeys/definition.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { createServices, type Services } from '../../src/services.ts';
import { enrollmentStateQuery } from '../../workflows/contract.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';
import { injectWithKey, makeKey, routed } from '../support/api.ts';

const DAY = 86_400_000;

let runtime: TestRuntime;
let env: TestRuntime['env'];
let db: Database;
let services: Services;
let api: FastifyInstance;
let call: ReturnType<typeof injectWithKey>;
let worker: Worker;

beforeAll(async () => {
  runtime = await startTestRuntime();
  ({ env, db } = runtime);
  services = createServices({ db, temporal: env.client, taskQueue: runtime.taskQueue });
  api = buildApi(services);
  call = injectWithKey(api, await makeKey(services.keys));
});

beforeEach(async () => {
  worker = await runtime.worker();
});

afterAll(async () => {
  await api?.close();
  await runtime?.stop();
});

/** A two-email journey: `first`, then after `gap` the `second`, then done after another `gap`. */
function journey(id: string, version: number, first: string, second: string, gap: string): JourneyDefinitionInput {
  return {
    id,
    name: id,
    version,
    trigger: { event: 'donation' },
    initial: 'thanked',
    states: {
      thanked: { entry: [{ do: 'email', template: first }], after: [{ delay: gap, to: 'impact' }] },
      impact: { entry: [{ do: 'email', template: second }], after: [{ delay: gap, to: 'done' }] },
      done: { final: true },
    },
  };
}

/** Stores a version; a published one is the only live journey, so each test sees its own alone. */
async function store(definition: JourneyDefinitionInput, publish: boolean) {
  if (publish) await db.journeyVersion.updateMany({ where: { journeyId: { not: definition.id }, status: 'published' }, data: { status: 'draft' } });
  const entry: CatalogJourney = { definition: JourneyDefinition.parse(definition), source: `${definition.id}.ts`, publishOnStart: publish };
  await publishJourneyCatalog(db, [entry]);
}

async function donate(email = `${randomUUID()}@example.org`) {
  const response = await call({
    method: 'POST',
    url: '/events',
    payload: { id: randomUUID(), type: 'donation', constituent: { email, firstName: 'Ada', consent: { email: 'granted' } }, data: { amount: 30, currency: 'USD' } },
  });
  return routed(call, response);
}

const templatesOf = async (enrollmentId: string) =>
  (await db.message.findMany({ where: { enrollmentId }, orderBy: { createdAt: 'asc' } })).map((message) => `${message.template} ${message.status}`);

describe('journey lifecycle', () => {
  it('sends new enrollments to a newly published version while enrollments in flight finish on theirs', async () => {
    await store(journey('versioned', 1, 'new-donor-thanks', 'new-donor-impact', '10d'), true);
    const [early] = (await donate()).enrollments;

    await store(journey('versioned', 2, 'first-gift-thank-you', 'new-donor-impact', '5d'), false);
    await services.lifecycle.publish('versioned', 2);
    const [late] = (await donate()).enrollments;

    const versionOf = async (enrollmentId: string) =>
      (await db.enrollment.findUniqueOrThrow({ where: { id: enrollmentId }, include: { journeyVersion: true } })).journeyVersion.version;
    expect([await versionOf(early!.enrollmentId), await versionOf(late!.enrollmentId)]).toEqual([1, 2]);

    // One result at a time: the time-skipping server advances to the timers of the workflow being awaited.
    const outcomes = await worker.runUntil(async () => {
      const lateOutcome = await env.client.workflow.getHandle(late!.workflowId).result();
      return [await env.client.workflow.getHandle(early!.workflowId).result(), lateOutcome];
    });
    expect(outcomes).toEqual(['completed', 'completed']);
    expect(await templatesOf(early!.enrollmentId)).toEqual(['new-donor-thanks sent', 'new-donor-impact sent']);
    expect(await templatesOf(late!.enrollmentId)).toEqual(['first-gift-thank-you sent', 'new-donor-impact sent']);
    const span = async (enrollmentId: string) => {
      const steps = await db.enrollmentTransition.findMany({ where: { enrollmentId }, orderBy: { sequence: 'asc' } });
      return Math.round((steps.at(-1)!.at.getTime() - steps[0]!.at.getTime()) / DAY);
    };
    expect([await span(early!.enrollmentId), await span(late!.enrollmentId)]).toEqual([20, 10]);
  });

  it('migrates enrollments in flight onto a new version when asked, mapping their states', async () => {
    await store(journey('migrating', 1, 'new-donor-thanks', 'new-donor-impact', '10d'), true);
    const [enrollment] = (await donate()).enrollments;
    await store(
      {
        id: 'migrating',
        name: 'migrating',
        version: 2,
        trigger: { event: 'donation' },
        initial: 'welcomed',
        states: {
          welcomed: { entry: [{ do: 'email', template: 'first-gift-thank-you' }], after: [{ delay: '3d', to: 'askedAgain' }] },
          askedAgain: { entry: [{ do: 'email', template: 'new-donor-second-ask' }], after: [{ delay: '3d', to: 'done' }] },
          done: { final: true },
        },
      },
      false,
    );
    await services.lifecycle.publish('migrating', 2);
    const handle = env.client.workflow.getHandle(enrollment!.workflowId);
    const outcome = await worker.runUntil(async () => {
      await eventually(async () => ((await templatesOf(enrollment!.enrollmentId)).length === 1 ? true : undefined), 'the v1 thank-you');
      const unmapped = await call({ method: 'POST', url: '/journeys/migrating/migrate', payload: { from: 1, to: 2, states: { thanked: 'welcomed' } } });
      expect(unmapped.statusCode).toBe(409);
      expect(unmapped.json().error.message).toBe('Migration refused: state "impact" of version 1 is not mapped');
      const response = await call({
        method: 'POST',
        url: '/journeys/migrating/migrate',
        payload: { from: 1, to: 2, states: { thanked: 'welcomed', impact: 'askedAgain' } },
      });
      expect(response.json()).toEqual({ enrollments: 1 });
      return handle.result();
    });
    expect(outcome).toBe('completed');
    // The v1 thank-you, nothing on arrival in v2, then v2's own next step.
    expect(await templatesOf(enrollment!.enrollmentId)).toEqual(['new-donor-thanks sent', 'new-donor-second-ask sent']);
    const steps = await db.enrollmentTransition.findMany({ where: { enrollmentId: enrollment!.enrollmentId }, orderBy: { sequence: 'asc' } });
    expect(steps.map((step) => [step.fromState, step.toState, step.cause])).toEqual([
      [null, 'thanked', 'enrolled'],
      ['thanked', 'welcomed', 'migrated'],
      ['welcomed', 'askedAgain', 'timer'],
      ['askedAgain', 'done', 'timer'],
    ]);
    expect(Math.round((steps[2]!.at.getTime() - steps[1]!.at.getTime()) / DAY)).toBe(3);
    const row = await db.enrollment.findUniqueOrThrow({ where: { id: enrollment!.enrollmentId }, include: { journeyVersion: true } });
    expect(row.journeyVersion.version).toBe(2);
  });

  it('holds sends and new enrollments while paused, and releases them on resume', async () => {
    await store(journey('pausable', 1, 'new-donor-thanks', 'new-donor-impact', '1d'), true);
    const [enrollment] = (await donate()).enrollments;
    const handle = env.client.workflow.getHandle(enrollment!.workflowId);

    const outcome = await worker.runUntil(async () => {
      await eventually(async () => ((await templatesOf(enrollment!.enrollmentId)).length === 1 ? true : undefined), 'the first email');
      expect(await services.lifecycle.pause('pausable', 1)).toMatchObject({ enrollments: 1 });
      await env.sleep(3 * DAY);
      // Time moved on and the journey with it, but nothing was sent.
      await eventually(async () => ((await handle.query(enrollmentStateQuery))?.state === 'impact' ? true : undefined), 'the impact step');
      expect(await handle.query(enrollmentStateQuery)).toMatchObject({ paused: true });
      expect(await templatesOf(enrollment!.enrollmentId)).toEqual(['new-donor-thanks sent']);
      expect((await donate()).enrollments).toEqual([]);

      await services.lifecycle.resume('pausable', 1);
      return handle.result();
    });
    expect(outcome).toBe('completed');
    expect(await templatesOf(enrollment!.enrollmentId)).toEqual(['new-donor-thanks sent', 'new-donor-impact sent']);
  });

  it('ends every enrollment of an archived version at once, with the reason', async () => {
    await store(journey('archivable', 1, 'new-donor-thanks', 'new-donor-impact', '30d'), true);
    const enrollments = [...(await donate()).enrollments, ...(await donate()).enrollments];
    const outcomes = await worker.runUntil(async () => {
      await eventually(async () => ((await db.message.count({ where: { enrollmentId: { in: enrollments.map((e) => e.enrollmentId) } } })) === 2 ? true : undefined), 'the thank-yous');
      const response = await call({ method: 'POST', url: '/journeys/archivable/versions/1/archive', payload: { reason: 'campaign over' } });
      expect(response.json()).toMatchObject({ enrollments: 2, version: { status: 'archived' } });
      // One result at a time (see the version test): the time-skipping server follows the awaited workflow.
      const results = [];
      for (const e of enrollments) results.push(await env.client.workflow.getHandle(e.workflowId).result());
      return results;
    });
    expect(outcomes).toEqual(['exited', 'exited']);
    for (const { enrollmentId } of enrollments) {
      expect(await db.enrollment.findUniqueOrThrow({ where: { id: enrollmentId } })).toMatchObject({
        status: 'exited',
        currentState: 'exited',
        exitReason: 'removed: campaign over',
      });
    }
    expect((await donate()).enrollments).toEqual([]);
  });

  it('removes one enrollment on request, and says so when it has already ended', async () => {
    await store(journey('removable', 1, 'new-donor-thanks', 'new-donor-impact', '30d'), true);
    const [enrollment] = (await donate()).enrollments;
    const outcome = await worker.runUntil(async () => {
      await eventually(async () => ((await templatesOf(enrollment!.enrollmentId)).length === 1 ? true : undefined), 'the thank-you');
      const response = await call({ method: 'POST', url: `/enrollments/${enrollment!.enrollmentId}/remove`, payload: { reason: 'asked by the donor' } });
      expect(response.statusCode).toBe(202);
      return env.client.workflow.getHandle(enrollment!.workflowId).result();
    });
    expect(outcome).toBe('exited');
    expect(await db.enrollment.findUniqueOrThrow({ where: { id: enrollment!.enrollmentId } })).toMatchObject({ exitReason: 'removed: asked by the donor' });
    const again = await call({ method: 'POST', url: `/enrollments/${enrollment!.enrollmentId}/remove`, payload: { reason: 'again' } });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({ error: { message: `Enrollment ${enrollment!.enrollmentId} has already ended (exited)` } });
  });
});
