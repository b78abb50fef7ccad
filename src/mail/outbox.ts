/**
 * The local mail capture for single-machine use: a real SMTP server on localhost
 * that writes each message it receives, byte for byte, as an .eml file in the
 * outbox directory (openable by any mail client). It is on the path of every
 * message sent in single-machine mode, so it does the least it can: no reverse DNS
 * lookup of its only client (localhost), and each message streamed straight to
 * its file instead of gathered in memory first.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SMTPServer } from 'smtp-server';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../data-dir.ts';

export interface OutboxCapture {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

export async function startOutboxCapture(options: { dir: string; port?: number }): Promise<OutboxCapture> {
  // Each message names its recipient and carries their unsubscribe link: the owner's eyes only.
  await mkdir(options.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const server = new SMTPServer({
    name: 'steward-outbox',
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    size: MAX_MESSAGE_BYTES,
    disableReverseLookup: true,
    logger: false,
    onData(stream, _session, callback) {
      saveMessage(options.dir, stream).then(
        (saved) => callback(saved ? null : Object.assign(new Error('Message exceeds the size limit'), { responseCode: 552 })),
        callback,
      );
    },
  });
  // A sender that drops its connection (a worker killed mid-send) is its problem, not the capture's.
  server.on('error', () => {});
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server.server, 'listening');
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Writes under a temporary name and renames, so a reader never sees half a
 * message; false (and nothing kept) when the message was over the size limit.
 */
async function saveMessage(dir: string, stream: Readable & { sizeExceeded?: boolean }): Promise<boolean> {
  const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}`;
  const partial = path.join(dir, `.${name}.partial`);
  try {
    await pipeline(stream, createWriteStream(partial, { mode: PRIVATE_FILE_MODE }));
    if (stream.sizeExceeded) {
      await rm(partial, { force: true });
      return false;
    }
    await rename(partial, path.join(dir, `${name}.eml`));
    return true;
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
