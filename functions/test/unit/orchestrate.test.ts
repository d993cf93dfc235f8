import { orchestrateCycle, type CycleInput } from "../../src/core/orchestrate";
import { DEFAULT_CONFIG, MaestroConfigSchema, type Mode, type Strategy, type StrategyWeight } from "../../src/schemas";

const SESSION = "maestro_1735560000000_a1b2c3d4e5f60718";
const NOW = new Date(1_735_560_000_000); // 2024-12-30T12:00:00.000Z

const strategy = (name: string, over: Partial<Strategy> = {}): Strategy => ({ name, enabled: true, capital_base: 10_000, manual_mode: null, ...over });

function weight(id: string, name: string, mode: Mode, w: number, sharpe: number, reasoning = `${mode} by hand`): StrategyWeight {
  return {
    strategy_id: id,
    strategy_name: name,
    weight: w,
    mode,
    reasoning,
    sharpe_ratio: sharpe,
    sortino_ratio: null,
    total_return: 0.01,
    annualized_return: 0.1,
    volatility: 0.15,
    max_drawdown: -0.02,
    win_rate: 0.5,
    data_points: 30,
    period_start: "2024-11-30T00:00:00.000Z",
    period_end: "2024-12-30T00:00:00.000Z",
    paper_days: 0,
  };
}

const raw = (strategy_id: string, action: string, ticker: string, allocation: number, over: Record<string, unknown> = {}) => ({
  strategy_id,
  action,
  ticker,
  allocation,
  confidence: 0.8,
  reasoning: `${strategy_id} says ${action}`,
  status: "pending",
  ...over,
});

/** Nonce i (1-based, in the order issued) = i in hex, padded to 32. */
function countingNonces(): () => string {
  let i = 0;
  return () => (++i).toString(16).padStart(32, "0");
}
const nonce = (i: number) => i.toString(16).padStart(32, "0");

function baseInput(over: Partial<CycleInput> = {}): CycleInput {
  return {
    tenant_id: "t1",
    session_id: SESSION,
    now: NOW,
    config: DEFAULT_CONFIG,
    strategies: {
      momo: strategy("Momentum"),
      meanrev: strategy("Mean Reversion"),
      gamma: strategy("Gamma Scalper"),
      congress: strategy("Congressional Alpha", { manual_mode: "DISABLED" }),
      fresh: strategy("Fresh Start"),
    },
    weights: {
      momo: weight("momo", "Momentum", "ACTIVE", 1, 1.65),
      meanrev: weight("meanrev", "Mean Reversion", "REDUCED", 0.5, 0.85, "Sharpe Ratio 0.85 < 1.00. Reducing allocation by 50%."),
      gamma: weight("gamma", "Gamma Scalper", "SHADOW_MODE", 0, 0.21),
      // stale: computed before the strategy was manually disabled
      congress: weight("congress", "Congressional Alpha", "ACTIVE", 1, 2.1),
      // fresh: no weight entry yet
    },
    signals: [],
    issueNonce: countingNonces(),
    ...over,
  };
}

