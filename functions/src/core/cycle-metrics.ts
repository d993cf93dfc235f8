/**
 * A tenant's daily monitoring counters (seed 000 "Key Metrics to Monitor"),
 * `tenants/{t}/metrics/{YYYY-MM-DD}`. The document is updated inside a Firestore
 * transaction: read it, apply one of these functions, write the result back. So every
 * function here is pure and deterministic: no clock (the caller passes `at`), no I/O, and
 * the input is never mutated; each returns a new document sharing no object with its input.
 *
 * One orchestration cycle is recorded as
 *
 *   const events = modeDowngrades(metrics.modes_latest, cycle.modes); // before recordCycle
 *   metrics = recordDecay(recordCycle(metrics, cycle), events, cycle.at);
 *
 * because recordCycle overwrites modes_latest with the cycle's modes.
 */
import { MODES, type Mode } from "../schemas";
import { DailyMetricsSchema, DECAY_LOG_LIMIT, type DailyMetrics, type SummarySource } from "../schemas/metrics";

export { DECAY_LOG_LIMIT };

/** Upper bounds (ms) of the latency buckets, ascending; above the last is the "inf" bucket. */
export const LATENCY_BUCKETS_MS: readonly number[] = Object.freeze([25, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800]);
export const LATENCY_OVERFLOW_BUCKET = "inf";

/** The histogram key of a latency: the smallest bound >= it, else "inf". */
export function latencyBucket(latencyMs: number): string {
  if (!Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new RangeError(`latency must be a finite number of ms >= 0 (got ${latencyMs})`);
  }
  const bound = LATENCY_BUCKETS_MS.find((b) => latencyMs <= b);
  return bound === undefined ? LATENCY_OVERFLOW_BUCKET : String(bound);
}

/**
 * The nearest rank of the p-quantile of `count` samples, ceil(p · count), at least 1.
 * p · count is a float product: 0.07 × 100 = 7.000000000000001 is rank 7, not 8.
 */
function nearestRank(p: number, count: number): number {
  const exact = p * count;
  const nearest = Math.round(exact);
  const rank = Math.abs(exact - nearest) <= 1e-9 * Math.max(1, exact) ? nearest : Math.ceil(exact);
  return Math.max(1, rank);
}

/**
 * The p-quantile (0 < p <= 1) of the latencies in a histogram, by nearest rank: the upper
 * bound of the smallest bucket whose cumulative count reaches ceil(p · count).
 *
 * It is an UPPER BOUND with bucket resolution, not the sample quantile: the true quantile
 * lies in (previous bound, returned bound]. Five latencies [30, 60, 60, 120, 900] give
 * p50 = 100 and p95 = 1600 though no cycle took 1600 ms. The "inf" bucket has no bound, so
 * a quantile falling there is `max`, the largest latency recorded (exact there).
 *
 * Buckets are walked in LATENCY_BUCKETS_MS order; keys that are no bucket are ignored,
 * and if the buckets hold fewer than `count` samples the quantile is `max`.
 * null when count is 0.
 */
export function histogramPercentile(
  histogram: Readonly<Record<string, number>>,
  count: number,
  p: number,
  max: number,
): number | null {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be an integer >= 0 (got ${count})`);
  if (!(p > 0 && p <= 1)) throw new RangeError(`p must be within (0, 1] (got ${p})`);
  if (count === 0) return null;
  const rank = nearestRank(p, count);
  let cumulative = 0;
  for (const bound of LATENCY_BUCKETS_MS) {
    const key = String(bound);
    cumulative += Object.hasOwn(histogram, key) ? histogram[key] : 0;
    if (cumulative >= rank) return bound;
  }
  return max;
}

/** What one orchestration cycle contributes to the day's metrics. */
export interface CycleObservation {
  /** Wall time of the orchestration, ms. */
  latency_ms: number;
  /** The systemic risk override fired in this cycle. */
  systemic_override: boolean;
  /** Signals the override turned from BUY to HOLD. */
  signals_overridden: number;
  signals_orchestrated: number;
  signals_rejected: number;
  /** The mode decided for each strategy in this cycle, keyed by strategy_id. */
  modes: Readonly<Record<string, Mode>>;
  summary_source: SummarySource;
  /** ISO-8601 time of the cycle; becomes updated_at. */
  at: string;
}

/** A strategy's mode change between two cycles. */
export interface ModeChange {
  strategy_id: string;
  from: Mode;
  to: Mode;
}

export type NonceFindingKind = "collision" | "finding";

/** The empty document of a tenant's day; throws a ZodError if `day` is not YYYY-MM-DD. */
export function emptyMetrics(tenant_id: string, day: string): DailyMetrics {
  return DailyMetricsSchema.parse({ tenant_id, day });
}

/**
 * Adds one orchestration cycle: cycles, latency (histogram, count, sum, max, p50, p95),
 * systemic overrides, signal counts, one strategy-cycle per decided mode, the summary's
 * source, updated_at = cycle.at. modes_latest takes the cycle's modes over the previous
 * ones (a strategy absent from this cycle keeps its latest mode).
 */
export function recordCycle(metrics: DailyMetrics, cycle: CycleObservation): DailyMetrics {
  const bucket = latencyBucket(cycle.latency_ms);
  for (const field of ["signals_overridden", "signals_orchestrated", "signals_rejected"] as const) {
    const n = cycle[field];
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${field} must be an integer >= 0 (got ${n})`);
  }
  if (cycle.signals_overridden > 0 && !cycle.systemic_override) {
    throw new RangeError(`signals_overridden is ${cycle.signals_overridden} but the systemic override did not fire`);
  }
  for (const [strategyId, mode] of Object.entries(cycle.modes)) {
    if (!MODES.includes(mode)) throw new RangeError(`strategy ${strategyId}: unknown mode ${JSON.stringify(mode)}`);
  }

  const next = copy(metrics);
  const latency = next.latency_ms;
  latency.histogram[bucket] = (Object.hasOwn(latency.histogram, bucket) ? latency.histogram[bucket] : 0) + 1;
  latency.count += 1;
  latency.sum += cycle.latency_ms;
  latency.max = Math.max(latency.max, cycle.latency_ms);
  latency.p50 = histogramPercentile(latency.histogram, latency.count, 0.5, latency.max);
  latency.p95 = histogramPercentile(latency.histogram, latency.count, 0.95, latency.max);

  next.cycles += 1;
  if (cycle.systemic_override) next.systemic_overrides += 1;
  next.signals_overridden += cycle.signals_overridden;
  next.signals_orchestrated += cycle.signals_orchestrated;
  next.signals_rejected += cycle.signals_rejected;
  for (const mode of Object.values(cycle.modes)) next.modes[mode] += 1;
  next.modes_latest = { ...next.modes_latest, ...cycle.modes };
  next.summaries[cycle.summary_source] += 1;
  next.updated_at = cycle.at;
  return next;
}

