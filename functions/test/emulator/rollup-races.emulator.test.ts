/**
 * Overlapping rollups of one strategy (one trigger per trade, plus the nightly): a run that
 * read an older ledger never overwrites one that read a newer ledger, and a run whose view
 * of the stored days went stale does its work again. Background triggers are paused so the
 * test alone decides the order of the runs.
 */
import type { Firestore } from "firebase-admin/firestore";
import type { StrategyPerformance } from "../../src/schemas";
import { IoCount } from "../../src/store/firestore";
import { claimRollup, commitRollup, rollupStrategyPerformance } from "../../src/stages/performance-rollup";
import { paths } from "../../src/store/paths";
import { adminDb, pauseBackgroundTriggersDuringFile, uniqueTenantId } from "../support/emulator";

pauseBackgroundTriggersDuringFile();
let db: Firestore;
beforeAll(() => {
  db = adminDb();
});

const DAY = "2026-11-16";
function dayDoc(tenantId: string, dailyPnl: number): StrategyPerformance {
  return {
    tenant_id: tenantId, strategy_id: "alpha", period_start: `${DAY}T00:00:00.000Z`, period_end: "2026-11-17T00:00:00.000Z",
    trading_day: DAY, realized_pnl: dailyPnl, unrealized_pnl: 0, daily_pnl: dailyPnl, fees: 0, trade_count: 1, positions: {},
    computed_at: "2026-11-16T23:00:00.000Z", source: "ledger_trades_fifo",
  };
}
const stored = async (tenantId: string) => (await db.doc(paths.performanceDay(tenantId, "alpha", DAY)).get()).get("daily_pnl");

test("an older run committing after a newer one is superseded and stores nothing", async () => {
  const tenantId = uniqueTenantId("race-old-late");
  const io = new IoCount();
  const older = await claimRollup(db, tenantId, "alpha", io);
  const newer = await claimRollup(db, tenantId, "alpha", io);
  expect(newer.request).toBeGreaterThan(older.request);
  expect(await commitRollup(db, tenantId, "alpha", newer, [{ day: DAY, doc: dayDoc(tenantId, 200) }], io)).toBe("committed");
  expect(await commitRollup(db, tenantId, "alpha", older, [{ day: DAY, doc: dayDoc(tenantId, 100) }], io)).toBe("superseded");
  expect(await stored(tenantId)).toBe(200);
});

test("a newer run whose view predates an older run's commit is told to redo its plan", async () => {
  const tenantId = uniqueTenantId("race-new-late");
  const io = new IoCount();
  const older = await claimRollup(db, tenantId, "alpha", io);
  const newer = await claimRollup(db, tenantId, "alpha", io);
  expect(await commitRollup(db, tenantId, "alpha", older, [{ day: DAY, doc: dayDoc(tenantId, 100) }], io)).toBe("committed");
  // The newer run may have judged a day "unchanged" against what was there before: stale.
  expect(await commitRollup(db, tenantId, "alpha", newer, [], io)).toBe("stale");
  const again = await claimRollup(db, tenantId, "alpha", io);
  expect(await commitRollup(db, tenantId, "alpha", again, [{ day: DAY, doc: dayDoc(tenantId, 200) }], io)).toBe("committed");
  expect(await stored(tenantId)).toBe(200);
  const weights = (await db.doc(paths.weights(tenantId)).get()).data()!;
  expect(weights.performance_version).toBe(2); // each commit that changed a day marked the weights stale
});

test("rollups racing trade writes end on the figures of the whole ledger", async () => {
  const tenantId = uniqueTenantId("race-burst");
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: "Race", active: true });
  batch.set(db.doc(paths.strategy(tenantId, "alpha")), { name: "Alpha", enabled: true, capital_base: 10_000, manual_mode: null });
  batch.set(db.doc(paths.dailyMark(tenantId, DAY)), { prices: { SPY: 100 } });
  await batch.commit();

  // Ten trades, each followed at once by its own rollup, all overlapping. Each trade:
  // BUY 1 SPY at 99 + i/10, no fee; day close 100 → unrealized Σ(100 − 99 − i/10) over
  // i = 0..9 = 10 − 4.5 = 5.5, the only correct final figure.
  const runs: Promise<unknown>[] = [];
  for (let i = 0; i < 10; i++) {
    await db.doc(paths.ledgerTrade(tenantId, `t${i}`)).set({
      strategy_id: "alpha", symbol: "SPY", side: "BUY", quantity: 1, price: 99 + i / 10, fee: 0, executed_at: new Date(`${DAY}T15:0${i}:00Z`),
    });
    runs.push(rollupStrategyPerformance(db, tenantId, "alpha"));
  }
  await Promise.all(runs);
  const day = (await db.doc(paths.performanceDay(tenantId, "alpha", DAY)).get()).data()!;
  expect(day.unrealized_pnl).toBeCloseTo(5.5, 8);
  expect(day.trade_count).toBe(10);
  expect(day.positions.SPY.quantity).toBe(10);
});