describe("orchestrateCycle: a mixed batch", () => {
  const result = orchestrateCycle(
    baseInput({
      signals: [
        { id: "s05", data: raw("fresh", "SELL", "TLT", 0.2) },
        { id: "bad_action", data: raw("momo", "SHORT", "SPY", 0.4) },
        { id: "s01", data: raw("momo", "BUY", "SPY", 0.4) },
        { id: "bad_allocation", data: raw("momo", "BUY", "SPY", 5) },
        { id: "s03", data: raw("gamma", "BUY", "IWM", 0.5) },
        { id: "bad_strategy", data: raw("ghost", "BUY", "SPY", 0.4) },
        { id: "s02", data: raw("meanrev", "BUY", "QQQ", 0.6) },
        { id: "bad_status", data: raw("momo", "BUY", "SPY", 0.4, { status: "orchestrated" }) },
        { id: "s04", data: raw("momo", "HOLD", "DIA", 0.3) },
        { id: "bad_proto", data: raw("constructor", "BUY", "SPY", 0.4) },
        { id: "s06", data: raw("congress", "BUY", "GLD", 0.7) },
        { id: "bad_doc", data: null },
      ],
    }),
  );
  const byId = Object.fromEntries(result.signals.map((s) => [s.signal_id, s]));

  it("orchestrates the valid signals, sorted by signal id", () => {
    expect(result.signals.map((s) => s.signal_id)).toEqual(["s01", "s02", "s03", "s04", "s05", "s06"]);
  });

  it("rejects bad signals naming the field, without stopping the batch", () => {
    const reasons = Object.fromEntries(result.rejected_signals.map((r) => [r.signal_id, r.reason]));
    expect(result.rejected_signals.map((r) => r.signal_id)).toEqual([
      "bad_action",
      "bad_allocation",
      "bad_doc",
      "bad_proto",
      "bad_status",
      "bad_strategy",
    ]);
    expect(reasons.bad_action).toMatch(/^action: /);
    expect(reasons.bad_action).toContain('"SHORT"');
    expect(reasons.bad_allocation).toBe("allocation: must be within [0, 1] (got 5)");
    expect(reasons.bad_strategy).toBe("strategy_id: unknown strategy 'ghost'");
    expect(reasons.bad_proto).toBe("strategy_id: unknown strategy 'constructor'"); // not Object.prototype.constructor
    expect(reasons.bad_status).toBe("status: must be 'pending' to be orchestrated (got 'orchestrated')");
    expect(reasons.bad_doc).toMatch(/^\(document\): /);
  });

  it("ACTIVE: allocation = original × 1, executable", () => {
    expect(byId.s01).toMatchObject({ mode: "ACTIVE", allocation: 0.4, original_allocation: 0.4, weight_multiplier: 1, executable: true });
  });

  it("REDUCED: allocation = 0.6 × 0.5 = 0.3, executable", () => {
    expect(byId.s02).toMatchObject({ mode: "REDUCED", original_allocation: 0.6, weight_multiplier: 0.5, executable: true });
    expect(byId.s02.allocation).toBeCloseTo(0.3, 12);
  });

  it("SHADOW_MODE: allocation 0.5 × 0 = 0, not executable (paper only)", () => {
    expect(byId.s03).toMatchObject({ mode: "SHADOW_MODE", allocation: 0, original_allocation: 0.5, weight_multiplier: 0, executable: false });
  });

  it("HOLD is never executable", () => {
    expect(byId.s04).toMatchObject({ action: "HOLD", mode: "ACTIVE", allocation: 0.3, executable: false });
  });

  it("a strategy with no weight entry gets insufficient_data_mode (ACTIVE)", () => {
    expect(byId.s05).toMatchObject({ mode: "ACTIVE", allocation: 0.2, weight_multiplier: 1, executable: true, strategy_name: "Fresh Start" });
  });

  it("a manually disabled strategy is DISABLED even though its stored weight says ACTIVE", () => {
    expect(byId.s06).toMatchObject({ mode: "DISABLED", allocation: 0, weight_multiplier: 0, executable: false });
  });

  it("stamps the JIT identity: agent id, one fresh nonce per signal in id order, session, time", () => {
    result.signals.forEach((s, i) => {
      expect(s.agent_id).toBe(`t1_${s.strategy_id}`);
      expect(s.nonce).toBe(nonce(i + 1));
      expect(s.session_id).toBe(SESSION);
      expect(s.identity_timestamp).toBe("2024-12-30T12:00:00.000Z");
    });
  });

  it("carries the signal's own fields", () => {
    expect(byId.s02).toMatchObject({ strategy_id: "meanrev", strategy_name: "Mean Reversion", ticker: "QQQ", confidence: 0.8, reasoning: "meanrev says BUY" });
    expect(byId.s02.original_action).toBeUndefined();
    expect(byId.s02.override_reason).toBeUndefined();
  });

  it("one SELL → no systemic risk", () => {
    expect(result.systemic_risk).toMatchObject({ detected: false, sell_count: 1, threshold: 3 });
    expect(result.signals_modified).toEqual({});
  });

  it("one allocation decision per strategy, sorted by id, in seed 000's shape", () => {
    expect(result.allocation_decisions.map((d) => d.strategy_id)).toEqual(["congress", "fresh", "gamma", "meanrev", "momo"]);
    expect(result.allocation_decisions.find((d) => d.strategy_id === "meanrev")).toEqual({
      strategy_id: "meanrev",
      strategy_name: "Mean Reversion",
      original_allocation: 1.0,
      final_allocation: 0.5,
      mode: "REDUCED",
      reasoning: "Sharpe Ratio 0.85 < 1.00. Reducing allocation by 50%.",
      sharpe_ratio: 0.85,
      max_drawdown: -0.02,
      data_points: 30,
      timestamp: "2024-12-30T12:00:00.000Z",
    });
    expect(result.allocation_decisions.find((d) => d.strategy_id === "congress")).toMatchObject({
      mode: "DISABLED",
      final_allocation: 0,
      reasoning: "Manually disabled (manual_mode DISABLED). Allocation 0%.",
    });
    expect(result.allocation_decisions.find((d) => d.strategy_id === "fresh")).toMatchObject({
      mode: "ACTIVE",
      final_allocation: 1,
      data_points: 0,
      reasoning: "No performance data yet (5 daily returns needed); using insufficient_data_mode ACTIVE.",
    });
    expect(result.allocation_decisions.find((d) => d.strategy_id === "gamma")).toMatchObject({ mode: "SHADOW_MODE", final_allocation: 0 });
  });
});

