/**
 * The scheduled jobs. The emulator never runs schedules (TOOLCHAIN.md), so the exported
 * functions are invoked with `.run()`, which calls the same handler a deploy schedules.
 * The nightly rollup and the weight schedule publish one maestro-tenant-jobs message per
 * tenant; with the background triggers paused here (so only the scheduled work touches
 * the documents), the test hands its tenant's message to handleTenantJob itself, as
 * onTenantJob would. adversarial-tenants.emulator.test.ts runs them through Pub/Sub.
 */
import type { Firestore } from "firebase-admin/firestore";
import { FieldValue } from "firebase-admin/firestore";
import { nightlyPerformanceRollup, nightlyRollupJob } from "../../src/stages/performance-rollup";
import { scheduledWeightRecalculation, weightsJob } from "../../src/stages/weights";
import { healthCheckJob } from "../../src/stages/health";
import { handleTenantJob } from "../../src/stages/tenant-jobs";
import { runIdOf } from "../../src/store/tenant-jobs";
import { scheduleMarketCycles } from "../../src/stages/market-cycles";
import { chainVerificationJob, scheduledChainVerification } from "../../src/stages/monitoring";
import { orchestrateTenant } from "../../src/stages/orchestration";
import { writeOrchestrationLog } from "../../src/stages/log-writer";
import { paths } from "../../src/store/paths";
import { adminDb, pauseBackgroundTriggersDuringFile, uniqueTenantId, openAllDay } from "../support/emulator";

pauseBackgroundTriggersDuringFile();
let db: Firestore;
beforeAll(() => {
  db = adminDb();
});

/** Days relative to today, so the nightly's "last lookback_days" window covers them. */
function daysAgo(n: number): string {
  return new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
}

const registry = { nightly_rollup: nightlyRollupJob, weights: weightsJob, chain_verification: chainVerificationJob, health_check: healthCheckJob };

/**
 * Runs a schedule for a fresh scheduleTime, checks its run record lists the tenant as
 * published, and delivers the tenant's message to the job handler; returns its outcome.
 */
async function runScheduleFor(
  schedule: typeof nightlyPerformanceRollup,
  job: "nightly_rollup" | "weights" | "chain_verification",
  tenantId: string,
  scheduleTime: Date,
): Promise<Record<string, unknown>> {
  await schedule.run({ scheduleTime: scheduleTime.toISOString(), jobName: job } as never);
  const runId = runIdOf(scheduleTime);
  const run = (await db.doc(paths.tenantJobRun(job, runId)).get()).data()!;
  expect(run).toMatchObject({ job, run_id: runId, publish_failures: {} });
  expect(run.published).toBeGreaterThanOrEqual(1);
  const handled = await handleTenantJob(
    db,
    { id: `${job}-${tenantId}-${runId}`, time: new Date(), text: JSON.stringify({ job, tenant_id: tenantId, run_id: runId }) },
    registry,
  );
  expect(handled).toMatchObject({ outcome: "done" });
  const outcome = (await db.doc(paths.tenantJobOutcome(job, runId, tenantId)).get()).data()!;
  expect(outcome.status).toBe((handled as { status: string }).status);
  return outcome;
}

let scheduleClock = Date.now();
function nextScheduleTime(): Date {
  scheduleClock += 60_000;
  return new Date(scheduleClock);
}

test("the nightly rollup recomputes every active tenant's recent days and repairs a damaged one", async () => {
  const tenantId = uniqueTenantId("nightly");
  const [d2, d1] = [daysAgo(2), daysAgo(1)];
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: "Nightly", active: true });
  batch.set(db.doc(paths.strategy(tenantId, "alpha")), { name: "Alpha", enabled: true, capital_base: 10_000, manual_mode: null });
  batch.set(db.doc(paths.dailyMark(tenantId, d2)), { prices: { SPY: 100 } });
  batch.set(db.doc(paths.dailyMark(tenantId, d1)), { prices: { SPY: 104 } });
  // BUY 10 @ 100 on d2 (fee 1): realized −1, unrealized 0 → daily −1; d1 mark 104 → unrealized 40, daily 40.
  batch.set(db.doc(paths.ledgerTrade(tenantId, "t1")), { strategy_id: "alpha", symbol: "SPY", side: "BUY", quantity: 10, price: 100, fee: 1, executed_at: new Date(`${d2}T15:00:00Z`) });
  // A damaged document the nightly must overwrite.
  batch.set(db.doc(paths.performanceDay(tenantId, "alpha", d1)), { strategy_id: "alpha", trading_day: d1, daily_pnl: 999 });
  await batch.commit();

  const outcome = await runScheduleFor(nightlyPerformanceRollup, "nightly_rollup", tenantId, nextScheduleTime());
  expect(outcome).toMatchObject({ status: "ok", reason: null, attempts: 1, detail: { strategies: 1, written: 2, failed: {} } });

  const day2 = (await db.doc(paths.performanceDay(tenantId, "alpha", d2)).get()).data()!;
  const day1 = (await db.doc(paths.performanceDay(tenantId, "alpha", d1)).get()).data()!;
  expect(day2).toMatchObject({ realized_pnl: -1, unrealized_pnl: 0, daily_pnl: -1, source: "ledger_trades_fifo" });
  expect(day1).toMatchObject({ realized_pnl: 0, unrealized_pnl: 40, daily_pnl: 40, tenant_id: tenantId });
  const weights = (await db.doc(paths.weights(tenantId)).get()).data()!;
  expect(weights.performance_version).toBeGreaterThan(0);

  // A second run finds nothing to change: the documents keep their computed_at.
  const second = await runScheduleFor(nightlyPerformanceRollup, "nightly_rollup", tenantId, nextScheduleTime());
  expect(second).toMatchObject({ status: "ok", detail: { strategies: 1, written: 0 } });
  expect((await db.doc(paths.performanceDay(tenantId, "alpha", d1)).get()).data()).toEqual(day1);
});

