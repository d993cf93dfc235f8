/**
 * The per-minute health check (issue 11, seed 001 "Error Handling"): one `health_check`
 * tenant job per active tenant, every minute (its own invocation, as every tenant job).
 *
 * For one tenant it measures (core/health.ts turns the measures into a tier):
 *  - the broker's status (a call that times out counts as down) and, where it is healthy,
 *    syncs `account/snapshot` from its portfolio (equity, buying power = the available
 *    value, `source: "broker"`) and `account/positions` from its positions, which it
 *    compares with Maestro's strategies' positions (`positions/current`, by symbol);
 *  - the account snapshot's age; the market data's age (`market_data/latest`, when
 *    `health.market_data` is set); each stage's recent failures (`health/stages`);
 *  - the trading session's loss-limit lock;
 *  - the desk's equity against its high-water mark across sessions (issue 12), kept on the
 *    health record and restarted from the equity after a resumed stop.
 * Then it acts on the tier:
 *  - critical while the session's clock is awake → the emergency stop, by the guardian with
 *    the code of what called for it (BROKER_UNREACHABLE, SESSION_LOSS_LIMIT, DATA_FEED_FAILURE, PORTFOLIO_DRAWDOWN);
 *  - warning (or critical while asleep) → an ACTIVE_TRADING session is paused by the guardian
 *    (HEALTH_WARNING): entries held with SESSION_PAUSED, exits still pass;
 *  - ok or info → a session the guardian paused for health goes back to ACTIVE_TRADING (an
 *    admin's pause is never undone here).
 * It is also the strategy agents' minute (issue 14, checkAgents): their runs' timeouts and
 * retries, and their health — a failed agent's entries held (a warning), several failing
 * at once critical (the session's entries paused).
 * Written to `tenants/{t}/health/current` and `tenants/{t}/health_history/{checked_at}`; a
 * worse tier than the last check's raises one alert.
 */
import type { Firestore } from "firebase-admin/firestore";
import { onSchedule } from "firebase-functions/v2/scheduler";
import type { BrokerAdapter, BrokerPosition, BrokerStatus } from "../broker/adapter";
import { assessHealth, nextHighWater, positionDifferences, type HealthVerdict, type HighWater } from "../core/health";
import { venueDayOf } from "../core/market-hours";
import { CYCLE_SLOT_MINUTES, clockPhase, clockWakes, transition } from "../core/trading-session";
import { TradingSessionSchema, type MaestroConfig, type TradingSession, type TradingSessionState } from "../schemas";
import { loadMaestroConfig } from "../store/config";
import { IoCount, maestroDb, plainData, storable } from "../store/firestore";
import { readStageFailures } from "../store/health";
import { paths } from "../store/paths";
import { jsonPublisher } from "../store/pubsub";
import { TENANT_JOB_TOPIC, fanOutTenantJob, runIdOf, type TenantJob } from "../store/tenant-jobs";
import { moveTradingSession, parseTradingSession } from "../store/trading-sessions";
import { readHeartbeats, tickDayRuns } from "../store/agent-runs";
import type { AgentHeartbeat } from "../schemas/agents";
import { canonicalJson } from "../core/hash-chain";
import { agentHealth, agentWatches, clippedStates, dayAgentStates, dayMetrics, nextHolds, type AgentHealthVerdict } from "../core/agent-workflow";
import { configuredBroker, emergencyStop } from "../store/emergency";
import { raiseAlertSafely } from "../store/alerts";
import { configuredChainKeys } from "../params";
import { logEvent } from "../log-events";

export const HEALTH_PAUSE_CODE = "HEALTH_WARNING";

export interface HealthRecord extends HealthVerdict {
  tenant_id: string;
  checked_at: string;
  broker: (Pick<BrokerStatus, "reachable" | "ready" | "version" | "problem"> & { kind: string }) | null;
  account_synced: boolean;
  positions_synced: boolean;
  snapshot_as_of: string | null;
  market_data_as_of: string | null;
  session_day: string;
  session_state: string | null;
  emergency_stop: { triggered: boolean; reason: string | null };
  /** What the check did to the session's entries: paused them, resumed its own pause, or nothing. */
  entries: "paused" | "resumed" | null;
  /** The desk's high-water mark of equity across sessions (issue 12's portfolio drawdown stop); null: no reading yet. */
  portfolio_high_water: HighWater | null;
  /** The strategy agents (issue 14): warning when one has failed (its entries held), critical when escalate_when_failing have. */
  agents: AgentCheck;
}

