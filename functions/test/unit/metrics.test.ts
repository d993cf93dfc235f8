/**
 * Expected values are worked out by hand below (DESIGN.md formulas), not taken from the
 * code under test.
 *
 * Reference series r = [0.01, -0.02, 0.03, 0.0, 0.01], n = 5:
 *   mean        = 0.03 / 5 = 0.006
 *   deviations  = 0.004, -0.026, 0.024, -0.006, 0.004
 *   squares     = 0.000016 + 0.000676 + 0.000576 + 0.000036 + 0.000016 = 0.00132
 *   variance    = 0.00132 / 5 = 0.000264            (population: divide by n)
 *   std         = sqrt(0.000264) = 0.0162480768...
 *   daily rf    = 0.04 / 252 = 0.000158730158...
 *   excess      = 0.006 - 0.000158730158 = 0.005841269841...
 *   sqrt(252)   = 15.8745078664...
 *   Sharpe      = 15.8745078664 · 0.005841269841 / 0.0162480768 = 0.0927273 / 0.0162481 = 5.70697
 *   downside    = min(0, r - rf): 0, -0.020158730159, 0, -0.000158730159, 0
 *                 squares 0.000406374402 + 0.000000025195 = 0.000406399597; / 5 = 0.0000812799194
 *                 sqrt = 0.00901553766
 *   Sortino     = 0.0927273 / 0.00901553766 = 10.2853
 *   equity      = capital_base + cumulative P&L, in units of capital_base (returns are
 *                 P&L over a fixed base, so they add up; they do not compound):
 *                 cumulative 0.01, -0.01, 0.02, 0.02, 0.03 → equity 1.01, 0.99, 1.02, 1.02, 1.03
 *   total       = 1.03 - 1 = 0.03
 *   annualized  = 1.03^(252/5) - 1 = exp(50.4 · ln 1.03) - 1 = exp(50.4 · 0.0295588022) - 1
 *               = exp(1.48976363) - 1 = 4.43604686 - 1 = 3.43604686
 *   volatility  = 0.0162480768 · 15.8745078664 = 0.257930
 *   win rate    = 3 positive days (0.01, 0.03, 0.01; 0.0 is not a win) / 5 = 0.6
 *   drawdown    = worst 0.99 / 1.01 - 1 = -0.0198019802
 */
import fc from "fast-check";
import {
  TRADING_DAYS_PER_YEAR,
  annualizedReturn,
  annualizedVolatility,
  equityCurve,
  maxDrawdown,
  performanceMetrics,
  populationStd,
  sharpeRatio,
  sortinoRatio,
  totalReturn,
  winRate,
  wipedOut,
} from "../../src/core/metrics";
import { PerformanceMetricsSchema } from "../../src/schemas";

const R = [0.01, -0.02, 0.03, 0.0, 0.01];
const RF = 0.04;

describe("populationStd", () => {
  it("divides by n, not n - 1", () => {
    expect(populationStd(R)).toBeCloseTo(0.0162480768, 9);
    // Textbook series 2,4,4,4,5,5,7,9: mean 5, squared deviations sum to 32, 32 / 8 = 4, std 2
    // (the sample std, 32 / 7, would be 2.138).
    expect(populationStd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2, 12);
  });

  it("is 0 for no values and for a single value", () => {
    expect(populationStd([])).toBe(0);
    expect(populationStd([0.05])).toBe(0);
  });

  it("is exactly 0 for constant series, despite the rounding of their mean", () => {
    // Ten days of 0.01 sum to a mean that is not exactly 0.01 in binary floating point.
    for (const [value, n] of [[0.01, 10], [0.01, 252], [0.1, 252], [1 / 3, 252], [-0.013, 30], [0.07, 10]] as const) {
      expect(populationStd(new Array<number>(n).fill(value))).toBe(0);
    }
  });
});

