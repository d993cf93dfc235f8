/**
 * Portfolio allocation methods in the cycle (issue 12), on the emulators: a desk of three
 * strategies with eight days of performance whose volatilities are 1 %, 2 % and 1 % of
 * capital and whose returns are uncorrelated (orthogonal ±1 patterns), switched by an admin
 * through `updateMaestroConfig`:
 *  - equal_weight: a third of the desk each; capital bases 10k, 10k, 20k → weights 1, 1, 1/2;
 *  - risk_parity: for uncorrelated strategies equal risk contribution is inverse volatility,
 *    shares ∝ 1/σ = 1 : 1/2 : 1 → 0.4, 0.2, 0.4 → weights (share/base relative) 1, 1/2, 1/2;
 *  - custom: allocation_weight 2, 1, 1 → shares 0.5, 0.25, 0.25;
 * each cycle's signals scaled by those weights and each audit passing; every rebalance in
 * the allocation history; a forced rebalance by an admin (refused to a viewer).
 */
import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { orchestrateTenant } from "../../src/stages/orchestration";
import { weightsJob } from "../../src/stages/weights";
import { paths } from "../../src/store/paths";
import { adminDb, ampleAccountSnapshot, callCallable, memberOf, openAllDay, uniqueTenantId, waitFor, STEPS_WITHOUT_GUARDIAN } from "../support/emulator";

const db: Firestore = adminDb();
const DAYS = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-23", "2026-11-24", "2026-11-25"];
const P = [1, -1, 1, -1, 1, -1, 1, -1];
const Q = [1, 1, -1, -1, 1, 1, -1, -1];
const R = [1, -1, -1, 1, 1, -1, -1, 1];
/** Strategy → capital base, the σ of its daily return (fraction of capital) and its ±1 pattern. */
const DESK = { a: { base: 10_000, sigma: 0.01, pattern: P }, b: { base: 10_000, sigma: 0.02, pattern: Q }, c: { base: 20_000, sigma: 0.01, pattern: R } } as const;

let tenantId: string;
let admin: { uid: string; idToken: string };
let viewer: { uid: string; idToken: string };

beforeAll(async () => {
  tenantId = uniqueTenantId("allocation");
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: "Allocation desk", active: true });
  // Every strategy ACTIVE whatever its Sharpe, so the cycle shows the method's shares alone.
  batch.set(db.doc(paths.config(tenantId)), openAllDay({ cycle_steps: STEPS_WITHOUT_GUARDIAN, sharpe_threshold_shadow: -1_000, sharpe_threshold_reduce: -999, lookback_days: 8 }));
  batch.set(db.doc(paths.accountSnapshot(tenantId)), ampleAccountSnapshot());
  for (const [id, s] of Object.entries(DESK)) {
    batch.set(db.doc(paths.strategy(tenantId, id)), { name: id.toUpperCase(), enabled: true, capital_base: s.base, manual_mode: null });
    DAYS.forEach((day, i) => {
      const pnl = s.base * (0.001 + s.sigma * s.pattern[i]);
      batch.set(db.doc(paths.performanceDay(tenantId, id, day)), { tenant_id: tenantId, strategy_id: id, trading_day: day, daily_pnl: pnl, realized_pnl: pnl, unrealized_pnl: 0, fees: 0, trade_count: 1 });
    });
  }
  await batch.commit();
  admin = await memberOf(tenantId, "admin");
  viewer = await memberOf(tenantId, "viewer");
});

let signalNo = 0;
/** One BUY of allocation 0.2 per strategy, then a cycle; the signals' allocations by strategy. */
async function cycle(): Promise<Record<string, number>> {
  for (const id of Object.keys(DESK)) {
    signalNo += 1;
    await db.doc(paths.signal(tenantId, `s${signalNo}`)).set({ strategy_id: id, action: "BUY", ticker: "SPY", allocation: 0.2, confidence: 0.7, reasoning: "", status: "pending", created_at: Timestamp.now() });
  }
  const o = await orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "allocation-test" });
  const audit = await waitFor("the cycle's audit", async () => {
    const snap = await db.collection(paths.audits(tenantId)).where("session_id", "==", o.session_id).get();
    return snap.empty ? undefined : snap.docs[0].data();
  }, 60_000, 250);
  expect(audit.passed).toBe(true);
  return Object.fromEntries(o.signals.map((s) => [s.strategy_id, s.allocation]));
}

