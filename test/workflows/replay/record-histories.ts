/**
 * Records enrollment workflow histories from the build at hand, for the replay
 * test: every later build must replay them without a nondeterminism error, so
 * enrollments asleep in production when a new worker rolls out carry on.
 *
 *   npx tsx test/workflows/replay/record-histories.ts <label>
 *
 * writes `test/fixtures/workflow-histories/<label>/<scenario>.history.bin`. Record a new
 * label whenever the workflow code changes, and keep the old ones.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';

const { temporal } = proto;
import { replayScenarios } from './scenarios.ts';
import { startTestRuntime } from '../../support/runtime.ts';

const label = process.argv[2];
if (!label || !/^[a-z0-9-]+$/.test(label)) {
  console.error('usage: npx tsx test/workflows/replay/record-histories.ts <label, e.g. 2026-12-activities>');
  process.exit(2);
}
const outDir = fileURLToPath(new URL(`../../fixtures/workflow-histories/${label}/`, import.meta.url));
await mkdir(outDir, { recursive: true });

const runtime = await startTestRuntime();
try {
  for (const scenario of replayScenarios) {
    process.stderr.write(`recording ${scenario.name} … `);
    const workflowIds = await scenario.run(runtime);
    for (const [index, workflowId] of workflowIds.entries()) {
      const history = await runtime.env.client.workflow.getHandle(workflowId).fetchHistory();
      const file = path.join(outDir, `${scenario.name}${workflowIds.length > 1 ? `-${index + 1}` : ''}.history.bin`);
      // Temporal's own wire format: what the server stores and replays.
      await writeFile(file, temporal.api.history.v1.History.encode(history).finish());
    }
    process.stderr.write(`${workflowIds.length} history(ies)\n`);
  }
} finally {
  await runtime.stop();
}