describe("sharpeRatio", () => {
  it("is sqrt(252) · (mean - rf/252) / population std", () => {
    expect(sharpeRatio(R, RF)).toBeCloseTo(5.70697, 4);
  });

  it("is 0 when the std is 0 (constant returns) and for no returns", () => {
    expect(sharpeRatio([0.01, 0.01, 0.01], RF)).toBe(0);
    // The case that reached 9e16 before populationStd ignored rounding noise.
    expect(sharpeRatio(new Array<number>(10).fill(0.01), RF)).toBe(0);
    expect(sharpeRatio([], RF)).toBe(0);
  });

  it("is negative when the mean return is below the daily risk-free rate", () => {
    // [0.001, -0.001]: mean 0, std 0.001, excess -0.04/252 = -0.000158730
    // Sharpe = 15.8745078664 · -0.000158730 / 0.001 = -2.51976
    expect(sharpeRatio([0.001, -0.001], RF)).toBeCloseTo(-2.51976, 4);
  });
});

describe("sortinoRatio", () => {
  it("uses the downside deviation over all n days", () => {
    expect(sortinoRatio(R, RF)).toBeCloseTo(10.2853, 3);
  });

  it("is null when no day fell below the daily risk-free rate", () => {
    // every day beats 0.04 / 252 = 0.000159
    expect(sortinoRatio([0.01, 0.02, 0.005], RF)).toBeNull();
    expect(sortinoRatio([], RF)).toBeNull();
  });

  it("counts a day that is positive but below the risk-free rate as downside", () => {
    // [0.0001, 0.01], rf 0.04: daily rf 0.000158730; shortfalls -0.0000587302, 0
    // downside = sqrt(0.0000587302² / 2) = 0.0000587302 / sqrt(2) = 0.0000415283
    // excess = 0.00505 - 0.000158730 = 0.00489127; Sortino = 15.8745078664 · 0.00489127 / 0.0000415283 = 1869.70
    expect(sortinoRatio([0.0001, 0.01], RF)).toBeCloseTo(1869.7, 0);
  });
});

describe("equityCurve", () => {
  it("adds P&L to the fixed capital base instead of compounding it", () => {
    const curve = equityCurve(R);
    [1.01, 0.99, 1.02, 1.02, 1.03].forEach((expected, i) => expect(curve[i]).toBeCloseTo(expected, 12));
    // +10% of the base then -10% of the same base is back to the base (compounding would say 0.99)
    expect(equityCurve([0.1, -0.1])[1]).toBeCloseTo(1, 12);
  });

  it("floors equity at zero when a loss exceeds the capital, and later gains lift it by what they earn", () => {
    // cumulative 0.05, -1.15, -1.05, 0.45 → 1.05, 0 (floored), 0 (floored), 1.45
    const curve = equityCurve([0.05, -1.2, 0.1, 1.5]);
    expect(curve[0]).toBeCloseTo(1.05, 12);
    expect(curve[1]).toBe(0);
    expect(curve[2]).toBe(0);
    expect(curve[3]).toBeCloseTo(1.45, 12);
  });
});

describe("totalReturn", () => {
  it("is cumulative P&L over the capital base", () => {
    expect(totalReturn(R)).toBeCloseTo(0.03, 12);
    expect(totalReturn([0.1, -0.1])).toBeCloseTo(0, 12);
    expect(totalReturn([])).toBe(0);
  });

  it("is -1 at a wipeout, never below", () => {
    expect(totalReturn([0.05, -1.2])).toBe(-1);
  });
});

