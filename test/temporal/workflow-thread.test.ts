/**
 * Steward's set-up of the worker's workflow thread (src/temporal/workflow-thread.cjs):
 * what it keeps of the Temporal SDK's per-step stack traces and time limit, on a
 * real worker of the time-skipping test server.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import workerThreads from 'node:worker_threads';
import { once } from 'node:events';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkerOptions, type WorkflowBundle } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServerExecutable } from '../../src/temporal/binaries.ts';
import { withWorkflowThreadSetup, type WorkflowThreadOptions } from '../../src/temporal/workflow-thread-setup.ts';
import { eventually } from '../support/wait.ts';

const workflowsPath = fileURLToPath(new URL('./thread-workflows.ts', import.meta.url));
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
/** A step of countsInOneStep that takes far longer than the short limit below on any machine. */
const LONG_STEP = 300_000_000;

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;

beforeAll(async () => {
  [env, bundle] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable: testServerExecutable() } }),
    bundleWorkflowCode({ workflowsPath, logger: quiet }),
  ]);
});

afterAll(async () => {
  await env?.teardown();
});

/** Runs `use` while a worker with its workflow thread set up as `options` say serves a task queue of its own. */
async function withWorker<T>(options: WorkflowThreadOptions, use: (taskQueue: string) => Promise<T>, extra: Partial<WorkerOptions> = {}): Promise<T> {
  const taskQueue = `thread-${randomUUID()}`;
  const worker = await withWorkflowThreadSetup(options, () =>
    Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, reuseV8Context: true, ...extra }),
  );
  return worker.runUntil(use(taskQueue));
}

/** Each thread of this process and its nice value (field 19 of /proc/self/task/<tid>/stat). */
async function threadNiceness(): Promise<Map<number, number>> {
  const result = new Map<number, number>();
  for (const tid of await readdir('/proc/self/task')) {
    const stat = await readFile(`/proc/self/task/${tid}/stat`, 'utf8').catch(() => undefined);
    if (!stat) continue; // the thread ended meanwhile
    // After the command name in parentheses (which may hold spaces), the third field is the state.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    result.set(Number(tid), Number(fields[19 - 3]));
  }
  return result;
}

/** The SDK's limit on a call into the sandbox is not among its typed options; a short one makes a long step easy to write. */
const shortCallLimit = { isolateExecutionTimeout: '50ms' } as Partial<WorkerOptions>;

describe('the workflow thread', () => {
  it('answers a stack-trace query with where the workflow waits when stack traces are kept', async () => {
    await withWorker({ stackTraces: true, callTimeout: true }, async (taskQueue) => {
      const handle = await env.client.workflow.start('waitsToBeTold', { workflowId: randomUUID(), taskQueue });
      const stack = await eventually(() => handle.query<string>('__stack_trace').catch(() => undefined), 'a stack trace');
      expect(stack).toContain('waitsToBeTold');
      await handle.signal('finish');
      expect(await handle.result()).toBe('finished');
    });
  });

  it('answers that stack traces are off when they are not kept, and runs workflows as before', async () => {
    await withWorker({ stackTraces: false, callTimeout: true }, async (taskQueue) => {
      const handle = await env.client.workflow.start('waitsToBeTold', { workflowId: randomUUID(), taskQueue });
      const refusal = await handle.query('__stack_trace').then(
        () => undefined,
        (error: Error) => error,
      );
      // The worker's words come as the error's message or, wrapped by the client, as its cause.
      expect(`${refusal?.message} ${String(refusal?.cause)}`).toMatch(/stack traces are not enabled on this worker/i);
      await handle.signal('finish');
      expect(await handle.result()).toBe('finished');
    });
  });

  it('fails a step that runs past the time limit while the limit is kept', async () => {
    await withWorker(
      { stackTraces: false, callTimeout: true },
      async (taskQueue) => {
        const handle = await env.client.workflow.start('countsInOneStep', { workflowId: randomUUID(), taskQueue, args: [LONG_STEP] });
        const failure = await eventually(async () => {
          const { events } = await handle.fetchHistory();
          return (events ?? []).find((event) => event.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure?.message ?? undefined;
        }, 'a failed workflow task', 120_000);
        expect(failure).toMatch(/timed out/i);
        await handle.terminate('the test is done');
      },
      shortCallLimit,
    );
  });

  it('lets that step finish when the limit is not kept', async () => {
    const expected = (() => {
      let sum = 0;
      for (let index = 0; index < LONG_STEP; index += 1) sum = (sum + index) % 1_000_003;
      return sum;
    })();
    await withWorker(
      { stackTraces: false, callTimeout: false },
      async (taskQueue) => {
        const handle = await env.client.workflow.start('countsInOneStep', { workflowId: randomUUID(), taskQueue, args: [LONG_STEP] });
        expect(await handle.result()).toBe(expected);
      },
      shortCallLimit,
    );
  });

  it.runIf(process.platform === 'linux')('runs the workflow thread at the nice value asked for, and only that thread', async () => {
    const before = await threadNiceness();
    await withWorker({ stackTraces: true, callTimeout: true, niceness: 7 }, async (taskQueue) => {
      const handle = await env.client.workflow.start('waitsToBeTold', { workflowId: randomUUID(), taskQueue });
      await handle.signal('finish');
      expect(await handle.result()).toBe('finished');
      const during = await threadNiceness();
      const lowered = [...during].filter(([thread, nice]) => nice === 7 && !before.has(thread));
      expect(lowered.length).toBeGreaterThan(0);
      // The thread that asked (the test's, where the API would run) keeps its priority.
      const self = Number((await readlink('/proc/thread-self')).split('/').pop());
      expect(during.get(self)).toBe(before.get(self));
    });
  });

  it('starts any other thread as asked, and puts the module back afterwards', async () => {
    const before = workerThreads.Worker;
    const answer = await withWorkflowThreadSetup({ stackTraces: false, callTimeout: false }, async () => {
      const thread = new workerThreads.Worker("require('node:worker_threads').parentPort.postMessage(42)", { eval: true });
      const [message] = (await once(thread, 'message')) as [number];
      await thread.terminate();
      return message;
    });
    expect(answer).toBe(42);
    expect(workerThreads.Worker).toBe(before);
  });

  it('sets up one worker at a time, and puts the module back when a start fails', async () => {
    const before = workerThreads.Worker;
    const order: string[] = [];
    let finishFirst!: () => void;
    const first = withWorkflowThreadSetup({ stackTraces: false, callTimeout: true }, async () => {
      order.push('first started');
      await new Promise<void>((resolve) => (finishFirst = resolve));
      order.push('first done');
    });
    const second = withWorkflowThreadSetup({ stackTraces: false, callTimeout: false }, async () => {
      order.push('second started');
      throw new Error('no Temporal');
    });
    await eventually(async () => (order.length > 0 ? true : undefined), 'the first start');
    expect(order).toEqual(['first started']);
    finishFirst();
    await first;
    await expect(second).rejects.toThrow('no Temporal');
    expect(order).toEqual(['first started', 'first done', 'second started']);
    expect(workerThreads.Worker).toBe(before);
  });
});
