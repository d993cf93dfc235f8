/**
 * strategies, allocations, rebalance: the strategies' metrics, modes and weights
 * (getStrategyWeights), the portfolio allocation's history, and a forced rebalance
 * (rebalanceAllocations, admin).
 */
import type { CommandContext, CommandModule } from "../app";
import { EXIT, usageError } from "../exit-codes";
import { parseWholeNumber } from "../parse";
import { clip, fixed, modeText, pct, signed, table, when, type Palette } from "../format";
import type { AllocationHistoryEntry, GetStrategyWeightsResponse, ListAllocationHistoryResponse, RebalanceAllocationsResponse } from "../../schemas/api";
import type { StrategyWeight } from "../../schemas";

export const SORT_KEYS = ["sharpe", "return", "drawdown", "name", "weight"] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/**
 * Best first: the highest Sharpe, the highest total return, the shallowest drawdown
 * (max_drawdown is ≤ 0, so the greatest), the greatest weight; ties by name.
 */
export function sortStrategies(strategies: readonly StrategyWeight[], key: SortKey): StrategyWeight[] {
  const value = (s: StrategyWeight): number => {
    switch (key) {
      case "sharpe":
        return s.sharpe_ratio;
      case "return":
        return s.total_return;
      case "drawdown":
        return s.max_drawdown;
      case "weight":
        return s.portfolio_weight ?? s.weight;
      case "name":
        return 0;
    }
  };
  return [...strategies].sort((a, b) => value(b) - value(a) || a.strategy_name.localeCompare(b.strategy_name));
}

export async function strategyWeights(ctx: CommandContext): Promise<GetStrategyWeightsResponse> {
  const connection = await ctx.connect();
  const tenantId = ctx.tenant();
  return ctx.out.spin("Reading the weights…", () => connection.call<GetStrategyWeightsResponse>("getStrategyWeights", { tenant_id: tenantId }));
}

function strategiesTable(strategies: readonly StrategyWeight[], detailed: boolean, c: Palette): string {
  const columns = [
    { header: "Strategy" },
    { header: "Mode" },
    { header: "Weight", align: "right" as const },
    { header: "Sharpe", align: "right" as const },
    { header: "Return", align: "right" as const },
    { header: "Max DD", align: "right" as const },
    { header: "Days", align: "right" as const },
    ...(detailed
      ? [
          { header: "Sortino", align: "right" as const },
          { header: "Ann. return", align: "right" as const },
          { header: "Volatility", align: "right" as const },
          { header: "Win rate", align: "right" as const },
          { header: "Paper days", align: "right" as const },
        ]
      : []),
  ];
  const rows = strategies.map((s) => [
    s.strategy_name,
    modeText(s.mode, c),
    fixed(s.weight),
    fixed(s.sharpe_ratio),
    signed(pct(s.total_return), s.total_return, c),
    signed(pct(s.max_drawdown), s.max_drawdown, c),
    String(s.data_points),
    ...(detailed ? [fixed(s.sortino_ratio), pct(s.annualized_return), pct(s.volatility), pct(s.win_rate), String(s.paper_days)] : []),
  ]);
  const lines = [table(columns, rows, c)];
  if (detailed) {
    lines.push("", c.bold("Reasoning"));
    for (const s of strategies) lines.push(`  ${s.strategy_name} (${s.strategy_id}): ${s.reasoning}`);
  }
  return lines.join("\n");
}

/** The portfolio method's rebalances, newest first (listAllocationHistory). */
async function allocationHistory(ctx: CommandContext, limit: number): Promise<ListAllocationHistoryResponse> {
  const connection = await ctx.connect();
  return connection.call<ListAllocationHistoryResponse>("listAllocationHistory", { tenant_id: ctx.tenant(), limit });
}

function historyTable(entries: readonly AllocationHistoryEntry[], c: Palette): string {
  if (entries.length === 0) return "No rebalance recorded yet (the allocation method is sharpe_tiers, or none has run).";
  const rows = entries.map((e) => {
    const ids = [...new Set([...Object.keys(e.before), ...Object.keys(e.after)])].sort();
    const shares = ids.map((id) => `${id} ${pct(e.before[id] ?? 0, 1)}→${pct(e.after[id] ?? 0, 1)}`).join(", ");
    return [when(e.at), e.method, clip(e.by, 24), clip(e.reason, 40), shares];
  });
  return table([{ header: "When" }, { header: "Method" }, { header: "By" }, { header: "Reason" }, { header: "Shares before→after" }], rows, c);
}

