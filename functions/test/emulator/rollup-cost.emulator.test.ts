/**
 * What one new fill costs (issue 9, "Cheap"): the rollup reads the fill's day's trades, the
 * days after it and a handful of documents, never the whole ledger. Counted in billed
 * document reads (IoCount), on the real Firestore emulator. Triggers are paused so the
 * runs are the test's own.
 */
import type { Firestore } from "firebase-admin/firestore";
import { rollupStrategyPerformance } from "../../src/stages/performance-rollup";
import { paths } from "../../src/store/paths";
import { adminDb, pauseBackgroundTriggersDuringFile, uniqueTenantId } from "../support/emulator";

pauseBackgroundTriggersDuringFile();
const db: Firestore = adminDb();

const DAYS = 20;
const PER_DAY = 15;
/** Venue days 2026-10-01 … 2026-10-20 (New York, EDT: 14:00Z is 10:00 local). */
const dayName = (d: number) => `2026-10-${String(d + 1).padStart(2, "0")}`;
const fillAt = (d: number, minute: number) => new Date(Date.UTC(2026, 9, d + 1, 14, minute));
const NOW = new Date("2026-10-21T12:00:00Z");

let tenantId: string;
beforeAll(async () => {
  tenantId = uniqueTenantId("rollup-cost");
  await db.doc(paths.tenant(tenantId)).set({ name: "Cost", active: true });
  await db.doc(paths.strategy(tenantId, "alpha")).set({ name: "Alpha", enabled: true, capital_base: 10_000, manual_mode: null });
  let batch = db.batch();
  for (let d = 0; d < DAYS; d++) {
    for (let i = 0; i < PER_DAY; i++) {
      // Buys and sells alternate, so lots open and close every day.
      batch.set(db.doc(paths.ledgerTrade(tenantId, `d${d}_${i}`)), {
        strategy_id: "alpha", symbol: "SPY", side: i % 2 ? "SELL" : "BUY", quantity: 1 + (i % 3), price: 100 + d + i / 4, fee: 0.5, executed_at: fillAt(d, i),
      });
    }
    batch.set(db.doc(paths.dailyMark(tenantId, dayName(d))), { prices: { SPY: 101 + d } });
    if (d % 5 === 4) {
      await batch.commit();
      batch = db.batch();
    }
  }
  await batch.commit();
  const full = await rollupStrategyPerformance(db, tenantId, "alpha", { now: NOW });
  expect(full).toMatchObject({ passes: 1, days: DAYS, trades_read: DAYS * PER_DAY });
}, 60_000);

test("a new fill on the last day reads that day's trades and about ten documents, not the ledger", async () => {
  const at = fillAt(DAYS - 1, 50);
  await db.doc(paths.ledgerTrade(tenantId, "late")).set({ strategy_id: "alpha", symbol: "SPY", side: "BUY", quantity: 1, price: 120, fee: 0, executed_at: at });
  const outcome = await rollupStrategyPerformance(db, tenantId, "alpha", { now: NOW, from: at });
  expect(outcome).toMatchObject({ passes: 1, days: 1, trades_read: PER_DAY + 1, written: 1 });
  // Target (issue 9): ≤ that day's trades + the days after + 10. The whole ledger is 301 trades.
  expect(outcome.io.reads).toBeLessThanOrEqual(PER_DAY + 1 + 0 + 10);
});

test("a fill inserted mid-ledger re-reads its day and the days after, and rewrites only what changed", async () => {
  const middle = 10;
  const at = fillAt(middle, 55);
  await db.doc(paths.ledgerTrade(tenantId, "mid")).set({ strategy_id: "alpha", symbol: "SPY", side: "SELL", quantity: 1, price: 130, fee: 0, executed_at: at });
  const outcome = await rollupStrategyPerformance(db, tenantId, "alpha", { now: NOW, from: at });
  const daysFrom = DAYS - middle;
  const tradesFrom = daysFrom * PER_DAY + 1 + 1; // the day's trades and the days after, the late fill, this one
  expect(outcome).toMatchObject({ passes: 1, days: daysFrom, trades_read: tradesFrom });
  // Each day after has two documents to read, its stored figures (to write only what
  // changed) and its marks: the ledger before the checkpoint (150 trades) is not read.
  expect(outcome.io.reads).toBeLessThanOrEqual(tradesFrom + 2 * daysFrom + 10);
  // A repeat from the same instant changes nothing.
  const again = await rollupStrategyPerformance(db, tenantId, "alpha", { now: NOW, from: at });
  expect(again).toMatchObject({ written: 0, deleted: 0, unchanged: daysFrom });
});

test("the incremental days equal a roll of the whole ledger", async () => {
  const before = await db.collection(paths.performance(tenantId)).where("strategy_id", "==", "alpha").get();
  const full = await rollupStrategyPerformance(db, tenantId, "alpha", { now: NOW });
  expect(full).toMatchObject({ days: DAYS, written: 0, deleted: 0, unchanged: DAYS });
  expect(before.size).toBe(DAYS);
});
