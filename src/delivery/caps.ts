/**
 * Frequency caps across all journeys: at most `limit` messages on a channel per
 * `period` for one constituent. A message takes its place under the cap in a
 * transaction that holds a PostgreSQL advisory lock for that constituent and
 * channel, so two workers sending at the same moment cannot both take the last place.
 */
import type { Database } from '../db/client.ts';
import type { Channel } from '../templates/variables.ts';

export interface FrequencyCap {
  limit: number;
  periodMs: number;
  /** `3 per 7 days`, for the reasons Steward records. */
  label: string;
}

const UNITS = { h: ['hour', 3_600_000], d: ['day', 86_400_000], w: ['week', 604_800_000] } as const;

/** `3/7d`, `1/1d`, `10/1w`, `2/12h`; `none` for no cap. */
export function parseCap(text: string): FrequencyCap | null | { error: string } {
  if (text.trim().toLowerCase() === 'none') return null;
  const match = /^(\d+)\s*\/\s*(\d+)\s*([hdw])$/.exec(text.trim());
  if (!match) return { error: `"${text}" is not a cap like 3/7d (count / period in h, d or w), or none` };
  const limit = Number(match[1]);
  const amount = Number(match[2]);
  const [unit, ms] = UNITS[match[3] as keyof typeof UNITS];
  if (limit < 1 || amount < 1) return { error: `"${text}" must allow at least one message in a period of at least one ${unit}` };
  return { limit, periodMs: amount * ms, label: `${limit} per ${amount === 1 ? unit : `${amount} ${unit}s`}` };
}

/** Messages that reached, or are on their way to, the constituent count against the cap. */
const COUNTED = ['pending', 'sent', 'delivered', 'bounced', 'complained'] as const;

export type Reservation = { reserved: true } | { reserved: false; roomAt: Date };

/**
 * Only a message still waiting may be cleared to go. An attempt that read the
 * message before another attempt sent it must not turn it back to pending: the
 * claim would then be free again and the message sent twice. When the update
 * touches nothing, the send claim finds the message settled and answers from it.
 */
const STILL_WAITING = ['scheduled', 'pending'] as const;

/** Clears a message to go without a place under the cap (a transactional one): it is never counted against the constituent. */
export async function clearOutsideCap(db: Database, messageId: string): Promise<void> {
  await db.message.updateMany({ where: { id: messageId, status: { in: [...STILL_WAITING] } }, data: { status: 'pending', scheduledFor: null } });
}

/**
 * Gives the message a place under the cap (marking it pending, counted now) or
 * says when the earliest counted message leaves the period and makes room.
 */
export async function reserveUnderCap(
  db: Database,
  request: { messageId: string; constituentId: string; channel: Channel; cap: FrequencyCap | null; now: Date },
): Promise<Reservation> {
  const { messageId, constituentId, channel, cap, now } = request;
  const markCounted = (client: Pick<Database, 'message'>) =>
    client.message.updateMany({ where: { id: messageId, status: { in: [...STILL_WAITING] } }, data: { status: 'pending', countedAt: now, scheduledFor: null } });
  // No cap on the channel: nothing to count, so no lock to take; one statement marks the place.
  if (!cap) {
    await markCounted(db);
    return { reserved: true };
  }
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`cap:${constituentId}:${channel}`}, 0))`;
    const counted = await tx.message.findMany({
      where: {
        constituentId,
        channel,
        id: { not: messageId },
        status: { in: [...COUNTED] },
        countedAt: { gt: new Date(now.getTime() - cap.periodMs) },
      },
      orderBy: { countedAt: 'asc' },
      select: { countedAt: true },
    });
    if (counted.length >= cap.limit) {
      // Room opens when enough of the oldest leave the period.
      const freeing = counted[counted.length - cap.limit]!.countedAt!;
      return { reserved: false, roomAt: new Date(freeing.getTime() + cap.periodMs) };
    }
    await markCounted(tx);
    return { reserved: true };
  });
}
