/**
 * One drill, start to finish: its own mail server and Steward, a burst of gifts
 * from distinct consenting constituents, the fault part-way through, then a bounded
 * wait for every accepted gift's thank-you, and the count: what was answered, what
 * was stored and enrolled, what arrived, twice or not at all.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { giftKey, giftRecipient, phasePattern, postGift, runId, type Api } from '../load/gifts.ts';
import { openLoop } from '../load/load.ts';
import { openPool, phaseCounts } from '../load/database.ts';
import { atCleanup } from '../load/cleanup.ts';
import { pause, pollUntil, progress } from '../load/progress.ts';
import { startDrillMailServer, type DrillMailServer, type ReceivedMail } from './mail-server.ts';
import type { DrillName, DrillOptions } from './options.ts';

/** What a fault did: when it began and ended (Date.now()), and how long a restarted part took to be ready. */
export interface FaultReport {
  began: number;
  ended: number;
  restartToReadySeconds?: number;
  notes?: string[];
}

export interface DrillSetup {
  api: Api;
  /** Where to count at the end (a restarted embedded database has a new address). */
  databaseUrl(): string;
  fault(): Promise<FaultReport>;
  /** Output lines of Steward's processes, searched for the 500s' causes. */
  logs(): string[];
  stop(): Promise<void>;
}

export interface Drill {
  name: DrillName;
  letter: string;
  title: string;
  /** A drill whose fault opens the known window (accepted by the server, never heard back): its duplicates are reported, not failed. */
  duplicatesExpected: boolean;
  /** Whether the fault met any send (a mail server's misbehaviour that nothing met proves nothing). */
  reached?(mail: DrillMailServer): boolean;
  setup(mail: DrillMailServer, options: DrillOptions): Promise<DrillSetup>;
}

export interface DrillResult {
  drill: DrillName;
  letter: string;
  title: string;
  sent: number;
  accepted: number;
  status5xx: number;
  status500: number;
  /** Requests that got no HTTP answer (connection refused or reset while a process was down). */
  noAnswer: number;
  statuses: Record<string, number>;
  stored: number;
  /** Accepted (202) but not in the database at the end. */
  lost: number;
  enrolled: number;
  received: number;
  /** Extra copies: to a recipient already mailed, and of a Message-ID already received. */
  duplicateRecipients: number;
  duplicateMessageIds: number;
  /** Of those, copies of a message first received with its connection cut, or within 2 s of a kill. */
  duplicatesInKnownWindow: number;
  /** The first few duplicated messages: each copy's arrival in ms after the fault began, and whether it was cut. */
  duplicateCopies: { recipient: string; messageId: string; copies: { afterFaultMs: number; cut: boolean }[] }[];
  missing: number;
  restartToReadySeconds?: number;
  /** What the mail server did wrong on purpose: 421 answers, connections cut after a message. */
  mailFaults: { refused: number; cut: number };
  /** Seconds from the end of the fault until the last accepted gift's thank-you arrived (undefined: not all did). */
  drainedAfterSeconds?: number;
  fault?: FaultReport;
  verdict: 'PASS' | 'FAIL';
  failures: string[];
  notes: string[];
}

const KNOWN_WINDOW_MS = 2_000;

export async function runDrill(drill: Drill, options: DrillOptions): Promise<DrillResult> {
  progress(`drill ${drill.letter} ${drill.name}: ${drill.title}`);
  const mail = await startDrillMailServer();
  const unregisterMail = atCleanup('stop the drill mail server', mail.stop);
  try {
    const setup = await drill.setup(mail, options);
    try {
      return await exercise(drill, setup, mail, options);
    } finally {
      await setup.stop();
    }
  } finally {
    await mail.stop();
    unregisterMail();
  }
}

