/**
 * One tenant cannot hurt the others (issue 8, part 4), on the emulators with the triggers
 * running. Several tenants: two good ones, one whose tenant document is malformed, one
 * whose config is malformed, one whose config is huge, and one whose rollup state is
 * corrupt so one of its strategies' rollup throws. The fan-out bodies are called directly
 * (the emulator never runs schedules); their messages go through the real Pub/Sub emulator
 * to onTenantJob on the Functions emulator, one tenant per invocation.
 *
 * Also: an admin raising rate_limits above the platform ceiling, a config written around
 * the callable, retried triggers past their end condition, and a permanent failure.
 */
import type { Firestore } from "firebase-admin/firestore";
import { handleTenantJob, MAX_TENANT_JOB_AGE_MS, type Registry } from "../../src/stages/tenant-jobs";
import { nightlyRollupJob, onLedgerTradeWritten, MAX_ROLLUP_TRIGGER_AGE_MS } from "../../src/stages/performance-rollup";
import { weightsJob } from "../../src/stages/weights";
import { healthCheckJob } from "../../src/stages/health";
import { chainVerificationJob } from "../../src/stages/monitoring";
import { onOrchestrationCreated } from "../../src/stages/log-writer";
import { onOrchestrationLogCreated } from "../../src/stages/audit";
import { fanOutMarketCycles, pubsubPublish } from "../../src/stages/market-cycles";
import { orchestrateTenant } from "../../src/stages/orchestration";
import { CONFIG_BYTE_LIMIT } from "../../src/store/config";
import { jsonPublisher } from "../../src/store/pubsub";
import { TENANT_JOB_TOPIC, fanOutTenantJob } from "../../src/store/tenant-jobs";
import { paths } from "../../src/store/paths";
import type { TenantJobMessage } from "../../src/schemas";
import { adminDb, callCallable, memberOf, uniqueTenantId, waitFor, openAllDay } from "../support/emulator";

const db: Firestore = adminDb();
/** Every tenant this file seeds; made inactive afterwards so later files' fan-outs skip them. */
const seeded: string[] = [];
afterAll(async () => {
  const batch = db.batch();
  for (const t of seeded) batch.set(db.doc(paths.tenant(t)), { active: false }, { merge: true });
  await batch.commit();
});
const publishJob = jsonPublisher<TenantJobMessage>(TENANT_JOB_TOPIC);
const registry: Registry = { nightly_rollup: nightlyRollupJob, weights: weightsJob, chain_verification: chainVerificationJob, health_check: healthCheckJob };

function daysAgo(n: number): string {
  return new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
}
const [D2, D1] = [daysAgo(2), daysAgo(1)];

/** A tenant with strategies s0, s1, each with one BUY 10 @ 100 (fee 1) on D2, marks D2 100 and D1 104. */
async function seedTenant(label: string, extra: { tenant?: Record<string, unknown>; config?: Record<string, unknown> } = {}): Promise<string> {
  const tenantId = uniqueTenantId(label);
  seeded.push(tenantId);
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), extra.tenant ?? { name: label, active: true });
  batch.set(db.doc(paths.dailyMark(tenantId, D2)), { prices: { SPY: 100 } });
  batch.set(db.doc(paths.dailyMark(tenantId, D1)), { prices: { SPY: 104 } });
  for (const s of ["s0", "s1"]) {
    batch.set(db.doc(paths.strategy(tenantId, s)), { name: s.toUpperCase(), enabled: true, capital_base: 10_000, manual_mode: null });
    batch.set(db.doc(paths.ledgerTrade(tenantId, `t-${s}`)), { strategy_id: s, symbol: "SPY", side: "BUY", quantity: 10, price: 100, fee: 1, executed_at: new Date(`${D2}T15:00:00Z`) });
  }
  batch.set(db.doc(paths.config(tenantId)), openAllDay(extra.config));
  await batch.commit();
  return tenantId;
}

async function outcomeOf(job: string, runId: string, tenantId: string): Promise<Record<string, any>> {
  return waitFor(
    `${job} outcome of ${tenantId}`,
    async () => {
      const data = (await db.doc(paths.tenantJobOutcome(job, runId, tenantId)).get()).data();
      return data && ["ok", "failed", "skipped"].includes(data.status) ? data : undefined;
    },
    90_000,
    250,
  );
}