export interface AgentCheck {
  tier: AgentHealthVerdict["tier"];
  failed: AgentHealthVerdict["failed"];
  reasons: string[];
  /** Strategies whose entries are held because their agent failed. */
  held: string[];
  /** The day's runs still running after this check's timeouts and retries. */
  runs_running: number;
  /** Run documents that do not parse (named; left alone). */
  malformed_runs: string[];
}

const NO_AGENTS: AgentCheck = { tier: "ok", failed: [], reasons: [], held: [], runs_running: 0, malformed_runs: [] };

/** Session states in which an agent is expected to be alive (the day is on and not stopped). */
const AGENTS_WATCHED: readonly TradingSessionState[] = ["PRE_MARKET", "SESSION_OPEN", "ACTIVE_TRADING", "POST_MARKET", "PAUSED"];

/**
 * The agents' minute: the day's runs ticked (timeouts retried or failed, their dependants
 * skipped, retries published), then each agent of the day judged on its latest run and
 * its heartbeat. A failed agent's strategy is held on the session (the cycle's gate holds
 * its entries, AGENT_FAILED) and one warning alert is raised for it; it is released when
 * it recovers. The session's agent states and metrics are written when they change.
 */
async function checkAgents(db: Firestore, tenantId: string, config: MaestroConfig, session: TradingSession | null, now: Date): Promise<AgentCheck> {
  if (!session || Object.keys(session.agents.runs).length === 0) return NO_AGENTS;
  const day = session.day;
  const { runs, malformed } = await tickDayRuns(db, tenantId, day, now);
  const watched = AGENTS_WATCHED.includes(session.state);
  const agentsOfDay = [...new Set(runs.flatMap((r) => Object.values(r.tasks).map((t) => t.agent)))];
  const heartbeats = watched ? await readHeartbeats(db, tenantId, agentsOfDay) : new Map<string, AgentHeartbeat>();
  const verdict: AgentHealthVerdict = watched
    ? agentHealth(agentWatches(runs, new Map([...heartbeats].map(([s, h]) => [s, h.at]))), now, config.agents)
    : { tier: "ok", failed: [], reasons: [] };
  const states = clippedStates(dayAgentStates(runs));
  const metrics = dayMetrics(runs);

  const ref = db.doc(paths.tradingSession(tenantId, day));
  const change = await db.runTransaction(async (tx) => {
    const current = parseTradingSession(await tx.get(ref));
    // Outside the day (closed, stopped) nobody is judged: the holds stay as they were, nobody "recovers" at the close.
    const holds = watched ? nextHolds(current.agents.holds, verdict, now) : { holds: current.agents.holds, held: [], released: [] };
    const next = { ...current.agents, states, metrics, holds: holds.holds };
    // Compared key-order-blind: Firestore hands maps back in its own key order.
    const same = canonicalJson(storable({ ...next, checked_at: null })) === canonicalJson(storable({ ...current.agents, checked_at: null }));
    if (!same) tx.update(ref, { agents: storable({ ...next, checked_at: now.toISOString() }), updated_at: now.toISOString() });
    return holds;
  });

  const stamp = now.toISOString().replace(/[-:.]/g, "");
  for (const agent of change.held) {
    const reasons = verdict.failed.find((f) => f.agent === agent)?.reasons ?? [];
    logEvent.agentFailed({ tenant_id: tenantId, day, agent, reasons });
    await raiseAlertSafely(db, tenantId, {
      id: `agent_failed_${agent}_${stamp}`,
      severity: "warning",
      code: "AGENT_FAILED",
      title: `Agent ${agent} failed`,
      message: `The agent of strategy ${agent} failed: ${reasons.join("; ")}. Its entries are held (exits pass) until it recovers.`,
      at: now.toISOString(),
    });
  }
  for (const agent of change.released) {
    logEvent.agentRecovered({ tenant_id: tenantId, day, agent });
    await raiseAlertSafely(db, tenantId, {
      id: `agent_recovered_${agent}_${stamp}`,
      severity: "info",
      code: "AGENT_RECOVERED",
      title: `Agent ${agent} recovered`,
      message: `The agent of strategy ${agent} is answering again: its entries are no longer held.`,
      at: now.toISOString(),
    });
  }
  return {
    tier: verdict.tier,
    failed: verdict.failed,
    reasons: verdict.reasons,
    held: Object.keys(change.holds).sort(),
    runs_running: runs.filter((r) => r.status === "running").length,
    malformed_runs: malformed.map((m) => `${m.run_id}: ${m.reason}`),
  };
}

const TIER_RANK = { ok: 0, info: 1, warning: 2, critical: 3 } as const;

