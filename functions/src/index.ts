/**
 * Every deployed Maestro function and its trigger. Wiring only: the stages live in
 * ./stages, the rules in ./core.
 *
 *   ledger_trades write ─► onLedgerTradeWritten ─┐
 *   daily_marks write   ─► onDailyMarksWritten  ─┼─► strategy_performance (+ weights stale)
 *   nightly schedule    ─► nightlyPerformanceRollup ┘
 *   15-minute schedule  ─► scheduledWeightRecalculation ─► strategy_weights/current
 *   every 5 minutes     ─► scheduleMarketCycles ─► one maestro-market-cycle message per open tenant
 *   Pub/Sub maestro-market-cycle ─► onMarketCycle ─┐   (dead letters: systemStatus/dead_letters)
 *   callable                      ─► orchestrateNow ┴─► orchestrations/{sessionId}
 *   orchestration created ─► onOrchestrationCreated ─► systemStatus/orchestration_logs/logs/{id}
 *   log created           ─► onOrchestrationLogCreated ─► tenants/{t}/audits/{id}
 *
 * Client API (callables; membership and role checked in code, see stages/callable.ts):
 *   orchestrateNow (trader), getStrategyWeights, getOrchestration, listOrchestrationLogs
 *   (viewer), setStrategyMode, updateMaestroConfig, verifyLogChain (admin), redeemNonce (trader:
 *   the execution side presents a nonce once before it places the order).
 */
import { setGlobalOptions } from "firebase-functions/v2";

setGlobalOptions({ region: "us-central1", maxInstances: 20 });

export { onLedgerTradeWritten, onDailyMarksWritten, nightlyPerformanceRollup } from "./stages/performance-rollup";
export { scheduledWeightRecalculation } from "./stages/weights";
export { orchestrateNow } from "./stages/orchestration";
export { onMarketCycle, scheduleMarketCycles } from "./stages/market-cycles";
export { getStrategyWeights, getOrchestration, listOrchestrationLogs } from "./stages/client-queries";
export { setStrategyMode, updateMaestroConfig } from "./stages/admin-actions";
export { onOrchestrationCreated } from "./stages/log-writer";
export { onOrchestrationLogCreated } from "./stages/audit";
export { redeemNonce, verifyLogChain } from "./stages/monitoring";
