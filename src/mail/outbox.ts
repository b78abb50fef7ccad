/**
 * The local mail capture for single-machine use: a real SMTP server on localhost
 * that writes each message it receives, byte for byte, as an .eml file in the
 * outbox directory (openable by any mail client).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface OutboxCapture {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

export async function startOutboxCapture(options: { dir: string; port?: number }): Promise<OutboxCapture> {
  await mkdir(options.dir, { recursive: true });
  const server = new SMTPServer({
    name: 'steward-outbox',
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    size: MAX_MESSAGE_BYTES,
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        if ((stream as { sizeExceeded?: boolean }).sizeExceeded) {
          callback(Object.assign(new Error('Message exceeds the size limit'), { responseCode: 552 }));
          return;
        }
        saveMessage(options.dir, Buffer.concat(chunks)).then(() => callback(), callback);
      });
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

/** Writes under a temporary name and renames, so a reader never sees half a message. */
async function saveMessage(dir: string, raw: Buffer): Promise<void> {
  const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}`;
  const partial = path.join(dir, `.${name}.partial`);
  try {
    await writeFile(partial, raw);
    await rename(partial, path.join(dir, `${name}.eml`));
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
