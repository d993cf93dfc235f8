/**
 * Every Firestore path Maestro uses (DESIGN.md, "Firestore contract"). No other module
 * assembles a path string.
 */

/** Trigger patterns, in the syntax of firebase-functions' document paths. */
export const triggerPaths = {
  ledgerTrade: "tenants/{tenantId}/ledger_trades/{tradeId}",
  paperTrade: "tenants/{tenantId}/paper_trades/{tradeId}",
  dailyMarks: "tenants/{tenantId}/daily_marks/{day}",
  rollupRun: "tenants/{tenantId}/rollup_runs/{runId}",
  orchestration: "tenants/{tenantId}/orchestrations/{sessionId}",
  orchestrationLog: "systemStatus/orchestration_logs/logs/{logId}",
  alert: "tenants/{tenantId}/alerts/{alertId}",
} as const;

export const paths = {
  tenants: () => "tenants",
  tenant: (t: string) => `tenants/${t}`,
  config: (t: string) => `tenants/${t}/config/maestro`,
  /** The last config that passed validation, used when the current one is rejected. */
  lastValidConfig: (t: string) => `tenants/${t}/config/maestro_last_valid`,
  member: (t: string, uid: string) => `tenants/${t}/members/${uid}`,
  /** Earlier versions of the config, by version number (updateMaestroConfig keeps them). */
  configHistory: (t: string, version: number) => `tenants/${t}/config_history/${String(version).padStart(6, "0")}`,
  /** Audit trail of admin actions through the client API (mode changes, config updates). */
  adminActions: (t: string) => `tenants/${t}/admin_actions`,
  /** Per-user call history for the client API's rate limits. */
  rateLimit: (t: string, uid: string) => `tenants/${t}/rate_limits/${uid}`,
  strategies: (t: string) => `tenants/${t}/strategies`,
  strategy: (t: string, s: string) => `tenants/${t}/strategies/${s}`,
  ledgerTrades: (t: string) => `tenants/${t}/ledger_trades`,
  ledgerTrade: (t: string, id: string) => `tenants/${t}/ledger_trades/${id}`,
  dailyMarks: (t: string) => `tenants/${t}/daily_marks`,
  dailyMark: (t: string, day: string) => `tenants/${t}/daily_marks/${day}`,
  performance: (t: string) => `tenants/${t}/strategy_performance`,
  performanceDay: (t: string, s: string, day: string) => `tenants/${t}/strategy_performance/${s}_${day}`,
  /** Per-strategy rollup bookkeeping: what is dirty, the runner scheduled or running, commits (store/rollup-state.ts). */
  rollupState: (t: string, s: string) => `tenants/${t}/rollup_state/${s}`,
  /** Shadow strategies' paper fills (issue 9), their daily performance and rollup state. */
  paperTrades: (t: string) => `tenants/${t}/paper_trades`,
  paperTrade: (t: string, id: string) => `tenants/${t}/paper_trades/${id}`,
  paperPerformance: (t: string) => `tenants/${t}/paper_performance`,
  paperPerformanceDay: (t: string, s: string, day: string) => `tenants/${t}/paper_performance/${s}_${day}`,
  paperRollupStates: (t: string) => `tenants/${t}/paper_rollup_state`,
  paperRollupState: (t: string, s: string) => `tenants/${t}/paper_rollup_state/${s}`,
  /** One scheduled rollup runner: created with the schedule (its creation starts the runner), then its outcome. */
  rollupRun: (t: string, runId: string) => `tenants/${t}/rollup_runs/${runId}`,
  weights: (t: string) => `tenants/${t}/strategy_weights/current`,
  /** The arbitration bandit's learned factor weights (issue 12, store/arbitration.ts). */
  arbitrationState: (t: string) => `tenants/${t}/arbitration/state`,
  /** One arbitration won, by the winner's nonce: awaiting its trade's outcome, then learned (or expired). */
  arbitrations: (t: string) => `tenants/${t}/arbitrations`,
  arbitration: (t: string, nonce: string) => `tenants/${t}/arbitrations/${nonce}`,
  /** Every rebalance of a portfolio allocation method: who or what, why, the shares before and after (issue 12). */
  allocationHistory: (t: string) => `tenants/${t}/allocation_history`,
  signals: (t: string) => `tenants/${t}/signals`,
  signal: (t: string, id: string) => `tenants/${t}/signals/${id}`,
  orchestrations: (t: string) => `tenants/${t}/orchestrations`,
  orchestration: (t: string, sessionId: string) => `tenants/${t}/orchestrations/${sessionId}`,
  /** A cycle's recorded inputs by the sha256 of their canonical JSON (issue 13, replay; schemas/replay.ts). */
  orchestrationInputs: (t: string, sha256: string) => `tenants/${t}/orchestration_inputs/${sha256}`,
  /** Part n ≥ 1 of recorded inputs too large for one document. */
  orchestrationInputsPart: (t: string, sha256: string, part: number) => `tenants/${t}/orchestration_inputs/${sha256}/parts/${part}`,
  /** Equity and buying power, written by the execution side. */
  accountSnapshot: (t: string) => `tenants/${t}/account/snapshot`,
  /** The broker's positions as the health check last listed them (issue 11: synced where a broker is configured). */
  accountPositions: (t: string) => `tenants/${t}/account/positions`,
  /** The market data side's heartbeat {as_of, prices?}: its age is the health check's market-data freshness. */
  marketData: (t: string) => `tenants/${t}/market_data/latest`,
  /** The health check's latest verdict, its history, and the stages' recent failures (store/health.ts). */
  healthCurrent: (t: string) => `tenants/${t}/health/current`,
  healthStages: (t: string) => `tenants/${t}/health/stages`,
  healthHistory: (t: string, checkedAt: string) => `tenants/${t}/health_history/${checkedAt}`,
  /** Each strategy's open position per symbol as the latest rollup left it (issue 10: entries vs exits). */
  positions: (t: string) => `tenants/${t}/positions/current`,
  /** Notional Maestro has let through against the current snapshot (double-spend guard). */
  buyingPowerReservation: (t: string) => `tenants/${t}/account/maestro_reservations`,
  /** One trading session per venue day (issue 10, TradingSessionSchema). */
  tradingSessions: (t: string) => `tenants/${t}/trading_sessions`,
  tradingSession: (t: string, day: string) => `tenants/${t}/trading_sessions/${day}`,
  /** Alerts raised for the tenant and their deliveries (stages/alerts.ts). */
  alert: (t: string, id: string) => `tenants/${t}/alerts/${id}`,
  /** Daily monitoring counters (DailyMetricsSchema). */
  metrics: (t: string, day: string) => `tenants/${t}/metrics/${day}`,
  /** Problems the monitors found: an orchestration without its log, a nonce presented twice. */
  finding: (t: string, id: string) => `tenants/${t}/findings/${id}`,
  findings: (t: string) => `tenants/${t}/findings`,
  nonce: (t: string, nonce: string) => `tenants/${t}/nonces/${nonce}`,
  logChainHead: (t: string) => `tenants/${t}/log_chain/head`,
  /** Outcome of the latest scheduled whole-chain verification (ChainVerificationStatusSchema). */
  logChainVerification: (t: string) => `tenants/${t}/log_chain/verification`,
  audits: (t: string) => `tenants/${t}/audits`,
  audit: (t: string, logId: string) => `tenants/${t}/audits/${logId}`,
  /** Messages Maestro gave up on (DeadLetterSchema), by event id. */
  deadLetter: (eventId: string) => `systemStatus/dead_letters/messages/${eventId}`,
  deadLetters: () => "systemStatus/dead_letters/messages",
  /** Failed attempts of a retried trigger's event (the market cycle keeps its own, below). */
  eventAttempts: (eventId: string) => `systemStatus/retries/events/${eventId}`,
  /** One record per per-tenant job fan-out: `{job}_{runId}`. */
  tenantJobRun: (job: string, runId: string) => `systemStatus/tenant_jobs/runs/${job}_${runId}`,
  /** One tenant's outcome in a job run (its own document, so handlers never contend). */
  tenantJobOutcome: (job: string, runId: string, t: string) => `systemStatus/tenant_jobs/runs/${job}_${runId}/tenants/${t}`,
  tenantJobOutcomes: (job: string, runId: string) => `systemStatus/tenant_jobs/runs/${job}_${runId}/tenants`,
  /** Delivery attempts of a market-cycle message that failed transiently. */
  cycleAttempts: (eventId: string) => `systemStatus/market_cycles/attempts/${eventId}`,
  /** One record per scheduled fan-out, by slot. */
  fanOutRun: (slotIso: string) => `systemStatus/market_cycles/runs/${slotIso}`,
  /** Strategy agents' credentials (issue 14): the agent's uid is its id. */
  agents: (t: string) => `tenants/${t}/agents`,
  agent: (t: string, agentId: string) => `tenants/${t}/agents/${agentId}`,
  /** A phase's run of the agents' workflow (issue 14): its id is the phase. */
  agentRuns: (t: string, day: string) => `tenants/${t}/trading_sessions/${day}/agent_runs`,
  agentRun: (t: string, day: string, runId: string) => `tenants/${t}/trading_sessions/${day}/agent_runs/${runId}`,
  /** A strategy agent's latest heartbeat, by strategy id. */
  agentHeartbeats: (t: string) => `tenants/${t}/agent_heartbeats`,
  agentHeartbeat: (t: string, strategyId: string) => `tenants/${t}/agent_heartbeats/${strategyId}`,
  /** Ask-Maestro's conversations (issue 13): each belongs to the user who started it. */
  conversation: (t: string, id: string) => `tenants/${t}/conversations/${id}`,
  logs: () => "systemStatus/orchestration_logs/logs",
  log: (logId: string) => `systemStatus/orchestration_logs/logs/${logId}`,
} as const;

