/**
 * Steward's mail transport under a burst, on a real SMTP server: the pool keeps to
 * its connections, every message waits its turn at the gate and arrives, none fails.
 */
import { SMTPServer } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { sendStaffEmail } from '../../src/mail/send.ts';
import { createMailTransport } from '../../src/mail/transport.ts';
import { createSendGate } from '../../src/delivery/send-gate.ts';

async function startCountingSmtp() {
  let open = 0;
  let mostOpen = 0;
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onConnect(_session, callback) {
      mostOpen = Math.max(mostOpen, ++open);
      callback();
    },
    onClose() {
      open--;
    },
    onData(stream, _session, callback) {
      stream.on('end', () => {
        received++;
        callback();
      });
      stream.resume();
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as { port: number }).port}`,
    counts: () => ({ received, mostOpen }),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('createMailTransport', () => {
  it('sends a burst larger than its pool through at most maxConnections connections, every message arriving', async () => {
    const smtp = await startCountingSmtp();
    const mailer = createMailTransport(smtp.url, undefined, { maxConnections: 2, maxMessages: 100, perSecond: 50 });
    try {
      const burst = Array.from({ length: 12 }, async (_, n) => {
        const leave = await mailer.sending.gate.acquire();
        try {
          return await sendStaffEmail(mailer, { from: 'hello@hope.example', to: `care-${n}@hope.example`, subject: `Task ${n}`, text: 'Please call.', messageId: `m-${n}` });
        } finally {
          leave();
        }
      });
      expect(await Promise.all(burst)).toHaveLength(12);
      expect(smtp.counts()).toMatchObject({ received: 12 });
      expect(smtp.counts().mostOpen).toBeLessThanOrEqual(2);
    } finally {
      mailer.close();
      await smtp.stop();
    }
  });

  it('bounds one send by its own timeouts', () => {
    const mailer = createMailTransport('smtp://127.0.0.1:9?connectionTimeout=1000&greetingTimeout=2000&socketTimeout=3000');
    expect(mailer.sending.callBudgetMs).toBe(6_000);
    mailer.close();
  });
});

describe('createSendGate', () => {
  it('lets no more than its concurrency through at once, and a waiter that gives up leaves the queue', async () => {
    const gate = createSendGate({ concurrency: 3, perSecond: null });
    const gates = await Promise.all(Array.from({ length: 3 }, () => gate.acquire()));
    let inside = gates.length;
    let most = inside;
    const abandon = new AbortController();
    const abandoned = gate.acquire(abandon.signal);
    abandon.abort(new Error('cancelled'));
    await expect(abandoned).rejects.toThrow('cancelled');
    const rest = Array.from({ length: 9 }, async () => {
      const leave = await gate.acquire();
      most = Math.max(most, ++inside);
      await new Promise((resolve) => setImmediate(resolve));
      inside--;
      leave();
    });
    for (const leave of gates) {
      inside--;
      leave();
    }
    await Promise.all(rest);
    expect(most).toBeLessThanOrEqual(3);
    // The abandoned waiter took no turn: all three places are free again.
    const again = await Promise.all([gate.acquire(), gate.acquire(), gate.acquire()]);
    again.forEach((leave) => leave());
  });
});