/** The shares and the cycle's allocations per strategy, each to 8 decimals. */
function expectDesk(shares: Record<string, number>, expectedShares: Record<string, number>, allocations: Record<string, number>, expectedAllocations: Record<string, number>): void {
  for (const [id, v] of Object.entries(expectedShares)) expect([id, shares[id]]).toEqual([id, expect.closeTo(v, 8)]);
  for (const [id, v] of Object.entries(expectedAllocations)) expect([id, allocations[id]]).toEqual([id, expect.closeTo(v, 8)]);
}

async function switchTo(allocation: Record<string, unknown>): Promise<void> {
  const changed = await callCallable("updateMaestroConfig", { tenant_id: tenantId, changes: { allocation }, reason: `try ${allocation.method}` }, admin.idToken);
  expect(changed.error).toBeUndefined();
}

async function weights() {
  const read = await callCallable("getStrategyWeights", { tenant_id: tenantId }, viewer.idToken);
  expect(read.error).toBeUndefined();
  return read.result as { portfolio: { method: string; shares: Record<string, number>; fallback: unknown; rebalance_reason: string } | null; strategies: { strategy_id: string; weight: number; portfolio_weight?: number | null; reasoning: string }[] };
}

test("sharpe_tiers (the default): every ACTIVE strategy at weight 1, no portfolio", async () => {
  const allocations = await cycle();
  expect(allocations).toEqual({ a: 0.2, b: 0.2, c: 0.2 });
  expect((await weights()).portfolio).toBeNull();
}, 90_000);

test("equal_weight: a third each; the 20k strategy trades at half its base (equal dollars)", async () => {
  await switchTo({ method: "equal_weight" });
  const allocations = await cycle();
  expect(allocations.a).toBeCloseTo(0.2, 12);
  expect(allocations.b).toBeCloseTo(0.2, 12);
  expect(allocations.c).toBeCloseTo(0.1, 12);
  const w = await weights();
  expect(w.portfolio).toMatchObject({ method: "equal_weight", rebalance_reason: "first allocation" });
  for (const id of ["a", "b", "c"]) expect(w.portfolio!.shares[id]).toBeCloseTo(1 / 3, 12);
}, 90_000);

test("risk_parity: inverse volatility for uncorrelated strategies, 0.4 / 0.2 / 0.4", async () => {
  await switchTo({ method: "risk_parity", lookback_days: 8 });
  const allocations = await cycle();
  const w = await weights();
  expect(w.portfolio!.fallback).toBeNull();
  // Capital per unit of base: a 0.4/10k, b 0.2/10k, c 0.4/20k → relative 1, 1/2, 1/2.
  expectDesk(w.portfolio!.shares, { a: 0.4, b: 0.2, c: 0.4 }, allocations, { a: 0.2, b: 0.1, c: 0.1 });
  expect(w.strategies.find((s) => s.strategy_id === "b")!.reasoning).toMatch(/Portfolio \(risk_parity\): .*Share 20% of the desk → signal weight 0\.5000/);
}, 90_000);

