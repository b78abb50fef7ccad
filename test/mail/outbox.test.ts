/** The local outbox: a real SMTP server that files each message as an .eml. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
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
  });
});
