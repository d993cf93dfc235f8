/**
 * The client API through the callable protocol on the Functions emulator, signed in
 * through the Auth emulator, with the triggers running: who may call what (membership and
 * role are checked in code, since the Admin SDK bypasses the rules), the error codes and
 * the fields they name, the rate limit, and what each callable does to the stored state.
 */
import { paths } from "../../src/store/paths";
import { adminDb, ampleAccountSnapshot, callCallable, memberOf, signUpUser, uniqueTenantId, waitFor, openAllDay } from "../support/emulator";

const db = adminDb();

async function seedTenant(label: string, options: { active?: boolean; config?: Record<string, unknown> } = {}): Promise<string> {
  const tenantId = uniqueTenantId(label);
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: `Desk ${label}`, active: options.active ?? true });
  batch.set(db.doc(paths.accountSnapshot(tenantId)), ampleAccountSnapshot());
  batch.set(db.doc(paths.strategy(tenantId, "alpha")), { name: "Alpha", enabled: true, capital_base: 10_000, manual_mode: null });
  batch.set(db.doc(paths.strategy(tenantId, "beta")), { name: "Beta", enabled: true, capital_base: 10_000, manual_mode: null });
  batch.set(db.doc(paths.config(tenantId)), openAllDay(options.config));
  await batch.commit();
  return tenantId;
}

async function addSignal(tenantId: string, id: string, strategyId: string, action: "BUY" | "SELL" | "HOLD"): Promise<void> {
  await db.doc(paths.signal(tenantId, id)).set({ strategy_id: strategyId, action, ticker: "SPY", allocation: 0.4, confidence: 0.8, reasoning: "test", status: "pending" });
}

const ALL_CALLABLES: Array<[string, Record<string, unknown>]> = [
  ["orchestrateNow", {}],
  ["getStrategyWeights", {}],
  ["getOrchestration", { session_id: "maestro_1700000000000_0123456789abcdef" }],
  ["listOrchestrationLogs", {}],
  ["setStrategyMode", { strategy_id: "alpha", mode: "DISABLED", reason: "drawdown review" }],
  ["updateMaestroConfig", { changes: { systemic_sell_threshold: 4 }, reason: "more strategies now" }],
];

