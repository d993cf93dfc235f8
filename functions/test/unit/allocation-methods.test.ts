/**
 * Portfolio-wide allocation methods (issue 12). Every expected number is worked out here
 * by hand or taken from a publication, never pasted from the code under test:
 * - two assets: the ERC portfolio is inverse volatility whatever the correlation,
 *   w1 = σ2 / (σ1 + σ2) (Maillard, Roncalli & Teiletche 2010, the two-asset case);
 * - a block-diagonal correlation matrix, where ERC has a closed form (derived below);
 * - Maillard, Roncalli & Teiletche (2010), "The properties of equally weighted risk
 *   contribution portfolios", J. Portfolio Management 36(4) 60–70, the four-asset examples.
 */
import fc from "fast-check";
import {
  allocatePortfolio,
  clampToBounds,
  equalRiskContribution,
  type AllocationCandidate,
  type PortfolioAllocationConfig,
} from "../../src/core/allocation-methods";
import { AllocationConfigSchema, DEFAULT_ALLOCATION_CONFIG } from "../../src/schemas/allocation";
import { describeIssues } from "../../src/schemas";

const parse = (c: Record<string, unknown>) => AllocationConfigSchema.parse(c) as PortfolioAllocationConfig;

const candidate = (id: string, over: Partial<AllocationCandidate> = {}): AllocationCandidate => ({
  strategy_id: id,
  daily_returns: [],
  metrics: { sharpe_ratio: 1, total_return: 0.1, win_rate: 0.5 },
  eligible: true,
  ...over,
});

/** Rows of a Sylvester–Hadamard matrix of order 8 (without the all-ones row): mean 0, mutually orthogonal, each Σx² = 8. */
const H1 = [1, -1, 1, -1, 1, -1, 1, -1];
const H2 = [1, 1, -1, -1, 1, 1, -1, -1];
const H3 = [1, 1, 1, 1, -1, -1, -1, -1];
const combine = (...terms: [number, number[]][]): number[] => H1.map((_, t) => terms.reduce((s, [c, h]) => s + c * h[t], 0));

/** Covariance from volatilities and a correlation matrix: Σ_ij = ρ_ij σ_i σ_j. */
const covarianceOf = (vols: number[], rho: number[][]): number[][] => vols.map((si, i) => vols.map((sj, j) => rho[i][j] * si * sj));

/** Each weight's share of portfolio variance, w_i (Σw)_i / wᵀΣw, computed here independently of the module. */
const varianceShares = (w: number[], cov: number[][]): number[] => {
  const sw = cov.map((row) => row.reduce((s, c, j) => s + c * w[j], 0));
  const total = w.reduce((s, wi, i) => s + wi * sw[i], 0);
  return w.map((wi, i) => (wi * sw[i]) / total);
};

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const TIGHT = { maxIterations: 100, tolerance: 1e-12 };

describe("risk parity: two assets by hand", () => {
  // r1 = 0.01·H1, r2 = 0.03·(ρ·H1 + √(1−ρ²)·H2): sample variances 0.01²·8/7 and 0.03²·8/7
  // exactly, so σ2/σ1 = 3 and w1 = σ2/(σ1+σ2) = 3/4 for every correlation ρ.
  const pair = (rho: number) => [
    candidate("a", { daily_returns: combine([0.01, H1]) }),
    candidate("b", { daily_returns: combine([0.03 * rho, H1], [0.03 * Math.sqrt(1 - rho * rho), H2]) }),
  ];

  it.each([0.6, 0, -0.6])("correlation %p → w = (3/4, 1/4), converged, nothing clamped", (rho) => {
    const result = allocatePortfolio(pair(rho), parse({ method: "risk_parity" }));
    expect(result.fallback).toBeNull();
    expect(result.weights.a).toBeCloseTo(0.75, 10);
    expect(result.weights.b).toBeCloseTo(0.25, 10);
    expect(result.iterations).toBeGreaterThanOrEqual(1);
    expect(result.reasoning.a).toMatch(/^Risk parity: equal risk contribution over the last 8 days .* 75%/);
  });

  it("reports the sample covariance (÷ T−1) and the correlation, keyed by strategy id", () => {
    const result = allocatePortfolio(pair(0.6), parse({ method: "risk_parity" }));
    expect(result.days).toBe(8);
    expect(result.covariance!.a.a).toBeCloseTo((0.0001 * 8) / 7, 15);
    expect(result.covariance!.b.b).toBeCloseTo((0.0009 * 8) / 7, 15);
    expect(result.covariance!.a.b).toBeCloseTo((0.01 * 0.03 * 0.6 * 8) / 7, 15);
    expect(result.covariance!.b.a).toBe(result.covariance!.a.b);
    expect(result.correlation!.a.b).toBeCloseTo(0.6, 12);
    expect(result.correlation!.a.a).toBe(1);
  });
});

