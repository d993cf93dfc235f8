/**
 * The risk guardian's session limits (core/session-guardian.ts), the trading session's
 * gate, and both through orchestrateCycle (core/orchestrate.ts, core/risk-guardian.ts).
 * Every expected number is worked out by hand in the comment beside it. Defaults
 * (RiskConfigSchema): max_session_loss_pct 3, max_trades_per_session 20,
 * max_consecutive_losses 5, max_orders_per_minute null, max_session_minutes null,
 * max_equity_jump_pct 25.
 *
 * The session day is 2026-01-15 (New York, EST = UTC−5): it began trading at 09:30 NY
 * (14:30Z) and closes at 16:00 NY (21:00Z); "now" is 10:00 NY (15:00Z) unless a test says
 * otherwise.
 */
import fc from "fast-check";
import { orchestrateCycle, type CycleInput } from "../../src/core/orchestrate";
import type { DraftSignal, StepContext } from "../../src/core/pipeline";
import {
  EMPTY_SESSION_RISK,
  assessSession,
  liftLock,
  lockActive,
  recordOrders,
  tradingSessionGate,
  type ClosedTrade,
  type EquityReading,
  type SessionAssessmentInput,
} from "../../src/core/session-guardian";
import {
  DEFAULT_CONFIG,
  LOCK_CODES,
  MaestroConfigSchema,
  RiskConfigSchema,
  SessionRiskSchema,
  TradingSessionSchema,
  type LockCode,
  type Mode,
  type RiskConfig,
  type RiskLock,
  type SessionRisk,
  type Strategy,
  type StrategyWeight,
  type TradingSessionState,
} from "../../src/schemas";

const at = (hhmmss: string) => `2026-01-15T${hhmmss}.000Z`;
const NOW = new Date(at("15:00:00"));
const CLOSE = at("21:00:00");
const TRADING_SINCE = at("14:30:00");
const AS_OF = at("14:59:00");
const RISK: RiskConfig = RiskConfigSchema.parse({});
const riskWith = (over: Partial<RiskConfig>): RiskConfig => RiskConfigSchema.parse(over);

const reading = (value: number | null, as_of: string | null = AS_OF, source = "account snapshot"): EquityReading => ({ value, source, as_of });
const riskState = (over: Partial<SessionRisk> = {}): SessionRisk => ({ ...EMPTY_SESSION_RISK, locks: [], order_times: [], ...over });
/** A session that has accepted equity before: starting 100,000, high-water 100,000, last 100,000. */
const seasoned = (over: Partial<SessionRisk> = {}): SessionRisk =>
  riskState({ starting_equity: 100_000, high_water_equity: 100_000, last_equity: 100_000, last_equity_as_of: at("14:55:00"), ...over });
const lockOf = (code: LockCode, over: Partial<RiskLock> = {}): RiskLock => ({
  code, reason: `${code} by hand`, since: at("14:45:00"), until: CLOSE, lifted_at: null, lifted_by: null, lift_reason: null, ...over,
});

function assess(over: Partial<SessionAssessmentInput> = {}) {
  return assessSession({ risk: RISK, state: seasoned(), equity: reading(100_000), closedTrades: [], now: NOW, tradingSince: TRADING_SINCE, closesAt: CLOSE, ...over });
}

// ---------------------------------------------------------------------------
// 1. Equity readings
// ---------------------------------------------------------------------------

