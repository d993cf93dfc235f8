import {
  allocationMethodFor,
  computeStrategyWeights,
  currentWeight,
  formatComparison,
  sharpeTiers,
  weightWithoutPerformance,
  type StrategyPerformanceInput,
} from "../../src/core/allocation";
import { DEFAULT_CONFIG, MaestroConfigSchema, type PerformanceMetrics, type Strategy, type StrategyWeight, StrategyWeightSchema } from "../../src/schemas";

const strategy = (over: Partial<Strategy> = {}): Strategy => ({
  name: "Mean Reversion",
  enabled: true,
  capital_base: 10_000,
  manual_mode: null,
  ...over,
});

const metrics = (sharpe: number, dataPoints = 30): PerformanceMetrics => ({
  sharpe_ratio: sharpe,
  sortino_ratio: null,
  total_return: 0,
  annualized_return: 0,
  volatility: 0,
  max_drawdown: 0,
  win_rate: 0,
  data_points: dataPoints,
});

const config = (over: Record<string, unknown> = {}) => MaestroConfigSchema.parse(over);

/** [m + d, m − d] repeated `pairs` times: mean m, population std exactly d. */
const alternating = (m: number, d: number, pairs: number, downFirst = false): number[] =>
  Array.from({ length: pairs }, () => (downFirst ? [m - d, m + d] : [m + d, m - d])).flat();