describe("annualizedReturn", () => {
  it("is the equity curve's yearly growth, E_n^(252 / n) - 1", () => {
    expect(annualizedReturn(R)).toBeCloseTo(3.43604686, 6);
    // 252 days of 0 except one day of +21%: equity 1.21 after exactly one year → 0.21
    const year = new Array<number>(TRADING_DAYS_PER_YEAR).fill(0);
    year[100] = 0.21;
    expect(annualizedReturn(year)).toBeCloseTo(0.21, 10);
    // 504 days ending at equity 1.21 → two years → sqrt(1.21) - 1 = 0.1
    const twoYears = new Array<number>(2 * TRADING_DAYS_PER_YEAR).fill(0);
    twoYears[7] = 0.21;
    expect(annualizedReturn(twoYears)).toBeCloseTo(0.1, 10);
  });

  it("is null with fewer than min_data_points days, and for no returns", () => {
    expect(annualizedReturn(R, 6)).toBeNull();
    expect(annualizedReturn(R, 5)).toBeCloseTo(3.43604686, 6);
    expect(annualizedReturn([])).toBeNull();
  });

  it("is -1 after an unrecovered wipeout and null where the power overflows, never infinite", () => {
    expect(annualizedReturn([0.05, -1.2])).toBe(-1);
    // 101^252 ≈ 10^505 does not fit in a double
    expect(annualizedReturn([100])).toBeNull();
    // 1.5^126 - 1 ≈ 1.54e22 still does
    expect(annualizedReturn([-1.5, 2])).toBeCloseTo(1.5399217e22, -15);
  });
});

describe("annualizedVolatility", () => {
  it("is population std · sqrt(252)", () => {
    expect(annualizedVolatility(R)).toBeCloseTo(0.25793, 5);
    // [0.01, -0.01]: std 0.01 → 0.01 · 15.8745078664 = 0.158745
    expect(annualizedVolatility([0.01, -0.01])).toBeCloseTo(0.158745, 6);
  });
});

describe("maxDrawdown", () => {
  it("measures from the starting capital, so a loss on day 1 counts (seed 000 reported 0)", () => {
    // equity 0.9, 0.95; peak stays 1 → worst 0.9 / 1 - 1 = -0.1
    expect(maxDrawdown([-0.1, 0.05])).toBeCloseTo(-0.1, 12);
  });

  it("finds a later, deeper trough measured from the new peak", () => {
    // cumulative .1 .05 .25 .15 .05 .35 → equity 1.1, 1.05, 1.25 (new peak), 1.15, 1.05, 1.35
    // 1.05 / 1.25 - 1 = -0.16 (from the old peak 1.1 it would only be -0.0455)
    expect(maxDrawdown([0.1, -0.05, 0.2, -0.1, -0.1, 0.3])).toBeCloseTo(-0.16, 12);
    expect(maxDrawdown(R)).toBeCloseTo(-0.0198019802, 10);
  });

  it("is -1 at a wipeout, even if the strategy earns again afterwards", () => {
    expect(maxDrawdown([0.05, -1.2, 0.1])).toBe(-1);
    expect(maxDrawdown([-1.5, 2])).toBe(-1);
    expect(wipedOut({ max_drawdown: maxDrawdown([-1.5, 2]) })).toBe(true);
    expect(wipedOut({ max_drawdown: maxDrawdown([-0.99]) })).toBe(false);
  });

  it("is 0 for a curve that never falls, and for no returns", () => {
    expect(maxDrawdown([0.01, 0, 0.02])).toBe(0);
    expect(maxDrawdown([])).toBe(0);
  });
});

