/**
 * The embedded database for single-machine use: PGlite (PostgreSQL compiled to
 * WebAssembly) persisted in the data directory, served over the PostgreSQL wire
 * protocol on localhost so Steward reaches it through the same `pg` adapter and
 * migrator as a real server.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** postgresql:// URL of the local listener. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Directory holding the database files; created on first start. */
  dataDir: string;
  /** Port to listen on, 127.0.0.1 only; 0 picks a free one. */
  port?: number;
  /** Connections the listener accepts at once; PGlite runs their queries one at a time. */
  maxConnections?: number;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  await mkdir(options.dataDir, { recursive: true });
  const releaseLock = await lockDataDir(options.dataDir);
  let db: PGlite | undefined;
  try {
    db = await PGlite.create(options.dataDir);
    const server = new PGLiteSocketServer({
      db,
      host: '127.0.0.1',
      port: options.port ?? 0,
      maxConnections: options.maxConnections ?? 16,
    });
    await server.start();
    const port = Number(server.getServerConn().split(':').pop());
    const opened = db;
    return {
      url: `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
      port,
      async stop() {
        await server.stop();
        await opened.close();
        await releaseLock();
      },
    };
  } catch (error) {
    await db?.close().catch(() => undefined);
    await releaseLock();
    throw error;
  }
}

/**
 * PGlite is single-process: two processes writing one directory would corrupt it.
 * A lock file holding the owner's pid keeps a second Steward out, and is taken
 * over when its owner is gone.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockFile = path.join(dataDir, 'steward.lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (owner && isRunning(owner)) {
        throw new Error(`The embedded database in ${dataDir} is in use by process ${owner}; stop it first or use another STEWARD_DATA_DIR`);
      }
      await rm(lockFile, { force: true });
    }
  }
  throw new Error(`Could not lock the embedded database in ${dataDir}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
