/**
 * The numbers the CLI derives from a strategy's daily P&L for people: the equity curve
 * (capital_base + cumulative P&L, DESIGN.md), its drawdown, and the correlation of the
 * strategies' daily P&L. Pure.
 */

export interface DailyPnl {
  day: string;
  daily_pnl: number;
}

/** Running sum: [1, -2, 3] → [1, -1, 2]. */
export function cumulative(values: readonly number[]): number[] {
  let sum = 0;
  return values.map((v) => (sum += v));
}

/**
 * The drawdown of each point of an equity curve from its running peak, as a fraction ≤ 0
 * (DESIGN.md: measured on capital_base + cumulative P&L; equity floors at zero).
 */
export function drawdowns(equity: readonly number[]): number[] {
  let peak = -Infinity;
  return equity.map((raw) => {
    const e = Math.max(0, raw);
    peak = Math.max(peak, e);
    return peak > 0 ? e / peak - 1 : 0;
  });
}

/** The equity curve of a strategy over its days, starting from its capital base. */
export function equityCurve(capitalBase: number, days: readonly DailyPnl[]): number[] {
  return cumulative(days.map((d) => d.daily_pnl)).map((c) => capitalBase + c);
}

export interface CorrelationMatrix {
  ids: string[];
  /** The days the series were aligned on (the union of their days; a day a strategy has none counts 0 P&L). */
  days: number;
  /** Pearson's ρ of the daily P&L; null where a strategy's P&L does not vary (ρ is undefined). */
  matrix: (number | null)[][];
}

/**
 * Pearson correlation of the strategies' daily P&L, aligned by day. P&L over a fixed
 * capital base is a return times a constant, so this is the correlation of their returns.
 */
export function correlationMatrix(series: readonly { id: string; days: readonly DailyPnl[] }[]): CorrelationMatrix {
  const allDays = [...new Set(series.flatMap((s) => s.days.map((d) => d.day)))].sort();
  const aligned = series.map((s) => {
    const byDay = new Map(s.days.map((d) => [d.day, d.daily_pnl]));
    const values = allDays.map((day) => byDay.get(day) ?? 0);
    const mean = values.reduce((a, b) => a + b, 0) / (values.length || 1);
    const centred = values.map((v) => v - mean);
    return { centred, norm: Math.sqrt(centred.reduce((a, b) => a + b * b, 0)) };
  });
  const matrix = aligned.map((x, i) =>
    aligned.map((y, j) => {
      if (x.norm === 0 || y.norm === 0 || allDays.length < 2) return null;
      if (i === j) return 1;
      let dot = 0;
      for (let k = 0; k < x.centred.length; k++) dot += x.centred[k] * y.centred[k];
      return Math.max(-1, Math.min(1, dot / (x.norm * y.norm)));
    }),
  );
  return { ids: series.map((s) => s.id), days: allDays.length, matrix };
}
