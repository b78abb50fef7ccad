/**
 * Durations in journey definitions: ISO 8601 (`P3D`, `PT48H`, `P1W`) or the short
 * forms marketers write (`90s`, `30m`, `48h`, `3d`, `2w`, `1d12h`). Months and
 * years are refused: their length depends on the date, and a journey's timers
 * must mean the same thing on every enrollment.
 */

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;

const ISO = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const SHORT = /^(?:\d+(?:w|d|h|m|s))+$/;
const SHORT_PART = /(\d+)(w|d|h|m|s)/g;

/** Milliseconds in a duration, or an explanation of why the text is not one. */
export function parseDuration(text: string): { ms: number } | { error: string } {
  const trimmed = text.trim();
  if (/^P/i.test(trimmed)) {
    const match = ISO.exec(trimmed.toUpperCase());
    if (!match || trimmed.toUpperCase() === 'P' || trimmed.toUpperCase().endsWith('T')) {
      return { error: `"${text}" is not an ISO 8601 duration of weeks, days, hours, minutes or seconds (e.g. P3D, PT48H)` };
    }
    const [, weeks, days, hours, minutes, seconds] = match;
    const ms =
      Number(weeks ?? 0) * UNIT_MS.w +
      Number(days ?? 0) * UNIT_MS.d +
      Number(hours ?? 0) * UNIT_MS.h +
      Number(minutes ?? 0) * UNIT_MS.m +
      Math.round(Number(seconds ?? 0) * UNIT_MS.s);
    return { ms };
  }
  if (SHORT.test(trimmed)) {
    let ms = 0;
    for (const [, amount, unit] of trimmed.matchAll(SHORT_PART)) ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
    return { ms };
  }
  return { error: `"${text}" is not a duration: write e.g. 30m, 48h, 3d, 2w or ISO 8601 (P3D, PT48H)` };
}

/** The shortest readable form of a duration: `3d`, `1d12h`, `45m`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let text = '';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const amount = Math.floor(rest / UNIT_MS[unit]);
    if (amount > 0) {
      text += `${amount}${unit}`;
      rest -= amount * UNIT_MS[unit];
    }
  }
  return rest > 0 ? `${text}${rest}ms` : text;
}
