/**
 * The trading session's state machine and clock (core/trading-session.ts). Every
 * transition of the table, allowed and refused, and the clock's phases worked out by hand
 * on New York's hours (EST, UTC−5, in January; pre-market 60 minutes, post-market 30).
 */
import {
  TRADING_SESSION_STATES,
  clockPhase,
  clockTransitions,
  clockWakes,
  closeInstant,
  orchestrates,
  refusal,
  resumeTarget,
  transition,
  tradesEntries,
  type Actor,
  type TradingSessionState,
} from "../../src/core/trading-session";
import { MarketHoursSchema } from "../../src/schemas";

const clock: Actor = { kind: "clock" };
const admin: Actor = { kind: "admin", uid: "ada" };
const guardian: Actor = { kind: "guardian", code: "SESSION_LOSS_LIMIT" };
const AT = new Date("2026-01-15T15:00:00Z");
const NYSE = MarketHoursSchema.parse({});
const WINDOWS = { pre_market_minutes: 60, post_market_minutes: 30 };

describe("the transition table", () => {
  // Every allowed move, with who makes it; everything else is refused.
  const ALLOWED: Array<[TradingSessionState, TradingSessionState, Actor["kind"][]]> = [
    ["INIT", "PRE_MARKET", ["clock"]],
    ["PRE_MARKET", "SESSION_OPEN", ["clock"]],
    ["SESSION_OPEN", "ACTIVE_TRADING", ["clock"]],
    ["ACTIVE_TRADING", "POST_MARKET", ["clock"]],
    ["POST_MARKET", "SHUTDOWN", ["clock"]],
    ["PRE_MARKET", "PAUSED", ["admin"]],
    ["SESSION_OPEN", "PAUSED", ["admin"]],
    // The guardian's pause on a health warning, and its resume.
    ["ACTIVE_TRADING", "PAUSED", ["admin", "guardian"]],
    ["PAUSED", "PRE_MARKET", ["admin"]],
    ["PAUSED", "SESSION_OPEN", ["admin"]],
    ["PAUSED", "ACTIVE_TRADING", ["admin", "guardian"]],
    ["PAUSED", "POST_MARKET", ["clock", "admin"]],
    ["PAUSED", "SHUTDOWN", ["clock"]],
    // resumeTrading, once the broker is reconciled.
    ["EMERGENCY_STOP", "PAUSED", ["admin"]],
    // SHUTDOWN too: positions can outlive the session, so a stop is always possible.
    ...(["INIT", "PRE_MARKET", "SESSION_OPEN", "ACTIVE_TRADING", "POST_MARKET", "SHUTDOWN", "PAUSED"] as const).map(
      (from): [TradingSessionState, TradingSessionState, Actor["kind"][]] => [from, "EMERGENCY_STOP", ["admin", "guardian"]],
    ),
  ];
  const actors: Record<Actor["kind"], Actor> = { clock, admin, guardian };

  it("allows exactly the listed moves, each only by its actors", () => {
    for (const from of TRADING_SESSION_STATES) {
      for (const to of TRADING_SESSION_STATES) {
        for (const kind of ["clock", "admin", "guardian"] as const) {
          const listed = ALLOWED.find(([f, t]) => f === from && t === to);
          const allowed = listed !== undefined && listed[2].includes(kind);
          expect([from, to, kind, refusal(from, to, actors[kind]) === null]).toEqual([from, to, kind, allowed]);
        }
      }
    }
  });

  it("refuses with the reason: not a transition, the wrong actor, already there", () => {
    expect(refusal("SHUTDOWN", "ACTIVE_TRADING", admin)).toBe("SHUTDOWN → ACTIVE_TRADING is not a transition of the trading session (from SHUTDOWN: EMERGENCY_STOP)");
    expect(refusal("EMERGENCY_STOP", "ACTIVE_TRADING", admin)).toBe("EMERGENCY_STOP → ACTIVE_TRADING is not a transition of the trading session (from EMERGENCY_STOP: PAUSED)");
    expect(refusal("EMERGENCY_STOP", "PAUSED", clock)).toBe("EMERGENCY_STOP → PAUSED is made by admin, not by the clock");
    expect(refusal("INIT", "ACTIVE_TRADING", clock)).toBe("INIT → ACTIVE_TRADING is not a transition of the trading session (from INIT: PRE_MARKET, EMERGENCY_STOP)");
    expect(refusal("ACTIVE_TRADING", "PAUSED", clock)).toBe("ACTIVE_TRADING → PAUSED is made by admin or guardian, not by the clock");
    expect(refusal("ACTIVE_TRADING", "POST_MARKET", admin)).toBe("ACTIVE_TRADING → POST_MARKET is made by clock, not by an admin");
    expect(refusal("PAUSED", "PAUSED", admin)).toBe("the trading session is already PAUSED");
  });

  it("records an accepted move, and requires a reason of anyone but the clock", () => {
    expect(transition("ACTIVE_TRADING", "PAUSED", admin, AT, "news pending")).toEqual({
      ok: true,
      transition: { from: "ACTIVE_TRADING", to: "PAUSED", actor: admin, at: "2026-01-15T15:00:00.000Z", reason: "news pending" },
    });
    expect(transition("ACTIVE_TRADING", "PAUSED", admin, AT, "  ")).toEqual({ ok: false, refused: "reason: is required for a move that is not the clock's" });
    expect(transition("SHUTDOWN", "PAUSED", admin, AT, "x")).toMatchObject({ ok: false });
  });

  it("only ACTIVE_TRADING trades entries", () => {
    expect(TRADING_SESSION_STATES.filter(tradesEntries)).toEqual(["ACTIVE_TRADING"]);
  });
});

