/**
 * Portfolio-wide allocation (issue 12, seed 004's allocation methods): every strategy's
 * daily returns and metrics in, every weight out, so a method may look at all strategies
 * at once (risk parity needs their covariance). Pure: plain values in, plain values out.
 *
 * `allocatePortfolio` runs three steps, each recorded in the strategy's reasoning:
 *
 * 1. Screen. A strategy that is not eligible (its mode is SHADOW_MODE or DISABLED) gets 0
 *    and is left out of everything that follows, covariance included. A strategy whose
 *    returns hold a NaN or ±Infinity is rejected the same way, with the offending day
 *    named: corrupt input never throws and never reaches the arithmetic.
 * 2. Method (config.allocation.method), over the remaining "participants":
 *    - equal_weight: 1/n.
 *    - performance_based: proportional to the chosen metric (the caller computes the
 *      metrics over `lookback_days`); a metric ≤ 0 or not finite gets 0. When none is
 *      positive: equal weight, recorded as a fallback.
 *    - custom: proportional to each strategy's `allocation_weight`; missing, 0, negative
 *      or not finite gets 0. When none is positive: equal weight, recorded as a fallback.
 *    - risk_parity: equal risk contribution (Maillard, Roncalli & Teiletche 2010): the
 *      weights w with w_i·(Σw)_i the same for every i, Σ the sample covariance of the daily
 *      returns over the last `lookback_days`. Solved by Newton's method on Spinu's (2013)
 *      strictly convex form, min ½yᵀΣy − Σ ln y_i over y > 0 (its minimiser has
 *      y_i·(Σy)_i = 1 for all i, so w = y / Σy is the ERC portfolio), started at 1/n and
 *      damped while the Newton decrement λ > 1/4, with step 1/(1+λ): the objective is
 *      self-concordant, so the damped steps stay in y > 0 and converge from any start
 *      (Nesterov & Nemirovski), then quadratically. Converged when every strategy's
 *      share of portfolio variance is within `tolerance` of 1/n, within `max_iterations`
 *      Newton steps. Fallbacks, recorded in `fallback` and the reasoning:
 *        not converged, or Σ singular (a strategy's returns a combination of the others',
 *          or fewer days than strategies) → inverse volatility, w_i ∝ 1/σ_i;
 *        a strategy with zero variance (its risk contribution is 0 whatever its weight,
 *          and 1/σ is infinite) or fewer than 2 days → equal weight.
 *    sharpe_tiers is not here: it decides each strategy on its own (core/allocation.ts)
 *    and its weights are multipliers, not shares of a portfolio.
 * 3. Clamps. Weights are brought within [min_allocation, max_allocation] and renormalised
 *    to sum to 1 by water-filling: w_i ← clamp(t·w_i, min, max) with the one scale t
 *    that makes the sum 1, so a capped strategy's excess is shared by the others in
 *    proportion to their weights and nothing renormalised leaves its bounds (LEAN clips
 *    without renormalising, and its weights stop summing to 1). A strategy the method
 *    gave 0 stays at 0 (min_allocation does not revive it). When the bounds make a sum
 *    of 1 impossible, the closest feasible allocation that never over-allocates is used
 *    and said so: k strategies × max_allocation < 1 → each at max_allocation, the rest
 *    unallocated; k × min_allocation > 1 → 1/k each (below min_allocation).
 *
 * Returns of unequal length are cut to the most recent days common to every participant
 * (the caller aligns days; this only trims the tails), and the notes say so. The
 * covariance and correlation matrices (keyed by strategy id) are returned for the
 * methods that have a `lookback_days`, for issue 12's correlation step.
 */
import type { PerformanceMetrics } from "../schemas";
import type { AllocationConfig, PerformanceMetricName } from "../schemas/allocation";
import { formatPercent } from "./allocation";
import { populationStd } from "./metrics";

/** The methods that allocate across the portfolio (sharpe_tiers decides per strategy, in core/allocation.ts). */
export type PortfolioAllocationConfig = Exclude<AllocationConfig, { method: "sharpe_tiers" }>;
export type PortfolioMethodName = PortfolioAllocationConfig["method"];

