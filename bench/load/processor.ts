/**
 * Processor time of processes, read from Linux's /proc: what each part of a stack
 * (Steward, the Temporal server, the embedded database) spent on a piece of work.
 */
import { readFile } from 'node:fs/promises';
import { processTree } from './memory.ts';

/** Linux counts processor time in clock ticks of 1/100 s (USER_HZ) on every architecture it runs on. */
const TICKS_PER_SECOND = 100;

/** User plus system seconds from the text of /proc/<pid>/stat (fields 14 and 15, after the parenthesised name). */
export function parseProcessorSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** User plus system seconds a process has used so far. */
export async function processorSeconds(pid: number): Promise<number> {
  return parseProcessorSeconds(await readFile(`/proc/${pid}/stat`, 'utf8'));
}

/** What a process of a stack is: Steward itself, the Temporal server, the embedded database, or something else. */
export type StackPart = 'steward' | 'temporal' | 'database' | 'other';

async function partOf(pid: number, root: number): Promise<StackPart> {
  if (pid === root) return 'steward';
  const commandLine = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  if (commandLine.some((arg) => /(^|\/)temporal$/.test(arg)) && commandLine.includes('server')) return 'temporal';
  if (commandLine.some((arg) => arg.endsWith('embedded-server.ts'))) return 'database';
  return 'other';
}

/** Processor seconds used so far by each part of the process tree under `root`. */
export async function processorByPart(root: number): Promise<Record<StackPart, number>> {
  const totals: Record<StackPart, number> = { steward: 0, temporal: 0, database: 0, other: 0 };
  for (const pid of await processTree(root)) {
    const seconds = await processorSeconds(pid).catch(() => undefined);
    if (seconds !== undefined) totals[await partOf(pid, root)] += seconds;
  }
  return totals;
}

/** The processor each part used between two readings. */
export function processorSpent(before: Record<StackPart, number>, after: Record<StackPart, number>): Record<StackPart, number> {
  return {
    steward: after.steward - before.steward,
    temporal: after.temporal - before.temporal,
    database: after.database - before.database,
    other: after.other - before.other,
  };
}