describe("the per-tenant jobs: each tenant on its own", () => {
  let good: string[];
  let malformedTenant: string;
  let malformedConfig: string;
  let hugeConfig: string;
  let failing: string;
  const holidays = Array.from({ length: 6_000 }, (_, i) => new Date(Date.UTC(2030, 0, 1) + i * 86_400_000).toISOString().slice(0, 10));

  beforeAll(async () => {
    good = [await seedTenant("adv-good-a"), await seedTenant("adv-good-b")];
    malformedTenant = await seedTenant("adv-bad-tenant", { tenant: { active: true, name: 42 } });
    malformedConfig = await seedTenant("adv-bad-config", { config: { lookback_days: "thirty", surprise: true } });
    // About 6,000 × 13 bytes ≈ 78 KB of holidays: every field valid, the document too big.
    hugeConfig = await seedTenant("adv-huge-config", { config: { market_hours: { holidays } } });
    failing = await seedTenant("adv-failing");
    // A corrupt rollup state for s1: its rollup can never run (commits is not a number).
    await db.doc(paths.rollupState(failing, "s1")).set({ commits: "corrupt" });
  });

  test("the nightly rollup: good tenants rolled up, the bad ones recorded with their reasons, the run record written", async () => {
    const runId = uniqueTenantId("nightly");
    const report = await fanOutTenantJob(db, "nightly_rollup", runId, publishJob);
    for (const t of [...good, malformedConfig, hugeConfig, failing]) expect(report.published).toContain(t);
    expect(report.published).not.toContain(malformedTenant);
    expect(report.skipped[malformedTenant]).toBe('tenant document is malformed (name: Invalid input: expected string, received number (got 42))');

    const run = (await db.doc(paths.tenantJobRun("nightly_rollup", runId)).get()).data()!;
    expect(run).toMatchObject({ job: "nightly_rollup", run_id: runId, published: report.published.length, runs: 1, publish_failures: {} });
    expect(run.skipped[malformedTenant]).toMatch(/^tenant document is malformed/);
    // The body reads only the tenants (one billed read per active tenant): no per-tenant reads.
    expect(run.reads).toBe(report.published.length + Object.keys(report.skipped).length);

    for (const t of good) {
      const outcome = await outcomeOf("nightly_rollup", runId, t);
      expect(outcome).toMatchObject({ status: "ok", reason: null, attempts: 1, continuation: 0, detail: { strategies: 2, failed: {}, config_rejection: null } });
      // D2: BUY 10 @ 100, fee 1 → realized −1, unrealized 0; D1 mark 104 → unrealized 40, daily 40.
      for (const s of ["s0", "s1"]) {
        expect((await db.doc(paths.performanceDay(t, s, D2)).get()).data()).toMatchObject({ realized_pnl: -1, unrealized_pnl: 0, daily_pnl: -1 });
        expect((await db.doc(paths.performanceDay(t, s, D1)).get()).data()).toMatchObject({ realized_pnl: 0, unrealized_pnl: 40, daily_pnl: 40 });
      }
    }

    // The failing tenant: s1 failed with its reason, s0 was still rolled up.
    const failed = await outcomeOf("nightly_rollup", runId, failing);
    expect(failed.status).toBe("failed");
    expect(failed.reason).toBe(`1 of 2 strategies failed: s1: rollup state of ${failing}/s1 is malformed: commits: must be a whole number`);
    expect(failed.detail).toMatchObject({ strategies: 1, failed: { s1: expect.stringMatching(/rollup state of .+ is malformed/) } });
    expect((await db.doc(paths.performanceDay(failing, "s0", D1)).get()).get("daily_pnl")).toBe(40);
    expect((await db.doc(paths.performanceDay(failing, "s1", D1)).get()).exists).toBe(false);

    // Rejected configs are recorded with the reason; the tenant runs on the config in force.
    const badConfig = await outcomeOf("nightly_rollup", runId, malformedConfig);
    expect(badConfig).toMatchObject({ status: "ok", detail: { strategies: 2 } });
    expect(badConfig.detail.config_rejection).toMatch(/lookback_days: .*\(got "thirty"\)/);
    expect(badConfig.detail.config_rejection).toMatch(/surprise: is not a known field/);
    const huge = await outcomeOf("nightly_rollup", runId, hugeConfig);
    expect(huge).toMatchObject({ status: "ok", detail: { strategies: 2 } });
    expect(huge.detail.config_rejection).toMatch(new RegExp(`^\\(document\\): is about \\d+ bytes, above the ${CONFIG_BYTE_LIMIT}-byte limit of a config$`));
    expect((await db.doc(paths.config(hugeConfig)).get()).get("validation.status")).toBe("rejected");

    // The malformed tenant got no message, hence no outcome.
    expect((await db.doc(paths.tenantJobOutcome("nightly_rollup", runId, malformedTenant)).get()).exists).toBe(false);

    // A redelivery of a finished tenant's message does nothing.
    const again = await handleTenantJob(db, { id: uniqueTenantId("redelivery"), time: new Date(), text: JSON.stringify({ job: "nightly_rollup", tenant_id: good[0], run_id: runId }) }, registry);
    expect(again).toEqual({ outcome: "duplicate", status: "ok" });
  }, 180_000);

  test("the weight schedule: each tenant's stale weights recomputed in its own invocation", async () => {
    // The seed's writes scheduled rollup runners of their own: let them finish, so no
    // performance lands after the weights are computed.
    for (const t of [...good, failing, malformedConfig, hugeConfig]) {
      for (const s of t === failing ? ["s0"] : ["s0", "s1"]) {
        await waitFor(`${t}/${s} rollup runner to finish`, async () => {
          const state = (await db.doc(paths.rollupState(t, s)).get()).data();
          return state && state.scheduled !== true && state.dirty_from === null && state.run === null ? true : undefined;
        }, 60_000, 250);
      }
    }
    const runId = uniqueTenantId("weights");
    const report = await fanOutTenantJob(db, "weights", runId, publishJob);
    expect(report.skipped[malformedTenant]).toMatch(/^tenant document is malformed/);
    for (const t of [...good, failing, malformedConfig, hugeConfig]) {
      const outcome = await outcomeOf("weights", runId, t);
      expect(outcome.status).toBe("ok");
      const weights = (await db.doc(paths.weights(t)).get()).data()!;
      expect(weights.computed_from_version).toBe(weights.performance_version);
      // Two days of data (< min_data_points 5): insufficient_data_mode ACTIVE, weight 1.
      expect(weights.strategies.s0).toMatchObject({ mode: "ACTIVE", weight: 1, data_points: 2 });
    }
  }, 180_000);

  test("a job out of its time budget continues in a new message from its cursor, through Pub/Sub", async () => {
    const tenantId = await seedTenant("adv-continue");
    const runId = uniqueTenantId("continue");
    // Budget 0: the first strategy runs, then the job hands s1 on to the next message.
    const first = await handleTenantJob(
      db,
      { id: uniqueTenantId("evt"), time: new Date(), text: JSON.stringify({ job: "nightly_rollup", tenant_id: tenantId, run_id: runId }) },
      registry,
      { budgetMs: 0, publish: publishJob },
    );
    expect(first).toEqual({ outcome: "done", status: "continued", reason: null });
    const finished = await outcomeOf("nightly_rollup", runId, tenantId);
    expect(finished).toMatchObject({ status: "ok", continuation: 1, cursor: null, detail: { strategies: 1, failed: {} } });
    expect((await db.doc(paths.performanceDay(tenantId, "s1", D1)).get()).get("daily_pnl")).toBe(40);
  }, 120_000);
});

