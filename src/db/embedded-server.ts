/**
 * The embedded database's own process: PGlite served over the PostgreSQL wire
 * protocol on 127.0.0.1. PGlite runs each query synchronously in WebAssembly, so in
 * Steward's process every query would stop the API, the router and the worker
 * while it ran; here it has a core of its own.
 *
 * Started by `startEmbeddedPostgres` with an IPC channel: it reports
 * `{ ready: port }` (or `{ failed: message }`), closes cleanly on `stop`, and exits
 * when its parent goes away, however that happens, so a data directory is never
 * left held by an orphan.
 */
import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { PRIVATE_UMASK } from '../data-dir.ts';

export type EmbeddedServerMessage = { ready: number } | { failed: string };

const [dataDir, portText, maxConnectionsText] = process.argv.slice(2);
if (!dataDir || !process.send) {
  console.error('usage: started by startEmbeddedPostgres with an IPC channel');
  process.exit(2);
}
const send = (message: EmbeddedServerMessage) => process.send!(message);
keepFilesPrivate();

let db: PGlite | undefined;
let server: PGLiteSocketServer | undefined;
let closing: Promise<void> | undefined;
const close = () =>
  (closing ??= (async () => {
    await server?.stop().catch(() => undefined);
    await db?.close().catch(() => undefined);
  })());

process.on('disconnect', () => void close().then(() => process.exit(0)));
process.on('message', (message) => {
  if (message === 'stop') void close().then(() => process.disconnect());
});
// Steward stops this process through the channel, after everything that uses it; a
// Ctrl-C or SIGTERM sent to the whole process group must not take it away first.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

/**
 * The database is its owner's alone. PGlite's file system (Emscripten's NODEFS) creates
 * files under the umask, then sets each one's mode itself with chmod, to the 0666 of a
 * system with no umask; chmod ignores the umask, so in this process, which only serves
 * PGlite, every chmod has it applied as creating the file would.
 */
function keepFilesPrivate(): void {
  process.umask(PRIVATE_UMASK);
  const { chmodSync, fchmodSync } = fs;
  const masked = (mode: fs.Mode) => (typeof mode === 'string' ? parseInt(mode, 8) : mode) & ~PRIVATE_UMASK;
  Object.assign(fs, {
    chmodSync: (file: fs.PathLike, mode: fs.Mode) => chmodSync(file, masked(mode)),
    fchmodSync: (fd: number, mode: fs.Mode) => fchmodSync(fd, masked(mode)),
  });
}

try {
  db = await PGlite.create(dataDir);
  server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: Number(portText ?? 0), maxConnections: Number(maxConnectionsText ?? 16) });
  await server.start();
  send({ ready: Number(server.getServerConn().split(':').pop()) });
} catch (error) {
  send({ failed: error instanceof Error ? error.message : String(error) });
  await close();
  process.exit(1);
}
