/**
 * `npm run drill [-- <name> …] [--quick]`: fault drills on whole Steward stacks,
 * each started by the drill in temporary directories on free loopback ports. A
 * burst of gifts, a fault part-way through (a process killed with -9, a server
 * refusing), recovery, and the count: 500s, accepted gifts lost or never thanked,
 * thank-yous sent twice. Progress on stderr, the table on stdout, the record in
 * bench/results/drills-latest.json; exits 1 when a drill fails.
 */
import path from 'node:path';
import { cleanupAll, installExitHandlers } from '../load/cleanup.ts';
import { runId } from '../load/gifts.ts';
import { progress } from '../load/progress.ts';
import type { Drill, DrillResult } from './harness.ts';
import { runDrill } from './harness.ts';
import { killStack } from './kill-stack.ts';
import { killTemporal } from './kill-temporal.ts';
import { killWorker } from './kill-worker.ts';
import { parseDrillOptions, type DrillName, type DrillOptions } from './options.ts';
import { postgresDown } from './postgres-down.ts';
import { formatDrillTable, writeDrillResults } from './report.ts';
import { smtp421, smtpCut } from './smtp-faults.ts';

const DRILLS: Record<DrillName, Drill> = {
  'kill-stack': killStack,
  'kill-worker': killWorker,
  'kill-temporal': killTemporal,
  'smtp-421': smtp421,
  'smtp-cut': smtpCut,
  'postgres-down': postgresDown,
};

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let options: DrillOptions;
  try {
    options = parseDrillOptions(argv);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  }
  installExitHandlers(progress);
  const startedAt = new Date();
  progress(`run ${runId}: drills ${options.drills.join(', ')}${options.quick ? ' (quick)' : ''}`);
  const results: DrillResult[] = [];
  try {
    for (const name of options.drills) {
      const drill = DRILLS[name];
      try {
        results.push(await runDrill(drill, options));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        progress(`drill ${drill.letter} ${name} could not run: ${message}`);
        results.push(notRun(drill, message));
      }
    }
  } finally {
    await cleanupAll(progress);
  }
  const command = ['npm run drill', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ');
  const file = await writeDrillResults({ startedAt, command, options, results });
  console.log(`\nSteward fault drills (${options.quick ? 'quick' : 'full'}: ${options.rate} gifts/s for ${options.duration} s, run ${runId})\n`);
  console.log(formatDrillTable(results));
  console.log(`\nReproduce: ${command}\nResults:   ${path.relative(process.cwd(), file)}`);
  process.exit(results.every((result) => result.verdict === 'PASS') ? 0 : 1);
}

function notRun(drill: Drill, message: string): DrillResult {
  return {
    drill: drill.name, letter: drill.letter, title: drill.title,
    sent: 0, accepted: 0, status5xx: 0, status500: 0, noAnswer: 0, statuses: {}, stored: 0, lost: 0, enrolled: 0, received: 0,
    duplicateRecipients: 0, duplicateMessageIds: 0, duplicatesInKnownWindow: 0, duplicateCopies: [], missing: 0, mailFaults: { refused: 0, cut: 0 },
    verdict: 'FAIL', failures: [`did not run: ${message.split('\n')[0]}`], notes: [],
  };
}

main().catch(async (error: unknown) => {
  console.error('[drill] failed:', error);
  await cleanupAll(progress);
  process.exit(1);
});
