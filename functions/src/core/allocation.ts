/**
 * Capital allocation: a strategy's performance → its mode and weight.
 * DESIGN.md "Rules of the Maestro" (seed 000 with its defects fixed). Each rule set is an
 * AllocationMethod chosen by `config.allocation_method`, like LEAN's portfolio
 * construction models, so the methods of seeds 003/004 slot in beside `sharpeTiers`.
 */
import type { MaestroConfig, Mode, PerformanceMetrics, Strategy, StrategyWeight } from "../schemas";
import { performanceMetrics, wipedOut } from "./metrics";
import { intervene, type CycleStep } from "./pipeline";

export interface StrategyPerformanceInput {
  strategy_id: string;
  strategy: Strategy;
  /** Daily returns (daily P&L / capital_base), oldest first. */
  daily_returns: number[];
  /** Each trading day's return, for methods that align strategies by day (core/portfolio-allocation.ts). */
  returns_by_day?: Record<string, number>;
  /** How many of those days carry paper P&L (SHADOW_MODE's paper fills); 0 when absent. */
  paper_days?: number;
  period_start: string | null;
  period_end: string | null;
}

export interface ModeDecision {
  mode: Mode;
  weight: number;
  reasoning: string;
}

/** A swappable allocation rule (like QuantConnect LEAN's portfolio construction models), chosen by config.allocation_method. */
export interface AllocationMethod {
  readonly name: "sharpe_tiers";
  decide(strategy: Strategy, metrics: PerformanceMetrics, config: MaestroConfig): ModeDecision;
}

/** DESIGN.md: ACTIVE weight 1, REDUCED weight × reduce_multiplier, SHADOW_MODE and DISABLED 0. */
export function weightForMode(mode: Mode, config: MaestroConfig): number {
  switch (mode) {
    case "ACTIVE":
      return 1;
    case "REDUCED":
      return config.reduce_multiplier;
    case "SHADOW_MODE":
    case "DISABLED":
      return 0;
  }
}

/** DESIGN.md: `manual_mode: DISABLED` (or a strategy switched off) → DISABLED, weight 0, whatever its performance. */
export function manualDecision(strategy: Strategy): ModeDecision | null {
  if (strategy.manual_mode === "DISABLED") {
    const why = strategy.manual_mode_reason ? ` Reason: ${strategy.manual_mode_reason}` : "";
    return { mode: "DISABLED", weight: 0, reasoning: `Manually disabled (manual_mode DISABLED). Allocation 0%.${why}` };
  }
  if (strategy.enabled === false) {
    return { mode: "DISABLED", weight: 0, reasoning: "Strategy switched off (enabled false). Allocation 0%." };
  }
  return null;
}

/** DESIGN.md: fewer than min_data_points days → insufficient_data_mode, with that reason written out. */
export function insufficientDataDecision(dataPoints: number, config: MaestroConfig): ModeDecision {
  const mode = config.insufficient_data_mode;
  const reasoning =
    dataPoints === 0
      ? `No performance data yet (${config.min_data_points} daily returns needed); using insufficient_data_mode ${mode}.`
      : `Only ${dataPoints} of the ${config.min_data_points} daily returns needed; using insufficient_data_mode ${mode}.`;
  return { mode, weight: weightForMode(mode, config), reasoning };
}

/**
 * Seed 000's Sharpe tiers. Unlike the seed's reference code, Sharpe < shadow threshold
 * gets weight 0 (paper only), not full allocation. Boundaries: a Sharpe equal to a
 * threshold is not below it (exactly 1.0 → ACTIVE, exactly 0.5 → REDUCED).
 */
export const sharpeTiers: AllocationMethod = {
  name: "sharpe_tiers",
  decide(strategy, metrics, config) {
    const manual = manualDecision(strategy);
    if (manual) return manual;
    if (metrics.data_points < config.min_data_points) return insufficientDataDecision(metrics.data_points, config);

    const sharpe = metrics.sharpe_ratio;
    const shadow = config.sharpe_threshold_shadow;
    const reduce = config.sharpe_threshold_reduce;
    // A NaN Sharpe compares false against every threshold and would fall through to ACTIVE: fail safe instead.
    if (!Number.isFinite(sharpe)) {
      return { mode: "SHADOW_MODE", weight: 0, reasoning: `Sharpe Ratio could not be computed (${sharpe}). Moving to SHADOW_MODE (paper trading only, allocation 0%).` };
    }
    if (sharpe < shadow) {
      const [s, t] = formatComparison(sharpe, shadow);
      return { mode: "SHADOW_MODE", weight: 0, reasoning: `Sharpe Ratio ${s} < ${t}. Moving to SHADOW_MODE for re-training (paper trading only, allocation 0%).` };
    }
    if (sharpe < reduce) {
      const [s, t] = formatComparison(sharpe, reduce);
      return {
        mode: "REDUCED",
        weight: config.reduce_multiplier,
        reasoning: `Sharpe Ratio ${s} < ${t}. Reducing allocation by ${formatPercent(1 - config.reduce_multiplier)}.`,
      };
    }
    const [s, t] = formatComparison(sharpe, reduce);
    return { mode: "ACTIVE", weight: 1, reasoning: `Sharpe Ratio ${s} >= ${t}. Full allocation maintained.` };
  },
};

/**
 * The per-strategy rule that sets each strategy's mode. Under a portfolio method
 * (config.allocation.method, core/portfolio-allocation.ts) the modes still come from here
 * and the method then splits the desk among the ACTIVE and REDUCED strategies.
 */
export function allocationMethodFor(_config: MaestroConfig): AllocationMethod {
  return sharpeTiers;
}

