/**
 * Gifts the benchmark posts: each from its own constituent, with email consent,
 * so each enrolls in the first-gift thank-you and is thanked. Ids and addresses
 * carry the run and the phase, `bench-<run>-<phase>-<n>`, so every count the
 * benchmark makes in the database is of its own rows only.
 */
import { randomBytes } from 'node:crypto';
import { sendJson } from './http.ts';
import type { Operation } from './load.ts';

/** A short id for this run, safe in addresses and in SQL LIKE patterns. */
export const runId = randomBytes(4).toString('hex');

export function giftKey(phase: string, n: number): string {
  return `bench-${runId}-${phase}-${n}`;
}

export function giftRecipient(phase: string, n: number): string {
  return `${giftKey(phase, n)}@example.org`;
}

/** LIKE pattern matching every event id and address of a phase. */
export function phasePattern(phase: string): string {
  return `bench-${runId}-${phase}-%`;
}

export function giftEvent(phase: string, n: number) {
  return {
    id: giftKey(phase, n),
    type: 'donation',
    constituent: { email: giftRecipient(phase, n), firstName: 'Bench', lastName: `Donor ${n}`, consent: { email: 'granted' } },
    data: { amount: 25, currency: 'USD' },
  };
}

export interface Api {
  url: string;
  key: string;
}

/** POST /events with gift n of the phase; `onSent` sees the moment it left. */
export function postGift(api: Api, phase: string, onSent?: (n: number, at: number) => void): Operation {
  return async (n) => {
    onSent?.(n, performance.now());
    return (await sendJson('POST', `${api.url}/events`, api.key, giftEvent(phase, n))).status;
  };
}

/**
 * POST /events with a custom event n of the phase, from its own constituent: stored
 * and routed like a gift, but no shipped journey starts on it, so it costs intake
 * alone, without the enrollment and the thank-you a gift sets off.
 */
export function postCustomEvent(api: Api, phase: string): Operation {
  return async (n) => {
    const event = { id: giftKey(phase, n), type: 'custom', constituent: { email: giftRecipient(phase, n) }, data: { name: 'bench-intake' } };
    return (await sendJson('POST', `${api.url}/events`, api.key, event)).status;
  };
}

/** POST /events/batch with gifts first..first+size-1; resolves with how many were accepted. */
export async function postGiftBatch(api: Api, phase: string, first: number, size: number): Promise<number> {
  const events = Array.from({ length: size }, (_, index) => giftEvent(phase, first + index));
  const reply = await sendJson('POST', `${api.url}/events/batch`, api.key, { events });
  if (reply.status < 200 || reply.status >= 300) throw new Error(`POST /events/batch answered ${reply.status}: ${reply.body.slice(0, 300)}`);
  return (JSON.parse(reply.body) as { accepted: number }).accepted;
}

/** CSV columns of an imported gift, as `steward events import` reads them. */
const GIFT_CSV_HEADER = 'id,type,occurredAt,email,firstName,lastName,consent_email,amount,currency';

/** A CSV file of `count` gifts of the phase, each from its own consenting constituent, all given at `occurredAt`. */
export function giftCsv(phase: string, count: number, occurredAt: Date): string {
  const at = occurredAt.toISOString();
  const lines = [GIFT_CSV_HEADER];
  for (let n = 0; n < count; n += 1) lines.push(`${giftKey(phase, n)},donation,${at},${giftRecipient(phase, n)},Bench,Donor ${n},granted,25,USD`);
  return lines.join('\n') + '\n';
}
