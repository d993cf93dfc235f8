/**
 * The health check's verdict (issue 11, seed 001 "Error Handling"), pure. Each input is a
 * finding with a tier; the verdict's tier is the worst of them:
 *  - critical → an emergency stop while the trading session's clock is awake
 *    (stages/health.ts), with the code of what called for it:
 *      BROKER_UNREACHABLE  the broker unreachable for `health.broker_down_stop_seconds` (30);
 *      SESSION_LOSS_LIMIT  the risk guardian locked the session for its loss limit, and no
 *                          stop has answered that lock yet (`health.stop_on_session_loss_limit`);
 *      DATA_FEED_FAILURE   the market data older than `health.market_data.failure_seconds`;
 *      PORTFOLIO_DRAWDOWN  equity `risk.max_portfolio_drawdown_pct` below the desk's
 *                          high-water mark (issue 12; the mark: `nextHighWater`);
 *                          (none at all is a warning: a feed not started yet pauses, not stops);
 *  - warning → entries paused (`health.pause_on_warning`): the broker unreachable for less
 *    than that, or reachable but not ready (partial connectivity); the account snapshot
 *    older than `account.max_snapshot_age_seconds` or missing; the market data older than
 *    `health.market_data.stale_seconds`; a stage that failed `health.stage_failures_warning`
 *    times within `health.stage_failure_window_seconds`;
 *  - info → recorded only: a failing alert delivery (an unreachable receiver never stops
 *    trading), the broker's positions differing from Maestro's.
 * A status that timed out counts as down. Each reason names its measure and threshold.
 */
import type { BrokerStatus } from "../broker/adapter";

export type HealthTier = "ok" | "info" | "warning" | "critical";
export type StopCode = "BROKER_UNREACHABLE" | "SESSION_LOSS_LIMIT" | "DATA_FEED_FAILURE" | "PORTFOLIO_DRAWDOWN";

/** A stage's recent failures, as the retried triggers record them (store/health.ts). */
export interface StageFailures {
  /** When each of its last failures happened (ISO), oldest first. */
  at: string[];
  last_reason: string;
}

/** Stages whose failures never pause trading: they are the messengers, not the trading path. */
export const INFO_ONLY_STAGES: readonly string[] = ["onAlertCreated"];

export interface HealthInput {
  now: Date;
  /** null: no broker configured. */
  broker: BrokerStatus | null;
  /** When the broker was first seen down in the current outage (from the previous check); null: it was up. */
  brokerDownSince: string | null;
  brokerDownStopSeconds: number;
  /** Whether the trading session's clock is awake (a stop only matters while it is). */
  sessionAwake: boolean;
  /** The account snapshot's as_of; null: none. */
  snapshotAsOf: string | null;
  maxSnapshotAgeSeconds: number;
  /** The market data's last `as_of`, with its thresholds; absent: market data is not monitored. */
  marketData?: { asOf: string | null; staleSeconds: number; failureSeconds: number };
  /** Each stage's recent failures, with the window and the count that make it failing. */
  stages?: { failures: Record<string, StageFailures>; windowSeconds: number; warningCount: number };
  /** The session's loss-limit lock that no emergency stop has answered yet; null: none. */
  unansweredLossLock?: { reason: string; since: string } | null;
  stopOnLossLimit?: boolean;
  /** Where the broker's positions differ from Maestro's (already described). */
  positionDifferences?: string[];
  /** The desk's equity against its high-water mark (issue 12); absent: not measured. */
  portfolio?: { equity: number; highWater: number; maxDrawdownPct: number };
}

/** The desk's high-water mark of equity, across sessions, as the health check keeps it. */
export interface HighWater {
  value: number;
  /** When it was set: the equity rose to it, or it restarted after a resume. */
  at: string;
}

/**
 * The mark after a reading: it rises with equity; after an emergency stop is resumed (a
 * reconciliation later than the mark) it restarts from the equity now, so the desk is not
 * stopped again at once by the loss that stopped it (LEAN's lesson: reset after the stop).
 * A reading that is not a positive number leaves the mark as it was.
 */
export function nextHighWater(previous: HighWater | null, equity: number | null, now: Date, resumedAt: string | null): HighWater | null {
  if (equity === null || !Number.isFinite(equity) || equity <= 0) return previous;
  if (previous === null) return { value: equity, at: now.toISOString() };
  if (resumedAt !== null && resumedAt > previous.at) return { value: equity, at: now.toISOString() };
  return equity > previous.value ? { value: equity, at: now.toISOString() } : previous;
}

export interface HealthVerdict {
  tier: HealthTier;
  /** The warning and critical findings. */
  reasons: string[];
  /** Findings that are recorded only. */
  info: string[];
  broker_down_since: string | null;
  /** Set when the verdict calls for an emergency stop, with its reason. */
  stop: string | null;
  stop_code: StopCode | null;
  /** Stages failing now (at or past the warning count within the window). */
  failing_stages: string[];
}

const RANK: Record<HealthTier, number> = { ok: 0, info: 1, warning: 2, critical: 3 };

function secondsBetween(later: Date, earlier: string): number {
  return Math.round((later.getTime() - Date.parse(earlier)) / 1000);
}

