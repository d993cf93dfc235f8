/**
 * Double-spend guard: within a cycle, the notional of the BUYs Maestro lets through never
 * exceeds the buying power left for the account. A BUY's notional is its final allocation
 * × its strategy's capital_base. BUYs take buying power in priority order (confidence
 * high to low, then signal id); the one that would cross the limit is scaled down to what
 * is left, and the rest are held, each with the reason on the signal and an intervention
 * (BUYING_POWER_SCALED, BUYING_POWER_HELD). Only entries are capped: a BUY that covers a
 * short is an exit, passes, and carries its notional outside the cap.
 */
import type { BuyingPowerSummary } from "../schemas";
import { intervene, isEntry, wouldTrade, type CycleStep, type DraftSignal } from "./pipeline";

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

export function capBuyNotional<T extends DraftSignal>(signals: readonly T[], input: BuyingPowerInput): { signals: T[]; summary: BuyingPowerSummary } {
  const notionalOf = (s: DraftSignal) => s.allocation * (input.capitalBase.get(s.strategy_id) ?? 0);
  const isBuy = (s: DraftSignal) => wouldTrade(s) && s.action === "BUY";
  // Exits pass every risk step: their notional is recorded, never capped.
  const withExits = signals.map((s): T => (isBuy(s) && !isEntry(s) ? { ...s, notional: notionalOf(s) } : s));
  signals = withExits;
  const buys = signals
    .filter((s) => isBuy(s) && isEntry(s))
    .sort((a, b) => b.confidence - a.confidence || (a.signal_id < b.signal_id ? -1 : a.signal_id > b.signal_id ? 1 : 0));
  const requested = buys.reduce((sum, s) => sum + notionalOf(s), 0);

  if (input.available === "hold") {
    const held = buys.map((s) => s.signal_id).sort();
    const heldIds = new Set(held);
    const out = signals.map((s): T =>
      heldIds.has(s.signal_id)
        ? (intervene(s, "buying_power", "BUYING_POWER_HELD", `Held: ${input.source}.`, { action: "HOLD", allocation: 0 }, {
            original_action: s.original_action ?? "BUY",
            executable: false,
            notional: 0,
            buying_power_reason: `Held: ${input.source}.`,
          }) as T)
        : s,
    );
    return {
      signals: out,
      summary: { available: 0, source: input.source, requested_notional: requested, approved_notional: 0, remaining: 0, scaled: [], held },
    };
  }

  if (input.available === null) {
    const out = signals.map((s) => (isBuy(s) && isEntry(s) ? { ...s, notional: notionalOf(s) } : s));
    return {
      signals: out,
      summary: { available: null, source: input.source, requested_notional: requested, approved_notional: requested, remaining: null, scaled: [], held: [] },
    };
  }

  const available = input.available;
  let remaining = Math.max(0, available);
  const changed = new Map<string, T>();
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
      const reason = `Scaled from ${money(notional)} to ${money(remaining)}: only ${money(remaining)} of ${money(available)} buying power was left.`;
      changed.set(s.signal_id, intervene(s, "buying_power", "BUYING_POWER_SCALED", reason, { action: "BUY", allocation }, { notional: remaining, buying_power_reason: reason }) as T);
      scaled.push(s.signal_id);
      remaining = 0;
    } else {
      const reason = `Held: ${money(notional)} requested, no buying power left (${money(available)} available this cycle).`;
      changed.set(s.signal_id, intervene(s, "buying_power", "BUYING_POWER_HELD", reason, { action: "HOLD", allocation: 0 }, {
        original_action: s.original_action ?? "BUY",
        executable: false,
        notional: 0,
        buying_power_reason: reason,
      }) as T);
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

/** The guard as a step of the cycle (config.cycle_steps "buying_power"). */
export const buyingPowerStep: CycleStep = {
  name: "buying_power",
  run(signals, ctx) {
    const capped = capBuyNotional(signals, { ...ctx.buyingPower, capitalBase: ctx.capitalBase });
    return { signals: capped.signals, buying_power: capped.summary };
  },
};
