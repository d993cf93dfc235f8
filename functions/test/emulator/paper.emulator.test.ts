/**
 * SHADOW_MODE trades on paper (issue 9), end to end on the emulators with the deployed
 * triggers: a strategy losing on its real ledger goes to SHADOW_MODE; its orchestrated
 * BUYs become paper fills (one at the price it names, one at the next mark); the marks
 * roll them into paper days; with the paper days standing in, the strategy earns its way
 * back to REDUCED and then ACTIVE by seed 000's thresholds, and its reasoning says how many
 * of the days were paper.
 *
 * Numbers (capital_base 10,000, rf 0.04):
 *   real days 10-05 … 10-10: BUY 10 SPY @ 100, SELL @ 96 or 98 → −40, −20, −40, −20, −40, −20
 *   paper: BUY 0.5 × 10,000 = 5,000 of SPY at its reference 100 → 50 SPY;
 *          BUY 0.2 × 10,000 = 2,000 of QQQ at the next mark (10-11 close 200) → 10 QQQ, flat after.
 *   marks SPY 102, 102.4, 104.4, 104.8 on 10-11 … 10-14 → paper P&L +100, +20, +100, +20.
 *   Sharpe is worked out by the test from those returns (population std), not by Maestro:
 *   9 days (3 paper) ≈ 0.8403 → REDUCED; 10 days (4 paper) ≈ 1.3623 → ACTIVE.
 */
import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { orchestrateTenant } from "../../src/stages/orchestration";
import { weightsJob } from "../../src/stages/weights";
import { paths } from "../../src/store/paths";
import { ALWAYS_OPEN_HOURS, adminDb, uniqueTenantId, waitFor } from "../support/emulator";

const db: Firestore = adminDb();
const CAPITAL = 10_000;
const REAL_DAYS = ["2026-10-05", "2026-10-06", "2026-10-07", "2026-10-08", "2026-10-09", "2026-10-10"];
const PAPER_MARKS: Array<[string, Record<string, number>]> = [
  ["2026-10-11", { SPY: 102, QQQ: 200 }],
  ["2026-10-12", { SPY: 102.4, QQQ: 200 }],
  ["2026-10-13", { SPY: 104.4, QQQ: 200 }],
  ["2026-10-14", { SPY: 104.8, QQQ: 200 }],
];

/** seed 000's Sharpe, computed here from the definition. */
function sharpe(returns: number[]): number {
  const n = returns.length;
  const mean = returns.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / n);
  return (Math.sqrt(252) * (mean - 0.04 / 252)) / sd;
}

async function weightOf(tenantId: string, day: string) {
  await weightsJob(db, { tenant_id: tenantId, run_id: uniqueTenantId("w"), cursor: undefined, now: new Date(`${day}T23:00:00Z`), budget_ms: 60_000 });
  return (await db.doc(paths.weights(tenantId)).get()).get("strategies.ghost");
}

async function settled(tenantId: string, collection: "real" | "paper", day: string, dailyPnl: number) {
  const path = collection === "real" ? paths.performanceDay(tenantId, "ghost", day) : paths.paperPerformanceDay(tenantId, "ghost", day);
  return waitFor(`${collection} day ${day} at ${dailyPnl}`, async () => {
    const snap = await db.doc(path).get();
    return snap.exists && snap.get("daily_pnl") === dailyPnl ? snap.data() : undefined;
  }, 60_000, 250);
}

