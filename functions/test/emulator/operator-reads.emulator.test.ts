/**
 * The operator's read callables (issue 13: what the CLI and ask-Maestro's specialists read)
 * through the callable protocol on the Functions emulator: getDeskStatus,
 * getStrategyPerformance, getMaestroConfig, listAllocationHistory. Expected numbers are
 * worked from the documents the test writes, not from the code under test.
 */
import { paths } from "../../src/store/paths";
import { adminDb, ampleAccountSnapshot, callCallable, memberOf, uniqueTenantId, openAllDay, STEPS_WITHOUT_GUARDIAN } from "../support/emulator";

const db = adminDb();

/** alpha's five days of P&L on a 10,000 capital base, and beta's two. */
const ALPHA_PNL = [100, -300, 200, 50, -150];
const BETA_PNL = [40, 60];

function performanceDoc(tenantId: string, strategyId: string, day: string, pnl: number, trades: number) {
  return {
    tenant_id: tenantId,
    strategy_id: strategyId,
    trading_day: day,
    period_start: `${day}T05:00:00.000Z`,
    period_end: `${day}T05:00:00.000Z`,
    realized_pnl: pnl,
    unrealized_pnl: 0,
    daily_pnl: pnl,
    fees: 0,
    trade_count: trades,
    positions: {},
    computed_at: "2026-11-20T23:00:00.000Z",
    source: "ledger_trades_fifo",
  };
}

async function seedDesk(label: string): Promise<string> {
  const tenantId = uniqueTenantId(label);
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: `Desk ${label}`, active: true });
  batch.set(db.doc(paths.accountSnapshot(tenantId)), ampleAccountSnapshot());
  batch.set(db.doc(paths.strategy(tenantId, "alpha")), { name: "Alpha", enabled: true, capital_base: 10_000, manual_mode: null });
  batch.set(db.doc(paths.strategy(tenantId, "beta")), { name: "Beta", enabled: true, capital_base: 5_000, manual_mode: null });
  batch.set(db.doc(paths.config(tenantId)), openAllDay({ cycle_steps: STEPS_WITHOUT_GUARDIAN }));
  ALPHA_PNL.forEach((pnl, i) => batch.set(db.doc(paths.performanceDay(tenantId, "alpha", `2026-11-1${i}`)), performanceDoc(tenantId, "alpha", `2026-11-1${i}`, pnl, i + 1)));
  BETA_PNL.forEach((pnl, i) => batch.set(db.doc(paths.performanceDay(tenantId, "beta", `2026-11-1${i + 3}`)), performanceDoc(tenantId, "beta", `2026-11-1${i + 3}`, pnl, 1)));
  await batch.commit();
  return tenantId;
}

