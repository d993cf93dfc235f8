/**
 * The callables ask-Maestro's specialists read through and its confirmed actions run
 * through: the same front door (stages/callable.ts handleCall) as any client's call, so the
 * caller's membership, role and rate limits apply. Wiring only, like index.ts.
 */
import type { FrontDoor } from "./stages/ask";
import { getStrategyWeights, getOrchestration, listOrchestrationLogs, getDeskStatus, getStrategyPerformance, getMaestroConfig, listAllocationHistory } from "./stages/client-queries";
import { rebalanceAllocations, resetArbitrationLearning } from "./stages/weights";
import { setStrategyMode } from "./stages/admin-actions";
import { pauseTradingSession, resumeTradingSession, liftRiskLock } from "./stages/trading-sessions";
import { emergencyStopCallable, resumeTradingCallable } from "./stages/emergency";

export const FRONT_DOOR: FrontDoor = {
  getStrategyWeights: getStrategyWeights.definition,
  getStrategyPerformance: getStrategyPerformance.definition,
  getDeskStatus: getDeskStatus.definition,
  getMaestroConfig: getMaestroConfig.definition,
  listOrchestrationLogs: listOrchestrationLogs.definition,
  getOrchestration: getOrchestration.definition,
  listAllocationHistory: listAllocationHistory.definition,
  emergencyStop: emergencyStopCallable.definition,
  resumeTrading: resumeTradingCallable.definition,
  pauseTradingSession: pauseTradingSession.definition,
  resumeTradingSession: resumeTradingSession.definition,
  rebalanceAllocations: rebalanceAllocations.definition,
  setStrategyMode: setStrategyMode.definition,
  liftRiskLock: liftRiskLock.definition,
  resetArbitrationLearning: resetArbitrationLearning.definition,
};
