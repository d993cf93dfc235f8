/**
 * The double-spend guard (core/buying-power.ts): the notional of the BUYs let through in
 * one cycle never exceeds the buying power left; the BUY that would cross it is scaled
 * down to what is left, later ones are held, each with its reason; priority is confidence
 * high to low, then signal id. Worked by hand with capital_base 10,000 and 50,000.
 */
import { capBuyNotional } from "../../src/core/buying-power";
import { orchestrateCycle } from "../../src/core/orchestrate";
import { DEFAULT_CONFIG, type EnrichedSignal } from "../../src/schemas";

function sig(id: string, strategy: string, action: "BUY" | "SELL" | "HOLD", allocation: number, confidence: number, executable = true): EnrichedSignal {
  return {
    signal_id: id, strategy_id: strategy, strategy_name: strategy, action, ticker: "SPY", allocation, original_allocation: allocation,
    weight_multiplier: 1, mode: "ACTIVE", confidence, reasoning: "", executable, agent_id: `t_${strategy}`, nonce: "0".repeat(32),
    session_id: "maestro_1700000000000_0123456789abcdef", identity_timestamp: "2026-11-20T15:00:00.000Z", interventions: [],
  };
}
const capital = new Map([["small", 10_000], ["big", 50_000]]);

describe("capBuyNotional", () => {
  test("fail closed: every BUY is held with the reason; SELLs and HOLDs pass untouched", () => {
    const input = [sig("a", "small", "BUY", 0.5, 0.9), sig("d", "small", "SELL", 0.3, 0.99), sig("h", "small", "HOLD", 0, 0.5, false)];
    const { signals, summary } = capBuyNotional(input, { available: "hold", source: "account snapshot as of X is stale", capitalBase: capital });
    expect(signals[0]).toMatchObject({ action: "HOLD", original_action: "BUY", allocation: 0, notional: 0, executable: false, buying_power_reason: "Held: account snapshot as of X is stale." });
    expect(signals[1]).toEqual(input[1]);
    expect(signals[2]).toEqual(input[2]);
    expect(summary).toEqual({ available: 0, source: "account snapshot as of X is stale", requested_notional: 5_000, approved_notional: 0, remaining: 0, scaled: [], held: ["a"] });
  });

  test("everything fits: nothing changes but each BUY carries its notional", () => {
    const { signals, summary } = capBuyNotional([sig("a", "small", "BUY", 0.5, 0.9), sig("b", "big", "BUY", 0.1, 0.8)], { available: 12_000, source: "s", capitalBase: capital });
    expect(signals.map((s) => [s.signal_id, s.action, s.allocation, s.notional])).toEqual([["a", "BUY", 0.5, 5_000], ["b", "BUY", 0.1, 5_000]]);
    expect(summary).toEqual({ available: 12_000, source: "s", requested_notional: 10_000, approved_notional: 10_000, remaining: 2_000, scaled: [], held: [] });
  });

  test("the BUY that crosses the limit is scaled to what is left; later ones are held", () => {
    // Priority by confidence: c (0.95, $4,000), a (0.9, $5,000), b (0.8, $5,000). Available $7,000.
    const input = [sig("a", "small", "BUY", 0.5, 0.9), sig("b", "big", "BUY", 0.1, 0.8), sig("c", "small", "BUY", 0.4, 0.95), sig("d", "small", "SELL", 0.3, 0.99)];
    const { signals, summary } = capBuyNotional(input, { available: 7_000, source: "s", capitalBase: capital });
    const byId = new Map(signals.map((s) => [s.signal_id, s]));
    expect(byId.get("c")).toMatchObject({ action: "BUY", allocation: 0.4, notional: 4_000 });
    expect(byId.get("c")!.buying_power_reason).toBeUndefined();
    // a wanted $5,000, $3,000 was left: allocation 3,000 / 10,000 = 0.3.
    expect(byId.get("a")).toMatchObject({ action: "BUY", allocation: 0.3, notional: 3_000, executable: true });
    expect(byId.get("a")!.buying_power_reason).toBe("Scaled from $5000.00 to $3000.00: only $3000.00 of $7000.00 buying power was left.");
    expect(byId.get("b")).toMatchObject({ action: "HOLD", original_action: "BUY", allocation: 0, notional: 0, executable: false });
    expect(byId.get("b")!.buying_power_reason).toBe("Held: $5000.00 requested, no buying power left ($7000.00 available this cycle).");
    // SELLs do not spend buying power and are untouched.
    expect(byId.get("d")).toEqual(input[3]);
    expect(summary).toMatchObject({ requested_notional: 14_000, approved_notional: 7_000, remaining: 0, scaled: ["a"], held: ["b"] });
    // The order of the output is the order of the input.
    expect(signals.map((s) => s.signal_id)).toEqual(["a", "b", "c", "d"]);
  });

  test("equal confidence: the lower signal id goes first", () => {
    const { summary } = capBuyNotional([sig("z", "small", "BUY", 0.5, 0.7), sig("m", "small", "BUY", 0.5, 0.7)], { available: 5_000, source: "s", capitalBase: capital });
    expect(summary.held).toEqual(["z"]);
  });

  test("non-executable BUYs (shadow, systemic HOLD) spend nothing", () => {
    // A SHADOW_MODE BUY after the weights step: allocation 0.5 × 0.
    const shadow = { ...sig("a", "small", "BUY", 0, 0.9, false), mode: "SHADOW_MODE" as const, original_allocation: 0.5, weight_multiplier: 0 };
    const { signals, summary } = capBuyNotional([shadow], { available: 0, source: "s", capitalBase: capital });
    expect(signals[0].buying_power_reason).toBeUndefined();
    expect(summary).toMatchObject({ requested_notional: 0, approved_notional: 0, held: [] });
  });

  test("zero buying power holds every BUY; unknown buying power caps nothing", () => {
    const zero = capBuyNotional([sig("a", "small", "BUY", 0.5, 0.9)], { available: 0, source: "s", capitalBase: capital });
    expect(zero.summary.held).toEqual(["a"]);
    const unknown = capBuyNotional([sig("a", "small", "BUY", 0.5, 0.9)], { available: null, source: "none", capitalBase: capital });
    expect(unknown.signals[0]).toMatchObject({ action: "BUY", allocation: 0.5, notional: 5_000 });
    expect(unknown.summary).toMatchObject({ available: null, remaining: null, approved_notional: 5_000, held: [], scaled: [] });
  });
});