describe("the operator's reads", () => {
  let tenantId: string;
  let viewer: { uid: string; idToken: string };
  let admin: { uid: string; idToken: string };
  let trader: { uid: string; idToken: string };
  let outsider: { uid: string; idToken: string };

  beforeAll(async () => {
    tenantId = await seedDesk("reads");
    [viewer, admin, trader] = await Promise.all([memberOf(tenantId, "viewer"), memberOf(tenantId, "admin"), memberOf(tenantId, "trader")]);
    outsider = await memberOf(await seedDesk("reads-other"), "admin");
  });

  test.each([["getDeskStatus"], ["getStrategyPerformance"], ["getMaestroConfig"], ["listAllocationHistory"]])("%s refuses an admin of another tenant", async (name) => {
    const response = await callCallable(name, { tenant_id: tenantId }, outsider.idToken);
    expect(response.error).toEqual({ status: "PERMISSION_DENIED", message: `not a member of tenant '${tenantId}'` });
  });

  test("getStrategyPerformance: the last period_days days, oldest first, with their sum, return and drawdown", async () => {
    const response = await callCallable("getStrategyPerformance", { tenant_id: tenantId, period_days: 3 }, viewer.idToken);
    expect(response.error).toBeUndefined();
    const [alpha, beta] = response.result.strategies;
    expect(alpha.strategy_id).toBe("alpha");
    expect(alpha.days.map((d: { day: string }) => d.day)).toEqual(["2026-11-12", "2026-11-13", "2026-11-14"]);
    expect(alpha.days.map((d: { daily_pnl: number }) => d.daily_pnl)).toEqual([200, 50, -150]);
    expect(alpha.cumulative_pnl).toBe(100);
    // Fixed-base equity 1 → 1.02 → 1.025 → 1.01: return 1 %, worst fall 1.01 / 1.025 − 1.
    expect(alpha.metrics.total_return).toBeCloseTo(0.01, 12);
    expect(alpha.metrics.max_drawdown).toBeCloseTo(1.01 / 1.025 - 1, 12);
    expect(alpha.metrics.data_points).toBe(3);
    expect(beta).toMatchObject({ strategy_id: "beta", name: "Beta", capital_base: 5_000, cumulative_pnl: 100 });
    expect(beta.metrics.total_return).toBeCloseTo(100 / 5_000, 12);
  });

  test("getStrategyPerformance: one strategy; an unknown one is not-found; a bad period names the field", async () => {
    const one = await callCallable("getStrategyPerformance", { tenant_id: tenantId, strategy_id: "alpha" }, viewer.idToken);
    expect(one.result.strategies).toHaveLength(1);
    expect(one.result.strategies[0].days).toHaveLength(5);
    expect(one.result.period_days).toBe(30);
    const unknown = await callCallable("getStrategyPerformance", { tenant_id: tenantId, strategy_id: "gamma" }, viewer.idToken);
    expect(unknown.error).toEqual({ status: "NOT_FOUND", message: `strategy_id: tenant '${tenantId}' has no strategy 'gamma'` });
    const bad = await callCallable("getStrategyPerformance", { tenant_id: tenantId, period_days: 0 }, viewer.idToken);
    expect(bad.error?.status).toBe("INVALID_ARGUMENT");
    expect(bad.error?.message).toContain("period_days: must be at least 1");
  });

  test("getMaestroConfig: the config in force with its version and who changed it", async () => {
    const update = await callCallable("updateMaestroConfig", { tenant_id: tenantId, changes: { systemic_sell_threshold: 4 }, reason: "more strategies now" }, admin.idToken);
    expect(update.error).toBeUndefined();
    const response = await callCallable("getMaestroConfig", { tenant_id: tenantId }, viewer.idToken);
    expect(response.result).toMatchObject({ source: "tenant", rejection: null, version: update.result.version, updated_by: admin.uid });
    expect(response.result.config.systemic_sell_threshold).toBe(4);
    expect(response.result.config.cycle_steps).toEqual(STEPS_WITHOUT_GUARDIAN);
  });

  test("getDeskStatus: the day's session, the last orchestration, the health verdict; a malformed verdict is named, not fatal", async () => {
    await db.doc(paths.signal(tenantId, "s1")).set({ strategy_id: "alpha", action: "BUY", ticker: "SPY", allocation: 0.3, confidence: 0.8, reasoning: "test", status: "pending" });
    const cycle = await callCallable("orchestrateNow", { tenant_id: tenantId }, trader.idToken);
    expect(cycle.error).toBeUndefined();
    await db.doc(paths.healthCurrent(tenantId)).set({
      tier: "warning",
      checked_at: "2026-11-30T15:00:00.000Z",
      reasons: ["market data is 400 s old"],
      info: [],
      failing_stages: [],
      broker: null,
      snapshot_as_of: null,
      market_data_as_of: "2026-11-30T14:53:20.000Z",
      stop: null,
    });
    const status = await callCallable("getDeskStatus", { tenant_id: tenantId }, viewer.idToken);
    expect(status.error).toBeUndefined();
    expect(status.result.session.state).toBe("ACTIVE_TRADING");
    expect(status.result.day).toBe(status.result.session.day);
    expect(status.result.locks).toEqual([]);
    expect(status.result.last_orchestration).toMatchObject({ session_id: cycle.result.session_id, trigger: "orchestrate_now", signals: 1 });
    expect(status.result.health).toMatchObject({ tier: "warning", reasons: ["market data is 400 s old"] });
    expect(status.result.health_problem).toBeNull();

    await db.doc(paths.healthCurrent(tenantId)).set({ tier: "purple", checked_at: "2026-11-30T15:00:00.000Z" });
    const malformed = await callCallable("getDeskStatus", { tenant_id: tenantId }, viewer.idToken);
    expect(malformed.result.health).toBeNull();
    expect(malformed.result.health_problem).toMatch(/health\/current is malformed: .*tier/);
    expect(malformed.result.last_orchestration.session_id).toBe(cycle.result.session_id);
  });

  test("listAllocationHistory: newest first, within the limit; a malformed entry is named and left out", async () => {
    const entry = (at: string, after: Record<string, number>) => ({ tenant_id: tenantId, at, by: "weights calculation", reason: "scheduled", method: "equal_weight", before: {}, after });
    await Promise.all([
      db.collection(paths.allocationHistory(tenantId)).doc("h1").set(entry("2026-11-20T10:00:00.000Z", { alpha: 0.5, beta: 0.5 })),
      db.collection(paths.allocationHistory(tenantId)).doc("h2").set(entry("2026-11-21T10:00:00.000Z", { alpha: 0.6, beta: 0.4 })),
      db.collection(paths.allocationHistory(tenantId)).doc("h3").set({ at: "2026-11-22T10:00:00.000Z", by: "weights calculation" }),
      db.collection(paths.allocationHistory(tenantId)).doc("h0").set(entry("2026-11-19T10:00:00.000Z", { alpha: 1 })),
    ]);
    const response = await callCallable("listAllocationHistory", { tenant_id: tenantId, limit: 3 }, viewer.idToken);
    expect(response.result.entries.map((e: { id: string }) => e.id)).toEqual(["h2", "h1"]);
    expect(response.result.entries[0].after).toEqual({ alpha: 0.6, beta: 0.4 });
    expect(Object.keys(response.result.malformed)).toEqual(["h3"]);
    expect(response.result.malformed.h3).toContain("reason");
  });
});
