/**
 * The rollup runner protocol on the real Firestore (store/rollup-state.ts): one runner per
 * strategy at a time, a run that lost its lease never writes, a claim takes the earliest
 * dirty instant of every write before it, and overlapping runs racing trade writes end on
 * the figures of the whole ledger. Background triggers are paused so the test alone
 * decides the order of the runs.
 */
import type { Firestore } from "firebase-admin/firestore";
import type { StrategyPerformance } from "../../src/schemas";
import { IoCount } from "../../src/store/firestore";
import { commitRollup, rollupStrategyPerformance } from "../../src/stages/performance-rollup";
import { claimRollupRun, markRollupDirty, ROLLUP_LEASE_MS } from "../../src/store/rollup-state";
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
    tenant_id: tenantId, strategy_id: "alpha", period_start: `${DAY}T05:00:00.000Z`, period_end: "2026-11-17T05:00:00.000Z",
    trading_day: DAY, realized_pnl: dailyPnl, unrealized_pnl: 0, daily_pnl: dailyPnl, fees: 0, trade_count: 1, positions: {}, open_lots: {},
    computed_at: "2026-11-16T23:00:00.000Z", source: "ledger_trades_fifo",
  };
}
const stored = async (tenantId: string) => (await db.doc(paths.performanceDay(tenantId, "alpha", DAY)).get()).get("daily_pnl");
const at = (iso: string) => new Date(iso);

test("a claim takes the earliest dirty instant, and a second runner is busy while the first holds the lease", async () => {
  const tenantId = uniqueTenantId("race-claim");
  const io = new IoCount();
  await markRollupDirty(db, tenantId, "alpha", at("2026-11-18T15:00:00Z"), io, { schedule: false });
  await markRollupDirty(db, tenantId, "alpha", at("2026-11-16T15:00:00Z"), io, { schedule: false });
  await markRollupDirty(db, tenantId, "alpha", at("2026-11-17T15:00:00Z"), io, { schedule: false });
  const first = await claimRollupRun(db, tenantId, "alpha", "run-1", io);
  expect(first).toEqual({ kind: "claimed", from: at("2026-11-16T15:00:00Z"), commits: 0 });
  await markRollupDirty(db, tenantId, "alpha", at("2026-11-19T15:00:00Z"), io, { schedule: false });
  expect(await claimRollupRun(db, tenantId, "alpha", "run-2", io)).toEqual({ kind: "busy", holder: "run-1" });
  // The holder ends its pass; what arrived meanwhile is still dirty, for its next claim.
  expect(await commitRollup(db, tenantId, "alpha", "run-1", [], false, io)).toEqual({ lost: false, more: true });
  expect(await claimRollupRun(db, tenantId, "alpha", "run-1", io)).toMatchObject({ kind: "claimed", from: at("2026-11-19T15:00:00Z") });
  expect(await commitRollup(db, tenantId, "alpha", "run-1", [], false, io)).toEqual({ lost: false, more: false });
  expect(await claimRollupRun(db, tenantId, "alpha", "run-2", io)).toEqual({ kind: "idle" });
});

test("a run whose lease expired and was taken over cannot write, and its range is folded into the new run", async () => {
  const tenantId = uniqueTenantId("race-lease");
  const io = new IoCount();
  await markRollupDirty(db, tenantId, "alpha", at("2026-11-16T15:00:00Z"), io, { schedule: false });
  const now = new Date();
  expect(await claimRollupRun(db, tenantId, "alpha", "slow", io, now)).toMatchObject({ kind: "claimed" });
  await markRollupDirty(db, tenantId, "alpha", at("2026-11-18T15:00:00Z"), io, { schedule: false });
  // After the lease: another runner takes over, from the earlier of the dead run's range and the new write.
  const later = new Date(now.getTime() + ROLLUP_LEASE_MS + 1_000);
  expect(await claimRollupRun(db, tenantId, "alpha", "rescuer", io, later)).toMatchObject({ kind: "claimed", from: at("2026-11-16T15:00:00Z") });
  expect(await commitRollup(db, tenantId, "alpha", "slow", [{ day: DAY, doc: dayDoc(tenantId, 100) }], false, io)).toEqual({ lost: true, more: false });
  expect(await stored(tenantId)).toBeUndefined();
  expect(await commitRollup(db, tenantId, "alpha", "rescuer", [{ day: DAY, doc: dayDoc(tenantId, 200) }], false, io)).toEqual({ lost: false, more: false });
  expect(await stored(tenantId)).toBe(200);
  const weights = (await db.doc(paths.weights(tenantId)).get()).data()!;
  expect(weights.performance_version).toBe(1); // the commit that changed a day marked the weights stale
});

test("a redelivered runner (same run id) takes its own lease over at once", async () => {
  const tenantId = uniqueTenantId("race-redeliver");
  const io = new IoCount();
  await markRollupDirty(db, tenantId, "alpha", at("2026-11-16T15:00:00Z"), io, { schedule: false });
  expect(await claimRollupRun(db, tenantId, "alpha", "sched-1", io)).toMatchObject({ kind: "claimed" });
  // The first delivery died before committing; the redelivery finds its own live lease.
  expect(await claimRollupRun(db, tenantId, "alpha", "sched-1", io)).toMatchObject({ kind: "claimed", from: at("2026-11-16T15:00:00Z") });
});

test("writes scheduling a runner: one schedule for a burst, one read and no write for a covered write", async () => {
  const tenantId = uniqueTenantId("race-schedule");
  const io = new IoCount();
  expect(await markRollupDirty(db, tenantId, "alpha", at("2026-11-16T15:00:00Z"), io)).toEqual({ scheduled: true });
  const before = io.toJSON();
  for (let i = 1; i <= 5; i++) {
    expect(await markRollupDirty(db, tenantId, "alpha", at(`2026-11-16T15:0${i}:00Z`), io)).toEqual({ scheduled: false });
  }
  expect(io.reads - before.reads).toBe(5);
  expect(io.writes - before.writes).toBe(0);
  // An earlier fill lowers dirty_from (one transaction) without scheduling again.
  expect(await markRollupDirty(db, tenantId, "alpha", at("2026-11-10T15:00:00Z"), io)).toEqual({ scheduled: false });
  const state = (await db.doc(paths.rollupState(tenantId, "alpha")).get()).data()!;
  expect(state.dirty_from.toDate()).toEqual(at("2026-11-10T15:00:00Z"));
  expect(state.scheduled).toBe(true);
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
  const now = new Date(`${DAY}T23:00:00Z`);
  for (let i = 0; i < 10; i++) {
    await db.doc(paths.ledgerTrade(tenantId, `t${i}`)).set({
      strategy_id: "alpha", symbol: "SPY", side: "BUY", quantity: 1, price: 99 + i / 10, fee: 0, executed_at: new Date(`${DAY}T15:0${i}:00Z`),
    });
    runs.push(rollupStrategyPerformance(db, tenantId, "alpha", { now, from: new Date(`${DAY}T15:0${i}:00Z`) }));
  }
  await Promise.all(runs);
  // Runs that found another holding the lease left their work to it; it looped until clean.
  const state = (await db.doc(paths.rollupState(tenantId, "alpha")).get()).data()!;
  expect(state.dirty_from).toBeNull();
  expect(state.run).toBeNull();
  const day = (await db.doc(paths.performanceDay(tenantId, "alpha", DAY)).get()).data()!;
  expect(day.unrealized_pnl).toBeCloseTo(5.5, 8);
  expect(day.trade_count).toBe(10);
  expect(day.positions.SPY.quantity).toBe(10);
});
