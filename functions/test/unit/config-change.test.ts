/**
 * An admin's partial config change (updateMaestroConfig): merged onto the config in force
 * (nested ai_summary / rate_limits key by key), validated as a whole so cross-field rules
 * hold, refused with a reason naming the field, and reporting exactly the leaves it changed.
 */
import { applyConfigChanges, unknownWorkflowAgents, workflowAgentReferences } from "../../src/core/config-change";
import { DEFAULT_CONFIG, type MaestroConfig } from "../../src/schemas";

/** A full config in force, distinct from the defaults so a lost field would show. */
const current = (): MaestroConfig => ({
  ...structuredClone(DEFAULT_CONFIG),
  lookback_days: 45,
  sharpe_threshold_reduce: 1.0,
  sharpe_threshold_shadow: 0.5,
  ai_summary: { enabled: false, model: "gemini-2.0-flash", timeout_ms: 7000 },
  rate_limits: { window_seconds: 120, orchestrate_now: 4, write_calls: 10, verify_chain: 6, ask: 30, agent_calls: 60 },
});

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

describe("applyConfigChanges: accepted changes", () => {
  test("a single-field change returns the merged config and names only that field", () => {
    const result = applyConfigChanges(current(), { systemic_sell_threshold: 4 });
    expect(result).toEqual({ ok: true, config: { ...current(), systemic_sell_threshold: 4 }, changed_fields: ["systemic_sell_threshold"] });
  });

  test("a nested change merges key by key: ai_summary.enabled and timeout_ms are kept", () => {
    const result = applyConfigChanges(current(), { ai_summary: { model: "x" } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.ai_summary).toEqual({ enabled: false, model: "x", timeout_ms: 7000 });
    expect(result.config).toEqual({ ...current(), ai_summary: { enabled: false, model: "x", timeout_ms: 7000 } });
    expect(result.changed_fields).toEqual(["ai_summary.model"]);
  });

  test("allocation: a change within a method merges; a change of method replaces the block (the old method's parameters would not fit)", () => {
    const rp = applyConfigChanges(current(), { allocation: { method: "risk_parity", lookback_days: 20 } });
    expect(rp.ok).toBe(true);
    if (!rp.ok) return;
    expect(rp.config.allocation).toEqual({ method: "risk_parity", lookback_days: 20, max_iterations: 100, tolerance: 1e-10, min_allocation: 0, max_allocation: 1, rebalance_frequency: "every_cycle" });
    const tighter = applyConfigChanges(rp.config, { allocation: { max_allocation: 0.6 } });
    expect(tighter.ok && tighter.config.allocation).toMatchObject({ method: "risk_parity", lookback_days: 20, max_allocation: 0.6 });
    // Merged key by key, equal_weight would carry lookback_days and be refused as an unknown key.
    const equal = applyConfigChanges(rp.config, { allocation: { method: "equal_weight" } });
    expect(equal).toMatchObject({ ok: true, config: { allocation: { method: "equal_weight", min_allocation: 0, max_allocation: 1, rebalance_frequency: "every_cycle" } } });
    expect(equal.ok && Object.keys(equal.config.allocation)).not.toContain("lookback_days");
  });

  test("rate_limits merges key by key too", () => {
    const result = applyConfigChanges(current(), { rate_limits: { write_calls: 3 } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.rate_limits).toEqual({ window_seconds: 120, orchestrate_now: 4, write_calls: 3, verify_chain: 6, ask: 30, agent_calls: 60 });
    expect(result.changed_fields).toEqual(["rate_limits.write_calls"]);
  });

  test("several changes at once are all reported, as sorted dotted paths", () => {
    const result = applyConfigChanges(current(), {
      systemic_sell_threshold: 5,
      ai_summary: { timeout_ms: 2000 },
      rate_limits: { orchestrate_now: 8 },
      lookback_days: 60,
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.changed_fields).toEqual(["ai_summary.timeout_ms", "lookback_days", "rate_limits.orchestrate_now", "systemic_sell_threshold"]);
  });

  test("raising both thresholds together passes the cross-field rule", () => {
    const result = applyConfigChanges(current(), { sharpe_threshold_shadow: 1.5, sharpe_threshold_reduce: 2 });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.sharpe_threshold_reduce).toBe(2);
    expect(result.config.sharpe_threshold_shadow).toBe(1.5);
    expect(result.changed_fields).toEqual(["sharpe_threshold_reduce", "sharpe_threshold_shadow"]);
  });

  test("a change equal to the current values changes nothing", () => {
    const result = applyConfigChanges(current(), { systemic_sell_threshold: 3, lookback_days: 45, ai_summary: { enabled: false } });
    expect(result).toEqual({ ok: true, config: current(), changed_fields: [] });
  });

  test("the config in force is not mutated (accepted or refused)", () => {
    const input = deepFreeze(current());
    const accepted = applyConfigChanges(input, { systemic_sell_threshold: 4, ai_summary: { model: "x" }, rate_limits: { write_calls: 3 } });
    const refused = applyConfigChanges(input, { sharpe_threshold_shadow: 1.5 });
    expect(accepted.ok).toBe(true);
    expect(refused.ok).toBe(false);
    expect(input).toEqual(current());
  });
});

describe("applyConfigChanges: refused changes name the field", () => {
  test("fine alone but breaking a cross-field rule: shadow above reduce", () => {
    expect(applyConfigChanges(current(), { sharpe_threshold_shadow: 1.5 })).toEqual({
      ok: false,
      reason: "sharpe_threshold_shadow: must not exceed sharpe_threshold_reduce (1) (got 1.5)",
    });
  });

  test("lowering reduce below the shadow in force is refused, naming the merged values", () => {
    const inForce = { ...current(), sharpe_threshold_reduce: 2, sharpe_threshold_shadow: 1.5 };
    expect(applyConfigChanges(inForce, { sharpe_threshold_reduce: 1.2 })).toEqual({
      ok: false,
      reason: "sharpe_threshold_shadow: must not exceed sharpe_threshold_reduce (1.2) (got 1.5)",
    });
  });

  test("min_data_points above the lookback in force is refused", () => {
    expect(applyConfigChanges(current(), { min_data_points: 46 })).toEqual({
      ok: false,
      reason: "min_data_points: must not exceed lookback_days (45) (got 46)",
    });
  });

  test("an unknown field is refused, not ignored", () => {
    expect(applyConfigChanges(current(), { foo: 1 })).toEqual({ ok: false, reason: "foo: is not a known field" });
  });

  test("an unknown nested field is refused with its dotted path", () => {
    expect(applyConfigChanges(current(), { ai_summary: { bogus: true } })).toEqual({ ok: false, reason: "ai_summary.bogus: is not a known field" });
  });

  test("a wrong type names the field", () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ systemic_sell_threshold: "4" }, /^systemic_sell_threshold: .*\(got "4"\)$/],
      [{ ai_summary: { enabled: "yes" } }, /^ai_summary\.enabled: .*\(got "yes"\)$/],
      [{ ai_summary: "off" }, /^ai_summary: .*\(got "off"\)$/],
      [{ rate_limits: { window_seconds: 1.5 } }, /^rate_limits\.window_seconds: .*\(got 1.5\)$/],
    ];
    for (const [changes, reason] of cases) {
      const result = applyConfigChanges(current(), changes);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(reason);
    }
  });

  test("an out-of-range value names the field and the rule", () => {
    expect(applyConfigChanges(current(), { ai_summary: { timeout_ms: 5 } })).toEqual({
      ok: false,
      reason: "ai_summary.timeout_ms: must be at least 100 ms (got 5)",
    });
  });
});