test("a shadow strategy trades on paper and earns its way back to REDUCED, then ACTIVE", async () => {
  const tenantId = uniqueTenantId("paper");
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: "Paper", active: true });
  // Open all day on New York's calendar: the venue days below are New York's.
  batch.set(db.doc(paths.config(tenantId)), { market_hours: { ...ALWAYS_OPEN_HOURS, time_zone: "America/New_York" } });
  batch.set(db.doc(paths.strategy(tenantId, "ghost")), { name: "Ghost", enabled: true, capital_base: CAPITAL, manual_mode: null });
  REAL_DAYS.forEach((day, i) => {
    batch.set(db.doc(paths.ledgerTrade(tenantId, `b${i}`)), { strategy_id: "ghost", symbol: "SPY", side: "BUY", quantity: 10, price: 100, fee: 0, executed_at: new Date(`${day}T14:00:00Z`) });
    batch.set(db.doc(paths.ledgerTrade(tenantId, `s${i}`)), { strategy_id: "ghost", symbol: "SPY", side: "SELL", quantity: 10, price: i % 2 ? 98 : 96, fee: 0, executed_at: new Date(`${day}T15:00:00Z`) });
    batch.set(db.doc(paths.dailyMark(tenantId, day)), { prices: { SPY: 100 } });
  });
  await batch.commit();
  await settled(tenantId, "real", REAL_DAYS[5], -20);

  const shadow = await weightOf(tenantId, REAL_DAYS[5]);
  expect(shadow).toMatchObject({ mode: "SHADOW_MODE", weight: 0, data_points: 6, paper_days: 0 });

  // A cycle on 10-11 at 11:00 New York: two BUYs of the shadow strategy.
  const created_at = Timestamp.now();
  await db.doc(paths.signal(tenantId, "spy")).set({ strategy_id: "ghost", action: "BUY", ticker: "SPY", allocation: 0.5, confidence: 0.8, reasoning: "", reference_price: 100, status: "pending", created_at });
  await db.doc(paths.signal(tenantId, "qqq")).set({ strategy_id: "ghost", action: "BUY", ticker: "QQQ", allocation: 0.2, confidence: 0.6, reasoning: "", status: "pending", created_at });
  const cycle = await orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: null, now: () => new Date("2026-10-11T15:00:00Z") });
  expect(cycle.signals.map((s) => [s.signal_id, s.mode, s.executable])).toEqual([["qqq", "SHADOW_MODE", false], ["spy", "SHADOW_MODE", false]].sort());
  const spyFill = (await db.doc(paths.paperTrade(tenantId, `${cycle.session_id}_spy`)).get()).data()!;
  expect(spyFill).toMatchObject({ strategy_id: "ghost", side: "BUY", quantity: 50, price: 100, notional: 5_000, status: "filled", price_source: "reference_price", paper: true });
  const qqqRef = db.doc(paths.paperTrade(tenantId, `${cycle.session_id}_qqq`));
  expect((await qqqRef.get()).data()).toMatchObject({ quantity: null, price: null, notional: 2_000, status: "awaiting_mark" });

  // Nothing real was placed: no nonce is executable, no real trade was written.
  expect((await db.collection(paths.ledgerTrades(tenantId)).get()).size).toBe(12);

  const expectedPaper = [100, 20, 100, 20];
  const returns = [-0.004, -0.002, -0.004, -0.002, -0.004, -0.002];
  for (const [i, [day, prices]] of PAPER_MARKS.entries()) {
    await db.doc(paths.dailyMark(tenantId, day)).set({ prices });
    const paperDay = await settled(tenantId, "paper", day, expectedPaper[i]);
    expect(paperDay).toMatchObject({ source: "paper_trades_fifo", paper: true });
    await settled(tenantId, "real", day, 0); // the real book is flat: a mark-only day of 0
    returns.push(expectedPaper[i] / CAPITAL);
    if (i === 0) {
      // The next mark priced the waiting fill: 2,000 / 200 = 10 QQQ.
      expect((await qqqRef.get()).data()).toMatchObject({ quantity: 10, price: 200, status: "filled", priced_by_mark: day });
      // The priced fill is its own paper write, rolled in by a pass of its own (its P&L that day is 0,
      // so the day's figure alone cannot tell whether it is in yet): wait for the position.
      const withQqq = await waitFor("the priced QQQ fill in the paper day", async () => {
        const snap = await db.doc(paths.paperPerformanceDay(tenantId, "ghost", day)).get();
        return snap.get("positions.QQQ") ? snap.data() : undefined;
      }, 60_000, 250);
      expect(withQqq.positions).toEqual({ QQQ: { quantity: 10, average_price: 200, mark_price: 200 }, SPY: { quantity: 50, average_price: 100, mark_price: 102 } });
      expect(withQqq.daily_pnl).toBe(100);
    }
    const w = await weightOf(tenantId, day);
    expect(w.sharpe_ratio).toBeCloseTo(sharpe(returns), 6);
    expect(w).toMatchObject({ data_points: 7 + i, paper_days: i + 1 });
    // The weights' period is in the venue's days (New York, EDT: midnight is 04:00Z): 10-05 through this day.
    expect(w.period_start).toBe("2026-10-05T04:00:00.000Z");
    expect(w.period_end).toBe(new Date(Date.parse(`2026-10-${12 + i}T04:00:00.000Z`) - 1).toISOString());
    if (i < 2) expect(w.mode).toBe("SHADOW_MODE");
    if (i === 2) {
      // 9 days, 3 of them paper: Sharpe ≈ 0.8403 ≥ 0.5
      expect(w).toMatchObject({ mode: "REDUCED", weight: 0.5 });
      expect(w.reasoning).toContain("3 of the 9 days are paper trading");
    }
    if (i === 3) {
      // 10 days, 4 of them paper: Sharpe ≈ 1.3623 ≥ 1.0
      expect(w).toMatchObject({ mode: "ACTIVE", weight: 1 });
      expect(w.reasoning).toContain("4 of the 10 days are paper trading");
    }
  }
}, 180_000);

