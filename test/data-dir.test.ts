/** The data directory is its owner's alone, whether Steward makes it or finds it left open. */
import { chmod, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensurePrivateDataDir } from '../src/data-dir.ts';

let parent: string | undefined;
afterAll(() => (parent ? rm(parent, { recursive: true, force: true }) : undefined));

const modeOf = async (entry: string) => (await stat(entry)).mode & 0o777;

describe('ensurePrivateDataDir', () => {
  it('creates a missing directory for its owner only', async () => {
    parent = await mkdtemp(path.join(tmpdir(), 'steward-data-dir-'));
    const dir = path.join(parent, 'fresh', '.steward');
    expect(await ensurePrivateDataDir(dir)).toBe(0);
    expect(await modeOf(dir)).toBe(0o700);
  });

  it('takes group and other permissions off a directory left open and everything under it, and leaves links alone', async () => {
    parent ??= await mkdtemp(path.join(tmpdir(), 'steward-data-dir-'));
    const dir = path.join(parent, 'old');
    const outside = path.join(parent, 'outside.txt');
    await mkdir(path.join(dir, 'pglite', 'base', '1'), { recursive: true, mode: 0o755 });
    await mkdir(path.join(dir, 'outbox'), { recursive: true, mode: 0o755 });
    await writeFile(path.join(dir, 'pglite', 'base', '1', '1259'), 'rows', { mode: 0o644 });
    await writeFile(path.join(dir, 'outbox', 'message.eml'), 'To: ada@example.org', { mode: 0o666 });
    await writeFile(path.join(dir, 'signing-secret'), 'secret', { mode: 0o600 });
    await writeFile(outside, 'not ours', { mode: 0o644 });
    await symlink(outside, path.join(dir, 'link'));
    for (const folder of [dir, path.join(dir, 'pglite'), path.join(dir, 'pglite', 'base'), path.join(dir, 'pglite', 'base', '1'), path.join(dir, 'outbox')]) await chmod(folder, 0o755);

    expect(await ensurePrivateDataDir(dir)).toBe(7);
    for (const folder of ['.', 'pglite', 'pglite/base', 'pglite/base/1', 'outbox']) expect(await modeOf(path.join(dir, folder)), folder).toBe(0o700);
    for (const file of ['pglite/base/1/1259', 'outbox/message.eml', 'signing-secret']) expect(await modeOf(path.join(dir, file)), file).toBe(0o600);
    expect(await modeOf(outside)).toBe(0o644);
    // Private now, so a second start checks the top level and changes nothing.
    expect(await ensurePrivateDataDir(dir)).toBe(0);
  });
});
