/**
 * Performance metrics of a strategy from its daily returns (daily P&L / capital_base).
 * DESIGN.md "Rules of the Maestro": Sharpe = sqrt(252) · (mean(r) − rf/252) / std(r),
 * std the population standard deviation (divide by n), 0 when std is 0.
 */
import type * as MathJs from "mathjs";
import type { PerformanceMetrics } from "../schemas";

/**
 * mathjs takes ~0.75 s to load, and every deployed function loads this module; only the
 * weight calculation needs it, so it is loaded on first use instead of at cold start.
 */
let mathjs: Pick<typeof MathJs, "mean" | "std"> | undefined;
function stats(): Pick<typeof MathJs, "mean" | "std"> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  mathjs ??= require("mathjs") as typeof MathJs;
  return mathjs;
}
const mean = (values: number[]): number => Number(stats().mean(values));
const std = (values: number[], normalization: "uncorrected"): number => Number(stats().std(values, normalization));

export const TRADING_DAYS_PER_YEAR = 252;

/**
 * Population standard deviation (seed 000 divides by n). 0 for no values, and 0 for a
 * constant series: summing n equal values leaves the mean off by up to about n·ε·|x|, so
 * mathjs reports e.g. ten days of 0.01 as a std of 1.7e-18, and Sharpe would divide by
 * it (≈ 9e16) instead of applying the rule "0 when std is 0". A std below that rounding
 * noise is indistinguishable from 0.
 */
export function populationStd(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sd = Number(std([...values], "uncorrected"));
  const meanMagnitude = values.reduce((sum, v) => sum + Math.abs(v), 0) / values.length;
  return sd <= values.length * Number.EPSILON * meanMagnitude ? 0 : sd;
}

export function sharpeRatio(returns: readonly number[], riskFreeRate: number): number {
  if (returns.length === 0) return 0;
  const sd = populationStd(returns);
  if (sd === 0) return 0;
  const excess = Number(mean([...returns])) - riskFreeRate / TRADING_DAYS_PER_YEAR;
  return (Math.sqrt(TRADING_DAYS_PER_YEAR) * excess) / sd;
}

/**
 * Sortino: the Sharpe numerator over the downside deviation, the root mean square of
 * min(0, r − rf/252) over all n days. null when no day fell below the daily risk-free
 * rate (the ratio is unbounded, and a 0 would read as "bad").
 */
export function sortinoRatio(returns: readonly number[], riskFreeRate: number): number | null {
  if (returns.length === 0) return null;
  const dailyRf = riskFreeRate / TRADING_DAYS_PER_YEAR;
  const downsideSquares = returns.map((r) => Math.min(0, r - dailyRf) ** 2);
  const downside = Math.sqrt(downsideSquares.reduce((a, b) => a + b, 0) / returns.length);
  if (downside === 0) return null;
  const excess = Number(mean([...returns])) - dailyRf;
  return (Math.sqrt(TRADING_DAYS_PER_YEAR) * excess) / downside;
}

/**
 * The equity curve of a fixed capital base, as multiples of it: after day k it is
 * max(0, 1 + r₁ + … + r_k), because each return is that day's P&L over the same
 * capital_base (DESIGN.md): P&L adds up, it does not compound. A loss beyond the capital
 * floors equity at zero (a wipeout); later gains lift it again only by what they earn.
 */
export function equityCurve(returns: readonly number[]): number[] {
  const curve: number[] = [];
  let cumulative = 0;
  for (const r of returns) {
    cumulative += r;
    curve.push(Math.max(0, 1 + cumulative));
  }
  return curve;
}

/** Cumulative P&L over the capital base (the last point of the equity curve − 1), never below −1. */
export function totalReturn(returns: readonly number[]): number {
  const curve = equityCurve(returns);
  return curve.length === 0 ? 0 : curve[curve.length - 1] - 1;
}

/**
 * The growth rate per year of the equity curve over n trading days, (E_n)^(252/n) − 1;
 * −1 after a wipeout that did not recover. null with fewer than `minDataPoints` days
 * (a week annualized is noise raised to the 50th power), and null where the power
 * overflows, so the value is always finite or null.
 */
export function annualizedReturn(returns: readonly number[], minDataPoints = 1): number | null {
  if (returns.length === 0 || returns.length < minDataPoints) return null;
  const final = equityCurve(returns)[returns.length - 1];
  if (final === 0) return -1;
  const annualized = final ** (TRADING_DAYS_PER_YEAR / returns.length) - 1;
  return Number.isFinite(annualized) ? annualized : null;
}

/** Annualized volatility: population std · sqrt(252). */
export function annualizedVolatility(returns: readonly number[]): number {
  return populationStd(returns) * Math.sqrt(TRADING_DAYS_PER_YEAR);
}

/**
 * Worst peak-to-trough fall of the equity curve, as a fraction from 0 down to −1 (−1 is a
 * wipeout: equity reached zero). The curve starts at 1 before the first day, so a
 * strategy that loses from its first day has a drawdown (seed 000's reference code
 * reported 0 for it: a defect).
 */
export function maxDrawdown(returns: readonly number[]): number {
  let peak = 1;
  let worst = 0;
  for (const equity of equityCurve(returns)) {
    if (equity > peak) peak = equity;
    const drawdown = equity / peak - 1;
    if (drawdown < worst) worst = drawdown;
  }
  return worst;
}

/** Whether the equity curve reached zero at some point: the loss used up the whole capital base. */
export function wipedOut(metrics: Pick<PerformanceMetrics, "max_drawdown">): boolean {
  return metrics.max_drawdown <= -1;
}

/** Fraction of days with a positive return. */
export function winRate(returns: readonly number[]): number {
  if (returns.length === 0) return 0;
  return returns.filter((r) => r > 0).length / returns.length;
}

/**
 * Every metric of a series of daily returns. `minDataPoints` (config.min_data_points) is
 * the fewest days for which an annualized return is reported.
 */
export function performanceMetrics(returns: readonly number[], riskFreeRate: number, minDataPoints = 1): PerformanceMetrics {
  return {
    sharpe_ratio: sharpeRatio(returns, riskFreeRate),
    sortino_ratio: sortinoRatio(returns, riskFreeRate),
    total_return: totalReturn(returns),
    annualized_return: annualizedReturn(returns, minDataPoints),
    volatility: annualizedVolatility(returns),
    max_drawdown: maxDrawdown(returns),
    win_rate: winRate(returns),
    data_points: returns.length,
  };
}