export const strategyCommands: CommandModule = (program, action) => {
  program
    .command("strategies")
    .description("each strategy's mode, weight and metrics over the lookback (getStrategyWeights)")
    .option("--sort-by <key>", `sort best first by ${SORT_KEYS.join("|")}`, "sharpe")
    .option("--detailed", "add Sortino, annualised return, volatility, win rate, paper days and the reasoning")
    .action(
      action<{ sortBy: string; detailed?: boolean }>(async (ctx, options) => {
        if (!(SORT_KEYS as readonly string[]).includes(options.sortBy)) throw usageError(`--sort-by: must be one of ${SORT_KEYS.join(", ")} (got ${JSON.stringify(options.sortBy)})`);
        const weights = await strategyWeights(ctx);
        const sorted = sortStrategies(weights.strategies, options.sortBy as SortKey);
        ctx.out.result({ tenant_id: weights.tenant_id, computed_at: weights.computed_at, fresh: weights.fresh, sort_by: options.sortBy, strategies: sorted }, (c) =>
          [
            `Strategies of ${weights.tenant_id} — weights computed ${when(weights.computed_at)}${weights.fresh ? "" : c.yellow(" (stale: the next cycle recomputes)")}, sorted by ${options.sortBy}`,
            strategiesTable(sorted, options.detailed === true, c),
          ].join("\n"),
        );
      }),
    );

  program
    .command("allocations")
    .description("how the desk's capital is split now (getStrategyWeights), or the rebalances over time (--history)")
    .option("--history", "the portfolio method's rebalances, newest first (listAllocationHistory)")
    .option("--limit <n>", "with --history: at most this many", "20")
    .action(
      action<{ history?: boolean; limit: string }>(async (ctx, options) => {
        if (options.history) {
          const limit = parseWholeNumber(options.limit, "--limit", 1, 200);
          const history = await ctx.out.spin("Reading the allocation history…", () => allocationHistory(ctx, limit));
          ctx.out.result(history, (c) =>
            [historyTable(history.entries, c), ...Object.entries(history.malformed).map(([id, why]) => c.yellow(`Left out ${id}: ${why}`))].join("\n"),
          );
          return;
        }
        const weights = await strategyWeights(ctx);
        const method = weights.portfolio?.method ?? "sharpe_tiers";
        const rows = sortStrategies(weights.strategies, "weight").map((s) => {
          const share = weights.portfolio ? weights.portfolio.shares[s.strategy_id] ?? 0 : null;
          return { strategy_id: s.strategy_id, strategy_name: s.strategy_name, mode: s.mode, weight: s.weight, portfolio_share: share, portfolio_weight: s.portfolio_weight ?? null };
        });
        ctx.out.result({ tenant_id: weights.tenant_id, method, computed_at: weights.computed_at, fresh: weights.fresh, portfolio: weights.portfolio, allocations: rows }, (c) =>
          [
            `Allocation of ${weights.tenant_id}: method ${c.bold(method)}, computed ${when(weights.computed_at)}` +
              (weights.portfolio ? `, last rebalanced ${when(weights.portfolio.rebalanced_at)} (${weights.portfolio.rebalance_reason})` : ""),
            table(
              [{ header: "Strategy" }, { header: "Mode" }, { header: "Mode weight", align: "right" }, { header: "Portfolio share", align: "right" }],
              rows.map((r) => [r.strategy_name, modeText(r.mode, c), fixed(r.weight), r.portfolio_share === null ? "–" : pct(r.portfolio_share)]),
              c,
            ),
            weights.portfolio?.fallback ? c.yellow(`Fallback: ${weights.portfolio.fallback.from} → ${weights.portfolio.fallback.to}: ${weights.portfolio.fallback.reason}`) : "",
          ]
            .filter(Boolean)
            .join("\n"),
        );
      }),
    );

  program
    .command("rebalance")
    .description("rebalance the portfolio allocation now, whatever its frequency (rebalanceAllocations, admin)")
    .option("--force", "rebalance without asking (required when not at a terminal)")
    .option("--reason <text>", "why (recorded in allocation_history and admin_actions)", "manual rebalance from the maestro CLI")
    .action(
      action<{ force?: boolean; reason: string }>(async (ctx, options) => {
        const tenantId = ctx.tenant();
        if (!options.force) {
          if (!process.stdin.isTTY || ctx.out.json) throw usageError("rebalance changes the desk's weights: pass --force to do it without a prompt");
          const { createInterface } = await import("node:readline/promises");
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          const answer = await rl.question(`Rebalance the allocation of ${tenantId} now? [y/N] `);
          rl.close();
          if (!/^y(es)?$/i.test(answer.trim())) {
            ctx.out.note("Not rebalanced.");
            return EXIT.OK;
          }
        }
        const connection = await ctx.connect();
        const result = await ctx.out.spin("Rebalancing…", () =>
          connection.call<RebalanceAllocationsResponse>("rebalanceAllocations", { tenant_id: tenantId, reason: options.reason }),
        );
        ctx.out.result(result, (c) =>
          [
            `${c.green("Rebalanced")} ${tenantId} by ${result.portfolio.method} at ${when(result.computed_at)}`,
            table(
              [{ header: "Strategy" }, { header: "Share", align: "right" }, { header: "Weight", align: "right" }],
              Object.keys(result.weights)
                .sort()
                .map((id) => [id, pct(result.portfolio.shares[id] ?? 0), fixed(result.weights[id])]),
              c,
            ),
          ].join("\n"),
        );
        return EXIT.OK;
      }),
    );
};
