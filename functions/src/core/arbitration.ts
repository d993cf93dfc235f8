/**
 * Signal arbitration and the redundancy filter (issue 12, seed 003; config.cycle_steps
 * "arbitration", after the systemic override and before the risk steps). Entries only:
 * exits and holds pass untouched.
 *
 * 1. Redundancy: two entries whose similarity exceeds 0.7 keep only the stronger (higher
 *    confidence, then signal id); the other is held (REDUNDANT_SIGNAL). Similarity is
 *    0.4 × same ticker + 0.3 × same direction + 0.3 × max(0, ρ) of their strategies'
 *    returns (the correlated pairs the weights keep): the same ticker and direction from
 *    positively correlated strategies is one bet placed twice.
 * 2. Arbitration: when entries from two or more strategies remain on one ticker, each is
 *    scored by seed 003's five factors, each in [0, 1] and defined from what Maestro has:
 *      regime alignment (30 %)      the share of the cycle's other tradable signals, on any
 *                                   ticker, in the same direction (the desk's own read of the
 *                                   market; 0.5 when there are none). Maestro has no regime
 *                                   model: its strategies' consensus stands in for one;
 *      expectancy (25 %)            the strategy's win rate over the lookback (its share of
 *                                   positive days: Maestro keeps daily P&L, not fills by hour);
 *      signal strength (20 %)       the signal's confidence;
 *      capital efficiency (15 %)    the strategy's total return over the lookback, min-max
 *                                   scaled among the contenders (0.5 when they are equal);
 *      correlation contribution (10 %) 1 − the strategy's strongest positive correlation
 *                                   with a strategy holding a position (1: it diversifies).
 *    The winner (highest score, then confidence, then signal id) proceeds; the others are
 *    held (ARBITRATION_LOST) with the breakdown on each (`arbitration`).
 *
 * The factor weights are learned (a Beta-Bernoulli Thompson-sampling bandit): each factor
 * has a Beta(α, β), priors Beta(1, 1); each arbitration draws θ_f from each, with a
 * random source seeded from the cycle's session id so a decision replays exactly, and
 * weighs the factors by base_f × θ_f, normalised. After the winner's trade has an outcome,
 * each factor that favoured the winner (its value was the contest's highest) gains α + 1
 * for a profit and β + 1 for a loss (`updateBandit`). Beta draws come from Gamma draws
 * (Marsaglia & Tsang 2000; shape < 1 by Gamma(a + 1) · U^(1/a)).
 */
import type { EnrichedSignal } from "../schemas";
import { intervene, isEntry, wouldTrade, type CycleStep, type DraftSignal } from "./pipeline";
import { pairKey } from "./portfolio-risk";
import { seededRandom } from "./seeded-random";

export const ARBITRATION_FACTORS = ["regime_alignment", "expectancy", "signal_strength", "capital_efficiency", "correlation_contribution"] as const;
export type ArbitrationFactor = (typeof ARBITRATION_FACTORS)[number];

/** Seed 003's weights: what the bandit's draws are scaled from. */
export const BASE_FACTOR_WEIGHTS: Readonly<Record<ArbitrationFactor, number>> = {
  regime_alignment: 0.3,
  expectancy: 0.25,
  signal_strength: 0.2,
  capital_efficiency: 0.15,
  correlation_contribution: 0.1,
};

export const SIMILARITY_LIMIT = 0.7;

/** The learned state: one Beta per factor. */
export interface BanditState {
  version: number;
  factors: Record<ArbitrationFactor, { alpha: number; beta: number }>;
}

export function freshBandit(): BanditState {
  return { version: 0, factors: Object.fromEntries(ARBITRATION_FACTORS.map((f) => [f, { alpha: 1, beta: 1 }])) as BanditState["factors"] };
}

