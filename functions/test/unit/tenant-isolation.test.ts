/**
 * The pure rules behind "one tenant cannot hurt the others": the per-tenant job message,
 * the job registry and continuations, the retried triggers' end condition, and the
 * platform's rate-limit ceilings. Expected values are worked out by hand in the comments.
 */
import { callsPerMinute, rateCeilingViolations, takeRateTokenUnderCeiling } from "../../src/core/access";
import { applyConfigChanges } from "../../src/core/config-change";
import { endConditionDecision, isPermanentFailure } from "../../src/core/end-condition";
import { afterTenantJob, dispatchTenantJob, type TenantJobContext } from "../../src/core/tenant-jobs";
import { DEFAULT_CONFIG, TenantJobMessageSchema, parseWithReason } from "../../src/schemas";

const ceilings = { orchestrate_now: 60, write_calls: 60, verify_chain: 30, ask: 60, agent_calls: 300 };

describe("the per-tenant job message", () => {
  test("each job parses, with continuation defaulting to 0", () => {
    expect(TenantJobMessageSchema.parse({ job: "nightly_rollup", tenant_id: "fund-a", run_id: "r1" })).toEqual({
      job: "nightly_rollup",
      tenant_id: "fund-a",
      run_id: "r1",
      continuation: 0,
    });
    expect(TenantJobMessageSchema.parse({ job: "weights", tenant_id: "fund-a", run_id: "r1", cursor: "s7", continuation: 2 })).toMatchObject({ cursor: "s7", continuation: 2 });
  });

  test("an unknown job, a reserved tenant id, an unknown field and an empty cursor are refused naming the field", () => {
    const unknown = parseWithReason(TenantJobMessageSchema, { job: "drop_tables", tenant_id: "fund-a", run_id: "r1" });
    expect(unknown).toMatchObject({ ok: false });
    expect((unknown as { reason: string }).reason).toBe('job: must be one of "nightly_rollup", "weights", "chain_verification", "health_check" (got "drop_tables")');
    const reserved = parseWithReason(TenantJobMessageSchema, { job: "weights", tenant_id: "__x__", run_id: "r1" });
    expect((reserved as { reason: string }).reason).toMatch(/^tenant_id: must not be of the form __…__/);
    const extra = parseWithReason(TenantJobMessageSchema, { job: "weights", tenant_id: "a", run_id: "r1", force: true });
    expect((extra as { reason: string }).reason).toBe("force: is not a known field");
    const cursor = parseWithReason(TenantJobMessageSchema, { job: "weights", tenant_id: "a", run_id: "r1", cursor: "" });
    expect((cursor as { reason: string }).reason).toBe('cursor: must not be empty (got "")');
  });
});

describe("the job registry", () => {
  const ctx: TenantJobContext = { tenant_id: "fund-a", run_id: "r1", cursor: undefined, now: new Date(0), budget_ms: 1000 };

  test("dispatches to the named job only, with the database handle and context", async () => {
    const calls: string[] = [];
    const registry = {
      a: async (db: string, c: TenantJobContext) => {
        calls.push(`a:${db}:${c.tenant_id}`);
        return { status: "ok" as const };
      },
      b: async () => {
        calls.push("b");
        return { status: "skipped" as const, reason: "nothing to do" };
      },
    };
    expect(await dispatchTenantJob(registry, "b", "db", ctx)).toEqual({ status: "skipped", reason: "nothing to do" });
    expect(await dispatchTenantJob(registry, "a", "db", ctx)).toEqual({ status: "ok" });
    expect(calls).toEqual(["b", "a:db:fund-a"]);
  });

  test("a name outside the registry (even an Object.prototype one) is an error, not a call", async () => {
    const registry = { a: async () => ({ status: "ok" as const }) };
    expect(() => dispatchTenantJob(registry, "toString" as "a", "db", ctx)).toThrow("job: no job 'toString' in the registry");
  });

  test("continue_with is continued once more per message, up to the bound", () => {
    expect(afterTenantJob({ status: "ok" }, 0, 3)).toEqual({ action: "finish", status: "ok", reason: null });
    expect(afterTenantJob({ status: "failed", reason: "x" }, 1, 3)).toEqual({ action: "finish", status: "failed", reason: "x" });
    expect(afterTenantJob({ status: "ok", continue_with: "s5" }, 0, 3)).toEqual({ action: "continue", cursor: "s5", continuation: 1 });
    expect(afterTenantJob({ status: "ok", continue_with: "s9" }, 2, 3)).toEqual({ action: "continue", cursor: "s9", continuation: 3 });
    expect(afterTenantJob({ status: "ok", continue_with: "s9" }, 3, 3)).toEqual({
      action: "finish",
      status: "failed",
      reason: 'not finished after 3 continuations (resume at cursor "s9")',
      exhausted: true,
    });
  });
});

