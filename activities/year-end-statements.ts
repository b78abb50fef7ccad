/**
 * The year-end giving statements: one message per donor of the year, through the
 * same send path as every journey message (consent, suppression, sent once per
 * key). Donors are taken in pages by id; the attempt notes in its heartbeat the
 * last donor done, so a retry resumes there, and the key `year-end:<year>:<donor>`
 * makes any donor done twice a no-op.
 */
import { Context } from '@temporalio/activity';
import type { Database } from '../src/db/client.ts';
import { yearEndDonors } from '../src/receipts/statement.ts';
import type { SendMessageInput, SendMessageResult } from './send-message.ts';

const PAGE = 200;

function resumeAfter(): string {
  try {
    const details = Context.current().info.heartbeatDetails as { after?: string } | undefined;
    return details?.after ?? '';
  } catch {
    return '';
  }
}

function noteProgress(after: string): void {
  try {
    Context.current().heartbeat({ after });
  } catch {
    // Outside Temporal (tests, scripts): nothing to note.
  }
}

export function createSendYearEndStatements(deps: { db: Database; sendMessage: (input: SendMessageInput) => Promise<SendMessageResult>; timeZone: string }) {
  return async function sendYearEndStatements(input: { year: number }): Promise<{ donors: number; sent: number }> {
    let after = resumeAfter();
    let donors = 0;
    let sent = 0;
    for (let pages = 0; pages < 1_000_000; pages += 1) {
      const page = await yearEndDonors(deps.db, input.year, deps.timeZone, after, PAGE);
      if (page.length === 0) break;
      for (const constituentId of page) {
        const result = await deps.sendMessage({
          channel: 'email',
          enrollmentId: null,
          constituentId,
          template: 'year-end-statement',
          idempotencyKey: `year-end:${input.year}:${constituentId}`,
          statementYear: input.year,
        });
        donors += 1;
        if (result.status === 'sent' || result.status === 'delivered') sent += 1;
        after = constituentId;
        noteProgress(after);
      }
    }
    return { donors, sent };
  };
}