describe("orchestrateCycle with buying power", () => {
  test("the approved notional never exceeds the buying power, and the modification is recorded", () => {
    let n = 0;
    const cycle = orchestrateCycle({
      tenant_id: "t",
      session_id: "maestro_1700000000000_0123456789abcdef",
      now: new Date("2026-11-20T15:00:00Z"),
      config: DEFAULT_CONFIG,
      strategies: { small: { name: "Small", enabled: true, capital_base: 10_000, manual_mode: null } },
      weights: {},
      signals: [1, 2, 3].map((i) => ({ id: `s${i}`, data: { strategy_id: "small", action: "BUY", ticker: "SPY", allocation: 0.5, confidence: 0.5, status: "pending" } })),
      issueNonce: () => (n++).toString(16).padStart(32, "0"),
      buyingPower: { available: 12_000, source: "snapshot" },
      equity: { value: 1e9, source: "snapshot" },
    });
    expect(cycle.buying_power).toMatchObject({ available: 12_000, approved_notional: 12_000, scaled: ["s3"], held: [] });
    const approved = cycle.signals.filter((s) => s.executable && s.action === "BUY").reduce((sum, s) => sum + s.notional!, 0);
    expect(approved).toBeLessThanOrEqual(12_000);
    expect(cycle.signals_modified.s3).toMatch(/^Scaled from \$5000\.00 to \$2000\.00/);
  });
});
