import fc from "fast-check";
import { orchestrateCycle, type CycleInput } from "../../src/core/orchestrate";
import { DEFAULT_CONFIG, MaestroConfigSchema, type Mode, type Strategy, type StrategyWeight } from "../../src/schemas";

const SESSION = "maestro_1735560000000_a1b2c3d4e5f60718";
const NOW = new Date(1_735_560_000_000); // 2024-12-30T12:00:00.000Z

const strategy = (name: string, over: Partial<Strategy> = {}): Strategy => ({ name, enabled: true, capital_base: 10_000, manual_mode: null, ...over });

function weight(id: string, name: string, mode: Mode, w: number, sharpe: number, reasoning = `${mode} by hand`): StrategyWeight {
  return {
    strategy_id: id,
    strategy_name: name,
    weight: w,
    mode,
    reasoning,
    sharpe_ratio: sharpe,
    sortino_ratio: null,
    total_return: 0.01,
    annualized_return: 0.1,
    volatility: 0.15,
    max_drawdown: -0.02,
    win_rate: 0.5,
    data_points: 30,
    period_start: "2024-11-30T00:00:00.000Z",
    period_end: "2024-12-30T00:00:00.000Z",
    paper_days: 0,
  };
}

const raw = (strategy_id: string, action: string, ticker: string, allocation: number, over: Record<string, unknown> = {}) => ({
  strategy_id,
  action,
  ticker,
  allocation,
  confidence: 0.8,
  reasoning: `${strategy_id} says ${action}`,
  status: "pending",
  ...over,
});

/** Nonce i (1-based, in the order issued) = i in hex, padded to 32. */
function countingNonces(): () => string {
  let i = 0;
  return () => (++i).toString(16).padStart(32, "0");
}
const nonce = (i: number) => i.toString(16).padStart(32, "0");

function baseInput(over: Partial<CycleInput> = {}): CycleInput {
  return {
    tenant_id: "t1",
    session_id: SESSION,
    now: NOW,
    config: DEFAULT_CONFIG,
    strategies: {
      momo: strategy("Momentum"),
      meanrev: strategy("Mean Reversion"),
      gamma: strategy("Gamma Scalper"),
      congress: strategy("Congressional Alpha", { manual_mode: "DISABLED" }),
      fresh: strategy("Fresh Start"),
    },
    weights: {
      momo: weight("momo", "Momentum", "ACTIVE", 1, 1.65),
      meanrev: weight("meanrev", "Mean Reversion", "REDUCED", 0.5, 0.85, "Sharpe Ratio 0.85 < 1.00. Reducing allocation by 50%."),
      gamma: weight("gamma", "Gamma Scalper", "SHADOW_MODE", 0, 0.21),
      // stale: computed before the strategy was manually disabled
      congress: weight("congress", "Congressional Alpha", "ACTIVE", 1, 2.1),
      // fresh: no weight entry yet
    },
    signals: [],
    issueNonce: countingNonces(),
    // Ample equity: the risk guardian (a default step) neither holds nor scales these entries.
    equity: { value: 1e12, source: "test equity" },
    ...over,
  };
}

