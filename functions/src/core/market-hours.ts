/**
 * Market hours of a tenant's venue. Scheduled market cycles run only while the venue is
 * open: `marketSession` reads the wall clock in the venue's time zone and says whether it
 * is, and why. `cycleSlot` names one scheduled cycle by the start of its UTC slot, so a
 * retried schedule or a duplicate delivery of the same tick maps to the same
 * orchestration instead of starting a second one.
 *
 * Time zones go through Intl only (no date library). Holidays and trading days are read
 * on the local calendar, so a UTC instant late on one UTC day can fall on the next local
 * day (Asia/Tokyo) or an early one on the previous local day (America/New_York).
 */
import type { MarketHours } from "../schemas";

export interface LocalClock {
  /** Local calendar date, `YYYY-MM-DD`. */
  date: string;
  /** Local time of day, `HH:MM`, 24-hour (midnight is `00:00`). */
  time: string;
  /** ISO weekday of the local date, 1 = Monday … 7 = Sunday. */
  iso_weekday: number;
}

export interface MarketSession {
  open: boolean;
  local_date: string;
  local_time: string;
  /** Why the venue is open or closed, for logs and the audit trail. */
  reason: string;
}

const WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall clock of `timeZone` (an IANA name) at `now`. */
export function localClock(now: Date, timeZone: string): LocalClock {
  if (Number.isNaN(now.getTime())) throw new RangeError(`localClock: invalid time ${String(now)}`);
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(now)) parts[p.type] = p.value;
  // Some ICU builds print midnight as "24" when asked for a 24-hour clock; it is still the same date.
  const hour = parts.hour === "24" ? "00" : parts.hour;
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  // The weekday of a calendar date does not depend on the zone, so read it off UTC.
  const utcDay = new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return { date, time: `${hour}:${parts.minute}`, iso_weekday: utcDay === 0 ? 7 : utcDay };
}

/**
 * Whether the venue is open at `now`: the local weekday is a trading day, the local date
 * is not a holiday, and open <= local time < close. Checked in that order of reasons:
 * holiday, then weekday, then time of day.
 */
export function marketSession(now: Date, hours: MarketHours): MarketSession {
  const { date, time, iso_weekday } = localClock(now, hours.time_zone);
  const closed = (reason: string): MarketSession => ({ open: false, local_date: date, local_time: time, reason: `closed: ${reason}` });

  if (hours.holidays.includes(date)) return closed(`${date} is a holiday`);
  if (!hours.trading_days.includes(iso_weekday)) return closed(`${WEEKDAY_NAMES[iso_weekday - 1]} is not a trading day`);
  // "HH:MM" strings compare in clock order.
  if (time < hours.open) return closed(`${time} is before the ${hours.open} open`);
  if (time >= hours.close) return closed(`${time} is at or after the ${hours.close} close`);
  return {
    open: true,
    local_date: date,
    local_time: time,
    reason: `open: ${time} is within ${hours.open}–${hours.close} ${hours.time_zone}`,
  };
}

/**
 * The start of the `minutes`-long UTC slot holding `now` (14:37:12.345Z → 14:35:00.000Z
 * for 5). Every instant of one scheduled cycle maps to the same slot. `minutes` must
 * divide 60, so slots line up with the hour.
 */
export function cycleSlot(now: Date, minutes = 5): Date {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60 || 60 % minutes !== 0) {
    throw new RangeError(`cycleSlot: minutes must be an integer from 1 to 60 that divides 60, got ${minutes}`);
  }
  const ms = now.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`cycleSlot: invalid time ${String(now)}`);
  const slotMs = minutes * 60_000;
  return new Date(Math.floor(ms / slotMs) * slotMs);
}

// ---------------------------------------------------------------------------
// The venue's trading day (issue 9, "The venue's day")
// ---------------------------------------------------------------------------

/** UTC offsets are whole multiples of 15 minutes and change only on such boundaries. */
const QUARTER_HOUR_MS = 15 * 60_000;
const dayOfQuarterHour = new Map<string, Map<number, string>>();

/**
 * The venue's calendar date of an instant, `YYYY-MM-DD`: an 8 pm New York fill belongs to
 * that New York day, not to the next UTC day. Cached per quarter hour, so a ledger of a
 * million fills costs a few thousand Intl calls, not a million.
 */
export function venueDayOf(instant: Date, timeZone: string): string {
  const ms = instant.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`venueDayOf: invalid time ${String(instant)}`);
  let cache = dayOfQuarterHour.get(timeZone);
  if (!cache) {
    cache = new Map();
    dayOfQuarterHour.set(timeZone, cache);
  }
  const slot = Math.floor(ms / QUARTER_HOUR_MS);
  let day = cache.get(slot);
  if (day === undefined) {
    const start = new Date(slot * QUARTER_HOUR_MS);
    day = timeZone === "UTC" ? start.toISOString().slice(0, 10) : localClock(start, timeZone).date;
    if (cache.size > 200_000) cache.clear();
    cache.set(slot, day);
  }
  return day;
}

/**
 * The first instant of a venue day (local midnight, or the first instant after it where a
 * DST change skips midnight). Every instant from it up to the next day's start has
 * `venueDayOf(instant) === day`.
 */
export function venueDayStart(day: string, timeZone: string): Date {
  const [y, m, d] = day.split("-").map(Number);
  const wall = Date.UTC(y, m - 1, d);
  if (timeZone === "UTC") return new Date(wall);
  // The zone's offset at an instant: its wall clock read as if it were UTC, minus the instant.
  const offsetAt = (ms: number) => {
    const c = localClock(new Date(ms), timeZone);
    const [hh, mm] = c.time.split(":").map(Number);
    const [cy, cm, cd] = c.date.split("-").map(Number);
    return Date.UTC(cy, cm - 1, cd, hh, mm) - ms;
  };
  let start = wall - offsetAt(wall);
  start = wall - offsetAt(start);
  // Find the first quarter hour on `day` (a skipped midnight, or an estimate a day off).
  while (venueDayOf(new Date(start), timeZone) < day) start += QUARTER_HOUR_MS;
  while (venueDayOf(new Date(start - QUARTER_HOUR_MS), timeZone) >= day) start -= QUARTER_HOUR_MS;
  return new Date(start);
}

/** The calendar day after `day`. */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