describe("risk parity: equalRiskContribution against published and closed-form values", () => {
  // Maillard, Roncalli & Teiletche (2010), p. 65: four assets with volatilities 10%, 20%,
  // 30%, 40%. (1) Constant correlation: ERC is inverse volatility, 48%, 24%, 16%, 12%.
  // (2) ρ12 = 80%, ρ34 = −50%, other correlations 0: ERC 38.4%, 19.2%, 24.3%, 18.2%.
  const vols = [0.1, 0.2, 0.3, 0.4];

  it("example 1, constant correlation 50%: 48%, 24%, 16%, 12%", () => {
    const rho = vols.map((_, i) => vols.map((__, j) => (i === j ? 1 : 0.5)));
    const erc = equalRiskContribution(covarianceOf(vols, rho), TIGHT);
    if (!erc.converged) throw new Error(erc.reason);
    expect(erc.weights.map((w) => Math.round(w * 1000) / 10)).toEqual([48, 24, 16, 12]);
  });

  it("example 2, ρ12 = 80%, ρ34 = −50%: the published 38.4%, 19.2%, 24.3%, 18.2%, and equal risk contributions", () => {
    const rho = [
      [1, 0.8, 0, 0],
      [0.8, 1, 0, 0],
      [0, 0, 1, -0.5],
      [0, 0, -0.5, 1],
    ];
    const cov = covarianceOf(vols, rho);
    const erc = equalRiskContribution(cov, TIGHT);
    if (!erc.converged) throw new Error(erc.reason);
    expect(erc.weights.map((w) => Math.round(w * 1000) / 10)).toEqual([38.4, 19.2, 24.3, 18.2]);

    // Closed form, from the block structure: within each uncorrelated block of two, equal
    // contributions give w1σ1 = w2σ2 (so w2 = w1/2, w4 = 3w3/4). Then RC1 = w1²(σ1² + ½ρ12σ1σ2)
    // = 0.018·w1² and RC3 = w3²(σ3² + ¾ρ34σ3σ4) = 0.045·w3², equal when w3 = w1·√0.4;
    // the budget gives w1 (1.5 + 1.75·√0.4) = 1.
    const w1 = 1 / (1.5 + 1.75 * Math.sqrt(0.4));
    const w3 = w1 * Math.sqrt(0.4);
    const expected = [w1, w1 / 2, w3, 0.75 * w3];
    erc.weights.forEach((w, i) => expect(w).toBeCloseTo(expected[i], 10));
    varianceShares(erc.weights, cov).forEach((share) => expect(share).toBeCloseTo(0.25, 10));
  });

  it("three assets, vols 10%, 20%, 30%, ρ12 = 80%, asset 3 uncorrelated: the closed form, each contributing 1/3", () => {
    // As above: w2 = w1/2, RC1 = 0.018·w1², RC3 = 0.09·w3² → w3 = w1·√0.2, w1 (1.5 + √0.2) = 1.
    const cov = covarianceOf([0.1, 0.2, 0.3], [
      [1, 0.8, 0],
      [0.8, 1, 0],
      [0, 0, 1],
    ]);
    const erc = equalRiskContribution(cov, TIGHT);
    if (!erc.converged) throw new Error(erc.reason);
    const w1 = 1 / (1.5 + Math.sqrt(0.2));
    [w1, w1 / 2, w1 * Math.sqrt(0.2)].forEach((w, i) => expect(erc.weights[i]).toBeCloseTo(w, 10));
    varianceShares(erc.weights, cov).forEach((share) => expect(share).toBeCloseTo(1 / 3, 10));
    expect(sum(erc.weights)).toBeCloseTo(1, 14);
  });

  it("starts at 1/n: equal volatilities and a constant correlation are solved in 0 iterations", () => {
    const erc = equalRiskContribution(covarianceOf([0.2, 0.2, 0.2], [[1, 0.3, 0.3], [0.3, 1, 0.3], [0.3, 0.3, 1]]), TIGHT);
    expect(erc).toMatchObject({ converged: true, iterations: 0 });
  });

  it("a singular covariance is refused with the reason", () => {
    const erc = equalRiskContribution([[1, 1], [1, 1]], TIGHT);
    expect(erc).toMatchObject({ converged: false, iterations: 0 });
    if (!erc.converged) expect(erc.reason).toMatch(/singular/);
  });
});