describe("orchestrateCycle: a mixed batch", () => {
  const result = orchestrateCycle(
    baseInput({
      signals: [
        { id: "s05", data: raw("fresh", "SELL", "TLT", 0.2) },
        { id: "bad_action", data: raw("momo", "SHORT", "SPY", 0.4) },
        { id: "s01", data: raw("momo", "BUY", "SPY", 0.4) },
        { id: "bad_allocation", data: raw("momo", "BUY", "SPY", 5) },
        { id: "s03", data: raw("gamma", "BUY", "IWM", 0.5) },
        { id: "bad_strategy", data: raw("ghost", "BUY", "SPY", 0.4) },
        { id: "s02", data: raw("meanrev", "BUY", "QQQ", 0.6) },
        { id: "bad_status", data: raw("momo", "BUY", "SPY", 0.4, { status: "orchestrated" }) },
        { id: "s04", data: raw("momo", "HOLD", "DIA", 0.3) },
        { id: "bad_proto", data: raw("constructor", "BUY", "SPY", 0.4) },
        { id: "s06", data: raw("congress", "BUY", "GLD", 0.7) },
        { id: "bad_doc", data: null },
      ],
    }),
  );
  const byId = Object.fromEntries(result.signals.map((s) => [s.signal_id, s]));

  it("orchestrates the valid signals, sorted by signal id", () => {
    expect(result.signals.map((s) => s.signal_id)).toEqual(["s01", "s02", "s03", "s04", "s05", "s06"]);
  });

  it("rejects bad signals naming the field, without stopping the batch", () => {
    const reasons = Object.fromEntries(result.rejected_signals.map((r) => [r.signal_id, r.reason]));
    expect(result.rejected_signals.map((r) => r.signal_id)).toEqual([
      "bad_action",
      "bad_allocation",
      "bad_doc",
      "bad_proto",
      "bad_status",
      "bad_strategy",
    ]);
    expect(reasons.bad_action).toMatch(/^action: /);
    expect(reasons.bad_action).toContain('"SHORT"');
    expect(reasons.bad_allocation).toBe("allocation: must be within [0, 1] (got 5)");
    expect(reasons.bad_strategy).toBe("strategy_id: unknown strategy 'ghost'");
    expect(reasons.bad_proto).toBe("strategy_id: unknown strategy 'constructor'"); // not Object.prototype.constructor
    expect(reasons.bad_status).toBe("status: must be 'pending' to be orchestrated (got 'orchestrated')");
    expect(reasons.bad_doc).toMatch(/^\(document\): /);
  });

  it("ACTIVE: allocation = original × 1, executable", () => {
    expect(byId.s01).toMatchObject({ mode: "ACTIVE", allocation: 0.4, original_allocation: 0.4, weight_multiplier: 1, executable: true });
  });

  it("REDUCED: allocation = 0.6 × 0.5 = 0.3, executable", () => {
    expect(byId.s02).toMatchObject({ mode: "REDUCED", original_allocation: 0.6, weight_multiplier: 0.5, executable: true });
    expect(byId.s02.allocation).toBeCloseTo(0.3, 12);
  });

  it("SHADOW_MODE: allocation 0.5 × 0 = 0, not executable (paper only)", () => {
    expect(byId.s03).toMatchObject({ mode: "SHADOW_MODE", allocation: 0, original_allocation: 0.5, weight_multiplier: 0, executable: false });
  });

  it("HOLD is never executable", () => {
    expect(byId.s04).toMatchObject({ action: "HOLD", mode: "ACTIVE", allocation: 0.3, executable: false });
  });

  it("a strategy with no weight entry gets insufficient_data_mode (ACTIVE)", () => {
    expect(byId.s05).toMatchObject({ mode: "ACTIVE", allocation: 0.2, weight_multiplier: 1, executable: true, strategy_name: "Fresh Start" });
  });

  it("a manually disabled strategy is DISABLED even though its stored weight says ACTIVE", () => {
    expect(byId.s06).toMatchObject({ mode: "DISABLED", allocation: 0, weight_multiplier: 0, executable: false });
  });

  it("stamps the JIT identity last: agent id, session and time on every signal, one fresh nonce per executable signal in id order, none on a dropped one", () => {
    let issued = 0;
    result.signals.forEach((s) => {
      expect(s.agent_id).toBe(`t1_${s.strategy_id}`);
      expect(s.nonce).toBe(s.executable ? nonce(++issued) : null);
      expect(s.session_id).toBe(SESSION);
      expect(s.identity_timestamp).toBe("2024-12-30T12:00:00.000Z");
    });
    expect(issued).toBeGreaterThan(0);
    expect(result.signals.some((s) => s.nonce === null)).toBe(true);
  });

  it("carries the signal's own fields", () => {
    expect(byId.s02).toMatchObject({ strategy_id: "meanrev", strategy_name: "Mean Reversion", ticker: "QQQ", confidence: 0.8, reasoning: "meanrev says BUY" });
    expect(byId.s02.original_action).toBeUndefined();
    expect(byId.s02.override_reason).toBeUndefined();
  });

  it("one SELL → no systemic risk", () => {
    expect(result.systemic_risk).toMatchObject({ detected: false, sell_count: 1, threshold: 3 });
    expect(result.signals_modified).toEqual({});
  });

  it("one allocation decision per strategy, sorted by id, in seed 000's shape", () => {
    expect(result.allocation_decisions.map((d) => d.strategy_id)).toEqual(["congress", "fresh", "gamma", "meanrev", "momo"]);
    expect(result.allocation_decisions.find((d) => d.strategy_id === "meanrev")).toEqual({
      strategy_id: "meanrev",
      strategy_name: "Mean Reversion",
      original_allocation: 1.0,
      final_allocation: 0.5,
      mode: "REDUCED",
      reasoning: "Sharpe Ratio 0.85 < 1.00. Reducing allocation by 50%.",
      sharpe_ratio: 0.85,
      max_drawdown: -0.02,
      data_points: 30,
      timestamp: "2024-12-30T12:00:00.000Z",
    });
    expect(result.allocation_decisions.find((d) => d.strategy_id === "congress")).toMatchObject({
      mode: "DISABLED",
      final_allocation: 0,
      reasoning: "Manually disabled (manual_mode DISABLED). Allocation 0%.",
    });
    expect(result.allocation_decisions.find((d) => d.strategy_id === "fresh")).toMatchObject({
      mode: "ACTIVE",
      final_allocation: 1,
      data_points: 0,
      reasoning: "No performance data yet (5 daily returns needed); using insufficient_data_mode ACTIVE.",
    });
    expect(result.allocation_decisions.find((d) => d.strategy_id === "gamma")).toMatchObject({ mode: "SHADOW_MODE", final_allocation: 0 });
  });
});

