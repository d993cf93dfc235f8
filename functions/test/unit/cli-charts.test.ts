import { correlationMatrix, cumulative, drawdowns, equityCurve } from "../../src/cli/analysis";
import { extent, horizontalBars, linearScale, niceTicks, timePolyline } from "../../src/cli/charts";
import { sortStrategies } from "../../src/cli/commands/strategies";
import { strongestPairs } from "../../src/cli/commands/performance";
import type { StrategyWeight } from "../../src/schemas";

describe("chart geometry (PDF coordinates: y grows downwards)", () => {
  const box = { x: 100, y: 50, width: 200, height: 100 };

  test("a series is spread over the box's width, its least value on the bottom edge and its greatest on the top", () => {
    const points = timePolyline([{ t: 0, value: 0 }, { t: 1, value: 5 }, { t: 2, value: 10 }], box, [0, 2], [0, 10]);
    expect(points).toEqual([{ x: 100, y: 150 }, { x: 200, y: 100 }, { x: 300, y: 50 }]);
  });

  test("a negative value sits below zero; a flat domain draws at the middle", () => {
    expect(timePolyline([{ t: 5, value: -5 }], box, [0, 10], [-10, 10])).toEqual([{ x: 200, y: 125 }]);
    expect(linearScale(3, 3, 0, 10)(3)).toBe(5);
  });

  test("ticks are round numbers covering the range", () => {
    expect(niceTicks(0, 10, 6)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(-1234, 5678, 5)).toEqual([-2000, 0, 2000, 4000, 6000]);
    expect(niceTicks(-0.037, 0, 5)).toEqual([-0.04, -0.03, -0.02, -0.01, 0]);
    expect(extent([[1, 5], [-3]], [0])).toEqual([-3, 5]);
  });

  test("bars: the longest for the greatest count, rows a quarter apart", () => {
    const bars = horizontalBars([{ label: "A", value: 4 }, { label: "B", value: 2 }], { x: 0, y: 0, width: 100, height: 40 });
    expect(bars.map((b) => [b.label, b.width, b.y, b.height])).toEqual([
      ["A", 100, 2.5, 15],
      ["B", 50, 22.5, 15],
    ]);
  });
});

describe("the numbers behind the charts", () => {
  test("equity is capital_base + cumulative P&L; drawdown from the running peak", () => {
    expect(cumulative([100, -300, 50])).toEqual([100, -200, -150]);
    const equity = equityCurve(1000, [{ day: "d1", daily_pnl: 100 }, { day: "d2", daily_pnl: -550 }, { day: "d3", daily_pnl: 110 }]);
    expect(equity).toEqual([1100, 550, 660]);
    expect(drawdowns(equity)).toEqual([0, -0.5, -0.4]);
  });

  test("a strategy that loses from its first day has a drawdown from its capital base (seed 000's defect, not repeated)", () => {
    const [start, after] = drawdowns([1000, ...equityCurve(1000, [{ day: "d1", daily_pnl: -100 }])]);
    expect(start).toBe(0);
    expect(after).toBeCloseTo(-0.1, 12);
    // Equity floors at zero: a loss past the capital base is a 100 % drawdown, not more.
    expect(drawdowns(equityCurve(1000, [{ day: "d1", daily_pnl: 500 }, { day: "d2", daily_pnl: -2000 }]))).toEqual([0, -1]);
  });

  test("correlation of daily P&L, aligned by day (a missing day counts 0)", () => {
    const m = correlationMatrix([
      { id: "a", days: [{ day: "1", daily_pnl: 1 }, { day: "2", daily_pnl: 2 }, { day: "3", daily_pnl: 3 }] },
      { id: "b", days: [{ day: "1", daily_pnl: 30 }, { day: "2", daily_pnl: 20 }, { day: "3", daily_pnl: 10 }] },
      { id: "c", days: [{ day: "1", daily_pnl: 5 }, { day: "3", daily_pnl: 5 }] },
      { id: "flat", days: [{ day: "1", daily_pnl: 7 }, { day: "2", daily_pnl: 7 }, { day: "3", daily_pnl: 7 }] },
    ]);
    expect(m.days).toBe(3);
    expect(m.matrix[0][1]).toBeCloseTo(-1, 12);
    // c is (5, 0, 5): centred (5/3, -10/3, 5/3); against a's (-1, 0, 1) the dot product is 0.
    expect(m.matrix[0][2]).toBeCloseTo(0, 12);
    expect(m.matrix[3]).toEqual([null, null, null, null]);
    // b (30, 20, 10) against c (5, 0, 5) is 0 too: a-b, at |ρ| 1, is the strongest pair.
    expect(strongestPairs(m)[0]).toMatchObject({ a: "a", b: "b" });
    expect(strongestPairs(m)).toHaveLength(3);
  });
});

describe("strategies --sort-by: best first", () => {
  const s = (id: string, sharpe: number, total_return: number, max_drawdown: number) =>
    ({ strategy_id: id, strategy_name: id, sharpe_ratio: sharpe, total_return, max_drawdown, weight: 1 }) as StrategyWeight;
  const all = [s("a", 1, 0.05, -0.03), s("b", 2, -0.01, -0.01), s("c", 0.5, 0.1, -0.2)];
  test("by Sharpe, by return, by the shallowest drawdown", () => {
    expect(sortStrategies(all, "sharpe").map((x) => x.strategy_id)).toEqual(["b", "a", "c"]);
    expect(sortStrategies(all, "return").map((x) => x.strategy_id)).toEqual(["c", "a", "b"]);
    expect(sortStrategies(all, "drawdown").map((x) => x.strategy_id)).toEqual(["b", "a", "c"]);
  });
});