describe("the end condition of retried triggers", () => {
  const rule = { max_age_ms: 5 * 60_000, max_attempts: 5, since: "publication" };

  test("retries while young and under the attempts; gives up past either, saying which", () => {
    expect(endConditionDecision({ reason: "14 UNAVAILABLE", permanent: false, attempts: 4, age_ms: 299_000 }, rule)).toEqual({ action: "retry" });
    expect(endConditionDecision({ reason: "14 UNAVAILABLE", permanent: false, attempts: 5, age_ms: 1_000 }, rule)).toEqual({
      action: "give_up",
      kind: "gave_up",
      reason: "gave up after 5 attempts: 14 UNAVAILABLE",
    });
    // 301,400 ms → 301 s.
    expect(endConditionDecision({ reason: "boom", permanent: false, attempts: 1, age_ms: 301_400 }, rule)).toEqual({
      action: "give_up",
      kind: "gave_up",
      reason: "gave up after 301 s after publication: boom",
    });
    // Exactly at the age limit is still within it.
    expect(endConditionDecision({ reason: "boom", permanent: false, attempts: 1, age_ms: 300_000 }, rule)).toEqual({ action: "retry" });
  });

  test("without max_attempts only age counts; a permanent failure stops at once", () => {
    const ageOnly = { max_age_ms: 3_600_000, since: "the write" };
    expect(endConditionDecision({ reason: "x", permanent: false, attempts: 500, age_ms: 3_599_999 }, ageOnly)).toEqual({ action: "retry" });
    expect(endConditionDecision({ reason: "x", permanent: false, attempts: 1, age_ms: 3_600_500 }, ageOnly)).toEqual({ action: "give_up", kind: "gave_up", reason: "gave up after 3601 s after the write: x" });
    expect(endConditionDecision({ reason: "bad id", permanent: true, attempts: 1, age_ms: 0 }, ageOnly)).toEqual({ action: "give_up", kind: "permanent", reason: "bad id" });
  });

  test("Firestore INVALID_ARGUMENT (gRPC 3) is permanent; UNAVAILABLE (14), ABORTED (10) and plain errors are not", () => {
    expect(isPermanentFailure(Object.assign(new Error("3 INVALID_ARGUMENT: bad id"), { code: 3 }))).toBe(true);
    expect(isPermanentFailure(Object.assign(new Error("14 UNAVAILABLE"), { code: 14 }))).toBe(false);
    expect(isPermanentFailure(Object.assign(new Error("10 ABORTED"), { code: 10 }))).toBe(false);
    expect(isPermanentFailure(new Error("3"))).toBe(false);
    expect(isPermanentFailure(null)).toBe(false);
  });
});