describe("workflow agents are strategies of the tenant", () => {
  const task = (id: string, agent: string, depends_on: string[] = []) => ({ id, agent, task_type: "analyze", depends_on });
  const withWorkflows = (): MaestroConfig => {
    const applied = applyConfigChanges(current(), {
      agents: {
        workflows: {
          POST_MARKET: [task("review", "alpha")],
          PRE_MARKET: [task("scan", "alpha"), task("news", "beta"), task("plan", "alpha", ["scan", "news"])],
        },
      },
    });
    if (!applied.ok) throw new Error(applied.reason);
    return applied.config;
  };

  test("each task's agent is named with its field, phases in session order whatever the config's key order", () => {
    expect(workflowAgentReferences(withWorkflows())).toEqual([
      { field: "agents.workflows.PRE_MARKET[0].agent", strategy_id: "alpha" },
      { field: "agents.workflows.PRE_MARKET[1].agent", strategy_id: "beta" },
      { field: "agents.workflows.PRE_MARKET[2].agent", strategy_id: "alpha" },
      { field: "agents.workflows.POST_MARKET[0].agent", strategy_id: "alpha" },
    ]);
    expect(workflowAgentReferences(current())).toEqual([]);
  });

  test("all named strategies existing is no reason", () => {
    expect(unknownWorkflowAgents(workflowAgentReferences(withWorkflows()), new Set(["alpha", "beta"]), "t1", ["alpha", "beta"])).toBeNull();
  });

  test("each task naming a missing strategy is named by its field, then what the tenant has", () => {
    const references = workflowAgentReferences(withWorkflows());
    expect(unknownWorkflowAgents(references, new Set(["alpha"]), "t1", ["gamma", "alpha"])).toBe(
      "agents.workflows.PRE_MARKET[1].agent: no strategy 'beta' in tenant 't1' (strategies: alpha, gamma)",
    );
    expect(unknownWorkflowAgents(references, new Set(), "t1", [])).toBe(
      "agents.workflows.PRE_MARKET[0].agent: no strategy 'alpha' in tenant 't1'; " +
        "agents.workflows.PRE_MARKET[1].agent: no strategy 'beta' in tenant 't1'; " +
        "agents.workflows.PRE_MARKET[2].agent: no strategy 'alpha' in tenant 't1'; " +
        "agents.workflows.POST_MARKET[0].agent: no strategy 'alpha' in tenant 't1' (the tenant has no strategies)",
    );
  });

  test("the refusal stays short: five fields, then a count; ten strategies, then an ellipsis", () => {
    const references = Array.from({ length: 8 }, (_, i) => ({ field: `agents.workflows.ACTIVE_TRADING[${i}].agent`, strategy_id: `ghost${i}` }));
    const known = Array.from({ length: 11 }, (_, i) => `s${String(i).padStart(2, "0")}`);
    const reason = unknownWorkflowAgents(references, new Set(), "t1", known)!;
    expect(reason.match(/no strategy/g)).toHaveLength(5);
    expect(reason).toContain("ACTIVE_TRADING[4].agent: no strategy 'ghost4'");
    expect(reason).not.toContain("ghost5");
    expect(reason).toContain("; and 3 more task(s) naming an unknown agent (strategies: s00, s01, s02, s03, s04, s05, s06, s07, s08, s09, …)");
    expect(unknownWorkflowAgents(references.slice(0, 1), new Set(), "t1", known.slice(0, 10))).toMatch(/\(strategies: s00, .*, s09\)$/);
  });
});
