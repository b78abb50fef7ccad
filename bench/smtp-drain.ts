/**
 * How fast mail drains through Steward's transport into the local capture, against
 * raw nodemailer (its pool with defaults) into an SMTP server that discards what it
 * receives, measured in the same run. Every message is a constituent email of the
 * size Steward sends (text, HTML, unsubscribe headers), all asked for at once, as a
 * burst of send activities would. Steward's sends pass the transport's gate, as the
 * activities' do.
 *
 * A second figure sends one message after another (a single activity slot); with
 * `busy` two processes spin on the CPU meanwhile, as Temporal and the database do
 * on a loaded two-core machine.
 *
 *   npx tsx bench/smtp-drain.ts [messages=400] [rounds=3] [busy]
 *   STEWARD_SMTP_MAX_CONNECTIONS=10 npx tsx bench/smtp-drain.ts
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../src/config.ts';
import { startOutboxCapture } from '../src/mail/outbox.ts';
import { sendEmailMessage } from '../src/mail/send.ts';
import { createMailTransport, mailPool } from '../src/mail/transport.ts';

const count = Number(process.argv[2] ?? 400);
const rounds = Number(process.argv[3] ?? 3);
const busy = process.argv[4] === 'busy';
const pool = mailPool(loadConfig());

const paragraph = 'Your gift has arrived, and it is already at work: warm meals, safe beds and a hand up for families this winter. ';
const email = (n: number) => ({
  from: 'Hope Shelter <hello@hope.example>',
  to: `donor-${n}@example.org`,
  messageId: randomUUID(),
  subject: `Ada, here is what your gift is doing (${n})`,
  text: paragraph.repeat(12),
  html: `<p>${paragraph.repeat(12)}</p>`,
  unsubscribeUrl: `http://127.0.0.1:3000/u/${randomUUID()}`,
});

async function startNullServer() {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, _session, callback) {
      stream.on('end', () => callback());
      stream.resume();
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `smtp://127.0.0.1:${(server.server.address() as { port: number }).port}`, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

type Mode = 'burst' | 'one by one';

async function timed(mode: Mode, send: (n: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  if (mode === 'burst') await Promise.all(Array.from({ length: count }, (_, n) => send(n)));
  else for (let n = 0; n < count; n++) await send(n);
  return count / ((performance.now() - started) / 1000);
}

async function baseline(mode: Mode): Promise<number> {
  const server = await startNullServer();
  const transport = nodemailer.createTransport(`${server.url}?pool=true`);
  try {
    return await timed(mode, (n) => {
      const { unsubscribeUrl, messageId, ...mail } = email(n);
      return transport.sendMail({ ...mail, messageId: `<${messageId}@hope.example>`, headers: { 'List-Unsubscribe': `<${unsubscribeUrl}>` } });
    });
  } finally {
    transport.close();
    await server.stop();
  }
}

async function steward(mode: Mode): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'steward-smtp-drain-'));
  const capture = await startOutboxCapture({ dir });
  const mailer = createMailTransport(capture.url, undefined, pool);
  try {
    const rate = await timed(mode, async (n) => {
      const leave = await mailer.sending.gate.acquire();
      try {
        await sendEmailMessage(mailer, email(n));
      } finally {
        leave();
      }
    });
    const filed = (await readdir(dir)).filter((file) => file.endsWith('.eml')).length;
    if (filed !== count) throw new Error(`the capture filed ${filed} of ${count} messages`);
    return rate;
  } finally {
    mailer.close();
    await capture.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const spinners = busy ? [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })) : [];
try {
  console.log(`${count} messages per run, ${rounds} rounds${busy ? ', two CPU spinners running' : ''}; Steward's pool: ${pool.maxConnections} connections, ${pool.maxMessages} messages each, rate ${pool.perSecond ?? 'none'}/s`);
  for (const mode of ['burst', 'one by one'] as const) {
    // One warm-up of each, then alternate so both see the same machine.
    await baseline(mode);
    await steward(mode);
    const results: { baseline: number; steward: number }[] = [];
    for (let round = 0; round < rounds; round++) results.push({ baseline: await baseline(mode), steward: await steward(mode) });
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const base = median(results.map((result) => result.baseline));
    const ours = median(results.map((result) => result.steward));
    console.log(`${mode}: ${results.map((result) => `${result.baseline.toFixed(0)}/${result.steward.toFixed(0)}`).join(' ')} (baseline/Steward msg/s by round)`);
    console.log(`${mode}: median raw nodemailer -> null SMTP server ${base.toFixed(0)} msg/s; Steward transport -> outbox capture ${ours.toFixed(0)} msg/s; ratio ${(ours / base).toFixed(2)}`);
  }
} finally {
  for (const spinner of spinners) spinner.kill();
}