describe("assessSession: the equity reading", () => {
  it("takes the first reading as the session's starting equity and high-water mark", () => {
    const input = riskState();
    const a = assess({ state: input, equity: reading(100_000) });
    expect(a.state).toMatchObject({ starting_equity: 100_000, high_water_equity: 100_000, last_equity: 100_000, last_equity_as_of: AS_OF, pending_equity: null, locks: [] });
    // Loss from the high-water mark 100,000 − 100,000 = 0; limit 3 % × 100,000 = 3,000.
    expect(a.loss).toEqual({ amount: 0, limit: 3_000 });
    expect(a).toMatchObject({ block: null, alerts: [], findings: [], tradesLeft: 20, ordersLeft: null });
    // The stored state is never mutated (it is the session document as read).
    expect(input).toEqual(riskState());
    expect(EMPTY_SESSION_RISK).toEqual({
      starting_equity: null, high_water_equity: null, last_equity: null, last_equity_as_of: null, pending_equity: null,
      trades: 0, trades_counted_from: 0, order_times: [], losses_counted_after: null, locks: [],
    });
  });

  it("raises the high-water mark with a higher reading and keeps the starting equity", () => {
    // 100,000 → 104,000 is a 4 % move (within 25 %): believed; HWM 104,000; loss 0.
    const a = assess({ equity: reading(104_000, at("14:59:30")) });
    expect(a.state).toMatchObject({ starting_equity: 100_000, high_water_equity: 104_000, last_equity: 104_000, last_equity_as_of: at("14:59:30") });
    expect(a.loss).toEqual({ amount: 0, limit: 3_000 });
    // A lower one leaves the mark: 104,000 → 103,000, loss 1,000.
    const b = assess({ state: a.state, equity: reading(103_000) });
    expect(b.state).toMatchObject({ high_water_equity: 104_000, last_equity: 103_000 });
    expect(b.loss).toEqual({ amount: 1_000, limit: 3_000 });
  });

  it.each([
    ["null", null, "No usable equity reading (account snapshot is stale); entries wait for one."],
    ["NaN", NaN, "No usable equity reading (equity NaN); entries wait for one."],
    ["0", 0, "No usable equity reading (equity 0); entries wait for one."],
    ["negative", -5_000, "No usable equity reading (equity -5000); entries wait for one."],
    ["Infinity", Infinity, "No usable equity reading (equity Infinity); entries wait for one."],
  ])("holds entries on a %s reading (EQUITY_UNAVAILABLE), with a finding, no lock and no change to the marks", (_name, value, message) => {
    // The marks of a session already 2,000 off its high: a 0 reading believed would be a 102,000 loss.
    const state = seasoned({ high_water_equity: 102_000, pending_equity: { value: 140_000, as_of: at("14:50:00") } });
    const a = assess({ state, equity: reading(value, at("14:59:50"), "account snapshot is stale") });
    expect(a.block).toEqual({ code: "EQUITY_UNAVAILABLE", reason: `Held: ${message}` });
    expect(a.findings).toEqual([{ code: "EQUITY_UNAVAILABLE", message }]);
    expect(a.alerts).toEqual([{ at: NOW.toISOString(), code: "EQUITY_UNAVAILABLE", message: `Held: ${message}` }]);
    expect(a.state.locks).toEqual([]);
    expect(a.loss).toBeNull();
    expect(a.state).toMatchObject({
      starting_equity: 100_000, high_water_equity: 102_000, last_equity: 100_000, last_equity_as_of: at("14:55:00"),
      pending_equity: { value: 140_000, as_of: at("14:50:00") },
    });
  });

  it("leaves a fresh session's marks empty on an unusable first reading", () => {
    const a = assess({ state: riskState(), equity: reading(null, null, "no account snapshot") });
    expect(a.state).toMatchObject({ starting_equity: null, high_water_equity: null, last_equity: null });
    expect(a.block?.code).toBe("EQUITY_UNAVAILABLE");
    expect(a.loss).toBeNull();
  });

  it("does not believe a jump past max_equity_jump_pct (25): EQUITY_IMPLAUSIBLE, pending, no lock, marks unchanged", () => {
    // 100,000 → 130,000: |30,000| / 100,000 = 30 % > 25 %.
    const up = assess({ state: seasoned({ high_water_equity: 101_000 }), equity: reading(130_000, at("14:58:00")) });
    const message = "Equity $130000.00 (account snapshot) is 30.00% from the last accepted $100000.00, more than risk.max_equity_jump_pct 25%; entries wait until a later snapshot confirms it.";
    expect(up.block).toEqual({ code: "EQUITY_IMPLAUSIBLE", reason: `Held: ${message}` });
    expect(up.findings).toEqual([{ code: "EQUITY_IMPLAUSIBLE", message }]);
    expect(up.alerts).toEqual([{ at: NOW.toISOString(), code: "EQUITY_IMPLAUSIBLE", message: `Held: ${message}` }]);
    expect(up.state).toMatchObject({ pending_equity: { value: 130_000, as_of: at("14:58:00") }, last_equity: 100_000, high_water_equity: 101_000, starting_equity: 100_000, locks: [] });
    expect(up.loss).toBeNull();

    // 100,000 → 70,000 is also 30 %: a fall that large is held for data quality, not locked as a 30,000 loss.
    const down = assess({ equity: reading(70_000) });
    expect(down.block?.code).toBe("EQUITY_IMPLAUSIBLE");
    expect(down.state.locks).toEqual([]);
    expect(down.state).toMatchObject({ last_equity: 100_000, high_water_equity: 100_000, pending_equity: { value: 70_000, as_of: AS_OF } });
  });

  it("believes a move of exactly max_equity_jump_pct, and honours a configured tolerance", () => {
    // 100,000 → 125,000 is 25 %, not more than 25 %: believed, HWM 125,000.
    const a = assess({ equity: reading(125_000) });
    expect(a.block).toBeNull();
    expect(a.state).toMatchObject({ last_equity: 125_000, high_water_equity: 125_000 });
    // With max_equity_jump_pct 10, 100,000 → 111,000 (11 %) is implausible; 110,000 (10 %) is not.
    expect(assess({ risk: riskWith({ max_equity_jump_pct: 10 }), equity: reading(111_000) }).block?.code).toBe("EQUITY_IMPLAUSIBLE");
    expect(assess({ risk: riskWith({ max_equity_jump_pct: 10 }), equity: reading(110_000) }).block).toBeNull();
  });

  it("takes a rise confirmed by a LATER snapshot as a deposit: starting equity and HWM move by it (EQUITY_REBASED)", () => {
    // last 100,000, HWM 102,000, pending 130,000 as of 14:58. Reading 131,000 as of 14:59:
    // |131,000 − 130,000| / 130,000 = 0.77 % ≤ 25 % → confirmed. Deposit = 130,000 − 100,000 = 30,000
    // (the 1,000 between the two snapshots is the session's own P&L).
    // Starting 100,000 + 30,000 = 130,000; HWM max(102,000 + 30,000, 131,000) = 132,000; last 131,000.
    const state = seasoned({ high_water_equity: 102_000, pending_equity: { value: 130_000, as_of: at("14:58:00") } });
    const a = assess({ state, equity: reading(131_000, at("14:59:00")) });
    expect(a.state).toMatchObject({ starting_equity: 130_000, high_water_equity: 132_000, last_equity: 131_000, last_equity_as_of: at("14:59:00"), pending_equity: null });
    expect(a.alerts).toEqual([
      {
        at: NOW.toISOString(),
        code: "EQUITY_REBASED",
        message:
          "Equity rose $100000.00 → $130000.00 and a later snapshot ($131000.00) confirmed it: taken as a deposit of $30000.00; the session's starting equity and high-water mark moved with it.",
      },
    ]);
    expect(a.block).toBeNull();
    expect(a.findings).toEqual([]);
    // Loss 132,000 − 131,000 = 1,000 against 3 % of the new starting 130,000 = 3,900: no lock.
    expect(a.loss!.amount).toBe(1_000);
    expect(a.loss!.limit).toBeCloseTo(3_900, 9);
    expect(a.state.locks).toEqual([]);
  });

  it("takes a fall confirmed by a later snapshot as a loss (fail closed), which locks the session", () => {
    // last 100,000, HWM 100,000, pending 60,000 as of 14:50; 60,500 as of 14:59 confirms (0.83 %).
    // Believed 60,500, marks unchanged: loss 100,000 − 60,500 = 39,500 ≥ 3 % × 100,000 = 3,000.
    const a = assess({ state: seasoned({ pending_equity: { value: 60_000, as_of: at("14:50:00") } }), equity: reading(60_500) });
    expect(a.state).toMatchObject({ starting_equity: 100_000, high_water_equity: 100_000, last_equity: 60_500, pending_equity: null });
    expect(a.alerts.map((x) => x.code)).toEqual(["EQUITY_DROP_CONFIRMED", "SESSION_LOSS_LIMIT"]);
    expect(a.loss).toEqual({ amount: 39_500, limit: 3_000 });
    expect(a.block?.code).toBe("SESSION_LOSS_LIMIT");
  });

  it("does not confirm from the same snapshot (same as_of), one without as_of, or a reading far from the pending one", () => {
    const pending = { value: 130_000, as_of: at("14:58:00") };
    const same = assess({ state: seasoned({ pending_equity: pending }), equity: reading(131_000, at("14:58:00")) });
    expect(same.block?.code).toBe("EQUITY_IMPLAUSIBLE");
    expect(same.state).toMatchObject({ last_equity: 100_000, starting_equity: 100_000, high_water_equity: 100_000, pending_equity: { value: 131_000, as_of: at("14:58:00") } });
    expect(same.alerts.map((x) => x.code)).toEqual(["EQUITY_IMPLAUSIBLE"]);

    // An earlier snapshot does not confirm either.
    expect(assess({ state: seasoned({ pending_equity: pending }), equity: reading(131_000, at("14:57:00")) }).block?.code).toBe("EQUITY_IMPLAUSIBLE");
    // Without as_of there is no "later".
    expect(assess({ state: seasoned({ pending_equity: pending }), equity: reading(131_000, null) }).block?.code).toBe("EQUITY_IMPLAUSIBLE");
    expect(assess({ state: seasoned({ pending_equity: { value: 130_000, as_of: null } }), equity: reading(131_000) }).block?.code).toBe("EQUITY_IMPLAUSIBLE");

    // 200,000 is 53.8 % from the pending 130,000: not a confirmation, it becomes the new pending reading.
    const far = assess({ state: seasoned({ pending_equity: pending }), equity: reading(200_000) });
    expect(far.block?.code).toBe("EQUITY_IMPLAUSIBLE");
    expect(far.state.pending_equity).toEqual({ value: 200_000, as_of: AS_OF });
    expect(far.state.last_equity).toBe(100_000);
  });

  it("clears a pending reading when the next one is back within tolerance of the last accepted", () => {
    // 101,000 is 1 % from 100,000: believed; the pending 130,000 is forgotten.
    const a = assess({ state: seasoned({ pending_equity: { value: 130_000, as_of: at("14:58:00") } }), equity: reading(101_000) });
    expect(a.state).toMatchObject({ pending_equity: null, last_equity: 101_000, high_water_equity: 101_000 });
    expect(a.block).toBeNull();
  });
});

// ---------------------------------------------------------------------------
// 2. The session's loss
// ---------------------------------------------------------------------------

