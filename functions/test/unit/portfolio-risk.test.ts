/**
 * The portfolio risk step (core/portfolio-risk.ts), through orchestrateCycle with
 * cycle_steps ["weights", "portfolio_risk"]. Numbers by hand: capital_base 100,000 per
 * strategy, equity 1,000,000, target volatility 15 %.
 */
import fc from "fast-check";
import { orchestrateCycle, type CycleInput } from "../../src/core/orchestrate";
import { correlatedPairs } from "../../src/core/portfolio-risk";
import { MaestroConfigSchema, type Strategy, type StrategyWeight } from "../../src/schemas";
import type { StrategyPerformanceInput } from "../../src/core/allocation";

const strategy = (name: string): Strategy => ({ name, enabled: true, capital_base: 100_000, manual_mode: null });
const weight = (id: string, volatility: number): StrategyWeight => ({
  strategy_id: id, strategy_name: id, weight: 1, mode: "ACTIVE", reasoning: "r", sharpe_ratio: 2, sortino_ratio: null, total_return: 0, annualized_return: null,
  volatility, max_drawdown: 0, win_rate: 0.5, data_points: 30, period_start: null, period_end: null, paper_days: 0,
});
const config = (portfolio_risk: Record<string, unknown> = {}) => MaestroConfigSchema.parse({ cycle_steps: ["weights", "portfolio_risk"], portfolio_risk });
const raw = (strategy_id: string, action: string, ticker: string, allocation: number, over: Record<string, unknown> = {}) => ({ strategy_id, action, ticker, allocation, confidence: 0.5, status: "pending", ...over });
let n = 0;
function input(over: Partial<CycleInput>): CycleInput {
  return {
    tenant_id: "t1", session_id: "maestro_1735560000000_a1b2c3d4e5f60718", now: new Date(1_735_560_000_000), config: config(),
    strategies: { a: strategy("A"), b: strategy("B"), c: strategy("C"), d: strategy("D") },
    // Realized volatility: a 30 % (→ × 0.5), b 10 % (→ × 1.5), c 5 % (15/5 = 3, bounded to 2), d 15 % (× 1).
    weights: { a: weight("a", 0.3), b: weight("b", 0.1), c: weight("c", 0.05), d: weight("d", 0.15) },
    signals: [], issueNonce: () => (++n).toString(16).padStart(32, "0"), equity: { value: 1_000_000, source: "test snapshot" },
    marks: { prices: { SPY: 100, QQQ: 100, IWM: 100, XLE: 50 }, source: "test marks" }, ...over,
  };
}
const byId = (r: ReturnType<typeof orchestrateCycle>) => Object.fromEntries(r.signals.map((s) => [s.signal_id, s]));