describe("sharpeTiers (DESIGN.md modes, seed 000 defects fixed)", () => {
  const decide = (sharpe: number, cfg = DEFAULT_CONFIG, s = strategy(), points = 30) => sharpeTiers.decide(s, metrics(sharpe, points), cfg);

  it("Sharpe < 0.5 → SHADOW_MODE with weight 0, not the full allocation the seed's code gave", () => {
    const d = decide(0.42);
    expect(d).toEqual({
      mode: "SHADOW_MODE",
      weight: 0,
      reasoning: "Sharpe Ratio 0.42 < 0.50. Moving to SHADOW_MODE for re-training (paper trading only, allocation 0%).",
    });
  });

  it("negative Sharpe → SHADOW_MODE, weight 0", () => {
    expect(decide(-1.84)).toMatchObject({ mode: "SHADOW_MODE", weight: 0 });
  });

  it("0.5 ≤ Sharpe < 1.0 → REDUCED, weight = reduce_multiplier, seed 000 reasoning", () => {
    expect(decide(0.85)).toEqual({ mode: "REDUCED", weight: 0.5, reasoning: "Sharpe Ratio 0.85 < 1.00. Reducing allocation by 50%." });
  });

  it("Sharpe ≥ 1.0 → ACTIVE, weight 1", () => {
    expect(decide(1.65)).toEqual({ mode: "ACTIVE", weight: 1, reasoning: "Sharpe Ratio 1.65 >= 1.00. Full allocation maintained." });
  });

  it("boundaries: exactly 1.0 is ACTIVE, exactly 0.5 is REDUCED, just below each drops a tier", () => {
    expect(decide(1.0)).toMatchObject({ mode: "ACTIVE", weight: 1 });
    expect(decide(0.5)).toMatchObject({ mode: "REDUCED", weight: 0.5 });
    expect(decide(0.9999)).toMatchObject({ mode: "REDUCED", weight: 0.5 });
    expect(decide(0.4999)).toMatchObject({ mode: "SHADOW_MODE", weight: 0 });
  });

  it("prints more digits where two decimals would read as equal to the threshold", () => {
    // 0.9999.toFixed(2) = "1.00" = 1.0.toFixed(2); first distinguishing precision is 4 digits.
    expect(decide(0.9999).reasoning).toBe("Sharpe Ratio 0.9999 < 1.0000. Reducing allocation by 50%.");
    expect(formatComparison(0.85, 1)).toEqual(["0.85", "1.00"]);
    expect(formatComparison(1, 1)).toEqual(["1.00", "1.00"]);
  });

  it("uses the configured thresholds and multiplier", () => {
    const cfg = config({ sharpe_threshold_reduce: 2.0, sharpe_threshold_shadow: 1.2, reduce_multiplier: 0.25 });
    expect(decide(1.65, cfg)).toEqual({ mode: "REDUCED", weight: 0.25, reasoning: "Sharpe Ratio 1.65 < 2.00. Reducing allocation by 75%." });
    expect(decide(1.1, cfg)).toMatchObject({ mode: "SHADOW_MODE", weight: 0 });
    expect(decide(2.0, cfg)).toMatchObject({ mode: "ACTIVE", weight: 1 });
  });

  it("manual_mode DISABLED → DISABLED weight 0 even with an excellent Sharpe", () => {
    expect(decide(3.0, DEFAULT_CONFIG, strategy({ manual_mode: "DISABLED" }))).toEqual({
      mode: "DISABLED",
      weight: 0,
      reasoning: "Manually disabled (manual_mode DISABLED). Allocation 0%.",
    });
  });

  it("enabled false → DISABLED weight 0, and the reasoning says which switch", () => {
    expect(decide(3.0, DEFAULT_CONFIG, strategy({ enabled: false }))).toEqual({
      mode: "DISABLED",
      weight: 0,
      reasoning: "Strategy switched off (enabled false). Allocation 0%.",
    });
  });

  it("manual disable wins over insufficient data", () => {
    expect(decide(0, DEFAULT_CONFIG, strategy({ manual_mode: "DISABLED" }), 2)).toMatchObject({ mode: "DISABLED", weight: 0 });
  });

  it("fewer than min_data_points → insufficient_data_mode (ACTIVE by default) with the reason written out", () => {
    // 3 < 5: the Sharpe of 0.1 is not trusted, so not SHADOW_MODE.
    expect(decide(0.1, DEFAULT_CONFIG, strategy(), 3)).toEqual({
      mode: "ACTIVE",
      weight: 1,
      reasoning: "Only 3 of the 5 daily returns needed; using insufficient_data_mode ACTIVE.",
    });
  });

  it("exactly min_data_points is enough data", () => {
    expect(decide(0.1, DEFAULT_CONFIG, strategy(), 5)).toMatchObject({ mode: "SHADOW_MODE" });
  });

  it("insufficient_data_mode sets the weight of its mode", () => {
    const reduced = config({ insufficient_data_mode: "REDUCED", reduce_multiplier: 0.4 });
    expect(decide(5, reduced, strategy(), 1)).toEqual({
      mode: "REDUCED",
      weight: 0.4,
      reasoning: "Only 1 of the 5 daily returns needed; using insufficient_data_mode REDUCED.",
    });
    expect(decide(5, config({ insufficient_data_mode: "SHADOW_MODE" }), strategy(), 4)).toMatchObject({ mode: "SHADOW_MODE", weight: 0 });
    expect(decide(5, config({ insufficient_data_mode: "DISABLED" }), strategy(), 4)).toMatchObject({ mode: "DISABLED", weight: 0 });
  });

  it("a Sharpe that is not a number fails safe to SHADOW_MODE instead of falling through to ACTIVE", () => {
    expect(decide(Number.NaN)).toMatchObject({ mode: "SHADOW_MODE", weight: 0 });
  });

  it("the modes always come from the Sharpe tiers (a portfolio method then splits the desk among ACTIVE and REDUCED)", () => {
    expect(allocationMethodFor(DEFAULT_CONFIG)).toBe(sharpeTiers);
    expect(sharpeTiers.name).toBe("sharpe_tiers");
  });
});