export function assessHealth(input: HealthInput): HealthVerdict {
  const verdict: HealthVerdict = { tier: "ok", reasons: [], info: [], broker_down_since: null, stop: null, stop_code: null, failing_stages: [] };
  const find = (tier: Exclude<HealthTier, "ok">, reason: string) => {
    if (RANK[tier] > RANK[verdict.tier]) verdict.tier = tier;
    (tier === "info" ? verdict.info : verdict.reasons).push(reason);
  };
  const callStop = (code: StopCode, reason: string) => {
    if (input.sessionAwake && verdict.stop === null) {
      verdict.stop = reason;
      verdict.stop_code = code;
    }
  };

  if (input.broker) {
    if (!input.broker.reachable) {
      const downSince = input.brokerDownSince ?? input.now.toISOString();
      verdict.broker_down_since = downSince;
      const seconds = secondsBetween(input.now, downSince);
      const why = input.broker.problem ? `${input.broker.problem.kind}: ${input.broker.problem.message}` : "no answer";
      if (seconds >= input.brokerDownStopSeconds) {
        find("critical", `broker unreachable for ${seconds} s (since ${downSince}), at or past health.broker_down_stop_seconds ${input.brokerDownStopSeconds}: ${why}`);
        callStop("BROKER_UNREACHABLE", `broker unreachable for ${seconds} s (${why})`);
      } else {
        find("warning", `broker unreachable for ${seconds} s (since ${downSince}; critical at ${input.brokerDownStopSeconds} s): ${why}`);
      }
    } else if (!input.broker.ready) {
      find("warning", `broker reachable but not ready: ${input.broker.problem?.message ?? `connectors without credentials: ${(input.broker.connectors_missing ?? []).join(", ")}`}`);
    }
  }

  if (input.unansweredLossLock && input.stopOnLossLimit !== false) {
    find("critical", `session loss limit breached (locked since ${input.unansweredLossLock.since}): ${input.unansweredLossLock.reason}`);
    callStop("SESSION_LOSS_LIMIT", `session loss limit: ${input.unansweredLossLock.reason}`);
  }

  if (input.marketData) {
    const { asOf, staleSeconds, failureSeconds } = input.marketData;
    if (asOf === null || Number.isNaN(Date.parse(asOf))) {
      // Never seen (a feed not started yet): entries wait; a stop needs a feed that was there and went quiet.
      find("warning", "no market data (tenants/{t}/market_data/latest has no valid as_of): entries wait for the feed");
    } else {
      const age = secondsBetween(input.now, asOf);
      if (age > failureSeconds) {
        find("critical", `market data ${age} s old, more than health.market_data.failure_seconds ${failureSeconds}: the data feed has failed`);
        callStop("DATA_FEED_FAILURE", `data feed failure: market data ${age} s old`);
      } else if (age > staleSeconds) {
        find("warning", `market data ${age} s old, more than health.market_data.stale_seconds ${staleSeconds}`);
      }
    }
  }

  if (input.snapshotAsOf === null) {
    find("warning", "no account snapshot: every BUY is held");
  } else {
    const age = secondsBetween(input.now, input.snapshotAsOf);
    if (age > input.maxSnapshotAgeSeconds) find("warning", `account snapshot ${age} s old, more than account.max_snapshot_age_seconds ${input.maxSnapshotAgeSeconds}: every BUY is held`);
  }

  if (input.stages) {
    const { failures, windowSeconds, warningCount } = input.stages;
    const since = input.now.getTime() - windowSeconds * 1000;
    for (const stage of Object.keys(failures).sort()) {
      const recent = failures[stage].at.filter((at) => {
        const t = Date.parse(at);
        return t > since && t <= input.now.getTime();
      });
      if (recent.length === 0) continue;
      const what = `stage ${stage} failed ${recent.length} time(s) in the last ${windowSeconds} s (last: ${failures[stage].last_reason})`;
      if (INFO_ONLY_STAGES.includes(stage)) find("info", what);
      else if (recent.length >= warningCount) {
        verdict.failing_stages.push(stage);
        find("warning", `${what}, at or past health.stage_failures_warning ${warningCount}`);
      } else find("info", what);
    }
  }

  if (input.portfolio) {
    const { equity, highWater, maxDrawdownPct } = input.portfolio;
    const drawdown = highWater > 0 ? ((highWater - equity) / highWater) * 100 : 0;
    if (drawdown >= maxDrawdownPct) {
      const what = `equity ${equity} is ${drawdown.toFixed(2)} % below the desk's high-water mark ${highWater}, at or past risk.max_portfolio_drawdown_pct ${maxDrawdownPct}`;
      find("critical", what);
      callStop("PORTFOLIO_DRAWDOWN", `portfolio drawdown: ${what}`);
    }
  }

  for (const difference of input.positionDifferences ?? []) find("info", difference);
  return verdict;
}

/**
 * Where the broker's net position per trading pair differs from the sum of Maestro's
 * strategies' positions in the same symbol (a symbol is matched to a pair by name: "BTC-USDT"
 * is both). Pairs only one side holds are listed too; differences within `tolerance` of the
 * larger size are not.
 */
export function positionDifferences(broker: Record<string, number>, maestro: Record<string, number>, tolerance = 1e-9): string[] {
  const out: string[] = [];
  for (const symbol of [...new Set([...Object.keys(broker), ...Object.keys(maestro)])].sort()) {
    const b = broker[symbol] ?? 0;
    const m = maestro[symbol] ?? 0;
    if (Math.abs(b - m) <= tolerance * Math.max(1, Math.abs(b), Math.abs(m))) continue;
    out.push(`position ${symbol}: the broker holds ${b}, Maestro's strategies ${m} (difference ${+(b - m).toPrecision(12)})`);
  }
  return out;
}