describe("the market-cycle fan-out with the same tenants", () => {
  test("a malformed tenant is skipped with its reason, a rejected config is recorded on its document, the others publish; configs are read in batches", async () => {
    // Exchange hours (the defaults), not the always-open hours other tests' tenants get.
    const goodId = await seedTenant("adv-cycle-good", { config: { market_hours: {} } });
    const badTenant = await seedTenant("adv-cycle-bad", { tenant: { active: true } });
    const holidays = Array.from({ length: 6_000 }, (_, i) => new Date(Date.UTC(2030, 0, 1) + i * 86_400_000).toISOString().slice(0, 10));
    const huge = await seedTenant("adv-cycle-huge", { config: { market_hours: { holidays } } });
    // Saturday 2026-11-28: every default venue is closed, so nothing is orchestrated; the run record still counts everyone.
    const report = await fanOutMarketCycles(db, pubsubPublish, new Date("2026-11-28T16:02:00.000Z"));
    expect(report.skipped[badTenant]).toBe("tenant document is malformed (name: is required)");
    expect(report.closed[goodId]).toMatch(/^closed/);
    expect(report.closed[huge]).toMatch(/^closed/);
    expect((await db.doc(paths.config(huge)).get()).get("validation.reason")).toMatch(/above the 65536-byte limit/);
    const tenantsRead = Object.keys(report.closed).length + report.published.length + Object.keys(report.skipped).length;
    // One read per listed tenant, one per config read in the batches, one last-valid read per rejected config: nothing per tenant beyond that.
    expect(report.reads).toBeGreaterThanOrEqual(tenantsRead * 2 - Object.keys(report.skipped).length);
    expect(report.reads).toBeLessThanOrEqual(tenantsRead * 3);
    const run = (await db.doc(paths.fanOutRun(report.slot)).get()).data()!;
    expect(run.skipped[badTenant]).toBe("tenant document is malformed (name: is required)");
  }, 120_000);
});

