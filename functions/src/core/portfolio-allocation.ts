/**
 * The tenant's weights with a portfolio allocation method (issue 12, seed 004), pure.
 *
 * Two layers, in order:
 *  1. Modes, as ever (core/allocation.ts, seed 000's Sharpe tiers): each strategy's mode
 *     from its own Sharpe over `lookback_days`. SHADOW_MODE and DISABLED get 0 whatever
 *     the method says.
 *  2. Shares (config.allocation.method ≠ sharpe_tiers): the ACTIVE and REDUCED strategies
 *     split the desk by the method (core/allocation-methods.ts) over the method's own
 *     lookback, on returns aligned by trading day (a day a strategy has no performance
 *     document is a 0 return for it: no trade, no open position).
 *
 * A share is a fraction of the desk's capital; a signal's allocation is a fraction of its
 * strategy's capital_base. The weight the cycle multiplies a signal's allocation by is
 * the strategy's allocated capital over its capital base, scaled so the strategy the method
 * gives the most capital per unit of its base trades at its full base:
 *
 *     weight_i = (share_i / capital_base_i) / max_j (share_j / capital_base_j)   (× reduce_multiplier when REDUCED)
 *
 * so the ratios of capital between strategies are the method's, and no method ever sizes
 * a strategy above its own capital base (equal weight with equal bases is weight 1 for
 * everyone, as ACTIVE is under sharpe_tiers).
 *
 * Rebalancing (`allocation.rebalance_frequency`): shares change only at a rebalance —
 * every calculation (`every_cycle`), the first calculation of a new venue day (`daily`) or
 * ISO week (`weekly`) — or when something a rebalance depends on changed: the set of
 * eligible strategies (a mode change), the allocation config, or a forced rebalance. In
 * between, the last shares are kept and only the modes and metrics move.
 */
import type { MaestroConfig, Mode, StrategyWeight } from "../schemas";
import type { AllocationConfig } from "../schemas/allocation";
import { canonicalJson } from "./hash-chain";
import { computeStrategyWeights, formatPercent, type StrategyPerformanceInput } from "./allocation";
import { allocatePortfolio, type AllocationCandidate, type AllocationFallback, type StrategyMatrix } from "./allocation-methods";
import { localClock } from "./market-hours";
import { performanceMetrics } from "./metrics";

/** What a rebalance decided, kept with the weights (and in the allocation history). */
export interface PortfolioRecord {
  method: Exclude<AllocationConfig["method"], "sharpe_tiers">;
  /** The allocation config the shares were computed under (canonical JSON). */
  config_key: string;
  /** Each strategy's share of the desk, in [0, 1], summing to at most 1. */
  shares: Record<string, number>;
  /** The strategies that took part (ACTIVE or REDUCED at the rebalance). */
  eligible: string[];
  reasoning: Record<string, string>;
  fallback: AllocationFallback | null;
  iterations: number | null;
  /** Days of aligned returns behind the shares; null for methods without a lookback. */
  days: number | null;
  /** Strategy correlation over those days (null for a pair with a zero-variance strategy). */
  correlation: StrategyMatrix<number | null> | null;
  notes: string[];
  rebalanced_at: string;
  rebalance_reason: string;
}

export interface AllocationResult {
  strategies: Record<string, StrategyWeight>;
  /** null under sharpe_tiers. */
  portfolio: PortfolioRecord | null;
  /** Whether the shares were computed anew now (false: the last rebalance's shares were kept). */
  rebalanced: boolean;
}

/** Whether a scheduled rebalance is due at `now` after one at `last` (venue-local days and ISO weeks). */
export function rebalanceDue(frequency: AllocationConfig["rebalance_frequency"], last: string | null, now: Date, timeZone: string): boolean {
  if (frequency === "every_cycle" || last === null) return true;
  const then = localClock(new Date(last), timeZone).date;
  const today = localClock(now, timeZone).date;
  if (frequency === "daily") return today !== then;
  return isoWeek(today) !== isoWeek(then);
}

/** "YYYY-Www" of a YYYY-MM-DD date (ISO 8601: weeks start on Monday; week 1 holds the first Thursday). */
export function isoWeek(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  const weekday = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - weekday); // the Thursday of this week
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

/**
 * Returns aligned by trading day: the last `lookback` days any of `inputs` has, each
 * strategy's return that day or 0 when it has none.
 */
export function alignedReturns(inputs: readonly StrategyPerformanceInput[], lookback: number): { days: string[]; returns: Record<string, number[]> } {
  const all = new Set<string>();
  for (const i of inputs) for (const day of Object.keys(i.returns_by_day ?? {})) all.add(day);
  const days = [...all].sort().slice(-lookback);
  const returns: Record<string, number[]> = {};
  for (const i of inputs) returns[i.strategy_id] = days.map((d) => i.returns_by_day?.[d] ?? 0);
  return { days, returns };
}

