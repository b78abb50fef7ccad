/**
 * Records workflow histories (enrollments, webhook deliveries) from the build at hand,
 * for the replay test: every later build must replay them without a nondeterminism
 * error, so enrollments asleep and deliveries waiting to retry in production when a
 * new worker rolls out carry on.
 *
 *   npx tsx test/workflows/replay/record-histories.ts <label> [scenario-prefix …]
 *
 * writes `test/fixtures/workflow-histories/<label>/<scenario>.history.bin`, for every
 * scenario or only those whose names start with a given prefix (`webhook-`). Record a
 * new label whenever the workflow code changes, and keep the old ones.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';

const { temporal } = proto;
import { replayScenarios } from './scenarios.ts';
import { webhookDeliveryScenarios } from './webhook-scenarios.ts';
import { startTestRuntime } from '../../support/runtime.ts';

const [label, ...prefixes] = process.argv.slice(2);
if (!label || !/^[a-z0-9-]+$/.test(label)) {
  console.error('usage: npx tsx test/workflows/replay/record-histories.ts <label, e.g. 2026-12-activities> [scenario-prefix …]');
  process.exit(2);
}
const scenarios = [...replayScenarios, ...webhookDeliveryScenarios].filter((scenario) => prefixes.length === 0 || prefixes.some((prefix) => scenario.name.startsWith(prefix)));
if (scenarios.length === 0) {
  console.error(`no scenario's name starts with ${prefixes.join(' or ')}`);
  process.exit(2);
}
const outDir = fileURLToPath(new URL(`../../fixtures/workflow-histories/${label}/`, import.meta.url));
await mkdir(outDir, { recursive: true });

const runtime = await startTestRuntime();
try {
  for (const scenario of scenarios) {
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
