/**
 * The ask ladder: how much to ask a donor for next. Asking too little leaves money
 * on the table; asking far beyond someone's giving feels careless. The rule here is
 * the common fundraising practice of nudging up from what the donor actually gave:
 *
 *   next ask = the larger of (last gift × 1.5) and (highest gift),
 *              rounded UP to a friendly amount, within [floor, ceiling].
 *
 * Friendly amounts, by size: under 100 in steps of 5; under 1,000 in steps of 25;
 * under 10,000 in steps of 100; from 10,000 in steps of 500.
 *
 * | last gift | highest gift | next ask |
 * |----------:|-------------:|---------:|
 * |         — |            — |       10 | (no history: the floor)
 * |        20 |           20 |       30 |
 * |        35 |           50 |       55 |
 * |       100 |          250 |      250 |
 * |       180 |          180 |      275 |
 * |     2,000 |        2,000 |    3,000 |
 * |    40,000 |       40,000 |   25,000 | (the ceiling)
 */

export interface AskInput {
  highestGift?: number | null;
  lastGift?: number | null;
  /** Smallest amount ever asked for (default 10). */
  floor?: number;
  /** Largest amount ever asked for by email (default 25,000); larger asks are for people, not journeys. */
  ceiling?: number;
}

const GROWTH = 1.5;

/** The step friendly amounts of this size are multiples of. */
function stepFor(amount: number): number {
  if (amount < 100) return 5;
  if (amount < 1_000) return 25;
  if (amount < 10_000) return 100;
  return 500;
}

/** The smallest friendly amount at or above `amount`. */
export function roundUpFriendly(amount: number): number {
  const step = stepFor(amount);
  // A tiny tolerance keeps 30.000000001 (floating point) from becoming 35.
  return Math.ceil(amount / step - 1e-9) * step;
}

/** The largest friendly amount at or below `amount`. */
function roundDownFriendly(amount: number): number {
  const step = stepFor(amount);
  return Math.floor(amount / step + 1e-9) * step;
}

export function nextAsk(input: AskInput): number {
  const floor = checked(input.floor ?? 10, 'floor');
  const ceiling = roundDownFriendly(checked(input.ceiling ?? 25_000, 'ceiling'));
  if (ceiling < floor) throw new RangeError(`ask ceiling ${ceiling} is below the floor ${floor}`);
  const last = checked(input.lastGift ?? 0, 'lastGift');
  const highest = Math.max(checked(input.highestGift ?? 0, 'highestGift'), last);
  if (last === 0 && highest === 0) return roundUpFriendly(floor);
  const target = Math.max(last * GROWTH, highest);
  return Math.min(ceiling, Math.max(roundUpFriendly(floor), roundUpFriendly(target)));
}

/**
 * Three amounts for a gift array in an email: one step below the ask (never below
 * the last gift or the floor), the ask, and one step above (within the ceiling).
 */
export function askLadder(input: AskInput): [number, number, number] {
  const ask = nextAsk(input);
  const floor = roundUpFriendly(input.floor ?? 10);
  const ceiling = roundDownFriendly(input.ceiling ?? 25_000);
  const below = Math.max(floor, roundDownFriendly(ask / GROWTH), Math.min(ask, roundUpFriendly(input.lastGift ?? 0)));
  const above = Math.min(ceiling, roundUpFriendly(ask * GROWTH));
  return [Math.min(below, ask), ask, Math.max(above, ask)];
}

function checked(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite amount of zero or more, not ${value}`);
  return value;
}