/** The broker's net size per trading pair (LONG positive, SHORT negative), across connectors. */
function netByPair(positions: BrokerPosition[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of positions) out[p.trading_pair] = (out[p.trading_pair] ?? 0) + (p.side === "LONG" ? 1 : -1) * Math.abs(p.amount);
  return out;
}

/** Maestro's strategies' open quantity per symbol, summed (positions/current as the rollup left it). */
function maestroNet(stored: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!stored || typeof stored !== "object") return out;
  for (const entry of Object.values(stored as Record<string, { positions?: unknown }>)) {
    const positions = entry?.positions;
    if (!positions || typeof positions !== "object") continue;
    for (const [symbol, qty] of Object.entries(positions as Record<string, unknown>)) {
      if (typeof qty === "number" && Number.isFinite(qty) && qty !== 0) out[symbol] = (out[symbol] ?? 0) + qty;
    }
  }
  return out;
}

/** The session's loss-limit lock that no emergency stop has answered yet (a lock newer than the last stop). */
function unansweredLossLock(session: TradingSession | null): { reason: string; since: string } | null {
  if (!session || session.state === "EMERGENCY_STOP") return null;
  const lastStop = session.emergency?.started_at ?? "";
  const lock = session.risk.locks.find((l) => l.code === "SESSION_LOSS_LIMIT" && l.lifted_at === null && l.since > lastStop);
  return lock ? { reason: lock.reason, since: lock.since } : null;
}

/** Whether the session's latest pause is the guardian's for health (only that pause is the check's to lift). */
export function pausedForHealth(session: TradingSession): boolean {
  if (session.state !== "PAUSED") return false;
  const pause = [...session.transitions].reverse().find((t) => t.to === "PAUSED");
  return pause?.actor.kind === "guardian" && pause.actor.code === HEALTH_PAUSE_CODE;
}

/** The guardian's health move of the session, if `applies` to the session as stored (a move made meanwhile wins); whether it moved. */
async function guardianMove(
  db: Firestore,
  tenantId: string,
  config: MaestroConfig,
  session: TradingSession,
  now: Date,
  move: { applies: (s: TradingSession) => boolean; from: TradingSessionState; to: TradingSessionState; reason: string; alert: { code: string; message: string } },
): Promise<boolean> {
  const guardian = { kind: "guardian" as const, code: HEALTH_PAUSE_CODE };
  const moved = await moveTradingSession(
    db,
    tenantId,
    session.day,
    config.market_hours,
    (s) => {
      if (!move.applies(s)) return { moves: [] };
      const step = transition(move.from, move.to, guardian, now, move.reason);
      return step.ok ? { moves: [step.transition!], alert: { at: now.toISOString(), ...move.alert } } : { refused: step.refused! };
    },
    { now, keys: configuredChainKeys(), agents: config.agents },
  );
  return moved.moved.length > 0;
}

async function pauseOrResume(db: Firestore, tenantId: string, config: MaestroConfig, session: TradingSession | null, verdict: HealthVerdict, now: Date): Promise<"paused" | "resumed" | null> {
  if (!session || !config.health.pause_on_warning) return null;
  const degraded = TIER_RANK[verdict.tier] >= TIER_RANK.warning;
  if (degraded && session.state === "ACTIVE_TRADING") {
    const reason = `health ${verdict.tier}: ${verdict.reasons.join("; ")}`;
    const paused = await guardianMove(db, tenantId, config, session, now, {
      applies: (s) => s.state === "ACTIVE_TRADING",
      from: "ACTIVE_TRADING",
      to: "PAUSED",
      reason,
      alert: { code: "HEALTH_PAUSE", message: `Entries paused: ${reason}` },
    });
    if (!paused) return null;
    logEvent.healthPaused({ tenant_id: tenantId, day: session.day, tier: verdict.tier, reasons: verdict.reasons });
    return "paused";
  }
  if (!degraded && pausedForHealth(session) && clockPhase(now, session.day, config.market_hours, config.trading_session) === "ACTIVE_TRADING") {
    const resumed = await guardianMove(db, tenantId, config, session, now, {
      applies: pausedForHealth,
      from: "PAUSED",
      to: "ACTIVE_TRADING",
      reason: `health back to ${verdict.tier}: entries resume`,
      alert: { code: "HEALTH_RESUME", message: "Entries resumed: the health check is back to ok" },
    });
    if (!resumed) return null;
    logEvent.healthResumed({ tenant_id: tenantId, day: session.day, tier: verdict.tier });
    return "resumed";
  }
  return null;
}