test("custom: allocation_weight 2, 1, 1; every rebalance is in the allocation history; an admin forces one, a viewer may not", async () => {
  await Promise.all([
    db.doc(paths.strategy(tenantId, "a")).update({ allocation_weight: 2 }),
    db.doc(paths.strategy(tenantId, "b")).update({ allocation_weight: 1 }),
    db.doc(paths.strategy(tenantId, "c")).update({ allocation_weight: 1 }),
  ]);
  await switchTo({ method: "custom" });
  const allocations = await cycle();
  expect((await weights()).portfolio!.shares).toEqual({ a: 0.5, b: 0.25, c: 0.25 });
  // a 0.5/10k, b 0.25/10k, c 0.25/20k → 1, 1/2, 1/4.
  expect(allocations.a).toBeCloseTo(0.2, 12);
  expect(allocations.b).toBeCloseTo(0.1, 12);
  expect(allocations.c).toBeCloseTo(0.05, 12);

  const denied = await callCallable("rebalanceAllocations", { tenant_id: tenantId, reason: "quarter end" }, viewer.idToken);
  expect(denied.error).toMatchObject({ status: "PERMISSION_DENIED", message: expect.stringMatching(/^rebalanceAllocations requires the admin role/) });
  const forced = await callCallable("rebalanceAllocations", { tenant_id: tenantId, reason: "quarter end" }, admin.idToken);
  expect(forced.error).toBeUndefined();
  expect(forced.result.portfolio).toMatchObject({ method: "custom", rebalance_reason: `forced: admin ${admin.uid}: quarter end` });

  const history = (await db.collection(paths.allocationHistory(tenantId)).orderBy("at").get()).docs.map((d) => d.data());
  expect(history.map((h) => [h.method, h.reason])).toEqual([
    ["equal_weight", "first allocation"],
    ["risk_parity", "the allocation config changed"],
    ["custom", "the allocation config changed"],
  ]);
  // The forced rebalance changed no share: nothing new in the history, but the admin action is recorded.
  expect(history[2]).toMatchObject({ by: "orchestration cycle (orchestrate_now)", after: { a: 0.5, b: 0.25, c: 0.25 } });
  expect(history[2].before.b).toBeCloseTo(0.2, 8);
  const actions = await db.collection(paths.adminActions(tenantId)).where("action", "==", "rebalance_allocations").get();
  expect(actions.docs.map((d) => d.get("reason"))).toEqual(["quarter end"]);
}, 120_000);

test("back to sharpe_tiers the rebalance refuses: there are no shares", async () => {
  await switchTo({ method: "sharpe_tiers" });
  const refused = await callCallable("rebalanceAllocations", { tenant_id: tenantId, reason: "try" }, admin.idToken);
  expect(refused.error).toMatchObject({ status: "FAILED_PRECONDITION", message: expect.stringMatching(/^allocation\.method is sharpe_tiers/) });
}, 60_000);

test("performance_based by Sharpe: b has a's mean excess return at twice its volatility, so half its Sharpe: 0.4 / 0.2 / 0.4", async () => {
  await switchTo({ method: "performance_based", metric: "sharpe_ratio", lookback_days: 8 });
  const allocations = await cycle();
  const w = await weights();
  expect(w.portfolio).toMatchObject({ method: "performance_based", fallback: null });
  expectDesk(w.portfolio!.shares, { a: 0.4, b: 0.2, c: 0.4 }, allocations, { a: 0.2, b: 0.1, c: 0.1 });
}, 90_000);

