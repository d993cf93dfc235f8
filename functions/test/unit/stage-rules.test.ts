/**
 * The small decisions the stages make on their own, tested without an emulator.
 */
import { Timestamp } from "firebase-admin/firestore";
import { dirtyInstantsOfTradeWrite, strategiesAffectedByTradeWrite, tradeProblem } from "../../src/stages/performance-rollup";
import { orchestrationLogId } from "../../src/store/paths";

describe("dirtyInstantsOfTradeWrite", () => {
  const at = (iso: string) => Timestamp.fromDate(new Date(iso));
  const trade = { strategy_id: "alpha", symbol: "SPY", side: "BUY", quantity: 10, price: 100, fee: 1, executed_at: at("2026-11-16T15:00:00Z") };

  test("a new or deleted trade makes its strategy dirty from its fill time", () => {
    expect(dirtyInstantsOfTradeWrite(undefined, trade)).toEqual(new Map([["alpha", new Date("2026-11-16T15:00:00Z")]]));
    expect(dirtyInstantsOfTradeWrite(trade, undefined)).toEqual(new Map([["alpha", new Date("2026-11-16T15:00:00Z")]]));
  });

  test("a fill moved to another day makes the strategy dirty from the earlier of the two times", () => {
    const later = { ...trade, executed_at: at("2026-11-20T15:00:00Z") };
    expect(dirtyInstantsOfTradeWrite(later, trade).get("alpha")).toEqual(new Date("2026-11-16T15:00:00Z"));
    expect(dirtyInstantsOfTradeWrite(trade, later).get("alpha")).toEqual(new Date("2026-11-16T15:00:00Z"));
  });

  test("a trade moved between strategies makes each dirty from its own side's time", () => {
    const moved = { ...trade, strategy_id: "beta", executed_at: at("2026-11-18T15:00:00Z") };
    expect(dirtyInstantsOfTradeWrite(trade, moved)).toEqual(
      new Map([
        ["alpha", new Date("2026-11-16T15:00:00Z")],
        ["beta", new Date("2026-11-18T15:00:00Z")],
      ]),
    );
  });

  test("an executed_at that is not a time makes nothing dirty on its side (the trade is rejected where it enters)", () => {
    expect(dirtyInstantsOfTradeWrite(undefined, { ...trade, executed_at: "yesterday" }).size).toBe(0);
    // The valid version before still has to leave the rollup.
    expect(dirtyInstantsOfTradeWrite(trade, { ...trade, executed_at: "yesterday" }).get("alpha")).toEqual(new Date("2026-11-16T15:00:00Z"));
  });
});

describe("tradeProblem", () => {
  const trade = { strategy_id: "alpha", symbol: "SPY", side: "BUY", quantity: 10, price: 100, fee: 1, executed_at: Timestamp.fromDate(new Date("2026-11-16T15:00:00Z")) };

  test("names the field and the rule a written trade broke, and nothing for a good one", () => {
    expect(tradeProblem(trade)).toBeNull();
    expect(tradeProblem({ ...trade, maestro_status: "rejected", maestro_rejection_reason: "old" })).toBeNull();
    expect(tradeProblem({ ...trade, quantity: -5 })).toMatch(/^quantity: must be greater than 0/);
    expect(tradeProblem({ ...trade, executed_at: "yesterday" })).toMatch(/^executed_at: /);
    expect(tradeProblem({ ...trade, strategy_id: "__x__" })).toMatch(/^strategy_id: /);
    expect(tradeProblem(undefined)).toBeNull();
  });
});

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