describe("orchestrateCycle: systemic risk", () => {
  const strategies = {
    a: strategy("A"),
    b: strategy("B"),
    c: strategy("C"),
    shadow: strategy("Shadow"),
    buyer: strategy("Buyer"),
  };
  const weights = {
    a: weight("a", "A", "ACTIVE", 1, 1.5),
    b: weight("b", "B", "REDUCED", 0.5, 0.7),
    c: weight("c", "C", "ACTIVE", 1, 1.2),
    shadow: weight("shadow", "Shadow", "SHADOW_MODE", 0, 0.1),
    buyer: weight("buyer", "Buyer", "ACTIVE", 1, 1.9),
  };

  it("2 tradable SELLs plus a SHADOW_MODE SELL do not breach 3: the BUY stands", () => {
    const r = orchestrateCycle(
      baseInput({
        strategies,
        weights,
        signals: [
          { id: "1", data: raw("a", "SELL", "SPY", 0.5) },
          { id: "2", data: raw("b", "SELL", "SPY", 0.5) },
          { id: "3", data: raw("shadow", "SELL", "SPY", 0.5) },
          { id: "4", data: raw("buyer", "BUY", "QQQ", 0.5) },
        ],
      }),
    );
    expect(r.systemic_risk).toMatchObject({ detected: false, sell_count: 2, selling_strategies: ["a", "b"] });
    expect(r.signals[3]).toMatchObject({ action: "BUY", allocation: 0.5, executable: true });
  });

  it("a third tradable SELL breaches it: the BUY becomes a non-executable HOLD", () => {
    const r = orchestrateCycle(
      baseInput({
        strategies,
        weights,
        signals: [
          { id: "1", data: raw("a", "SELL", "SPY", 0.5) },
          { id: "2", data: raw("b", "SELL", "SPY", 0.5) },
          { id: "3", data: raw("c", "SELL", "SPY", 0.5) },
          { id: "4", data: raw("buyer", "BUY", "QQQ", 0.5) },
        ],
      }),
    );
    expect(r.systemic_risk).toMatchObject({ detected: true, sell_count: 3, overridden_count: 1 });
    expect(r.signals[3]).toMatchObject({
      action: "HOLD",
      original_action: "BUY",
      override_reason: "Maestro systemic risk override: 3 strategies signaling SELL",
      confidence: 0,
      allocation: 0,
      executable: false,
      // Dropped by a step: no licence to trade.
      nonce: null,
    });
    expect(r.signals[3].interventions).toEqual([
      {
        step: "systemic_override",
        code: "SYSTEMIC_RISK_OVERRIDE",
        reason: "Maestro systemic risk override: 3 strategies signaling SELL",
        before: { action: "BUY", allocation: 0.5 },
        after: { action: "HOLD", allocation: 0 },
      },
    ]);
    expect(r.signals_modified).toEqual({ "4": "BUY->HOLD (systemic risk)" });
  });

  it("uses config.systemic_sell_threshold", () => {
    const r = orchestrateCycle(
      baseInput({
        strategies,
        weights,
        config: MaestroConfigSchema.parse({ systemic_sell_threshold: 2 }),
        signals: [
          { id: "1", data: raw("a", "SELL", "SPY", 0.5) },
          { id: "2", data: raw("b", "SELL", "SPY", 0.5) },
          { id: "4", data: raw("buyer", "BUY", "QQQ", 0.5) },
        ],
      }),
    );
    expect(r.systemic_risk.detected).toBe(true);
    expect(r.signals[2].action).toBe("HOLD");
  });
});

