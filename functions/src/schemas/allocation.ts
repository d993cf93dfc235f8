/**
 * The `allocation` config block (issue 12, seed 004's allocation methods): which method
 * turns the strategies' returns and metrics into portfolio weights, its parameters, and
 * the clamps every method shares. A discriminated union on `method`, so each method
 * carries only its own parameters and a misspelt one is refused by name.
 *
 * Not yet part of MaestroConfigSchema: wiring it in (and into the cycle) is a later step
 * of issue 12. Like ./index, this module imports zod only, so the pure core may use it.
 */
import { z } from "zod";

export const ALLOCATION_METHOD_NAMES = ["sharpe_tiers", "equal_weight", "performance_based", "risk_parity", "custom"] as const;
export type AllocationMethodName = (typeof ALLOCATION_METHOD_NAMES)[number];

export const PERFORMANCE_METRICS = ["sharpe_ratio", "total_return", "win_rate"] as const;
export type PerformanceMetricName = (typeof PERFORMANCE_METRICS)[number];

export const REBALANCE_FREQUENCIES = ["every_cycle", "daily", "weekly"] as const;

const quoted = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(", ");

const fraction = () =>
  z.number({ error: "must be a number" }).min(0, "must be within [0, 1]").max(1, "must be within [0, 1]");

const lookbackDays = (days: number) =>
  z.number({ error: "must be a number" }).int("must be a whole number").min(2, "must be at least 2").max(365, "must be at most 365").default(days);

/** The fields every method shares: the clamps applied after the method, and how often weights may change. */
const common = {
  /** Least weight a strategy the method allocates to may get (one it gives 0 keeps 0). */
  min_allocation: fraction().default(0),
  /** Most weight any strategy may get; the excess is shared among the others (core/allocation-methods.ts). */
  max_allocation: fraction().default(1),
  /** Weights change only at a rebalance (or when a mode changes). */
  rebalance_frequency: z.enum(REBALANCE_FREQUENCIES, { error: `must be one of ${quoted(REBALANCE_FREQUENCIES)}` }).default("every_cycle"),
};

/** Seed 000's Sharpe tiers, each strategy on its own (core/allocation.ts); the default. */
const SharpeTiersSchema = z.object({ method: z.literal("sharpe_tiers"), ...common }).strict();

/** 1/n over the eligible strategies. */
const EqualWeightSchema = z.object({ method: z.literal("equal_weight"), ...common }).strict();

/** Weights proportional to a performance metric over the last `lookback_days`; a metric ≤ 0 gets 0. */
const PerformanceBasedSchema = z
  .object({
    method: z.literal("performance_based"),
    metric: z.enum(PERFORMANCE_METRICS, { error: `must be one of ${quoted(PERFORMANCE_METRICS)}` }).default("sharpe_ratio"),
    lookback_days: lookbackDays(30),
    ...common,
  })
  .strict();

/** Equal risk contribution from the sample covariance of daily returns over `lookback_days`. */
const RiskParitySchema = z
  .object({
    method: z.literal("risk_parity"),
    lookback_days: lookbackDays(60),
    max_iterations: z
      .number({ error: "must be a number" })
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(10_000, "must be at most 10000")
      .default(100),
    /** Largest accepted gap between a strategy's share of portfolio variance and 1/n. */
    tolerance: z.number({ error: "must be a number" }).gt(0, "must be greater than 0").lt(1, "must be less than 1").default(1e-10),
    ...common,
  })
  .strict();

/** Weights proportional to each strategy's `allocation_weight`. */
const CustomSchema = z.object({ method: z.literal("custom"), ...common }).strict();

export const AllocationConfigSchema = z
  .discriminatedUnion("method", [SharpeTiersSchema, EqualWeightSchema, PerformanceBasedSchema, RiskParitySchema, CustomSchema], {
    error: `must be one of ${quoted(ALLOCATION_METHOD_NAMES)}`,
  })
  .superRefine((c, ctx) => {
    if (c.min_allocation > c.max_allocation) {
      ctx.addIssue({
        code: "custom",
        path: ["min_allocation"],
        message: `must not exceed max_allocation (min_allocation ${c.min_allocation} > max_allocation ${c.max_allocation})`,
      });
    }
  });
export type AllocationConfig = z.infer<typeof AllocationConfigSchema>;

export const DEFAULT_ALLOCATION_CONFIG: AllocationConfig = AllocationConfigSchema.parse({ method: "sharpe_tiers" });
