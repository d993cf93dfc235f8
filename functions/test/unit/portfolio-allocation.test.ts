/**
 * The weights under a portfolio allocation method (core/portfolio-allocation.ts): modes
 * still from the Sharpe tiers, shares from the method, the signal weight as capital per
 * unit of capital base relative to the best-served strategy, and the rebalance schedule.
 * Expected numbers are worked out by hand in the comments.
 */
import { computeStrategyWeights, type StrategyPerformanceInput } from "../../src/core/allocation";
import { alignedReturns, computeAllocation, isoWeek, rebalanceDue } from "../../src/core/portfolio-allocation";
import { MaestroConfigSchema, StrategyWeightsSchema, type MaestroConfig, type Strategy } from "../../src/schemas";

const NOW = new Date("2026-11-30T15:00:00.000Z");
const DAYS = ["2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"];

/** Every strategy ACTIVE whatever its Sharpe, so the tests are about the shares. */
function config(allocation: Record<string, unknown>, over: Record<string, unknown> = {}): MaestroConfig {
  return MaestroConfigSchema.parse({ sharpe_threshold_shadow: -1_000, sharpe_threshold_reduce: -999, allocation, ...over });
}

function input(id: string, returns: number[], strategy: Partial<Strategy> = {}): StrategyPerformanceInput {
  const days = DAYS.slice(-returns.length);
  return {
    strategy_id: id,
    strategy: { name: id, enabled: true, capital_base: 10_000, manual_mode: null, ...strategy },
    daily_returns: returns,
    returns_by_day: Object.fromEntries(days.map((d, i) => [d, returns[i]])),
    period_start: null,
    period_end: null,
  };
}

// Zero-mean, orthogonal ±1 patterns over 8 days: their sample covariance is 0.
const P = [1, -1, 1, -1, 1, -1, 1, -1];
const Q = [1, 1, -1, -1, 1, 1, -1, -1];
const series = (base: number, scale: number, pattern: number[]) => pattern.map((x) => base + scale * x);