export interface AllocationCandidate {
  strategy_id: string;
  /** Daily returns, oldest first, aligned by day across strategies by the caller. */
  daily_returns: readonly number[];
  /** Computed by the caller over the method's lookback (core/metrics.ts). */
  metrics: Pick<PerformanceMetrics, "sharpe_ratio" | "total_return" | "win_rate">;
  /** The custom method's weight for this strategy (any positive scale; normalised here). */
  allocation_weight?: number | null;
  /** false for SHADOW_MODE and DISABLED strategies: weight 0, left out of the computation. */
  eligible: boolean;
}

export interface AllocationFallback {
  from: PortfolioMethodName;
  to: "inverse_volatility" | "equal_weight";
  reason: string;
}

/** A square matrix keyed by strategy id: matrix[a][b]. */
export type StrategyMatrix<T = number> = Record<string, Record<string, T>>;

export interface PortfolioAllocation {
  method: PortfolioMethodName;
  /** Every candidate's weight in [0, 1]; they sum to 1 over the participants unless the clamps make it impossible (see notes). */
  weights: Record<string, number>;
  reasoning: Record<string, string>;
  fallback: AllocationFallback | null;
  /** Newton steps the risk parity solver took (risk_parity only). */
  iterations?: number;
  /** Days of returns behind the covariance (the common most recent tail), null without one. */
  days: number | null;
  /** Sample covariance of daily returns over `days`; null for methods without a lookback or with fewer than 2 days. */
  covariance: StrategyMatrix | null;
  /** Correlation over `days`; null for a pair that includes a zero-variance strategy. */
  correlation: StrategyMatrix<number | null> | null;
  /** Portfolio-wide remarks (trimmed tails, infeasible clamps), also written into the reasoning they concern. */
  notes: string[];
}

/** Pivot of a Cholesky factorisation below this fraction of its diagonal: the matrix is singular (R² of that row on the others > 1 − 1e-10). */
export const SINGULAR_PIVOT_RATIO = 1e-10;
/** Newton decrement above which the step is damped by 1/(1 + λ) (the damped phase of Newton's method for self-concordant functions). */
const DAMPED_PHASE_DECREMENT = 0.25;

const NOT_ELIGIBLE = "Not eligible for allocation (mode SHADOW_MODE or DISABLED): allocation 0%, left out of the portfolio computation.";

export function allocatePortfolio(candidates: readonly AllocationCandidate[], config: PortfolioAllocationConfig): PortfolioAllocation {
  const weights: Record<string, number> = {};
  const reasoning: Record<string, string> = {};
  const participants: AllocationCandidate[] = [];
  for (const c of candidates) {
    if (Object.hasOwn(weights, c.strategy_id)) {
      throw new Error(`allocatePortfolio: strategy '${c.strategy_id}' appears more than once`);
    }
    weights[c.strategy_id] = 0;
    if (!c.eligible) {
      reasoning[c.strategy_id] = NOT_ELIGIBLE;
      continue;
    }
    const bad = c.daily_returns.findIndex((r) => !Number.isFinite(r));
    if (bad >= 0) {
      reasoning[c.strategy_id] =
        `Rejected: daily return ${bad + 1} of ${c.daily_returns.length} is ${c.daily_returns[bad]}, not a finite number. Allocation 0%, left out of the portfolio computation.`;
      continue;
    }
    participants.push(c);
  }

  const outcome = runMethod(participants, config);
  const clamped = clampToBounds(outcome.raw, config.min_allocation, config.max_allocation);
  const notes = [...outcome.notes, ...(clamped.note ? [clamped.note] : [])];

  participants.forEach((p, i) => {
    weights[p.strategy_id] = clamped.weights[i];
    const infeasible = outcome.raw[i] > 0 ? clamped.note : null;
    reasoning[p.strategy_id] = [outcome.reasons[i], clampReason(outcome.raw[i], clamped.weights[i], config), infeasible]
      .filter((s): s is string => !!s)
      .join(" ");
  });

  const result: PortfolioAllocation = {
    method: config.method,
    weights,
    reasoning,
    fallback: outcome.fallback,
    ...(outcome.iterations === undefined ? {} : { iterations: outcome.iterations }),
    days: outcome.risk?.days ?? null,
    covariance: outcome.risk?.covariance ? keyed(outcome.risk.ids, outcome.risk.covariance) : null,
    correlation: outcome.risk?.covariance ? keyed(outcome.risk.ids, correlationOf(outcome.risk.covariance, outcome.risk.zeroVariance)) : null,
    notes,
  };
  return withoutNumericalFailure(result, participants, config);
}

