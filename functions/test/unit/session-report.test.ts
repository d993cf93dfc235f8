/**
 * SESSION_STATE (the summary every cycle keeps) and the POST_MARKET report
 * (core/session-report.ts). Numbers by hand in the comments.
 */
import { EMPTY_SESSION_RISK } from "../../src/core/session-guardian";
import { MAX_SESSION_ALERTS, emptySummary, nextSummary, sessionReport, withAlert, type SummaryInput } from "../../src/core/session-report";
import { RiskConfigSchema, SessionReportSchema, SessionSummarySchema, type RiskLock, type SessionAlert, type SessionRisk, type TradingSession } from "../../src/schemas";

const alert = (i: number, prefix = "a"): SessionAlert => ({ at: `2026-01-15T15:${String(i % 60).padStart(2, "0")}:00.000Z`, code: "X", message: `${prefix}${i}` });
const risk = (over: Partial<SessionRisk> = {}): SessionRisk => ({ ...EMPTY_SESSION_RISK, locks: [], order_times: [], ...over });
const signal = (...codes: string[]) => ({ interventions: codes.map((code) => ({ code })) });

function input(over: Partial<SummaryInput> = {}): SummaryInput {
  return {
    risk: risk({ starting_equity: 100_000, high_water_equity: 102_000, last_equity: 101_234.567, trades: 7, trades_counted_from: 2 }),
    config: RiskConfigSchema.parse({ max_positions: 4 }),
    positions: { a: { SPY: 10, QQQ: 0 }, b: { SPY: -3, IWM: 2 } },
    signals: [signal("MAX_POSITIONS", "POSITION_RISK_SCALED"), signal("MAX_POSITIONS"), signal()],
    alerts: [alert(1)],
    loss: { amount: 1_000, limit: 3_000 },
    ...over,
  };
}

describe("emptySummary", () => {
  it("is a valid SESSION_STATE with nothing in it", () => {
    expect(emptySummary()).toEqual({
      equity: null, pnl: null, positions_open: 0, risk_utilization: { session_loss: null, trades: null, positions: null }, cycles: 0, interventions_by_code: {}, alerts: [],
    });
    expect(SessionSummarySchema.safeParse(emptySummary()).success).toBe(true);
    expect(MAX_SESSION_ALERTS).toBe(50);
  });
});

describe("nextSummary", () => {
  it("after one cycle: equity, P&L, open positions, utilization, interventions by code", () => {
    const s = nextSummary(emptySummary(), input());
    expect(s).toEqual({
      equity: 101_234.567,
      // 101,234.567 − 100,000 = 1,234.567 → 1,234.57 (cents).
      pnl: 1_234.57,
      // a SPY, b SPY, b IWM are open (a QQQ is 0).
      positions_open: 3,
      risk_utilization: {
        session_loss: 0.3333, // 1,000 / 3,000 = 0.33333 → 4 places
        trades: 0.25, // (7 − 2) / 20
        positions: 0.5, // symbols SPY, IWM = 2 of max_positions 4
      },
      cycles: 1,
      interventions_by_code: { MAX_POSITIONS: 2, POSITION_RISK_SCALED: 1 },
      alerts: [alert(1)],
    });
    expect(SessionSummarySchema.safeParse(s).success).toBe(true);
  });

  it("accumulates across cycles; keeps the last loss utilization when this cycle could not measure one", () => {
    const first = nextSummary(emptySummary(), input());
    const second = nextSummary(first, input({
      risk: risk({ starting_equity: 100_000, high_water_equity: 102_000, last_equity: 98_765.4321, trades: 9, trades_counted_from: 2 }),
      positions: { a: { SPY: 10 } },
      signals: [signal("MAX_POSITIONS"), signal("SESSION_LOSS_LIMIT")],
      alerts: [alert(2)],
      loss: null,
    }));
    expect(second).toEqual({
      equity: 98_765.4321,
      pnl: -1_234.57, // 98,765.4321 − 100,000 = −1,234.5679
      positions_open: 1,
      risk_utilization: { session_loss: 0.3333, trades: 0.35, positions: 0.25 }, // (9 − 2) / 20; 1 / 4
      cycles: 2,
      interventions_by_code: { MAX_POSITIONS: 3, POSITION_RISK_SCALED: 1, SESSION_LOSS_LIMIT: 1 },
      alerts: [alert(1), alert(2)],
    });
    // The previous summary is not mutated.
    expect(first.interventions_by_code).toEqual({ MAX_POSITIONS: 2, POSITION_RISK_SCALED: 1 });
    expect(first.alerts).toEqual([alert(1)]);
  });

  it("is null where a limit is off or equity is unknown", () => {
    const s = nextSummary(emptySummary(), input({
      risk: risk({ trades: 3 }),
      config: RiskConfigSchema.parse({ max_trades_per_session: null }),
      loss: null,
    }));
    expect(s).toMatchObject({ equity: null, pnl: null, risk_utilization: { session_loss: null, trades: null, positions: null } });
    // Starting equity without a last reading: no P&L either.
    expect(nextSummary(emptySummary(), input({ risk: risk({ starting_equity: 100_000 }) })).pnl).toBeNull();
    // Past the limit the fraction is above 1: 25 trades of 20.
    expect(nextSummary(emptySummary(), input({ risk: risk({ trades: 25 }) })).risk_utilization.trades).toBe(1.25);
  });

  it(`keeps only the latest ${50} alerts`, () => {
    // 49 earlier + 3 new = 52 → drop the 2 oldest: a2..a48, b0, b1, b2.
    const previous = { ...emptySummary(), alerts: Array.from({ length: 49 }, (_, i) => alert(i)) };
    const s = nextSummary(previous, input({ alerts: [alert(0, "b"), alert(1, "b"), alert(2, "b")] }));
    expect(s.alerts).toHaveLength(50);
    expect(s.alerts[0].message).toBe("a2");
    expect(s.alerts.slice(-4).map((x) => x.message)).toEqual(["a48", "b0", "b1", "b2"]);
  });
});

