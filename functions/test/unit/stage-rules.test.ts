/**
 * The small decisions the stages make on their own, tested without an emulator.
 */
import { strategiesAffectedByTradeWrite } from "../../src/stages/performance-rollup";
import { orchestrationLogId } from "../../src/store/paths";

describe("strategiesAffectedByTradeWrite", () => {
  const trade = { strategy_id: "alpha", symbol: "SPY", side: "BUY", quantity: 10, price: 100, fee: 1, executed_at: new Date("2026-11-16T15:00:00Z") };

  test("a new trade affects its strategy; a deleted one too", () => {
    expect(strategiesAffectedByTradeWrite(undefined, trade)).toEqual(["alpha"]);
    expect(strategiesAffectedByTradeWrite(trade, undefined)).toEqual(["alpha"]);
  });

  test("a trade moved to another strategy affects both", () => {
    expect(strategiesAffectedByTradeWrite(trade, { ...trade, strategy_id: "beta" }).sort()).toEqual(["alpha", "beta"]);
  });

  test("Maestro marking a trade rejected does not re-trigger the rollup (no loop)", () => {
    const marked = { ...trade, maestro_status: "rejected", maestro_rejection_reason: "quantity: must be greater than 0" };
    expect(strategiesAffectedByTradeWrite(trade, marked)).toEqual([]);
  });

  test("a correction of a trade's figures does", () => {
    expect(strategiesAffectedByTradeWrite(trade, { ...trade, price: 101 })).toEqual(["alpha"]);
  });

  test("a strategy id that is not a usable document id is ignored", () => {
    expect(strategiesAffectedByTradeWrite(undefined, { ...trade, strategy_id: "a/b" })).toEqual([]);
    expect(strategiesAffectedByTradeWrite(undefined, { ...trade, strategy_id: 7 })).toEqual([]);
  });
});

describe("orchestrationLogId", () => {
  test("is {timestamp}_{session_id} with the timestamp compacted so ids sort by time", () => {
    expect(orchestrationLogId("2026-11-21T08:15:21.215Z", "maestro_1_00")).toBe("20261121T081521215Z_maestro_1_00");
    const earlier = orchestrationLogId("2026-11-21T08:15:21.215Z", "maestro_b");
    const later = orchestrationLogId("2026-11-21T08:15:21.216Z", "maestro_a");
    expect(earlier < later).toBe(true);
  });
});