describe("assessSession: SESSION_LOSS_LIMIT", () => {
  // Start 100,000; the high-water mark climbs to 104,000; limit 3 % × 100,000 = 3,000.
  const climbed = () => {
    const first = assess({ state: riskState(), equity: reading(100_000, at("14:31:00")), now: new Date(at("14:31:00")) });
    const second = assess({ state: first.state, equity: reading(104_000, at("14:45:00")), now: new Date(at("14:45:00")) });
    expect(second.state).toMatchObject({ starting_equity: 100_000, high_water_equity: 104_000, last_equity: 104_000 });
    return second.state;
  };

  it("locks entries until the close at 3 % of the starting equity below the high-water mark (101,000: loss 3,000)", () => {
    const a = assess({ state: climbed(), equity: reading(101_000) });
    const reason =
      "Entries locked: equity $101000.00 is $3000.00 below the session's high-water mark $104000.00, at or past risk.max_session_loss_pct 3% of the starting equity $100000.00 ($3000.00).";
    expect(a.loss).toEqual({ amount: 3_000, limit: 3_000 });
    expect(a.state.locks).toEqual([{ code: "SESSION_LOSS_LIMIT", reason, since: NOW.toISOString(), until: CLOSE, lifted_at: null, lifted_by: null, lift_reason: null }]);
    expect(a.block).toEqual({ code: "SESSION_LOSS_LIMIT", reason });
    expect(a.alerts).toEqual([{ at: NOW.toISOString(), code: "SESSION_LOSS_LIMIT", message: reason }]);
  });

  it("does not lock one dollar short of the limit (101,001: loss 2,999)", () => {
    const a = assess({ state: climbed(), equity: reading(101_001) });
    expect(a.loss).toEqual({ amount: 2_999, limit: 3_000 });
    expect(a).toMatchObject({ block: null, alerts: [] });
    expect(a.state.locks).toEqual([]);
  });

  it("keeps the lock in later cycles even when equity recovers above the high-water mark, without a second lock or alert", () => {
    const locked = assess({ state: climbed(), equity: reading(101_000) });
    const later = assess({ state: locked.state, equity: reading(105_000, at("15:30:00")), now: new Date(at("15:30:00")) });
    expect(later.state.high_water_equity).toBe(105_000);
    expect(later.loss).toEqual({ amount: 0, limit: 3_000 });
    expect(later.block?.code).toBe("SESSION_LOSS_LIMIT");
    expect(later.state.locks).toHaveLength(1);
    expect(later.alerts).toEqual([]);
  });

  it("ends with the session: lockActive is false from `until` on, and the next assessment passes entries", () => {
    const locked = assess({ state: climbed(), equity: reading(101_000) });
    const lock = locked.state.locks[0];
    expect(lockActive(lock, new Date(at("20:59:59")))).toBe(true);
    expect(lockActive(lock, new Date(CLOSE))).toBe(false);
    // At 21:00 (equity back at the high 104,000, loss 0) nothing holds entries.
    const after = assess({ state: locked.state, equity: reading(104_000, CLOSE), now: new Date(CLOSE) });
    expect(after.block).toBeNull();
    // A lock without `until` lasts until lifted.
    expect(lockActive(lockOf("SESSION_LOSS_LIMIT", { until: null }), new Date("2099-01-01T00:00:00Z"))).toBe(true);
    expect(lockActive(lockOf("SESSION_LOSS_LIMIT", { until: null, lifted_at: at("15:00:00") }), NOW)).toBe(false);
  });

  it("lifted, counts the loss afresh from the last equity (the high-water mark is reset to it)", () => {
    const locked = assess({ state: climbed(), equity: reading(101_000) });
    const lifted = liftLock(locked.state, "SESSION_LOSS_LIMIT", "ada", "reviewed the book", new Date(at("15:05:00")));
    expect(lifted.ok).toBe(true);
    expect(lifted.state!.locks[0]).toMatchObject({ lifted_at: at("15:05:00"), lifted_by: "ada", lift_reason: "reviewed the book" });
    // HWM 104,000 → the last believed 101,000.
    expect(lifted.state!.high_water_equity).toBe(101_000);
    expect(lockActive(lifted.state!.locks[0], new Date(at("15:06:00")))).toBe(false);
    // 100,000 is 1,000 below the new mark (it would be 4,000 below the old one): no lock.
    const next = assess({ state: lifted.state!, equity: reading(100_000, at("15:09:00")), now: new Date(at("15:10:00")) });
    expect(next.loss).toEqual({ amount: 1_000, limit: 3_000 });
    expect(next.block).toBeNull();
    // 98,000 is 101,000 − 98,000 = 3,000 below it: a new lock beside the lifted one.
    const again = assess({ state: next.state, equity: reading(98_000, at("15:19:00")), now: new Date(at("15:20:00")) });
    expect(again.block?.code).toBe("SESSION_LOSS_LIMIT");
    expect(again.state.locks.map((l) => [l.code, l.lifted_at])).toEqual([["SESSION_LOSS_LIMIT", at("15:05:00")], ["SESSION_LOSS_LIMIT", null]]);
  });

  it("uses the configured percentage", () => {
    // max_session_loss_pct 1: limit 1,000; 100,000 → 99,000 is a 1,000 loss → lock; 99,001 → no.
    expect(assess({ risk: riskWith({ max_session_loss_pct: 1 }), equity: reading(99_000) }).block?.code).toBe("SESSION_LOSS_LIMIT");
    expect(assess({ risk: riskWith({ max_session_loss_pct: 1 }), equity: reading(99_001) }).block).toBeNull();
  });
});

// ---------------------------------------------------------------------------
// 3. Trades per session
// ---------------------------------------------------------------------------