const eligibleMode = (mode: Mode) => mode === "ACTIVE" || mode === "REDUCED";

/**
 * The weights under `config.allocation`. `previous` is the last rebalance (null: none);
 * `force` names who forced a rebalance now (an admin's request), else null.
 */
export function computeAllocation(
  inputs: readonly StrategyPerformanceInput[],
  config: MaestroConfig,
  now: Date,
  previous: PortfolioRecord | null,
  force: string | null = null,
): AllocationResult {
  const tiers = computeStrategyWeights(inputs, config);
  const allocation = config.allocation;
  if (allocation.method === "sharpe_tiers") return { strategies: tiers, portfolio: null, rebalanced: false };

  const ids = inputs.map((i) => i.strategy_id);
  const eligible = ids.filter((id) => eligibleMode(tiers[id].mode)).sort();
  const isEligible = new Set(eligible);
  const configKey = canonicalJson(allocation);
  const reasonToRebalance =
    force !== null
      ? `forced: ${force}`
      : previous === null
        ? "first allocation"
        : previous.config_key !== configKey
          ? "the allocation config changed"
          : canonicalJson(previous.eligible) !== canonicalJson(eligible)
            ? `the eligible strategies changed (${describeChange(previous.eligible, eligible)})`
            : rebalanceDue(allocation.rebalance_frequency, previous.rebalanced_at, now, config.market_hours.time_zone)
              ? `scheduled (${allocation.rebalance_frequency})`
              : null;

  let portfolio: PortfolioRecord;
  if (reasonToRebalance === null && previous !== null) {
    portfolio = previous;
  } else {
    const lookback = "lookback_days" in allocation ? allocation.lookback_days : config.lookback_days;
    const aligned = alignedReturns(inputs, lookback);
    const candidates: AllocationCandidate[] = inputs.map((i) => {
      const returns = aligned.returns[i.strategy_id];
      const m = performanceMetrics(returns, config.risk_free_rate, config.min_data_points);
      return {
        strategy_id: i.strategy_id,
        daily_returns: returns,
        metrics: { sharpe_ratio: m.sharpe_ratio, total_return: m.total_return, win_rate: m.win_rate },
        allocation_weight: i.strategy.allocation_weight ?? null,
        eligible: isEligible.has(i.strategy_id),
      };
    });
    const result = allocatePortfolio(candidates, allocation);
    portfolio = {
      method: allocation.method,
      config_key: configKey,
      shares: result.weights,
      eligible,
      reasoning: result.reasoning,
      fallback: result.fallback,
      iterations: result.iterations ?? null,
      days: result.days,
      correlation: result.correlation,
      notes: result.notes,
      rebalanced_at: now.toISOString(),
      rebalance_reason: reasonToRebalance ?? "scheduled",
    };
  }

  // Capital per unit of capital base, relative to the best-served strategy.
  const base = new Map(inputs.map((i) => [i.strategy_id, i.strategy.capital_base]));
  const perBase = (id: string) => (portfolio.shares[id] ?? 0) / base.get(id)!;
  const top = Math.max(0, ...eligible.map(perBase));
  const strategies: Record<string, StrategyWeight> = {};
  for (const id of ids) {
    const tier = tiers[id];
    const share = isEligible.has(id) ? (portfolio.shares[id] ?? 0) : 0;
    if (!eligibleMode(tier.mode)) {
      strategies[id] = { ...tier, portfolio_weight: 0 };
      continue;
    }
    const relative = top > 0 ? perBase(id) / top : 0;
    const weight = tier.mode === "REDUCED" ? relative * config.reduce_multiplier : relative;
    const kept = reasonToRebalance === null ? ` Shares kept from the rebalance of ${portfolio.rebalanced_at} (${allocation.rebalance_frequency}).` : "";
    const reduced = tier.mode === "REDUCED" ? ` × reduce_multiplier ${config.reduce_multiplier} (REDUCED)` : "";
    strategies[id] = {
      ...tier,
      weight,
      portfolio_weight: share,
      reasoning:
        `${tier.reasoning} Portfolio (${allocation.method}): ${portfolio.reasoning[id] ?? "no share recorded"}${kept} ` +
        `Share ${formatPercent(share)} of the desk → signal weight ${weight.toFixed(4)} (capital per unit of capital_base relative to the best-served strategy${reduced}).`,
    };
  }
  return { strategies, portfolio, rebalanced: reasonToRebalance !== null || previous === null };
}

function describeChange(before: readonly string[], after: readonly string[]): string {
  const joined = after.filter((id) => !before.includes(id));
  const left = before.filter((id) => !after.includes(id));
  return [joined.length ? `joined: ${joined.join(", ")}` : "", left.length ? `left: ${left.join(", ")}` : ""].filter(Boolean).join("; ");
}
