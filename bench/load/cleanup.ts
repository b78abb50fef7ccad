/**
 * Everything the benchmark starts is registered here and undone on the way out:
 * normally, on an error, and on Ctrl-C or SIGTERM. Child process groups get a
 * last SIGKILL on exit, and temporary directories a last removal, so nothing
 * outlives the benchmark.
 */
import { rmSync } from 'node:fs';

const undo: { name: string; run: () => Promise<void> }[] = [];
const groups = new Set<number>();
const dirs = new Set<string>();
let cleaning: Promise<void> | undefined;

/** Registers a step to run at cleanup (last registered runs first); returns a function that unregisters it. */
export function atCleanup(name: string, run: () => Promise<void>): () => void {
  const entry = { name, run };
  undo.push(entry);
  return () => {
    const index = undo.indexOf(entry);
    if (index >= 0) undo.splice(index, 1);
  };
}

/** Remembers a child's process group, killed outright if the benchmark exits before stopping it. */
export function trackGroup(pid: number): () => void {
  groups.add(pid);
  return () => groups.delete(pid);
}

/** Remembers a temporary directory, removed on exit if nothing removed it before. */
export function trackDir(dir: string): () => void {
  dirs.add(dir);
  return () => dirs.delete(dir);
}

/** Runs every registered step, newest first, once. */
export function cleanupAll(log: (line: string) => void): Promise<void> {
  cleaning ??= (async () => {
    while (undo.length > 0) {
      const entry = undo.pop()!;
      await entry.run().catch((error: unknown) => log(`cleanup: ${entry.name}: ${String(error)}`));
    }
  })();
  return cleaning;
}

/** Ctrl-C and SIGTERM clean up and exit; a plain exit kills any child group left. */
export function installExitHandlers(log: (line: string) => void): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping everything the benchmark started…`);
      void cleanupAll(log).finally(() => process.exit(130));
    });
  }
  process.once('exit', () => {
    for (const pid of groups) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  });
}