describe("metrics against their definitions (fast-check)", () => {
  // Returns in whole basis points, as money gives them (a 1e-162 return would only test underflow).
  const dailyReturn = fc.integer({ min: -6_000, max: 6_000 }).map((bp) => bp / 10_000);
  const series = fc.array(dailyReturn, { minLength: 0, maxLength: 60 });

  it("total return is max(0, 1 + Σr) - 1: the money, floored at a wipeout", () => {
    fc.assert(
      fc.property(series, (returns) => {
        let sum = 0;
        for (const r of returns) sum += r;
        expect(totalReturn(returns)).toBeCloseTo(returns.length === 0 ? 0 : Math.max(0, 1 + sum) - 1, 9);
      }),
    );
  });

  it("max drawdown is the worst fall from any earlier peak (all pairs), within [-1, 0]", () => {
    fc.assert(
      fc.property(series, (returns) => {
        // Brute force over every pair (peak at i ≤ trough at j), the start (equity 1) counting as a peak.
        const points = [1];
        let cumulative = 0;
        for (const r of returns) {
          cumulative += r;
          points.push(Math.max(0, 1 + cumulative));
        }
        let worst = 0;
        for (let i = 0; i < points.length; i++) {
          for (let j = i; j < points.length; j++) {
            if (points[i] > 0) worst = Math.min(worst, points[j] / points[i] - 1);
          }
        }
        const dd = maxDrawdown(returns);
        expect(dd).toBeCloseTo(worst, 9);
        expect(dd).toBeGreaterThanOrEqual(-1);
        expect(dd).toBeLessThanOrEqual(0);
      }),
    );
  });

  it("annualized return is finite or null, null below min_data_points, and has the sign of the total return", () => {
    fc.assert(
      fc.property(series, fc.integer({ min: 1, max: 30 }), (returns, minDataPoints) => {
        const annualized = annualizedReturn(returns, minDataPoints);
        if (returns.length < minDataPoints) {
          expect(annualized).toBeNull();
          return;
        }
        if (annualized === null) return; // overflowed
        expect(Number.isFinite(annualized)).toBe(true);
        const total = totalReturn(returns);
        expect(Math.sign(annualized)).toBe(Math.sign(total));
      }),
    );
  });

  it("a whole metrics record of any series parses as a weight's metrics (no Infinity, no NaN)", () => {
    const wild = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }), { maxLength: 40 });
    fc.assert(
      fc.property(wild, fc.integer({ min: 2, max: 30 }), (returns, minDataPoints) => {
        const m = performanceMetrics(returns, RF, minDataPoints);
        expect(PerformanceMetricsSchema.safeParse(m).success).toBe(true);
      }),
    );
  });

  it("Sharpe with rf 0 is unchanged by scaling the returns by a positive factor or reordering them", () => {
    fc.assert(
      fc.property(fc.array(dailyReturn, { minLength: 2, maxLength: 40 }), fc.double({ min: 0.1, max: 10, noNaN: true }), (returns, scale) => {
        const base = sharpeRatio(returns, 0);
        expect(sharpeRatio(returns.map((r) => r * scale), 0)).toBeCloseTo(base, 6);
        expect(sharpeRatio([...returns].reverse(), 0)).toBeCloseTo(base, 6);
      }),
    );
  });
});

describe("winRate", () => {
  it("is the fraction of days with a strictly positive return", () => {
    expect(winRate(R)).toBeCloseTo(0.6, 12);
    expect(winRate([0, 0, -0.01, 0.01])).toBeCloseTo(0.25, 12);
    expect(winRate([])).toBe(0);
  });
});

describe("performanceMetrics", () => {
  it("assembles every metric and the number of data points", () => {
    const m = performanceMetrics(R, RF);
    expect(m.sharpe_ratio).toBeCloseTo(5.70697, 4);
    expect(m.sortino_ratio).toBeCloseTo(10.2853, 3);
    expect(m.total_return).toBeCloseTo(0.03, 12);
    expect(m.annualized_return).toBeCloseTo(3.43604686, 6);
    expect(m.volatility).toBeCloseTo(0.25793, 5);
    expect(m.max_drawdown).toBeCloseTo(-0.0198019802, 10);
    expect(m.win_rate).toBeCloseTo(0.6, 12);
    expect(m.data_points).toBe(5);
  });

  it("is neutral for no returns", () => {
    expect(performanceMetrics([], RF)).toEqual({
      sharpe_ratio: 0,
      sortino_ratio: null,
      total_return: 0,
      annualized_return: null,
      volatility: 0,
      max_drawdown: 0,
      win_rate: 0,
      data_points: 0,
    });
  });
});
