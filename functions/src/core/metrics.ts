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

/** Compounded return over the period: Π(1 + r) − 1. */
export function totalReturn(returns: readonly number[]): number {
  return returns.reduce((equity, r) => equity * (1 + r), 1) - 1;
}

/** Compound annual growth rate over n trading days: (1 + total)^(252/n) − 1. */
export function annualizedReturn(returns: readonly number[]): number {
  if (returns.length === 0) return 0;
  const growth = 1 + totalReturn(returns);
  if (growth <= 0) return -1; // the capital base was wiped out
  return growth ** (TRADING_DAYS_PER_YEAR / returns.length) - 1;
}

/** Annualized volatility: population std · sqrt(252). */
export function annualizedVolatility(returns: readonly number[]): number {
  return populationStd(returns) * Math.sqrt(TRADING_DAYS_PER_YEAR);
}

/**
 * Worst peak-to-trough fall of the compounded equity curve, as a fraction ≤ 0.
 * The curve starts at 1 before the first day, so a strategy that loses from its first
 * day has a drawdown (seed 000's reference code reported 0 for it: a defect).
 */
export function maxDrawdown(returns: readonly number[]): number {
  let equity = 1;
  let peak = 1;
  let worst = 0;
  for (const r of returns) {
    equity *= 1 + r;
    if (equity > peak) peak = equity;
    const drawdown = equity / peak - 1;
    if (drawdown < worst) worst = drawdown;
  }
  return worst;
}

/** Fraction of days with a positive return. */
export function winRate(returns: readonly number[]): number {
  if (returns.length === 0) return 0;
  return returns.filter((r) => r > 0).length / returns.length;
}

export function performanceMetrics(returns: readonly number[], riskFreeRate: number): PerformanceMetrics {
  return {
    sharpe_ratio: sharpeRatio(returns, riskFreeRate),
    sortino_ratio: sortinoRatio(returns, riskFreeRate),
    total_return: totalReturn(returns),
    annualized_return: annualizedReturn(returns),
    volatility: annualizedVolatility(returns),
    max_drawdown: maxDrawdown(returns),
    win_rate: winRate(returns),
    data_points: returns.length,
  };
}
