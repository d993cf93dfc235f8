/**
 * A tenant's daily monitoring counters, `tenants/{t}/metrics/{YYYY-MM-DD}` (seed 000
 * "Key Metrics to Monitor"): orchestration latency, systemic overrides, the distribution
 * of modes, Sharpe decay events, nonce collisions, rejected signals and AI summary sources.
 *
 * Every field has a default, so `DailyMetricsSchema.parse({ tenant_id, day })` is the
 * empty document of a day. The document is updated by the pure functions of
 * core/cycle-metrics.ts inside a Firestore transaction (read, apply, write back).
 *
 * This module imports zod and ./index only, so the pure domain core may use it.
 */
import { z } from "zod";
import { AI_SUMMARY_SOURCES, ModeSchema, TradingDaySchema } from "./index";

/** decay_log keeps the latest this many Sharpe decay events of the day. */
export const DECAY_LOG_LIMIT = 50;

const count = () => z.number({ error: "must be a number" }).int("must be an integer").min(0, "must not be negative");
const finite = () => z.number({ error: "must be a number" }).refine(Number.isFinite, "must be finite");

/**
 * Orchestration latency of the day's cycles. `histogram` is sparse: a bucket appears once
 * it holds a cycle, keyed by its upper bound in ms as a string ("25" … "12800", "inf"); a
 * latency falls in the smallest bucket whose bound is >= it. p50 and p95 are upper bounds
 * with bucket resolution (see histogramPercentile), null while count is 0.
 */
export const LatencyHistogramSchema = z.object({
  histogram: z.record(z.string(), count()).default(() => ({})),
  count: count().default(0),
  /** Sum of the latencies in ms (mean = sum / count). */
  sum: finite().min(0, "must not be negative").default(0),
  /** Largest latency in ms; 0 while count is 0. */
  max: finite().min(0, "must not be negative").default(0),
  p50: finite().nullable().default(null),
  p95: finite().nullable().default(null),
});
export type LatencyHistogram = z.infer<typeof LatencyHistogramSchema>;

/** Strategy-cycles by mode: each cycle adds one per strategy decision. */
export const ModeCountsSchema = z.object({
  ACTIVE: count().default(0),
  REDUCED: count().default(0),
  SHADOW_MODE: count().default(0),
  DISABLED: count().default(0),
});
export type ModeCounts = z.infer<typeof ModeCountsSchema>;

/** A strategy moving down the ladder ACTIVE > REDUCED > SHADOW_MODE between cycles. */
export const DecayEventSchema = z.object({
  strategy_id: z.string(),
  from: ModeSchema,
  to: ModeSchema,
  /** ISO-8601 time of the cycle that observed the move. */
  at: z.string(),
});
export type DecayEvent = z.infer<typeof DecayEventSchema>;

export const SummaryCountsSchema = z.object({
  gemini: count().default(0),
  written: count().default(0),
});
export type SummaryCounts = z.infer<typeof SummaryCountsSchema>;

export const DailyMetricsSchema = z.object({
  tenant_id: z.string(),
  day: TradingDaySchema,
  /** Orchestrations logged that day. */
  cycles: count().default(0),
  latency_ms: LatencyHistogramSchema.prefault({}),
  /** Cycles in which the systemic risk override fired. */
  systemic_overrides: count().default(0),
  /** Signals the override turned from BUY to HOLD. */
  signals_overridden: count().default(0),
  signals_orchestrated: count().default(0),
  signals_rejected: count().default(0),
  modes: ModeCountsSchema.prefault({}),
  /** Each strategy's mode in the latest cycle that decided it, keyed by strategy_id. */
  modes_latest: z.record(z.string(), ModeSchema).default(() => ({})),
  sharpe_decay_events: count().default(0),
  /** The latest DECAY_LOG_LIMIT decay events, oldest first. */
  decay_log: z.array(DecayEventSchema).max(DECAY_LOG_LIMIT, `must hold at most ${DECAY_LOG_LIMIT} events`).default(() => []),
  /** Nonce registrations refused because the nonce was already registered. */
  nonce_collisions: count().default(0),
  /** Audit findings: nonces presented twice or not registered. */
  nonce_findings: count().default(0),
  /** Orchestration log summaries by ai_summary_source. */
  summaries: SummaryCountsSchema.prefault({}),
  /** ISO-8601 time of the latest update; "" until the first one. */
  updated_at: z.string().default(""),
});
export type DailyMetrics = z.infer<typeof DailyMetricsSchema>;

/** The sources counted in `summaries`: OrchestrationLog.ai_summary_source. */
export type SummarySource = (typeof AI_SUMMARY_SOURCES)[number];
