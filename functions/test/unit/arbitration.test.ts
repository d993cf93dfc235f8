/**
 * Signal arbitration, the redundancy filter and the Thompson-sampling bandit
 * (core/arbitration.ts). Scores worked by hand in the comments; the samplers checked
 * against the Beta and Gamma distributions' known moments; FNV-1a against its published
 * test vectors.
 */
import fc from "fast-check";
import { betaDraw, factorVotes, freshBandit, gammaDraw, sampleFactorWeights, seedOf, updateBandit, BASE_FACTOR_WEIGHTS, type BanditState } from "../../src/core/arbitration";
import { seededRandom } from "../../src/core/seeded-random";
import { orchestrateCycle, type CycleInput } from "../../src/core/orchestrate";
import { MaestroConfigSchema, type Strategy, type StrategyWeight } from "../../src/schemas";

const strategy = (name: string): Strategy => ({ name, enabled: true, capital_base: 100_000, manual_mode: null });
const weight = (id: string, win_rate: number, total_return: number): StrategyWeight => ({
  strategy_id: id, strategy_name: id, weight: 1, mode: "ACTIVE", reasoning: "r", sharpe_ratio: 2, sortino_ratio: null, total_return, annualized_return: null,
  volatility: 0.1, max_drawdown: 0, win_rate, data_points: 30, period_start: null, period_end: null, paper_days: 0,
});
const config = MaestroConfigSchema.parse({ cycle_steps: ["weights", "arbitration"] });
const raw = (strategy_id: string, action: string, ticker: string, confidence: number) => ({ strategy_id, action, ticker, allocation: 0.1, confidence, status: "pending" });
/** θ ≈ 0.5 for every factor (Beta(10⁶, 10⁶) has sd 0.00035): the factor weights are seed 003's to about 1e-3. */
const steady: BanditState = { version: 7, factors: Object.fromEntries(Object.keys(BASE_FACTOR_WEIGHTS).map((f) => [f, { alpha: 1e6, beta: 1e6 }])) as BanditState["factors"] };
let n = 0;
function input(over: Partial<CycleInput>): CycleInput {
  return {
    tenant_id: "t1", session_id: "maestro_1735560000000_a1b2c3d4e5f60718", now: new Date(1_735_560_000_000), config,
    strategies: { a: strategy("A"), b: strategy("B"), c: strategy("C") },
    weights: { a: weight("a", 0.6, 0.1), b: weight("b", 0.4, 0.05), c: weight("c", 0.5, 0) },
    signals: [], issueNonce: () => (++n).toString(16).padStart(32, "0"), bandit: steady, ...over,
  };
}
const byId = (r: ReturnType<typeof orchestrateCycle>) => Object.fromEntries(r.signals.map((s) => [s.signal_id, s]));