// ---------------------------------------------------------------------------
// Methods: participants → raw weights summing to 1 (or all 0), one reason each
// ---------------------------------------------------------------------------

interface MethodOutcome {
  raw: number[];
  reasons: string[];
  fallback: AllocationFallback | null;
  iterations?: number;
  risk: ReturnsRisk | null;
  notes: string[];
}

function runMethod(participants: readonly AllocationCandidate[], config: PortfolioAllocationConfig): MethodOutcome {
  switch (config.method) {
    case "equal_weight":
      return { ...equalWeights(participants.length, "Equal weight"), fallback: null, risk: null, notes: [] };
    case "performance_based":
      return performanceBased(participants, config.metric, config.lookback_days);
    case "custom":
      return customWeights(participants);
    case "risk_parity":
      return riskParity(participants, config.lookback_days, { maxIterations: config.max_iterations, tolerance: config.tolerance });
  }
}

function equalWeights(n: number, label: string): { raw: number[]; reasons: string[] } {
  const raw = new Array<number>(n).fill(n === 0 ? 0 : 1 / n);
  const reasons = raw.map((w) => `${label}: 1/${n} of the ${n} eligible strategies = ${formatPercent(w)}.`);
  return { raw, reasons };
}

function performanceBased(participants: readonly AllocationCandidate[], metric: PerformanceMetricName, lookbackDays: number): MethodOutcome {
  const values = participants.map((p) => p.metrics[metric]);
  const scores = values.map((v) => (Number.isFinite(v) && v > 0 ? v : 0));
  const total = scores.reduce((a, b) => a + b, 0);
  const risk = returnsRisk(participants, lookbackDays);
  const notes = risk.note ? [risk.note] : [];
  if (participants.length > 0 && !(total > 0)) {
    const reason = `no eligible strategy has a positive ${metric} (${values.map(formatMetric(metric)).join(", ")})`;
    const eq = equalWeights(participants.length, `Equal weight (performance_based fell back: ${reason})`);
    return { ...eq, fallback: { from: "performance_based", to: "equal_weight", reason }, risk, notes };
  }
  const show = formatMetric(metric);
  const raw = scores.map((s) => s / total);
  const reasons = values.map((v, i) =>
    scores[i] === 0
      ? `${metric} ${show(v)} is not positive: performance_based allocates 0%.`
      : `Proportional to ${metric}: ${show(v)} of a positive total ${show(total)} = ${formatPercent(raw[i])}.`,
  );
  return { raw, reasons, fallback: null, risk, notes };
}

function customWeights(participants: readonly AllocationCandidate[]): MethodOutcome {
  const given = participants.map((p) => p.allocation_weight);
  const scores = given.map((w) => (typeof w === "number" && Number.isFinite(w) && w > 0 ? w : 0));
  const total = scores.reduce((a, b) => a + b, 0);
  if (participants.length > 0 && !(total > 0)) {
    const reason = "no eligible strategy has a positive allocation_weight";
    const eq = equalWeights(participants.length, `Equal weight (custom fell back: ${reason})`);
    return { ...eq, fallback: { from: "custom", to: "equal_weight", reason }, risk: null, notes: [] };
  }
  const raw = scores.map((s) => s / total);
  const reasons = given.map((w, i) => {
    if (w === undefined || w === null) return "No allocation_weight set: custom allocates 0%.";
    if (scores[i] === 0) return `allocation_weight ${w} is not a positive number: custom allocates 0%.`;
    return `Custom: allocation_weight ${w} of a total ${total} = ${formatPercent(raw[i])}.`;
  });
  return { raw, reasons, fallback: null, risk: null, notes: [] };
}