describe("data-quality alerts", () => {
  it("are kept once per spell: a repeat of the newest alert's data-quality code is dropped, other codes and a new spell are kept", () => {
    const stale = (i: number) => ({ at: `2026-01-15T15:${String(i).padStart(2, "0")}:00.000Z`, code: "EQUITY_UNAVAILABLE", message: `stale ${i}` });
    const lock = { at: "2026-01-15T14:59:00.000Z", code: "SESSION_LOSS_LIMIT", message: "locked" };
    let s = nextSummary(emptySummary(), input({ alerts: [lock] }));
    // Sixty cycles of a stale feed: one alert, the first.
    for (let i = 0; i < 60; i++) s = nextSummary(s, input({ alerts: [stale(i)] }));
    expect(s.alerts).toEqual([lock, stale(0)]);
    // Another code in between starts a new spell; a lock alert is never collapsed.
    s = nextSummary(s, input({ alerts: [{ ...lock, code: "MAX_TRADES_PER_SESSION" }, stale(61), stale(62)] }));
    expect(s.alerts.map((x) => x.message)).toEqual(["locked", "stale 0", "locked", "stale 61"]);
    s = withAlert(s, { ...lock, code: "MAX_TRADES_PER_SESSION", message: "again" });
    s = withAlert(s, { ...lock, code: "MAX_TRADES_PER_SESSION", message: "and again" });
    expect(s.alerts.slice(-2).map((x) => x.message)).toEqual(["again", "and again"]);
  });
});

describe("withAlert", () => {
  it("appends an alert outside a cycle, keeping the latest 50, and changes nothing else", () => {
    const base = { ...nextSummary(emptySummary(), input()), alerts: Array.from({ length: 50 }, (_, i) => alert(i)) };
    const s = withAlert(base, alert(7, "lift"));
    expect(s.alerts).toHaveLength(50);
    expect(s.alerts[0].message).toBe("a1");
    expect(s.alerts[49].message).toBe("lift7");
    expect({ ...s, alerts: [] }).toEqual({ ...base, alerts: [] });
    expect(base.alerts).toHaveLength(50);
    expect(base.alerts[0].message).toBe("a0");
    expect(withAlert(emptySummary(), alert(3)).alerts).toEqual([alert(3)]);
  });
});

describe("sessionReport", () => {
  const lock: RiskLock = {
    code: "SESSION_LOSS_LIMIT", reason: "r", since: "2026-01-15T18:00:00.000Z", until: "2026-01-15T21:00:00.000Z",
    lifted_at: "2026-01-15T19:00:00.000Z", lifted_by: "ada", lift_reason: "reviewed",
  };
  const summary = nextSummary(emptySummary(), input());
  const session: TradingSession = {
    tenant_id: "t1", day: "2026-01-15", state: "POST_MARKET", transitions: [], trading_since: "2026-01-15T14:30:00.000Z", closes_at: "2026-01-15T21:00:00.000Z",
    risk: risk({ starting_equity: 100_000, high_water_equity: 102_000, last_equity: 101_234.567, trades: 7, trades_counted_from: 2, locks: [lock] }),
    summary, report: null, emergency: null, agents: { runs: {}, states: {}, metrics: null, holds: {}, checked_at: null }, created_at: "2026-01-15T13:00:00.000Z", updated_at: "2026-01-15T21:00:00.000Z",
  };

  it("is the summary plus the session's marks, trades, locks and each strategy's day, sorted by strategy id", () => {
    const report = sessionReport(
      session,
      [
        { strategy_id: "zeta", performance: { realized_pnl: 10, unrealized_pnl: -2.5, daily_pnl: 7.5 } },
        { strategy_id: "alpha", performance: null },
        { strategy_id: "Beta", performance: { realized_pnl: 0, unrealized_pnl: 0, daily_pnl: 0 } },
      ],
      new Date("2026-01-15T21:00:05.000Z"),
    );
    expect(report).toEqual({
      ...summary,
      day: "2026-01-15",
      written_at: "2026-01-15T21:00:05.000Z",
      starting_equity: 100_000,
      high_water_equity: 102_000,
      trades: 7, // every order licensed, not only those counted since a lift
      locks: [lock],
      strategy_contributions: [
        // Code-unit order: "B" (66) < "a" (97) < "z".
        { strategy_id: "Beta", realized_pnl: 0, unrealized_pnl: 0, daily_pnl: 0, note: null },
        { strategy_id: "alpha", realized_pnl: null, unrealized_pnl: null, daily_pnl: null, note: "no performance for the day: no fills, or the rollup has not run yet" },
        { strategy_id: "zeta", realized_pnl: 10, unrealized_pnl: -2.5, daily_pnl: 7.5, note: null },
      ],
    });
    expect(SessionReportSchema.safeParse(report).success).toBe(true);
  });

  it("has no contributions without strategies, and does not reorder its input", () => {
    expect(sessionReport(session, [], new Date("2026-01-15T21:00:05.000Z")).strategy_contributions).toEqual([]);
    const strategies = [{ strategy_id: "b", performance: null }, { strategy_id: "a", performance: null }];
    sessionReport(session, strategies, new Date("2026-01-15T21:00:05.000Z"));
    expect(strategies.map((s) => s.strategy_id)).toEqual(["b", "a"]);
  });
});
