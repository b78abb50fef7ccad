/**
 * The embedded database's own process: PGlite served over the PostgreSQL wire
 * protocol on 127.0.0.1. PGlite runs each query synchronously in WebAssembly, so in
 * Steward's process every query would stop the API, the router and the worker
 * while it ran; here it has a core of its own.
 *
 * Given a socket path, PGlite listens on that Unix socket, and the TCP port forwards
 * to it: Steward's own connection takes the socket, which costs a round trip about a
 * third less than loopback TCP (every query of Steward's passes here), while tools
 * connect to the port as to any PostgreSQL. One listener serves both, so PGlite's
 * one session is shared out by one queue, transaction by transaction.
 *
 * Started by `startEmbeddedPostgres` with an IPC channel: it reports
 * `{ ready: port }` (or `{ failed: message }`), closes cleanly on `stop`, and exits
 * when its parent goes away, however that happens, so a data directory is never
 * left held by an orphan.
 */
import fs from 'node:fs';
import net from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { PRIVATE_UMASK } from '../data-dir.ts';

export type EmbeddedServerMessage = { ready: number } | { failed: string };

const [dataDir, portText, maxConnectionsText, socketPath] = process.argv.slice(2);
if (!dataDir || !process.send) {
  console.error('usage: started by startEmbeddedPostgres with an IPC channel');
  process.exit(2);
}
const send = (message: EmbeddedServerMessage) => process.send!(message);
keepFilesPrivate();

let db: PGlite | undefined;
let server: PGLiteSocketServer | undefined;
let forwarder: Forwarder | undefined;
let closing: Promise<void> | undefined;
const close = () =>
  (closing ??= (async () => {
    forwarder?.close();
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

interface Forwarder {
  port: number;
  /** Stops listening and ends every connection forwarded. */
  close(): void;
}

/** Listens on 127.0.0.1:`port` and hands each connection on to the Unix socket, byte for byte. */
async function forwardTcp(port: number, target: string): Promise<Forwarder> {
  const open = new Set<net.Socket>();
  const tcp = net.createServer((client) => {
    const upstream = net.connect(target);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
    };
    open.add(client);
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  return {
    port: (tcp.address() as net.AddressInfo).port,
    close() {
      tcp.close();
      for (const client of open) client.destroy();
    },
  };
}

try {
  db = await PGlite.create(dataDir);
  const maxConnections = Number(maxConnectionsText ?? 16);
  const port = Number(portText ?? 0);
  if (socketPath) {
    // A socket left by a process that crashed: the data directory's lock says none is running.
    fs.rmSync(socketPath, { force: true });
    server = new PGLiteSocketServer({ db, path: socketPath, maxConnections });
    await server.start();
    forwarder = await forwardTcp(port, socketPath);
    send({ ready: forwarder.port });
  } else {
    server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections });
    await server.start();
    send({ ready: Number(server.getServerConn().split(':').pop()) });
  }
} catch (error) {
  send({ failed: error instanceof Error ? error.message : String(error) });
  await close();
  process.exit(1);
}