function riskParity(participants: readonly AllocationCandidate[], lookbackDays: number, options: ErcOptions): MethodOutcome {
  const n = participants.length;
  const risk = returnsRisk(participants, lookbackDays);
  const notes = risk.note ? [risk.note] : [];
  if (n === 0) return { raw: [], reasons: [], fallback: null, risk, notes };
  if (n === 1) {
    return { raw: [1], reasons: ["Risk parity: the only eligible strategy carries all the risk = 100%."], fallback: null, risk, notes };
  }
  const toEqual = (reason: string): MethodOutcome => ({
    ...equalWeights(n, `Equal weight (risk parity fell back: ${reason})`),
    fallback: { from: "risk_parity", to: "equal_weight", reason },
    risk,
    notes,
  });
  if (!risk.covariance) {
    return toEqual(`${risk.days} day(s) of returns common to all eligible strategies; a covariance needs at least 2 (inverse volatility needs them too)`);
  }
  const flat = participants.filter((_, i) => risk.zeroVariance[i]).map((p) => p.strategy_id);
  if (flat.length > 0) {
    return toEqual(
      `${flat.join(", ")} had zero variance over the last ${risk.days} days: its risk contribution is 0 whatever its weight and 1/volatility is infinite, so neither equal risk contribution nor inverse volatility is defined`,
    );
  }

  const covariance = risk.covariance;
  const erc = equalRiskContribution(covariance, options);
  if (erc.converged) {
    const raw = erc.weights;
    const reasons = raw.map(
      (w, i) =>
        `Risk parity: equal risk contribution over the last ${risk.days} days (daily volatility ${formatPercent(Math.sqrt(covariance[i][i]))}), ` +
        `solved by Newton's method (Spinu 2013) in ${erc.iterations} iteration(s): ${formatPercent(w)}, 1/${n} of portfolio variance.`,
    );
    return { raw, reasons, fallback: null, iterations: erc.iterations, risk, notes };
  }
  const reason = erc.reason;
  const raw = inverseVolatility(covariance);
  const reasons = raw.map(
    (w, i) =>
      `Inverse volatility (risk parity fell back: ${reason}): daily volatility ${formatPercent(Math.sqrt(covariance[i][i]))} over the last ${risk.days} days → ${formatPercent(w)}.`,
  );
  return { raw, reasons, fallback: { from: "risk_parity", to: "inverse_volatility", reason }, iterations: erc.iterations, risk, notes };
}

/** w_i ∝ 1/σ_i, σ_i² the diagonal of the covariance (every one positive). */
export function inverseVolatility(covariance: readonly (readonly number[])[]): number[] {
  const inverse = covariance.map((row, i) => 1 / Math.sqrt(row[i]));
  const total = inverse.reduce((a, b) => a + b, 0);
  return inverse.map((v) => v / total);
}

// ---------------------------------------------------------------------------
// Returns → covariance
// ---------------------------------------------------------------------------

interface ReturnsRisk {
  ids: string[];
  /** Length of the common most recent tail used. */
  days: number;
  /** null with fewer than 2 days. */
  covariance: number[][] | null;
  /** Zero variance as core/metrics.ts defines it (below rounding noise). */
  zeroVariance: boolean[];
  note: string | null;
}

function returnsRisk(participants: readonly AllocationCandidate[], lookbackDays: number): ReturnsRisk {
  const ids = participants.map((p) => p.strategy_id);
  const { series, days, note } = commonTail(
    participants.map((p) => p.daily_returns),
    lookbackDays,
  );
  return {
    ids,
    days,
    covariance: days >= 2 ? sampleCovariance(series) : null,
    zeroVariance: series.map((s) => populationStd(s) === 0),
    note,
  };
}

/**
 * The last min(lookbackDays, shortest length) returns of every series: the most recent
 * days all of them have. A note when the lengths differ, saying how much was cut.
 */
export function commonTail(
  series: readonly (readonly number[])[],
  lookbackDays: number,
): { series: number[][]; days: number; note: string | null } {
  if (series.length === 0) return { series: [], days: 0, note: null };
  const lengths = series.map((s) => s.length);
  const shortest = Math.min(...lengths);
  const longest = Math.max(...lengths);
  const days = Math.min(lookbackDays, shortest);
  const note =
    shortest === longest || longest <= days
      ? null
      : `Returns of unequal length (${shortest} to ${longest} days): used the most recent ${days} days common to every eligible strategy (lookback_days ${lookbackDays}).`;
  return { series: series.map((s) => s.slice(s.length - days)), days, note };
}

