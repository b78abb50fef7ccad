/** Progress lines on stderr, stamped with the time since the benchmark started; stdout keeps the table. */
const started = performance.now();

export function progress(line: string): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[bench ${seconds}s] ${line}\n`);
}

/** Resolves after ms milliseconds. */
export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls until check returns a value, or gives up after timeoutMs and returns undefined:
 * every wait in the benchmark is bounded.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, { timeoutMs, everyMs = 500 }: { timeoutMs: number; everyMs?: number }): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() >= deadline) return undefined;
    await pause(everyMs);
  }
}