/** A uint32 seed from a string (FNV-1a): the cycle's session id, so the draws replay. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function standardNormal(random: () => number): number {
  // Box–Muller; 1 − u keeps the logarithm finite.
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A Gamma(shape, 1) draw (Marsaglia & Tsang 2000). */
export function gammaDraw(shape: number, random: () => number): number {
  if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0 (got ${shape})`);
  if (shape < 1) return gammaDraw(shape + 1, random) * Math.pow(1 - random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(α, β) draw: X / (X + Y), X ~ Gamma(α), Y ~ Gamma(β). */
export function betaDraw(alpha: number, beta: number, random: () => number): number {
  const x = gammaDraw(alpha, random);
  const y = gammaDraw(beta, random);
  return x / (x + y);
}

/** The factor weights for one cycle: base × θ, θ drawn from each factor's Beta, normalised to sum 1. */
export function sampleFactorWeights(state: BanditState, seed: number): { weights: Record<ArbitrationFactor, number>; draws: Record<ArbitrationFactor, number> } {
  const random = seededRandom(seed);
  const draws = {} as Record<ArbitrationFactor, number>;
  for (const f of ARBITRATION_FACTORS) draws[f] = betaDraw(state.factors[f].alpha, state.factors[f].beta, random);
  const total = ARBITRATION_FACTORS.reduce((sum, f) => sum + BASE_FACTOR_WEIGHTS[f] * draws[f], 0);
  const weights = {} as Record<ArbitrationFactor, number>;
  for (const f of ARBITRATION_FACTORS) weights[f] = total > 0 ? (BASE_FACTOR_WEIGHTS[f] * draws[f]) / total : BASE_FACTOR_WEIGHTS[f];
  return { weights, draws };
}

/** The factors that favoured the winner: its value was the contest's highest, above at least one other. */
export function factorVotes(winner: Record<ArbitrationFactor, number>, others: readonly Record<ArbitrationFactor, number>[]): ArbitrationFactor[] {
  return ARBITRATION_FACTORS.filter((f) => others.every((o) => winner[f] >= o[f]) && others.some((o) => winner[f] > o[f]));
}

/** The bandit after one arbitrated trade's outcome: each factor that voted for the winner gains a success or a failure. */
export function updateBandit(state: BanditState, votes: readonly ArbitrationFactor[], profitable: boolean): BanditState {
  const factors = { ...state.factors };
  for (const f of votes) factors[f] = profitable ? { ...factors[f], alpha: factors[f].alpha + 1 } : { ...factors[f], beta: factors[f].beta + 1 };
  return { version: state.version + 1, factors };
}

type Breakdown = NonNullable<EnrichedSignal["arbitration"]>;

const round = (x: number) => Number(x.toFixed(4));

export const arbitrationStep: CycleStep = {
  name: "arbitration",
  run(signals, ctx) {
    const contenders = signals.filter((s) => wouldTrade(s) && isEntry(s));
    if (contenders.length < 2) return { signals: [...signals] };
    const changed = new Map<string, DraftSignal>();
    const hold = (s: DraftSignal, code: "REDUNDANT_SIGNAL" | "ARBITRATION_LOST", reason: string, extra: Partial<DraftSignal> = {}) =>
      intervene(s, "arbitration", code, reason, { action: "HOLD", allocation: 0 }, { original_action: s.original_action ?? s.action, executable: false, ...extra });
    const rho = (a: string, b: string) => (a === b ? 1 : (ctx.correlations?.get(pairKey(a, b)) ?? 0));
    const stronger = (a: DraftSignal, b: DraftSignal) => b.confidence - a.confidence || (a.signal_id < b.signal_id ? -1 : 1);

    // 1. Redundancy, strongest first: a signal too similar to one already kept is held. Only
    // the same ticker can pass 0.7 (0.3 + 0.3·ρ ≤ 0.6 otherwise), so each looks among its own.
    const kept: DraftSignal[] = [];
    const keptByTicker = new Map<string, DraftSignal[]>();
    for (const s of [...contenders].sort(stronger)) {
      const twin = (keptByTicker.get(s.ticker) ?? []).find((k) => {
        const similarity = (k.ticker === s.ticker ? 0.4 : 0) + (k.action === s.action ? 0.3 : 0) + 0.3 * Math.max(0, rho(k.strategy_id, s.strategy_id));
        return similarity > SIMILARITY_LIMIT + 1e-12;
      });
      if (twin) {
        const r = rho(twin.strategy_id, s.strategy_id);
        changed.set(
          s.signal_id,
          hold(s, "REDUNDANT_SIGNAL", `Held as redundant: ${s.action} ${s.ticker} like signal ${twin.signal_id} of ${twin.strategy_id} (ρ ${round(r)} between the strategies; similarity above ${SIMILARITY_LIMIT}), which is stronger (confidence ${twin.confidence} ≥ ${s.confidence}).`),
        );
      } else {
        kept.push(s);
        keptByTicker.set(s.ticker, [...(keptByTicker.get(s.ticker) ?? []), s]);
      }
    }

    // 2. Arbitration among the strategies left on each ticker.
    const byTicker = new Map<string, DraftSignal[]>();
    for (const s of kept) byTicker.set(s.ticker, [...(byTicker.get(s.ticker) ?? []), s]);
    const contests = [...byTicker.entries()].filter(([, group]) => new Set(group.map((s) => s.strategy_id)).size >= 2);
    if (contests.length === 0) return { signals: signals.map((s) => changed.get(s.signal_id) ?? s) };

    const { weights, draws } = sampleFactorWeights(ctx.arbitration?.state ?? freshBandit(), ctx.arbitration?.seed ?? 0);
    // The desk's read of the market: tradable signals by direction, in all and per strategy (a strategy's own do not count for it).
    const tradable = signals.filter((s) => wouldTrade(s));
    const byAction = new Map<string, number>();
    const byStrategyAction = new Map<string, number>();
    const byStrategy = new Map<string, number>();
    for (const t of tradable) {
      byAction.set(t.action, (byAction.get(t.action) ?? 0) + 1);
      byStrategyAction.set(`${t.strategy_id}|${t.action}`, (byStrategyAction.get(`${t.strategy_id}|${t.action}`) ?? 0) + 1);
      byStrategy.set(t.strategy_id, (byStrategy.get(t.strategy_id) ?? 0) + 1);
    }
    const holders = Object.entries(ctx.positions).filter(([, p]) => Object.values(p).some((q) => q !== 0)).map(([id]) => id);
    for (const [ticker, group] of contests) {
      const returns = group.map((s) => ctx.weights.get(s.strategy_id)?.total_return ?? 0);
      const [lo, hi] = [Math.min(...returns), Math.max(...returns)];
      const scored = group.map((s, i) => {
        const others = tradable.length - (byStrategy.get(s.strategy_id) ?? 0);
        const othersSameWay = (byAction.get(s.action) ?? 0) - (byStrategyAction.get(`${s.strategy_id}|${s.action}`) ?? 0);
        const factors: Record<ArbitrationFactor, number> = {
          regime_alignment: others > 0 ? othersSameWay / others : 0.5,
          expectancy: Math.min(1, Math.max(0, ctx.weights.get(s.strategy_id)?.win_rate ?? 0)),
          signal_strength: Math.min(1, Math.max(0, s.confidence)),
          capital_efficiency: hi > lo ? (returns[i] - lo) / (hi - lo) : 0.5,
          correlation_contribution: 1 - Math.max(0, ...holders.filter((h) => h !== s.strategy_id).map((h) => rho(s.strategy_id, h))),
        };
        const score = ARBITRATION_FACTORS.reduce((sum, f) => sum + weights[f] * factors[f], 0);
        return { s, factors, score };
      });
      scored.sort((a, b) => b.score - a.score || b.s.confidence - a.s.confidence || (a.s.signal_id < b.s.signal_id ? -1 : 1));
      const [winner, ...losers] = scored;
      const votes = factorVotes(winner.factors, losers.map((l) => l.factors));
      const breakdown = (x: (typeof scored)[number], won: boolean): Breakdown => ({
        ticker,
        won,
        score: round(x.score),
        factors: Object.fromEntries(ARBITRATION_FACTORS.map((f) => [f, round(x.factors[f])])) as Breakdown["factors"],
        weights: Object.fromEntries(ARBITRATION_FACTORS.map((f) => [f, round(weights[f])])) as Breakdown["weights"],
        draws: Object.fromEntries(ARBITRATION_FACTORS.map((f) => [f, round(draws[f])])) as Breakdown["draws"],
        contenders: scored.map((c) => c.s.signal_id),
        votes: won ? votes : [],
        bandit_version: ctx.arbitration?.state.version ?? 0,
      });
      changed.set(winner.s.signal_id, { ...winner.s, arbitration: breakdown(winner, true) });
      for (const l of losers) {
        const lead = ARBITRATION_FACTORS.filter((f) => winner.factors[f] > l.factors[f]).map((f) => f.replace(/_/g, " "));
        changed.set(
          l.s.signal_id,
          hold(l.s, "ARBITRATION_LOST", `Held: signal ${winner.s.signal_id} of ${winner.s.strategy_id} won the arbitration on ${ticker}, score ${round(winner.score)} against ${round(l.score)} (ahead on ${lead.join(", ") || "the tie-break"}).`, {
            arbitration: breakdown(l, false),
          }),
        );
      }
    }
    return { signals: signals.map((s) => changed.get(s.signal_id) ?? s) };
  },
};
