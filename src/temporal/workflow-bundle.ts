/**
 * The workflow code, bundled for Temporal's sandbox. Bundling runs webpack, whose
 * memory a process keeps long after it is done (about 130 MB here): a worker
 * that bundled for itself carried that through every hour it ran. So the bundle
 * is made in a short-lived child process, which hands back the code and exits,
 * and the worker holds the code alone.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';

const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const thisFile = fileURLToPath(import.meta.url);

/** Bundles the workflow code in a child process; Temporal runs it in its deterministic sandbox. */
export async function bundleWorkflows(): Promise<WorkflowBundle> {
  const dir = await mkdtemp(path.join(tmpdir(), 'steward-bundle-'));
  const output = path.join(dir, 'workflows.js');
  try {
    await runChild(output);
    return { code: await readFile(output, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runChild(output: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', thisFile, output], { cwd: projectRoot, stdio: ['ignore', 'inherit', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`Bundling the workflow code failed (${signal ?? `exit ${code}`}):\n${errors.trim()}`)),
    );
  });
}

/** Webpack reports every module it packs at info level; only problems matter here. */
const quietBundlerLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string, meta?: unknown) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: unknown) => console.error(message, meta ?? ''),
};

// Run as the child: bundle, write the code where the parent asked, exit.
if (process.argv[1] === thisFile && process.argv[2]) {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
  await writeFile(process.argv[2], code);
}
