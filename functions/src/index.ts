/**
 * Every deployed Maestro function and its trigger. Wiring only: the stages live in
 * ./stages, the rules in ./core.
 *
 *   ledger_trades write ─► onLedgerTradeWritten ─┐
 *   daily_marks write   ─► onDailyMarksWritten  ─┼─► strategy_performance (+ weights stale)
 *   nightly schedule    ─► nightlyPerformanceRollup ┘
 *   15-minute schedule  ─► scheduledWeightRecalculation ─► strategy_weights/current
 *   Pub/Sub maestro-market-cycle ─► onMarketCycle ─┐
 *   callable                      ─► orchestrateNow ┴─► orchestrations/{sessionId}
 *   orchestration created ─► onOrchestrationCreated ─► systemStatus/orchestration_logs/logs/{id}
 *   log created           ─► onOrchestrationLogCreated ─► tenants/{t}/audits/{id}
 */
import { setGlobalOptions } from "firebase-functions/v2";

setGlobalOptions({ region: "us-central1", maxInstances: 20 });

export { onLedgerTradeWritten, onDailyMarksWritten, nightlyPerformanceRollup } from "./stages/performance-rollup";
export { scheduledWeightRecalculation } from "./stages/weights";
export { onMarketCycle, orchestrateNow } from "./stages/orchestration";
export { onOrchestrationCreated } from "./stages/log-writer";
export { onOrchestrationLogCreated } from "./stages/audit";
