/**
 * One orchestration cycle, pure (seed 000 "Maestro Controller"): raw signals + weights →
 * the signals through the configured steps (core/pipeline.ts: weights, systemic override,
 * buying power), each change an intervention on the signal, then identity stamped on what
 * survived, and the allocation decisions. Linear in strategies + signals: every lookup is
 * a Map, never a scan.
 */
import {
  RawSignalSchema,
  parseWithReason,
  type AllocationDecision,
  type BuyingPowerSummary,
  type EnrichedSignal,
  type MaestroConfig,
  type RejectedSignal,
  type SessionAlert,
  type SessionRisk,
  type Strategy,
  type StrategyWeight,
  type SystemicRisk,
  type TradingSessionState,
} from "../schemas";
import type { CycleStepName } from "../schemas";
import { currentWeight, weightsStep } from "./allocation";
import { buyingPowerStep } from "./buying-power";
import { agentId } from "./identity";
import { exposureOf, runSteps, wouldTrade, type CycleStep, type DraftSignal } from "./pipeline";
import { SYSTEMIC_RISK_MODIFICATION, systemicOverrideStep } from "./systemic-risk";
import { riskGuardianStep } from "./risk-guardian";
import { pairKey, portfolioRiskStep } from "./portfolio-risk";
import { arbitrationStep, freshBandit, seedOf, type BanditState } from "./arbitration";
import { assessSession, recordOrders, tradingSessionGate, type ClosedTrade, type SessionAssessment, type SessionBlock, type SessionFinding } from "./session-guardian";

/** The steps by name; config.cycle_steps chooses and orders them. */
export const CYCLE_STEP_REGISTRY: Readonly<Record<CycleStepName, CycleStep>> = {
  weights: weightsStep,
  systemic_override: systemicOverrideStep,
  arbitration: arbitrationStep,
  risk_guardian: riskGuardianStep,
  portfolio_risk: portfolioRiskStep,
  buying_power: buyingPowerStep,
};

export interface CycleInput {
  tenant_id: string;
  session_id: string;
  now: Date;
  config: MaestroConfig;
  /** Valid strategy docs by id. */
  strategies: Readonly<Record<string, Strategy>>;
  /** From strategy_weights/current. */
  weights: Readonly<Record<string, StrategyWeight>>;
  /** Raw pending signal docs, not yet validated. */
  signals: readonly { id: string; data: unknown }[];
  /** One call per executable signal (identity is stamped last, only on what survived). */
  issueNonce: () => string;
  /** Each strategy's open position per symbol (signed quantity), from the rollup: entries vs exits. */
  positions?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** The correlated pairs of strategies the weights kept (the portfolio_risk step). */
  correlatedPairs?: readonly { a: string; b: string; rho: number }[];
  /** The latest price per symbol for the open positions' heat (the portfolio_risk step), and where it came from. */
  marks?: { prices: Readonly<Record<string, number>>; source: string };
  /** The arbitration bandit's learned state (absent: fresh priors). */
  bandit?: BanditState;
  /** The seed of the arbitration's draws (absent: seedOf(session_id)); recorded with the cycle's inputs so a replay draws the same. */
  arbitrationSeed?: number;
  /** The account's equity for the risk guardian (null: no usable reading, and why). */
  equity?: { value: number | null; source: string };
  /** Buying power left for this cycle's BUYs (see BuyingPowerInput); absent or null available = not capped. */
  buyingPower?: { available: number | null | "hold"; source: string };
  /** The trading session the cycle runs in; absent: no session (a pure test of the steps), every signal as in ACTIVE_TRADING. */
  session?: {
    state: TradingSessionState;
    paused_reason: string | null;
    risk: SessionRisk;
    /** The session's closing fills across the tenant's strategies (MAX_CONSECUTIVE_LOSSES). */
    closed_trades: readonly ClosedTrade[];
    trading_since: string | null;
    closes_at: string | null;
    /** When the account snapshot behind `equity` was taken. */
    equity_as_of: string | null;
    /** Strategies whose agent failed, with why (issue 14): their entries are held. */
    agent_holds?: Readonly<Record<string, string>>;
  };
}