describe("clockPhase (New York, EST: local = UTC − 5 h)", () => {
  const at = (utc: string) => clockPhase(new Date(utc), "2026-01-15", NYSE, WINDOWS);

  it("walks the day: INIT, PRE_MARKET from 08:30, ACTIVE_TRADING from 09:30, POST_MARKET from 16:00, SHUTDOWN from 16:30", () => {
    expect(at("2026-01-15T13:29:00Z")).toBe("INIT"); // 08:29
    expect(at("2026-01-15T13:30:00Z")).toBe("PRE_MARKET"); // 08:30
    expect(at("2026-01-15T14:29:00Z")).toBe("PRE_MARKET"); // 09:29
    expect(at("2026-01-15T14:30:00Z")).toBe("ACTIVE_TRADING"); // 09:30
    expect(at("2026-01-15T20:59:00Z")).toBe("ACTIVE_TRADING"); // 15:59
    expect(at("2026-01-15T21:00:00Z")).toBe("POST_MARKET"); // 16:00
    expect(at("2026-01-15T21:30:00Z")).toBe("SHUTDOWN"); // 16:30
    expect(at("2026-01-16T05:00:00Z")).toBe("SHUTDOWN"); // the next day
    expect(at("2026-01-15T02:00:00Z")).toBe("INIT"); // still the 14th in New York
  });

  it("shuts a holiday or a weekend day at once", () => {
    expect(clockPhase(new Date("2026-01-19T15:00:00Z"), "2026-01-19", NYSE, WINDOWS)).toBe("SHUTDOWN"); // MLK day
    expect(clockPhase(new Date("2026-01-17T15:00:00Z"), "2026-01-17", NYSE, WINDOWS)).toBe("SHUTDOWN"); // Saturday
  });

  it("lets a 24-hour venue (crypto: every day, 00:00–24:00) trade all day", () => {
    const crypto = MarketHoursSchema.parse({ time_zone: "UTC", open: "00:00", close: "24:00", trading_days: [1, 2, 3, 4, 5, 6, 7], holidays: [] });
    for (const t of ["00:00", "03:17", "12:00", "23:59"]) {
      expect(clockPhase(new Date(`2026-01-17T${t}:00Z`), "2026-01-17", crypto, WINDOWS)).toBe("ACTIVE_TRADING");
    }
    expect(MarketHoursSchema.safeParse({ close: "24:01" }).success).toBe(false);
  });
});