describe("who may call what", () => {
  let tenantId: string;
  let viewer: { uid: string; idToken: string };
  let trader: { uid: string; idToken: string };
  let outsider: { uid: string; idToken: string };

  beforeAll(async () => {
    tenantId = await seedTenant("roles");
    viewer = await memberOf(tenantId, "viewer");
    trader = await memberOf(tenantId, "trader");
    const otherTenant = await seedTenant("roles-other");
    outsider = await memberOf(otherTenant, "admin");
  });

  test.each(ALL_CALLABLES)("%s refuses a caller who is not signed in", async (name, extra) => {
    const response = await callCallable(name, { tenant_id: tenantId, ...extra });
    expect(response.error?.status).toBe("UNAUTHENTICATED");
    expect(response.error?.message).toBe(`sign in to call ${name}`);
  });

  test.each(ALL_CALLABLES)("%s refuses an admin of another tenant: not a member", async (name, extra) => {
    const response = await callCallable(name, { tenant_id: tenantId, ...extra }, outsider.idToken);
    expect(response.error?.status).toBe("PERMISSION_DENIED");
    expect(response.error?.message).toBe(`not a member of tenant '${tenantId}'`);
  });

  test("an unknown tenant is indistinguishable from someone else's: permission-denied", async () => {
    const response = await callCallable("getStrategyWeights", { tenant_id: uniqueTenantId("nobody") }, trader.idToken);
    expect(response.error?.status).toBe("PERMISSION_DENIED");
  });

  test("a viewer may not act like a trader or an admin", async () => {
    for (const [name, extra, required] of [
      ["orchestrateNow", {}, "trader"],
      ["setStrategyMode", ALL_CALLABLES[4][1], "admin"],
      ["updateMaestroConfig", ALL_CALLABLES[5][1], "admin"],
    ] as const) {
      const response = await callCallable(name, { tenant_id: tenantId, ...extra }, viewer.idToken);
      expect(response.error?.status).toBe("PERMISSION_DENIED");
      expect(response.error?.message).toBe(`${name} requires the ${required} role; you are a viewer of tenant '${tenantId}'`);
    }
  });

  test("a trader may orchestrate but not change modes or the config", async () => {
    expect((await callCallable("orchestrateNow", { tenant_id: tenantId }, trader.idToken)).error).toBeUndefined();
    const mode = await callCallable("setStrategyMode", { tenant_id: tenantId, ...ALL_CALLABLES[4][1] }, trader.idToken);
    expect(mode.error?.message).toMatch(/^setStrategyMode requires the admin role; you are a trader/);
    const strategy = (await db.doc(paths.strategy(tenantId, "alpha")).get()).data()!;
    expect(strategy.manual_mode).toBeNull();
  });

  test("a revoked member loses access at once", async () => {
    const member = await memberOf(tenantId, "viewer");
    expect((await callCallable("listOrchestrationLogs", { tenant_id: tenantId }, member.idToken)).error).toBeUndefined();
    await db.doc(paths.member(tenantId, member.uid)).delete();
    const after = await callCallable("listOrchestrationLogs", { tenant_id: tenantId }, member.idToken);
    expect(after.error?.status).toBe("PERMISSION_DENIED");
  });

  test("a malformed membership grants nothing and says why", async () => {
    const member = await signUpUser();
    await db.doc(paths.member(tenantId, member.uid)).set({ role: "superuser" });
    const response = await callCallable("getStrategyWeights", { tenant_id: tenantId }, member.idToken);
    expect(response.error?.status).toBe("PERMISSION_DENIED");
    expect(response.error?.message).toMatch(/^membership of tenant '.+' is malformed \(role: /);
  });
});

describe("payloads are validated, naming the field", () => {
  let tenantId: string;
  let admin: { uid: string; idToken: string };

  beforeAll(async () => {
    tenantId = await seedTenant("payloads");
    admin = await memberOf(tenantId, "admin");
  });

  test.each([
    ["orchestrateNow", {}, /^tenant_id: is required/],
    ["orchestrateNow", { tenant_id: "a/b" }, /^tenant_id: may contain only/],
    ["orchestrateNow", { tenant_id: "t", dry_run: true }, /^dry_run: is not a known field/],
    ["getOrchestration", { tenant_id: "t", session_id: "abc" }, /^session_id: must be a session id/],
    ["listOrchestrationLogs", { tenant_id: "t", page_size: 500 }, /^page_size: must be at most 100 \(got 500\)/],
    ["setStrategyMode", { tenant_id: "t", strategy_id: "alpha", mode: "ACTIVE", reason: "because" }, /^mode: must be DISABLED or AUTOMATIC/],
    ["setStrategyMode", { tenant_id: "t", strategy_id: "alpha", mode: "DISABLED" }, /^reason: is required/],
    ["updateMaestroConfig", { tenant_id: "t", changes: {}, reason: "nothing" }, /^changes: must change at least one field/],
  ])("%s %j", async (name, data, message) => {
    const response = await callCallable(name, data, admin.idToken);
    expect(response.error?.status).toBe("INVALID_ARGUMENT");
    expect(response.error?.message).toMatch(message);
  });

  test("a bad cursor is refused", async () => {
    const response = await callCallable("listOrchestrationLogs", { tenant_id: tenantId, cursor: "not-a-cursor" }, admin.idToken);
    expect(response.error).toEqual({ status: "INVALID_ARGUMENT", message: "cursor: is not a cursor returned by listOrchestrationLogs" });
  });
});

describe("orchestrateNow and the read callables", () => {
  test("a trader orchestrates; a viewer then reads the orchestration, its log and the weights", async () => {
    const tenantId = await seedTenant("now");
    const trader = await memberOf(tenantId, "trader");
    const viewer = await memberOf(tenantId, "viewer");
    await addSignal(tenantId, "s1", "alpha", "BUY");

    // Before any cycle there are no weights.
    const none = await callCallable("getStrategyWeights", { tenant_id: tenantId }, viewer.idToken);
    expect(none.error?.status).toBe("NOT_FOUND");

    const response = await callCallable("orchestrateNow", { tenant_id: tenantId }, trader.idToken);
    expect(response.error).toBeUndefined();
    const result = response.result;
    expect(result.session_id).toMatch(/^maestro_\d{13}_[0-9a-f]{16}$/);
    // No performance yet: insufficient data → ACTIVE (the default insufficient_data_mode), weight 1.
    expect(result.signals).toHaveLength(1);
    expect(result.signals[0]).toMatchObject({ signal_id: "s1", action: "BUY", allocation: 0.4, mode: "ACTIVE", executable: true, agent_id: `${tenantId}_alpha` });
    expect(result.more_pending).toBe(false);

    const stored = (await db.doc(paths.orchestration(tenantId, result.session_id)).get()).data()!;
    expect(stored).toMatchObject({ trigger: "orchestrate_now", requested_by: trader.uid });

    const got = await callCallable("getOrchestration", { tenant_id: tenantId, session_id: result.session_id }, viewer.idToken);
    expect(got.error).toBeUndefined();
    expect(got.result).toMatchObject({ tenant_id: tenantId, session_id: result.session_id, trigger: "orchestrate_now" });
    expect(got.result.signals[0].nonce).toBe(result.signals[0].nonce);
    expect(got.result.io).toBeUndefined();

    const missing = await callCallable("getOrchestration", { tenant_id: tenantId, session_id: "maestro_1700000000000_0123456789abcdef" }, viewer.idToken);
    expect(missing.error?.status).toBe("NOT_FOUND");
    expect(missing.error?.message).toMatch(/^session_id: no orchestration/);

    // The log writer and the audit run on the trigger, then the log is listed.
    const listed = await waitFor("the log in the listing", async () => {
      const page = await callCallable("listOrchestrationLogs", { tenant_id: tenantId }, viewer.idToken);
      return page.result?.logs.length === 1 ? page.result : undefined;
    });
    // Link 4: the first three are the moves that opened the day's trading session (INIT → … → ACTIVE_TRADING).
    expect(listed.logs[0]).toMatchObject({ session_id: result.session_id, seq: 4, signals_count: 1, systemic_risk_detected: false });
    expect(listed.next_cursor).toBeNull();

    const weights = await callCallable("getStrategyWeights", { tenant_id: tenantId }, viewer.idToken);
    expect(weights.error).toBeUndefined();
    expect(weights.result.fresh).toBe(true);
    expect(weights.result.strategies.map((s: { strategy_id: string }) => s.strategy_id)).toEqual(["alpha", "beta"]);

    const again = await callCallable("orchestrateNow", { tenant_id: tenantId }, trader.idToken);
    expect(again.result.signals).toHaveLength(0);
  });

  test("an inactive tenant: failed-precondition", async () => {
    const tenantId = await seedTenant("asleep", { active: false });
    const trader = await memberOf(tenantId, "trader");
    const refused = await callCallable("orchestrateNow", { tenant_id: tenantId }, trader.idToken);
    expect(refused.error?.status).toBe("FAILED_PRECONDITION");
    expect(refused.error?.message).toMatch(/not active/);
  });

  test("orchestrateNow is rate-limited per user, with the limit from the tenant's config", async () => {
    const tenantId = await seedTenant("limited", { config: { rate_limits: { orchestrate_now: 2, window_seconds: 60 } } });
    const first = await memberOf(tenantId, "trader");
    const second = await memberOf(tenantId, "trader");
    for (let i = 0; i < 2; i++) expect((await callCallable("orchestrateNow", { tenant_id: tenantId }, first.idToken)).error).toBeUndefined();
    const third = await callCallable("orchestrateNow", { tenant_id: tenantId }, first.idToken);
    expect(third.error?.status).toBe("RESOURCE_EXHAUSTED");
    expect(third.error?.message).toMatch(/^rate limit: at most 2 orchestrateNow calls per 60 s per user \(rate_limits\.orchestrate_now\); retry in \d+ s$/);
    // Another user of the same tenant has an allowance of their own.
    expect((await callCallable("orchestrateNow", { tenant_id: tenantId }, second.idToken)).error).toBeUndefined();
    // The refused call ran nothing: two orchestrations from the first user, one from the second.
    const orchestrations = await db.collection(paths.orchestrations(tenantId)).get();
    expect(orchestrations.docs.filter((d) => d.get("requested_by") === first.uid)).toHaveLength(2);
  });
});

describe("setStrategyMode", () => {
  test("disables a strategy with its reason kept and audited; the next cycle obeys; AUTOMATIC hands it back", async () => {
    const tenantId = await seedTenant("modes");
    const admin = await memberOf(tenantId, "admin");
    const trader = await memberOf(tenantId, "trader");
    await callCallable("orchestrateNow", { tenant_id: tenantId }, trader.idToken); // computes weights
    const before = await callCallable("getStrategyWeights", { tenant_id: tenantId }, admin.idToken);
    expect(before.result.fresh).toBe(true);

    const reason = "Slippage on the last fills is twice the model's; off until reviewed";
    const response = await callCallable("setStrategyMode", { tenant_id: tenantId, strategy_id: "alpha", mode: "DISABLED", reason }, admin.idToken);
    expect(response.error).toBeUndefined();
    expect(response.result).toMatchObject({ strategy_id: "alpha", manual_mode: "DISABLED", previous_manual_mode: null, changed: true });

    const strategy = (await db.doc(paths.strategy(tenantId, "alpha")).get()).data()!;
    expect(strategy).toMatchObject({ manual_mode: "DISABLED", manual_mode_reason: reason, manual_mode_set_by: admin.uid });
    const action = (await db.doc(`${paths.adminActions(tenantId)}/${response.result.action_id}`).get()).data()!;
    expect(action).toMatchObject({
      action: "set_strategy_mode",
      actor_uid: admin.uid,
      reason,
      before: { manual_mode: null },
      after: { manual_mode: "DISABLED" },
      changed: true,
    });

    // The weights were computed with alpha enabled: stale now, and the next cycle recomputes them.
    expect((await callCallable("getStrategyWeights", { tenant_id: tenantId }, admin.idToken)).result.fresh).toBe(false);
    await addSignal(tenantId, "s1", "alpha", "BUY");
    const cycle = await callCallable("orchestrateNow", { tenant_id: tenantId }, trader.idToken);
    expect(cycle.result.signals[0]).toMatchObject({ signal_id: "s1", mode: "DISABLED", executable: false });
    const decision = cycle.result.allocation_decisions.find((d: { strategy_id: string }) => d.strategy_id === "alpha");
    expect(decision.reasoning).toContain(reason);

    const back = await callCallable("setStrategyMode", { tenant_id: tenantId, strategy_id: "alpha", mode: "AUTOMATIC", reason: "review done" }, admin.idToken);
    expect(back.result).toMatchObject({ manual_mode: null, previous_manual_mode: "DISABLED", changed: true });
    expect((await db.doc(paths.strategy(tenantId, "alpha")).get()).get("manual_mode_reason")).toBeNull();
    const actions = await db.collection(paths.adminActions(tenantId)).get();
    expect(actions.size).toBe(2);
  });

  test("an unknown strategy is not-found; a malformed one is failed-precondition and stays as it was", async () => {
    const tenantId = await seedTenant("modes-bad");
    const admin = await memberOf(tenantId, "admin");
    const unknown = await callCallable("setStrategyMode", { tenant_id: tenantId, strategy_id: "gamma", mode: "DISABLED", reason: "why not" }, admin.idToken);
    expect(unknown.error).toEqual({ status: "NOT_FOUND", message: `strategy_id: no strategy 'gamma' in tenant '${tenantId}'` });
    await db.doc(paths.strategy(tenantId, "broken")).set({ name: "Broken", capital_base: -5 });
    const broken = await callCallable("setStrategyMode", { tenant_id: tenantId, strategy_id: "broken", mode: "DISABLED", reason: "why not" }, admin.idToken);
    expect(broken.error?.status).toBe("FAILED_PRECONDITION");
    expect(broken.error?.message).toMatch(/capital_base: must be greater than 0/);
    expect((await db.doc(paths.strategy(tenantId, "broken")).get()).data()).toEqual({ name: "Broken", capital_base: -5 });
    expect((await db.collection(paths.adminActions(tenantId)).get()).size).toBe(0);
  });
});

describe("updateMaestroConfig", () => {
  test("a partial update is validated as a whole, versioned, and the previous version kept", async () => {
    const tenantId = await seedTenant("config", { config: { systemic_sell_threshold: 4 } });
    const admin = await memberOf(tenantId, "admin");

    const first = await callCallable(
      "updateMaestroConfig",
      { tenant_id: tenantId, changes: { sharpe_threshold_reduce: 1.2, ai_summary: { model: "gemini-2.5-flash" } }, reason: "tighter risk" },
      admin.idToken,
    );
    expect(first.error).toBeUndefined();
    expect(first.result).toMatchObject({ version: 1, previous_version: 0, changed_fields: ["ai_summary.model", "sharpe_threshold_reduce"] });
    // Untouched fields keep their values: the stored 4, and the defaults.
    expect(first.result.config).toMatchObject({ systemic_sell_threshold: 4, sharpe_threshold_reduce: 1.2, sharpe_threshold_shadow: 0.5, ai_summary: { enabled: true, model: "gemini-2.5-flash", timeout_ms: 4000 } });

    const stored = (await db.doc(paths.config(tenantId)).get()).data()!;
    expect(stored).toMatchObject({ version: 1, updated_by: admin.uid, update_reason: "tighter risk", sharpe_threshold_reduce: 1.2, systemic_sell_threshold: 4 });
    const history = (await db.doc(paths.configHistory(tenantId, 0)).get()).data()!;
    expect(history).toMatchObject({ version: 0, superseded_by: admin.uid, stored: { systemic_sell_threshold: 4 } });
    expect(history.config.sharpe_threshold_reduce).toBe(1);

    // Fine on its own, but the shadow threshold may not exceed the reduce threshold (1.2).
    const crossField = await callCallable("updateMaestroConfig", { tenant_id: tenantId, changes: { sharpe_threshold_shadow: 1.5 }, reason: "try it" }, admin.idToken);
    expect(crossField.error).toEqual({
      status: "INVALID_ARGUMENT",
      message: "changes: sharpe_threshold_shadow: must not exceed sharpe_threshold_reduce (1.2) (got 1.5)",
    });
    const unknownField = await callCallable("updateMaestroConfig", { tenant_id: tenantId, changes: { lookback: 10 }, reason: "typo" }, admin.idToken);
    expect(unknownField.error?.message).toBe("changes: lookback: is not a known field");
    // Nothing refused was written.
    expect((await db.doc(paths.config(tenantId)).get()).get("version")).toBe(1);

    // Optimistic concurrency: a client that read version 0 is told to reload.
    const stale = await callCallable("updateMaestroConfig", { tenant_id: tenantId, changes: { lookback_days: 20 }, reason: "shorter", expected_version: 0 }, admin.idToken);
    expect(stale.error).toEqual({
      status: "FAILED_PRECONDITION",
      message: "expected_version: the config is at version 1, not 0; reload it and apply the change again",
    });
    const second = await callCallable("updateMaestroConfig", { tenant_id: tenantId, changes: { lookback_days: 20 }, reason: "shorter", expected_version: 1 }, admin.idToken);
    expect(second.result).toMatchObject({ version: 2, previous_version: 1, changed_fields: ["lookback_days"] });
    expect((await db.doc(paths.configHistory(tenantId, 1)).get()).get("config.sharpe_threshold_reduce")).toBe(1.2);

    const actions = await db.collection(paths.adminActions(tenantId)).orderBy("at").get();
    expect(actions.docs.map((d) => d.get("changed_fields"))).toEqual([["ai_summary.model", "sharpe_threshold_reduce"], ["lookback_days"]]);

    // The next cycle runs on the new config.
    const trader = await memberOf(tenantId, "trader");
    const cycle = await callCallable("orchestrateNow", { tenant_id: tenantId }, trader.idToken);
    const orchestration = (await db.doc(paths.orchestration(tenantId, cycle.result.session_id)).get()).data()!;
    expect(orchestration.inputs).toMatchObject({ config_source: "tenant", config: { lookback_days: 20, sharpe_threshold_reduce: 1.2 } });
  });

  test("a workflow task's agent must be one of the tenant's strategies: an unknown one is refused by its field, known ones are stored", async () => {
    const tenantId = await seedTenant("config-agents");
    const admin = await memberOf(tenantId, "admin");
    const task = (id: string, agent: string, depends_on: string[] = []) => ({ id, agent, task_type: "analyze", depends_on });

    const unknown = await callCallable(
      "updateMaestroConfig",
      { tenant_id: tenantId, changes: { agents: { workflows: { ACTIVE_TRADING: [task("scan", "alpha"), task("trade", "xyz", ["scan"])] } } }, reason: "wire the bots" },
      admin.idToken,
    );
    expect(unknown.error).toEqual({
      status: "INVALID_ARGUMENT",
      message: `changes: agents.workflows.ACTIVE_TRADING[1].agent: no strategy 'xyz' in tenant '${tenantId}' (strategies: alpha, beta)`,
    });
    expect((await db.doc(paths.config(tenantId)).get()).get("agents")).toBeUndefined();
    expect((await db.collection(paths.adminActions(tenantId)).get()).size).toBe(0);

    const workflows = { PRE_MARKET: [task("scan", "alpha"), task("news", "beta"), task("plan", "alpha", ["scan", "news"])] };
    const accepted = await callCallable("updateMaestroConfig", { tenant_id: tenantId, changes: { agents: { workflows } }, reason: "wire the bots" }, admin.idToken);
    expect(accepted.error).toBeUndefined();
    expect(accepted.result).toMatchObject({ version: 1, changed_fields: ["agents.workflows.PRE_MARKET"] });
    const stored = (await db.doc(paths.config(tenantId)).get()).get("agents.workflows.PRE_MARKET") as { id: string; agent: string }[];
    expect(stored.map((t) => [t.id, t.agent])).toEqual([["scan", "alpha"], ["news", "beta"], ["plan", "alpha"]]);

    // A strategy deleted later: the next change, whatever it is, says which task still names it.
    await db.doc(paths.strategy(tenantId, "beta")).delete();
    const later = await callCallable("updateMaestroConfig", { tenant_id: tenantId, changes: { lookback_days: 20 }, reason: "shorter" }, admin.idToken);
    expect(later.error).toEqual({
      status: "INVALID_ARGUMENT",
      message: `changes: agents.workflows.PRE_MARKET[1].agent: no strategy 'beta' in tenant '${tenantId}' (strategies: alpha)`,
    });
  });

  test("write callables share a per-user rate limit", async () => {
    const tenantId = await seedTenant("config-limit", { config: { rate_limits: { write_calls: 1 } } });
    const admin = await memberOf(tenantId, "admin");
    expect((await callCallable("setStrategyMode", { tenant_id: tenantId, strategy_id: "alpha", mode: "DISABLED", reason: "pause" }, admin.idToken)).error).toBeUndefined();
    const refused = await callCallable("updateMaestroConfig", { tenant_id: tenantId, changes: { lookback_days: 20 }, reason: "shorter" }, admin.idToken);
    expect(refused.error?.status).toBe("RESOURCE_EXHAUSTED");
    expect(refused.error?.message).toMatch(/rate_limits\.write_calls/);
  });
});
