/** Resident memory of processes, read from Linux's /proc: a process's peak, and its descendants'. */
import { readdir, readFile } from 'node:fs/promises';

/** VmRSS and its peak VmHWM, in kB, from the text of /proc/<pid>/status (NaN when absent). */
export function parseMemoryStatus(status: string): { rssKb: number; peakKb: number } {
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: field('VmRSS'), peakKb: field('VmHWM') };
}

/** Resident memory of a process in kB (VmRSS and its peak VmHWM). */
export async function residentMemory(pid: number): Promise<{ rssKb: number; peakKb: number }> {
  return parseMemoryStatus(await readFile(`/proc/${pid}/status`, 'utf8'));
}

/** The pids of a process and of all its descendants, from each thread's `children` list. */
export async function processTree(pid: number): Promise<number[]> {
  const tree = [pid];
  for (let index = 0; index < tree.length; index += 1) {
    const parent = tree[index]!;
    const threads = await readdir(`/proc/${parent}/task`).catch(() => [] as string[]);
    for (const thread of threads) {
      const children = await readFile(`/proc/${parent}/task/${thread}/children`, 'utf8').catch(() => '');
      for (const child of children.split(/\s+/).filter(Boolean).map(Number)) if (!tree.includes(child)) tree.push(child);
    }
  }
  return tree;
}

/**
 * Samples the peak resident memory (VmHWM) of a process and its descendants every
 * `everyMs` until stopped; `stop` answers the largest sum seen, in kB, and how many
 * processes the tree held at most. A process already gone is read no more.
 */
export function samplePeakMemory(pid: number, everyMs: number): { stop(): Promise<{ peakKb: number; processes: number }> } {
  const peaks = new Map<number, number>();
  let processes = 0;
  let running = true;
  const sample = async () => {
    const tree = await processTree(pid);
    processes = Math.max(processes, tree.length);
    for (const member of tree) {
      const memory = await residentMemory(member).catch(() => undefined);
      if (memory && Number.isFinite(memory.peakKb)) peaks.set(member, Math.max(peaks.get(member) ?? 0, memory.peakKb));
    }
  };
  const loop = (async () => {
    while (running) {
      await sample();
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { peakKb: [...peaks.values()].reduce((sum, kb) => sum + kb, 0), processes };
    },
  };
}
