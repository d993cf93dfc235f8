import { applySystemicRiskOverride } from "../../src/core/systemic-risk";
import type { EnrichedSignal, Mode, SignalAction } from "../../src/schemas";

let counter = 0;
function signal(id: string, strategyId: string, action: SignalAction, mode: Mode = "ACTIVE", allocation = 0.4): EnrichedSignal {
  counter += 1;
  const weight = mode === "ACTIVE" ? 1 : mode === "REDUCED" ? 0.5 : 0;
  return {
    signal_id: id,
    strategy_id: strategyId,
    strategy_name: `Strategy ${strategyId}`,
    action,
    ticker: "SPY",
    allocation: allocation * weight,
    original_allocation: allocation,
    weight_multiplier: weight,
    mode,
    confidence: 0.8,
    reasoning: "test",
    executable: weight > 0 && action !== "HOLD",
    agent_id: `t1_${strategyId}`,
    nonce: counter.toString(16).padStart(32, "0"),
    session_id: "maestro_1735560000000_a1b2c3d4e5f60718",
    identity_timestamp: "2024-12-30T12:00:00.000Z",
    interventions: [],
  };
}

describe("applySystemicRiskOverride (seed 000: 3+ SELL → every BUY becomes HOLD)", () => {
  it("3 SELLs from 3 tradable strategies override every BUY to HOLD, as seed 000's example", () => {
    const input = [
      signal("a", "A", "SELL"),
      signal("b", "B", "SELL", "REDUCED"),
      signal("c", "C", "SELL"),
      signal("d", "D", "BUY"),
      signal("e", "E", "BUY", "REDUCED"),
      signal("h", "H", "HOLD"),
    ];
    const out = applySystemicRiskOverride(input, 3);

    expect(out.systemic_risk).toEqual({
      detected: true,
      threshold: 3,
      sell_count: 3,
      selling_strategies: ["A", "B", "C"],
      overridden_count: 2,
      details: "Systemic risk threshold breached: 3 strategies signaling SELL (threshold 3). Overrode 2 BUY signals to HOLD.",
    });
    const d = out.signals.find((s) => s.signal_id === "d")!;
    expect(d).toMatchObject({
      action: "HOLD",
      original_action: "BUY",
      override_reason: "Maestro systemic risk override: 3 strategies signaling SELL",
      confidence: 0,
      allocation: 0,
      executable: false,
      original_allocation: 0.4, // the strategy's request is kept for the record
    });
    expect(out.signals.find((s) => s.signal_id === "e")).toMatchObject({ action: "HOLD", original_action: "BUY", allocation: 0 });
    expect(out.signals_modified).toEqual({ d: "BUY->HOLD (systemic risk)", e: "BUY->HOLD (systemic risk)" });
  });

  it("leaves SELLs and HOLDs as they were and keeps the input order", () => {
    const input = [signal("a", "A", "SELL"), signal("d", "D", "BUY"), signal("b", "B", "SELL"), signal("h", "H", "HOLD"), signal("c", "C", "SELL")];
    const out = applySystemicRiskOverride(input, 3);
    expect(out.signals.map((s) => `${s.signal_id}:${s.action}`)).toEqual(["a:SELL", "d:HOLD", "b:SELL", "h:HOLD", "c:SELL"]);
    for (const id of ["a", "b", "c", "h"]) {
      const s = out.signals.find((x) => x.signal_id === id)!;
      expect(s).toEqual(input.find((x) => x.signal_id === id));
      expect(s.original_action).toBeUndefined();
    }
  });

  it("2 SELLs (threshold 3) → no override", () => {
    const input = [signal("a", "A", "SELL"), signal("b", "B", "SELL"), signal("d", "D", "BUY")];
    const out = applySystemicRiskOverride(input, 3);
    expect(out.systemic_risk).toMatchObject({ detected: false, sell_count: 2, overridden_count: 0 });
    expect(out.systemic_risk.details).toBe("No systemic risk: 2 of 3 strategies signaling SELL needed.");
    expect(out.signals.find((s) => s.signal_id === "d")).toEqual(input[2]);
    expect(out.signals_modified).toEqual({});
  });

  it("3 SELLs from the same strategy count once", () => {
    const input = [signal("a1", "A", "SELL"), signal("a2", "A", "SELL"), signal("a3", "A", "SELL"), signal("d", "D", "BUY")];
    const out = applySystemicRiskOverride(input, 3);
    expect(out.systemic_risk).toMatchObject({ detected: false, sell_count: 1, selling_strategies: ["A"] });
    expect(out.signals[3].action).toBe("BUY");
  });

  it("SHADOW_MODE and DISABLED SELLs are not counted (they cannot trade)", () => {
    const input = [
      signal("a", "A", "SELL"),
      signal("b", "B", "SELL", "REDUCED"),
      signal("s", "S", "SELL", "SHADOW_MODE"),
      signal("x", "X", "SELL", "DISABLED"),
      signal("d", "D", "BUY"),
    ];
    const out = applySystemicRiskOverride(input, 3);
    // Tradable sellers: A (ACTIVE), B (REDUCED) = 2 < 3.
    expect(out.systemic_risk).toMatchObject({ detected: false, sell_count: 2, selling_strategies: ["A", "B"] });
    expect(out.signals.find((s) => s.signal_id === "d")!.action).toBe("BUY");
  });

  it("a breach overrides BUYs of every mode, shadow ones included", () => {
    const input = [signal("a", "A", "SELL"), signal("b", "B", "SELL"), signal("c", "C", "SELL"), signal("s", "S", "BUY", "SHADOW_MODE")];
    const out = applySystemicRiskOverride(input, 3);
    expect(out.signals[3]).toMatchObject({ action: "HOLD", original_action: "BUY" });
    expect(out.systemic_risk.details).toBe("Systemic risk threshold breached: 3 strategies signaling SELL (threshold 3). Overrode 1 BUY signal to HOLD.");
  });

  it("the threshold is the configured one: 4 sellers do not breach 5, do breach 4", () => {
    const input = ["A", "B", "C", "D"].map((s) => signal(s.toLowerCase(), s, "SELL")).concat(signal("z", "Z", "BUY"));
    expect(applySystemicRiskOverride(input, 5).systemic_risk.detected).toBe(false);
    const at4 = applySystemicRiskOverride(input, 4);
    expect(at4.systemic_risk.detected).toBe(true);
    expect(at4.signals[4].override_reason).toBe("Maestro systemic risk override: 4 strategies signaling SELL");
  });

  it("keys signals_modified by signal id, so two BUYs of one strategy on one ticker are both recorded", () => {
    const input = [signal("a", "A", "SELL"), signal("b", "B", "SELL"), signal("c", "C", "SELL"), signal("d1", "D", "BUY"), signal("d2", "D", "BUY")];
    const out = applySystemicRiskOverride(input, 3);
    expect(out.signals_modified).toEqual({ d1: "BUY->HOLD (systemic risk)", d2: "BUY->HOLD (systemic risk)" });
    expect(out.systemic_risk.overridden_count).toBe(2);
  });

  it("returns new objects and does not mutate its input", () => {
    const input = [signal("a", "A", "SELL"), signal("b", "B", "SELL"), signal("c", "C", "SELL"), signal("d", "D", "BUY")];
    const snapshot = JSON.parse(JSON.stringify(input));
    const out = applySystemicRiskOverride(input, 3);
    expect(input).toEqual(snapshot);
    out.signals.forEach((s, i) => expect(s).not.toBe(input[i]));
  });

  it("no signals → nothing detected", () => {
    expect(applySystemicRiskOverride([], 3).systemic_risk).toEqual({
      detected: false,
      threshold: 3,
      sell_count: 0,
      selling_strategies: [],
      overridden_count: 0,
      details: "No systemic risk: 0 of 3 strategies signaling SELL needed.",
    });
  });

  it("refuses a threshold that would override every cycle", () => {
    expect(() => applySystemicRiskOverride([], 0)).toThrow(RangeError);
  });
});