describe("the portfolio_risk step", () => {
  test("a correlated pair and a concentration of entries, each sized with its breakdown; the exit untouched; the pair alerted; the audit passes", async () => {
    const desk = uniqueTenantId("portfolio-risk");
    const batch = db.batch();
    batch.set(db.doc(paths.tenant(desk)), { name: "Portfolio risk desk", active: true });
    batch.set(
      db.doc(paths.config(desk)),
      openAllDay({
        cycle_steps: ["weights", "systemic_override", "risk_guardian", "portfolio_risk", "buying_power"],
        sharpe_threshold_shadow: -1_000,
        sharpe_threshold_reduce: -999,
        lookback_days: 8,
        portfolio_risk: { target_volatility: null },
      }),
    );
    batch.set(db.doc(paths.accountSnapshot(desk)), ampleAccountSnapshot());
    // b's returns are a's (ρ 1); c and d are orthogonal patterns. a holds SPY.
    const patterns: Record<string, number[]> = { a: P, b: P, c: Q, d: R };
    for (const [id, pattern] of Object.entries(patterns)) {
      batch.set(db.doc(paths.strategy(desk, id)), { name: id.toUpperCase(), enabled: true, capital_base: 10_000, manual_mode: null });
      DAYS.forEach((day, i) => {
        const pnl = 10_000 * (0.001 + 0.01 * pattern[i]);
        batch.set(db.doc(paths.performanceDay(desk, id, day)), { tenant_id: desk, strategy_id: id, trading_day: day, daily_pnl: pnl, realized_pnl: pnl, unrealized_pnl: 0, fees: 0, trade_count: 1 });
      });
    }
    batch.set(db.doc(paths.positions(desk)), { tenant_id: desk, strategies: { a: { positions: { SPY: 10 }, as_of_day: null, closed_trades: [] } } });
    // The heat values a's SPY at its latest mark (10 × 500 × 2 % = $100 of open risk).
    batch.set(db.doc(paths.dailyMark(desk, new Date().toISOString().slice(0, 10))), { prices: { SPY: 500 } });
    for (const [id, s, action, ticker, allocation] of [["p1", "b", "BUY", "QQQ", 0.2], ["p2", "c", "BUY", "IWM", 0.2], ["p3", "d", "BUY", "DIA", 0.2], ["p4", "a", "SELL", "SPY", 0.1]] as const) {
      batch.set(db.doc(paths.signal(desk, id)), { strategy_id: s, action, ticker, allocation, confidence: 0.7, reasoning: "", status: "pending", created_at: Timestamp.now() });
    }
    await batch.commit();

    const o = await orchestrateTenant(db, { tenant_id: desk, trigger: "orchestrate_now", requested_by: "portfolio-risk-test" });
    const byId = Object.fromEntries(o.signals.map((s) => [s.signal_id, s]));
    // Three BUY entries: × 0.7 each; b also correlates (ρ 1) with a, which holds SPY: × 0.65.
    expect(byId.p1.allocation).toBeCloseTo(0.2 * 0.65 * 0.7, 12);
    expect(byId.p2.allocation).toBeCloseTo(0.14, 12);
    expect(byId.p3.allocation).toBeCloseTo(0.14, 12);
    expect(byId.p1.portfolio_sizing).toMatchObject({ base: 0.2, volatility: 1, correlation: 0.65, regime: 1, concentration: 0.7, heat: 1 });
    expect(byId.p1.interventions.map((i) => i.code)).toEqual(["PORTFOLIO_RISK_SIZED"]);
    expect(byId.p4).toMatchObject({ action: "SELL", allocation: 0.1, exposure: "exit", interventions: [], executable: true });

    const weightsDoc = (await db.doc(paths.weights(desk)).get()).data()!;
    expect(weightsDoc.correlated_pairs.find((p: { a: string; b: string }) => p.a === "a" && p.b === "b").rho).toBeCloseTo(1, 9);
    const alert = await db.doc(paths.alert(desk, `strategy_correlation_a_b_${weightsDoc.computed_at.slice(0, 10)}`)).get();
    expect(alert.get("code")).toBe("STRATEGY_CORRELATION");

    const audit = await waitFor("the cycle's audit", async () => {
      const snap = await db.collection(paths.audits(desk)).where("session_id", "==", o.session_id).get();
      return snap.empty ? undefined : snap.docs[0].data();
    }, 60_000, 250);
    expect(audit.checks.filter((c: { passed: boolean }) => !c.passed)).toEqual([]);
  }, 120_000);
});

