/**
 * Rows a and b: Steward's intake against the raw parts it is built on, on the same
 * database and Temporal server, alternated run by run (the order flips each round)
 * so a machine that gets busier or quieter moves both sides alike.
 */
import type pg from 'pg';
import { postCustomEvent, postGift, postGiftBatch, type Api } from './gifts.ts';
import { closedLoop, openLoop, type LoadResult, type OpenLoopResult } from './load.ts';
import type { LoadOptions } from './options.ts';
import { openPool, phaseCounts } from './database.ts';
import { progress } from './progress.ts';
import { createScratchTable } from './raw-insert.ts';
import { startRawSignal } from './raw-signal.ts';
import { awaitEnrollments, awaitThanked, type Enrolled } from './settle.ts';
import type { StewardStack } from './stack.ts';

export interface ClosedRuns {
  concurrency: number;
  steward: (LoadResult & { enrolled: Enrolled })[];
  rawInsert: LoadResult[];
  rawSignal: LoadResult[];
}

export interface IntakeResults {
  closed: ClosedRuns[];
  open?: OpenLoopResult & { enrolled: Enrolled };
  /** The same open loop of events that enroll no one: intake without the work each gift sets off. */
  openIntakeOnly?: OpenLoopResult;
  /** Stored events per second: rows in the database when the last batch was answered. */
  batches: { size: number; batches: number; accepted: number; stored: number; seconds: number; perSecond: number }[];
}

type Kind = 'steward' | 'rawInsert' | 'rawSignal';

/** Time allowed per gift still to thank before a closed loop's baselines run: drains as slow as 5 a second. */
const BACKLOG_MS_PER_GIFT = 200;

export async function measureIntake(stack: StewardStack, api: Api | undefined, db: pg.Pool, options: LoadOptions): Promise<IntakeResults> {
  const withSteward = options.rows.has('a') && api !== undefined;
  const withRaw = options.rows.has('b');
  const scratch = withRaw ? await createScratchTable(db) : undefined;
  const raw = withRaw ? await startRawSignal(stack.temporalAddress, 'default') : undefined;
  const results: IntakeResults = { closed: [], batches: [] };
  const settleMs = options.settleSeconds * 1000;
  try {
    for (const concurrency of options.concurrencies) {
      const runs: ClosedRuns = { concurrency, steward: [], rawInsert: [], rawSignal: [] };
      // Embedded PGlite runs one query at a time and mixes up answers across many connections:
      // Steward holds one connection to it, and so does the baseline, queueing its callers' inserts.
      const rawPool = withRaw ? openPool(stack.databaseUrl, stack.databaseEmbedded ? 1 : concurrency) : undefined;
      try {
        for (let round = 1; round <= options.rounds; round += 1) {
          const order: Kind[] = round % 2 === 1 ? ['steward', 'rawInsert', 'rawSignal'] : ['rawSignal', 'rawInsert', 'steward'];
          for (const kind of order) {
            const phase = `c${concurrency}r${round}${kind === 'steward' ? '' : kind === 'rawInsert' ? 'i' : 's'}`;
            if (kind === 'steward' && withSteward) {
              const startedWall = Date.now();
              const load = await closedLoop(postGift(api, phase), concurrency, options.closedSeconds);
              const enrolled = await awaitEnrollments(db, phase, load.ok, startedWall, Date.now(), settleMs);
              runs.steward.push({ ...load, enrolled });
              report(`POST /events c=${concurrency} round ${round}`, load, `${enrolled.perSecond.toFixed(1)} enrollments/s`);
              // The baselines run on a machine as quiet as this run began on: the backlog is
              // given time to drain at a few thank-yous a second, not only the settle time.
              await awaitThanked(db, phase, enrolled.enrollments, settleMs + enrolled.enrollments * BACKLOG_MS_PER_GIFT);
            } else if (kind === 'rawInsert' && scratch && rawPool) {
              await rawPool.query('SELECT 1'); // connect outside the timed run
              const load = await closedLoop(scratch.insert(phase), concurrency, options.closedSeconds);
              runs.rawInsert.push(load);
              report(`raw INSERT c=${concurrency} round ${round}`, load);
            } else if (kind === 'rawSignal' && raw) {
              const load = await closedLoop(raw.signalWithStart(phase), concurrency, options.closedSeconds);
              runs.rawSignal.push(load);
              report(`raw signalWithStart c=${concurrency} round ${round}`, load);
              if (!(await raw.drain(settleMs))) progress(`  trivial workflows still running after ${options.settleSeconds} s; going on`);
            }
          }
        }
      } finally {
        await rawPool?.end();
      }
      results.closed.push(runs);
    }

    if (withSteward) {
      progress(`POST /events open loop: ${options.intakeRate} custom events/s (enrolling no one) for ${options.intakeSeconds} s`);
      results.openIntakeOnly = await openLoop(postCustomEvent(api, 'open-custom'), options.intakeRate, options.intakeSeconds);
      report('POST /events open loop (custom events)', results.openIntakeOnly, `${results.openIntakeOnly.status5xx} 5xx`);
      progress(`POST /events open loop: ${options.intakeRate} gifts/s for ${options.intakeSeconds} s`);
      results.open = await openLoopOfGifts(api, db, 'open', options);

      // Last, and not waited for: the stack is stopped with these still being routed and thanked.

      for (const { size, count } of options.batches) {
        const phase = `b${size}`;
        progress(`POST /events/batch: ${count} × ${size}`);
        const started = performance.now();
        let accepted = 0;
        for (let batch = 0; batch < count; batch += 1) accepted += await postGiftBatch(api, phase, batch * size, size);
        const seconds = (performance.now() - started) / 1000;
        const stored = (await phaseCounts(db, phase)).events;
        results.batches.push({ size, batches: count, accepted, stored, seconds, perSecond: stored / seconds });
        progress(`  ${stored} of ${accepted} accepted events stored in ${seconds.toFixed(1)} s: ${(stored / seconds).toFixed(1)} stored events/s`);
      }
    }
  } finally {
    await raw?.stop();
    await scratch?.drop();
  }
  return results;
}

/**
 * Gifts offered at --intake-rate for --intake-duration, then the wait for their
 * enrollments (timed) and their thank-yous (so the next run starts on a quiet stack).
 */
export async function openLoopOfGifts(api: Api, db: pg.Pool, phase: string, options: LoadOptions): Promise<OpenLoopResult & { enrolled: Enrolled }> {
  const settleMs = options.settleSeconds * 1000;
  const startedWall = Date.now();
  const load = await openLoop(postGift(api, phase), options.intakeRate, options.intakeSeconds);
  const enrolled = await awaitEnrollments(db, phase, load.ok, startedWall, Date.now(), settleMs);
  report(`POST /events open loop (${phase})`, load, `${load.status5xx} 5xx; ${enrolled.perSecond.toFixed(1)} enrollments/s`);
  await awaitThanked(db, phase, enrolled.enrollments, settleMs);
  return { ...load, enrolled };
}

function report(what: string, load: LoadResult, extra = ''): void {
  progress(
    `  ${what}: ${load.perSecond.toFixed(1)}/s, p50 ${load.p50Ms.toFixed(1)} ms, p99 ${load.p99Ms.toFixed(1)} ms` +
      (load.non2xx + load.errors > 0 ? `, ${load.non2xx} non-2xx, ${load.errors} errors (${load.firstError})` : '') +
      (extra ? `; ${extra}` : ''),
  );
}