describe("assessSession: MAX_TRADES_PER_SESSION", () => {
  it("locks at 20 trades (the default), and leaves 1 at 19", () => {
    const a = assess({ state: seasoned({ trades: 20 }) });
    const reason = "Entries locked: 20 orders licensed this session, the most risk.max_trades_per_session allows (20).";
    expect(a.block).toEqual({ code: "MAX_TRADES_PER_SESSION", reason });
    expect(a.tradesLeft).toBe(0);
    expect(a.alerts).toEqual([{ at: NOW.toISOString(), code: "MAX_TRADES_PER_SESSION", message: reason }]);
    const b = assess({ state: seasoned({ trades: 19 }) });
    expect(b).toMatchObject({ block: null, tradesLeft: 1 });
    expect(b.state.locks).toEqual([]);
  });

  it("has no limit when max_trades_per_session is null", () => {
    const a = assess({ risk: riskWith({ max_trades_per_session: null }), state: seasoned({ trades: 1_000 }) });
    expect(a).toMatchObject({ block: null, tradesLeft: null });
  });

  it("once lifted, counts from the trades so far: 20 more are allowed", () => {
    const locked = assess({ state: seasoned({ trades: 20 }) });
    const lifted = liftLock(locked.state, "MAX_TRADES_PER_SESSION", "ada", "a busy day", new Date(at("15:01:00")));
    expect(lifted.state).toMatchObject({ trades: 20, trades_counted_from: 20 });
    // 20 − 20 = 0 counted: 20 left.
    const fresh = assess({ state: lifted.state!, now: new Date(at("15:02:00")) });
    expect(fresh).toMatchObject({ block: null, tradesLeft: 20 });
    // 39 − 20 = 19 counted: 1 left; 40 − 20 = 20: locked again.
    expect(assess({ state: { ...lifted.state!, trades: 39 }, now: new Date(at("15:30:00")) })).toMatchObject({ block: null, tradesLeft: 1 });
    const again = assess({ state: { ...lifted.state!, trades: 40 }, now: new Date(at("15:30:00")) });
    expect(again.block).toEqual({ code: "MAX_TRADES_PER_SESSION", reason: "Entries locked: 20 orders licensed this session, the most risk.max_trades_per_session allows (20)." });
    expect(again.state.locks.filter((l) => lockActive(l, new Date(at("15:30:00"))))).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------
// 4. Losses in a row
// ---------------------------------------------------------------------------

describe("assessSession: MAX_CONSECUTIVE_LOSSES", () => {
  const t = (hhmm: string, pnl: number): ClosedTrade => ({ at: at(`${hhmm}:00`), pnl });

  it("locks on 5 trailing losses, ordered by `at` (the input is out of order, its last element a win)", () => {
    // In time order: 14:00 +50, 14:10 −10, 14:20 −20, 14:30 −5, 14:40 −1, 14:50 −3 → the last 5 lost.
    // Read in input order the trailing run would be 0 (the win is the last element).
    const closed = [t("14:30", -5), t("14:50", -3), t("14:10", -10), t("14:40", -1), t("14:20", -20), t("14:00", 50)];
    const a = assess({ closedTrades: closed });
    const reason = "Entries locked: the session's last 5 closed trades were losses, at or past risk.max_consecutive_losses (5).";
    expect(a.block).toEqual({ code: "MAX_CONSECUTIVE_LOSSES", reason });
    expect(a.alerts).toEqual([{ at: NOW.toISOString(), code: "MAX_CONSECUTIVE_LOSSES", message: reason }]);
  });

  it("does not lock on 4, after a win in between, or after a break-even in between", () => {
    expect(assess({ closedTrades: [t("14:10", -1), t("14:20", -1), t("14:30", -1), t("14:40", -1)] }).block).toBeNull();
    // −, −, +1, −, −, − : the run is 3.
    expect(assess({ closedTrades: [t("14:10", -1), t("14:20", -1), t("14:25", 1), t("14:30", -1), t("14:40", -1), t("14:50", -1)] }).block).toBeNull();
    // −, −, 0, −, −, − : a break-even ends the run too.
    expect(assess({ closedTrades: [t("14:10", -1), t("14:20", -1), t("14:25", 0), t("14:30", -1), t("14:40", -1), t("14:50", -1)] }).block).toBeNull();
    // The limit is configurable: 3 in a row with max 3 locks.
    expect(assess({ risk: riskWith({ max_consecutive_losses: 3 }), closedTrades: [t("14:30", -1), t("14:40", -1), t("14:50", -1)] }).block?.code).toBe("MAX_CONSECUTIVE_LOSSES");
    expect(assess({ risk: riskWith({ max_consecutive_losses: null }), closedTrades: ["14:00", "14:10", "14:20", "14:30", "14:40", "14:50"].map((hhmm) => t(hhmm, -1)) }).block).toBeNull();
  });

  it("counts only closed trades after losses_counted_after", () => {
    const five = [t("14:10", -1), t("14:20", -1), t("14:30", -1), t("14:40", -1), t("14:50", -1)];
    // After 14:15: 14:20, 14:30, 14:40, 14:50 → 4.
    expect(assess({ state: seasoned({ losses_counted_after: at("14:15:00") }), closedTrades: five }).block).toBeNull();
    // One more loss at 14:55 makes 5.
    expect(assess({ state: seasoned({ losses_counted_after: at("14:15:00") }), closedTrades: [...five, t("14:55", -1)] }).block?.code).toBe("MAX_CONSECUTIVE_LOSSES");
  });

  it("once lifted, counts losses from the lift", () => {
    const five = [t("14:10", -1), t("14:20", -1), t("14:30", -1), t("14:40", -1), t("14:50", -1)];
    const locked = assess({ closedTrades: five });
    const lifted = liftLock(locked.state, "MAX_CONSECUTIVE_LOSSES", "ada", "strategy reviewed", new Date(at("15:00:00")));
    expect(lifted.state!.losses_counted_after).toBe(at("15:00:00"));
    const next = assess({ state: lifted.state!, closedTrades: [...five, t("15:10", -1)], now: new Date(at("15:15:00")) });
    expect(next.block).toBeNull();
    expect(next.state.locks).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------
// 5. The session's length
// ---------------------------------------------------------------------------

describe("assessSession: SESSION_DURATION_LIMIT", () => {
  const risk = riskWith({ max_session_minutes: 60 });

  it("locks once the session has traded max_session_minutes (14:30 → 15:30 is 60)", () => {
    const a = assess({ risk, now: new Date(at("15:30:00")) });
    const reason = `Entries locked: the session has traded 60 minutes since ${TRADING_SINCE}, at or past risk.max_session_minutes (60).`;
    expect(a.block).toEqual({ code: "SESSION_DURATION_LIMIT", reason });
    expect(a.state.locks[0]).toMatchObject({ since: at("15:30:00"), until: CLOSE });
    // 15:29:59 is 59.98 minutes: no lock; no limit when the session has not begun trading or the limit is off.
    expect(assess({ risk, now: new Date(at("15:29:59")) }).block).toBeNull();
    expect(assess({ risk, tradingSince: null, now: new Date(at("20:00:00")) }).block).toBeNull();
    expect(assess({ now: new Date(at("20:00:00")) }).block).toBeNull();
  });

  it("once lifted, does not lock again in the same session", () => {
    const locked = assess({ risk, now: new Date(at("15:30:00")) });
    const lifted = liftLock(locked.state, "SESSION_DURATION_LIMIT", "ada", "let it run today", new Date(at("15:31:00")));
    expect(lifted.ok).toBe(true);
    const later = assess({ risk, state: lifted.state!, now: new Date(at("16:30:00")) });
    expect(later.block).toBeNull();
    expect(later.alerts).toEqual([]);
    expect(later.state.locks).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------
// 6. Orders per minute
// ---------------------------------------------------------------------------

describe("assessSession / recordOrders: ORDER_RATE_LIMIT", () => {
  it("counts the orders of the last 60 s and drops the older ones from the state", () => {
    // now 15:00:00; a minute ago is 14:59:00.000, which is itself out (strictly later times count).
    const times = [at("14:58:59"), at("14:59:00"), "2026-01-15T14:59:00.001Z", "2026-01-15T14:59:59.999Z"];
    const a = assess({ risk: riskWith({ max_orders_per_minute: 3 }), state: seasoned({ order_times: times }) });
    expect(a.state.order_times).toEqual(["2026-01-15T14:59:00.001Z", "2026-01-15T14:59:59.999Z"]);
    expect(a.ordersLeft).toBe(1); // 3 − 2
    expect(a.block).toBeNull(); // the rate is a wait, not a lock
    // Never below 0; null without a limit (the old times are dropped all the same).
    expect(assess({ risk: riskWith({ max_orders_per_minute: 1 }), state: seasoned({ order_times: times }) }).ordersLeft).toBe(0);
    const unlimited = assess({ state: seasoned({ order_times: times }) });
    expect(unlimited.ordersLeft).toBeNull();
    expect(unlimited.state.order_times).toHaveLength(2);
  });

  it("recordOrders adds the cycle's orders to the trades and the minute's times", () => {
    const before = seasoned({ trades: 2, order_times: [at("14:59:30")] });
    const after = recordOrders(before, 3, NOW);
    expect(after).toMatchObject({ trades: 5, order_times: [at("14:59:30"), NOW.toISOString(), NOW.toISOString(), NOW.toISOString()] });
    expect(before).toMatchObject({ trades: 2, order_times: [at("14:59:30")] });
    expect(recordOrders(before, 0, NOW)).toBe(before);
  });
});

// ---------------------------------------------------------------------------
// 7, 8. Lifting, and a lock against a data-quality hold
// ---------------------------------------------------------------------------

describe("liftLock", () => {
  it("refuses without a reason", () => {
    const state = seasoned({ locks: [lockOf("SESSION_LOSS_LIMIT")] });
    expect(liftLock(state, "SESSION_LOSS_LIMIT", "ada", "   ", NOW)).toEqual({ ok: false, refused: "reason: is required to lift a lock" });
    expect(liftLock(state, "SESSION_LOSS_LIMIT", "ada", "", NOW)).toEqual({ ok: false, refused: "reason: is required to lift a lock" });
  });

  it("refuses a code with no active lock, naming the active ones", () => {
    const state = seasoned({
      locks: [lockOf("SESSION_LOSS_LIMIT"), lockOf("MAX_TRADES_PER_SESSION", { lifted_at: at("14:50:00"), lifted_by: "bob", lift_reason: "x" }), lockOf("MAX_CONSECUTIVE_LOSSES")],
    });
    expect(liftLock(state, "MAX_TRADES_PER_SESSION", "ada", "again", NOW)).toEqual({
      ok: false,
      refused: "code: no active MAX_TRADES_PER_SESSION lock on this trading session (active: SESSION_LOSS_LIMIT, MAX_CONSECUTIVE_LOSSES)",
    });
    expect(liftLock(seasoned(), "SESSION_DURATION_LIMIT", "ada", "why", NOW)).toEqual({
      ok: false,
      refused: "code: no active SESSION_DURATION_LIMIT lock on this trading session (active: none)",
    });
    // An expired lock (past its until) is not active either.
    const expired = seasoned({ locks: [lockOf("SESSION_LOSS_LIMIT", { until: at("14:59:00") })] });
    expect(liftLock(expired, "SESSION_LOSS_LIMIT", "ada", "why", NOW)).toMatchObject({ ok: false });
  });

  it("lifts only the lock named, leaves the others and does not mutate the state", () => {
    const state = seasoned({ locks: [lockOf("SESSION_LOSS_LIMIT"), lockOf("MAX_CONSECUTIVE_LOSSES")] });
    const copy = JSON.parse(JSON.stringify(state)) as SessionRisk;
    const r = liftLock(state, "MAX_CONSECUTIVE_LOSSES", "ada", "ok", NOW);
    expect(r.state!.locks).toEqual([lockOf("SESSION_LOSS_LIMIT"), lockOf("MAX_CONSECUTIVE_LOSSES", { lifted_at: NOW.toISOString(), lifted_by: "ada", lift_reason: "ok" })]);
    // Only the loss counter moved; the marks and trade count did not.
    expect(r.state).toMatchObject({ high_water_equity: 100_000, trades_counted_from: 0, losses_counted_after: NOW.toISOString() });
    expect(state).toEqual(copy);
    // The remaining active lock still holds entries.
    expect(assess({ state: r.state! }).block?.code).toBe("SESSION_LOSS_LIMIT");
  });
});

describe("assessSession: a lock outranks a data-quality hold", () => {
  it("blocks with the standing lock's code; the finding is still returned, but no data-quality alert", () => {
    const a = assess({ state: seasoned({ locks: [lockOf("MAX_CONSECUTIVE_LOSSES")] }), equity: reading(null, null, "no account snapshot") });
    expect(a.block).toEqual({ code: "MAX_CONSECUTIVE_LOSSES", reason: "MAX_CONSECUTIVE_LOSSES by hand" });
    expect(a.findings.map((f) => f.code)).toEqual(["EQUITY_UNAVAILABLE"]);
    expect(a.alerts).toEqual([]);
  });

  it("a lock taken in the same assessment outranks an implausible reading", () => {
    // trades 20 (the limit) and a 30 % jump: MAX_TRADES_PER_SESSION locks; the jump is a finding.
    const a = assess({ state: seasoned({ trades: 20 }), equity: reading(130_000) });
    expect(a.block?.code).toBe("MAX_TRADES_PER_SESSION");
    expect(a.findings.map((f) => f.code)).toEqual(["EQUITY_IMPLAUSIBLE"]);
    expect(a.alerts.map((x) => x.code)).toEqual(["MAX_TRADES_PER_SESSION"]);
  });
});

// ---------------------------------------------------------------------------
// 9. The trading session's gate
// ---------------------------------------------------------------------------

const draft = (id: string, action: DraftSignal["action"], exposure: DraftSignal["exposure"], over: Partial<DraftSignal> = {}): DraftSignal => ({
  signal_id: id, strategy_id: "a", strategy_name: "A", action, ticker: "SPY", allocation: 0.2, original_allocation: 0.2, weight_multiplier: 1,
  mode: "ACTIVE", confidence: 0.5, reasoning: "r", executable: false, interventions: [], exposure, ...over,
});
const gateContext = (state: TradingSessionState | null, pausedReason: string | null = null): StepContext => ({
  config: DEFAULT_CONFIG, weights: new Map(), capitalBase: new Map(), buyingPower: { available: null, source: "t" }, equity: { value: 100_000, source: "t" }, positions: {},
  ...(state ? { session: { state, pausedReason, block: null, tradesLeft: null, ordersLeft: null } } : {}),
});

describe("tradingSessionGate", () => {
  const signals = [draft("1", "BUY", "entry"), draft("2", "SELL", "exit"), draft("3", "BUY", "exit"), draft("4", "SELL", "entry"), draft("5", "HOLD", "none")];

  it("holds every entry of a PAUSED session with SESSION_PAUSED, and lets exits and HOLDs through untouched", () => {
    expect(tradingSessionGate.name).toBe("trading_session");
    const out = tradingSessionGate.run(signals, gateContext("PAUSED", "news pending")).signals;
    const reason = "Held: the trading session is PAUSED (news pending); entries wait for a resume, exits pass.";
    expect(out[0]).toEqual({
      ...signals[0], action: "HOLD", allocation: 0, original_action: "BUY", executable: false,
      interventions: [{ step: "trading_session", code: "SESSION_PAUSED", reason, before: { action: "BUY", allocation: 0.2 }, after: { action: "HOLD", allocation: 0 } }],
    });
    expect(out[3]).toMatchObject({ action: "HOLD", original_action: "SELL", interventions: [{ code: "SESSION_PAUSED" }] });
    expect(out[1]).toEqual(signals[1]);
    expect(out[2]).toEqual(signals[2]);
    expect(out[4]).toEqual(signals[4]);
    // Without a recorded reason, "by an admin".
    expect(tradingSessionGate.run([signals[0]], gateContext("PAUSED")).signals[0].interventions[0].reason).toBe(
      "Held: the trading session is PAUSED (by an admin); entries wait for a resume, exits pass.",
    );
  });

  it("passes everything in ACTIVE_TRADING, and without a session", () => {
    expect(tradingSessionGate.run(signals, gateContext("ACTIVE_TRADING")).signals).toEqual(signals);
    expect(tradingSessionGate.run(signals, gateContext(null)).signals).toEqual(signals);
  });

  it("holds the entries of a strategy whose agent failed (AGENT_FAILED), and only that strategy's; its exits pass", () => {
    const mixed = [...signals, draft("6", "BUY", "entry", { strategy_id: "b", strategy_name: "B" }), draft("7", "SELL", "exit", { strategy_id: "b", strategy_name: "B" })];
    const ctx = gateContext("ACTIVE_TRADING");
    const held = { ...ctx, session: { ...ctx.session!, agentHolds: { b: "no heartbeat for 75 s" } } };
    const out = tradingSessionGate.run(mixed, held).signals;
    expect(out.slice(0, 5)).toEqual(signals);
    expect(out[5]).toEqual({
      ...mixed[5], action: "HOLD", allocation: 0, original_action: "BUY", executable: false,
      interventions: [{
        step: "trading_session", code: "AGENT_FAILED",
        reason: "Held: the agent of strategy b failed (no heartbeat for 75 s); its entries wait until it recovers, exits pass.",
        before: { action: "BUY", allocation: 0.2 }, after: { action: "HOLD", allocation: 0 },
      }],
    });
    expect(out[6]).toEqual(mixed[6]);
    // A PAUSED session's own hold comes first: one intervention, not two.
    const paused = { ...held, session: { ...held.session, state: "PAUSED" as const } };
    expect(tradingSessionGate.run([mixed[5]], paused).signals[0].interventions.map((i) => i.code)).toEqual(["SESSION_PAUSED"]);
  });
});

// ---------------------------------------------------------------------------
// 10. Through orchestrateCycle
// ---------------------------------------------------------------------------

/**
 * Strategies a, b (ACTIVE, weight 1) and c (SHADOW_MODE, weight 0), capital_base 100,000
 * each; equity 100,000. An entry of allocation 0.1 is $10,000 at the default 2 % stop: it
 * risks $200, inside 1 % of equity ($1,000), so the risk guardian never scales these.
 */
const strategy = (name: string): Strategy => ({ name, enabled: true, capital_base: 100_000, manual_mode: null });
const weight = (id: string, mode: Mode = "ACTIVE", w = 1): StrategyWeight => ({
  strategy_id: id, strategy_name: id, weight: w, mode, reasoning: `${mode} by hand`, sharpe_ratio: 2, sortino_ratio: null, total_return: 0, annualized_return: null,
  volatility: 0.1, max_drawdown: 0, win_rate: 0.5, data_points: 30, period_start: null, period_end: null, paper_days: 0,
});
const raw = (strategy_id: string, action: string, ticker: string, allocation: number, over: Record<string, unknown> = {}) => ({ strategy_id, action, ticker, allocation, confidence: 0.5, status: "pending", ...over });
let nonces = 0;
type SessionIn = NonNullable<CycleInput["session"]>;
function cycle(over: Partial<CycleInput> & { risk?: Partial<RiskConfig>; sessionOver?: Partial<SessionIn> } = {}) {
  const { risk, sessionOver, ...rest } = over;
  return orchestrateCycle({
    tenant_id: "t1", session_id: "maestro_1768489200000_a1b2c3d4e5f60718", now: NOW, config: MaestroConfigSchema.parse({ risk: risk ?? {} }),
    strategies: { a: strategy("A"), b: strategy("B"), c: strategy("C") }, weights: { a: weight("a"), b: weight("b"), c: weight("c", "SHADOW_MODE", 0) }, signals: [],
    issueNonce: () => (++nonces).toString(16).padStart(32, "0"), equity: { value: 100_000, source: "test snapshot" },
    session: { state: "ACTIVE_TRADING", paused_reason: null, risk: seasoned(), closed_trades: [], trading_since: TRADING_SINCE, closes_at: CLOSE, equity_as_of: AS_OF, ...sessionOver },
    ...rest,
  });
}
const summary = (r: ReturnType<typeof cycle>) => r.signals.map((s) => [s.signal_id, s.action, s.executable, s.interventions.map((i) => i.code).join(",")]);

describe("orchestrateCycle with a trading session", () => {
  // a is long SPY, b is short QQQ: a SELL SPY by a and a BUY QQQ by b are exits.
  const positions = { a: { SPY: 10 }, b: { QQQ: -5 } };
  const mixed = [
    { id: "1", data: raw("a", "SELL", "SPY", 0.1) }, // exit (sells a long)
    { id: "2", data: raw("b", "BUY", "QQQ", 0.1) }, // exit (covers a short)
    { id: "3", data: raw("a", "BUY", "IWM", 0.1) }, // entry
    { id: "4", data: raw("b", "SELL", "TLT", 0.1) }, // entry (opens a short)
  ];

  it("a loss lock taken this cycle holds the entries with its code; the exits trade and are counted", () => {
    // start 100,000, HWM 104,000, equity 101,000 → loss 3,000 = the limit → SESSION_LOSS_LIMIT.
    const r = cycle({ positions, signals: mixed, equity: { value: 101_000, source: "test snapshot" }, sessionOver: { risk: seasoned({ high_water_equity: 104_000, last_equity: 104_000 }) } });
    expect(summary(r)).toEqual([
      ["1", "SELL", true, ""],
      ["2", "BUY", true, ""],
      ["3", "HOLD", false, "SESSION_LOSS_LIMIT"],
      ["4", "HOLD", false, "SESSION_LOSS_LIMIT"],
    ]);
    expect(r.signals[2].interventions[0]).toMatchObject({ step: "risk_guardian", reason: r.session!.block!.reason });
    expect(r.signals.map((s) => s.exposure)).toEqual(["exit", "exit", "entry", "entry"]);
    expect(r.signals[0]).toMatchObject({ allocation: 0.1, nonce: expect.any(String) });
    expect(r.signals[2]).toMatchObject({ original_action: "BUY", allocation: 0, nonce: null });
    const s = r.session!;
    expect(s.block?.code).toBe("SESSION_LOSS_LIMIT");
    expect(s.loss).toEqual({ amount: 3_000, limit: 3_000 });
    expect(s.alerts.map((x) => x.code)).toEqual(["SESSION_LOSS_LIMIT"]);
    // Two executable exits: trades 0 + 2, two order times at now.
    expect(s.orders).toBe(2);
    expect(s.risk).toMatchObject({ trades: 2, order_times: [NOW.toISOString(), NOW.toISOString()], high_water_equity: 104_000, last_equity: 101_000 });
    expect(s.risk.locks.map((l) => l.code)).toEqual(["SESSION_LOSS_LIMIT"]);
  });

  it("a standing lock from an earlier cycle holds entries with its code, without a new alert", () => {
    const r = cycle({ positions, signals: mixed, sessionOver: { risk: seasoned({ trades: 7, locks: [lockOf("MAX_CONSECUTIVE_LOSSES")] }) } });
    expect(summary(r).map((x) => x[3])).toEqual(["", "", "MAX_CONSECUTIVE_LOSSES", "MAX_CONSECUTIVE_LOSSES"]);
    expect(r.session!.alerts).toEqual([]);
    expect(r.session!.risk.trades).toBe(9); // 7 + 2 exits
  });

  it("with nothing holding entries, every executable signal is counted as a trade (entries and exits)", () => {
    const r = cycle({ positions, signals: mixed, sessionOver: { risk: seasoned({ trades: 4 }) } });
    expect(r.signals.every((s) => s.executable)).toBe(true);
    expect(r.session).toMatchObject({ orders: 4, block: null });
    expect(r.session!.risk.trades).toBe(8); // 4 + 4
  });

  it("max_trades_per_session 3, trades 2: the exit uses the last order, both entries are held with MAX_TRADES_PER_SESSION", () => {
    // tradesLeft 3 − 2 = 1; the exit takes it (1 − 1 = 0); no entry fits.
    const r = cycle({ risk: { max_trades_per_session: 3 }, positions, signals: [mixed[0], mixed[2], mixed[3]], sessionOver: { risk: seasoned({ trades: 2 }) } });
    expect(summary(r)).toEqual([
      ["1", "SELL", true, ""],
      ["3", "HOLD", false, "MAX_TRADES_PER_SESSION"],
      ["4", "HOLD", false, "MAX_TRADES_PER_SESSION"],
    ]);
    expect(r.signals[1].interventions[0].reason).toBe("Held: no orders left this session under risk.max_trades_per_session (3).");
    expect(r.session!.block).toBeNull(); // 2 < 3 at the assessment: a budget, not yet a lock
    expect(r.session!.risk.trades).toBe(3);
    // The next cycle finds 3 of 3: locked.
    const next = cycle({ risk: { max_trades_per_session: 3 }, now: new Date(at("15:05:00")), signals: [mixed[2]], sessionOver: { risk: r.session!.risk } });
    expect(next.session!.block?.code).toBe("MAX_TRADES_PER_SESSION");
    expect(next.signals[0]).toMatchObject({ action: "HOLD", executable: false });
  });

  it("max_trades_per_session 3, trades 2, no exits: the higher-confidence entry takes the last order", () => {
    const r = cycle({
      risk: { max_trades_per_session: 3 },
      signals: [{ id: "1", data: raw("a", "BUY", "IWM", 0.1, { confidence: 0.4 }) }, { id: "2", data: raw("b", "BUY", "DIA", 0.1, { confidence: 0.9 }) }],
      sessionOver: { risk: seasoned({ trades: 2 }) },
    });
    expect(summary(r)).toEqual([["1", "HOLD", false, "MAX_TRADES_PER_SESSION"], ["2", "BUY", true, ""]]);
    expect(r.session!.risk.trades).toBe(3);
  });

  it("max_trades_per_session 5, trades 2, one exit, three entries: the two most confident entries pass", () => {
    // 5 − 2 = 3 left; the exit takes 1 → 2 for entries, by confidence 0.9 (id 5), 0.7 (id 3), then 0.3 (id 4) is held.
    const r = cycle({
      risk: { max_trades_per_session: 5 },
      positions,
      signals: [mixed[0], { id: "3", data: raw("a", "BUY", "IWM", 0.1, { confidence: 0.7 }) }, { id: "4", data: raw("b", "BUY", "DIA", 0.1, { confidence: 0.3 }) }, { id: "5", data: raw("b", "BUY", "GLD", 0.1, { confidence: 0.9 }) }],
      sessionOver: { risk: seasoned({ trades: 2 }) },
    });
    expect(summary(r)).toEqual([["1", "SELL", true, ""], ["3", "BUY", true, ""], ["4", "HOLD", false, "MAX_TRADES_PER_SESSION"], ["5", "BUY", true, ""]]);
    expect(r.session!.risk.trades).toBe(5); // 2 + 3 executable
  });

  it("max_orders_per_minute 2 with one order 30 s ago: one entry passes, the other waits (ORDER_RATE_LIMIT)", () => {
    const r = cycle({
      risk: { max_orders_per_minute: 2 },
      signals: [{ id: "1", data: raw("a", "BUY", "IWM", 0.1, { confidence: 0.4 }) }, { id: "2", data: raw("b", "BUY", "DIA", 0.1, { confidence: 0.9 }) }],
      sessionOver: { risk: seasoned({ order_times: [at("14:59:30"), at("14:58:00")] }) },
    });
    expect(summary(r)).toEqual([["1", "HOLD", false, "ORDER_RATE_LIMIT"], ["2", "BUY", true, ""]]);
    expect(r.signals[0].interventions[0].reason).toBe("Held: risk.max_orders_per_minute (2) orders were licensed in the last minute; it waits for a later cycle.");
    // 14:58:00 dropped (older than a minute), now added.
    expect(r.session!.risk.order_times).toEqual([at("14:59:30"), NOW.toISOString()]);
    expect(r.session!.block).toBeNull();
  });

  it("max_orders_per_minute 3 with one order 30 s ago: the exit uses one of the 2 left, one entry takes the last", () => {
    // 3 − 1 recent = 2; the exit takes 1 → 1 for entries: id 3 (confidence 0.9) passes, id 4 (0.4) waits.
    const r = cycle({
      risk: { max_orders_per_minute: 3 },
      positions,
      signals: [mixed[0], { id: "3", data: raw("a", "BUY", "IWM", 0.1, { confidence: 0.9 }) }, { id: "4", data: raw("b", "BUY", "DIA", 0.1, { confidence: 0.4 }) }],
      sessionOver: { risk: seasoned({ order_times: [at("14:59:30")] }) },
    });
    expect(summary(r)).toEqual([["1", "SELL", true, ""], ["3", "BUY", true, ""], ["4", "HOLD", false, "ORDER_RATE_LIMIT"]]);
    expect(r.session!.risk.order_times).toEqual([at("14:59:30"), NOW.toISOString(), NOW.toISOString()]);
  });

  it("a PAUSED session holds entries with SESSION_PAUSED (step trading_session) and lets exits trade", () => {
    const r = cycle({ positions, signals: mixed, sessionOver: { state: "PAUSED", paused_reason: "news pending" } });
    expect(summary(r)).toEqual([
      ["1", "SELL", true, ""],
      ["2", "BUY", true, ""],
      ["3", "HOLD", false, "SESSION_PAUSED"],
      ["4", "HOLD", false, "SESSION_PAUSED"],
    ]);
    expect(r.signals[2].interventions[0].step).toBe("trading_session");
    expect(r.session!.risk.trades).toBe(2);
  });

  it("an unusable equity reading holds entries with the session's EQUITY_UNAVAILABLE and returns the finding", () => {
    const r = cycle({ positions, signals: mixed, equity: { value: null, source: "account snapshot is stale" } });
    expect(summary(r).map((x) => x[3])).toEqual(["", "", "EQUITY_UNAVAILABLE", "EQUITY_UNAVAILABLE"]);
    expect(r.signals[2].interventions[0].reason).toBe("Held: No usable equity reading (account snapshot is stale); entries wait for one.");
    expect(r.session!.findings).toEqual([{ code: "EQUITY_UNAVAILABLE", message: "No usable equity reading (account snapshot is stale); entries wait for one." }]);
    expect(r.session!.risk).toMatchObject({ last_equity: 100_000, trades: 2 });
  });

  it("an implausible reading holds entries with EQUITY_IMPLAUSIBLE and keeps it pending for a later snapshot", () => {
    const r = cycle({ positions, signals: mixed, equity: { value: 150_000, source: "test snapshot" } });
    expect(summary(r).map((x) => x[3])).toEqual(["", "", "EQUITY_IMPLAUSIBLE", "EQUITY_IMPLAUSIBLE"]);
    expect(r.session!.risk.pending_equity).toEqual({ value: 150_000, as_of: AS_OF });
    // A later snapshot at 150,500 confirms it: a deposit of 150,000 − 100,000 = 50,000, and entries trade again.
    const next = cycle({ now: new Date(at("15:05:00")), positions, signals: mixed, equity: { value: 150_500, source: "test snapshot" }, sessionOver: { risk: r.session!.risk, equity_as_of: at("15:04:00") } });
    expect(next.session!.block).toBeNull();
    expect(next.session!.alerts.map((x) => x.code)).toEqual(["EQUITY_REBASED"]);
    // Starting 100,000 + 50,000 = 150,000; HWM max(100,000 + 50,000, 150,500) = 150,500.
    expect(next.session!.risk).toMatchObject({ starting_equity: 150_000, high_water_equity: 150_500, last_equity: 150_500 });
    expect(next.signals.every((s) => s.executable)).toBe(true);
  });

  it("without risk_guardian in cycle_steps nothing locks or holds, but the marks and the count are kept", () => {
    const config = MaestroConfigSchema.parse({ cycle_steps: ["weights", "systemic_override", "buying_power"] });
    const standing = [lockOf("MAX_CONSECUTIVE_LOSSES")];
    const r = cycle({ config, positions, signals: mixed, equity: { value: 104_000, source: "t" }, sessionOver: { risk: seasoned({ trades: 25, locks: standing }) } });
    expect(r.signals.every((s) => s.executable)).toBe(true);
    expect(r.session).toMatchObject({ block: null, alerts: [], orders: 4 });
    expect(r.session!.risk).toMatchObject({ trades: 29, locks: standing, high_water_equity: 104_000, last_equity: 104_000 });
  });

  it("without a session input there is no session outcome", () => {
    expect(cycle({ session: undefined, signals: mixed }).session).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------
// 11. Properties
// ---------------------------------------------------------------------------

const minutesFromNow = (m: number) => new Date(NOW.getTime() + m * 60_000).toISOString();
const secondsFromNow = (s: number) => new Date(NOW.getTime() + s * 1_000).toISOString();

// Mostly readings the guardian believes (near the marks), so entries often get as far as the budgets.
const equityArb = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom<number | null>(null, NaN, 0, -1_000, Infinity) },
  { weight: 4, arbitrary: fc.integer({ min: 95_000, max: 115_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 40_000, max: 200_000 }) },
);
const lockArb = fc.record({
  code: fc.constantFrom(...LOCK_CODES),
  until: fc.constantFrom<string | null>(CLOSE, null, minutesFromNow(-1)),
  lifted: fc.boolean(),
});
const markArb = fc.option(fc.integer({ min: 95_000, max: 110_000 }), { nil: null, freq: 8 });
const riskStateArb = fc
  .record({
    start: markArb,
    last: markArb,
    above: fc.integer({ min: 0, max: 10_000 }),
    pending: fc.option(fc.record({ value: fc.integer({ min: 50_000, max: 250_000 }), ago: fc.integer({ min: 1, max: 30 }) }), { nil: null }),
    trades: fc.integer({ min: 0, max: 25 }),
    countedFrom: fc.integer({ min: 0, max: 25 }),
    orderAges: fc.array(fc.integer({ min: 0, max: 120 }), { maxLength: 6 }),
    lossesAfter: fc.option(fc.integer({ min: 1, max: 90 }), { nil: null }),
    locks: fc.array(lockArb, { maxLength: 2 }),
  })
  .map(
    (x): SessionRisk => ({
      starting_equity: x.last === null ? null : (x.start ?? x.last),
      high_water_equity: x.last === null ? null : x.last + x.above,
      last_equity: x.last,
      last_equity_as_of: x.last === null ? null : minutesFromNow(-5),
      pending_equity: x.pending && x.last !== null ? { value: x.pending.value, as_of: minutesFromNow(-x.pending.ago) } : null,
      trades: x.trades,
      trades_counted_from: Math.min(x.countedFrom, x.trades),
      order_times: x.orderAges.map((s) => secondsFromNow(-s)),
      losses_counted_after: x.lossesAfter === null ? null : minutesFromNow(-x.lossesAfter),
      locks: x.locks.map((l) => lockOf(l.code, { until: l.until, ...(l.lifted ? { lifted_at: minutesFromNow(-2), lifted_by: "ada", lift_reason: "r" } : {}) })),
    }),
  );
const riskConfigArb = fc
  .record({
    max_positions: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
    max_trades_per_session: fc.option(fc.integer({ min: 1, max: 25 }), { nil: null }),
    max_consecutive_losses: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
    max_orders_per_minute: fc.option(fc.integer({ min: 1, max: 6 }), { nil: null }),
    max_session_minutes: fc.option(fc.integer({ min: 1, max: 90 }), { nil: null }),
  })
  .map((r) => RiskConfigSchema.parse(r));
const closedArb = fc.array(fc.record({ ago: fc.integer({ min: 1, max: 120 }), pnl: fc.integer({ min: -100, max: 100 }) }), { maxLength: 8 }).map((xs) =>
  xs.map((x): ClosedTrade => ({ at: minutesFromNow(-x.ago), pnl: x.pnl })),
);

describe("properties (fast-check)", () => {
  it("no step changes an exit; when entries are blocked (a lock, a data hold, a pause) none is executable; budgets hold", () => {
    const WEIGHT: Record<string, number> = { a: 1, b: 0.5, c: 0 };
    const STEP_LISTS = [
      ["weights", "systemic_override", "risk_guardian", "buying_power"],
      ["weights", "risk_guardian", "buying_power", "systemic_override"],
      ["weights", "buying_power", "risk_guardian"],
      ["weights", "systemic_override", "buying_power"],
    ] as const;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            s: fc.constantFrom("a", "b", "c"),
            action: fc.constantFrom("BUY", "SELL", "HOLD"),
            ticker: fc.constantFrom("SPY", "QQQ", "IWM"),
            allocation: fc.integer({ min: 1, max: 10 }).map((x) => x / 10),
            confidence: fc.integer({ min: 0, max: 10 }).map((x) => x / 10),
            stop: fc.integer({ min: 1, max: 20 }),
          }),
          { maxLength: 10 },
        ),
        fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 9, maxLength: 9 }),
        riskStateArb,
        riskConfigArb,
        equityArb,
        fc.constantFrom<TradingSessionState>("ACTIVE_TRADING", "PAUSED"),
        fc.constantFrom<number | null | "hold">(null, "hold", 0, 50_000, 1_000_000),
        fc.constantFrom(...STEP_LISTS),
        closedArb,
        (raws, pos, state, risk, equity, sessionState, available, steps, closed) => {
          const positions = {
            a: { SPY: pos[0], QQQ: pos[1], IWM: pos[2] },
            b: { SPY: pos[3], QQQ: pos[4], IWM: pos[5] },
            c: { SPY: pos[6], QQQ: pos[7], IWM: pos[8] },
          };
          const config = MaestroConfigSchema.parse({ risk, cycle_steps: [...steps] });
          const guarded = (steps as readonly string[]).includes("risk_guardian");
          const r = orchestrateCycle({
            tenant_id: "t1", session_id: "maestro_1768489200000_a1b2c3d4e5f60718", now: NOW, config,
            strategies: { a: strategy("A"), b: strategy("B"), c: strategy("C") },
            weights: { a: weight("a"), b: weight("b", "REDUCED", 0.5), c: weight("c", "SHADOW_MODE", 0) },
            signals: raws.map((x, i) => ({ id: `x${String(i).padStart(2, "0")}`, data: raw(x.s, x.action, x.ticker, x.allocation, { confidence: x.confidence, stop_distance_pct: x.stop }) })),
            issueNonce: () => (++nonces).toString(16).padStart(32, "0"),
            positions, equity: { value: equity, source: "prop" }, buyingPower: { available, source: "prop" },
            session: { state: sessionState, paused_reason: null, risk: state, closed_trades: closed, trading_since: minutesFromNow(-60), closes_at: CLOSE, equity_as_of: AS_OF },
          });
          const s = r.session!;
          const byId = new Map(raws.map((x, i) => [`x${String(i).padStart(2, "0")}`, x]));
          let exitsTrading = 0;
          for (const sig of r.signals) {
            const x = byId.get(sig.signal_id)!;
            if (sig.exposure === "exit") {
              // Only the weights step may touch an exit (its allocation × the strategy's weight).
              expect(sig.action).toBe(x.action);
              expect(sig.allocation).toBeCloseTo(x.allocation * WEIGHT[x.s], 12);
              expect(sig.interventions.filter((i) => i.step !== "weights")).toEqual([]);
              expect(sig.executable).toBe(x.s !== "c"); // a (ACTIVE) and b (REDUCED) trade; c is SHADOW_MODE
              if (sig.executable) exitsTrading += 1;
            }
          }
          const entriesTrading = r.signals.filter((x) => x.exposure === "entry" && x.executable).length;
          const activeBefore = state.locks.some((l) => lockActive(l, NOW));
          const activeAfter = s.risk.locks.some((l) => lockActive(l, NOW));
          if (s.block !== null || sessionState === "PAUSED" || (guarded && (activeBefore || activeAfter))) expect(entriesTrading).toBe(0);
          if (guarded && activeAfter) expect(s.block).not.toBeNull();
          if (guarded && (equity === null || !Number.isFinite(equity) || equity <= 0)) expect(entriesTrading).toBe(0);
          // Budgets: entries never exceed what is left after the exits.
          if (guarded && risk.max_trades_per_session !== null) {
            const left = risk.max_trades_per_session - (state.trades - state.trades_counted_from);
            expect(entriesTrading).toBeLessThanOrEqual(Math.max(0, left - exitsTrading));
          }
          if (guarded && risk.max_orders_per_minute !== null) {
            const recent = state.order_times.filter((t) => Date.parse(t) > NOW.getTime() - 60_000).length;
            expect(entriesTrading).toBeLessThanOrEqual(Math.max(0, risk.max_orders_per_minute - recent - exitsTrading));
          }
          // The session counts exactly the orders licensed.
          expect(s.orders).toBe(r.signals.filter((x) => x.executable).length);
          expect(s.risk.trades).toBe(state.trades + s.orders);
          expect(SessionRiskSchema.safeParse(s.risk).success).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("assessSession: an unusable reading never moves the marks or latches a loss lock; a block exists exactly when a lock is active or a finding was made", () => {
    fc.assert(
      fc.property(riskStateArb, riskConfigArb, equityArb, closedArb, fc.boolean(), (state, risk, value, closed, asOfLater) => {
        const a = assessSession({
          risk, state, equity: reading(value, asOfLater ? AS_OF : minutesFromNow(-40)), closedTrades: closed, now: NOW, tradingSince: minutesFromNow(-60), closesAt: CLOSE,
        });
        const usable = value !== null && Number.isFinite(value) && value > 0;
        if (!usable) {
          expect(a.state).toMatchObject({
            starting_equity: state.starting_equity, high_water_equity: state.high_water_equity, last_equity: state.last_equity,
            last_equity_as_of: state.last_equity_as_of, pending_equity: state.pending_equity,
          });
          expect(a.state.locks.filter((l) => l.code === "SESSION_LOSS_LIMIT")).toHaveLength(state.locks.filter((l) => l.code === "SESSION_LOSS_LIMIT").length);
          expect(a.loss).toBeNull();
          expect(a.findings.map((f) => f.code)).toEqual(["EQUITY_UNAVAILABLE"]);
        }
        // Locks are only ever added, never dropped or rewritten; new ones last until the close.
        expect(a.state.locks.slice(0, state.locks.length)).toEqual(state.locks);
        for (const l of a.state.locks.slice(state.locks.length)) expect(l).toMatchObject({ since: NOW.toISOString(), until: CLOSE, lifted_at: null });
        const active = a.state.locks.find((l) => lockActive(l, NOW));
        expect(a.block !== null).toBe(active !== undefined || a.findings.length > 0);
        if (active) expect(a.block!.code).toBe(active.code);
        // The high-water mark is never below the last accepted equity.
        if (a.state.last_equity !== null) expect(a.state.high_water_equity!).toBeGreaterThanOrEqual(a.state.last_equity);
        expect(a.state.order_times.every((t) => Date.parse(t) > NOW.getTime() - 60_000)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------

describe("schemas: risk, session risk, trading session", () => {
  it("RiskConfigSchema's defaults, and the config carries risk and trading_session", () => {
    expect(RiskConfigSchema.parse({})).toEqual({
      max_position_risk_pct: 1, default_stop_distance_pct: 2, max_positions: null, max_session_loss_pct: 3, max_trades_per_session: 20,
      max_consecutive_losses: 5, max_orders_per_minute: null, max_session_minutes: null, max_equity_jump_pct: 25, flatten_on_emergency: true, max_portfolio_drawdown_pct: 10,
    });
    expect(DEFAULT_CONFIG.risk).toEqual(RiskConfigSchema.parse({}));
    expect(DEFAULT_CONFIG.trading_session).toEqual({ pre_market_minutes: 30, post_market_minutes: 30 });
    expect(MaestroConfigSchema.parse({ risk: { max_trades_per_session: null } }).risk.max_trades_per_session).toBeNull();
  });

  it.each([
    [{ max_trades_per_session: 0 }, "max_trades_per_session"],
    [{ max_consecutive_losses: 1.5 }, "max_consecutive_losses"],
    [{ max_session_loss_pct: 0 }, "max_session_loss_pct"],
    [{ max_session_minutes: 1441 }, "max_session_minutes"],
    [{ max_equity_jump_pct: 0 }, "max_equity_jump_pct"],
    [{ max_orders_per_minute: 0 }, "max_orders_per_minute"],
    [{ unknown_limit: 1 }, ""],
  ])("RiskConfigSchema refuses %j", (value, path) => {
    const r = RiskConfigSchema.safeParse(value);
    expect(r.success).toBe(false);
    if (path) expect(r.error!.issues[0].path).toEqual([path]);
    expect(MaestroConfigSchema.safeParse({ risk: value }).success).toBe(false);
  });

  it("TradingSessionConfigSchema refuses windows outside 0..720", () => {
    expect(MaestroConfigSchema.safeParse({ trading_session: { pre_market_minutes: -1 } }).success).toBe(false);
    expect(MaestroConfigSchema.safeParse({ trading_session: { post_market_minutes: 721 } }).success).toBe(false);
    expect(MaestroConfigSchema.parse({ trading_session: { pre_market_minutes: 0, post_market_minutes: 720 } }).trading_session).toEqual({ pre_market_minutes: 0, post_market_minutes: 720 });
  });

  it("SessionRiskSchema takes the empty state and refuses a negative trade count or an unknown lock code", () => {
    expect(SessionRiskSchema.parse(EMPTY_SESSION_RISK)).toEqual(EMPTY_SESSION_RISK);
    expect(SessionRiskSchema.safeParse({ ...EMPTY_SESSION_RISK, trades: -1 }).success).toBe(false);
    expect(SessionRiskSchema.safeParse({ ...EMPTY_SESSION_RISK, locks: [{ ...lockOf("SESSION_LOSS_LIMIT"), code: "ORDER_RATE_LIMIT" }] }).success).toBe(false);
  });

  it("TradingSessionSchema takes a session document and refuses an unknown state", () => {
    const doc = {
      tenant_id: "t1", day: "2026-01-15", state: "ACTIVE_TRADING", transitions: [], trading_since: TRADING_SINCE, closes_at: CLOSE,
      risk: seasoned({ locks: [lockOf("SESSION_LOSS_LIMIT")] }),
      summary: { equity: null, pnl: null, positions_open: 0, risk_utilization: { session_loss: null, trades: null, positions: null }, cycles: 0, interventions_by_code: {}, alerts: [] },
      report: null, created_at: at("13:00:00"), updated_at: at("15:00:00"),
    };
    // A document from before the emergency stop and the agents existed reads as one with neither.
    expect(TradingSessionSchema.parse(doc)).toEqual({ ...doc, emergency: null, agents: { runs: {}, states: {}, metrics: null, holds: {}, checked_at: null } });
    expect(TradingSessionSchema.safeParse({ ...doc, state: "OPEN" }).success).toBe(false);
  });
});
