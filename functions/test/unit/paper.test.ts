/**
 * Paper trading for SHADOW_MODE (core/paper.ts): which orchestrated signals become paper
 * fills and at what size and price, how a waiting fill is priced by a later mark, and how
 * paper days stand in for the days in shadow. Numbers are worked out by hand beside them.
 */
import { paperFillsOf, priceAwaitingFill, withPaperDays } from "../../src/core/paper";
import type { EnrichedSignal, Strategy } from "../../src/schemas";

const NOW = new Date("2026-11-16T15:00:00Z");
const strategies: Record<string, Strategy> = {
  shadow: { name: "Shadow", enabled: true, capital_base: 50_000, manual_mode: null },
  active: { name: "Active", enabled: true, capital_base: 50_000, manual_mode: null },
};

function signal(id: string, strategy_id: string, mode: EnrichedSignal["mode"], action: EnrichedSignal["action"], original_allocation: number): EnrichedSignal {
  return {
    signal_id: id, strategy_id, strategy_name: strategy_id, action, ticker: "SPY", allocation: mode === "SHADOW_MODE" ? 0 : original_allocation,
    original_allocation, weight_multiplier: mode === "SHADOW_MODE" ? 0 : 1, mode, confidence: 0.7, reasoning: "", executable: mode !== "SHADOW_MODE",
    agent_id: `t_${strategy_id}`, nonce: "0".repeat(32), session_id: "maestro_1", identity_timestamp: NOW.toISOString(),
  } as EnrichedSignal;
}

describe("paperFillsOf", () => {
  const fills = paperFillsOf({
    signals: [
      signal("buy", "shadow", "SHADOW_MODE", "BUY", 0.2),
      signal("sell", "shadow", "SHADOW_MODE", "SELL", 0.1),
      signal("hold", "shadow", "SHADOW_MODE", "HOLD", 0.3),
      signal("real", "active", "ACTIVE", "BUY", 0.2),
      { ...signal("overridden", "shadow", "SHADOW_MODE", "HOLD", 0.3), original_action: "BUY" as const, override_reason: "systemic risk" },
    ],
    reference_prices: new Map([["buy", 400], ["overridden", 100]]),
    strategies,
    session_id: "maestro_1",
    now: NOW,
  });

  it("fills a SHADOW_MODE BUY at its reference price: allocation × capital_base / price", () => {
    // 0.2 × 50,000 = 10,000 notional at 400 → 25 shares
    expect(fills.get("maestro_1_buy")).toEqual({
      strategy_id: "shadow", symbol: "SPY", side: "BUY", quantity: 25, price: 400, fee: 0, executed_at: NOW, notional: 10_000,
      price_source: "reference_price", status: "filled", priced_by_mark: null, session_id: "maestro_1", signal_id: "buy", paper: true,
    });
  });

  it("leaves a fill without a reference price waiting for the next mark, sized by its notional", () => {
    // 0.1 × 50,000 = 5,000
    expect(fills.get("maestro_1_sell")).toMatchObject({ side: "SELL", quantity: null, price: null, notional: 5_000, status: "awaiting_mark", price_source: "next_mark" });
  });

  it("fills the strategy's own call when the systemic override held it: 0.3 × 50,000 / 100 = 150", () => {
    expect(fills.get("maestro_1_overridden")).toMatchObject({ side: "BUY", quantity: 150, price: 100, status: "filled" });
  });

  it("places nothing for a HOLD, nor for a strategy that trades for real", () => {
    expect([...fills.keys()].sort()).toEqual(["maestro_1_buy", "maestro_1_overridden", "maestro_1_sell"]);
  });
});

describe("priceAwaitingFill", () => {
  const waiting = { symbol: "SPY", notional: 5_000, status: "awaiting_mark" as const };

  it("takes the price of a mark of the fill's day or later: 5,000 / 250 = 20", () => {
    expect(priceAwaitingFill(waiting, "2026-11-16", "2026-11-16", { SPY: 250 })).toEqual({ price: 250, quantity: 20, status: "filled", priced_by_mark: "2026-11-16" });
    expect(priceAwaitingFill(waiting, "2026-11-16", "2026-11-18", { SPY: 500 })).toMatchObject({ quantity: 10, priced_by_mark: "2026-11-18" });
  });

  it("is not priced by an earlier day's mark, a mark without its symbol, or twice", () => {
    expect(priceAwaitingFill(waiting, "2026-11-16", "2026-11-13", { SPY: 250 })).toBeNull();
    expect(priceAwaitingFill(waiting, "2026-11-16", "2026-11-16", { QQQ: 250 })).toBeNull();
    expect(priceAwaitingFill({ ...waiting, status: "filled" }, "2026-11-16", "2026-11-16", { SPY: 250 })).toBeNull();
  });
});

describe("withPaperDays", () => {
  it("adds paper P&L to the real P&L of the same day, keeps the last lookback days, and counts the paper ones", () => {
    const real = [
      { trading_day: "2026-11-02", daily_pnl: -100 },
      { trading_day: "2026-11-03", daily_pnl: -50 },
      { trading_day: "2026-11-04", daily_pnl: 5 },
    ];
    const paper = [
      { trading_day: "2026-11-04", daily_pnl: 40 },
      { trading_day: "2026-11-05", daily_pnl: 30 },
    ];
    // Days 11-02 … 11-05; the last 3: 11-03 (−50), 11-04 (5 + 40 = 45, paper), 11-05 (30, paper only)
    expect(withPaperDays(real, paper, 3)).toEqual({
      rows: [
        { trading_day: "2026-11-03", daily_pnl: -50 },
        { trading_day: "2026-11-04", daily_pnl: 45 },
        { trading_day: "2026-11-05", daily_pnl: 30 },
      ],
      paper_days: 2,
    });
    expect(withPaperDays(real, [], 30)).toEqual({ rows: real, paper_days: 0 });
  });
});