describe("clockTransitions", () => {
  it("walks through every phase in between, in order", () => {
    expect(clockTransitions("INIT", "ACTIVE_TRADING", AT).map((t) => `${t.from}→${t.to}`)).toEqual([
      "INIT→PRE_MARKET",
      "PRE_MARKET→SESSION_OPEN",
      "SESSION_OPEN→ACTIVE_TRADING",
    ]);
    expect(clockTransitions("ACTIVE_TRADING", "SHUTDOWN", AT).map((t) => t.to)).toEqual(["POST_MARKET", "SHUTDOWN"]);
    expect(clockTransitions("ACTIVE_TRADING", "ACTIVE_TRADING", AT)).toEqual([]);
    expect(clockTransitions("INIT", "PRE_MARKET", AT)[0]).toEqual({ from: "INIT", to: "PRE_MARKET", actor: clock, at: "2026-01-15T15:00:00.000Z", reason: "the pre-market window opened" });
  });

  it("never resumes a paused session, but closes it with the venue; never moves an emergency stop", () => {
    expect(clockTransitions("PAUSED", "ACTIVE_TRADING", AT)).toEqual([]);
    expect(clockTransitions("PAUSED", "SHUTDOWN", AT).map((t) => `${t.from}→${t.to}`)).toEqual(["PAUSED→POST_MARKET", "POST_MARKET→SHUTDOWN"]);
    expect(clockTransitions("EMERGENCY_STOP", "SHUTDOWN", AT)).toEqual([]);
  });

  it("every clock move it records is one the table allows the clock", () => {
    for (const from of TRADING_SESSION_STATES) {
      for (const to of ["INIT", "PRE_MARKET", "ACTIVE_TRADING", "POST_MARKET", "SHUTDOWN"] as const) {
        for (const t of clockTransitions(from, to, AT)) expect(refusal(t.from, t.to, clock)).toBeNull();
      }
    }
  });
});