/** `{timestamp}_{session_id}` (seed 000), the timestamp compacted so ids sort by time. */
export function orchestrationLogId(timestampIso: string, sessionId: string): string {
  return `${timestampIso.replace(/[-:.]/g, "")}_${sessionId}`;
}

/** The two ledgers a strategy is rolled up from: its real fills, and its paper fills while in SHADOW_MODE. */
export type LedgerKind = "real" | "paper";

export interface LedgerPaths {
  kind: LedgerKind;
  trades: (t: string) => string;
  trade: (t: string, id: string) => string;
  performance: (t: string) => string;
  performanceDay: (t: string, s: string, day: string) => string;
  state: (t: string, s: string) => string;
  source: "ledger_trades_fifo" | "paper_trades_fifo";
}

export const LEDGERS: Readonly<Record<LedgerKind, LedgerPaths>> = {
  real: {
    kind: "real",
    trades: paths.ledgerTrades,
    trade: paths.ledgerTrade,
    performance: paths.performance,
    performanceDay: paths.performanceDay,
    state: paths.rollupState,
    source: "ledger_trades_fifo",
  },
  paper: {
    kind: "paper",
    trades: paths.paperTrades,
    trade: paths.paperTrade,
    performance: paths.paperPerformance,
    performanceDay: paths.paperPerformanceDay,
    state: paths.paperRollupState,
    source: "paper_trades_fifo",
  },
};