describe("orchestrateCycle: systemic risk", () => {
  const strategies = {
    a: strategy("A"),
    b: strategy("B"),
    c: strategy("C"),
    shadow: strategy("Shadow"),
    buyer: strategy("Buyer"),
  };
  const weights = {
    a: weight("a", "A", "ACTIVE", 1, 1.5),
    b: weight("b", "B", "REDUCED", 0.5, 0.7),
    c: weight("c", "C", "ACTIVE", 1, 1.2),
    shadow: weight("shadow", "Shadow", "SHADOW_MODE", 0, 0.1),
    buyer: weight("buyer", "Buyer", "ACTIVE", 1, 1.9),
  };

  it("2 tradable SELLs plus a SHADOW_MODE SELL do not breach 3: the BUY stands", () => {
    const r = orchestrateCycle(
      baseInput({
        strategies,
        weights,
        signals: [
          { id: "1", data: raw("a", "SELL", "SPY", 0.5) },
          { id: "2", data: raw("b", "SELL", "SPY", 0.5) },
          { id: "3", data: raw("shadow", "SELL", "SPY", 0.5) },
          { id: "4", data: raw("buyer", "BUY", "QQQ", 0.5) },
        ],
      }),
    );
    expect(r.systemic_risk).toMatchObject({ detected: false, sell_count: 2, selling_strategies: ["a", "b"] });
    expect(r.signals[3]).toMatchObject({ action: "BUY", allocation: 0.5, executable: true });
  });

  it("a third tradable SELL breaches it: the BUY becomes a non-executable HOLD", () => {
    const r = orchestrateCycle(
      baseInput({
        strategies,
        weights,
        signals: [
          { id: "1", data: raw("a", "SELL", "SPY", 0.5) },
          { id: "2", data: raw("b", "SELL", "SPY", 0.5) },
          { id: "3", data: raw("c", "SELL", "SPY", 0.5) },
          { id: "4", data: raw("buyer", "BUY", "QQQ", 0.5) },
        ],
      }),
    );
    expect(r.systemic_risk).toMatchObject({ detected: true, sell_count: 3, overridden_count: 1 });
    expect(r.signals[3]).toMatchObject({
      action: "HOLD",
      original_action: "BUY",
      override_reason: "Maestro systemic risk override: 3 strategies signaling SELL",
      confidence: 0,
      allocation: 0,
      executable: false,
      nonce: nonce(4),
    });
    expect(r.signals_modified).toEqual({ "4": "BUY->HOLD (systemic risk)" });
  });

  it("uses config.systemic_sell_threshold", () => {
    const r = orchestrateCycle(
      baseInput({
        strategies,
        weights,
        config: MaestroConfigSchema.parse({ systemic_sell_threshold: 2 }),
        signals: [
          { id: "1", data: raw("a", "SELL", "SPY", 0.5) },
          { id: "2", data: raw("b", "SELL", "SPY", 0.5) },
          { id: "4", data: raw("buyer", "BUY", "QQQ", 0.5) },
        ],
      }),
    );
    expect(r.systemic_risk.detected).toBe(true);
    expect(r.signals[2].action).toBe("HOLD");
  });
});

