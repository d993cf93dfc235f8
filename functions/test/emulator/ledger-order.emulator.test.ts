/**
 * Execution order on the real Firestore (issue 9, "Exact"): two fills with one executed_at
 * close in the order the ledger received them (document create time), not in the order
 * their ids sort; the execution side's `sequence` outranks arrival.
 */
import type { Firestore } from "firebase-admin/firestore";
import { rollupStrategyPerformance } from "../../src/stages/performance-rollup";
import { paths } from "../../src/store/paths";
import { adminDb, pauseBackgroundTriggersDuringFile, uniqueTenantId } from "../support/emulator";

pauseBackgroundTriggersDuringFile();
const db: Firestore = adminDb();
const DAY = "2026-11-02";

async function tenantWithStrategy(): Promise<string> {
  const tenantId = uniqueTenantId("order");
  await db.doc(paths.tenant(tenantId)).set({ name: "Order", active: true });
  await db.doc(paths.strategy(tenantId, "alpha")).set({ name: "Alpha", enabled: true, capital_base: 10_000, manual_mode: null });
  return tenantId;
}

const fill = (side: "BUY" | "SELL", price: number, time: string, extra: Record<string, unknown> = {}) => ({
  strategy_id: "alpha", symbol: "SPY", side, quantity: 10, price, fee: 0, executed_at: new Date(`${DAY}T${time}Z`), ...extra,
});

test("fills sharing an executed_at close in arrival order, whatever their ids", async () => {
  const tenantId = await tenantWithStrategy();
  // Written one after the other: z-first arrives first, a-second (an id that sorts first) after.
  await db.doc(paths.ledgerTrade(tenantId, "z-first")).set(fill("BUY", 100, "14:30:00"));
  await db.doc(paths.ledgerTrade(tenantId, "a-second")).set(fill("BUY", 110, "14:30:00"));
  await db.doc(paths.ledgerTrade(tenantId, "m-sell")).set(fill("SELL", 120, "15:00:00"));
  await rollupStrategyPerformance(db, tenantId, "alpha", { now: new Date(`${DAY}T23:00:00Z`) });
  // FIFO closes the @100 lot: (120 − 100) × 10 = 200 (id order would give (120 − 110) × 10 = 100).
  expect((await db.doc(paths.performanceDay(tenantId, "alpha", DAY)).get()).get("realized_pnl")).toBe(200);
});

test("the execution side's sequence outranks arrival", async () => {
  const tenantId = await tenantWithStrategy();
  await db.doc(paths.ledgerTrade(tenantId, "arrived-first")).set(fill("BUY", 110, "14:30:00", { sequence: 2 }));
  await db.doc(paths.ledgerTrade(tenantId, "executed-first")).set(fill("BUY", 100, "14:30:00", { sequence: 1 }));
  await db.doc(paths.ledgerTrade(tenantId, "sell")).set(fill("SELL", 120, "15:00:00"));
  await rollupStrategyPerformance(db, tenantId, "alpha", { now: new Date(`${DAY}T23:00:00Z`) });
  expect((await db.doc(paths.performanceDay(tenantId, "alpha", DAY)).get()).get("realized_pnl")).toBe(200);
});
