/** The local outbox: a real SMTP server that files each message as an .eml. */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import { startOutboxCapture } from '../../src/mail/outbox.ts';
import { createMailTransport } from '../../src/mail/transport.ts';

let dir: string | undefined;
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

describe('startOutboxCapture', () => {
  it('writes each message sent over SMTP as one complete .eml file', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'steward-outbox-'));
    const outbox = path.join(dir, 'outbox');
    const capture = await startOutboxCapture({ dir: outbox, port: 0 });
    const mailer = createMailTransport(capture.url);
    try {
      await mailer.sendMail({ from: 'Steward <hello@steward.localhost>', to: 'ada@example.org', subject: 'First', text: 'One' });
      await mailer.sendMail({ from: 'Steward <hello@steward.localhost>', to: 'grace@example.org', subject: 'Second', html: '<p>Two</p>' });
    } finally {
      mailer.close();
      await capture.stop();
    }

    const files = (await readdir(outbox)).sort();
    expect(files).toHaveLength(2);
    expect(files.every((file) => file.endsWith('.eml'))).toBe(true);
    const parsed = await Promise.all(files.map(async (file) => simpleParser(await readFile(path.join(outbox, file)))));
    expect(parsed.map((mail) => [mail.subject, (mail.to as { text: string }).text])).toEqual([
      ['First', 'ada@example.org'],
      ['Second', 'grace@example.org'],
    ]);
    expect(parsed[0]!.text?.trim()).toBe('One');
    expect(parsed[1]!.html).toContain('<p>Two</p>');
    // Messages carry names, addresses and unsubscribe links: the owner's alone, whatever the umask.
    expect((await stat(outbox)).mode & 0o777).toBe(0o700);
    for (const file of files) expect((await stat(path.join(outbox, file))).mode & 0o777, file).toBe(0o600);
  });
});

describe('the outbox under a sender that vanishes', () => {
  it('keeps running when a client resets its connection mid-message', async () => {
    const { connect } = await import('node:net');
    const base = await mkdtemp(path.join(tmpdir(), 'steward-outbox-reset-'));
    const capture = await startOutboxCapture({ dir: path.join(base, 'outbox'), port: 0 });
    try {
      const socket = connect(capture.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('data', resolve));
      socket.write('EHLO test\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: half\r\n');
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.resetAndDestroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Still accepting mail after the reset.
      const mailer = createMailTransport(capture.url);
      await mailer.sendMail({ from: 'a@example.org', to: 'b@example.org', subject: 'whole', text: 'ok' });
      mailer.close();
      expect((await readdir(path.join(base, 'outbox'))).filter((file) => file.endsWith('.eml'))).toHaveLength(1);
    } finally {
      await capture.stop();
      await rm(base, { recursive: true, force: true });
    }
  });
});
