/**
 * The named, structured log events of Maestro (Cloud Logging via firebase-functions'
 * logger). Fields are snake_case and always carry tenant_id, and session_id / stage where
 * they apply. Secrets are never passed here.
 */
import * as logger from "firebase-functions/logger";

type Fields = Record<string, unknown>;

function info(event: string, stage: string, fields: Fields): void {
  logger.info(event, { event, stage, ...fields });
}
function warn(event: string, stage: string, fields: Fields): void {
  logger.warn(event, { event, stage, ...fields });
}
function error(event: string, stage: string, fields: Fields): void {
  logger.error(event, { event, stage, ...fields });
}

export const logEvent = {
  rollupFinished: (f: Fields) => info("rollup_finished", "performance_rollup", f),
  tradesRejected: (f: Fields) => warn("ledger_trades_rejected", "performance_rollup", f),
  marksRejected: (f: Fields) => warn("daily_marks_rejected", "performance_rollup", f),
  weightsComputed: (f: Fields) => info("weights_computed", "weights", f),
  sharpeDecay: (f: Fields) => warn("sharpe_decay", "weights", f),
  nonceCollision: (f: Fields) => error("nonce_collision", "orchestration", f),
  nonceFinding: (f: Fields) => error("nonce_finding", "nonces", f),
  unloggedOrchestration: (f: Fields) => error("orchestration_without_log", "monitor", f),
  chainVerified: (f: Fields) => info("log_chain_verified", "monitor", f),
  orchestrationReplayed: (f: Fields) => info("orchestration_replayed", "monitor", f),
  replayDifference: (f: Fields) => warn("orchestration_replay_difference", "monitor", f),
  configRejected: (f: Fields) => warn("config_rejected", "orchestration", f),
  strategyRejected: (f: Fields) => warn("strategy_rejected", "orchestration", f),
  orchestrationFinished: (f: Fields) => info("orchestration_finished", "orchestration", f),
  systemicRiskDetected: (f: Fields) => warn("systemic_risk_detected", "orchestration", f),
  tradingSessionAlert: (f: Fields) => warn("trading_session_alert", "trading_session", f),
  tradingSessionMoved: (f: Fields) => info("trading_session_moved", "trading_session", f),
  emergencyStop: (f: Fields) => error("emergency_stop", "emergency", f),
  emergencyStopReport: (f: Fields) => warn("emergency_stop_report", "emergency", f),
  healthDegraded: (f: Fields) => warn("health_degraded", "health", f),
  healthPaused: (f: Fields) => warn("health_paused_entries", "health", f),
  healthResumed: (f: Fields) => info("health_resumed_entries", "health", f),
  stageFailureNotRecorded: (f: Fields) => warn("stage_failure_not_recorded", "health", f),
  alertRaised: (f: Fields) => info("alert_raised", "alerts", f),
  alertNotRaised: (f: Fields) => error("alert_not_raised", "alerts", f),
  signalsRejected: (f: Fields) => warn("signals_rejected", "orchestration", f),
  orchestrationContention: (f: Fields) => warn("orchestration_contention_retry", "orchestration", f),
  duplicateEventIgnored: (f: Fields) => info("duplicate_event_ignored", "orchestration", f),
  deadLettered: (f: Fields) => error("event_dead_lettered", "retries", f),
  triggerRetry: (f: Fields) => warn("trigger_retry", "retries", f),
  fanOutFinished: (f: Fields) => info("market_cycle_fan_out", "market_cycles", f),
  cycleSweepFailed: (f: Fields) => warn("unlogged_sweep_failed", "market_cycles", f),
  tenantJobFanOut: (f: Fields) => info("tenant_job_fan_out", "tenant_jobs", f),
  tenantJobFinished: (f: Fields) => info("tenant_job_finished", "tenant_jobs", f),
  tenantJobFailed: (f: Fields) => error("tenant_job_failed", "tenant_jobs", f),
  logWritten: (f: Fields) => info("orchestration_log_written", "log_writer", f),
  logWriteFailed: (f: Fields) => error("orchestration_log_write_failed", "log_writer", f),
  summaryFallback: (f: Fields) => warn("ai_summary_fallback", "log_writer", f),
  auditWritten: (f: Fields) => info("audit_written", "audit", f),
  auditFailed: (f: Fields) => error("audit_found_problems", "audit", f),
  callRefused: (f: Fields) => warn("callable_refused", "client_api", f),
  callBadResponse: (f: Fields) => error("callable_bad_response", "client_api", f),
  adminAction: (f: Fields) => info("admin_action", "client_api", f),
  /** Every ask-Maestro routing decision, with its selection time (issue 13). */
  askRouted: (f: Fields) => info("ask_routed", "ask", f),
  askAnswered: (f: Fields) => info("ask_answered", "ask", f),
  /** The credential is revoked (the rules refuse the agent) but Auth did not revoke its refresh tokens. */
  agentTokensNotRevoked: (f: Fields) => warn("agent_tokens_not_revoked", "client_api", f),
  agentTaskSent: (f: Fields) => info("agent_task_sent", "agents", f),
  agentTaskNotSent: (f: Fields) => error("agent_task_not_sent", "agents", f),
  agentResponse: (f: Fields) => info("agent_response", "agents", f),
  agentRefused: (f: Fields) => warn("agent_refused", "agents", f),
  agentFailed: (f: Fields) => warn("agent_failed", "agents", f),
  agentRecovered: (f: Fields) => info("agent_recovered", "agents", f),
};