describe("risk parity from returns: three strategies and the fallbacks", () => {
  // r1 = 0.01·H1, r2 = 0.02·(0.6·H1 + 0.8·H2), r3 = 0.03·H3: volatilities in the ratio
  // 1 : 2 : 3, ρ12 = 0.6, ρ13 = ρ23 = 0. Inverse volatility is 6/11, 3/11, 2/11.
  // ERC (block form): w2 = w1/2, RC1 = w1²σ1²(1 + ρ12) = 1.6·w1²σ1², RC3 = 9σ1²·w3²,
  // so w3 = w1·√1.6/3 and w1 (1.5 + √1.6/3) = 1.
  const three = (): AllocationCandidate[] => [
    candidate("s1", { daily_returns: combine([0.01, H1]) }),
    candidate("s2", { daily_returns: combine([0.012, H1], [0.016, H2]) }),
    candidate("s3", { daily_returns: combine([0.03, H3]) }),
  ];

  it("converges to the closed form", () => {
    const result = allocatePortfolio(three(), parse({ method: "risk_parity" }));
    const w1 = 1 / (1.5 + Math.sqrt(1.6) / 3);
    expect(result.fallback).toBeNull();
    expect(result.weights.s1).toBeCloseTo(w1, 9);
    expect(result.weights.s2).toBeCloseTo(w1 / 2, 9);
    expect(result.weights.s3).toBeCloseTo((w1 * Math.sqrt(1.6)) / 3, 9);
  });

  it("max_iterations 1 with a tight tolerance → not converged, inverse volatility 6/11, 3/11, 2/11, recorded", () => {
    const result = allocatePortfolio(three(), parse({ method: "risk_parity", max_iterations: 1, tolerance: 1e-12 }));
    expect(result.fallback).toMatchObject({ from: "risk_parity", to: "inverse_volatility" });
    expect(result.fallback!.reason).toMatch(/not converged within max_iterations 1/);
    expect(result.iterations).toBe(1);
    expect(result.weights.s1).toBeCloseTo(6 / 11, 12);
    expect(result.weights.s2).toBeCloseTo(3 / 11, 12);
    expect(result.weights.s3).toBeCloseTo(2 / 11, 12);
    expect(result.reasoning.s1).toMatch(/^Inverse volatility \(risk parity fell back: not converged/);
  });

  it("a strategy that is a combination of two others → singular covariance → inverse volatility", () => {
    // r3 = r1 + r2 with r1 = 0.01·H1, r2 = 0.02·H2: variances ∝ 1, 4, 5.
    const result = allocatePortfolio(
      [
        candidate("s1", { daily_returns: combine([0.01, H1]) }),
        candidate("s2", { daily_returns: combine([0.02, H2]) }),
        candidate("s3", { daily_returns: combine([0.01, H1], [0.02, H2]) }),
      ],
      parse({ method: "risk_parity" }),
    );
    const inverse = [1, 1 / 2, 1 / Math.sqrt(5)];
    expect(result.fallback).toMatchObject({ from: "risk_parity", to: "inverse_volatility" });
    expect(result.fallback!.reason).toMatch(/singular/);
    expect(result.weights.s1).toBeCloseTo(inverse[0] / sum(inverse), 12);
    expect(result.weights.s3).toBeCloseTo(inverse[2] / sum(inverse), 12);
  });

  it("fewer days than strategies → singular → inverse volatility", () => {
    const result = allocatePortfolio(
      [
        candidate("s1", { daily_returns: [0.01, -0.01] }),
        candidate("s2", { daily_returns: [0.02, 0.0] }),
        candidate("s3", { daily_returns: [-0.03, 0.01] }),
      ],
      parse({ method: "risk_parity" }),
    );
    // Sample std of two days = |r1 − r2| / √2: 0.02, 0.02, 0.04 (÷√2) → inverse 1 : 1 : ½.
    expect(result.fallback).toMatchObject({ to: "inverse_volatility" });
    expect(result.weights.s1).toBeCloseTo(0.4, 12);
    expect(result.weights.s3).toBeCloseTo(0.2, 12);
  });

  it("a zero-variance strategy → equal weight, naming it", () => {
    const result = allocatePortfolio(
      [...three().slice(0, 2), candidate("idle", { daily_returns: new Array(8).fill(0.001) })],
      parse({ method: "risk_parity" }),
    );
    expect(result.fallback).toMatchObject({ from: "risk_parity", to: "equal_weight" });
    expect(result.fallback!.reason).toMatch(/^idle had zero variance over the last 8 days/);
    expect(Object.values(result.weights)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(result.correlation!.idle.s1).toBeNull();
    expect(result.reasoning.idle).toMatch(/^Equal weight \(risk parity fell back: idle had zero variance/);
  });

  it("fewer than 2 days → equal weight, recorded", () => {
    const result = allocatePortfolio(
      [candidate("s1", { daily_returns: [0.01] }), candidate("s2", { daily_returns: [0.02, 0.01] })],
      parse({ method: "risk_parity" }),
    );
    expect(result.fallback).toMatchObject({ to: "equal_weight" });
    expect(result.weights).toEqual({ s1: 0.5, s2: 0.5 });
    expect(result.covariance).toBeNull();
  });

  it("unequal lengths: the most recent common tail, said in the notes", () => {
    const longer = [0.05, -0.07, ...combine([0.012, H1], [0.016, H2])];
    const result = allocatePortfolio(
      [three()[0], candidate("s2", { daily_returns: longer }), three()[2]],
      parse({ method: "risk_parity" }),
    );
    expect(result.days).toBe(8);
    expect(result.notes).toContain(
      "Returns of unequal length (8 to 10 days): used the most recent 8 days common to every eligible strategy (lookback_days 60).",
    );
    const w1 = 1 / (1.5 + Math.sqrt(1.6) / 3);
    expect(result.weights.s1).toBeCloseTo(w1, 9);
  });

  it("lookback_days keeps only the most recent days", () => {
    // The first 8 days (huge, correlated) fall outside lookback_days 8.
    const noise = [0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5];
    const c = three().map((x) => ({ ...x, daily_returns: [...noise, ...x.daily_returns] }));
    const result = allocatePortfolio(c, parse({ method: "risk_parity", lookback_days: 8 }));
    expect(result.notes).toEqual([]);
    expect(result.weights.s1).toBeCloseTo(1 / (1.5 + Math.sqrt(1.6) / 3), 9);
  });
});

describe("equal_weight, performance_based, custom", () => {
  it("equal_weight: 1/n over the eligible; ineligible and corrupt strategies get 0 with a reason", () => {
    const result = allocatePortfolio(
      [
        candidate("a"),
        candidate("b"),
        candidate("shadow", { eligible: false }),
        candidate("corrupt", { daily_returns: [0.01, Number.NaN, 0.02] }),
        candidate("c", { daily_returns: [0.01, 0.02] }),
      ],
      parse({ method: "equal_weight" }),
    );
    expect(result.weights).toEqual({ a: 1 / 3, b: 1 / 3, shadow: 0, corrupt: 0, c: 1 / 3 });
    expect(result.reasoning.shadow).toMatch(/^Not eligible for allocation/);
    expect(result.reasoning.corrupt).toBe(
      "Rejected: daily return 2 of 3 is NaN, not a finite number. Allocation 0%, left out of the portfolio computation.",
    );
    expect(result.reasoning.a).toBe("Equal weight: 1/3 of the 3 eligible strategies = 33.33%.");
    expect(result.covariance).toBeNull();
  });

  it("an Infinity return is rejected the same way, and risk parity runs on the others", () => {
    const result = allocatePortfolio(
      [
        candidate("a", { daily_returns: combine([0.01, H1]) }),
        candidate("b", { daily_returns: combine([0.03, H2]) }),
        candidate("bad", { daily_returns: [...combine([0.01, H3]).slice(0, 7), Infinity] }),
      ],
      parse({ method: "risk_parity" }),
    );
    expect(result.weights.bad).toBe(0);
    expect(result.weights.a).toBeCloseTo(0.75, 10);
    expect(Object.keys(result.covariance!)).toEqual(["a", "b"]);
  });

  it("performance_based: proportional to Sharpe, a negative one gets 0", () => {
    const m = (sharpe: number) => ({ sharpe_ratio: sharpe, total_return: 0, win_rate: 0 });
    const result = allocatePortfolio(
      [candidate("a", { metrics: m(2) }), candidate("b", { metrics: m(1) }), candidate("c", { metrics: m(-0.5) })],
      parse({ method: "performance_based" }),
    );
    expect(result.weights.a).toBeCloseTo(2 / 3, 15);
    expect(result.weights.b).toBeCloseTo(1 / 3, 15);
    expect(result.weights.c).toBe(0);
    expect(result.reasoning.c).toBe("sharpe_ratio -0.50 is not positive: performance_based allocates 0%.");
    expect(result.fallback).toBeNull();
  });

  it("performance_based by win_rate", () => {
    const m = (win: number) => ({ sharpe_ratio: -1, total_return: -0.1, win_rate: win });
    const result = allocatePortfolio([candidate("a", { metrics: m(0.6) }), candidate("b", { metrics: m(0.2) })], parse({ method: "performance_based", metric: "win_rate" }));
    expect(result.weights.a).toBeCloseTo(0.75, 15);
    expect(result.weights.b).toBeCloseTo(0.25, 15);
  });

  it("performance_based: every metric ≤ 0 (or not finite) → equal weight, recorded", () => {
    const m = (total: number) => ({ sharpe_ratio: 1, total_return: total, win_rate: 1 });
    const result = allocatePortfolio(
      [candidate("a", { metrics: m(-0.02) }), candidate("b", { metrics: m(0) }), candidate("c", { metrics: m(Number.NaN) })],
      parse({ method: "performance_based", metric: "total_return" }),
    );
    expect(result.fallback).toEqual({
      from: "performance_based",
      to: "equal_weight",
      reason: "no eligible strategy has a positive total_return (-2%, 0%, NaN)",
    });
    expect(result.weights).toEqual({ a: 1 / 3, b: 1 / 3, c: 1 / 3 });
  });

  it("custom: proportional to allocation_weight; a missing one gets 0 with the reason", () => {
    const result = allocatePortfolio(
      [candidate("a", { allocation_weight: 3 }), candidate("b", { allocation_weight: 1 }), candidate("c"), candidate("d", { allocation_weight: -2 })],
      parse({ method: "custom" }),
    );
    expect(result.weights).toEqual({ a: 0.75, b: 0.25, c: 0, d: 0 });
    expect(result.reasoning.c).toBe("No allocation_weight set: custom allocates 0%.");
    expect(result.reasoning.d).toBe("allocation_weight -2 is not a positive number: custom allocates 0%.");
  });

  it("custom: no allocation_weight at all → equal weight, recorded", () => {
    const result = allocatePortfolio([candidate("a"), candidate("b", { allocation_weight: null })], parse({ method: "custom" }));
    expect(result.fallback).toMatchObject({ from: "custom", to: "equal_weight" });
    expect(result.weights).toEqual({ a: 0.5, b: 0.5 });
  });

  it("no eligible strategy: every weight 0, nothing thrown", () => {
    const result = allocatePortfolio([candidate("a", { eligible: false })], parse({ method: "risk_parity" }));
    expect(result.weights).toEqual({ a: 0 });
  });

  it("a strategy id twice is a caller defect and throws", () => {
    expect(() => allocatePortfolio([candidate("a"), candidate("a")], parse({ method: "equal_weight" }))).toThrow(/appears more than once/);
  });
});

describe("clamps: min_allocation / max_allocation, renormalised", () => {
  const custom = (weights: number[], bounds: Record<string, number>) =>
    allocatePortfolio(
      weights.map((w, i) => candidate(`s${i + 1}`, { allocation_weight: w })),
      parse({ method: "custom", ...bounds }),
    );

  it("two strategies wanting 90% / 10% under max 40%: infeasible, each at 40%, 20% unallocated, said so", () => {
    const result = custom([9, 1], { max_allocation: 0.4 });
    expect(result.weights).toEqual({ s1: 0.4, s2: 0.4 });
    const note = "Infeasible clamps: max_allocation 40% × 2 strategies = 80% < 100%; each is held at max_allocation and 20% is left unallocated.";
    expect(result.notes).toEqual([note]);
    expect(result.reasoning.s1).toContain(note);
  });

  it("two strategies wanting 90% / 10% under max 60%: 60% / 40%", () => {
    const result = custom([9, 1], { max_allocation: 0.6 });
    expect(result.weights.s1).toBeCloseTo(0.6, 15);
    expect(result.weights.s2).toBeCloseTo(0.4, 15);
    expect(result.reasoning.s1).toMatch(/Capped at max_allocation 60% \(the method gave 90%\)/);
  });

  it("three strategies 70/20/10 under max 50%: the 20% excess shared 2:1 → 50%, 33.3%, 16.7%", () => {
    const result = custom([7, 2, 1], { max_allocation: 0.5 });
    expect(result.weights.s1).toBeCloseTo(0.5, 15);
    expect(result.weights.s2).toBeCloseTo(1 / 3, 15);
    expect(result.weights.s3).toBeCloseTo(1 / 6, 15);
    expect(sum(Object.values(result.weights))).toBeCloseTo(1, 15);
  });

  it("three strategies 70/20/10 in [20%, 50%]: 50%, 30%, 20% (scale t = 1.5 for the free one)", () => {
    const result = custom([7, 2, 1], { min_allocation: 0.2, max_allocation: 0.5 });
    expect(result.weights.s1).toBeCloseTo(0.5, 15);
    expect(result.weights.s2).toBeCloseTo(0.3, 15);
    expect(result.weights.s3).toBeCloseTo(0.2, 15);
    expect(result.reasoning.s3).toMatch(/Raised to min_allocation 20%/);
  });

  it("min 40% over three strategies: infeasible, 1/3 each rather than over-allocate, said so", () => {
    const result = custom([1, 1, 2], { min_allocation: 0.4 });
    expect(Object.values(result.weights)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(result.notes[0]).toMatch(/^Infeasible clamps: min_allocation 40% × 3 strategies = 120% > 100%/);
  });

  it("a strategy the method gave 0 stays at 0 under min_allocation", () => {
    const result = custom([3, 1, 0], { min_allocation: 0.3 });
    expect(result.weights.s3).toBe(0);
    expect(result.weights.s2).toBeCloseTo(0.3, 15);
    expect(result.weights.s1).toBeCloseTo(0.7, 15);
  });

  it("ten strategies capped at 10%: all at the cap, summing to 1 up to rounding", () => {
    const { weights } = clampToBounds([0.5, 0.3, 0.05, 0.05, 0.02, 0.02, 0.02, 0.02, 0.01, 0.01], 0, 0.1);
    expect(weights).toEqual(new Array(10).fill(0.1));
  });

  it("property: feasible bounds → sum 1 and every weight within them; proportions kept among the unclamped", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.001, max: 100, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (scores, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const k = scores.length;
          fc.pre(k * lo <= 1 && k * hi >= 1);
          const raw = scores.map((s) => s / sum(scores));
          const { weights, note } = clampToBounds(raw, lo, hi);
          expect(note).toBeNull();
          expect(Math.abs(sum(weights) - 1)).toBeLessThan(1e-9);
          weights.forEach((w) => {
            expect(w).toBeGreaterThanOrEqual(lo - 1e-12);
            expect(w).toBeLessThanOrEqual(hi + 1e-12);
          });
          const free = weights.map((w, i) => ({ w, r: raw[i] })).filter(({ w }) => w > lo + 1e-9 && w < hi - 1e-9);
          for (const x of free) expect(x.w / x.r).toBeCloseTo(free[0].w / free[0].r, 6);
        },
      ),
    );
  });

  it("a subnormal weight beside the rest does not push the sum to 2 (a counterexample the property below found)", () => {
    // Scores 8.88e-16 and 5e-324 normalise to 1 and a subnormal ≈ 5.6e-309, whose max / w overflows to Infinity;
    // the crossing then fell at an infinite scale and put both at max: a sum of 1.9999999999999982.
    const scores = [8.881784197001258e-16, 5e-324];
    const total = scores[0] + scores[1];
    const raw = scores.map((x) => x / total);
    const { weights } = clampToBounds(raw, 0, 0.9999999999999991);
    expect(weights[0]).toBe(0.9999999999999991);
    expect(weights[1]).toBeLessThan(1e-300);
    expect(sum(weights)).toBeLessThanOrEqual(1);
  });

  it("property: whatever the bounds, weights are finite, in [0, 1], and sum to at most 1", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (scores, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const total = sum(scores);
          const raw = scores.map((s) => (total > 0 ? s / total : 0));
          const { weights } = clampToBounds(raw, lo, hi);
          weights.forEach((w) => expect(Number.isFinite(w) && w >= 0 && w <= 1).toBe(true));
          expect(sum(weights)).toBeLessThanOrEqual(1 + 1e-9);
        },
      ),
    );
  });
});

