/**
 * Row c: from POST /events of a gift to the thank-you accepted by an SMTP server,
 * at a steady offered rate; with how many messages are outstanding over time, to
 * tell a stack that keeps up from one whose backlog grows.
 */
import { giftRecipient, postGift, type Api } from './gifts.ts';
import { openLoop, percentile, type OpenLoopResult } from './load.ts';
import type { LoadOptions } from './options.ts';
import { pollUntil, progress } from './progress.ts';
import type { SmtpSink } from './smtp-sink.ts';

export interface DeliveryResults {
  intake: OpenLoopResult;
  received: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Messages accepted per second while gifts were offered, and over the whole run. */
  drainPerSecondDuringLoad: number;
  drainPerSecondOverall: number;
  /** Seconds from the last POST until the last message was accepted (undefined: never drained). */
  drainedAfterSeconds?: number;
  /** Outstanding (posted and accepted, not yet mailed) every few seconds. */
  outstanding: { atSeconds: number; count: number }[];
  backlogGrows: boolean;
}

const SAMPLE_EVERY_MS = 5_000;

export async function measureDelivery(api: Api, sink: SmtpSink, options: LoadOptions): Promise<DeliveryResults> {
  const phase = 'mail';
  const sentAt = new Map<number, number>();
  const started = performance.now();
  const outstanding: DeliveryResults['outstanding'] = [];
  const mailedSince = () => [...sink.receivedAt.values()].filter((at) => at >= started).length;
  const sample = () => {
    const count = sentAt.size - mailedSince();
    outstanding.push({ atSeconds: Math.round((performance.now() - started) / 1000), count });
    progress(`  ${Math.round((performance.now() - started) / 1000)} s: ${sentAt.size} posted, ${count} not yet mailed`);
  };
  const sampler = setInterval(sample, SAMPLE_EVERY_MS);
  let intake: OpenLoopResult;
  let loadEnded: number;
  let drained: boolean;
  try {
    progress(`gift → SMTP: ${options.rate} gifts/s for ${options.duration} s`);
    intake = await openLoop(postGift(api, phase, (n, at) => sentAt.set(n, at)), options.rate, options.duration);
    loadEnded = performance.now();
    const drainTimeoutMs = Math.max(60, options.duration) * 1000;
    drained = (await pollUntil(async () => (mailedSince() >= intake.ok ? true : undefined), { timeoutMs: drainTimeoutMs, everyMs: 250 })) === true;
    if (!drained) progress(`  ${intake.ok - mailedSince()} thank-yous still not mailed ${drainTimeoutMs / 1000} s after the last gift`);
  } finally {
    clearInterval(sampler);
  }
  sample();

  const latencies: number[] = [];
  let lastReceipt = started;
  for (const [n, at] of sentAt) {
    const received = sink.receivedAt.get(giftRecipient(phase, n));
    if (received === undefined) continue;
    latencies.push(received - at);
    lastReceipt = Math.max(lastReceipt, received);
  }
  latencies.sort((a, b) => a - b);
  const duringLoad = [...sink.receivedAt.values()].filter((at) => at >= started && at <= loadEnded).length;
  const loadSamples = outstanding.filter(({ atSeconds }) => atSeconds <= options.duration);
  const half = loadSamples[Math.floor(loadSamples.length / 2)]?.count ?? 0;
  const end = loadSamples.at(-1)?.count ?? 0;
  return {
    intake,
    received: latencies.length,
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    p99Ms: percentile(latencies, 0.99),
    drainPerSecondDuringLoad: duringLoad / ((loadEnded - started) / 1000),
    drainPerSecondOverall: latencies.length / ((lastReceipt - started) / 1000),
    ...(drained ? { drainedAfterSeconds: Math.max(0, (lastReceipt - loadEnded) / 1000) } : {}),
    outstanding,
    // Growing: more waiting at the end of the offered period than at its middle, by over a second's worth of gifts.
    backlogGrows: !drained || end > half + options.rate,
  };
}
