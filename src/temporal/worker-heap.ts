/**
 * How much memory a worker's JavaScript heaps may take.
 *
 * Left to itself, V8 lets a heap grow to several times what it holds before it
 * collects harder, and keeps what it grew: a worker with 1,000 enrollments asleep
 * held about 136 MB live in its workflow thread and 101 MB on its main thread, yet
 * its resident memory read 960 MB. Two settings bring the heaps close to what they
 * hold (`npm run bench:load -- --only=e` measures them):
 *
 * - a smaller growing factor (`--heap-growing-percent`), which V8 reads each time it
 *   sets a heap's next limit, so it applies to every thread of the process from the
 *   moment it is set; it costs more frequent collections;
 * - a bound on the workflow thread's heap. The Temporal SDK creates that thread with
 *   no resource limits, and the V8 flag is the one bound a thread takes when it is
 *   created, so the worker sets it just while its thread starts and lifts it
 *   afterwards. It follows the cache: a workflow kept between its steps costs up to
 *   about 1 MB, so a larger `STEWARD_WORKER_CACHED_WORKFLOWS` gets a larger heap
 *   rather than an out-of-memory stop.
 *
 * A process started with a heap bound of its own (NODE_OPTIONS or node's command
 * line) keeps it for every thread, and the thread bound is not set.
 */
import v8 from 'node:v8';

/** What the workflow thread holds with no workflow cached (bundle, SDK runtime, compiled journeys), with room. */
const BASE_MB = 128;
/** Per cached workflow: half again the most one was seen to hold. */
const PER_CACHED_WORKFLOW_MB = 1.5;
const MINIMUM_MB = 256;

/** Old-generation heap, in MB, for a workflow thread that keeps `cachedWorkflows` in memory. */
export function workflowHeapMb(cachedWorkflows: number): number {
  return Math.max(MINIMUM_MB, BASE_MB + Math.ceil(PER_CACHED_WORKFLOW_MB * cachedWorkflows));
}

/**
 * Lets each heap of this process grow by at most `percent` over what it held after
 * its last full collection; 0 leaves V8's own factor, which it sets from how fast
 * the program allocates.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}

const HEAP_FLAG = /(^|\s)--max[-_]old[-_]space[-_]size\b/;

/** Whether node was started with a heap bound (on its command line or in NODE_OPTIONS), which then applies to every thread. */
export function heapBoundGiven(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): boolean {
  return execArgv.some((arg) => HEAP_FLAG.test(arg)) || HEAP_FLAG.test(nodeOptions);
}

/**
 * Runs `start`, during which new threads get an old-generation heap of at most
 * `mb` MB; `start` must resolve only once its threads are running (the SDK's
 * `Worker.create` waits for its workflow thread to load the bundle). Without a
 * bound (undefined), or when the process has a bound of its own, only runs `start`.
 */
export async function withThreadHeapBound<T>(mb: number | undefined, start: () => Promise<T>): Promise<T> {
  if (mb === undefined || heapBoundGiven()) return start();
  v8.setFlagsFromString(`--max-old-space-size=${mb}`);
  try {
    return await start();
  } finally {
    // 0 is V8's "not set": threads created from now on are sized by V8 again.
    v8.setFlagsFromString('--max-old-space-size=0');
  }
}
