/**
 * The trading session's lifecycle (issue 10, seed 001 SKILL_1), pure: one session per
 * tenant and venue day, the states INIT → PRE_MARKET → SESSION_OPEN → ACTIVE_TRADING →
 * POST_MARKET → SHUTDOWN, plus PAUSED (an admin's pause, or the guardian's on a health
 * warning) and EMERGENCY_STOP. The
 * transition table is data; every move is validated against it and refused with its
 * reason, and every accepted move is a record (from, to, by whom or what, when, why).
 *
 * The clock drives the day: `clockPhase` says where the venue's hours put the session
 * now, and `clockTransitions` walks the session there through every state in between
 * (a fan-out that wakes at 09:35 records PRE_MARKET → SESSION_OPEN → ACTIVE_TRADING, in
 * order). The clock never leaves EMERGENCY_STOP, and never resumes a PAUSED session; a
 * paused session still closes with the venue (POST_MARKET, SHUTDOWN).
 *
 * The cycle applies the clock (stages/orchestration.ts) each time the fan-out wakes the
 * tenant, and orchestrates entries only in ACTIVE_TRADING (exits also while PAUSED).
 */
import { TRADING_SESSION_STATES, type MarketHours, type SessionActor, type TradingSessionState } from "../schemas";
import { localClock, marketSession, nextDay, venueDayOf, venueDayStart } from "./market-hours";

export { TRADING_SESSION_STATES, type TradingSessionState };

/** Who moves a session: the clock (the schedule), an admin (a callable), or the risk guardian. */
export type Actor = SessionActor;

export interface Transition {
  from: TradingSessionState;
  to: TradingSessionState;
  actor: Actor;
  at: string;
  reason: string;
}

/** The scheduled market cycles' slot (stages/market-cycles.ts): the clock is read once per slot. */
export const CYCLE_SLOT_MINUTES = 5;

/** The day's order of clock phases. */
const CLOCK_ORDER: readonly TradingSessionState[] = ["INIT", "PRE_MARKET", "SESSION_OPEN", "ACTIVE_TRADING", "POST_MARKET", "SHUTDOWN"];

/** Who may make which move. The clock moves forward one phase at a time; admins pause, resume and stop. */
const ALLOWED: Readonly<Record<TradingSessionState, Partial<Record<TradingSessionState, readonly Actor["kind"][]>>>> = {
  INIT: { PRE_MARKET: ["clock"], EMERGENCY_STOP: ["admin", "guardian"] },
  PRE_MARKET: { SESSION_OPEN: ["clock"], PAUSED: ["admin"], EMERGENCY_STOP: ["admin", "guardian"] },
  SESSION_OPEN: { ACTIVE_TRADING: ["clock"], PAUSED: ["admin"], EMERGENCY_STOP: ["admin", "guardian"] },
  // The guardian pauses entries on a health warning (stages/health.ts), and resumes only its own pause.
  ACTIVE_TRADING: { POST_MARKET: ["clock"], PAUSED: ["admin", "guardian"], EMERGENCY_STOP: ["admin", "guardian"] },
  POST_MARKET: { SHUTDOWN: ["clock"], EMERGENCY_STOP: ["admin", "guardian"] },
  // Positions can outlive the session (a 24/7 desk, a position held overnight): a stop is always possible.
  SHUTDOWN: { EMERGENCY_STOP: ["admin", "guardian"] },
  // A paused session resumes only by an admin, into the phase the clock is in; it still closes with the venue.
  PAUSED: { PRE_MARKET: ["admin"], SESSION_OPEN: ["admin"], ACTIVE_TRADING: ["admin", "guardian"], POST_MARKET: ["clock", "admin"], SHUTDOWN: ["clock"], EMERGENCY_STOP: ["admin", "guardian"] },
  // Leaving an emergency stop is resumeTrading's, by an admin, only once the broker is
  // reconciled (stages/emergency.ts); it leaves into PAUSED, entries still held until resumed.
  EMERGENCY_STOP: { PAUSED: ["admin"] },
};