export async function checkTenantHealth(db: Firestore, tenantId: string, options: { now?: Date; broker?: BrokerAdapter | null } = {}): Promise<HealthRecord> {
  const now = options.now ?? new Date();
  const io = new IoCount();
  const { config } = await loadMaestroConfig(db, tenantId, io);
  const currentRef = db.doc(paths.healthCurrent(tenantId));
  const snapshotRef = db.doc(paths.accountSnapshot(tenantId));
  const day = venueDayOf(now, config.market_hours.time_zone);
  const [previous, snapshot, sessionSnap, stagesSnap, marketSnap, positionsSnap] = await db.getAll(
    currentRef,
    snapshotRef,
    db.doc(paths.tradingSession(tenantId, day)),
    db.doc(paths.healthStages(tenantId)),
    db.doc(paths.marketData(tenantId)),
    db.doc(paths.positions(tenantId)),
  );

  const broker = options.broker !== undefined ? options.broker : configuredBroker(config).broker;
  let status: BrokerStatus | null = null;
  let accountSynced = false;
  let positionsSynced = false;
  let differences: string[] = [];
  let snapshotAsOf: string | null = typeof snapshot.get("as_of") === "string" ? snapshot.get("as_of") : null;
  let snapshotEquity: unknown = snapshot.get("equity");
  if (broker) {
    status = await broker.status();
    if (status.reachable && status.ready && config.health.sync_account) {
      try {
        const portfolio = await broker.portfolioState();
        const asOf = portfolio.as_of.toISOString();
        await snapshotRef.set({ equity: portfolio.equity, buying_power: portfolio.available_value, as_of: asOf, source: "broker", synced_at: now.toISOString() });
        accountSynced = true;
        snapshotAsOf = asOf;
        snapshotEquity = portfolio.equity;
      } catch (error) {
        status = { ...status, ready: false, problem: { kind: "protocol", message: `portfolio state: ${error instanceof Error ? error.message : String(error)}` } };
      }
    }
    if (status.reachable && status.ready && config.health.sync_positions) {
      try {
        const positions = await broker.positions();
        const net = netByPair(positions);
        await db.doc(paths.accountPositions(tenantId)).set(storable({ positions, net, as_of: now.toISOString(), source: "broker" }));
        positionsSynced = true;
        differences = positionDifferences(net, maestroNet(positionsSnap.get("strategies")));
      } catch (error) {
        status = { ...status, ready: false, problem: { kind: "protocol", message: `positions: ${error instanceof Error ? error.message : String(error)}` } };
      }
    }
  }

  const parsedSession = sessionSnap.exists ? TradingSessionSchema.safeParse(plainData(sessionSnap.data())) : null;
  const session = parsedSession?.success ? parsedSession.data : null;
  const sessionState = sessionSnap.exists ? String(sessionSnap.get("state")) : null;
  const marketAsOf = typeof marketSnap.get("as_of") === "string" ? (marketSnap.get("as_of") as string) : null;
  // The desk's equity, when the snapshot is one to believe (fresh); its high-water mark carried from the last check.
  const snapshotFresh = snapshotAsOf !== null && (now.getTime() - Date.parse(snapshotAsOf)) / 1000 <= config.account.max_snapshot_age_seconds;
  const equity = snapshotFresh && typeof snapshotEquity === "number" && Number.isFinite(snapshotEquity) && snapshotEquity > 0 ? snapshotEquity : null;
  const previousHighWater = previous.exists ? ((plainData(previous.data()) as { portfolio_high_water?: HighWater | null }).portfolio_high_water ?? null) : null;
  const highWater = nextHighWater(previousHighWater, equity, now, session?.emergency?.reconciled?.at ?? null);
  const maxDrawdown = config.risk.max_portfolio_drawdown_pct;
  const market = config.health.market_data;
  const verdict = assessHealth({
    now,
    broker: status,
    brokerDownSince: previous.exists ? ((plainData(previous.data()) as { broker_down_since?: string | null }).broker_down_since ?? null) : null,
    brokerDownStopSeconds: config.health.broker_down_stop_seconds,
    sessionAwake: clockWakes(now, config.market_hours, config.trading_session, CYCLE_SLOT_MINUTES).wake && sessionState !== "EMERGENCY_STOP",
    snapshotAsOf,
    maxSnapshotAgeSeconds: config.account.max_snapshot_age_seconds,
    ...(market ? { marketData: { asOf: marketAsOf, staleSeconds: market.stale_seconds, failureSeconds: market.failure_seconds } } : {}),
    stages: { failures: readStageFailures(stagesSnap.get("stages")), windowSeconds: config.health.stage_failure_window_seconds, warningCount: config.health.stage_failures_warning },
    unansweredLossLock: unansweredLossLock(session),
    stopOnLossLimit: config.health.stop_on_session_loss_limit,
    positionDifferences: differences,
    ...(equity !== null && highWater !== null && maxDrawdown !== null ? { portfolio: { equity, highWater: highWater.value, maxDrawdownPct: maxDrawdown } } : {}),
  });
  if (parsedSession && !parsedSession.success) {
    verdict.reasons.push(`trading session ${day} is malformed (${parsedSession.error.issues[0]?.message ?? "invalid"}): its locks cannot be read`);
    if (TIER_RANK[verdict.tier] < TIER_RANK.warning) verdict.tier = "warning";
  }
  // One agent failing is its own warning (its entries held, its own alert); several at once are the desk's: critical, entries paused.
  const agents = await checkAgents(db, tenantId, config, session, now);
  if (agents.malformed_runs.length) verdict.reasons.push(...agents.malformed_runs.map((m) => `agent run ${m}`));
  if (agents.tier === "critical") {
    verdict.reasons.push(...agents.reasons);
    verdict.tier = "critical";
  }

  let triggered = false;
  let entries: HealthRecord["entries"] = null;
  if (verdict.stop && verdict.stop_code) {
    // Critical: the orchestrator stops itself (its report says what it could and could not do without the broker).
    await emergencyStop(db, { tenantId, reason: verdict.stop, actor: { kind: "guardian", code: verdict.stop_code }, now: () => now, ...(options.broker !== undefined ? { broker: options.broker } : {}) });
    triggered = true;
  } else {
    entries = await pauseOrResume(db, tenantId, config, session, verdict, now);
  }
  const record: HealthRecord = {
    tenant_id: tenantId,
    checked_at: now.toISOString(),
    ...verdict,
    broker: status && broker ? { kind: broker.kind, reachable: status.reachable, ready: status.ready, version: status.version, problem: status.problem } : null,
    account_synced: accountSynced,
    positions_synced: positionsSynced,
    snapshot_as_of: snapshotAsOf,
    market_data_as_of: marketAsOf,
    session_day: day,
    session_state: triggered ? "EMERGENCY_STOP" : entries === "paused" ? "PAUSED" : entries === "resumed" ? "ACTIVE_TRADING" : sessionState,
    emergency_stop: { triggered, reason: verdict.stop },
    entries,
    portfolio_high_water: highWater,
    agents,
  };
  const batch = db.batch();
  batch.set(currentRef, storable(record));
  batch.set(db.doc(paths.healthHistory(tenantId, record.checked_at)), storable(record));
  await batch.commit();
  if (TIER_RANK[verdict.tier] >= TIER_RANK.warning) logEvent.healthDegraded({ tenant_id: tenantId, tier: verdict.tier, reasons: verdict.reasons, emergency_stop: triggered, entries });
  // An escalation (a worse tier than the last check's, warning or critical) raises one alert.
  const before = previous.exists ? (String(previous.get("tier")) as keyof typeof TIER_RANK) : "ok";
  if (TIER_RANK[verdict.tier] >= TIER_RANK.warning && TIER_RANK[verdict.tier] > (TIER_RANK[before] ?? 0)) {
    const critical = verdict.tier === "critical";
    const action = triggered ? ` Emergency stop (${verdict.stop_code}).` : entries === "paused" ? " Entries paused." : "";
    await raiseAlertSafely(db, tenantId, {
      id: `health_${verdict.tier}_${record.checked_at}`,
      severity: critical ? "critical" : "warning",
      code: critical ? "HEALTH_CRITICAL" : "HEALTH_WARNING",
      title: critical ? "Health critical" : "Health warning",
      message: `${verdict.reasons.join("; ")}.${action}`,
      at: record.checked_at,
    });
  }
  return record;
}

export const healthCheckJob: TenantJob = async (db, ctx) => {
  const record = await checkTenantHealth(db, ctx.tenant_id, { now: ctx.now });
  return { status: "ok", detail: { tier: record.tier, reasons: record.reasons, emergency_stop: record.emergency_stop.triggered, entries: record.entries } };
};

/** Every minute: one health_check message per active tenant. */
export const scheduledHealthCheck = onSchedule({ schedule: "every 1 minutes", timeZone: "UTC", retryCount: 0, timeoutSeconds: 120, memory: "256MiB" }, async (event) => {
  await fanOutTenantJob(maestroDb(), "health_check", runIdOf(new Date(event.scheduleTime)), jsonPublisher(TENANT_JOB_TOPIC));
});