async function exercise(drill: Drill, setup: DrillSetup, mail: DrillMailServer, options: DrillOptions): Promise<DrillResult> {
  const phase = drill.letter;
  const statuses: Record<string, number> = {};
  const accepted = new Set<number>();
  const post = postGift(setup.api, phase);
  const offer = async (n: number) => {
    const status = await post(n);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status === 202) accepted.add(n);
    return status;
  };
  progress(`  offering ${options.rate} gifts/s for ${options.duration} s; the fault at ${(options.duration * options.faultAt).toFixed(0)} s`);
  const notes: string[] = [];
  const failures: string[] = [];
  const faulted = pause(options.duration * options.faultAt * 1000).then(setup.fault);
  const [burst, fault] = await Promise.all([
    openLoop(offer, options.rate, options.duration),
    faulted.catch((error: unknown) => {
      failures.push(`the fault or its recovery failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      return undefined;
    }),
  ]);
  notes.push(...(fault?.notes ?? []));
  progress(`  burst and fault over: ${burst.requests} sent, ${accepted.size} accepted, ${burst.status5xx} 5xx, ${burst.errors} without an answer${burst.notSent ? `, ${burst.notSent} not sent (too many outstanding)` : ''}`);

  const recipients = new Map([...accepted].map((n) => [giftRecipient(phase, n), n]));
  const arrived = () => new Set(mail.received.filter((one) => recipients.has(one.recipient)).map((one) => one.recipient));
  let reported = performance.now();
  const drained = await pollUntil(
    async () => {
      const count = arrived().size;
      if (performance.now() - reported > 15_000) {
        reported = performance.now();
        progress(`  ${count} of ${recipients.size} thank-yous arrived`);
      }
      return count >= recipients.size ? Date.now() : undefined;
    },
    { timeoutMs: options.deadline * 1000, everyMs: 500 },
  );
  if (drained) {
    progress(`  every thank-you arrived; watching ${options.settle} s more for second copies`);
    await pause(options.settle * 1000);
  } else progress(`  ${recipients.size - arrived().size} thank-yous missing ${options.deadline} s after the burst`);

  // Every copy to this drill's constituents, acknowledged gifts or not.
  const ours = mail.received.filter((one) => one.recipient.startsWith(phasePattern(phase).slice(0, -1)));
  const db = openPool(setup.databaseUrl(), 1);
  let stored = 0;
  let lost = 0;
  let enrolled = 0;
  try {
    const { rows } = await db.query<{ idempotency_key: string }>('SELECT idempotency_key FROM interaction_event WHERE idempotency_key LIKE $1', [phasePattern(phase)]);
    const keys = new Set(rows.map((row) => row.idempotency_key));
    stored = keys.size;
    lost = [...accepted].filter((n) => !keys.has(giftKey(phase, n))).length;
    enrolled = (await phaseCounts(db, phase)).enrollments;
  } catch (error) {
    failures.push(`could not count in the database: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await db.end();
  }

  const duplicates = countDuplicates(ours, fault);
  const status500 = statuses['500'] ?? 0;
  const missing = recipients.size - arrived().size;
  if (status500 > 0) failures.push(`${status500} responses 500`);
  if (lost > 0) failures.push(`${lost} accepted gifts not stored`);
  if (missing > 0) failures.push(`${missing} accepted gifts not thanked by the deadline`);
  if (!drill.duplicatesExpected && duplicates.byMessageId + duplicates.byRecipient > 0) {
    failures.push(`${Math.max(duplicates.byMessageId, duplicates.byRecipient)} duplicate messages (${duplicates.inKnownWindow} in the known window)`);
  }
  if (drill.reached && !drill.reached(mail)) failures.push('inconclusive: the fault met no send');
  if (burst.notSent > 0) notes.push(`${burst.notSent} gifts not offered: too many requests outstanding`);
  const result: DrillResult = {
    drill: drill.name,
    letter: drill.letter,
    title: drill.title,
    sent: burst.requests,
    accepted: accepted.size,
    status5xx: burst.status5xx,
    status500,
    noAnswer: burst.errors,
    statuses,
    stored,
    lost,
    enrolled,
    received: ours.length,
    duplicateRecipients: duplicates.byRecipient,
    duplicateMessageIds: duplicates.byMessageId,
    duplicatesInKnownWindow: duplicates.inKnownWindow,
    duplicateCopies: duplicateCopies(ours, fault?.began ?? 0),
    missing,
    mailFaults: { ...mail.faults },
    ...(fault?.restartToReadySeconds !== undefined ? { restartToReadySeconds: fault.restartToReadySeconds } : {}),
    ...(drained && fault ? { drainedAfterSeconds: Math.max(0, (latest(ours) - fault.ended) / 1000) } : {}),
    ...(fault ? { fault } : {}),
    verdict: failures.length === 0 ? 'PASS' : 'FAIL',
    failures,
    notes,
  };
  if (failures.length > 0) {
    const file = path.join(tmpdir(), `steward-drill-${runId}-${drill.name}.log`);
    await writeFile(file, setup.logs().join('\n') + '\n');
    notes.push(`Steward's output: ${file}`);
  }
  progress(`  ${result.verdict}${failures.length ? `: ${failures.join('; ')}` : ''}`);
  return result;
}

const latest = (mails: ReceivedMail[]) => Math.max(...mails.map((one) => one.at));

/** Extra copies by recipient and by Message-ID; a copy counts in the known window when its first was cut, or arrived right at a kill. */
function countDuplicates(mails: ReceivedMail[], fault: FaultReport | undefined): { byRecipient: number; byMessageId: number; inKnownWindow: number } {
  const extra = (key: (mail: ReceivedMail) => string) => {
    const seen = new Map<string, number>();
    for (const mail of mails) seen.set(key(mail), (seen.get(key(mail)) ?? 0) + 1);
    return [...seen.values()].reduce((sum, count) => sum + count - 1, 0);
  };
  const first = new Map<string, ReceivedMail>();
  let inKnownWindow = 0;
  for (const mail of mails) {
    const earlier = first.get(mail.messageId);
    if (!earlier) first.set(mail.messageId, mail);
    else if (earlier.cut || (fault && Math.abs(earlier.at - fault.began) <= KNOWN_WINDOW_MS)) inKnownWindow += 1;
  }
  return { byRecipient: extra((mail) => mail.recipient), byMessageId: extra((mail) => mail.messageId), inKnownWindow };
}

const SHOWN_DUPLICATES = 20;

function duplicateCopies(mails: ReceivedMail[], faultBegan: number): DrillResult['duplicateCopies'] {
  const byMessageId = new Map<string, ReceivedMail[]>();
  for (const mail of mails) byMessageId.set(mail.messageId, [...(byMessageId.get(mail.messageId) ?? []), mail]);
  return [...byMessageId.values()]
    .filter((copies) => copies.length > 1)
    .slice(0, SHOWN_DUPLICATES)
    .map((copies) => ({ recipient: copies[0]!.recipient, messageId: copies[0]!.messageId, copies: copies.map((copy) => ({ afterFaultMs: copy.at - faultBegan, cut: copy.cut })) }));
}
