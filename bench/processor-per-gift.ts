/**
 * What each part of a stack spends on a gift, from its POST to its thank-you: one
 * Steward started as `npm start` runs it (embedded PGlite, the Temporal dev server),
 * a closed loop of gifts, then a wait until every one is thanked, with the
 * processor time of Steward's process, the Temporal server and PGlite read from
 * /proc before and after (Linux). Each round then gives the same Temporal server
 * bare signal-with-starts of a trivial workflow, for the server's own cost per call.
 *
 *   npx tsx bench/processor-per-gift.ts [seconds] [callers] [rounds] [SETTING=value ...]
 *
 * Settings after the numbers go to Steward, e.g. STEWARD_WORKFLOW_STACK_TRACES=true
 * to compare with the Temporal SDK's own workflow thread.
 */
import { cleanupAll, installExitHandlers } from './load/cleanup.ts';
import { openPool } from './load/database.ts';
import { postGift } from './load/gifts.ts';
import { closedLoop } from './load/load.ts';
import { processorByPart, processorSpent } from './load/processor.ts';
import { progress } from './load/progress.ts';
import { startRawSignal } from './load/raw-signal.ts';
import { awaitThanked } from './load/settle.ts';
import { startStewardStack } from './load/stack.ts';

const args = process.argv.slice(2);
const [seconds = 15, callers = 8, rounds = 2] = args.filter((arg) => !arg.includes('=')).map(Number);
const settings = Object.fromEntries(args.filter((arg) => arg.includes('=')).map((arg) => [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]));
/** Thank-yous of a loop's gifts may take minutes to drain on two cores; past this the round is reported short. */
const DRAIN_TIMEOUT_MS = 1_200_000;

installExitHandlers(progress);
const stack = await startStewardStack('stack', settings);
const db = openPool(stack.databaseUrl, 1);
const api = { url: stack.apiUrl!, key: stack.apiKey! };
const raw = await startRawSignal(stack.temporalAddress, 'default');
const perCall = (secondsSpent: number, count: number) => ((secondsSpent * 1000) / count).toFixed(1);
try {
  const warm = await closedLoop(postGift(api, 'warm'), 4, 3);
  await awaitThanked(db, 'warm', warm.ok, DRAIN_TIMEOUT_MS);
  console.log('| round | gifts | thanked per s | Steward ms/gift | Temporal ms/gift | PGlite ms/gift | Temporal ms/raw call |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (let round = 1; round <= rounds; round += 1) {
    const phase = `gifts${round}`;
    let before = await processorByPart(stack.pid);
    const started = performance.now();
    const gifts = await closedLoop(postGift(api, phase), callers, seconds);
    const drained = await awaitThanked(db, phase, gifts.ok, DRAIN_TIMEOUT_MS);
    const spent = processorSpent(before, await processorByPart(stack.pid));
    const wall = (performance.now() - started) / 1000;
    progress(`round ${round}: ${gifts.ok} gifts thanked ${drained === undefined ? 'only in part' : `in ${wall.toFixed(0)} s`}`);

    before = await processorByPart(stack.pid);
    const calls = await closedLoop(raw.signalWithStart(`raw${round}`), callers, seconds);
    await raw.drain(300_000);
    const rawSpent = processorSpent(before, await processorByPart(stack.pid));
    console.log(
      `| ${round} | ${gifts.ok} | ${(gifts.ok / wall).toFixed(1)} | ${perCall(spent.steward, gifts.ok)} | ${perCall(spent.temporal, gifts.ok)} | ${perCall(spent.database, gifts.ok)} | ${perCall(rawSpent.temporal, calls.ok)} |`,
    );
  }
} finally {
  await raw.stop();
  await db.end();
  await stack.stop();
  await cleanupAll(progress);
}
