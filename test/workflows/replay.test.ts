/**
 * Workflow code is live: enrollments asleep for months, and webhook deliveries waiting
 * a day of retries, wake on whichever build is deployed then. Every history recorded
 * from an earlier build (`test/fixtures/workflow-histories/<build>/`, made by
 * `replay/record-histories.ts`) must replay on today's workflow code without a
 * nondeterminism error.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflows } from '../../src/temporal/workflow-bundle.ts';

const { History } = proto.temporal.api.history.v1;
const fixtures = fileURLToPath(new URL('../fixtures/workflow-histories/', import.meta.url));

const builds = (await readdir(fixtures, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
const histories = await Promise.all(
  builds.map(async (build) => {
    const files = (await readdir(path.join(fixtures, build))).filter((file) => file.endsWith('.history.bin'));
    return { build, files };
  }),
);

/** Long-lived workflows whose histories must be kept: those that sleep or retry across a deployment. */
const longLived = ['enrollmentWorkflow', 'deliverWebhookWorkflow'];

async function workflowTypeOf(build: string, file: string): Promise<string | null | undefined> {
  const history = History.decode(await readFile(path.join(fixtures, build, file)));
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
}

let bundle: WorkflowBundle;
beforeAll(async () => {
  bundle = await bundleWorkflows();
});

describe('histories recorded from earlier builds replay on this one', () => {
  it('has histories to replay', () => {
    expect(histories.flatMap((entry) => entry.files).length).toBeGreaterThan(0);
  });

  it('has histories of every long-lived workflow', async () => {
    const types = await Promise.all(histories.flatMap(({ build, files }) => files.map((file) => workflowTypeOf(build, file))));
    expect(longLived.filter((type) => !types.includes(type))).toEqual([]);
  });

  for (const { build, files } of histories) {
    for (const file of files) {
      it(`${build}/${file}`, async () => {
        const history = History.decode(await readFile(path.join(fixtures, build, file)));
        expect(history.events?.length).toBeGreaterThan(0);
        // Throws DeterminismViolationError when today's code would take another path.
        await Worker.runReplayHistory({ workflowBundle: bundle }, history, `${build}/${file}`);
      });
    }
  }
});