describe("orchestrateCycle: determinism and safety", () => {
  it("the same input gives the same output, whatever the order of the signal docs", () => {
    const docs = [
      { id: "x", data: raw("momo", "BUY", "SPY", 0.4) },
      { id: "y", data: raw("meanrev", "SELL", "QQQ", 0.6) },
      { id: "z", data: raw("gamma", "BUY", "IWM", 0.5) },
    ];
    const forward = orchestrateCycle(baseInput({ signals: docs }));
    const backward = orchestrateCycle(baseInput({ signals: [...docs].reverse() }));
    expect(backward).toEqual(forward);
  });

  it("does not mutate its inputs", () => {
    const input = baseInput({ signals: [{ id: "b", data: raw("momo", "BUY", "SPY", 0.4) }, { id: "a", data: raw("momo", "SELL", "SPY", 0.4) }] });
    const before = JSON.stringify({ s: input.signals, w: input.weights, st: input.strategies });
    orchestrateCycle(input);
    expect(JSON.stringify({ s: input.signals, w: input.weights, st: input.strategies })).toBe(before);
  });

  it("rejects a second doc with the same id instead of orchestrating it twice", () => {
    const r = orchestrateCycle(baseInput({ signals: [{ id: "a", data: raw("momo", "BUY", "SPY", 0.4) }, { id: "a", data: raw("momo", "BUY", "SPY", 0.4) }] }));
    expect(r.signals).toHaveLength(1);
    expect(r.rejected_signals).toEqual([{ signal_id: "a", reason: "signal_id: appears more than once in this batch" }]);
  });

  it("fails the cycle when the nonce source repeats itself (a reused nonce is never a trade)", () => {
    expect(() =>
      orchestrateCycle(
        baseInput({
          issueNonce: () => "0".repeat(32),
          signals: [
            { id: "a", data: raw("momo", "BUY", "SPY", 0.4) },
            { id: "b", data: raw("momo", "BUY", "QQQ", 0.4) },
          ],
        }),
      ),
    ).toThrow(/repeated nonce/);
  });

  it("a strategy whose id is an Object.prototype name and has no weight entry gets the fallback, not a prototype member", () => {
    const r = orchestrateCycle(
      baseInput({
        strategies: { constructor: strategy("Ctor"), toString: strategy("ToString") },
        weights: {},
        signals: [
          { id: "a", data: raw("constructor", "BUY", "SPY", 0.4) },
          { id: "b", data: raw("toString", "BUY", "SPY", 0.4) },
        ],
      }),
    );
    expect(r.rejected_signals).toEqual([]);
    expect(r.signals.map((s) => [s.mode, s.allocation])).toEqual([
      ["ACTIVE", 0.4],
      ["ACTIVE", 0.4],
    ]);
    expect(r.allocation_decisions.map((d) => d.reasoning)).toEqual([
      "No performance data yet (5 daily returns needed); using insufficient_data_mode ACTIVE.",
      "No performance data yet (5 daily returns needed); using insufficient_data_mode ACTIVE.",
    ]);
  });

  it("a SHADOW_MODE signal is never executable, even if a hand-edited weight doc gives it a weight", () => {
    const r = orchestrateCycle(
      baseInput({
        weights: { gamma: weight("gamma", "Gamma Scalper", "SHADOW_MODE", 0.5, 0.21) },
        signals: [{ id: "a", data: raw("gamma", "BUY", "SPY", 0.4) }],
      }),
    );
    expect(r.signals[0]).toMatchObject({ mode: "SHADOW_MODE", executable: false });
  });

  it("issues no nonce for a rejected signal", () => {
    let issued = 0;
    orchestrateCycle(baseInput({ issueNonce: () => nonce(++issued), signals: [{ id: "a", data: raw("ghost", "BUY", "SPY", 0.4) }] }));
    expect(issued).toBe(0);
  });
});

