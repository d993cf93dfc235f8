/**
 * The risk guardian step (core/risk-guardian.ts), through orchestrateCycle with
 * cycle_steps ["weights", "systemic_override", "risk_guardian", "buying_power"]. Numbers by
 * hand: capital_base 100,000 per strategy, equity 200,000, max_position_risk_pct 1 → an
 * entry may risk $2,000; the default stop of 2 % lets an entry be $100,000 notional.
 */
import fc from "fast-check";
import { orchestrateCycle, type CycleInput } from "../../src/core/orchestrate";
import { DEFAULT_CONFIG, MaestroConfigSchema, type Strategy, type StrategyWeight } from "../../src/schemas";

const strategy = (name: string): Strategy => ({ name, enabled: true, capital_base: 100_000, manual_mode: null });
const weight = (id: string): StrategyWeight => ({
  strategy_id: id, strategy_name: id, weight: 1, mode: "ACTIVE", reasoning: "r", sharpe_ratio: 2, sortino_ratio: null, total_return: 0, annualized_return: null,
  volatility: 0.1, max_drawdown: 0, win_rate: 0.5, data_points: 30, period_start: null, period_end: null, paper_days: 0,
});
const config = MaestroConfigSchema.parse({ cycle_steps: ["weights", "systemic_override", "risk_guardian", "buying_power"], risk: { max_positions: 2 } });
const raw = (strategy_id: string, action: string, ticker: string, allocation: number, over: Record<string, unknown> = {}) => ({ strategy_id, action, ticker, allocation, confidence: 0.5, status: "pending", ...over });
let n = 0;
function input(over: Partial<CycleInput>): CycleInput {
  return {
    tenant_id: "t1", session_id: "maestro_1735560000000_a1b2c3d4e5f60718", now: new Date(1_735_560_000_000), config,
    strategies: { a: strategy("A"), b: strategy("B") }, weights: { a: weight("a"), b: weight("b") }, signals: [],
    issueNonce: () => (++n).toString(16).padStart(32, "0"), equity: { value: 200_000, source: "test snapshot" }, ...over,
  };
}

