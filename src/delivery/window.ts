/**
 * Send windows: messages reach people in their own daytime. A window is a span of
 * local clock time on chosen days of the week; the next opening is found in the
 * recipient's time zone with Luxon, so a daylight-saving change moves the
 * instant, not the local hour (09:00 stays 09:00 on the morning the clocks change).
 */
import { DateTime } from 'luxon';

export interface SendWindow {
  /** Minutes after local midnight the window opens, and closes (exclusive). */
  start: number;
  end: number;
  /** ISO weekdays the window opens on: 1 is Monday, 7 Sunday. */
  days: number[];
}

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** `09:00-20:00` and `mon-fri` (or `mon,wed,sat`, or `mon-sun`). */
export function parseSendWindow(hours: string, days: string): SendWindow | { error: string } {
  const match = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(hours.trim());
  if (!match) return { error: `"${hours}" is not a window like 09:00-20:00` };
  const [startHour, startMinute, endHour, endMinute] = match.slice(1).map(Number) as [number, number, number, number];
  const start = startHour * 60 + startMinute;
  const end = endHour * 60 + endMinute;
  if (startHour > 23 || endHour > 24 || startMinute > 59 || endMinute > 59 || end > 24 * 60) return { error: `"${hours}" is not a time of day` };
  if (start >= end) return { error: `"${hours}" must open before it closes, on the same day` };

  const chosen = new Set<number>();
  for (const part of days.toLowerCase().split(',').map((item) => item.trim()).filter(Boolean)) {
    const [from = '', to = from] = part.split('-').map((day) => day.trim());
    const first = DAY_NAMES.indexOf(from);
    const last = DAY_NAMES.indexOf(to);
    if (first < 0 || last < 0) return { error: `"${part}" is not a day or range of days like mon-fri` };
    // A range may wrap the week: fri-mon.
    for (let day = first; ; day = (day + 1) % 7) {
      chosen.add(day + 1);
      if (day === last) break;
    }
  }
  if (chosen.size === 0) return { error: 'no days chosen' };
  return { start, end, days: [...chosen].sort() };
}

export function describeWindow(window: SendWindow): string {
  const time = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  return `${time(window.start)}-${time(window.end)} ${window.days.map((day) => DAY_NAMES[day - 1]).join(',')}`;
}

/** `now` when the window is open in `timeZone`, otherwise the moment it next opens. */
export function nextOpening(now: Date, window: SendWindow, timeZone: string): Date {
  const local = DateTime.fromJSDate(now, { zone: timeZone });
  for (let offset = 0; offset <= 7; offset += 1) {
    const day = local.startOf('day').plus({ days: offset });
    if (!window.days.includes(day.weekday)) continue;
    // Luxon resolves a local time the clocks skip (02:30 on a spring-forward night) to the next valid one.
    const opens = day.set({ hour: Math.floor(window.start / 60), minute: window.start % 60 });
    const closes = window.end === 24 * 60 ? day.plus({ days: 1 }).startOf('day') : day.set({ hour: Math.floor(window.end / 60), minute: window.end % 60 });
    if (offset === 0 && local >= opens && local < closes) return now;
    if (opens > local) return opens.toJSDate();
  }
  throw new Error(`send window ${describeWindow(window)} never opens`);
}