/** The performance ladder, best first; DISABLED is a manual switch, not on it. */
const LADDER: readonly Mode[] = ["ACTIVE", "REDUCED", "SHADOW_MODE"];

/**
 * Sharpe decay: a move down the ladder ACTIVE > REDUCED > SHADOW_MODE (ACTIVE→REDUCED,
 * ACTIVE→SHADOW_MODE, REDUCED→SHADOW_MODE). Moves to or from DISABLED are manual.
 */
export function isSharpeDecay(from: Mode, to: Mode): boolean {
  const a = LADDER.indexOf(from);
  const b = LADDER.indexOf(to);
  return a >= 0 && b >= 0 && b > a;
}

/**
 * The Sharpe decay events between two cycles' modes (strategy_id → mode), sorted by
 * strategy_id (code-unit order). A strategy new in `next` has no previous mode and
 * one missing from `next` made no move: neither is decay.
 */
export function modeDowngrades(
  previous: Readonly<Record<string, Mode>>,
  next: Readonly<Record<string, Mode>>,
): ModeChange[] {
  const out: ModeChange[] = [];
  for (const [strategyId, to] of Object.entries(next)) {
    if (!Object.hasOwn(previous, strategyId)) continue;
    const from = previous[strategyId];
    if (isSharpeDecay(from, to)) out.push({ strategy_id: strategyId, from, to });
  }
  return out.sort((x, y) => (x.strategy_id < y.strategy_id ? -1 : x.strategy_id > y.strategy_id ? 1 : 0));
}

/**
 * Counts the decay events and appends them, stamped `at`, to decay_log, which keeps the
 * latest DECAY_LOG_LIMIT (oldest dropped first). Throws a RangeError for an event that
 * is not a move down the ladder. No events: the document is returned unchanged (a copy).
 */
export function recordDecay(metrics: DailyMetrics, events: readonly ModeChange[], at: string): DailyMetrics {
  for (const e of events) {
    if (!isSharpeDecay(e.from, e.to)) {
      throw new RangeError(`strategy ${e.strategy_id}: ${e.from} → ${e.to} is not a Sharpe decay`);
    }
  }
  const next = copy(metrics);
  if (events.length === 0) return next;
  next.sharpe_decay_events += events.length;
  const appended = events.map((e) => ({ strategy_id: e.strategy_id, from: e.from, to: e.to, at }));
  next.decay_log = [...next.decay_log, ...appended].slice(-DECAY_LOG_LIMIT);
  next.updated_at = at;
  return next;
}

/**
 * Counts one nonce problem: "collision", a nonce registration refused because the nonce
 * was already registered; "finding", an audit finding (a nonce presented twice or unknown).
 */
export function recordNonceFinding(metrics: DailyMetrics, kind: NonceFindingKind, at: string): DailyMetrics {
  const next = copy(metrics);
  if (kind === "collision") next.nonce_collisions += 1;
  else if (kind === "finding") next.nonce_findings += 1;
  else throw new RangeError(`unknown nonce finding kind ${JSON.stringify(kind)}`);
  next.updated_at = at;
  return next;
}

/** A copy sharing no object with the input (which may be frozen). */
function copy(m: DailyMetrics): DailyMetrics {
  return {
    ...m,
    latency_ms: { ...m.latency_ms, histogram: { ...m.latency_ms.histogram } },
    modes: { ...m.modes },
    modes_latest: { ...m.modes_latest },
    decay_log: m.decay_log.map((e) => ({ ...e })),
    summaries: { ...m.summaries },
  };
}