test("the weight schedule recomputes stale weights and leaves fresh ones alone", async () => {
  const tenantId = uniqueTenantId("weights");
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: "Weights", active: true });
  batch.set(db.doc(paths.strategy(tenantId, "alpha")), { name: "Alpha", enabled: true, capital_base: 10_000, manual_mode: null });
  // Five days with P&L 100, 0, 100, 0, 100 on 10,000 → returns 0.01, 0, 0.01, 0, 0.01.
  // mean 0.006, population std sqrt(((0.004²)·3 + (0.006²)·2)/5) = sqrt(0.000024) = 0.0048990;
  // Sharpe = sqrt(252)·(0.006 − 0.04/252)/0.0048990 = 15.8745·0.0058413/0.0048990 = 18.928 → ACTIVE.
  [100, 0, 100, 0, 100].forEach((pnl, i) => {
    const day = `2026-10-0${i + 1}`;
    batch.set(db.doc(paths.performanceDay(tenantId, "alpha", day)), { tenant_id: tenantId, strategy_id: "alpha", trading_day: day, daily_pnl: pnl });
  });
  batch.set(db.doc(paths.weights(tenantId)), { tenant_id: tenantId, performance_version: FieldValue.increment(1) }, { merge: true });
  await batch.commit();

  expect(await runScheduleFor(scheduledWeightRecalculation, "weights", tenantId, nextScheduleTime())).toMatchObject({ status: "ok", detail: { recomputed: true } });
  const weights = (await db.doc(paths.weights(tenantId)).get()).data()!;
  expect(weights.computed_from_version).toBe(weights.performance_version);
  expect(weights.strategies.alpha.data_points).toBe(5);
  expect(weights.strategies.alpha.sharpe_ratio).toBeCloseTo(18.928, 2);
  expect(weights.strategies.alpha).toMatchObject({ mode: "ACTIVE", weight: 1, max_drawdown: 0, win_rate: 0.6 });

  expect(await runScheduleFor(scheduledWeightRecalculation, "weights", tenantId, nextScheduleTime())).toMatchObject({ status: "ok", detail: { recomputed: false } });
  expect((await db.doc(paths.weights(tenantId)).get()).data()!.computed_at).toBe(weights.computed_at);
});

test("the market-cycle schedule fans out for its scheduleTime: on a Saturday a venue on exchange hours is closed and its desk is not woken", async () => {
  const tenantId = uniqueTenantId("weekend");
  await db.doc(paths.tenant(tenantId)).set({ name: "Weekend", active: true });
  // Saturday 2026-11-28, 11:07 in New York; the slot is 16:05Z. (The demo's desks trade around the clock and are woken.)
  await scheduleMarketCycles.run({ scheduleTime: "2026-11-28T16:07:30.000Z", jobName: "maestro" } as never);
  const run = (await db.doc(paths.fanOutRun("2026-11-28T16:05:00.000Z")).get()).data()!;
  expect(run).toMatchObject({ slot: "2026-11-28T16:05:00.000Z", runs: 1 });
  expect(run.closed).toBeGreaterThanOrEqual(1);
  expect((await db.collection(paths.orchestrations(tenantId)).get()).size).toBe(0);
  expect((await db.doc(paths.tradingSession(tenantId, "2026-11-28")).get()).exists).toBe(false);
});

test("the daily chain verification walks each tenant's whole chain: intact, then a break in an old log is recorded once as a finding", async () => {
  const tenantId = uniqueTenantId("chainjob");
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: "Chain", active: true });
  batch.set(db.doc(paths.config(tenantId)), openAllDay());
  batch.set(db.doc(paths.strategy(tenantId, "alpha")), { name: "Alpha", enabled: true, capital_base: 10_000, manual_mode: null });
  await batch.commit();
  const written = async () => ({ text: "written", source: "written" as const, fallback_reason: "no_api_key", latency_ms: 0 });
  const logIds: string[] = [];
  for (let i = 0; i < 4; i++) {
    await db.doc(paths.signal(tenantId, `s${i}`)).set({ strategy_id: "alpha", action: "SELL", ticker: "SPY", allocation: 0.1, status: "pending", created_at: FieldValue.serverTimestamp() });
    const o = await orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "test" });
    logIds.push((await writeOrchestrationLog(db, o, written)).log_id);
  }

  const intact = await runScheduleFor(scheduledChainVerification, "chain_verification", tenantId, nextScheduleTime());
  // The three moves that opened the trading session, then the four logs.
  expect(intact).toMatchObject({ status: "ok", detail: { logs_checked: 7, head_seq: 7 } });
  expect((await db.doc(paths.logChainVerification(tenantId)).get()).data()).toMatchObject({ intact: true, logs_checked: 7 });

  // Someone with database access edits the first log; the per-log audit of later logs
  // never looks that far back, the daily walk does.
  await db.doc(paths.log(logIds[0])).update({ systemic_risk_details: "nothing to see" });
  const broken = await runScheduleFor(scheduledChainVerification, "chain_verification", tenantId, nextScheduleTime());
  expect(broken).toMatchObject({ status: "failed" });
  expect(String(broken.reason)).toMatch(/^log chain broken at seq 4 /);
  await runScheduleFor(scheduledChainVerification, "chain_verification", tenantId, nextScheduleTime());
  const findings = (await db.collection(paths.findings(tenantId)).get()).docs.map((d) => d.data()).filter((f) => f.kind === "log_chain_break");
  expect(findings).toHaveLength(1);
  expect(findings[0]).toMatchObject({ seq: 4 });
});
