/**
 * Systemic risk override (DESIGN.md "Rules of the Maestro", seed 000): when at least
 * `threshold` strategies that can trade (not SHADOW_MODE, not DISABLED) say SELL, every BUY
 * becomes HOLD with original_action, override_reason and confidence 0.
 */
import type { SystemicRisk } from "../schemas";
import { TRADABLE_MODES, intervene, isEntry, type CycleStep, type DraftSignal } from "./pipeline";

/** Modes whose signals reach the market (defined with the pipeline); a SHADOW_MODE or DISABLED SELL is no market signal. */
export { TRADABLE_MODES };

export const SYSTEMIC_RISK_MODIFICATION = "BUY->HOLD (systemic risk)";

export function systemicRiskOverrideReason(sellCount: number): string {
  return `Maestro systemic risk override: ${sellCount} strategies signaling SELL`;
}

/**
 * The override on any signals (the pipeline's drafts, or enriched signals): returns new
 * signal objects (the input is not mutated), in input order. Only entries are overridden:
 * a BUY that covers a short is an exit and passes. `signals_modified` is keyed by
 * signal_id: a strategy may send several signals for one ticker in a batch.
 */
export function applySystemicRiskOverride<T extends DraftSignal>(
  signals: readonly T[],
  threshold: number,
): { signals: T[]; systemic_risk: SystemicRisk; signals_modified: Record<string, string> } {
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new RangeError(`systemic sell threshold must be a positive integer (got ${threshold})`);
  }
  // Distinct strategies: three SELLs from one strategy are one opinion, not three.
  const sellers = new Set<string>();
  for (const s of signals) {
    if (s.action === "SELL" && TRADABLE_MODES.has(s.mode)) sellers.add(s.strategy_id);
  }
  const sellCount = sellers.size;
  const detected = sellCount >= threshold;
  const signalsModified: Record<string, string> = {};
  const reason = systemicRiskOverrideReason(sellCount);

  const out = signals.map((s): T => {
    if (!detected || s.action !== "BUY" || !isEntry(s)) return { ...s };
    signalsModified[s.signal_id] = SYSTEMIC_RISK_MODIFICATION;
    return intervene(s, "systemic_override", "SYSTEMIC_RISK_OVERRIDE", reason, { action: "HOLD", allocation: 0 }, {
      original_action: "BUY",
      override_reason: reason,
      confidence: 0,
      executable: false,
    }) as T;
  });
  const overriddenCount = Object.keys(signalsModified).length;

  const details = detected
    ? `Systemic risk threshold breached: ${sellCount} strategies signaling SELL (threshold ${threshold}). ` +
      `Overrode ${overriddenCount} BUY ${overriddenCount === 1 ? "signal" : "signals"} to HOLD.`
    : `No systemic risk: ${sellCount} of ${threshold} strategies signaling SELL needed.`;

  return {
    signals: out,
    systemic_risk: {
      detected,
      threshold,
      sell_count: sellCount,
      selling_strategies: [...sellers].sort(),
      overridden_count: overriddenCount,
      details,
    },
    signals_modified: signalsModified,
  };
}

/** The override as a step of the cycle (config.cycle_steps "systemic_override"). */
export const systemicOverrideStep: CycleStep = {
  name: "systemic_override",
  run(signals, ctx) {
    const result = applySystemicRiskOverride(signals, ctx.config.systemic_sell_threshold);
    return { signals: result.signals, systemic_risk: result.systemic_risk };
  },
};