/** Sample covariance (divides by T − 1) of series of equal length T ≥ 2. */
export function sampleCovariance(series: readonly (readonly number[])[]): number[][] {
  const n = series.length;
  const t = n === 0 ? 0 : series[0].length;
  if (series.some((s) => s.length !== t) || (n > 0 && t < 2)) {
    throw new Error(`sampleCovariance: needs series of one length ≥ 2 (got lengths ${series.map((s) => s.length).join(", ")})`);
  }
  const centred = series.map((s) => {
    const mean = s.reduce((a, b) => a + b, 0) / t;
    return s.map((r) => r - mean);
  });
  const cov = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let k = 0; k < t; k++) sum += centred[i][k] * centred[j][k];
      cov[i][j] = cov[j][i] = sum / (t - 1);
    }
  }
  return cov;
}

function correlationOf(covariance: readonly (readonly number[])[], zeroVariance: readonly boolean[]): (number | null)[][] {
  return covariance.map((row, i) =>
    row.map((c, j) => {
      if (zeroVariance[i] || zeroVariance[j]) return null;
      if (i === j) return 1;
      return Math.max(-1, Math.min(1, c / Math.sqrt(covariance[i][i] * covariance[j][j])));
    }),
  );
}

function keyed<T>(ids: readonly string[], matrix: readonly (readonly T[])[]): StrategyMatrix<T> {
  const out: StrategyMatrix<T> = {};
  ids.forEach((a, i) => {
    out[a] = {};
    ids.forEach((b, j) => {
      out[a][b] = matrix[i][j];
    });
  });
  return out;
}

// ---------------------------------------------------------------------------
// Equal risk contribution (Spinu 2013, Newton's method)
// ---------------------------------------------------------------------------

export interface ErcOptions {
  maxIterations: number;
  /** Largest accepted |w_i·(Σw)_i / wᵀΣw − 1/n| over i. */
  tolerance: number;
}

export type ErcSolution =
  | { converged: true; weights: number[]; iterations: number; residual: number }
  | { converged: false; reason: string; iterations: number; residual: number | null };

/**
 * The long-only, fully invested portfolio in which every asset contributes the same share
 * of variance, from a covariance matrix (see the header for the method). Not converged,
 * with the reason, when the covariance is singular or not finite, or the tolerance is not
 * reached within `maxIterations` Newton steps.
 */
export function equalRiskContribution(covariance: readonly (readonly number[])[], options: ErcOptions): ErcSolution {
  const n = covariance.length;
  if (covariance.some((row) => row.length !== n)) throw new Error("equalRiskContribution: the covariance matrix must be square");
  if (n === 0) return { converged: true, weights: [], iterations: 0, residual: 0 };
  if (!covariance.every((row) => row.every(Number.isFinite))) {
    return { converged: false, reason: "the covariance matrix has a value that is not a finite number", iterations: 0, residual: null };
  }
  if (!cholesky(covariance, SINGULAR_PIVOT_RATIO)) {
    return {
      converged: false,
      reason: "the covariance matrix is singular (a strategy's returns are a combination of the others', or there are no more days than strategies)",
      iterations: 0,
      residual: null,
    };
  }

  // Start at 1/n, scaled so that yᵀΣy = n, the value it takes at the solution (Σ y_i·(Σy)_i = n).
  const total = covariance.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
  let y = new Array<number>(n).fill(Math.sqrt(n / total));
  for (let iterations = 0; ; iterations++) {
    const sy = multiply(covariance, y);
    const residual = riskContributionGap(y, sy);
    if (residual <= options.tolerance) {
      const sum = y.reduce((a, b) => a + b, 0);
      return { converged: true, weights: y.map((v) => v / sum), iterations, residual };
    }
    if (iterations >= options.maxIterations) {
      return {
        converged: false,
        reason: `not converged within max_iterations ${options.maxIterations} (risk contributions still ${residual.toExponential(2)} from 1/${n}, tolerance ${options.tolerance})`,
        iterations,
        residual,
      };
    }
    // Gradient and Hessian of ½yᵀΣy − Σ ln y_i.
    const gradient = sy.map((v, i) => v - 1 / y[i]);
    const hessian = covariance.map((row, i) => row.map((c, j) => (i === j ? c + 1 / (y[i] * y[i]) : c)));
    const factor = cholesky(hessian, 0);
    if (!factor) {
      return { converged: false, reason: "the Newton system was not positive definite (numerical breakdown)", iterations, residual };
    }
    const step = solveCholesky(factor, gradient);
    const decrement = Math.sqrt(Math.max(0, dot(gradient, step)));
    const size = decrement > DAMPED_PHASE_DECREMENT ? 1 / (1 + decrement) : 1;
    const next = y.map((v, i) => v - size * step[i]);
    if (!next.every((v) => v > 0 && Number.isFinite(v))) {
      return { converged: false, reason: "a Newton step left the positive weights (numerical breakdown)", iterations: iterations + 1, residual };
    }
    y = next;
  }
}