describe("the arbitration step", () => {
  it("scores the strategies on one ticker by the five factors; the winner proceeds, the other is held with the breakdown", () => {
    // a BUY SPY (confidence 0.5), b BUY SPY (0.9), c SELL QQQ. ρ(a, b) unknown → similarity 0.7, not redundant.
    //   a: regime 1/2 (of b BUY, c SELL), expectancy 0.6, strength 0.5, efficiency 1 (best return), correlation 1
    //      → 0.3·0.5 + 0.25·0.6 + 0.2·0.5 + 0.15·1 + 0.1·1 = 0.65
    //   b: regime 1/2, expectancy 0.4, strength 0.9, efficiency 0, correlation 1
    //      → 0.15 + 0.1 + 0.18 + 0 + 0.1 = 0.53
    const r = byId(orchestrateCycle(input({ signals: [{ id: "1", data: raw("a", "BUY", "SPY", 0.5) }, { id: "2", data: raw("b", "BUY", "SPY", 0.9) }, { id: "3", data: raw("c", "SELL", "QQQ", 0.5) }] })));
    expect(r["1"]).toMatchObject({ action: "BUY", executable: true, interventions: [] });
    expect(r["1"].arbitration).toMatchObject({ ticker: "SPY", won: true, contenders: ["1", "2"], votes: ["expectancy", "capital_efficiency"], bandit_version: 7 });
    expect(r["1"].arbitration!.score).toBeCloseTo(0.65, 2);
    expect(r["1"].arbitration!.factors).toEqual({ regime_alignment: 0.5, expectancy: 0.6, signal_strength: 0.5, capital_efficiency: 1, correlation_contribution: 1 });
    expect(r["2"]).toMatchObject({ action: "HOLD", original_action: "BUY", executable: false, nonce: null });
    expect(r["2"].arbitration!.score).toBeCloseTo(0.53, 2);
    expect(r["2"].interventions.map((i) => [i.step, i.code])).toEqual([["arbitration", "ARBITRATION_LOST"]]);
    expect(r["2"].interventions[0].reason).toMatch(/^Held: signal 1 of a won the arbitration on SPY, score 0\.6[45]\d* against 0\.5[23]\d* \(ahead on expectancy, capital efficiency\)\.$/);
    // c is alone on QQQ: no contest.
    expect(r["3"]).toMatchObject({ action: "SELL", executable: true, interventions: [] });
    expect(r["3"].arbitration).toBeUndefined();
  });

  it("a bandit that has learned signal strength pays off lets the more confident signal win the same contest", () => {
    const learned: BanditState = { version: 40, factors: { ...steady.factors, signal_strength: { alpha: 1e6, beta: 1 }, expectancy: { alpha: 1, beta: 1e6 }, capital_efficiency: { alpha: 1, beta: 1e6 } } };
    const r = byId(orchestrateCycle(input({ bandit: learned, signals: [{ id: "1", data: raw("a", "BUY", "SPY", 0.5) }, { id: "2", data: raw("b", "BUY", "SPY", 0.9) }] })));
    expect(r["2"].arbitration!.won).toBe(true);
    expect(r["1"].interventions.map((i) => i.code)).toEqual(["ARBITRATION_LOST"]);
  });

  it("the redundancy filter holds the weaker of two same-ticker, same-direction signals from correlated strategies; an exit passes", () => {
    // ρ(a, b) 0.8: similarity 0.4 + 0.3 + 0.24 = 0.94 > 0.7.
    const r = byId(orchestrateCycle(input({
      correlatedPairs: [{ a: "a", b: "b", rho: 0.8 }],
      positions: { c: { SPY: 5 } },
      signals: [{ id: "1", data: raw("a", "BUY", "SPY", 0.5) }, { id: "2", data: raw("b", "BUY", "SPY", 0.9) }, { id: "3", data: raw("c", "SELL", "SPY", 0.1) }],
    })));
    expect(r["1"].interventions.map((i) => i.code)).toEqual(["REDUNDANT_SIGNAL"]);
    expect(r["1"].interventions[0].reason).toMatch(/^Held as redundant: BUY SPY like signal 2 of b \(ρ 0\.8 between the strategies/);
    expect(r["2"]).toMatchObject({ action: "BUY", executable: true });
    expect(r["3"]).toMatchObject({ action: "SELL", exposure: "exit", executable: true, interventions: [] });
  });

  it("replays exactly: the same session id draws the same weights; another draws others", () => {
    const a = sampleFactorWeights(freshBandit(), seedOf("maestro_1_a"));
    expect(sampleFactorWeights(freshBandit(), seedOf("maestro_1_a"))).toEqual(a);
    expect(sampleFactorWeights(freshBandit(), seedOf("maestro_1_b"))).not.toEqual(a);
    expect(Object.values(a.weights).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
  });
});

describe("no portfolio step blocks an exit (property)", () => {
  it("with arbitration and portfolio risk in the cycle, every exit passes untouched, and at most one entry per ticker trades", () => {
    const every = MaestroConfigSchema.parse({ cycle_steps: ["weights", "systemic_override", "arbitration", "risk_guardian", "portfolio_risk", "buying_power"] });
    fc.assert(
      fc.property(
        fc.array(fc.record({ s: fc.constantFrom("a", "b", "c"), action: fc.constantFrom("BUY", "SELL"), ticker: fc.constantFrom("SPY", "QQQ", "XLE"), confidence: fc.double({ min: 0, max: 1, noNaN: true }) }), { minLength: 1, maxLength: 9 }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        (rows, rho) => {
          const positions = { a: { SPY: 3 }, b: { XLE: -2 }, c: { QQQ: 1 } };
          const r = orchestrateCycle(input({
            config: every,
            positions,
            equity: { value: 10_000_000, source: "p" },
            buyingPower: { available: 1e12, source: "p" },
            correlatedPairs: [{ a: "a", b: "b", rho }],
            marks: { prices: { SPY: 100, QQQ: 100, XLE: 50 }, source: "p" },
            signals: rows.map((x, i) => ({ id: String(i + 1).padStart(2, "0"), data: raw(x.s, x.action, x.ticker, x.confidence) })),
          }));
          for (const s of r.signals) if (s.exposure === "exit") expect(s).toMatchObject({ action: rows[Number(s.signal_id) - 1].action, executable: true, interventions: [] });
          const tradedEntries = r.signals.filter((s) => s.exposure === "entry" && s.executable);
          const strategiesPerTicker = new Map<string, Set<string>>();
          for (const s of tradedEntries) strategiesPerTicker.set(s.ticker, new Set([...(strategiesPerTicker.get(s.ticker) ?? []), s.strategy_id]));
          for (const set of strategiesPerTicker.values()) expect(set.size).toBe(1);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("the bandit", () => {
  it("FNV-1a matches its published test vectors", () => {
    expect(seedOf("")).toBe(0x811c9dc5);
    expect(seedOf("a")).toBe(0xe40c292c);
    expect(seedOf("foobar")).toBe(0xbf9cf968);
  });

  it("Beta(2, 5) draws have mean 2/7 and variance 10/392; Gamma(0.5) and Gamma(3) their shapes as means", () => {
    const random = seededRandom(12345);
    const N = 40_000;
    const betas = Array.from({ length: N }, () => betaDraw(2, 5, random));
    const mean = betas.reduce((x, y) => x + y, 0) / N;
    const variance = betas.reduce((x, y) => x + (y - mean) ** 2, 0) / N;
    expect(mean).toBeCloseTo(2 / 7, 2);
    expect(Math.abs(variance - 10 / 392)).toBeLessThan(0.0015);
    expect(betas.every((x) => x > 0 && x < 1)).toBe(true);
    for (const shape of [0.5, 3]) {
      const g = Array.from({ length: N }, () => gammaDraw(shape, random));
      expect(Math.abs(g.reduce((x, y) => x + y, 0) / N - shape)).toBeLessThan(0.03 * Math.max(1, shape));
    }
  });

  it("a factor votes for the winner when its value is the contest's highest; the outcome credits exactly those", () => {
    const w = { regime_alignment: 0.5, expectancy: 0.6, signal_strength: 0.5, capital_efficiency: 1, correlation_contribution: 1 };
    const l = { regime_alignment: 0.5, expectancy: 0.4, signal_strength: 0.9, capital_efficiency: 0, correlation_contribution: 1 };
    const votes = factorVotes(w, [l]);
    expect(votes).toEqual(["expectancy", "capital_efficiency"]);
    const won = updateBandit(freshBandit(), votes, true);
    expect(won.version).toBe(1);
    expect(won.factors.expectancy).toEqual({ alpha: 2, beta: 1 });
    expect(won.factors.capital_efficiency).toEqual({ alpha: 2, beta: 1 });
    expect(won.factors.signal_strength).toEqual({ alpha: 1, beta: 1 });
    const lost = updateBandit(won, votes, false);
    expect(lost.factors.expectancy).toEqual({ alpha: 2, beta: 2 });
    expect(lost.version).toBe(2);
  });
});
