/** Small pieces the drills share: killing a process group outright, and what a Steward process printed. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { atCleanup } from '../load/cleanup.ts';
import type { Api } from '../load/gifts.ts';
import { pause } from '../load/progress.ts';
import type { StewardProcess } from '../load/stack.ts';

/** SIGKILL to a whole process group (kill -9 -pid); resolves once no process of it is left, or after 10 s. */
export async function killGroup(pid: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      process.kill(-pid, attempt === 0 ? 'SIGKILL' : 0);
    } catch {
      return; // the group is gone
    }
    await pause(100);
  }
}

/** A value Steward printed at start-up, e.g. `Database` (its `[steward] <label>  <value>` line). */
export function printed(process: StewardProcess, label: string): string {
  const value = process.lines.map((line) => new RegExp(`^\\[steward\\] ${label}\\s+(\\S+)`).exec(line)?.[1]).find(Boolean);
  if (!value) throw new Error(`Steward printed no ${label} line:\n${process.lines.slice(-20).join('\n')}`);
  return value;
}

export function apiOf(process: StewardProcess): Api {
  if (!process.apiUrl || !process.apiKey) throw new Error('this Steward process runs no API');
  return { url: process.apiUrl, key: process.apiKey };
}

/** A temporary directory, removed at cleanup (or by the returned function). */
export async function scratchDir(label: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `steward-drill-${label}-`));
  const remove = () => rm(dir, { recursive: true, force: true });
  const unregister = atCleanup(`remove ${dir}`, remove);
  return {
    dir,
    async remove() {
      await remove();
      unregister();
    },
  };
}

/**
 * Runs start (a stack launch) with DATABASE_URL naming the PostgreSQL server, so the
 * launcher makes the stack a scratch database there (and drops it when the stack stops).
 */
export async function onPostgresServer<T>(serverUrl: string, start: () => Promise<T>): Promise<T> {
  const before = process.env.DATABASE_URL;
  process.env.DATABASE_URL = serverUrl;
  try {
    return await start();
  } finally {
    if (before === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = before;
  }
}