describe("AllocationConfigSchema", () => {
  const reason = (input: Record<string, unknown>) => {
    const r = AllocationConfigSchema.safeParse(input);
    if (r.success) throw new Error("expected a rejection");
    return describeIssues(r.error, input);
  };

  it("defaults per method", () => {
    expect(DEFAULT_ALLOCATION_CONFIG).toEqual({ method: "sharpe_tiers", min_allocation: 0, max_allocation: 1, rebalance_frequency: "every_cycle" });
    expect(AllocationConfigSchema.parse({ method: "performance_based" })).toMatchObject({ metric: "sharpe_ratio", lookback_days: 30 });
    expect(AllocationConfigSchema.parse({ method: "risk_parity" })).toMatchObject({ lookback_days: 60, max_iterations: 100, tolerance: 1e-10 });
  });

  it("min_allocation above max_allocation names both fields", () => {
    expect(reason({ method: "equal_weight", min_allocation: 0.5, max_allocation: 0.3 })).toBe(
      "min_allocation: must not exceed max_allocation (min_allocation 0.5 > max_allocation 0.3) (got 0.5)",
    );
  });

  it("an unknown method lists the known ones", () => {
    expect(reason({ method: "kelly" })).toBe(
      'method: must be one of "sharpe_tiers", "equal_weight", "performance_based", "risk_parity", "custom" (got "kelly")',
    );
  });

  it("lookback_days 1, max_iterations 0, tolerance 0, an unknown metric, a bound above 1", () => {
    expect(reason({ method: "performance_based", lookback_days: 1 })).toBe("lookback_days: must be at least 2 (got 1)");
    expect(reason({ method: "risk_parity", max_iterations: 0 })).toBe("max_iterations: must be at least 1 (got 0)");
    expect(reason({ method: "risk_parity", tolerance: 0 })).toBe("tolerance: must be greater than 0 (got 0)");
    expect(reason({ method: "performance_based", metric: "sortino_ratio" })).toBe(
      'metric: must be one of "sharpe_ratio", "total_return", "win_rate" (got "sortino_ratio")',
    );
    expect(reason({ method: "custom", max_allocation: 1.5 })).toBe("max_allocation: must be within [0, 1] (got 1.5)");
  });

  it("a parameter of another method is refused (strict, per method)", () => {
    expect(reason({ method: "equal_weight", lookback_days: 30 })).toBe("lookback_days: is not a known field");
  });
});
