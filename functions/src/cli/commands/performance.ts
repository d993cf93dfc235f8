/**
 * metrics and correlations: each strategy's P&L and metrics over the last N trading days
 * (getStrategyPerformance), and how their daily P&L moves together (the portfolio
 * method's own matrix when it has one, else computed here from the same days).
 */
import type { CommandContext, CommandModule } from "../app";
import { correlationMatrix, cumulative, type CorrelationMatrix } from "../analysis";
import { fixed, modeText, money, pct, signed, sparkline, table, type Palette } from "../format";
import { parsePeriodDays } from "../parse";
import type { GetStrategyPerformanceResponse, GetStrategyWeightsResponse } from "../../schemas/api";

export async function strategyPerformance(ctx: CommandContext, periodDays: number, strategyId?: string): Promise<GetStrategyPerformanceResponse> {
  const connection = await ctx.connect();
  const tenantId = ctx.tenant();
  return ctx.out.spin(`Reading ${periodDays} days of performance…`, () =>
    connection.call<GetStrategyPerformanceResponse>("getStrategyPerformance", { tenant_id: tenantId, period_days: periodDays, ...(strategyId ? { strategy_id: strategyId } : {}) }),
  );
}

function correlationTable(m: CorrelationMatrix, names: Record<string, string>, c: Palette): string {
  const label = (id: string) => names[id] ?? id;
  const cell = (rho: number | null, i: number, j: number) => {
    if (rho === null) return c.dim("–");
    const text = rho.toFixed(2);
    if (i === j) return c.dim(text);
    if (Math.abs(rho) >= 0.7) return c.red(text);
    if (Math.abs(rho) >= 0.5) return c.yellow(text);
    return text;
  };
  return table(
    [{ header: "" }, ...m.ids.map((id, k) => ({ header: `(${k + 1})`, align: "right" as const }))],
    m.ids.map((id, i) => [`(${i + 1}) ${label(id)}`, ...m.matrix[i].map((rho, j) => cell(rho, i, j))]),
    c,
  );
}

/** The pairs, strongest |ρ| first. */
export function strongestPairs(m: CorrelationMatrix): { a: string; b: string; rho: number }[] {
  const pairs: { a: string; b: string; rho: number }[] = [];
  for (let i = 0; i < m.ids.length; i++) {
    for (let j = i + 1; j < m.ids.length; j++) {
      const rho = m.matrix[i][j];
      if (rho !== null) pairs.push({ a: m.ids[i], b: m.ids[j], rho });
    }
  }
  return pairs.sort((p, q) => Math.abs(q.rho) - Math.abs(p.rho) || p.a.localeCompare(q.a) || p.b.localeCompare(q.b));
}

export const performanceCommands: CommandModule = (program, action) => {
  program
    .command("metrics")
    .description("each strategy's P&L, return, Sharpe and drawdown over the last trading days (getStrategyPerformance)")
    .option("--period <days>", "how far back: 7d, 2w, 3m, 1y (trading days with performance)", "7d")
    .option("--strategy <id>", "one strategy only")
    .action(
      action<{ period: string; strategy?: string }>(async (ctx, options) => {
        const periodDays = parsePeriodDays(options.period);
        const perf = await strategyPerformance(ctx, periodDays, options.strategy);
        const rows = perf.strategies.map((s) => ({
          strategy_id: s.strategy_id,
          name: s.name,
          mode: s.mode,
          days: s.days.length,
          pnl: s.cumulative_pnl,
          return: s.capital_base > 0 ? s.cumulative_pnl / s.capital_base : null,
          trades: s.days.reduce((n, d) => n + d.trade_count, 0),
          metrics: s.metrics,
          curve: cumulative(s.days.map((d) => d.daily_pnl)),
        }));
        const total = rows.reduce((sum, r) => sum + r.pnl, 0);
        ctx.out.result({ ...perf, total_pnl: total }, (c) =>
          [
            `Performance of ${perf.tenant_id} over the last ${perf.period_days} trading day(s)`,
            table(
              [
                { header: "Strategy" },
                { header: "Mode" },
                { header: "Days", align: "right" },
                { header: "P&L", align: "right" },
                { header: "Return", align: "right" },
                { header: "Sharpe", align: "right" },
                { header: "Max DD", align: "right" },
                { header: "Win rate", align: "right" },
                { header: "Trades", align: "right" },
                { header: "Cumulative P&L" },
              ],
              rows.map((r) => [
                r.name,
                r.mode ? modeText(r.mode, c) : "–",
                String(r.days),
                signed(money(r.pnl), r.pnl, c),
                signed(pct(r.return), r.return, c),
                fixed(r.metrics.sharpe_ratio),
                signed(pct(r.metrics.max_drawdown), r.metrics.max_drawdown, c),
                pct(r.metrics.win_rate, 0),
                String(r.trades),
                c.cyan(sparkline(r.curve, 30)),
              ]),
              c,
            ),
            `Desk P&L over the period: ${signed(money(total), total, c)}`,
          ].join("\n"),
        );
      }),
    );

  program
    .command("correlations")
    .description("the correlation matrix of the strategies' daily returns (the portfolio method's, else from getStrategyPerformance)")
    .option("--period <days>", "when computed here: how many trading days", "30d")
    .action(
      action<{ period: string }>(async (ctx, options) => {
        const periodDays = parsePeriodDays(options.period);
        const connection = await ctx.connect();
        const tenantId = ctx.tenant();
        const weights = await ctx.out.spin("Reading the weights…", () => connection.call<GetStrategyWeightsResponse>("getStrategyWeights", { tenant_id: tenantId }));
        const names = Object.fromEntries(weights.strategies.map((s) => [s.strategy_id, s.strategy_name]));
        let matrix: CorrelationMatrix;
        let source: string;
        const stored = weights.portfolio?.correlation;
        if (stored && weights.portfolio) {
          const ids = Object.keys(stored).sort();
          matrix = { ids, days: weights.portfolio.days ?? 0, matrix: ids.map((a) => ids.map((b) => stored[a]?.[b] ?? null)) };
          source = `the ${weights.portfolio.method} allocation's, over ${matrix.days} days (rebalanced ${weights.portfolio.rebalanced_at})`;
        } else {
          const perf = await strategyPerformance(ctx, periodDays);
          matrix = correlationMatrix(perf.strategies.map((s) => ({ id: s.strategy_id, days: s.days })));
          source = `computed from daily P&L over the last ${periodDays} trading days (${matrix.days} days aligned; a strategy's missing day counts 0)`;
        }
        const pairs = strongestPairs(matrix);
        ctx.out.result({ tenant_id: tenantId, source, ...matrix, pairs }, (c) =>
          [
            `Correlations of ${tenantId}: ${source}`,
            correlationTable(matrix, names, c),
            pairs.length ? `Strongest: ${pairs.slice(0, 3).map((p) => `${names[p.a] ?? p.a} / ${names[p.b] ?? p.b} ρ ${p.rho.toFixed(2)}`).join("; ")}` : "",
          ]
            .filter(Boolean)
            .join("\n"),
        );
      }),
    );
};