describe("signal arbitration", () => {
  test("two strategies on one ticker: the winner trades, the other is held with the breakdown; the winner's trade teaches the bandit; an admin resets it", async () => {
    const desk = uniqueTenantId("arbitration");
    const batch = db.batch();
    batch.set(db.doc(paths.tenant(desk)), { name: "Arbitration desk", active: true });
    batch.set(db.doc(paths.config(desk)), openAllDay({ cycle_steps: ["weights", "systemic_override", "arbitration", "risk_guardian", "buying_power"], sharpe_threshold_shadow: -1_000, sharpe_threshold_reduce: -999, lookback_days: 8 }));
    batch.set(db.doc(paths.accountSnapshot(desk)), ampleAccountSnapshot());
    for (const [id, pattern] of Object.entries({ a: P, b: Q })) {
      batch.set(db.doc(paths.strategy(desk, id)), { name: id.toUpperCase(), enabled: true, capital_base: 10_000, manual_mode: null });
      DAYS.forEach((day, i) => {
        const pnl = 10_000 * ((id === "a" ? 0.002 : 0.001) + 0.01 * pattern[i]);
        batch.set(db.doc(paths.performanceDay(desk, id, day)), { tenant_id: desk, strategy_id: id, trading_day: day, daily_pnl: pnl, realized_pnl: pnl, unrealized_pnl: 0, fees: 0, trade_count: 1 });
      });
    }
    for (const [id, s, confidence] of [["x1", "a", 0.6], ["x2", "b", 0.6]] as const) {
      batch.set(db.doc(paths.signal(desk, id)), { strategy_id: s, action: "BUY", ticker: "SPY", allocation: 0.1, confidence, reasoning: "", status: "pending", created_at: Timestamp.now() });
    }
    await batch.commit();

    const o = await orchestrateTenant(db, { tenant_id: desk, trigger: "orchestrate_now", requested_by: "arbitration-test" });
    const byId = Object.fromEntries(o.signals.map((s) => [s.signal_id, s]));
    // Same confidence, same win rate (half the days up) and regime; a's total return is higher: capital efficiency decides.
    expect(byId.x1.arbitration).toMatchObject({ ticker: "SPY", won: true, votes: ["capital_efficiency"], bandit_version: 0 });
    expect(byId.x2).toMatchObject({ action: "HOLD", executable: false });
    expect(byId.x2.interventions.map((i) => i.code)).toEqual(["ARBITRATION_LOST"]);
    const nonce = byId.x1.nonce!;
    const record = (await db.doc(paths.arbitration(desk, nonce)).get()).data()!;
    expect(record).toMatchObject({ status: "awaiting_outcome", strategy_id: "a", ticker: "SPY", votes: ["capital_efficiency"] });
    const audit = await waitFor("the cycle's audit", async () => {
      const snap = await db.collection(paths.audits(desk)).where("session_id", "==", o.session_id).get();
      return snap.empty ? undefined : snap.docs[0].data();
    }, 60_000, 250);
    expect(audit.checks.filter((c: { passed: boolean }) => !c.passed)).toEqual([]);

    // The execution side fills the licence, then the strategy sells: (505 − 500) × 2 − 1 − 1 = 8 > 0, a profit.
    const t0 = Date.now();
    await db.doc(paths.ledgerTrade(desk, "fill-in")).set({ strategy_id: "a", symbol: "SPY", side: "BUY", quantity: 2, price: 500, fee: 1, executed_at: Timestamp.fromMillis(t0), nonce });
    await db.doc(paths.ledgerTrade(desk, "fill-out")).set({ strategy_id: "a", symbol: "SPY", side: "SELL", quantity: 2, price: 505, fee: 1, executed_at: Timestamp.fromMillis(t0 + 60_000) });
    const job = await weightsJob(db, { tenant_id: desk, run_id: "learn", cursor: undefined, now: new Date(), budget_ms: 60_000 });
    expect(job.detail).toMatchObject({ arbitration_learning: { learned: [{ nonce, pnl: 8, profitable: true }], waiting: 0, expired: [], version: 1 } });
    const state = (await db.doc(paths.arbitrationState(desk)).get()).data()!;
    expect(state.version).toBe(1);
    expect(state.factors.capital_efficiency).toEqual({ alpha: 2, beta: 1 });
    expect(state.factors.signal_strength).toEqual({ alpha: 1, beta: 1 });
    expect((await db.doc(paths.arbitration(desk, nonce)).get()).data()).toMatchObject({ status: "learned", pnl: 8, profitable: true });
    // Run again: nothing is learned twice.
    const again = await weightsJob(db, { tenant_id: desk, run_id: "learn-2", cursor: undefined, now: new Date(), budget_ms: 60_000 });
    expect(again.detail).toMatchObject({ arbitration_learning: { learned: [], version: null } });

    const admin = await memberOf(desk, "admin");
    const reset = await callCallable("resetArbitrationLearning", { tenant_id: desk, reason: "new regime" }, admin.idToken);
    expect(reset.error).toBeUndefined();
    expect(reset.result).toMatchObject({ version: 2, factors: { capital_efficiency: { alpha: 1, beta: 1 } } });
    expect((await db.doc(paths.arbitrationState(desk)).get()).get("reset")).toMatchObject({ by: admin.uid, reason: "new regime", before: { version: 1 } });
  }, 120_000);
});