describe("the platform's rate-limit ceilings", () => {
  test("the rate of a rule is limit × 60 / window", () => {
    expect(callsPerMinute(6, 60)).toBe(6);
    expect(callsPerMinute(1000, 1)).toBe(60_000);
    expect(callsPerMinute(10, 120)).toBe(5);
  });

  test("a bucket above its ceiling is named with its rate and the ceiling; within or at it, nothing", () => {
    expect(rateCeilingViolations(DEFAULT_CONFIG.rate_limits, ceilings)).toEqual([]);
    // 60 per 60 s = 60/min: exactly the ceiling, allowed.
    expect(rateCeilingViolations({ window_seconds: 60, orchestrate_now: 60, write_calls: 1, verify_chain: 1, ask: 1, agent_calls: 1 }, ceilings)).toEqual([]);
    expect(rateCeilingViolations({ window_seconds: 1, orchestrate_now: 1000, write_calls: 1, verify_chain: 1, ask: 1, agent_calls: 1 }, ceilings)).toEqual([
      "rate_limits.orchestrate_now: 1000 per 1 s is 60000 calls per minute, above the platform ceiling of 60 per minute",
      "rate_limits.verify_chain: 1 per 1 s is 60 calls per minute, above the platform ceiling of 30 per minute",
    ]);
    // 31 per 60 s on verify_chain (ceiling 30); 7 per 7 s = 60/min on write_calls is fine.
    expect(rateCeilingViolations({ window_seconds: 7, orchestrate_now: 1, write_calls: 7, verify_chain: 4, ask: 1, agent_calls: 1 }, ceilings)).toEqual([
      "rate_limits.verify_chain: 4 per 7 s is 34.29 calls per minute, above the platform ceiling of 30 per minute",
    ]);
  });

  test("updateMaestroConfig's rule refuses a config above a ceiling, even for an unrelated change, and accepts one within", () => {
    const above = applyConfigChanges(DEFAULT_CONFIG, { rate_limits: { orchestrate_now: 1000, window_seconds: 1 } }, ceilings);
    expect(above.ok).toBe(false);
    expect((above as { reason: string }).reason).toMatch(/^rate_limits\.orchestrate_now: 1000 per 1 s is 60000 calls per minute, above the platform ceiling of 60 per minute/);
    const written = { ...DEFAULT_CONFIG, rate_limits: { ...DEFAULT_CONFIG.rate_limits, write_calls: 500 } };
    expect(applyConfigChanges(written, { lookback_days: 20 }, ceilings).ok).toBe(false);
    const within = applyConfigChanges(DEFAULT_CONFIG, { rate_limits: { orchestrate_now: 30 } }, ceilings);
    expect(within).toMatchObject({ ok: true, changed_fields: ["rate_limits.orchestrate_now"] });
  });

  test("a call needs both the tenant's window and the platform's minute: a config of 1,000 a second gets 60 a minute", () => {
    const rule = { limit: 1000, windowMs: 1000 };
    let history: number[] = [];
    const t0 = 1_000_000;
    let allowed = 0;
    // 200 calls spread evenly over 50 s (one every 250 ms): the tenant's rule (1000/s) allows all, the ceiling 60.
    for (let i = 0; i < 200; i++) {
      const d = takeRateTokenUnderCeiling(history, t0 + i * 250, rule, 60);
      if (d.allowed) allowed += 1;
      else expect(d.limited_by).toBe("platform");
      history = d.calls;
    }
    expect(allowed).toBe(60);
    // 60 s after the first call (t0 + 60,000) the first one has left the minute: one more is allowed.
    expect(takeRateTokenUnderCeiling(history, t0 + 60_000, rule, 60).allowed).toBe(true);
  });

  test("the tenant's own stricter rule still refuses first, with its own retry time", () => {
    const rule = { limit: 2, windowMs: 10_000 };
    const a = takeRateTokenUnderCeiling([], 0, rule, 60);
    const b = takeRateTokenUnderCeiling(a.calls, 1_000, rule, 60);
    const c = takeRateTokenUnderCeiling(b.calls, 2_000, rule, 60);
    expect([a.allowed, b.allowed, c.allowed]).toEqual([true, true, false]);
    // The oldest call (t=0) leaves the 10 s window at t=10,000: 8,000 ms from t=2,000.
    expect(c).toMatchObject({ limited_by: "tenant", retry_after_ms: 8_000, calls: [0, 1_000] });
  });

  test("a long tenant window keeps its history; the minute's ceiling caps a burst inside it", () => {
    // 1,000 per hour is 16.7/min on average, under a ceiling of 60/min, but a burst would be 1,000 in a minute.
    const rule = { limit: 1000, windowMs: 3_600_000 };
    let history: number[] = [];
    let allowed = 0;
    for (let i = 0; i < 100; i++) {
      const d = takeRateTokenUnderCeiling(history, i * 100, rule, 60);
      if (d.allowed) allowed += 1;
      history = d.calls;
    }
    expect(allowed).toBe(60);
    // Two hours later the whole history has left both windows.
    expect(takeRateTokenUnderCeiling(history, 7_200_000, rule, 60)).toMatchObject({ allowed: true, calls: [7_200_000] });
  });
});