describe("computeAllocation", () => {
  it("under sharpe_tiers (the default) is exactly the per-strategy weights, with no portfolio", () => {
    const inputs = [input("a", series(0.002, 0.01, P)), input("b", series(0.001, 0.02, Q))];
    const cfg = MaestroConfigSchema.parse({});
    const result = computeAllocation(inputs, cfg, NOW, null);
    expect(result).toEqual({ strategies: computeStrategyWeights(inputs, cfg), portfolio: null, rebalanced: false });
  });

  it("equal_weight: a third of the desk each; with capital bases 10k, 20k and 40k the signal weights are 1, 1/2 and 1/4 (equal dollars)", () => {
    const inputs = [input("a", series(0.002, 0.01, P)), input("b", series(0.002, 0.01, Q), { capital_base: 20_000 }), input("c", series(0.002, 0.01, P), { capital_base: 40_000 })];
    const result = computeAllocation(inputs, config({ method: "equal_weight" }), NOW, null);
    expect(result.rebalanced).toBe(true);
    expect(result.portfolio).toMatchObject({ method: "equal_weight", eligible: ["a", "b", "c"], rebalance_reason: "first allocation", rebalanced_at: NOW.toISOString() });
    for (const id of ["a", "b", "c"]) expect(result.portfolio!.shares[id]).toBeCloseTo(1 / 3, 12);
    // (1/3)/10k : (1/3)/20k : (1/3)/40k, relative to the first.
    expect(result.strategies.a.weight).toBeCloseTo(1, 12);
    expect(result.strategies.b.weight).toBeCloseTo(0.5, 12);
    expect(result.strategies.c.weight).toBeCloseTo(0.25, 12);
    expect(result.strategies.b.portfolio_weight).toBeCloseTo(1 / 3, 12);
    expect(result.strategies.b.reasoning).toMatch(/Portfolio \(equal_weight\): Equal weight: 1\/3 .* Share 33\.33% of the desk → signal weight 0\.5000/);
    // What is stored parses.
    expect(StrategyWeightsSchema.safeParse({ tenant_id: "t", strategies: result.strategies, computed_at: NOW.toISOString(), portfolio: result.portfolio }).success).toBe(true);
  });

  it("risk_parity on two uncorrelated strategies is inverse volatility: σ 1 % and 2 % → shares 2/3 and 1/3, weights 1 and 1/2", () => {
    // Sample σ of a = 0.01·√(8/7), of b = 0.02·√(8/7); uncorrelated; ERC for two assets: w_a = σ_b/(σ_a+σ_b) = 2/3.
    const inputs = [input("a", series(0.001, 0.01, P)), input("b", series(0.001, 0.02, Q))];
    const result = computeAllocation(inputs, config({ method: "risk_parity", lookback_days: 8 }), NOW, null);
    expect(result.portfolio!.fallback).toBeNull();
    expect(result.portfolio!.days).toBe(8);
    expect(result.portfolio!.shares.a).toBeCloseTo(2 / 3, 8);
    expect(result.portfolio!.shares.b).toBeCloseTo(1 / 3, 8);
    expect(result.portfolio!.correlation!.a.b).toBeCloseTo(0, 12);
    expect(result.strategies.a.weight).toBeCloseTo(1, 8);
    expect(result.strategies.b.weight).toBeCloseTo(0.5, 8);
  });

  it("modes still apply: a SHADOW_MODE strategy gets 0 and is left out; a REDUCED one is scaled by reduce_multiplier", () => {
    // Sharpe thresholds at their defaults (0.5 / 1.0): a steady gain is ACTIVE, a steady loss SHADOW_MODE.
    const gain = input("gain", series(0.004, 0.001, P));
    const loss = input("loss", series(-0.004, 0.001, Q));
    const plain = MaestroConfigSchema.parse({ allocation: { method: "equal_weight" }, insufficient_data_mode: "REDUCED" });
    const result = computeAllocation([gain, loss], plain, NOW, null);
    expect(result.strategies.loss).toMatchObject({ mode: "SHADOW_MODE", weight: 0, portfolio_weight: 0 });
    expect(result.portfolio!.eligible).toEqual(["gain"]);
    expect(result.portfolio!.shares.gain).toBeCloseTo(1, 12);
    expect(result.strategies.gain.weight).toBeCloseTo(1, 12);

    // insufficient_data_mode REDUCED with one day of data: eligible, weight relative × 0.5.
    const fresh = { ...input("fresh", [0.001]), returns_by_day: { "2026-11-26": 0.001 } };
    const mixed = computeAllocation([gain, fresh], plain, NOW, null);
    expect(mixed.strategies.fresh.mode).toBe("REDUCED");
    expect(mixed.portfolio!.eligible).toEqual(["fresh", "gain"]);
    // Equal shares, equal bases: relative 1 each; REDUCED × 0.5.
    expect(mixed.strategies.gain.weight).toBeCloseTo(1, 12);
    expect(mixed.strategies.fresh.weight).toBeCloseTo(0.5, 12);
  });

  it("rebalance_frequency daily: the same day keeps the shares; a new day, a mode change or a config change rebalances", () => {
    const cfg = config({ method: "risk_parity", lookback_days: 8, rebalance_frequency: "daily" });
    const first = computeAllocation([input("a", series(0.001, 0.01, P)), input("b", series(0.001, 0.02, Q))], cfg, NOW, null);
    // Later the same day b is as volatile as a: the shares stay until the next rebalance.
    const same = [input("a", series(0.001, 0.01, P)), input("b", series(0.001, 0.01, Q))];
    const later = computeAllocation(same, cfg, new Date("2026-11-30T20:00:00.000Z"), first.portfolio);
    expect(later.rebalanced).toBe(false);
    expect(later.portfolio).toBe(first.portfolio);
    expect(later.strategies.b.weight).toBeCloseTo(0.5, 8);
    expect(later.strategies.b.reasoning).toMatch(/Shares kept from the rebalance of 2026-11-30T15:00:00\.000Z \(daily\)/);
    // The next venue day (New York): rebalanced, now 1/2 each.
    const next = computeAllocation(same, cfg, new Date("2026-12-01T15:00:00.000Z"), first.portfolio);
    expect(next.rebalanced).toBe(true);
    expect(next.portfolio!.rebalance_reason).toBe("scheduled (daily)");
    expect(next.portfolio!.shares.b).toBeCloseTo(0.5, 8);
    // A config change, the same day.
    const changed = computeAllocation(same, config({ method: "risk_parity", lookback_days: 8, rebalance_frequency: "daily", max_allocation: 0.9 }), NOW, first.portfolio);
    expect(changed.portfolio!.rebalance_reason).toBe("the allocation config changed");
    // A strategy joining (a mode change), the same day.
    const joined = computeAllocation([...same, input("c", series(0.001, 0.01, P))], cfg, NOW, first.portfolio);
    expect(joined.portfolio!.rebalance_reason).toBe("the eligible strategies changed (joined: c)");
    // Forced by an admin.
    expect(computeAllocation(same, cfg, NOW, first.portfolio, "admin ops: new quarter").portfolio!.rebalance_reason).toBe("forced: admin ops: new quarter");
  });

  it("custom: shares follow allocation_weight, and a strategy without one gets 0", () => {
    const inputs = [input("a", series(0.001, 0.01, P), { allocation_weight: 3 }), input("b", series(0.001, 0.01, Q), { allocation_weight: 1 }), input("c", series(0.001, 0.01, P))];
    const result = computeAllocation(inputs, config({ method: "custom" }), NOW, null);
    expect(result.portfolio!.shares).toEqual({ a: 0.75, b: 0.25, c: 0 });
    // 0.75/10k relative: a 1, b 1/3, c 0.
    expect(result.strategies.a.weight).toBeCloseTo(1, 12);
    expect(result.strategies.b.weight).toBeCloseTo(1 / 3, 12);
    expect(result.strategies.c.weight).toBe(0);
  });
});

