/**
 * (d) The mail server answers 421 for a while, then accepts; (e) it takes each
 * message and cuts the connection before its final reply for a while: the known
 * window, where a duplicate cannot be prevented, only recognised by its Message-ID.
 */
import { pause, pollUntil, progress } from '../load/progress.ts';
import { startStewardStack } from '../load/stack.ts';
import type { Drill, DrillSetup } from './harness.ts';
import type { DrillMailServer } from './mail-server.ts';
import { apiOf } from './processes.ts';

/** Longest wait for the first message to cut. */
const FIRST_MESSAGE_WAIT_S = 60;

async function misbehavingMail(mail: DrillMailServer, seconds: number, how: 'refuse' | 'cut'): Promise<DrillSetup> {
  const stack = await startStewardStack('stack', { SMTP_URL: mail.url, STEWARD_LOG_LEVEL: 'warn' });
  return {
    api: apiOf(stack),
    databaseUrl: () => stack.databaseUrl,
    async fault() {
      const began = Date.now();
      if (how === 'refuse') {
        mail.refuseFor(seconds * 1000);
        progress(`  the mail server answers 421 for ${seconds} s`);
      } else {
        // Cuts count from the first message cut, so a stack slow to start sending still meets them for the whole time.
        mail.cutFor((seconds + FIRST_MESSAGE_WAIT_S) * 1000);
        await pollUntil(async () => (mail.faults.cut > 0 ? true : undefined), { timeoutMs: FIRST_MESSAGE_WAIT_S * 1000, everyMs: 100 });
        progress(`  the mail server cuts each connection before its final reply for ${seconds} s`);
      }
      await pause(seconds * 1000);
      mail.behave();
      return { began, ended: Date.now() };
    },
    logs: () => stack.lines,
    stop: () => stack.stop(),
  };
}

export const smtp421: Drill = {
  name: 'smtp-421',
  letter: 'd',
  title: 'the SMTP server answers 421 to every connection and MAIL FROM for a while, then accepts',
  duplicatesExpected: false,
  reached: (mail) => mail.faults.refused > 0,
  setup: (mail, options) => misbehavingMail(mail, options.outage.smtp421, 'refuse'),
};

export const smtpCut: Drill = {
  name: 'smtp-cut',
  letter: 'e',
  title: 'the SMTP server takes each message and cuts the connection before its final reply, for a while (the known window)',
  duplicatesExpected: true,
  reached: (mail) => mail.faults.cut > 0,
  setup: (mail, options) => misbehavingMail(mail, options.outage.smtpCut, 'cut'),
};