describe("computeStrategyWeights", () => {
  const input = (id: string, returns: number[], s = strategy({ name: id })): StrategyPerformanceInput => ({
    strategy_id: id,
    strategy: s,
    daily_returns: returns,
    period_start: "2025-12-01T00:00:00.000Z",
    period_end: "2025-12-31T00:00:00.000Z",
  });

  // Hand arithmetic, rf = 0.04: sqrt(252) = 15.874508, rf/252 = 0.000158730.
  // Each series alternates m ± 0.01, so mean = m and population std = 0.01 exactly.
  //   m = 0.0012:  15.874508 × (0.0012 − 0.000158730) / 0.01 = 15.874508 × 0.1041270 = 1.652965 → ACTIVE
  //   m = 0.0007:  15.874508 × (0.0007 − 0.000158730) / 0.01 = 15.874508 × 0.0541270 = 0.859239 → REDUCED
  //   m = 0.0002:  15.874508 × (0.0002 − 0.000158730) / 0.01 = 15.874508 × 0.0041270 = 0.065514 → SHADOW_MODE
  //   m = −0.001:  15.874508 × (−0.001 − 0.000158730) / 0.01 = 15.874508 × −0.1158730 = −1.839427 → SHADOW_MODE
  const weights = computeStrategyWeights(
    [
      input("healthy", alternating(0.0012, 0.01, 3)),
      input("marginal", alternating(0.0007, 0.01, 3)),
      input("unhealthy", alternating(0.0002, 0.01, 3)),
      input("loser", alternating(-0.001, 0.01, 3, true)),
      input("new", [0.05, 0.05, 0.05]),
      input("switched_off", alternating(0.0012, 0.01, 3), strategy({ name: "Off", manual_mode: "DISABLED" })),
    ],
    DEFAULT_CONFIG,
  );

  it("ranks each strategy by its hand-computed Sharpe", () => {
    expect(weights.healthy.sharpe_ratio).toBeCloseTo(1.652965, 5);
    expect(weights.healthy).toMatchObject({ mode: "ACTIVE", weight: 1, data_points: 6 });
    expect(weights.marginal.sharpe_ratio).toBeCloseTo(0.859239, 5);
    expect(weights.marginal).toMatchObject({ mode: "REDUCED", weight: 0.5, reasoning: "Sharpe Ratio 0.86 < 1.00. Reducing allocation by 50%." });
    expect(weights.unhealthy.sharpe_ratio).toBeCloseTo(0.065514, 5);
    expect(weights.unhealthy).toMatchObject({ mode: "SHADOW_MODE", weight: 0 });
    expect(weights.loser.sharpe_ratio).toBeCloseTo(-1.839427, 5);
    expect(weights.loser).toMatchObject({ mode: "SHADOW_MODE", weight: 0 });
  });

  it("carries the drawdown of a strategy that loses from its first day (not 0)", () => {
    // Returns −0.011, +0.009 alternating on a fixed base: cumulative −0.011, −0.002, −0.013, −0.004, −0.015, −0.006,
    // so equity 0.989, 0.998, 0.987, 0.996, 0.985, 0.994; the peak stays 1 → drawdown 0.985 − 1 = −0.015.
    expect(weights.loser.max_drawdown).toBeCloseTo(-0.015, 10);
    expect(weights.loser.total_return).toBeCloseTo(-0.006, 10);
    // 6 days ≥ min_data_points 5: 0.994^(252/6) − 1 = exp(42 · ln 0.994) − 1 = exp(−0.2527590) − 1 = 0.7766550 − 1 = −0.2233450
    expect(weights.loser.annualized_return).toBeCloseTo(-0.223345, 6);
  });

  it("reports no annualized return below min_data_points", () => {
    expect(weights.new.annualized_return).toBeNull();
  });

  it("says in the reasoning how many of the days were paper, and records it", () => {
    const paper = computeStrategyWeights([{ ...input("recovering", alternating(0.0012, 0.01, 3)), paper_days: 4 }], DEFAULT_CONFIG).recovering;
    expect(paper.paper_days).toBe(4);
    expect(paper.reasoning).toBe("Sharpe Ratio 1.65 >= 1.00. Full allocation maintained. 4 of the 6 days are paper trading (SHADOW_MODE fills).");
    expect(weights.healthy.paper_days).toBe(0);
  });

  it("names a wipeout in the reasoning", () => {
    // Day 2 loses 130% of the capital base: equity 1.01, 0 (floored), … → drawdown −100%.
    const wiped = computeStrategyWeights([input("wiped", [0.01, -1.3, 0.02, 0.01, 0.01, 0.01])], DEFAULT_CONFIG).wiped;
    expect(wiped.max_drawdown).toBe(-1);
    expect(wiped.total_return).toBe(-1);
    expect(wiped.annualized_return).toBe(-1);
    expect(wiped.reasoning).toContain("Wipeout");
    expect(wiped.reasoning).toContain("-100%");
    expect(StrategyWeightSchema.safeParse(wiped).success).toBe(true);
  });

  it("uses the insufficient-data rule below min_data_points, whatever the returns", () => {
    expect(weights.new).toMatchObject({
      mode: "ACTIVE",
      weight: 1,
      data_points: 3,
      reasoning: "Only 3 of the 5 daily returns needed; using insufficient_data_mode ACTIVE.",
    });
  });

  it("disables a manually disabled strategy despite a healthy Sharpe", () => {
    expect(weights.switched_off).toMatchObject({ mode: "DISABLED", weight: 0, strategy_name: "Off" });
    expect(weights.switched_off.sharpe_ratio).toBeCloseTo(1.652965, 5);
  });

  it("fills the StrategyWeight document fields", () => {
    expect(weights.marginal).toMatchObject({
      strategy_id: "marginal",
      strategy_name: "marginal",
      period_start: "2025-12-01T00:00:00.000Z",
      period_end: "2025-12-31T00:00:00.000Z",
    });
    expect(Object.keys(weights).sort()).toEqual(["healthy", "loser", "marginal", "new", "switched_off", "unhealthy"]);
  });

  it("uses config.risk_free_rate", () => {
    // rf = 0: 15.874508 × 0.0007 / 0.01 = 1.111216 → ACTIVE (the same returns are REDUCED at rf 0.04).
    const w = computeStrategyWeights([input("marginal", alternating(0.0007, 0.01, 3))], config({ risk_free_rate: 0 }));
    expect(w.marginal.sharpe_ratio).toBeCloseTo(1.111216, 5);
    expect(w.marginal.mode).toBe("ACTIVE");
  });

  it("counts only the last lookback_days returns", () => {
    // 10 days of −50% followed by 30 days of the m = 0.0007 series: over the last 30 days Sharpe 0.859 → REDUCED.
    const returns = [...Array(10).fill(-0.5), ...alternating(0.0007, 0.01, 15)];
    const w = computeStrategyWeights([input("marginal", returns)], DEFAULT_CONFIG);
    expect(w.marginal.data_points).toBe(30);
    expect(w.marginal.sharpe_ratio).toBeCloseTo(0.859239, 5);
    expect(w.marginal.mode).toBe("REDUCED");
  });

  it("rejects a strategy given twice", () => {
    expect(() => computeStrategyWeights([input("a", []), input("a", [])], DEFAULT_CONFIG)).toThrow(/'a' appears more than once/);
  });
});

