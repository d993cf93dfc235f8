/**
 * Every deployed Maestro function and its trigger. Wiring only: the stages live in
 * ./stages, the rules in ./core.
 *
 *   ledger_trades write ─► onLedgerTradeWritten ─┬─► rollup_state/{s} dirty (+ a runner scheduled)
 *   daily_marks write   ─► onDailyMarksWritten  ─┤   (marks also price paper fills awaiting them)
 *   paper_trades write  ─► onPaperTradeWritten  ─┘─► paper_rollup_state/{s} dirty (SHADOW_MODE paper fills)
 *   rollup_runs created   ─► onRollupScheduled ─► strategy_performance / paper_performance from the checkpoint (+ weights stale)
 *   nightly schedule    ─► nightlyPerformanceRollup ─┐ one maestro-tenant-jobs message per active
 *   15-minute schedule  ─► scheduledWeightRecalculation ┤ tenant (run record: systemStatus/tenant_jobs)
 *   daily schedule      ─► scheduledChainVerification ──┘
 *   Pub/Sub maestro-tenant-jobs ─► onTenantJob ─► TENANT_JOBS[job] for that tenant alone:
 *                                  nightly_rollup (strategy_performance), weights (strategy_weights/current),
 *                                  chain_verification (whole log chain, then a replay of up to 20 of the
 *                                  day's orchestrations → log_chain/verification, findings)
 *   every 5 minutes     ─► scheduleMarketCycles ─► one maestro-market-cycle message per open tenant
 *   Pub/Sub maestro-market-cycle ─► onMarketCycle ─┐   (dead letters: systemStatus/dead_letters)
 *   callable                      ─► orchestrateNow ┴─► orchestrations/{sessionId} (+ orchestration_inputs/{sha256})
 *   orchestration created ─► onOrchestrationCreated ─► systemStatus/orchestration_logs/logs/{id}
 *   log created           ─► onOrchestrationLogCreated ─► tenants/{t}/audits/{id}
 *   Every retried trigger gives up past its end condition by event age (store/retries.ts)
 *   and leaves a dead letter (systemStatus/dead_letters) or, for the log writer, a finding.
 *
 * Client API (callables; membership and role checked in code, see stages/callable.ts):
 *   orchestrateNow (trader), getStrategyWeights, getOrchestration, listOrchestrationLogs,
 *   getDeskStatus, getStrategyPerformance, getMaestroConfig, listAllocationHistory (viewer),
 *   askMaestro (viewer: routes a question to a specialist that calls the callables above as
 *   the caller; an action runs the admin callable only on the next turn's "yes"),
 *   replayOrchestration (viewer: the core re-run on an orchestration's recorded inputs, every
 *   decided field compared), setStrategyMode, updateMaestroConfig, verifyLogChain (admin),
 *   redeemNonce (trader: the execution side presents a nonce once before it places the order),
 *   issueAgentCredential, revokeAgentCredential, listAgentCredentials (admin: a strategy agent's
 *   custom token, its revocation, and the credentials issued, never their tokens).
 *
 * Strategy agents (a custom token from issueAgentCredential; stages/callable.ts agentCallable):
 *   session move into a phase with a workflow ─► agent_runs/{phase} (same transaction)
 *       ─► task messages on Pub/Sub maestro-agent-tasks.{tenant} ─► the agents
 *   respondToAgentTask (an agent's answer ─► its run, dependants released), agentHeartbeat
 *   health_check (every minute) ─► timeouts and retries, agent health: a failed agent's entries held
 */
import { setGlobalOptions } from "firebase-functions/v2";
import { nightlyRollupJob } from "./stages/performance-rollup";
import { tenantJobFunction, type Registry } from "./stages/tenant-jobs";
import { weightsJob } from "./stages/weights";
import { chainVerificationJob } from "./stages/monitoring";
import { healthCheckJob } from "./stages/health";
import { askMaestroFunction } from "./stages/ask";
import { FRONT_DOOR } from "./front-door";

setGlobalOptions({ region: "us-central1", maxInstances: 20 });

export { onLedgerTradeWritten, onPaperTradeWritten, onRollupScheduled, onDailyMarksWritten, nightlyPerformanceRollup } from "./stages/performance-rollup";
export { scheduledWeightRecalculation, rebalanceAllocations, resetArbitrationLearning } from "./stages/weights";
export { orchestrateNow, onMarketCycle } from "./stages/orchestration";
export { scheduleMarketCycles } from "./stages/market-cycles";
export { getStrategyWeights, getOrchestration, listOrchestrationLogs, getDeskStatus, getStrategyPerformance, getMaestroConfig, listAllocationHistory } from "./stages/client-queries";
export { setStrategyMode, updateMaestroConfig } from "./stages/admin-actions";
export { pauseTradingSession, resumeTradingSession, liftRiskLock, getTradingSession } from "./stages/trading-sessions";
export { emergencyStopCallable as emergencyStop, resumeTradingCallable as resumeTrading } from "./stages/emergency";
export { scheduledHealthCheck } from "./stages/health";
export { onAlertCreated } from "./stages/alerts";
export { onOrchestrationCreated } from "./stages/log-writer";
export { onOrchestrationLogCreated } from "./stages/audit";
export { redeemNonce, verifyLogChain, scheduledChainVerification } from "./stages/monitoring";
export { issueAgentCredential, revokeAgentCredential, listAgentCredentials, respondToAgentTask, agentHeartbeat } from "./stages/agents";
export { replayOrchestration } from "./stages/replay";

/** The per-tenant jobs by name (TenantJobMessageSchema): adding a job is one entry here. */
const TENANT_JOBS: Registry = {
  nightly_rollup: nightlyRollupJob,
  weights: weightsJob,
  chain_verification: chainVerificationJob,
  health_check: healthCheckJob,
};
export const onTenantJob = tenantJobFunction(TENANT_JOBS);

export const askMaestro = askMaestroFunction(FRONT_DOOR);