describe("orchestrateCycle: scale", () => {
  it("runs 1,000 strategies × 1,000 signals in linear time", () => {
    const strategies: Record<string, Strategy> = {};
    const weights: Record<string, StrategyWeight> = {};
    for (let i = 0; i < 1000; i++) {
      const id = `s${String(i).padStart(4, "0")}`;
      strategies[id] = strategy(`Strategy ${i}`);
      const mode: Mode = i % 3 === 0 ? "ACTIVE" : i % 3 === 1 ? "REDUCED" : "SHADOW_MODE";
      weights[id] = weight(id, `Strategy ${i}`, mode, mode === "ACTIVE" ? 1 : mode === "REDUCED" ? 0.5 : 0, 1);
    }
    const signals = Array.from({ length: 1000 }, (_, i) => ({
      id: `sig${String(999 - i).padStart(4, "0")}`,
      data: raw(`s${String(i).padStart(4, "0")}`, i % 2 ? "SELL" : "BUY", "SPY", 0.5),
    }));
    const run = () => orchestrateCycle(baseInput({ strategies, weights, signals }));
    run(); // warm up the JIT
    const started = performance.now();
    const r = run();
    const elapsed = performance.now() - started;

    expect(r.signals).toHaveLength(1000);
    expect(r.allocation_decisions).toHaveLength(1000);
    // A nonce per executable signal (the 334 tradable SELLs), distinct; none on the 666 dropped.
    const nonces = r.signals.flatMap((s) => (s.nonce === null ? [] : [s.nonce]));
    expect(new Set(nonces).size).toBe(nonces.length);
    expect(nonces).toHaveLength(r.signals.filter((s) => s.executable).length);
    // Odd i sell; tradable when i % 3 ≠ 2. Odd i in [0, 1000): 500; of those with i % 3 = 2 (i ≡ 5 mod 6: 5, 11, …, 995): (995 − 5)/6 + 1 = 166 → 334 sellers.
    expect(r.systemic_risk.sell_count).toBe(334);
    expect(r.signals.filter((s) => s.original_action === "BUY")).toHaveLength(500);
    // Measured at ~5 ms; the bound leaves room for a loaded CI machine but not for O(n²) (1e6 steps of zod parsing).
    if (process.env.MAESTRO_BENCH) console.log(`orchestrateCycle 1000×1000: ${elapsed.toFixed(1)} ms`);
    expect(elapsed).toBeLessThan(250);
  });
});

describe("orchestrateCycle: entries and exits (issue 10)", () => {
  const strategies = { a: strategy("A"), b: strategy("B"), c: strategy("C"), d: strategy("D") };
  const weights = {
    a: weight("a", "A", "ACTIVE", 1, 2),
    b: weight("b", "B", "ACTIVE", 1, 2),
    c: weight("c", "C", "ACTIVE", 1, 2),
    d: weight("d", "D", "ACTIVE", 1, 2),
  };
  // a, b, c sell SPY (systemic: threshold 3). d is short 100 QQQ and buys QQQ (covers: an exit),
  // and buys IWM, where it holds nothing (an entry).
  const run = (buyingPower?: CycleInput["buyingPower"]) =>
    orchestrateCycle(
      baseInput({
        strategies,
        weights,
        positions: { a: { SPY: 50 }, d: { QQQ: -100 } },
        signals: [
          { id: "1", data: raw("a", "SELL", "SPY", 0.5) },
          { id: "2", data: raw("b", "SELL", "SPY", 0.5) },
          { id: "3", data: raw("c", "SELL", "SPY", 0.5) },
          { id: "4", data: raw("d", "BUY", "QQQ", 0.2) },
          { id: "5", data: raw("d", "BUY", "IWM", 0.2) },
        ],
        buyingPower,
      }),
    );

  it("classifies each signal: a SELL against a long and a BUY against a short are exits", () => {
    expect(run().signals.map((s) => [s.signal_id, s.exposure])).toEqual([
      ["1", "exit"],
      ["2", "entry"],
      ["3", "entry"],
      ["4", "exit"],
      ["5", "entry"],
    ]);
  });

  it("the systemic override holds the entry BUY and lets the covering BUY through, with its licence", () => {
    const r = run();
    expect(r.systemic_risk).toMatchObject({ detected: true, overridden_count: 1 });
    expect(r.signals[3]).toMatchObject({ action: "BUY", allocation: 0.2, executable: true, interventions: [] });
    expect(r.signals[3].nonce).not.toBeNull();
    expect(r.signals[4]).toMatchObject({ action: "HOLD", executable: false, nonce: null });
    expect(r.signals[4].interventions.map((i) => i.code)).toEqual(["SYSTEMIC_RISK_OVERRIDE"]);
  });

  it("the buying-power guard holds entries without a snapshot and lets exits through uncapped", () => {
    const r = orchestrateCycle(
      baseInput({
        strategies,
        weights,
        positions: { d: { QQQ: -100 } },
        signals: [
          { id: "4", data: raw("d", "BUY", "QQQ", 0.2) },
          { id: "5", data: raw("d", "BUY", "IWM", 0.2) },
        ],
        buyingPower: { available: "hold", source: "no account snapshot" },
      }),
    );
    // capital_base 10,000 (strategy()): the exit's notional 0.2 × 10,000 = 2,000 is recorded, outside the cap.
    expect(r.signals[0]).toMatchObject({ action: "BUY", executable: true, interventions: [], notional: 2_000 });
    expect(r.signals[1]).toMatchObject({ action: "HOLD", executable: false });
    expect(r.signals[1].interventions.map((i) => i.code)).toEqual(["BUYING_POWER_HELD"]);
    expect(r.buying_power).toMatchObject({ approved_notional: 0, held: ["5"] });
  });
});