describe("weights at orchestration time", () => {
  it("a strategy with no weight entry gets insufficient_data_mode, saying there is no performance data", () => {
    const w = weightWithoutPerformance("fresh", strategy({ name: "Fresh" }), DEFAULT_CONFIG);
    expect(w).toMatchObject({
      strategy_id: "fresh",
      strategy_name: "Fresh",
      mode: "ACTIVE",
      weight: 1,
      data_points: 0,
      sharpe_ratio: 0,
      max_drawdown: 0,
      reasoning: "No performance data yet (5 daily returns needed); using insufficient_data_mode ACTIVE.",
    });
    expect(weightWithoutPerformance("fresh", strategy(), config({ insufficient_data_mode: "SHADOW_MODE" }))).toMatchObject({ mode: "SHADOW_MODE", weight: 0 });
  });

  it("a strategy with no weight entry that is switched off is DISABLED", () => {
    expect(weightWithoutPerformance("x", strategy({ enabled: false }), DEFAULT_CONFIG)).toMatchObject({ mode: "DISABLED", weight: 0 });
  });

  it("a stored weight is used as stored", () => {
    const stored = computeStrategyWeights(
      [{ strategy_id: "m", strategy: strategy(), daily_returns: alternating(0.0007, 0.01, 3), period_start: null, period_end: null }],
      DEFAULT_CONFIG,
    ).m;
    expect(currentWeight("m", strategy(), stored, DEFAULT_CONFIG)).toEqual(stored);
  });

  it("a manual disable since the last weight calculation takes effect at once", () => {
    const stored: StrategyWeight = { ...weightWithoutPerformance("m", strategy(), DEFAULT_CONFIG), mode: "ACTIVE", weight: 1, sharpe_ratio: 2 };
    expect(currentWeight("m", strategy({ manual_mode: "DISABLED" }), stored, DEFAULT_CONFIG)).toMatchObject({
      mode: "DISABLED",
      weight: 0,
      sharpe_ratio: 2,
      reasoning: "Manually disabled (manual_mode DISABLED). Allocation 0%.",
    });
  });
});