/** What the cycle changes on its trading session. */
export interface SessionOutcome {
  /** The risk state after this cycle: equity marks, locks, and the orders it licensed. */
  risk: SessionRisk;
  alerts: SessionAlert[];
  findings: SessionFinding[];
  /** Orders licensed by this cycle (executable BUYs and SELLs, entries and exits). */
  orders: number;
  /** The lock or data-quality hold on every entry this cycle. */
  block: SessionBlock | null;
  loss: SessionAssessment["loss"];
}

export interface CycleResult {
  /** Sorted by signal id. */
  signals: EnrichedSignal[];
  /** One per strategy, sorted by strategy id. */
  allocation_decisions: AllocationDecision[];
  systemic_risk: SystemicRisk;
  signals_modified: Record<string, string>;
  /** Sorted by signal id. */
  rejected_signals: RejectedSignal[];
  buying_power: BuyingPowerSummary;
  /** Present when the cycle ran in a trading session. */
  session?: SessionOutcome;
}

/** Code-unit order: deterministic and independent of the runtime's locale. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function orchestrateCycle(input: CycleInput): CycleResult {
  const { tenant_id, session_id, config } = input;
  const timestamp = input.now.toISOString();

  const strategyIds = Object.keys(input.strategies).sort(byCodeUnits);
  const weightByStrategy = new Map<string, StrategyWeight>();
  for (const id of strategyIds) {
    const stored = Object.hasOwn(input.weights, id) ? input.weights[id] : undefined;
    weightByStrategy.set(id, currentWeight(id, input.strategies[id], stored, config));
  }

  const drafts: DraftSignal[] = [];
  const rejected: RejectedSignal[] = [];
  const seenSignalIds = new Set<string>();

  for (const doc of [...input.signals].sort((a, b) => byCodeUnits(a.id, b.id))) {
    if (seenSignalIds.has(doc.id)) {
      rejected.push({ signal_id: doc.id, reason: "signal_id: appears more than once in this batch" });
      continue;
    }
    seenSignalIds.add(doc.id);

    const parsed = parseWithReason(RawSignalSchema, doc.data);
    if (!parsed.ok) {
      rejected.push({ signal_id: doc.id, reason: parsed.reason });
      continue;
    }
    const raw = parsed.value;
    const weight = weightByStrategy.get(raw.strategy_id);
    const problems: string[] = [];
    if (!weight) problems.push(`strategy_id: unknown strategy '${raw.strategy_id}'`);
    if (raw.status !== "pending") problems.push(`status: must be 'pending' to be orchestrated (got '${raw.status}')`);
    if (!weight || problems.length > 0) {
      rejected.push({ signal_id: doc.id, reason: problems.join("; ") });
      continue;
    }
    const position = input.positions?.[raw.strategy_id]?.[raw.ticker];
    drafts.push({
      signal_id: doc.id,
      strategy_id: raw.strategy_id,
      strategy_name: weight.strategy_name,
      action: raw.action,
      ticker: raw.ticker,
      // The weights step multiplies in the strategy's weight (seed 000: allocation = original × weight_multiplier).
      allocation: raw.allocation,
      original_allocation: raw.allocation,
      weight_multiplier: weight.weight,
      mode: weight.mode,
      confidence: raw.confidence,
      reasoning: raw.reasoning,
      executable: false,
      interventions: [],
      exposure: exposureOf(raw.action, position),
      ...(raw.stop_distance_pct !== undefined ? { stop_distance_pct: raw.stop_distance_pct } : {}),
      ...(raw.created_by !== undefined ? { created_by: raw.created_by } : {}),
    });
  }

  // The session's limits are the risk guardian's: without it in the steps, the session
  // still keeps its equity marks and counts, but nothing locks, holds or is reported.
  const guarded = config.cycle_steps.includes("risk_guardian");
  const equity = input.equity ?? { value: null, source: "no account snapshot" };
  let assessment: SessionAssessment | null = null;
  if (input.session) {
    assessment = assessSession({
      risk: config.risk,
      state: input.session.risk,
      equity: { ...equity, as_of: input.session.equity_as_of },
      closedTrades: input.session.closed_trades,
      now: input.now,
      tradingSince: input.session.trading_since,
      closesAt: input.session.closes_at,
    });
    if (!guarded) assessment = { ...assessment, state: { ...assessment.state, locks: input.session.risk.locks }, alerts: [], findings: [], block: null, tradesLeft: null, ordersLeft: null };
  }

  // The weights first, then the trading session's gate (always), then the configured risk steps.
  const configured = config.cycle_steps.map((name) => CYCLE_STEP_REGISTRY[name]);
  const steps = [configured[0], tradingSessionGate, ...configured.slice(1)];
  const result = runSteps(steps, drafts, {
    config,
    weights: weightByStrategy,
    capitalBase: new Map(strategyIds.map((id) => [id, input.strategies[id].capital_base])),
    buyingPower: {
      available: input.buyingPower?.available ?? null,
      source: input.buyingPower?.source ?? "no account snapshot: BUY notional not capped",
    },
    equity,
    positions: input.positions ?? {},
    correlations: new Map((input.correlatedPairs ?? []).map((p) => [pairKey(p.a, p.b), p.rho])),
    arbitration: { state: input.bandit ?? freshBandit(), seed: input.arbitrationSeed ?? seedOf(session_id) },
    ...(input.marks ? { marks: { prices: new Map(Object.entries(input.marks.prices)), source: input.marks.source } } : {}),
    ...(input.session && assessment
      ? {
          session: {
            state: input.session.state,
            pausedReason: input.session.paused_reason,
            block: assessment.block,
            tradesLeft: assessment.tradesLeft,
            ordersLeft: assessment.ordersLeft,
            ...(input.session.agent_holds ? { agentHolds: input.session.agent_holds } : {}),
          },
        }
      : {}),
  });

  // Identity last, only on what survived: a signal a step dropped gets no nonce.
  // DESIGN.md: a second use of a nonce is never a trade; a broken nonce source fails the cycle.
  const issuedNonces = new Set<string>();
  const signals: EnrichedSignal[] = result.signals.map((s) => {
    const executable = wouldTrade(s);
    let nonce: string | null = null;
    if (executable) {
      nonce = input.issueNonce();
      if (issuedNonces.has(nonce)) throw new Error(`nonce source repeated nonce ${nonce} within session ${session_id}`);
      issuedNonces.add(nonce);
    }
    return { ...s, executable, agent_id: agentId(tenant_id, s.strategy_id), nonce, session_id, identity_timestamp: timestamp };
  });

  // Seed 000's signals_modified, from the interventions: the override's note, else the guard's reason.
  const signalsModified: Record<string, string> = {};
  for (const s of signals) {
    const override = s.interventions.find((i) => i.code === "SYSTEMIC_RISK_OVERRIDE");
    const guard = s.interventions.find((i) => i.step === "buying_power");
    if (override) signalsModified[s.signal_id] = SYSTEMIC_RISK_MODIFICATION;
    else if (guard) signalsModified[s.signal_id] = guard.reason;
  }
  const systemicRisk = result.systemic_risk ?? {
    detected: false, threshold: config.systemic_sell_threshold, sell_count: 0, selling_strategies: [], overridden_count: 0,
    details: "The systemic risk override is not among this tenant's cycle steps.",
  };
  const buyingPower = result.buying_power ?? {
    available: null, source: "the buying-power guard is not among this tenant's cycle steps", requested_notional: 0, approved_notional: 0, remaining: null, scaled: [], held: [],
  };

  const allocationDecisions = strategyIds.map((id): AllocationDecision => {
    const w = weightByStrategy.get(id)!;
    return {
      strategy_id: id,
      strategy_name: w.strategy_name,
      original_allocation: 1.0,
      final_allocation: w.weight,
      mode: w.mode,
      reasoning: w.reasoning,
      sharpe_ratio: w.sharpe_ratio,
      max_drawdown: w.max_drawdown,
      data_points: w.data_points,
      timestamp,
    };
  });

  const orders = signals.filter((s) => s.executable).length;
  return {
    signals,
    allocation_decisions: allocationDecisions,
    systemic_risk: systemicRisk,
    signals_modified: signalsModified,
    rejected_signals: rejected,
    buying_power: buyingPower,
    ...(assessment
      ? {
          session: {
            risk: recordOrders(assessment.state, orders, input.now),
            alerts: assessment.alerts,
            findings: assessment.findings,
            orders,
            loss: assessment.loss,
            block: assessment.block,
          },
        }
      : {}),
  };
}
