/**
 * Portfolio risk on entries (issue 12, seeds 003 and 004; config.cycle_steps
 * "portfolio_risk", after the risk guardian, before the buying-power guard). Exits and
 * holds pass untouched. Each entry that would trade is sized by seed 003's breakdown:
 *
 *   final = base × volatility × correlation × regime × concentration, then × heat
 *
 *  - base: its allocation as the steps before left it;
 *  - volatility: `portfolio_risk.target_volatility` / the strategy's realized annualised
 *    volatility (its weight's), bounded to [volatility_multiplier_min, _max] (seed 004:
 *    [0.5, 2]); 1 when there is no target or no volatility to measure;
 *  - correlation: 1 − `correlation_reduction` (0.35; seed 003: 30–40 %) when the strategy's
 *    returns correlate above `correlation_threshold` (0.7) with a strategy that holds an
 *    open position (the weights keep the correlated pairs, core/portfolio-risk
 *    `correlatedPairs`); else 1;
 *  - regime: 1: Maestro has no market-regime input yet (the factor is kept so the breakdown
 *    reads as seed 003's);
 *  - concentration: `concentration_multiplier` (0.7) on every entry of a direction when the
 *    cycle has `concentration_count` (3) or more entries in that direction (seed 003's beta
 *    neutralisation: proportional, never by liquidation, as LEAN's sector exposure model);
 *  - heat: the open positions (each valued at its latest mark, at the default stop
 *    distance) and the cycle's entries (each at its stop distance) together may risk
 *    `max_portfolio_heat_pct` (5 %) of equity; the entries share what room is left, scaled
 *    by one factor as the limit nears, and are held (PORTFOLIO_HEAT_LIMIT) when none is
 *    left. An open position without a mark has an unknown risk: entries are held
 *    (PORTFOLIO_HEAT_UNMEASURED) until one is written (fail closed).
 * The sized allocation never exceeds 1 (a strategy never trades above its capital base).
 * An entry whose allocation changed carries PORTFOLIO_RISK_SIZED with the factors in its
 * reason; every entry the step saw carries the breakdown (`portfolio_sizing`).
 */
import type { EnrichedSignal, MaestroConfig } from "../schemas";
import type { StrategyPerformanceInput } from "./allocation";
import { alignedReturns } from "./portfolio-allocation";
import { intervene, isEntry, wouldTrade, type CycleStep, type DraftSignal } from "./pipeline";

export interface CorrelatedPair {
  a: string;
  b: string;
  rho: number;
  days: number;
}

/** Pairs kept with the weights: |ρ| at least this. */
export const KEPT_CORRELATION = 0.5;
/** At most this many pairs are kept (the strongest), so the weights document stays small. */
export const MAX_KEPT_PAIRS = 1_000;

/**
 * The pairs of strategies whose daily returns (aligned by day over the last `lookback`
 * days, a missing day a 0 return) correlate at |ρ| ≥ KEPT_CORRELATION, strongest first. A
 * strategy with fewer than `minDays` days of its own, or no variance, is left out.
 */
export function correlatedPairs(inputs: readonly StrategyPerformanceInput[], lookback: number, minDays: number): CorrelatedPair[] {
  const { days, returns } = alignedReturns(inputs, lookback);
  const usable = inputs
    .filter((i) => Object.keys(i.returns_by_day ?? {}).filter((d) => days.includes(d)).length >= minDays)
    .map((i) => {
      const r = returns[i.strategy_id];
      const mean = r.reduce((x, y) => x + y, 0) / r.length;
      const centred = r.map((x) => x - mean);
      const norm = Math.sqrt(centred.reduce((x, y) => x + y * y, 0));
      return { id: i.strategy_id, centred, norm };
    })
    .filter((x) => x.norm > 0);
  const pairs: CorrelatedPair[] = [];
  for (let i = 0; i < usable.length; i++) {
    for (let j = i + 1; j < usable.length; j++) {
      let dot = 0;
      const x = usable[i].centred;
      const y = usable[j].centred;
      for (let k = 0; k < x.length; k++) dot += x[k] * y[k];
      const rho = Math.max(-1, Math.min(1, dot / (usable[i].norm * usable[j].norm)));
      if (Math.abs(rho) >= KEPT_CORRELATION) {
        const [a, b] = usable[i].id < usable[j].id ? [usable[i].id, usable[j].id] : [usable[j].id, usable[i].id];
        pairs.push({ a, b, rho, days: days.length });
      }
    }
  }
  pairs.sort((p, q) => Math.abs(q.rho) - Math.abs(p.rho) || (p.a < q.a ? -1 : p.a > q.a ? 1 : p.b < q.b ? -1 : 1));
  return pairs.slice(0, MAX_KEPT_PAIRS);
}