describe("orchestrateCycle: properties (fast-check)", () => {
  const modes: Mode[] = ["ACTIVE", "REDUCED", "SHADOW_MODE", "DISABLED"];
  const arb = fc.record({
    modes: fc.array(fc.constantFrom(...modes), { minLength: 4, maxLength: 4 }),
    signals: fc.array(
      fc.record({ s: fc.integer({ min: 0, max: 3 }), action: fc.constantFrom("BUY", "SELL", "HOLD"), ticker: fc.constantFrom("SPY", "QQQ"), allocation: fc.integer({ min: 0, max: 10 }).map((x) => x / 10) }),
      { maxLength: 12 },
    ),
    positions: fc.array(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 2, maxLength: 2 }), { minLength: 4, maxLength: 4 }),
    available: fc.oneof(fc.constant<"hold">("hold"), fc.constant(null), fc.integer({ min: 0, max: 200_000 })),
    threshold: fc.integer({ min: 1, max: 4 }),
  });

  it("no step ever blocks or shrinks an exit, and no entry gets past a breached systemic threshold or the buying power", () => {
    fc.assert(
      fc.property(arb, ({ modes: m, signals, positions, available, threshold }) => {
        const ids = ["s0", "s1", "s2", "s3"];
        const strategies = Object.fromEntries(ids.map((id) => [id, strategy(id)]));
        const weights = Object.fromEntries(ids.map((id, i) => [id, weight(id, id, m[i], m[i] === "ACTIVE" ? 1 : m[i] === "REDUCED" ? 0.5 : 0, 1)]));
        const r = orchestrateCycle(
          baseInput({
            config: { ...DEFAULT_CONFIG, systemic_sell_threshold: threshold },
            strategies,
            weights,
            positions: Object.fromEntries(ids.map((id, i) => [id, { SPY: positions[i][0], QQQ: positions[i][1] }])),
            signals: signals.map((x, i) => ({ id: `x${String(i).padStart(2, "0")}`, data: raw(ids[x.s], x.action, x.ticker, x.allocation) })),
            buyingPower: { available, source: "test" },
          }),
        );
        for (const s of r.signals) {
          const risk = s.interventions.filter((i) => i.step !== "weights");
          if (s.exposure === "exit") {
            expect(risk).toEqual([]);
            expect(s.allocation).toBeCloseTo(s.original_allocation * s.weight_multiplier, 12);
          }
          if (s.executable) expect(s.nonce).not.toBeNull();
          else expect(s.nonce).toBeNull();
        }
        const entryBuys = r.signals.filter((s) => s.executable && s.action === "BUY" && s.exposure === "entry");
        if (r.systemic_risk.detected) expect(entryBuys).toEqual([]);
        if (available === "hold") expect(entryBuys).toEqual([]);
        if (typeof available === "number") {
          const spent = entryBuys.reduce((sum, s) => sum + (s.notional ?? 0), 0);
          expect(spent).toBeLessThanOrEqual(available + 1e-6);
        }
      }),
      { numRuns: 300 },
    );
  });
});