/**
 * Weights for each strategy from its daily returns. Only the last `lookback_days` returns
 * count (DESIGN.md: Sharpe over the last 30 daily returns), even if more are passed.
 */
export function computeStrategyWeights(
  inputs: readonly StrategyPerformanceInput[],
  config: MaestroConfig,
): Record<string, StrategyWeight> {
  const method = allocationMethodFor(config);
  const weights: Record<string, StrategyWeight> = {};
  for (const input of inputs) {
    if (Object.hasOwn(weights, input.strategy_id)) {
      throw new Error(`computeStrategyWeights: strategy '${input.strategy_id}' appears more than once`);
    }
    const returns = input.daily_returns.slice(-config.lookback_days);
    const metrics = performanceMetrics(returns, config.risk_free_rate, config.min_data_points);
    const paperDays = Math.min(input.paper_days ?? 0, returns.length);
    const decision = withPaperNote(withWipeout(method.decide(input.strategy, metrics, config), metrics), paperDays, returns.length);
    weights[input.strategy_id] = toStrategyWeight(input.strategy_id, input.strategy, metrics, decision, input.period_start, input.period_end, paperDays);
  }
  return weights;
}

/**
 * The weight of a strategy that has no entry in strategy_weights/current (added since the
 * last weight calculation): DISABLED if switched off, else insufficient_data_mode.
 */
export function weightWithoutPerformance(strategyId: string, strategy: Strategy, config: MaestroConfig): StrategyWeight {
  const metrics = performanceMetrics([], config.risk_free_rate, config.min_data_points);
  const decision = manualDecision(strategy) ?? insufficientDataDecision(0, config);
  return toStrategyWeight(strategyId, strategy, metrics, decision, null, null);
}

/**
 * The weight an orchestration cycle applies: the stored weight, or the fallback when there
 * is none. A manual disable takes effect at once: it overrides a stored weight computed
 * before the strategy was switched off (DESIGN.md: manual_mode DISABLED → weight 0).
 */
export function currentWeight(
  strategyId: string,
  strategy: Strategy,
  stored: StrategyWeight | undefined,
  config: MaestroConfig,
): StrategyWeight {
  if (!stored) return weightWithoutPerformance(strategyId, strategy, config);
  const manual = manualDecision(strategy);
  return { ...stored, strategy_id: strategyId, strategy_name: strategy.name, ...(manual ?? {}) };
}

/** A wipeout is named in the reasoning whatever the mode: the lookback's losses used up the whole capital base. */
function withWipeout(decision: ModeDecision, metrics: PerformanceMetrics): ModeDecision {
  if (!wipedOut(metrics)) return decision;
  return { ...decision, reasoning: `${decision.reasoning} Wipeout: losses over the lookback used up the whole capital_base (drawdown -100%).` };
}

/** How much of the record is paper, said in the reasoning (issue 9): a recovered strategy earned its way back on paper. */
function withPaperNote(decision: ModeDecision, paperDays: number, days: number): ModeDecision {
  if (paperDays === 0) return decision;
  return { ...decision, reasoning: `${decision.reasoning} ${paperDays} of the ${days} days are paper trading (SHADOW_MODE fills).` };
}

function toStrategyWeight(
  strategyId: string,
  strategy: Strategy,
  metrics: PerformanceMetrics,
  decision: ModeDecision,
  periodStart: string | null,
  periodEnd: string | null,
  paperDays = 0,
): StrategyWeight {
  return {
    ...metrics,
    paper_days: paperDays,
    strategy_id: strategyId,
    strategy_name: strategy.name,
    weight: decision.weight,
    mode: decision.mode,
    reasoning: decision.reasoning,
    period_start: periodStart,
    period_end: periodEnd,
  };
}

/**
 * Two decimals, as seed 000 writes them; more only where two decimals would print a value
 * and the threshold it is compared with as equal (0.999 < 1.000, not "1.00 < 1.00").
 */
export function formatComparison(value: number, threshold: number): [string, string] {
  for (let digits = 2; digits < 10; digits++) {
    const a = value.toFixed(digits);
    const b = threshold.toFixed(digits);
    if (a !== b || value === threshold) return [a, b];
  }
  return [String(value), String(threshold)];
}

/** 0.5 → "50%", 2/3 → "66.67%". */
export function formatPercent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))}%`;
}

/** What the weights step records when a mode changes a signal's allocation. */
const MODE_CODES = { REDUCED: "REDUCED_ALLOCATION", SHADOW_MODE: "SHADOW_MODE_PAPER_ONLY", DISABLED: "STRATEGY_DISABLED" } as const;

/**
 * The Sharpe weighting as a step of the cycle (config.cycle_steps "weights", always first):
 * allocation = original_allocation × the strategy's weight (seed 000's enriched-signal
 * rule), recorded as an intervention when the mode changes it.
 */
export const weightsStep: CycleStep = {
  name: "weights",
  run(signals, ctx) {
    return {
      signals: signals.map((s) => {
        const w = ctx.weights.get(s.strategy_id)!;
        const allocation = s.allocation * w.weight;
        // ACTIVE under sharpe_tiers is weight 1; under a portfolio method it may be less (its share).
        const code = w.mode === "ACTIVE" ? (w.weight === 1 ? null : "PORTFOLIO_ALLOCATION") : MODE_CODES[w.mode];
        if (code === null || allocation === s.allocation) return { ...s, weight_multiplier: w.weight };
        return intervene(s, "weights", code, w.reasoning, { action: s.action, allocation }, { weight_multiplier: w.weight });
      }),
    };
  },
};