describe("platform rate-limit ceilings", () => {
  test("an admin raising orchestrateNow to 1,000 a second is refused with invalid-argument naming the ceiling", async () => {
    const tenantId = await seedTenant("adv-ceiling");
    const admin = await memberOf(tenantId, "admin");
    const refused = await callCallable(
      "updateMaestroConfig",
      { tenant_id: tenantId, changes: { rate_limits: { orchestrate_now: 1000, window_seconds: 1 } }, reason: "faster" },
      admin.idToken,
    );
    expect(refused.error?.status).toBe("INVALID_ARGUMENT");
    expect(refused.error?.message).toBe(
      "changes: rate_limits.orchestrate_now: 1000 per 1 s is 60000 calls per minute, above the platform ceiling of 60 per minute; " +
        "rate_limits.write_calls: 20 per 1 s is 1200 calls per minute, above the platform ceiling of 60 per minute; " +
        "rate_limits.verify_chain: 6 per 1 s is 360 calls per minute, above the platform ceiling of 30 per minute; " +
        "rate_limits.ask: 30 per 1 s is 1800 calls per minute, above the platform ceiling of 60 per minute; " +
        "rate_limits.agent_calls: 60 per 1 s is 3600 calls per minute, above the platform ceiling of 300 per minute",
    );
    expect((await db.doc(paths.config(tenantId)).get()).get("rate_limits")).toBeUndefined();
    // Within the ceiling it is accepted.
    const accepted = await callCallable("updateMaestroConfig", { tenant_id: tenantId, changes: { rate_limits: { orchestrate_now: 60 } }, reason: "busier desk" }, admin.idToken);
    expect(accepted.result).toMatchObject({ version: 1, changed_fields: ["rate_limits.orchestrate_now"] });
  });

  test("a config written around the callable still gets no more than the ceiling per minute", async () => {
    const tenantId = await seedTenant("adv-around", { config: { rate_limits: { write_calls: 1000, window_seconds: 1 } } });
    const admin = await memberOf(tenantId, "admin");
    const statuses: string[] = [];
    for (let i = 0; i < 61; i++) {
      const r = await callCallable("setStrategyMode", { tenant_id: tenantId, strategy_id: "s0", mode: i % 2 ? "AUTOMATIC" : "DISABLED", reason: `flip ${i}` }, admin.idToken);
      statuses.push(r.error?.status ?? "OK");
      if (r.error) {
        expect(r.error.message).toMatch(/^rate limit: at most 60 write calls per 60 s per user \(platform ceiling MAESTRO_RATE_CEILING_WRITE_CALLS\); retry in \d+ s$/);
      }
    }
    expect(statuses.filter((s) => s === "OK")).toHaveLength(60);
    expect(statuses[60]).toBe("RESOURCE_EXHAUSTED");
  }, 120_000);
});