/** Why a move is refused, or null when it is allowed. */
export function refusal(from: TradingSessionState, to: TradingSessionState, actor: Actor): string | null {
  if (from === to) return `the trading session is already ${from}`;
  const who = ALLOWED[from][to];
  if (!who) {
    const allowed = Object.keys(ALLOWED[from]);
    return `${from} → ${to} is not a transition of the trading session (from ${from}: ${allowed.length ? allowed.join(", ") : "none"})`;
  }
  if (!who.includes(actor.kind)) return `${from} → ${to} is made by ${who.join(" or ")}, not by ${actor.kind === "admin" ? "an admin" : `the ${actor.kind}`}`;
  return null;
}

export interface TransitionResult {
  ok: boolean;
  /** The accepted move, or the reason it was refused. */
  transition?: Transition;
  refused?: string;
}

export function transition(from: TradingSessionState, to: TradingSessionState, actor: Actor, at: Date, reason: string): TransitionResult {
  const refused = refusal(from, to, actor);
  if (refused) return { ok: false, refused };
  if (actor.kind !== "clock" && reason.trim() === "") return { ok: false, refused: "reason: is required for a move that is not the clock's" };
  return { ok: true, transition: { from, to, actor, at: at.toISOString(), reason } };
}

export interface SessionWindows {
  /** Minutes before the open that are PRE_MARKET (seed 001's pre-market phase). */
  pre_market_minutes: number;
  /** Minutes after the close that are POST_MARKET, before SHUTDOWN. */
  post_market_minutes: number;
}

/** HH:MM → minutes since midnight; "24:00" is the end of the day. */
function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h * 60 + m;
}

/**
 * Where the venue's clock puts a session of `day` at `now`: INIT before the pre-market
 * window, PRE_MARKET in it, ACTIVE_TRADING from the open (SESSION_OPEN is passed through
 * on the way), POST_MARKET from the close for the post-market window, then SHUTDOWN. A
 * holiday or a day that is not a trading day goes straight to SHUTDOWN. A 24-hour venue
 * (open 00:00, close 24:00) trades all day.
 */
export function clockPhase(now: Date, day: string, hours: MarketHours & { close: string }, windows: SessionWindows): TradingSessionState {
  const local = localClock(now, hours.time_zone);
  if (local.date > day) return "SHUTDOWN"; // the session's day is over
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay() || 7;
  if (hours.holidays.includes(day) || !hours.trading_days.includes(weekday)) return "SHUTDOWN";
  if (local.date < day) return "INIT";
  const t = minutesOf(local.time);
  const open = minutesOf(hours.open);
  const close = minutesOf(hours.close);
  if (t < open - windows.pre_market_minutes) return "INIT";
  if (t < open) return "PRE_MARKET";
  if (t < close) return "ACTIVE_TRADING";
  if (t < close + windows.post_market_minutes) return "POST_MARKET";
  return "SHUTDOWN";
}

/**
 * The clock's moves from `current` towards `target`, each phase in order. PAUSED follows
 * the clock only to close (POST_MARKET, then SHUTDOWN); EMERGENCY_STOP and SHUTDOWN stay.
 */
export function clockTransitions(current: TradingSessionState, target: TradingSessionState, at: Date): Transition[] {
  const clock: Actor = { kind: "clock" };
  const moves: Transition[] = [];
  const record = (from: TradingSessionState, to: TradingSessionState, reason: string) => moves.push({ from, to, actor: clock, at: at.toISOString(), reason });
  const targetIndex = CLOCK_ORDER.indexOf(target);
  if (current === "PAUSED") {
    if (targetIndex >= CLOCK_ORDER.indexOf("POST_MARKET")) {
      record("PAUSED", "POST_MARKET", "the venue closed while the session was paused");
      if (target === "SHUTDOWN") record("POST_MARKET", "SHUTDOWN", "the post-market window ended");
    }
    return moves;
  }
  let index = CLOCK_ORDER.indexOf(current);
  if (index < 0) return moves; // EMERGENCY_STOP: the clock does not move it
  while (index < targetIndex) {
    const from = CLOCK_ORDER[index];
    const to = CLOCK_ORDER[index + 1];
    record(from, to, CLOCK_REASONS[to]);
    index += 1;
  }
  return moves;
}

