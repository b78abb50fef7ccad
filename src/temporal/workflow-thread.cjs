// @ts-check
/**
 * The main script of the worker's workflow thread. The Temporal SDK starts that
 * thread on a script of its own; Steward starts it on this one instead (see
 * workflow-thread-setup.ts), which sets the thread up as Steward's settings say
 * and then runs the SDK's script, unchanged, in the same thread. Plain CommonJS:
 * a worker thread starts without the TypeScript loader the main thread has.
 *
 * What it can turn off are two costs the SDK pays on every workflow step, whatever
 * the workflow does (`bench/workflow-replay.ts` measures them):
 *
 * - Stack traces of promises. The SDK hooks every promise created in workflow code
 *   and records the stack it was made at, for the `__stack_trace` query that says where a
 *   workflow waits. Off, the thread skips that work, and a stack-trace query answers
 *   that stack traces are not enabled on this worker (the SDK's own answer when it
 *   runs without its hook).
 * - The time limit on each call into the workflow sandbox. Node enforces a vm
 *   call's timeout by starting and joining a thread for the call, and the SDK makes
 *   several calls per step. Off, a step that never ends (a loop in workflow code)
 *   holds the thread until the worker restarts, instead of failing its task.
 */
const fs = require('node:fs');
const os = require('node:os');
const vm = require('node:vm');
const { workerData } = require('node:worker_threads');

/** @type {import('./workflow-thread-setup.ts').WorkflowThreadSetup} */
const setup = workerData;

function withoutPromiseStacks() {
  /** @type {{ globalHandlers?: { install?: () => void, stopPromiseHook?: () => void, promiseHookInstalled?: boolean } }} */
  const shared = require('@temporalio/worker/lib/workflow/vm-shared.js');
  const handlers = shared.globalHandlers;
  if (typeof handlers?.install !== 'function' || typeof handlers.stopPromiseHook !== 'function' || typeof handlers.promiseHookInstalled !== 'boolean') {
    throw new Error('This Temporal SDK keeps its workflow stack-trace hook elsewhere: set STEWARD_WORKFLOW_STACK_TRACES=true');
  }
  // Installed here, install() does nothing when the SDK calls it. What it set up
  // stays (the source-mapped stacks of errors), except the promise hook, and the
  // SDK reads promiseHookInstalled to tell each workflow whether stacks are kept.
  handlers.install();
  handlers.stopPromiseHook();
  handlers.promiseHookInstalled = false;
}

function withoutCallTimeout() {
  const runInContext = vm.Script.prototype.runInContext;
  vm.Script.prototype.runInContext = function (context, options) {
    if (options?.timeout === undefined) return runInContext.call(this, context, options);
    const { timeout: _timeout, ...rest } = options;
    return runInContext.call(this, context, rest);
  };
}

/**
 * Runs this thread, and the threads it starts, at a lower OS priority, so that on
 * a busy machine the API's thread, the router and the activities are served
 * first. Linux sets a nice value per thread: this thread's id is the last part of
 * /proc/thread-self. Elsewhere priority is per process, and the thread refuses to
 * start rather than lower the API's priority with it.
 * @param {number} niceness
 */
function atLowerPriority(niceness) {
  let threadId;
  try {
    threadId = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    throw new Error('STEWARD_WORKFLOW_THREAD_NICE needs Linux (it sets the nice value of one thread); set it to 0 here');
  }
  os.setPriority(threadId, niceness);
}

if (setup.niceness) atLowerPriority(setup.niceness);
if (!setup.stackTraces) withoutPromiseStacks();
if (!setup.callTimeout) withoutCallTimeout();
require(setup.sdkScript);