describe("risk_guardian", () => {
  it("scales an entry whose risk is above 1 % of equity down to fit", () => {
    // a: BUY 0.5 × 100,000 = $50,000 at a 5 % stop → risk $2,500 > $2,000 → $40,000 (allocation 0.4).
    const r = orchestrateCycle(input({ signals: [{ id: "1", data: raw("a", "BUY", "SPY", 0.5, { stop_distance_pct: 5 }) }] }));
    expect(r.signals[0]).toMatchObject({ action: "BUY", executable: true });
    expect(r.signals[0].allocation).toBeCloseTo(0.4, 12);
    expect(r.signals[0].interventions.map((i) => [i.step, i.code])).toEqual([["risk_guardian", "POSITION_RISK_SCALED"]]);
    expect(r.signals[0].interventions[0].reason).toBe(
      "Scaled from $50000.00 to $40000.00: its risk at a 5.00% stop, $2500.00, is above risk.max_position_risk_pct 1% of equity $200000.00 ($2000.00).",
    );
  });

  it("leaves an entry within the limit alone: 0.5 × 100,000 at the default 2 % stop risks $1,000", () => {
    const r = orchestrateCycle(input({ signals: [{ id: "1", data: raw("a", "BUY", "SPY", 0.5) }] }));
    expect(r.signals[0]).toMatchObject({ allocation: 0.5, interventions: [] });
  });

  it("holds an entry into a new symbol past max_positions (2), highest confidence first; adding to a held symbol is fine", () => {
    const r = orchestrateCycle(
      input({
        positions: { a: { SPY: 10 } },
        signals: [
          { id: "1", data: raw("a", "BUY", "SPY", 0.1, { confidence: 0.3 }) }, // adds to SPY: allowed
          { id: "2", data: raw("b", "BUY", "QQQ", 0.1, { confidence: 0.9 }) }, // second symbol: allowed
          { id: "3", data: raw("b", "SELL", "IWM", 0.1, { confidence: 0.6 }) }, // a short into a third: held
        ],
      }),
    );
    expect(r.signals.map((s) => [s.signal_id, s.action, s.executable])).toEqual([["1", "BUY", true], ["2", "BUY", true], ["3", "HOLD", false]]);
    expect(r.signals[2]).toMatchObject({ original_action: "SELL", nonce: null });
    expect(r.signals[2].interventions.map((i) => i.code)).toEqual(["MAX_POSITIONS"]);
  });

  it("holds every entry without a usable equity reading, and lets exits through", () => {
    const r = orchestrateCycle(
      input({
        equity: { value: null, source: "account snapshot is stale" },
        positions: { a: { SPY: 10 } },
        signals: [
          { id: "1", data: raw("a", "SELL", "SPY", 0.1) }, // exit
          { id: "2", data: raw("b", "BUY", "QQQ", 0.1) }, // entry
        ],
      }),
    );
    expect(r.signals[0]).toMatchObject({ action: "SELL", executable: true, interventions: [] });
    expect(r.signals[1]).toMatchObject({ action: "HOLD", executable: false });
    expect(r.signals[1].interventions[0]).toMatchObject({ code: "EQUITY_UNAVAILABLE", reason: "Held: no usable equity reading (account snapshot is stale); entries wait for one." });
  });

  it("is a default step, and is not run when the tenant's cycle_steps leave it out", () => {
    expect(DEFAULT_CONFIG.cycle_steps).toEqual(["weights", "systemic_override", "risk_guardian", "buying_power"]);
    const signals = [{ id: "1", data: raw("a", "BUY", "SPY", 0.5, { stop_distance_pct: 50 }) }];
    const guarded = orchestrateCycle(input({ config: DEFAULT_CONFIG, equity: { value: null, source: "none" }, buyingPower: { available: null, source: "uncapped" }, signals }));
    expect(guarded.signals[0]).toMatchObject({ action: "HOLD", allocation: 0, interventions: [{ step: "risk_guardian", code: "EQUITY_UNAVAILABLE" }] });
    const without = MaestroConfigSchema.parse({ cycle_steps: ["weights", "systemic_override", "buying_power"] });
    const r = orchestrateCycle(input({ config: without, equity: { value: null, source: "none" }, buyingPower: { available: null, source: "uncapped" }, signals }));
    expect(r.signals[0]).toMatchObject({ action: "BUY", allocation: 0.5, interventions: [] });
  });

  it("never lets an entry's risk past the limit, and never touches an exit (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ s: fc.constantFrom("a", "b"), action: fc.constantFrom("BUY", "SELL"), ticker: fc.constantFrom("SPY", "QQQ", "IWM"), allocation: fc.integer({ min: 1, max: 10 }).map((x) => x / 10), stop: fc.integer({ min: 1, max: 20 }) }), { maxLength: 10 }),
        fc.integer({ min: 1_000, max: 1_000_000 }),
        fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 3, maxLength: 3 }),
        (signals, equity, pos) => {
          const positions = { a: { SPY: pos[0], QQQ: pos[1] }, b: { IWM: pos[2] } };
          const r = orchestrateCycle(
            input({
              config: MaestroConfigSchema.parse({ cycle_steps: ["weights", "risk_guardian"] }),
              equity: { value: equity, source: "t" },
              positions,
              signals: signals.map((x, i) => ({ id: `x${String(i).padStart(2, "0")}`, data: raw(x.s, x.action, x.ticker, x.allocation, { stop_distance_pct: x.stop }) })),
            }),
          );
          for (const s of r.signals) {
            if (s.exposure === "exit") expect(s.interventions).toEqual([]);
            if (s.executable && s.exposure === "entry") {
              const risk = s.allocation * 100_000 * ((s.stop_distance_pct ?? 2) / 100);
              expect(risk).toBeLessThanOrEqual(equity * 0.01 + 1e-6);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
