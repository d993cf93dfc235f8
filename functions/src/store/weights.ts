/**
 * Reading, judging and writing a tenant's weights (strategy_weights/current), shared by the
 * weights job, the orchestration cycle (which recomputes stale weights first) and the
 * getStrategyWeights callable.
 *
 * Freshness: every performance write bumps `performance_version` on the weights document;
 * a calculation records the version it started from as `computed_from_version`. Weights
 * are fresh exactly when the two are equal, so a rollup that lands while weights are being
 * computed leaves them stale, and the next cycle recomputes them.
 */
import { createHash } from "node:crypto";
import type { Firestore, QuerySnapshot } from "firebase-admin/firestore";
import { type StrategyPerformanceInput } from "../core/allocation";
import { computeAllocation, type PortfolioRecord } from "../core/portfolio-allocation";
import { correlatedPairs } from "../core/portfolio-risk";
import { raiseAlertSafely } from "./alerts";
import { canonicalJson } from "../core/hash-chain";
import { modeDowngrades, recordDecay } from "../core/cycle-metrics";
import { dailyReturns } from "../core/fifo";
import { withPaperDays } from "../core/paper";
import { nextDay, venueDayStart } from "../core/market-hours";
import {
  StrategySchema,
  StrategyWeightsSchema,
  type MaestroConfig,
  type Strategy,
  type StrategyWeights,
} from "../schemas";
import { logEvent } from "../log-events";
import { IoCount, parseDoc, storable } from "./firestore";
import { metricsDay, updateDailyMetrics } from "./metrics";
import { paths } from "./paths";

export interface StoredWeights {
  weights: StrategyWeights | null;
  performance_version: number;
  fresh: boolean;
}

export async function readStoredWeights(db: Firestore, tenantId: string, io: IoCount): Promise<StoredWeights> {
  const snap = await db.doc(paths.weights(tenantId)).get();
  io.read(snap);
  const version = typeof snap.get("performance_version") === "number" ? (snap.get("performance_version") as number) : 0;
  if (!snap.exists || snap.get("strategies") === undefined) return { weights: null, performance_version: version, fresh: false };
  const parsed = parseDoc(StrategyWeightsSchema, snap);
  if (!parsed.ok) return { weights: null, performance_version: version, fresh: false };
  return { weights: parsed.value, performance_version: version, fresh: parsed.value.computed_from_version === version };
}

/** Identifies the strategy documents (as validated) that weights were computed from. */
export function strategiesFingerprint(strategies: Readonly<Record<string, Strategy>>): string {
  return createHash("sha256").update(canonicalJson(storable(strategies)), "utf8").digest("hex");
}

/**
 * Stored weights may be used as they are only if no performance was written since
 * (versions match) and they were computed under this config and these strategies (a
 * setStrategyMode, or an edit of a strategy document, makes them stale).
 */
export function weightsAreCurrent(stored: StoredWeights, config: MaestroConfig, strategies: Readonly<Record<string, Strategy>>): boolean {
  const w = stored.weights;
  return (
    stored.fresh &&
    w !== null &&
    canonicalJson(w.config_used ?? null) === canonicalJson(storable(config)) &&
    w.strategies_fingerprint === strategiesFingerprint(strategies)
  );
}

/**
 * Computes and stores the weights. The caller passes what it has already read (config,
 * strategies, the performance version) so a cycle that finds its weights stale reads only
 * the performance documents on top.
 */