describe("orchestrateCycle: determinism and safety", () => {
  it("the same input gives the same output, whatever the order of the signal docs", () => {
    const docs = [
      { id: "x", data: raw("momo", "BUY", "SPY", 0.4) },
      { id: "y", data: raw("meanrev", "SELL", "QQQ", 0.6) },
      { id: "z", data: raw("gamma", "BUY", "IWM", 0.5) },
    ];
    const forward = orchestrateCycle(baseInput({ signals: docs }));
    const backward = orchestrateCycle(baseInput({ signals: [...docs].reverse() }));
    expect(backward).toEqual(forward);
  });

  it("does not mutate its inputs", () => {
    const input = baseInput({ signals: [{ id: "b", data: raw("momo", "BUY", "SPY", 0.4) }, { id: "a", data: raw("momo", "SELL", "SPY", 0.4) }] });
    const before = JSON.stringify({ s: input.signals, w: input.weights, st: input.strategies });
    orchestrateCycle(input);
    expect(JSON.stringify({ s: input.signals, w: input.weights, st: input.strategies })).toBe(before);
  });

  it("rejects a second doc with the same id instead of orchestrating it twice", () => {
    const r = orchestrateCycle(baseInput({ signals: [{ id: "a", data: raw("momo", "BUY", "SPY", 0.4) }, { id: "a", data: raw("momo", "BUY", "SPY", 0.4) }] }));
    expect(r.signals).toHaveLength(1);
    expect(r.rejected_signals).toEqual([{ signal_id: "a", reason: "signal_id: appears more than once in this batch" }]);
  });

  it("fails the cycle when the nonce source repeats itself (a reused nonce is never a trade)", () => {
    expect(() =>
      orchestrateCycle(
        baseInput({
          issueNonce: () => "0".repeat(32),
          signals: [
            { id: "a", data: raw("momo", "BUY", "SPY", 0.4) },
            { id: "b", data: raw("momo", "BUY", "QQQ", 0.4) },
          ],
        }),
      ),
    ).toThrow(/repeated nonce/);
  });

  it("a strategy whose id is an Object.prototype name and has no weight entry gets the fallback, not a prototype member", () => {
    const r = orchestrateCycle(
      baseInput({
        strategies: { constructor: strategy("Ctor"), toString: strategy("ToString") },
        weights: {},
        signals: [
          { id: "a", data: raw("constructor", "BUY", "SPY", 0.4) },
          { id: "b", data: raw("toString", "BUY", "SPY", 0.4) },
        ],
      }),
    );
    expect(r.rejected_signals).toEqual([]);
    expect(r.signals.map((s) => [s.mode, s.allocation])).toEqual([
      ["ACTIVE", 0.4],
      ["ACTIVE", 0.4],
    ]);
    expect(r.allocation_decisions.map((d) => d.reasoning)).toEqual([
      "No performance data yet (5 daily returns needed); using insufficient_data_mode ACTIVE.",
      "No performance data yet (5 daily returns needed); using insufficient_data_mode ACTIVE.",
    ]);
  });

  it("a SHADOW_MODE signal is never executable, even if a hand-edited weight doc gives it a weight", () => {
    const r = orchestrateCycle(
      baseInput({
        weights: { gamma: weight("gamma", "Gamma Scalper", "SHADOW_MODE", 0.5, 0.21) },
        signals: [{ id: "a", data: raw("gamma", "BUY", "SPY", 0.4) }],
      }),
    );
    expect(r.signals[0]).toMatchObject({ mode: "SHADOW_MODE", executable: false });
  });

  it("issues no nonce for a rejected signal", () => {
    let issued = 0;
    orchestrateCycle(baseInput({ issueNonce: () => nonce(++issued), signals: [{ id: "a", data: raw("ghost", "BUY", "SPY", 0.4) }] }));
    expect(issued).toBe(0);
  });
});

describe("orchestrateCycle: scale", () => {
  it("runs 1,000 strategies × 1,000 signals in linear time", () => {
    const strategies: Record<string, Strategy> = {};
    const weights: Record<string, StrategyWeight> = {};
    for (let i = 0; i < 1000; i++) {
      const id = `s${String(i).padStart(4, "0")}`;
      strategies[id] = strategy(`Strategy ${i}`);
      const mode: Mode = i % 3 === 0 ? "ACTIVE" : i % 3 === 1 ? "REDUCED" : "SHADOW_MODE";
      weights[id] = weight(id, `Strategy ${i}`, mode, mode === "ACTIVE" ? 1 : mode === "REDUCED" ? 0.5 : 0, 1);
    }
    const signals = Array.from({ length: 1000 }, (_, i) => ({
      id: `sig${String(999 - i).padStart(4, "0")}`,
      data: raw(`s${String(i).padStart(4, "0")}`, i % 2 ? "SELL" : "BUY", "SPY", 0.5),
    }));
    const run = () => orchestrateCycle(baseInput({ strategies, weights, signals }));
    run(); // warm up the JIT
    const started = performance.now();
    const r = run();
    const elapsed = performance.now() - started;

    expect(r.signals).toHaveLength(1000);
    expect(r.allocation_decisions).toHaveLength(1000);
    expect(new Set(r.signals.map((s) => s.nonce)).size).toBe(1000);
    // Odd i sell; tradable when i % 3 ≠ 2. Odd i in [0, 1000): 500; of those with i % 3 = 2 (i ≡ 5 mod 6: 5, 11, …, 995): (995 − 5)/6 + 1 = 166 → 334 sellers.
    expect(r.systemic_risk.sell_count).toBe(334);
    expect(r.signals.filter((s) => s.original_action === "BUY")).toHaveLength(500);
    // Measured at ~5 ms; the bound leaves room for a loaded CI machine but not for O(n²) (1e6 steps of zod parsing).
    if (process.env.MAESTRO_BENCH) console.log(`orchestrateCycle 1000×1000: ${elapsed.toFixed(1)} ms`);
    expect(elapsed).toBeLessThan(250);
  });
});
