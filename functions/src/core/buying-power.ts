/**
 * Double-spend guard: within a cycle, the notional of the BUYs Maestro lets through never
 * exceeds the buying power left for the account. A BUY's notional is its final allocation
 * × its strategy's capital_base. BUYs take buying power in priority order (confidence
 * high to low, then signal id); the one that would cross the limit is scaled down to what
 * is left, and the rest are held, each with the reason on the signal.
 */
import type { BuyingPowerSummary, EnrichedSignal } from "../schemas";

export interface BuyingPowerInput {
  /**
   * Buying power left for Maestro (the snapshot's, less what is still reserved); null = no
   * cap (only when the tenant allows trading without a snapshot); "hold" = fail closed,
   * every BUY is held with `source` as the reason (no, stale or malformed snapshot).
   */
  available: number | null | "hold";
  /** Why `available` is what it is, for the record (e.g. "account snapshot as of ..."). */
  source: string;
  capitalBase: ReadonlyMap<string, number>;
}

const money = (x: number) => `$${x.toFixed(2)}`;

/** Notional below one cent is nothing: such a BUY is held rather than scaled to dust. */
const MIN_NOTIONAL = 0.01;

export function capBuyNotional(signals: readonly EnrichedSignal[], input: BuyingPowerInput): { signals: EnrichedSignal[]; summary: BuyingPowerSummary } {
  const notionalOf = (s: EnrichedSignal) => s.allocation * (input.capitalBase.get(s.strategy_id) ?? 0);
  const buys = signals
    .filter((s) => s.executable && s.action === "BUY")
    .sort((a, b) => b.confidence - a.confidence || (a.signal_id < b.signal_id ? -1 : a.signal_id > b.signal_id ? 1 : 0));
  const requested = buys.reduce((sum, s) => sum + notionalOf(s), 0);

  if (input.available === "hold") {
    const held = buys.map((s) => s.signal_id).sort();
    const out = signals.map((s): EnrichedSignal =>
      s.executable && s.action === "BUY"
        ? { ...s, action: "HOLD", original_action: s.original_action ?? "BUY", allocation: 0, executable: false, notional: 0, buying_power_reason: `Held: ${input.source}.` }
        : s,
    );
    return {
      signals: out,
      summary: { available: 0, source: input.source, requested_notional: requested, approved_notional: 0, remaining: 0, scaled: [], held },
    };
  }

  if (input.available === null) {
    const out = signals.map((s) => (s.executable && s.action === "BUY" ? { ...s, notional: notionalOf(s) } : s));
    return {
      signals: out,
      summary: { available: null, source: input.source, requested_notional: requested, approved_notional: requested, remaining: null, scaled: [], held: [] },
    };
  }

  const available = input.available;
  let remaining = Math.max(0, available);
  const changed = new Map<string, EnrichedSignal>();
  const scaled: string[] = [];
  const held: string[] = [];
  for (const s of buys) {
    const notional = notionalOf(s);
    if (notional <= remaining + 1e-9) {
      remaining -= notional;
      changed.set(s.signal_id, { ...s, notional });
    } else if (remaining >= MIN_NOTIONAL) {
      const capital = input.capitalBase.get(s.strategy_id) ?? 0;
      const allocation = remaining / capital;
      changed.set(s.signal_id, {
        ...s,
        allocation,
        notional: remaining,
        buying_power_reason: `Scaled from ${money(notional)} to ${money(remaining)}: only ${money(remaining)} of ${money(available)} buying power was left.`,
      });
      scaled.push(s.signal_id);
      remaining = 0;
    } else {
      changed.set(s.signal_id, {
        ...s,
        action: "HOLD",
        original_action: s.original_action ?? "BUY",
        allocation: 0,
        executable: false,
        notional: 0,
        buying_power_reason: `Held: ${money(notional)} requested, no buying power left (${money(available)} available this cycle).`,
      });
      held.push(s.signal_id);
    }
  }
  const approved = buys.reduce((sum, s) => sum + (changed.get(s.signal_id)?.notional ?? 0), 0);
  return {
    signals: signals.map((s) => changed.get(s.signal_id) ?? s),
    summary: {
      available,
      source: input.source,
      requested_notional: requested,
      approved_notional: approved,
      remaining,
      scaled: scaled.sort(),
      held: held.sort(),
    },
  };
}
