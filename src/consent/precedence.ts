/**
 * Which consent change wins: the rule on its own, with no database, so every
 * path that records consent (events, imports, links, keywords, the preference
 * page, bounces) decides the same way and a test can walk every pair of changes.
 *
 * 1. The latest by when it was given is in force; an older change that arrives
 *    late is kept for the record (`older`) and changes nothing.
 * 2. A withdrawal is always honoured, whoever reports it.
 * 3. A withdrawal by the constituent themself (an unsubscribe, STOP, a complaint,
 *    the preference page) is undone only by the constituent's own opt-in. Anyone
 *    else's "granted" after it is `refused`: kept, and reported back, never applied.
 * 4. While the constituent's withdrawal stands, a later withdrawal by someone else
 *    agrees with it and leaves it in force, so it still holds against "granted".
 */
import type { ConsentStatus } from '../db/client.ts';

export const consentAuthorities = ['constituent', 'staff', 'integration', 'provider'] as const;
export type ConsentAuthority = (typeof consentAuthorities)[number];

/** The consent in force on one channel of one constituent. */
export interface ConsentState {
  status: ConsentStatus;
  authority: ConsentAuthority;
  source: string;
  /** When it was given or withdrawn. */
  at: Date;
}

export type ConsentDecision =
  | { outcome: 'applied'; inForce: ConsentState }
  | { outcome: 'older'; inForce: ConsentState; note: string }
  | { outcome: 'refused'; inForce: ConsentState; note: string };

export function decideConsent(current: ConsentState | undefined, change: ConsentState): ConsentDecision {
  if (!current) return { outcome: 'applied', inForce: change };
  if (change.at < current.at) {
    return { outcome: 'older', inForce: current, note: `a later change (${current.status}, ${current.at.toISOString()}) is in force` };
  }
  const constituentWithdrew = current.status === 'withdrawn' && current.authority === 'constituent';
  if (constituentWithdrew && change.authority !== 'constituent') {
    if (change.status === 'withdrawn') return { outcome: 'applied', inForce: current };
    return {
      outcome: 'refused',
      inForce: current,
      note: `the constituent withdrew consent (${current.source}, ${current.at.toISOString()}); only their own opt-in restores it`,
    };
  }
  return { outcome: 'applied', inForce: change };
}