/** Each weight's share of portfolio variance, w_i·(Σw)_i / wᵀΣw (they sum to 1). */
export function riskContributions(weights: readonly number[], covariance: readonly (readonly number[])[]): number[] {
  const sw = multiply(covariance, weights);
  const variance = dot(weights, sw);
  return weights.map((w, i) => (w * sw[i]) / variance);
}

function riskContributionGap(y: readonly number[], sy: readonly number[]): number {
  const n = y.length;
  const variance = dot(y, sy);
  let gap = 0;
  for (let i = 0; i < n; i++) gap = Math.max(gap, Math.abs((y[i] * sy[i]) / variance - 1 / n));
  return Number.isFinite(gap) ? gap : Infinity;
}

/**
 * Lower-triangular L with L·Lᵀ = a, or null when a pivot is not above `minPivotRatio`
 * times its diagonal entry (a singular, or not positive definite).
 */
function cholesky(a: readonly (readonly number[])[], minPivotRatio: number): number[][] | null {
  const n = a.length;
  const l = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    let pivot = a[j][j];
    for (let k = 0; k < j; k++) pivot -= l[j][k] * l[j][k];
    if (!(pivot > 0) || !(pivot > minPivotRatio * a[j][j])) return null;
    const root = Math.sqrt(pivot);
    l[j][j] = root;
    for (let i = j + 1; i < n; i++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      l[i][j] = s / root;
    }
  }
  return l;
}

/** x with L·Lᵀ·x = b. */
function solveCholesky(l: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const z = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i][k] * z[k];
    z[i] = s / l[i][i];
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < n; k++) s -= l[k][i] * x[k];
    x[i] = s / l[i][i];
  }
  return x;
}