describe("retried triggers past their end condition", () => {
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

  test("the tenant-job handler: a failing job is retried while young, then its outcome is failed and a dead letter is left", async () => {
    const tenantId = await seedTenant("adv-job-old");
    const runId = uniqueTenantId("old");
    const failingRegistry: Registry = {
      ...registry,
      weights: async () => {
        throw new Error("14 UNAVAILABLE: backend unreachable");
      },
    };
    const text = JSON.stringify({ job: "weights", tenant_id: tenantId, run_id: runId });
    const young = { id: uniqueTenantId("evt"), time: new Date(), text };
    await expect(handleTenantJob(db, young, failingRegistry)).rejects.toThrow(/UNAVAILABLE/);
    expect((await db.doc(paths.tenantJobOutcome("weights", runId, tenantId)).get()).data()).toMatchObject({ status: "retrying", attempts: 1, last_error: "14 UNAVAILABLE: backend unreachable" });
    expect((await db.doc(paths.deadLetter(young.id)).get()).exists).toBe(false);

    const old = { id: young.id, time: new Date(Date.now() - MAX_TENANT_JOB_AGE_MS - 60_000), text };
    const gaveUp = await handleTenantJob(db, old, failingRegistry);
    expect(gaveUp).toMatchObject({ outcome: "dead_lettered", kind: "gave_up" });
    expect((gaveUp as { reason: string }).reason).toMatch(/^gave up after 18\d\d s after publication: 14 UNAVAILABLE: backend unreachable$/);
    expect((await db.doc(paths.tenantJobOutcome("weights", runId, tenantId)).get()).data()).toMatchObject({ status: "failed", attempts: 2, reason: (gaveUp as { reason: string }).reason });
    expect((await db.doc(paths.deadLetter(young.id)).get()).data()).toMatchObject({ trigger: "onTenantJob", source: TENANT_JOB_TOPIC, tenant_id: tenantId, kind: "gave_up", attempts: 2, body: text });
  });

  test("a permanent failure (Firestore INVALID_ARGUMENT from a reserved id) is recorded at once, never retried", async () => {
    const tenantId = await seedTenant("adv-permanent");
    const runId = uniqueTenantId("perm");
    const badIdRegistry: Registry = {
      ...registry,
      weights: async (database) => {
        await database.doc("tenants/__reserved__").get();
        return { status: "ok" };
      },
    };
    const event = { id: uniqueTenantId("evt"), time: new Date(), text: JSON.stringify({ job: "weights", tenant_id: tenantId, run_id: runId }) };
    const outcome = await handleTenantJob(db, event, badIdRegistry);
    expect(outcome).toMatchObject({ outcome: "dead_lettered", kind: "permanent" });
    expect((await db.doc(paths.deadLetter(event.id)).get()).data()).toMatchObject({ kind: "permanent", attempts: 1 });
    expect((await db.doc(paths.tenantJobOutcome("weights", runId, tenantId)).get()).get("status")).toBe("failed");
  });

  test("a malformed job message is a permanent dead letter", async () => {
    const event = { id: uniqueTenantId("evt"), time: new Date(), text: JSON.stringify({ job: "drop_everything", tenant_id: "x", run_id: "r" }) };
    expect(await handleTenantJob(db, event, registry)).toMatchObject({ outcome: "dead_lettered", kind: "permanent" });
    expect((await db.doc(paths.deadLetter(event.id)).get()).get("reason")).toMatch(/^job: must be one of "nightly_rollup", "weights"/);
  });

  test("the ledger-trade rollup trigger: a write that still fails after an hour is dead-lettered", async () => {
    const tenantId = await seedTenant("adv-rollup-old");
    await db.doc(paths.rollupState(tenantId, "s0")).set({ commits: "corrupt" });
    const trade = { strategy_id: "s0", symbol: "SPY", side: "SELL", quantity: 1, price: 101, fee: 0, executed_at: new Date(`${D1}T15:00:00Z`) };
    const event = {
      id: uniqueTenantId("evt"),
      time: new Date(Date.now() - MAX_ROLLUP_TRIGGER_AGE_MS - 120_000).toISOString(),
      params: { tenantId, tradeId: "t-late" },
      data: { before: { exists: false, data: () => undefined }, after: { exists: true, data: () => trade } },
    };
    await onLedgerTradeWritten.run(event as never);
    const letter = (await db.doc(paths.deadLetter(event.id)).get()).data()!;
    expect(letter).toMatchObject({ trigger: "onLedgerTradeWritten", source: paths.ledgerTrade(tenantId, "t-late"), tenant_id: tenantId, kind: "gave_up", attempts: 1 });
    expect(letter.reason).toMatch(/^gave up after 3[67]\d\d s after the write: rollup state of .+\/s0 is malformed: commits: must be a whole number/);
  }, 60_000);

  test("the audit trigger: a log that names no tenant is a permanent dead letter at once, never retried", async () => {
    const noTenant = {
      id: uniqueTenantId("evt"),
      time: new Date().toISOString(),
      params: { logId: "20261124T150000000Z_maestro_x" },
      data: { data: () => ({ session_id: "maestro_x" }) },
    };
    await onOrchestrationLogCreated.run(noTenant as never);
    const permanent = (await db.doc(paths.deadLetter(noTenant.id)).get()).data()!;
    expect(permanent).toMatchObject({ trigger: "onOrchestrationLogCreated", source: paths.log("20261124T150000000Z_maestro_x"), tenant_id: null, kind: "permanent", attempts: 1 });
    expect(permanent.reason).toMatch(/^log 20261124T150000000Z_maestro_x is malformed and names no tenant/);

    // A malformed log that names its tenant is audited (failed check), not dead-lettered.
    const tenantId = await seedTenant("adv-audit-malformed");
    const named = { ...noTenant, id: uniqueTenantId("evt"), params: { logId: "20261124T150000000Z_maestro_y" }, data: { data: () => ({ tenant_id: tenantId, session_id: "maestro_y" }) } };
    await onOrchestrationLogCreated.run(named as never);
    expect((await db.doc(paths.audit(tenantId, "20261124T150000000Z_maestro_y")).get()).get("passed")).toBe(false);
    expect((await db.doc(paths.deadLetter(named.id)).get()).exists).toBe(false);
  });

  test("the log writer: still failing an hour after the orchestration, it leaves the unlogged-orchestration finding", async () => {
    const tenantId = await seedTenant("adv-log-old");
    await db.doc(paths.signal(tenantId, "sig1")).set({ strategy_id: "s0", action: "HOLD", ticker: "SPY", allocation: 0.1, confidence: 0.5, reasoning: "", status: "pending" });
    const o = await orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "test" });
    // Then a corrupt chain head: every log write for this tenant fails (and so would the trading session's next move).
    await db.doc(paths.logChainHead(tenantId)).set({ seq: "corrupt" });
    const ref = db.doc(paths.orchestration(tenantId, o.session_id));
    const snap = await ref.get();
    const young = { id: uniqueTenantId("evt"), time: new Date().toISOString(), params: { tenantId, sessionId: o.session_id }, data: { data: () => snap.data(), ref } };
    await expect(onOrchestrationCreated.run(young as never)).rejects.toThrow();
    expect((await db.doc(paths.finding(tenantId, `unlogged_${o.session_id}`)).get()).exists).toBe(false);

    const old = { ...young, time: hoursAgo(2) };
    await onOrchestrationCreated.run(old as never);
    const finding = (await db.doc(paths.finding(tenantId, `unlogged_${o.session_id}`)).get()).data()!;
    expect(finding).toMatchObject({ kind: "orchestration_without_log", tenant_id: tenantId, session_id: o.session_id, log_attempts: 2 });
    expect(finding.detail).toMatch(new RegExp(`^the log writer gave up on orchestration ${o.session_id} .*: gave up after 7\\d\\d\\d s after the orchestration was written: `));
    expect((await ref.get()).get("log.state")).toBe("PENDING");
  }, 60_000);
});
