/**
 * The data directory holds the database, captured mail (addresses, names, unsubscribe
 * links) and secrets, so it and everything in it belong to its owner alone: directories
 * 0700, files 0600.
 */
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** Set by each process that writes into the data directory, so files made by libraries (PGlite, Temporal) are private too. */
export const PRIVATE_UMASK = 0o077;

/**
 * Creates the data directory, or makes an existing one private again. A directory left
 * open by an older Steward (or by hand) has every file under it tightened; a private one
 * has only its top level checked, so starting over a large outbox stays quick.
 * Returns how many entries were tightened.
 */
export async function ensurePrivateDataDir(dir: string): Promise<number> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const tightenedHere = await tightenEntries(dir, false);
  return tightenedHere > 0 ? tightenedHere + (await tightenEntries(dir, true)) : 0;
}

/** Tightens `dir` and its entries (every level with `deep`); returns how many it changed. */
async function tightenEntries(dir: string, deep: boolean): Promise<number> {
  let changed = (await tighten(dir)) ? 1 : 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const entryPath = path.join(dir, entry.name);
    if (entry.isDirectory() && deep) changed += await tightenEntries(entryPath, true);
    else if (await tighten(entryPath)) changed += 1;
  }
  return changed;
}

/**
 * Takes group and other permissions off one entry, keeping its owner's. Symbolic links
 * are left alone (chmod would follow them out of the directory).
 */
async function tighten(entry: string): Promise<boolean> {
  const stats = await lstat(entry).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!stats || stats.isSymbolicLink() || (stats.mode & 0o077) === 0) return false;
  await chmod(entry, stats.mode & 0o700);
  return true;
}
