/** What under a directory someone other than its owner could read or enter. */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Every entry under `dir` (itself included) with a group or other permission, as "mode relative/path". */
export async function openToOthers(dir: string, relative = '.'): Promise<string[]> {
  const entry = path.join(dir, relative);
  // A running Steward's files come and go (SQLite's journal): one gone since it was listed is open to no one.
  const stats = await lstat(entry).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' && relative !== '.') return undefined;
    throw error;
  });
  if (!stats) return [];
  if (stats.isSymbolicLink()) return [];
  const found = stats.mode & 0o077 ? [`${(stats.mode & 0o777).toString(8)} ${relative}`] : [];
  if (!stats.isDirectory()) return found;
  const children = await readdir(entry).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' && relative !== '.' ? [] : Promise.reject(error)));
  return [...found, ...(await Promise.all(children.map((child) => openToOthers(dir, path.join(relative, child))))).flat()];
}