describe("portfolio_risk", () => {
  it("volatility targeting: 15 % / realized, bounded to [0.5, 2]; the breakdown is on the signal", () => {
    const r = byId(orchestrateCycle(input({ signals: [{ id: "1", data: raw("a", "BUY", "SPY", 0.2) }, { id: "2", data: raw("b", "SELL", "QQQ", 0.2) }, { id: "3", data: raw("c", "BUY", "IWM", 0.2) }] })));
    expect(r["1"].allocation).toBeCloseTo(0.1, 12); // 0.2 × 0.5
    expect(r["2"].allocation).toBeCloseTo(0.3, 12); // 0.2 × 1.5
    expect(r["3"].allocation).toBeCloseTo(0.4, 12); // 0.2 × 2 (3 bounded)
    expect(r["3"].portfolio_sizing).toMatchObject({ base: 0.2, volatility: 2, correlation: 1, regime: 1, concentration: 1, heat: 1 });
    expect(r["3"].portfolio_sizing!.final).toBeCloseTo(0.4, 12);
    expect(r["3"].interventions.map((i) => [i.step, i.code])).toEqual([["portfolio_risk", "PORTFOLIO_RISK_SIZED"]]);
    expect(r["3"].interventions[0].reason).toMatch(/^Sized 0\.2 → 0\.4: volatility 2 \(target 0\.15 \/ realized 0\.05, bounded to \[0\.5, 2\]\); correlation 1 .*; regime 1 \(no market-regime input\); concentration 1 .*; heat 1 /);
  });

  it("an entry from a strategy correlated above 0.7 with one holding a position is reduced by 35 %; uncorrelated or not holding: untouched", () => {
    const pairs = [{ a: "a", b: "d", rho: 0.82 }, { a: "b", b: "d", rho: 0.6 }];
    const r = byId(orchestrateCycle(input({ positions: { d: { SPY: 10 } }, correlatedPairs: pairs, signals: [{ id: "1", data: raw("a", "BUY", "QQQ", 0.2) }, { id: "2", data: raw("b", "BUY", "IWM", 0.2) }] })));
    // a: 0.2 × 0.5 (volatility) × 0.65 = 0.065.
    expect(r["1"].allocation).toBeCloseTo(0.065, 12);
    expect(r["1"].portfolio_sizing!.notes).toContain("correlation 0.65 (ρ 0.82 with d, which holds a position; above 0.7)");
    // b: ρ 0.6 ≤ 0.7: only its volatility factor, 1.5.
    expect(r["2"].allocation).toBeCloseTo(0.3, 12);
    // The same pair without d holding anything: no reduction.
    const free = byId(orchestrateCycle(input({ correlatedPairs: pairs, signals: [{ id: "1", data: raw("a", "BUY", "QQQ", 0.2) }] })));
    expect(free["1"].allocation).toBeCloseTo(0.1, 12);
  });

  it("three entries the same way scale each by 0.7; two do not; exits pass untouched", () => {
    const three = byId(orchestrateCycle(input({
      positions: { d: { XLE: 5 } },
      signals: [
        { id: "1", data: raw("d", "BUY", "SPY", 0.1) }, { id: "2", data: raw("d", "BUY", "QQQ", 0.1) }, { id: "3", data: raw("d", "BUY", "IWM", 0.1) },
        { id: "4", data: raw("d", "SELL", "XLE", 0.1) }, // an exit: d holds XLE
      ],
    })));
    for (const id of ["1", "2", "3"]) expect(three[id].allocation).toBeCloseTo(0.07, 12);
    expect(three["1"].portfolio_sizing!.notes).toContain("concentration 0.7 (3 BUY entries this cycle, at least 3)");
    expect(three["4"]).toMatchObject({ allocation: 0.1, exposure: "exit", interventions: [] });
    expect(three["4"].portfolio_sizing).toBeUndefined();
    const two = byId(orchestrateCycle(input({ signals: [{ id: "1", data: raw("d", "BUY", "SPY", 0.1) }, { id: "2", data: raw("d", "SELL", "QQQ", 0.1) }] })));
    expect(two["1"]).toMatchObject({ allocation: 0.1, interventions: [] });
  });

  it("heat: entries risking more than 5 % of equity together are scaled in proportion to fit", () => {
    // Equity 100,000 → heat limit $5,000. d (× 1): two entries of 1.0 × 100,000 at a 4 % stop risk $4,000 each = $8,000 → × 0.625.
    const r = byId(orchestrateCycle(input({
      equity: { value: 100_000, source: "test" },
      signals: [{ id: "1", data: raw("d", "BUY", "SPY", 1, { stop_distance_pct: 4 }) }, { id: "2", data: raw("d", "SELL", "QQQ", 1, { stop_distance_pct: 4 }) }],
    })));
    expect(r["1"].allocation).toBeCloseTo(0.625, 12);
    expect(r["2"].allocation).toBeCloseTo(0.625, 12);
    expect(r["1"].portfolio_sizing!.heat).toBeCloseTo(0.625, 12);
    expect(r["1"].portfolio_sizing!.notes[r["1"].portfolio_sizing!.notes.length - 1]).toBe(
      "heat 0.625 (open positions risk $0.00 and the cycle's entries $8000.00, above max_portfolio_heat_pct 5 % of equity, $5000.00)",
    );
  });

  it("heat counts the open positions at their marks: they leave the entries less room, or none", () => {
    // d holds 1,000 SPY at 100 → $100,000 × 2 % default stop = $2,000 of risk; equity 100,000 → $5,000 limit → $3,000 room.
    // One entry of 1.0 × 100,000 at a 4 % stop risks $4,000 → × 0.75.
    const partial = byId(orchestrateCycle(input({ equity: { value: 100_000, source: "test" }, positions: { d: { SPY: 1_000 } }, signals: [{ id: "1", data: raw("d", "BUY", "QQQ", 1, { stop_distance_pct: 4 }) }] })));
    expect(partial["1"].allocation).toBeCloseTo(0.75, 12);
    // 2,500 SPY → $5,000 of risk: no room left, the entry is held; the exit passes.
    const full = byId(orchestrateCycle(input({
      equity: { value: 100_000, source: "test" },
      positions: { d: { SPY: 2_500 } },
      signals: [{ id: "1", data: raw("d", "BUY", "QQQ", 0.5) }, { id: "2", data: raw("d", "SELL", "SPY", 0.5) }],
    })));
    expect(full["1"]).toMatchObject({ action: "HOLD", original_action: "BUY", executable: false });
    expect(full["1"].interventions.map((i) => i.code)).toEqual(["PORTFOLIO_HEAT_LIMIT"]);
    expect(full["1"].interventions[0].reason).toBe("Held: open positions already risk $5000.00, at or past max_portfolio_heat_pct 5 % of equity ($5000.00); no new entry fits.");
    expect(full["2"]).toMatchObject({ action: "SELL", exposure: "exit", executable: true, interventions: [] });
  });

  it("an open position without a mark: its risk is unknown, so entries are held (fail closed); exits pass", () => {
    const r = byId(orchestrateCycle(input({ positions: { d: { TSLA: 10 } }, signals: [{ id: "1", data: raw("a", "BUY", "SPY", 0.2) }, { id: "2", data: raw("d", "SELL", "TSLA", 0.2) }] })));
    expect(r["1"].interventions.map((i) => i.code)).toEqual(["PORTFOLIO_HEAT_UNMEASURED"]);
    expect(r["1"].interventions[0].reason).toBe("Held: open position(s) in TSLA have no mark (test marks), so the portfolio's heat cannot be measured; entries wait for one.");
    expect(r["2"]).toMatchObject({ action: "SELL", executable: true, interventions: [] });
  });

  it("never sizes an entry above 1 or above twice its base, never touches an exit (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ s: fc.constantFrom("a", "b", "c", "d"), action: fc.constantFrom("BUY", "SELL"), ticker: fc.constantFrom("SPY", "QQQ", "XLE"), allocation: fc.double({ min: 0.01, max: 1, noNaN: true }) }), { minLength: 1, maxLength: 8 }),
        fc.double({ min: 10_000, max: 10_000_000, noNaN: true }),
        (rows, equity) => {
          const signals = rows.map((x, i) => ({ id: String(i + 1), data: raw(x.s, x.action, x.ticker, x.allocation) }));
          const positions = { a: { SPY: 3 }, b: { XLE: -2 } };
          const r = orchestrateCycle(input({ positions, equity: { value: equity, source: "p" }, correlatedPairs: [{ a: "a", b: "c", rho: 0.9 }], signals }));
          for (const s of r.signals) {
            expect(s.allocation).toBeLessThanOrEqual(1 + 1e-12);
            if (s.exposure === "exit") expect(s.interventions).toEqual([]);
          }
          // Each sizing keeps the action and lands in (0, min(1, 2 × before)]: volatility at most 2, every other factor at most 1.
          for (const s of r.signals) {
            for (const x of s.interventions.filter((i) => i.code === "PORTFOLIO_RISK_SIZED")) {
              expect(x.after.action).toBe(x.before.action);
              expect(x.after.allocation).toBeGreaterThan(0);
              expect(x.after.allocation).toBeLessThanOrEqual(Math.min(1, 2 * x.before.allocation) + 1e-12);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("correlatedPairs", () => {
  const P = [1, -1, 1, -1, 1, -1, 1, -1];
  const Q = [1, 1, -1, -1, 1, 1, -1, -1];
  const days = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-23", "2026-11-24", "2026-11-25"];
  const inputOf = (id: string, r: number[]): StrategyPerformanceInput => ({
    strategy_id: id, strategy: strategy(id), daily_returns: r, returns_by_day: Object.fromEntries(days.map((d, i) => [d, r[i]])), period_start: null, period_end: null,
  });
  it("keeps |ρ| ≥ 0.5 pairs, strongest first: a copy is 1, a mirror −1, an orthogonal pattern is left out", () => {
    // x = P + 0.5·Q: corr(x, P) = 1 / √1.25 = 0.894…; P and Q are orthogonal (ρ 0).
    const x = P.map((p, i) => p + 0.5 * Q[i]);
    const pairs = correlatedPairs([inputOf("p", P), inputOf("q", Q), inputOf("copy", P.map((v) => 2 * v)), inputOf("mirror", P.map((v) => -v)), inputOf("x", x)], 8, 5);
    const rho = Object.fromEntries(pairs.map((p) => [`${p.a}|${p.b}`, p.rho]));
    expect(rho["copy|p"]).toBeCloseTo(1, 12);
    expect(rho["mirror|p"]).toBeCloseTo(-1, 12);
    expect(rho["p|x"]).toBeCloseTo(1 / Math.sqrt(1.25), 12);
    expect(rho["p|q"]).toBeUndefined();
    expect(Math.abs(pairs[0].rho)).toBeCloseTo(1, 12);
    expect(pairs.every((p) => p.days === 8)).toBe(true);
  });
});