describe("the schedule and the alignment", () => {
  it("ISO weeks: 2026 has 53; 2027-01-01 is still 2026-W53; Monday 2027-01-04 starts 2027-W01", () => {
    expect(isoWeek("2026-01-01")).toBe("2026-W01");
    expect(isoWeek("2026-12-31")).toBe("2026-W53");
    expect(isoWeek("2027-01-01")).toBe("2026-W53");
    expect(isoWeek("2027-01-03")).toBe("2026-W53");
    expect(isoWeek("2027-01-04")).toBe("2027-W01");
  });

  it("rebalanceDue: every_cycle always; daily on a new venue day; weekly on a new ISO week (venue-local)", () => {
    const tz = "America/New_York";
    expect(rebalanceDue("every_cycle", "2026-11-30T15:00:00.000Z", NOW, tz)).toBe(true);
    expect(rebalanceDue("daily", null, NOW, tz)).toBe(true);
    // 04:00 UTC on the 30th is still the 29th in New York.
    expect(rebalanceDue("daily", "2026-11-30T04:00:00.000Z", NOW, tz)).toBe(true);
    expect(rebalanceDue("daily", "2026-11-30T06:00:00.000Z", NOW, tz)).toBe(false);
    // Monday 30 Nov; the Friday before is another ISO week, the Monday morning the same.
    expect(rebalanceDue("weekly", "2026-11-27T15:00:00.000Z", NOW, tz)).toBe(true);
    expect(rebalanceDue("weekly", "2026-11-30T14:00:00.000Z", new Date("2026-12-04T20:00:00.000Z"), tz)).toBe(false);
  });

  it("alignedReturns: the union of days, the last `lookback` of them, 0 where a strategy has no day", () => {
    const a = { ...input("a", [0.01]), returns_by_day: { "2026-11-24": 0.01, "2026-11-26": 0.03 } };
    const b = { ...input("b", [0.02]), returns_by_day: { "2026-11-23": -0.01, "2026-11-25": 0.02 } };
    expect(alignedReturns([a, b], 3)).toEqual({ days: ["2026-11-24", "2026-11-25", "2026-11-26"], returns: { a: [0.01, 0, 0.03], b: [0, 0.02, 0] } });
  });
});