describe("the venue's close, the fan-out's wake-ups, a resume's target, which states orchestrate", () => {
  const DEFAULT_WINDOWS = { pre_market_minutes: 30, post_market_minutes: 30 };
  const crypto = MarketHoursSchema.parse({ time_zone: "UTC", open: "00:00", close: "24:00", trading_days: [1, 2, 3, 4, 5, 6, 7], holidays: [] });

  it("closeInstant: 16:00 New York is 21:00Z in winter (EST, UTC−5) and 20:00Z in summer (EDT, UTC−4)", () => {
    expect(closeInstant("2026-11-30", NYSE).toISOString()).toBe("2026-11-30T21:00:00.000Z");
    expect(closeInstant("2026-07-01", NYSE).toISOString()).toBe("2026-07-01T20:00:00.000Z");
    // The days the clocks change: midnight is still EST on 2026-03-08, but 16:00 is EDT → 20:00Z;
    // midnight is EDT on 2026-11-01, but 16:00 is EST → 21:00Z.
    expect(closeInstant("2026-03-08", NYSE).toISOString()).toBe("2026-03-08T20:00:00.000Z");
    expect(closeInstant("2026-11-01", NYSE).toISOString()).toBe("2026-11-01T21:00:00.000Z");
    // Tokyo (UTC+9, no DST): 15:00 is 06:00Z the same day.
    expect(closeInstant("2026-01-15", MarketHoursSchema.parse({ time_zone: "Asia/Tokyo", open: "09:00", close: "15:00", holidays: [] })).toISOString()).toBe("2026-01-15T06:00:00.000Z");
  });

  it("closeInstant: a 24:00 close is the next venue midnight", () => {
    const nyAllDay = MarketHoursSchema.parse({ open: "00:00", close: "24:00" });
    expect(closeInstant("2026-11-30", nyAllDay).toISOString()).toBe("2026-12-01T05:00:00.000Z"); // 00:00 EST
    expect(closeInstant("2026-07-01", nyAllDay).toISOString()).toBe("2026-07-02T04:00:00.000Z"); // 00:00 EDT
    expect(closeInstant("2026-03-08", nyAllDay).toISOString()).toBe("2026-03-09T04:00:00.000Z"); // already EDT the next midnight
    expect(closeInstant("2026-01-17", crypto).toISOString()).toBe("2026-01-18T00:00:00.000Z");
    expect(closeInstant("2026-12-31", crypto).toISOString()).toBe("2027-01-01T00:00:00.000Z");
  });

  // Monday 2026-11-30, EST: local = UTC − 5 h; pre-market from 09:00, post-market to 16:30.
  const wakes = (utc: string, hours = NYSE) => clockWakes(new Date(utc), hours, DEFAULT_WINDOWS, 5);

  it("clockWakes: wakes in PRE_MARKET, ACTIVE_TRADING and POST_MARKET", () => {
    expect(wakes("2026-11-30T13:59:00Z")).toMatchObject({ wake: false, phase: "INIT" }); // 08:59
    expect(wakes("2026-11-30T14:00:00Z")).toEqual({ wake: true, phase: "PRE_MARKET", reason: "the trading session's clock is in PRE_MARKET" }); // 09:00
    expect(wakes("2026-11-30T14:30:00Z")).toEqual({ wake: true, phase: "ACTIVE_TRADING", reason: "the trading session's clock is in ACTIVE_TRADING" }); // 09:30
    expect(wakes("2026-11-30T20:55:00Z")).toMatchObject({ wake: true, phase: "ACTIVE_TRADING" }); // 15:55
    expect(wakes("2026-11-30T21:00:00Z")).toMatchObject({ wake: true, phase: "POST_MARKET" }); // 16:00
    expect(wakes("2026-11-30T21:25:00Z")).toMatchObject({ wake: true, phase: "POST_MARKET" }); // 16:25
  });

  it("clockWakes: wakes in the first SHUTDOWN slot only", () => {
    // 16:30: SHUTDOWN, and 16:25 (a slot earlier) was POST_MARKET → wake to walk the session there.
    expect(wakes("2026-11-30T21:30:00Z")).toEqual({ wake: true, phase: "SHUTDOWN", reason: "the post-market window just ended: the session is walked to SHUTDOWN" });
    // 16:35: 16:30 was already SHUTDOWN.
    expect(wakes("2026-11-30T21:35:00Z")).toEqual({ wake: false, phase: "SHUTDOWN", reason: "closed: 16:35 is at or after the 16:00 close" });
    // Without a post-market window the first SHUTDOWN slot is the close itself (15:55 was trading).
    expect(clockWakes(new Date("2026-11-30T21:00:00Z"), NYSE, { pre_market_minutes: 30, post_market_minutes: 0 }, 5)).toMatchObject({ wake: true, phase: "SHUTDOWN" });
  });

  it("clockWakes: does not wake at night, on a weekend or on a holiday", () => {
    expect(wakes("2026-11-30T08:00:00Z")).toEqual({ wake: false, phase: "INIT", reason: "closed: 03:00 is before the 09:30 open" }); // 03:00 NY
    expect(wakes("2026-11-30T05:00:00Z")).toMatchObject({ wake: false, phase: "INIT" }); // Monday 00:00 NY (Sunday 23:55 was no trading day)
    expect(wakes("2026-11-28T15:00:00Z")).toEqual({ wake: false, phase: "SHUTDOWN", reason: "closed: Saturday is not a trading day" });
    expect(wakes("2026-11-26T15:00:00Z")).toEqual({ wake: false, phase: "SHUTDOWN", reason: "closed: 2026-11-26 is a holiday" }); // Thanksgiving, 10:00
    expect(wakes("2026-11-26T05:00:00Z")).toMatchObject({ wake: false, phase: "SHUTDOWN" }); // Thanksgiving 00:00: the 25th's 23:55 was SHUTDOWN
  });

  it("clockWakes: a 24/7 venue (every day, 00:00–24:00, no holidays) wakes at any hour", () => {
    for (const utc of ["2026-01-17T00:00:00Z", "2026-01-17T03:00:00Z", "2026-01-17T12:00:00Z", "2026-01-17T23:55:00Z", "2026-01-18T00:05:00Z"]) {
      expect([utc, wakes(utc, crypto)]).toEqual([utc, { wake: true, phase: "ACTIVE_TRADING", reason: "the trading session's clock is in ACTIVE_TRADING" }]);
    }
    // The same in New York's zone: 03:00 NY on a Sunday.
    const nyAllWeek = MarketHoursSchema.parse({ open: "00:00", close: "24:00", trading_days: [1, 2, 3, 4, 5, 6, 7], holidays: [] });
    expect(wakes("2026-11-29T08:00:00Z", nyAllWeek)).toMatchObject({ wake: true, phase: "ACTIVE_TRADING" });
  });

  it("resumeTarget: the phase the clock is in (INIT resumes into PRE_MARKET); none after the close", () => {
    const targets = Object.fromEntries(TRADING_SESSION_STATES.map((s) => [s, resumeTarget(s)]));
    expect(targets).toEqual({
      INIT: "PRE_MARKET",
      PRE_MARKET: "PRE_MARKET",
      SESSION_OPEN: null,
      ACTIVE_TRADING: "ACTIVE_TRADING",
      POST_MARKET: null,
      SHUTDOWN: null,
      PAUSED: null,
      EMERGENCY_STOP: null,
    });
    // Every target is a move an admin may make out of PAUSED.
    for (const s of TRADING_SESSION_STATES) {
      const target = resumeTarget(s);
      if (target) expect(refusal("PAUSED", target, admin)).toBeNull();
    }
  });

  it("orchestrates: ACTIVE_TRADING (everything) and PAUSED (exits); nothing else", () => {
    expect(TRADING_SESSION_STATES.filter(orchestrates)).toEqual(["ACTIVE_TRADING", "PAUSED"]);
  });
});
