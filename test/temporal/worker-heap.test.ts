import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { heapBoundGiven, withThreadHeapBound, workflowHeapMb } from '../../src/temporal/worker-heap.ts';

/** Starts a thread and answers the heap limit it was created with, in MB, once it runs. */
async function threadHeapLimitMb(): Promise<{ thread: Worker; limitMb: number }> {
  const thread = new Worker("require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapStatistics().heap_size_limit)", { eval: true });
  const [limit] = (await once(thread, 'message')) as [number];
  return { thread, limitMb: limit / 2 ** 20 };
}

describe('the workflow thread heap bound', () => {
  it('bounds the threads started while it is in force, and only those', async () => {
    // A process started with a heap flag of its own keeps it: this test needs one without.
    expect(heapBoundGiven(), 'run this test without --max-old-space-size').toBe(false);
    const before = await threadHeapLimitMb();
    const during = await withThreadHeapBound(300, threadHeapLimitMb);
    const after = await threadHeapLimitMb();
    await Promise.all([before, during, after].map(({ thread }) => thread.terminate()));

    // The limit V8 reports adds the young generation to the old one.
    expect(during.limitMb).toBeGreaterThanOrEqual(300);
    expect(during.limitMb).toBeLessThan(400);
    expect(before.limitMb).toBeGreaterThan(400);
    expect(after.limitMb).toBe(before.limitMb);
  });

  it('lifts the bound when starting fails', async () => {
    await expect(withThreadHeapBound(300, () => Promise.reject(new Error('no Temporal')))).rejects.toThrow('no Temporal');
    const after = await threadHeapLimitMb();
    await after.thread.terminate();
    expect(after.limitMb).toBeGreaterThan(400);
  });

  it('grows with the workflow cache', () => {
    expect(workflowHeapMb(2)).toBe(256);
    expect(workflowHeapMb(100)).toBe(278);
    expect(workflowHeapMb(1_000)).toBe(1_628);
  });

  it('recognises a heap bound given to node, in either spelling', () => {
    expect(heapBoundGiven(['--max-old-space-size=512'], '')).toBe(true);
    expect(heapBoundGiven([], '--enable-source-maps --max_old_space_size=512')).toBe(true);
    expect(heapBoundGiven(['--max-semi-space-size=4'], '--import tsx')).toBe(false);
  });
});