export async function recalculateWeights(
  db: Firestore,
  tenantId: string,
  input: {
    config: MaestroConfig;
    strategies: Readonly<Record<string, Strategy>>;
    performanceVersion: number;
    now?: Date;
    /** The weights being replaced: a strategy moving down a mode is a Sharpe decay event in the day's metrics. */
    previous?: StrategyWeights | null;
    /** Who or what asked for this calculation, for the allocation history (default "weights calculation"). */
    by?: string;
    /** Set by an admin's forced rebalance: its reason (the portfolio method rebalances now, whatever its frequency). */
    force?: string | null;
  },
  io: IoCount,
): Promise<StrategyWeights> {
  const now = input.now ?? new Date();
  const { config } = input;
  const strategyIds = Object.keys(input.strategies).sort();
  const tz = config.market_hours.time_zone;

  // A portfolio method may look further back than the modes' lookback_days (risk parity: 60 days).
  const methodLookback = "lookback_days" in config.allocation ? config.allocation.lookback_days : 0;
  const daysToRead = Math.max(config.lookback_days, methodLookback);
  const perStrategy = await Promise.all(
    strategyIds.map(async (strategyId): Promise<StrategyPerformanceInput> => {
      // The real days and the paper days (SHADOW_MODE's paper fills), newest daysToRead of each.
      const lastDays = (collection: string) =>
        db.collection(collection).where("strategy_id", "==", strategyId).orderBy("trading_day", "desc").limit(daysToRead).get();
      const [realSnap, paperSnap] = await Promise.all([lastDays(paths.performance(tenantId)), lastDays(paths.paperPerformance(tenantId))]);
      io.read(realSnap);
      io.read(paperSnap);
      const rowsOf = (snap: QuerySnapshot) =>
        snap.docs
          .map((d) => ({ trading_day: d.get("trading_day") as string, daily_pnl: d.get("daily_pnl") as number }))
          .filter((r) => typeof r.trading_day === "string" && Number.isFinite(r.daily_pnl));
      const [real, paper] = [rowsOf(realSnap), rowsOf(paperSnap)];
      const { rows, paper_days } = withPaperDays(real, paper, config.lookback_days);
      const strategy = input.strategies[strategyId];
      const longer = daysToRead > config.lookback_days ? withPaperDays(real, paper, daysToRead).rows : rows;
      return {
        strategy_id: strategyId,
        strategy,
        daily_returns: dailyReturns(rows, strategy.capital_base),
        returns_by_day: Object.fromEntries(longer.map((r) => [r.trading_day, r.daily_pnl / strategy.capital_base])),
        paper_days,
        // The venue's days, as the performance documents are: from the first day's midnight there to the last day's end.
        period_start: rows.length ? venueDayStart(rows[0].trading_day, tz).toISOString() : null,
        period_end: rows.length ? new Date(venueDayStart(nextDay(rows[rows.length - 1].trading_day), tz).getTime() - 1).toISOString() : null,
      };
    }),
  );

  const previousPortfolio = (input.previous?.portfolio ?? null) as PortfolioRecord | null;
  const allocation = computeAllocation(perStrategy, config, now, previousPortfolio, input.force ?? null);
  // The portfolio_risk step reduces entries of strategies correlated with one holding a position: it needs the pairs.
  const pairs = config.cycle_steps.includes("portfolio_risk") ? correlatedPairs(perStrategy, config.lookback_days, config.min_data_points) : undefined;
  const weights: StrategyWeights = {
    tenant_id: tenantId,
    strategies: allocation.strategies,
    portfolio: allocation.portfolio,
    correlated_pairs: pairs ?? null,
    computed_at: now.toISOString(),
    performance_version: input.performanceVersion,
    computed_from_version: input.performanceVersion,
    config_used: storable(config),
    strategies_fingerprint: strategiesFingerprint(input.strategies),
  };
  // mergeFields: replace these fields whole, and never touch performance_version, which
  // rollups bump concurrently.
  await db.doc(paths.weights(tenantId)).set(storable(weights), {
    mergeFields: ["tenant_id", "strategies", "portfolio", "correlated_pairs", "computed_at", "computed_from_version", "config_used", "strategies_fingerprint"],
  });
  io.write();
  // A pair above portfolio_risk.max_strategy_correlation is one bet twice: an alert when it
  // crosses the limit (not on every calculation it stays above; the id keeps one per pair and day).
  const limit = config.portfolio_risk.max_strategy_correlation;
  const wasAbove = new Set((input.previous?.correlated_pairs ?? []).filter((p) => p.rho > limit).map((p) => `${p.a}|${p.b}`));
  const tooClose = (pairs ?? []).filter((p) => p.rho > limit && !wasAbove.has(`${p.a}|${p.b}`));
  for (const p of tooClose.slice(0, 10)) {
    await raiseAlertSafely(db, tenantId, {
      id: `strategy_correlation_${p.a}_${p.b}_${weights.computed_at.slice(0, 10)}`,
      severity: "warning",
      code: "STRATEGY_CORRELATION",
      title: "Strategies too correlated",
      message: `${p.a} and ${p.b} correlate at ρ ${p.rho.toFixed(3)} over ${p.days} days, above portfolio_risk.max_strategy_correlation ${config.portfolio_risk.max_strategy_correlation}: their entries are reduced while either holds a position.`,
      at: weights.computed_at,
    });
  }
  if (allocation.portfolio && allocation.rebalanced) {
    const before = previousPortfolio?.shares ?? {};
    const after = allocation.portfolio.shares;
    if (previousPortfolio === null || canonicalJson(before) !== canonicalJson(after) || previousPortfolio.method !== allocation.portfolio.method) {
      await db.collection(paths.allocationHistory(tenantId)).add(
        storable({
          tenant_id: tenantId,
          at: now.toISOString(),
          by: input.by ?? "weights calculation",
          reason: allocation.portfolio.rebalance_reason,
          method: allocation.portfolio.method,
          before,
          after,
          fallback: allocation.portfolio.fallback,
          notes: allocation.portfolio.notes,
        }),
      );
      io.write();
    }
  }
  if (input.previous) {
    const modesOf = (w: StrategyWeights) => Object.fromEntries(Object.entries(w.strategies).map(([id, x]) => [id, x.mode]));
    const decays = modeDowngrades(modesOf(input.previous), modesOf(weights));
    if (decays.length > 0) {
      await updateDailyMetrics(db, tenantId, metricsDay(weights.computed_at), (m) => recordDecay(m, decays, weights.computed_at));
      io.reads += 1;
      io.write();
      logEvent.sharpeDecay({ tenant_id: tenantId, events: decays });
    }
  }
  logEvent.weightsComputed({
    tenant_id: tenantId,
    strategies: strategyIds.length,
    performance_version: input.performanceVersion,
    modes: Object.fromEntries(Object.entries(weights.strategies).map(([id, w]) => [id, w.mode])),
  });
  return weights;
}

export interface StrategyRead {
  /** Valid strategies by id. */
  strategies: Record<string, Strategy>;
  /** Malformed strategies by id, with the reason naming the field. */
  malformed: Record<string, string>;
  /** Strategy documents whose rejection mark is out of date: set it (a reason) or clear it (null). */
  statusChanges: Record<string, string | null>;
}

export async function readStrategies(db: Firestore, tenantId: string, io: IoCount): Promise<StrategyRead> {
  const snap = await db.collection(paths.strategies(tenantId)).get();
  io.read(snap);
  const read: StrategyRead = { strategies: {}, malformed: {}, statusChanges: {} };
  for (const doc of snap.docs) {
    const parsed = parseDoc(StrategySchema, doc);
    const marked = doc.get("maestro_rejection_reason") ?? null;
    if (parsed.ok) read.strategies[doc.id] = parsed.value;
    else read.malformed[doc.id] = parsed.reason;
    const reason = parsed.ok ? null : parsed.reason;
    if (reason !== marked) read.statusChanges[doc.id] = reason;
  }
  return read;
}