export const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

type Sizing = NonNullable<EnrichedSignal["portfolio_sizing"]>;

const fmt = (x: number) => Number(x.toFixed(4)).toString();

function volatilityFactor(config: MaestroConfig, volatility: number | undefined, dataPoints: number | undefined): { factor: number; note: string } {
  const pr = config.portfolio_risk;
  if (pr.target_volatility === null) return { factor: 1, note: "volatility 1 (no target_volatility)" };
  if (volatility === undefined || !(volatility > 0) || (dataPoints ?? 0) < config.min_data_points) {
    return { factor: 1, note: `volatility 1 (no realized volatility to measure: ${dataPoints ?? 0} days)` };
  }
  const raw = pr.target_volatility / volatility;
  const factor = Math.min(pr.volatility_multiplier_max, Math.max(pr.volatility_multiplier_min, raw));
  const bounded = factor !== raw ? `, bounded to [${pr.volatility_multiplier_min}, ${pr.volatility_multiplier_max}]` : "";
  return { factor, note: `volatility ${fmt(factor)} (target ${pr.target_volatility} / realized ${fmt(volatility)}${bounded})` };
}

export const portfolioRiskStep: CycleStep = {
  name: "portfolio_risk",
  run(signals, ctx) {
    const pr = ctx.config.portfolio_risk;
    const entries = signals.filter((s) => wouldTrade(s) && isEntry(s));
    if (entries.length === 0) return { signals: [...signals] };

    const holders = Object.entries(ctx.positions)
      .filter(([, byTicker]) => Object.values(byTicker).some((q) => q !== 0))
      .map(([id]) => id)
      .sort();
    const perDirection = new Map<string, number>();
    for (const s of entries) perDirection.set(s.action, (perDirection.get(s.action) ?? 0) + 1);

    const sized = entries.map((s) => {
      const w = ctx.weights.get(s.strategy_id);
      const notes: string[] = [];
      const vol = volatilityFactor(ctx.config, w?.volatility, w?.data_points);
      notes.push(vol.note);

      let correlation = 1;
      let strongest: { with: string; rho: number } | null = null;
      for (const h of holders) {
        if (h === s.strategy_id) continue;
        const rho = ctx.correlations?.get(pairKey(s.strategy_id, h));
        if (rho !== undefined && rho > pr.correlation_threshold && (strongest === null || rho > strongest.rho)) strongest = { with: h, rho };
      }
      if (strongest) {
        correlation = 1 - pr.correlation_reduction;
        notes.push(`correlation ${fmt(correlation)} (ρ ${fmt(strongest.rho)} with ${strongest.with}, which holds a position; above ${pr.correlation_threshold})`);
      } else notes.push(`correlation 1 (no strategy holding a position correlates above ${pr.correlation_threshold})`);

      notes.push("regime 1 (no market-regime input)");
      const sameWay = perDirection.get(s.action) ?? 0;
      const concentration = sameWay >= pr.concentration_count ? pr.concentration_multiplier : 1;
      notes.push(
        concentration === 1
          ? `concentration 1 (${sameWay} ${s.action} entr${sameWay === 1 ? "y" : "ies"} this cycle, fewer than ${pr.concentration_count})`
          : `concentration ${concentration} (${sameWay} ${s.action} entries this cycle, at least ${pr.concentration_count})`,
      );
      let allocation = s.allocation * vol.factor * correlation * concentration;
      if (allocation > 1) {
        notes.push(`capped at 1 from ${fmt(allocation)} (never above the strategy's capital base)`);
        allocation = 1;
      }
      return { s, allocation, sizing: { base: s.allocation, volatility: vol.factor, correlation, regime: 1, concentration, heat: 1, final: allocation, notes } as Sizing };
    });

    // Heat: what the open positions risk (each at the default stop distance, valued at its
    // latest mark) and what the cycle's entries would add (each at its own stop distance).
    const defaultStop = ctx.config.risk.default_stop_distance_pct / 100;
    const unmarked = new Set<string>();
    let openRisk = 0;
    for (const byTicker of Object.values(ctx.positions)) {
      for (const [symbol, quantity] of Object.entries(byTicker)) {
        if (quantity === 0) continue;
        const price = ctx.marks?.prices.get(symbol);
        if (price === undefined || !(price > 0)) unmarked.add(symbol);
        else openRisk += Math.abs(quantity) * price * defaultStop;
      }
    }
    const changed = new Map<string, DraftSignal>();
    const hold = (s: DraftSignal, code: "PORTFOLIO_HEAT_LIMIT" | "PORTFOLIO_HEAT_UNMEASURED", reason: string) =>
      intervene(s, "portfolio_risk", code, reason, { action: "HOLD", allocation: 0 }, { original_action: s.original_action ?? s.action, executable: false });
    if (unmarked.size > 0) {
      // Fail closed: a position whose price is unknown has an unknown risk.
      const reason = `Held: open position(s) in ${[...unmarked].sort().join(", ")} have no mark (${ctx.marks?.source ?? "no marks read"}), so the portfolio's heat cannot be measured; entries wait for one.`;
      for (const x of sized) changed.set(x.s.signal_id, hold(x.s, "PORTFOLIO_HEAT_UNMEASURED", reason));
      return { signals: signals.map((s) => changed.get(s.signal_id) ?? s) };
    }
    const equity = ctx.equity.value;
    const riskOf = (x: (typeof sized)[number]) =>
      x.allocation * (ctx.capitalBase.get(x.s.strategy_id) ?? 0) * ((x.s.stop_distance_pct ?? ctx.config.risk.default_stop_distance_pct) / 100);
    const total = sized.reduce((sum, x) => sum + riskOf(x), 0);
    const limit = equity !== null && equity > 0 ? (equity * pr.max_portfolio_heat_pct) / 100 : null;
    const room = limit === null ? null : Math.max(0, limit - openRisk);
    const heat = room !== null && total > room && total > 0 ? room / total : 1;
    const money = (x: number) => `$${x.toFixed(2)}`;
    const heatNote =
      limit === null
        ? "heat 1 (no equity reading to measure it against)"
        : heat < 1
          ? `heat ${fmt(heat)} (open positions risk ${money(openRisk)} and the cycle's entries ${money(total)}, above max_portfolio_heat_pct ${pr.max_portfolio_heat_pct} % of equity, ${money(limit)})`
          : `heat 1 (open positions risk ${money(openRisk)} and the cycle's entries ${money(total)} of ${money(limit)} allowed)`;
    if (heat === 0) {
      const reason = `Held: open positions already risk ${money(openRisk)}, at or past max_portfolio_heat_pct ${pr.max_portfolio_heat_pct} % of equity (${money(limit!)}); no new entry fits.`;
      for (const x of sized) changed.set(x.s.signal_id, hold(x.s, "PORTFOLIO_HEAT_LIMIT", reason));
      return { signals: signals.map((s) => changed.get(s.signal_id) ?? s) };
    }

    for (const x of sized) {
      const final = x.allocation * heat;
      const sizing: Sizing = { ...x.sizing, heat, final, notes: [...x.sizing.notes, heatNote] };
      const reason = `Sized ${fmt(x.s.allocation)} → ${fmt(final)}: ${sizing.notes.join("; ")}.`;
      changed.set(
        x.s.signal_id,
        Math.abs(final - x.s.allocation) > 1e-12
          ? intervene(x.s, "portfolio_risk", "PORTFOLIO_RISK_SIZED", reason, { action: x.s.action, allocation: final }, { portfolio_sizing: sizing })
          : { ...x.s, portfolio_sizing: sizing },
      );
    }
    return { signals: signals.map((s) => changed.get(s.signal_id) ?? s) };
  },
};