function multiply(a: readonly (readonly number[])[], x: readonly number[]): number[] {
  return a.map((row) => dot(row, x));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

// ---------------------------------------------------------------------------
// Clamps (water-filling)
// ---------------------------------------------------------------------------

export interface ClampResult {
  weights: number[];
  /** Set when the bounds make a sum of 1 impossible, saying what was done instead. */
  note: string | null;
}

/**
 * Brings weights (summing to 1, or all 0) within [min, max] with the sum kept at 1:
 * w_i ← clamp(t·w_i, min, max) for the t at which the sum is 1. The sum is a continuous,
 * non-decreasing, piecewise-linear function of t, with its kinks at min/w_i and max/w_i,
 * so t is found exactly on the segment where it crosses 1. Zero weights stay 0.
 */
export function clampToBounds(raw: readonly number[], min: number, max: number): ClampResult {
  const active = raw.map((w) => w > 0);
  const k = active.filter(Boolean).length;
  if (k === 0) return { weights: raw.map(() => 0), note: null };
  if (k * max < 1) {
    return {
      weights: raw.map((_, i) => (active[i] ? max : 0)),
      note: `Infeasible clamps: max_allocation ${formatPercent(max)} × ${k} strategies = ${formatPercent(k * max)} < 100%; each is held at max_allocation and ${formatPercent(1 - k * max)} is left unallocated.`,
    };
  }
  if (k * min > 1) {
    return {
      weights: raw.map((_, i) => (active[i] ? 1 / k : 0)),
      note: `Infeasible clamps: min_allocation ${formatPercent(min)} × ${k} strategies = ${formatPercent(k * min)} > 100%; each gets 1/${k} = ${formatPercent(1 / k)} instead, below min_allocation, rather than allocate more than 100%.`,
    };
  }
  const scaled = (t: number) => raw.map((w, i) => (active[i] ? Math.min(max, Math.max(min, t * w)) : 0));
  const excess = (t: number) => scaled(t).reduce((a, b) => a + b, 0) - 1;
  // A weight so small (a subnormal) that max / w overflows has no kink: it stays at ~0 for every finite scale.
  const kinks = [...new Set(raw.flatMap((w) => (w > 0 ? [min / w, max / w] : [])))].filter(Number.isFinite).sort((a, b) => a - b);
  let low = 0;
  let lowExcess = excess(0);
  if (lowExcess >= 0) return { weights: scaled(0), note: null };
  for (const kink of kinks) {
    const kinkExcess = excess(kink);
    if (kinkExcess >= 0) {
      // Linear between the two kinks: solve for the crossing.
      return { weights: scaled(low + (-lowExcess * (kink - low)) / (kinkExcess - lowExcess)), note: null };
    }
    low = kink;
    lowExcess = kinkExcess;
  }
  // k · max is 1 up to rounding (ten strategies at 0.1 sum to 0.9999999999999999): all at max.
  return { weights: scaled(low), note: null };
}

function clampReason(raw: number, final: number, config: PortfolioAllocationConfig): string | null {
  // A change below half of the 0.01% that formatPercent shows is rounding, not a clamp.
  if (raw === 0 || Math.abs(final - raw) < 5e-5) return null;
  if (final >= config.max_allocation && raw > config.max_allocation) {
    return `Capped at max_allocation ${formatPercent(config.max_allocation)} (the method gave ${formatPercent(raw)}); the excess goes to the others in proportion.`;
  }
  if (final <= config.min_allocation && raw < config.min_allocation) {
    return `Raised to min_allocation ${formatPercent(config.min_allocation)} (the method gave ${formatPercent(raw)}).`;
  }
  return `Renormalised to ${formatPercent(final)} after the clamps on the others (the method gave ${formatPercent(raw)}).`;
}

// ---------------------------------------------------------------------------
// Formatting and the last guard
// ---------------------------------------------------------------------------

function formatMetric(metric: PerformanceMetricName): (v: number) => string {
  return (v) => (!Number.isFinite(v) ? String(v) : metric === "sharpe_ratio" ? v.toFixed(2) : formatPercent(v));
}

/**
 * Money-safe: a weight that is not a finite number in [0, 1], or weights summing above
 * 1, would be a defect above; rather than let it reach an order, the participants get
 * equal weight and the fallback says why.
 */
function withoutNumericalFailure(
  result: PortfolioAllocation,
  participants: readonly AllocationCandidate[],
  config: PortfolioAllocationConfig,
): PortfolioAllocation {
  const values = Object.values(result.weights);
  const sum = values.reduce((a, b) => a + b, 0);
  if (values.every((w) => Number.isFinite(w) && w >= 0 && w <= 1) && sum <= 1 + 1e-9) return result;
  const reason = `numerical failure: the weights computed were not all finite numbers in [0, 1] summing to at most 1 (${JSON.stringify(result.weights)})`;
  const n = participants.length;
  const eq = clampToBounds(new Array<number>(n).fill(1 / n), config.min_allocation, config.max_allocation);
  const weights = { ...result.weights };
  const reasoning = { ...result.reasoning };
  participants.forEach((p, i) => {
    weights[p.strategy_id] = eq.weights[i];
    reasoning[p.strategy_id] = `Equal weight (${config.method} fell back: ${reason}) = ${formatPercent(eq.weights[i])}.`;
  });
  return { ...result, weights, reasoning, fallback: { from: config.method, to: "equal_weight", reason } };
}