const CLOCK_REASONS: Record<TradingSessionState, string> = {
  INIT: "",
  PRE_MARKET: "the pre-market window opened",
  SESSION_OPEN: "the venue opened",
  ACTIVE_TRADING: "trading began after the open",
  POST_MARKET: "the venue closed",
  SHUTDOWN: "the post-market window ended",
  PAUSED: "",
  EMERGENCY_STOP: "",
};

/** Only an ACTIVE_TRADING session orchestrates entries. */
export function tradesEntries(state: TradingSessionState): boolean {
  return state === "ACTIVE_TRADING";
}

/**
 * Whether a cycle runs at all: ACTIVE_TRADING orchestrates everything; PAUSED orchestrates
 * so that exits still pass (entries are held with SESSION_PAUSED), as freqtrade's
 * "stopentry" pause manages open trades; every other state orchestrates nothing (the venue
 * is closed, or EMERGENCY_STOP: nothing may re-submit while the broker is flattened).
 */
export function orchestrates(state: TradingSessionState): boolean {
  return state === "ACTIVE_TRADING" || state === "PAUSED";
}

/** The instant the venue closes on `day` (a 24:00 close is the next midnight): session locks last until then. */
export function closeInstant(day: string, hours: MarketHours): Date {
  const start = venueDayStart(day, hours.time_zone);
  const next = venueDayStart(nextDay(day), hours.time_zone);
  if (hours.close === "24:00") return next;
  // Local wall time → instant: the day's start plus the minutes, corrected for a DST change in between.
  const guess = new Date(start.getTime() + minutesOf(hours.close) * 60_000);
  const local = localClock(guess, hours.time_zone);
  const drift = minutesOf(local.time) - minutesOf(hours.close) + (local.date > day ? 1440 : local.date < day ? -1440 : 0);
  return new Date(Math.min(guess.getTime() - drift * 60_000, next.getTime()));
}

/**
 * Where an admin's resume puts a PAUSED session: the phase the clock is in, walked to
 * from PAUSED (a resume after the close goes the clock's way instead).
 */
export function resumeTarget(clock: TradingSessionState): TradingSessionState | null {
  if (clock === "INIT") return "PRE_MARKET";
  if (clock === "PRE_MARKET" || clock === "ACTIVE_TRADING") return clock;
  return null;
}

export interface ClockWake {
  /** Whether the fan-out wakes the tenant for this slot. */
  wake: boolean;
  /** Where the clock puts the tenant's session of the venue's day at `now`. */
  phase: TradingSessionState;
  reason: string;
}

/**
 * Whether the scheduled fan-out wakes a tenant at `now`: in PRE_MARKET, ACTIVE_TRADING and
 * POST_MARKET (each wake-up walks the session to the clock and, when trading, runs a
 * cycle), and in the first slot of SHUTDOWN, so the session is walked there and closed.
 * Otherwise the venue's reason it is closed.
 */
export function clockWakes(now: Date, hours: MarketHours & { close: string }, windows: SessionWindows, slotMinutes: number): ClockWake {
  const phase = clockPhase(now, venueDayOf(now, hours.time_zone), hours, windows);
  if (phase === "PRE_MARKET" || phase === "ACTIVE_TRADING" || phase === "POST_MARKET") return { wake: true, phase, reason: `the trading session's clock is in ${phase}` };
  const before = new Date(now.getTime() - slotMinutes * 60_000);
  const phaseBefore = clockPhase(before, venueDayOf(before, hours.time_zone), hours, windows);
  if (phase === "SHUTDOWN" && phaseBefore !== "SHUTDOWN" && phaseBefore !== "INIT") {
    return { wake: true, phase, reason: "the post-market window just ended: the session is walked to SHUTDOWN" };
  }
  return { wake: false, phase, reason: marketSession(now, hours).reason };
}
