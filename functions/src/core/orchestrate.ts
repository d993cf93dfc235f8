/**
 * One orchestration cycle, pure (seed 000 "Maestro Controller"): raw signals + weights →
 * weighted, identity-stamped, risk-checked signals and the allocation decisions.
 * Linear in strategies + signals: every lookup is a Map, never a scan.
 */
import {
  RawSignalSchema,
  parseWithReason,
  type AllocationDecision,
  type BuyingPowerSummary,
  type EnrichedSignal,
  type MaestroConfig,
  type RejectedSignal,
  type Strategy,
  type StrategyWeight,
  type SystemicRisk,
} from "../schemas";
import { currentWeight } from "./allocation";
import { capBuyNotional } from "./buying-power";
import { agentId } from "./identity";
import { TRADABLE_MODES, applySystemicRiskOverride } from "./systemic-risk";

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
  /** One call per orchestrated signal. */
  issueNonce: () => string;
  /** Buying power left for this cycle's BUYs (see BuyingPowerInput); absent or null available = not capped. */
  buyingPower?: { available: number | null | "hold"; source: string };
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

  const enriched: EnrichedSignal[] = [];
  const rejected: RejectedSignal[] = [];
  const seenSignalIds = new Set<string>();
  const issuedNonces = new Set<string>();

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

    // DESIGN.md: a second use of a nonce is never a trade; a broken nonce source fails the cycle.
    const nonce = input.issueNonce();
    if (issuedNonces.has(nonce)) throw new Error(`nonce source repeated nonce ${nonce} within session ${session_id}`);
    issuedNonces.add(nonce);

    // Seed 000 "Enriched Signal Format": allocation = original_allocation × weight_multiplier.
    const allocation = raw.allocation * weight.weight;
    enriched.push({
      signal_id: doc.id,
      strategy_id: raw.strategy_id,
      strategy_name: weight.strategy_name,
      action: raw.action,
      ticker: raw.ticker,
      allocation,
      original_allocation: raw.allocation,
      weight_multiplier: weight.weight,
      mode: weight.mode,
      confidence: raw.confidence,
      reasoning: raw.reasoning,
      // Seed 000: SHADOW_MODE is paper only; DISABLED never trades; a HOLD or 0 allocation places nothing.
      executable: TRADABLE_MODES.has(weight.mode) && raw.action !== "HOLD" && allocation > 0,
      agent_id: agentId(tenant_id, raw.strategy_id),
      nonce,
      session_id,
      identity_timestamp: timestamp,
    });
  }

  const override = applySystemicRiskOverride(enriched, config.systemic_sell_threshold);
  // After the override: only BUYs still executable spend buying power.
  const capped = capBuyNotional(override.signals, {
    available: input.buyingPower?.available ?? null,
    source: input.buyingPower?.source ?? "no account snapshot: BUY notional not capped",
    capitalBase: new Map(strategyIds.map((id) => [id, input.strategies[id].capital_base])),
  });
  const signalsModified = { ...override.signals_modified };
  for (const s of capped.signals) {
    if (s.buying_power_reason && !Object.hasOwn(signalsModified, s.signal_id)) signalsModified[s.signal_id] = s.buying_power_reason;
  }

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

  return {
    signals: capped.signals,
    allocation_decisions: allocationDecisions,
    systemic_risk: override.systemic_risk,
    signals_modified: signalsModified,
    rejected_signals: rejected,
    buying_power: capped.summary,
  };
}
