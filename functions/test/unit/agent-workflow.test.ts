/**
 * The agents' workflow engine (core/agent-workflow.ts) and its config (schemas/agents.ts),
 * issue 14. Every expected dispatch, state, attempt and metric below is worked out by hand
 * from the rules in the module's header, with the seed 001 defaults (timeout 60 s, 3
 * retries so 4 attempts, 5 tasks in flight).
 */
import fc from "fast-check";
import {
  agentHealth,
  agentStates,
  agentWatches,
  cancelRun,
  dayAgentStates,
  dayMetrics,
  nextHolds,
  onResponse,
  onTick,
  runMetrics,
  startRun,
  storedRun,
  type AgentWatch,
  type WorkflowToRun,
} from "../../src/core/agent-workflow";
import {
  AgentsConfigSchema,
  DEFAULT_AGENTS_CONFIG,
  MAX_RESPONSE_PAYLOAD_CHARS,
  MAX_WORKFLOW_TASKS,
  TASK_PRIORITIES,
  TaskMessageSchema,
  TaskResponseSchema,
  WORKFLOW_PHASES,
  WorkflowRunSchema,
  WorkflowSchema,
  dependencyCycle,
  type TaskMessage,
  type TaskResponse,
  type WorkflowRun,
} from "../../src/schemas/agents";
import { DEFAULT_CONFIG, MaestroConfigSchema, TRADING_SESSION_STATES, parseWithReason } from "../../src/schemas";

const T0 = Date.parse("2026-01-15T14:35:00.000Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const iso = (seconds: number) => at(seconds).toISOString();

function workflow(tasks: unknown[], phase: WorkflowToRun["phase"] = "ACTIVE_TRADING"): WorkflowToRun {
  return { tenant_id: "demo-fund", day: "2026-01-15", phase, run_id: phase, tasks: WorkflowSchema.parse(tasks) };
}

function answer(m: TaskMessage, status: TaskResponse["status"], extra: Partial<TaskResponse> = {}): TaskResponse {
  return {
    task_id: m.task_id,
    agent_name: m.agent_target,
    status,
    result: {},
    errors: [],
    execution_time: 100,
    next_actions: [],
    tenant_id: m.tenant_id,
    day: m.day,
    run_id: m.run_id,
    attempt: m.attempt,
    ...extra,
  };
}

const sent = (dispatch: TaskMessage[]) => dispatch.map((m) => `${m.task_id}#${m.attempt}`);
const statuses = (run: WorkflowRun) => Object.fromEntries(Object.values(run.tasks).map((t) => [t.id, t.status]));

describe("the agents config block", () => {
  test("defaults are seed 001's orchestrator_config, with no workflows, so existing tenants run no agents", () => {
    expect(DEFAULT_CONFIG.agents).toEqual({
      max_concurrent_agents: 5,
      agent_timeout_seconds: 60,
      retry_attempts: 3,
      heartbeat_timeout_seconds: 60,
      escalate_when_failing: 3,
      workflows: {},
    });
    expect(DEFAULT_AGENTS_CONFIG).toEqual(DEFAULT_CONFIG.agents);
  });

  test("every workflow phase is a trading-session state", () => {
    for (const phase of WORKFLOW_PHASES) expect(TRADING_SESSION_STATES).toContain(phase);
  });

  test("an agent's response in seed 001's shape, with the routing; result, errors and next_actions may be left out", () => {
    const minimal = { task_id: "A", agent_name: "trend", status: "partial", execution_time: 1500, tenant_id: "demo-fund", day: "2026-01-15", run_id: "ACTIVE_TRADING", attempt: 2 };
    expect(TaskResponseSchema.parse(minimal)).toEqual({ ...minimal, result: {}, errors: [], next_actions: [] });
    expect(parseWithReason(TaskResponseSchema, { ...minimal, status: "done", attempt: 0 })).toEqual({
      ok: false,
      reason: 'status: must be one of "success", "failure", "partial" (got "done"); attempt: must be at least 1 (got 0)',
    });
  });

  test("a task takes the defaults it leaves out", () => {
    const [task] = WorkflowSchema.parse([{ id: "scan", agent: "trend-follower", task_type: "analyze" }]);
    expect(task).toEqual({ id: "scan", agent: "trend-follower", task_type: "analyze", depends_on: [], priority: "normal", data: {} });
  });

  const refused = (workflows: unknown) => parseWithReason(MaestroConfigSchema, { agents: { workflows } });

  test("a dependency cycle is refused, naming the cycle", () => {
    const r = refused({
      ACTIVE_TRADING: [
        { id: "A", agent: "s1", task_type: "analyze", depends_on: ["C"] },
        { id: "B", agent: "s2", task_type: "analyze", depends_on: ["A"] },
        { id: "C", agent: "s3", task_type: "execute", depends_on: ["B"] },
        { id: "D", agent: "s4", task_type: "report" },
      ],
    });
    expect(r).toEqual({ ok: false, reason: "agents.workflows.ACTIVE_TRADING.0.depends_on: forms a dependency cycle: A → C → B → A" });
  });

  test("a cycle that does not pass through the first task is found and named from where it is entered", () => {
    expect(dependencyCycle([
      { id: "root", depends_on: [] },
      { id: "x", depends_on: ["root", "z"] },
      { id: "y", depends_on: ["x"] },
      { id: "z", depends_on: ["y"] },
    ])).toEqual(["x", "z", "y", "x"]);
    expect(dependencyCycle([{ id: "a", depends_on: [] }, { id: "b", depends_on: ["a"] }, { id: "c", depends_on: ["a", "b"] }])).toBeNull();
  });

  test("duplicate ids, self-dependencies, unknown and repeated dependencies are refused with the field named", () => {
    expect(refused({ PRE_MARKET: [{ id: "A", agent: "s1", task_type: "analyze" }, { id: "A", agent: "s2", task_type: "report" }] })).toEqual({
      ok: false,
      reason: 'agents.workflows.PRE_MARKET.1.id: duplicates the id of task 0 ("A"): task ids must be unique (got "A")',
    });
    expect(refused({ PRE_MARKET: [{ id: "A", agent: "s1", task_type: "analyze", depends_on: ["A"] }] })).toEqual({
      ok: false,
      reason: 'agents.workflows.PRE_MARKET.0.depends_on.0: task "A" depends on itself (got "A")',
    });
    expect(refused({ POST_MARKET: [{ id: "A", agent: "s1", task_type: "analyze" }, { id: "B", agent: "s1", task_type: "report", depends_on: ["A", "Z", "A"] }] })).toEqual({
      ok: false,
      reason: 'agents.workflows.POST_MARKET.1.depends_on.1: "Z" is not a task of this workflow (tasks: A, B) (got "Z"); agents.workflows.POST_MARKET.1.depends_on.2: lists "A" twice (got "A")',
    });
  });

  test("an unknown phase, task type or priority, and an empty workflow, are refused by name", () => {
    expect(refused({ LUNCH: [] })).toEqual({ ok: false, reason: "agents.workflows.LUNCH: is not a known field" });
    expect(refused({ PRE_MARKET: [] })).toEqual({ ok: false, reason: "agents.workflows.PRE_MARKET: must list at least one task (leave the phase out for none)" });
    expect(refused({ PRE_MARKET: [{ id: "A", agent: "s1", task_type: "trade", priority: "urgent" }] })).toEqual({
      ok: false,
      reason: 'agents.workflows.PRE_MARKET.0.task_type: must be one of "analyze", "execute", "report" (got "trade"); agents.workflows.PRE_MARKET.0.priority: must be one of "low", "normal", "high", "critical" (got "urgent")',
    });
    expect(parseWithReason(AgentsConfigSchema, { escalate_when_failing: 1 })).toEqual({
      ok: false,
      reason: "escalate_when_failing: must be at least 2 (one failing agent is seed 001's warning tier) (got 1)",
    });
  });
});

describe("the issue's proof: B after A, C beside them; A times out once, C answers partial, a duplicate changes nothing", () => {
  // A (trend, normal) → B (exec, high); C (news, low) independent. Defaults: 60 s, 4 attempts, 5 in flight.
  const wf = workflow([
    { id: "A", agent: "trend", task_type: "analyze" },
    { id: "B", agent: "exec", task_type: "execute", depends_on: ["A"], priority: "high" },
    { id: "C", agent: "news", task_type: "analyze", priority: "low", data: { symbols: ["SPY"] } },
  ]);

  test("step by step", () => {
    // t=0: A and C are ready (B waits for A); normal before low.
    const s0 = startRun(wf, DEFAULT_AGENTS_CONFIG, at(0));
    expect(sent(s0.dispatch)).toEqual(["A#1", "C#1"]);
    expect(s0.dispatch[1]).toEqual({
      task_id: "C",
      agent_target: "news",
      task_type: "analyze",
      priority: "low",
      data: { symbols: ["SPY"] },
      dependencies: [],
      timeout: 60,
      retry_count: 3,
      tenant_id: "demo-fund",
      day: "2026-01-15",
      run_id: "ACTIVE_TRADING",
      attempt: 1,
    });
    expect(statuses(s0.run)).toEqual({ A: "running", B: "pending", C: "running" });
    expect(s0.run.tasks.A.attempts).toEqual([{ attempt: 1, dispatched_at: iso(0), deadline: iso(60), outcome: null, ended_at: null }]);
    const [a1, c1] = s0.dispatch;

    // t=20: C answers partial: it is decided, nothing depends on it, nothing new to send.
    const s1 = onResponse(s0.run, answer(c1, "partial", { result: { headlines: 2 }, errors: [{ type: "data_gap", message: "one feed down" }] }), at(20));
    expect(s1.disposition).toBe("applied");
    expect(s1.dispatch).toEqual([]);
    expect(statuses(s1.run)).toEqual({ A: "running", B: "pending", C: "partial" });

    // t=59: A's deadline (t=60) has not come: a tick changes nothing.
    expect(onTick(s1.run, at(59)).dispatch).toEqual([]);

    // t=61: A timed out; attempt 2 goes out with a new deadline (t=121).
    const s2 = onTick(s1.run, at(61));
    expect(sent(s2.dispatch)).toEqual(["A#2"]);
    expect(s2.dispatch[0].retry_count).toBe(3);
    expect(statuses(s2.run)).toEqual({ A: "retrying", B: "pending", C: "partial" });
    expect(s2.run.tasks.A.attempts).toEqual([
      { attempt: 1, dispatched_at: iso(0), deadline: iso(60), outcome: "timed_out", ended_at: iso(61) },
      { attempt: 2, dispatched_at: iso(61), deadline: iso(121), outcome: null, ended_at: null },
    ]);
    const a2 = s2.dispatch[0];

    // t=70: attempt 1's answer arrives late: recorded, nothing else.
    const s3 = onResponse(s2.run, answer(a1, "success", { result: { trend: "stale" } }), at(70));
    expect(s3.disposition).toBe("late");
    expect(s3.dispatch).toEqual([]);
    expect(statuses(s3.run)).toEqual(statuses(s2.run));
    expect(s3.run.tasks.A.attempts).toEqual(s2.run.tasks.A.attempts);

    // t=90: attempt 2 succeeds: B is ready and goes out, naming A as its completed dependency.
    const s4 = onResponse(s3.run, answer(a2, "success", { result: { trend: "up" } }), at(90));
    expect(s4.disposition).toBe("applied");
    expect(sent(s4.dispatch)).toEqual(["B#1"]);
    expect(s4.dispatch[0]).toMatchObject({ agent_target: "exec", task_type: "execute", priority: "high", dependencies: ["A"], attempt: 1 });
    expect(statuses(s4.run)).toEqual({ A: "succeeded", B: "running", C: "partial" });

    // t=95: the same answer again: recorded as a duplicate, no second effect (B is not sent again).
    const s5 = onResponse(s4.run, answer(a2, "success", { result: { trend: "up" } }), at(95));
    expect(s5.disposition).toBe("duplicate");
    expect(s5.dispatch).toEqual([]);
    const withoutRecord = (run: WorkflowRun) => ({ ...run, updated_at: null, tasks: Object.fromEntries(Object.entries(run.tasks).map(([id, t]) => [id, { ...t, responses: null }])) });
    expect(withoutRecord(s5.run)).toEqual(withoutRecord(s4.run));
    expect(s5.run.tasks.A.responses.map((r) => [r.response.attempt, r.disposition, r.received_at])).toEqual([
      [1, "late", iso(70)],
      [2, "applied", iso(90)],
      [2, "duplicate", iso(95)],
    ]);

    // t=100: B succeeds: every task is decided, the run is complete.
    const s6 = onResponse(s5.run, answer(s4.dispatch[0], "success", { result: { orders: 1 } }), at(100));
    expect(s6.dispatch).toEqual([]);
    expect(statuses(s6.run)).toEqual({ A: "succeeded", B: "succeeded", C: "partial" });
    expect(s6.run.status).toBe("completed");
    expect(s6.run.completed_at).toBe(iso(100));
    expect(Object.values(s6.run.tasks).map((t) => [t.id, t.attempts.length])).toEqual([["A", 2], ["B", 1], ["C", 1]]);
    // What the stages write and publish is what the schemas define.
    expect(WorkflowRunSchema.parse(s6.run)).toEqual(s6.run);
    for (const m of [...s0.dispatch, ...s2.dispatch, ...s4.dispatch]) expect(TaskMessageSchema.parse(m)).toEqual(m);

    // Four executions (A twice, B, C); two answered success of four ended (A#1 timed out, C partial).
    // Response times, Maestro's clock: C 20 s, A#2 90−61 = 29 s, B 100−90 = 10 s → 59 s / 3.
    expect(runMetrics(s6.run)).toEqual({
      agents_executed: 4,
      agent_success_rate: 0.5,
      average_response_time_ms: 59_000 / 3,
      error_count_by_type: { timeout: 1, data_gap: 1 },
    });
    expect(agentStates(s6.run)).toEqual({
      exec: { status: "completed", last_run: iso(90), output: { orders: 1 }, reason: null },
      news: { status: "completed", last_run: iso(0), output: { headlines: 2 }, reason: null },
      trend: { status: "completed", last_run: iso(61), output: { trend: "up" }, reason: null },
    });
    // Mid-run, the agent whose task is in flight is running, the one waiting idle.
    expect(agentStates(s2.run)).toEqual({
      exec: { status: "idle", last_run: null, output: null, reason: null },
      news: { status: "completed", last_run: iso(0), output: { headlines: 2 }, reason: null },
      trend: { status: "running", last_run: iso(61), output: null, reason: null },
    });
  });
});

describe("scheduling", () => {
  test("six independent tasks under a limit of five: five go out, the sixth when one finishes", () => {
    const wf = workflow(["T1", "T2", "T3", "T4", "T5", "T6"].map((id) => ({ id, agent: `s-${id}`, task_type: "analyze" })));
    const s0 = startRun(wf, DEFAULT_AGENTS_CONFIG, at(0));
    expect(sent(s0.dispatch)).toEqual(["T1#1", "T2#1", "T3#1", "T4#1", "T5#1"]);
    expect(s0.run.tasks.T6.status).toBe("pending");
    const s1 = onResponse(s0.run, answer(s0.dispatch[2], "success"), at(5));
    expect(sent(s1.dispatch)).toEqual(["T6#1"]);
    expect(s1.run.tasks.T6.attempts[0].dispatched_at).toBe(iso(5));
  });

  test("ready tasks go highest priority first, ties by id; a retry keeps its slot", () => {
    const wf = workflow([
      { id: "b", agent: "s", task_type: "report", priority: "low" },
      { id: "a", agent: "s", task_type: "report", priority: "low" },
      { id: "n", agent: "s", task_type: "analyze" },
      { id: "h", agent: "s", task_type: "analyze", priority: "high" },
      { id: "c", agent: "s", task_type: "execute", priority: "critical" },
    ]);
    const s0 = startRun(wf, { ...DEFAULT_AGENTS_CONFIG, max_concurrent_agents: 2 }, at(0));
    expect(sent(s0.dispatch)).toEqual(["c#1", "h#1"]);
    // Both time out at t=60: both retried in their own slots; nothing else goes out.
    const s1 = onTick(s0.run, at(60));
    expect(sent(s1.dispatch)).toEqual(["c#2", "h#2"]);
    // h answers success: its slot goes to n (normal before the two lows).
    const s2 = onResponse(s1.run, answer(s1.dispatch[1], "success"), at(61));
    expect(sent(s2.dispatch)).toEqual(["n#1"]);
    const s3 = onResponse(s2.run, answer(s1.dispatch[0], "success"), at(62));
    expect(sent(s3.dispatch)).toEqual(["a#1"]);
  });

  test("a failed dependency skips its chain with the reason, while an independent task runs on", () => {
    // A (1 retry) → B → C; D independent.
    const wf = workflow([
      { id: "A", agent: "scanner", task_type: "analyze", retry_attempts: 1 },
      { id: "B", agent: "trader", task_type: "execute", depends_on: ["A"] },
      { id: "C", agent: "reporter", task_type: "report", depends_on: ["B"] },
      { id: "D", agent: "news", task_type: "analyze" },
    ]);
    const s0 = startRun(wf, DEFAULT_AGENTS_CONFIG, at(0));
    expect(sent(s0.dispatch)).toEqual(["A#1", "D#1"]);
    expect(s0.dispatch[0].retry_count).toBe(1);
    const broker = { type: "broker", message: "rejected" };
    const s1 = onResponse(s0.run, answer(s0.dispatch[0], "failure", { errors: [broker] }), at(10));
    expect(sent(s1.dispatch)).toEqual(["A#2"]);
    expect(s1.run.tasks.A.status).toBe("retrying");
    const s2 = onResponse(s1.run, answer(s1.dispatch[0], "failure", { errors: [broker] }), at(20));
    expect(s2.dispatch).toEqual([]);
    expect(statuses(s2.run)).toEqual({ A: "failed", B: "skipped", C: "skipped", D: "running" });
    expect(s2.run.tasks.A.reason).toBe("attempt 2 of 2 answered failure (broker: rejected)");
    expect(s2.run.tasks.B.reason).toBe('dependency "A" failed');
    expect(s2.run.tasks.C.reason).toBe('dependency "B" was skipped (dependency "A" failed)');
    expect(s2.run.tasks.B.attempts).toEqual([]);
    expect(s2.run.status).toBe("running");

    const s3 = onResponse(s2.run, answer(s0.dispatch[1], "success"), at(30));
    expect(s3.run.status).toBe("completed");
    expect(runMetrics(s3.run)).toEqual({
      agents_executed: 3,
      agent_success_rate: 1 / 3,
      // A#1 10 s, A#2 20−10 = 10 s, D 30 s.
      average_response_time_ms: 50_000 / 3,
      error_count_by_type: { broker: 2 },
    });
    expect(agentStates(s3.run).scanner).toEqual({
      status: "failed",
      last_run: iso(10),
      output: {},
      reason: 'task "A" failed: attempt 2 of 2 answered failure (broker: rejected)',
    });
    expect(agentStates(s3.run).trader).toEqual({ status: "idle", last_run: null, output: null, reason: null });
  });

  test("a task that never answers fails after its last attempt; a response after its deadline is late even before a tick", () => {
    const wf = workflow([{ id: "A", agent: "slow", task_type: "analyze", timeout_seconds: 30, retry_attempts: 0 }, { id: "B", agent: "s", task_type: "report", depends_on: ["A"] }]);
    const s0 = startRun(wf, DEFAULT_AGENTS_CONFIG, at(0));
    // No tick ran between the deadline (t=30) and this answer (t=31): the deadline decides.
    const s1 = onResponse(s0.run, answer(s0.dispatch[0], "success"), at(31));
    expect(s1.disposition).toBe("late");
    expect(statuses(s1.run)).toEqual({ A: "failed", B: "skipped" });
    expect(s1.run.tasks.A.reason).toBe("attempt 1 of 1 timed out (no answer within 30 s)");
    expect(s1.run.status).toBe("completed");
    expect(runMetrics(s1.run)).toEqual({ agents_executed: 1, agent_success_rate: 0, average_response_time_ms: null, error_count_by_type: { timeout: 1 } });
  });

  test("an answer naming the attempt that its own arrival's timeout opens is not that attempt's answer", () => {
    // Found by the property below: A#1's deadline is t=60; at t=60 an answer naming attempt 2 arrives.
    // The timeout sends A#2 in that same moment; the answer cannot be to it.
    const s0 = startRun(workflow([{ id: "A", agent: "trend", task_type: "analyze", retry_attempts: 1 }]), DEFAULT_AGENTS_CONFIG, at(0));
    const s1 = onResponse(s0.run, answer(s0.dispatch[0], "success", { attempt: 2 }), at(60));
    expect(s1.disposition).toBe("unknown_attempt");
    expect(sent(s1.dispatch)).toEqual(["A#2"]);
    expect(s1.run.tasks.A.status).toBe("retrying");
    expect(s1.run.tasks.A.attempts[1]).toEqual({ attempt: 2, dispatched_at: iso(60), deadline: iso(120), outcome: null, ended_at: null });
  });

  test("answers from the wrong agent, to an attempt never sent, or naming no task of the run are kept and change nothing", () => {
    const s0 = startRun(workflow([{ id: "A", agent: "trend", task_type: "analyze" }]), DEFAULT_AGENTS_CONFIG, at(0));
    const m = s0.dispatch[0];
    const wrongAgent = onResponse(s0.run, answer(m, "success", { agent_name: "impostor" }), at(1));
    const futureAttempt = onResponse(wrongAgent.run, answer(m, "success", { attempt: 2 }), at(2));
    const stray = onResponse(futureAttempt.run, answer(m, "success", { task_id: "Z" }), at(3));
    const otherRun = onResponse(stray.run, answer(m, "success", { run_id: "PRE_MARKET" }), at(4));
    expect([wrongAgent, futureAttempt, stray, otherRun].map((s) => s.disposition)).toEqual(["wrong_agent", "unknown_attempt", null, null]);
    expect(otherRun.run.tasks.A.status).toBe("running");
    expect(otherRun.run.tasks.A.attempts).toEqual(s0.run.tasks.A.attempts);
    expect(otherRun.run.tasks.A.responses.map((r) => r.disposition)).toEqual(["wrong_agent", "unknown_attempt"]);
    expect(otherRun.run.stray_responses.map((r) => [r.response.task_id, r.received_at])).toEqual([["Z", iso(3)], ["A", iso(4)]]);
  });

  test("a flood of duplicates is counted past the ten kept, and never applied twice", () => {
    const s0 = startRun(workflow([{ id: "A", agent: "trend", task_type: "analyze" }, { id: "B", agent: "x", task_type: "report", depends_on: ["A"] }]), DEFAULT_AGENTS_CONFIG, at(0));
    let run = onResponse(s0.run, answer(s0.dispatch[0], "success"), at(1)).run;
    for (let i = 0; i < 15; i++) {
      const step = onResponse(run, answer(s0.dispatch[0], "success"), at(2 + i));
      expect(step.dispatch).toEqual([]);
      run = step.run;
    }
    // The applied answer, whole, and the first ten duplicates, trimmed; the other five only counted.
    expect(run.tasks.A.responses).toHaveLength(11);
    expect(run.tasks.A.responses.map((r) => [r.disposition, r.payload_trimmed])).toEqual([["applied", false], ...Array(10).fill(["duplicate", true])]);
    expect(run.tasks.A.responses_not_kept).toBe(5);
    expect(run.tasks.B.attempts).toHaveLength(1);
  });
});

describe("agent health (seed 001: an individual agent failure is a warning; several at once escalate)", () => {
  const NOW = new Date("2026-01-15T15:00:00.000Z");
  const completed = { status: "completed" as const, last_run: "2026-01-15T14:50:00.000Z", output: {}, reason: null };
  const watch = (agent: string, last_heartbeat_at: string | null, state: AgentWatch["state"] = completed): AgentWatch => ({ agent, state, last_heartbeat_at, watched_since: "2026-01-15T14:55:00.000Z" });

  test("heartbeats within the timeout are healthy; at the timeout an agent is failed, a warning", () => {
    expect(agentHealth([watch("trend", "2026-01-15T14:59:01.000Z")], NOW, DEFAULT_AGENTS_CONFIG)).toEqual({ tier: "ok", failed: [], reasons: [] });
    expect(agentHealth([watch("trend", "2026-01-15T14:59:30.000Z"), watch("exec", "2026-01-15T14:59:00.000Z")], NOW, DEFAULT_AGENTS_CONFIG)).toEqual({
      tier: "warning",
      failed: [{ agent: "exec", reasons: ["no heartbeat for 60 s, at or past agents.heartbeat_timeout_seconds 60"] }],
      reasons: ["agent exec failed: no heartbeat for 60 s, at or past agents.heartbeat_timeout_seconds 60"],
    });
  });

  test("an agent that missed its task is failed; one never heard from is counted from when it was expected", () => {
    const missed = { status: "failed" as const, last_run: "2026-01-15T14:56:00.000Z", output: null, reason: 'task "A" failed: attempt 4 of 4 timed out (no answer within 60 s)' };
    const v = agentHealth([watch("a", "2026-01-15T14:59:50.000Z", missed), watch("b", null)], NOW, DEFAULT_AGENTS_CONFIG);
    expect(v.tier).toBe("warning");
    expect(v.reasons).toEqual([
      'agent a failed: missed its task: task "A" failed: attempt 4 of 4 timed out (no answer within 60 s)',
      "agent b failed: no heartbeat in 300 s since it was expected, at or past agents.heartbeat_timeout_seconds 60",
    ]);
  });

  test("escalate_when_failing agents failing at once is critical; heartbeats can be left unwatched", () => {
    const silent = ["c", "b", "a"].map((a) => watch(a, "2026-01-15T14:57:00.000Z"));
    const v = agentHealth(silent, NOW, DEFAULT_AGENTS_CONFIG);
    expect(v.tier).toBe("critical");
    expect(v.failed.map((f) => f.agent)).toEqual(["a", "b", "c"]);
    expect(v.reasons[3]).toBe("3 agents failing at once, at or past agents.escalate_when_failing 3");
    expect(agentHealth(silent, NOW, { ...DEFAULT_AGENTS_CONFIG, escalate_when_failing: 4 }).tier).toBe("warning");
    expect(agentHealth(silent, NOW, { ...DEFAULT_AGENTS_CONFIG, heartbeat_timeout_seconds: null }).tier).toBe("ok");
  });
});

describe("the session's day: several phases' runs together", () => {
  // PRE_MARKET: x (agent a) times out on its only attempt, so a failed the morning; y (agent b) succeeds.
  const morning = (() => {
    const w = { ...workflow([{ id: "x", agent: "a", task_type: "analyze", retry_attempts: 0 }, { id: "y", agent: "b", task_type: "analyze" }], "PRE_MARKET") };
    const start = startRun(w, DEFAULT_AGENTS_CONFIG, at(0));
    const y = start.dispatch.find((m) => m.task_id === "y")!;
    const answered = onResponse(start.run, answer(y, "success", { result: { regime: "trend" } }), at(10)).run;
    return onTick(answered, at(60)).run;
  })();
  // ACTIVE_TRADING, started later: a answers its new task partially; b's task is still in flight.
  const trading = (() => {
    const start = startRun(workflow([{ id: "p", agent: "a", task_type: "execute" }, { id: "q", agent: "b", task_type: "execute" }]), DEFAULT_AGENTS_CONFIG, at(600));
    const p = start.dispatch.find((m) => m.task_id === "p")!;
    return onResponse(start.run, answer(p, "partial", { result: { filled: 0.5 } }), at(615)).run;
  })();

  test("an agent's state is its state in the latest run involving it: a failed morning does not outlast a later answer", () => {
    expect(agentStates(morning).a.status).toBe("failed");
    expect(dayAgentStates([trading, morning])).toEqual({
      a: { status: "completed", last_run: iso(600), output: { filled: 0.5 }, reason: null },
      b: { status: "running", last_run: iso(600), output: { regime: "trend" }, reason: null },
    });
    expect(dayAgentStates([morning])).toEqual(agentStates(morning));
  });

  test("the day's metrics count every run's attempts: 4 sent, 1 success of 3 ended, answers after 10 s and 15 s, 1 timeout", () => {
    expect(dayMetrics([morning, trading])).toEqual({ agents_executed: 4, agent_success_rate: 1 / 3, average_response_time_ms: 12_500, error_count_by_type: { timeout: 1 } });
    expect(dayMetrics([])).toBeNull();
  });

  test("each agent is watched from the start of the first run that involves it, with its heartbeat", () => {
    const watches = agentWatches([trading, morning], new Map([["b", iso(590)]]));
    expect(watches).toEqual([
      { agent: "a", state: dayAgentStates([morning, trading]).a, last_heartbeat_at: null, watched_since: iso(0) },
      { agent: "b", state: dayAgentStates([morning, trading]).b, last_heartbeat_at: iso(590), watched_since: iso(0) },
    ]);
  });

  test("holds: a failed agent is held from when it first failed, as it was held; a recovered one is released", () => {
    const verdict = (agents: string[]) => ({ tier: "warning" as const, failed: agents.map((agent) => ({ agent, reasons: [`${agent} silent`] })), reasons: [] });
    const first = nextHolds({}, verdict(["a"]), at(60));
    expect(first).toEqual({ holds: { a: { reason: "a silent", since: iso(60) } }, held: ["a"], released: [] });
    const second = nextHolds(first.holds, verdict(["a", "b"]), at(120));
    expect(second).toEqual({ holds: { a: { reason: "a silent", since: iso(60) }, b: { reason: "b silent", since: iso(120) } }, held: ["b"], released: [] });
    expect(nextHolds(second.holds, verdict(["b"]), at(180))).toEqual({ holds: { b: { reason: "b silent", since: iso(120) } }, held: [], released: ["a"] });
    // Still failed, for a reason worded differently this minute: the hold stays as it was made (no write each minute).
    const reworded = { tier: "warning" as const, failed: [{ agent: "b", reasons: ["no heartbeat for 131 s"] }], reasons: [] };
    expect(nextHolds({ b: { reason: "no heartbeat for 71 s", since: iso(120) } }, reworded, at(240))).toEqual({ holds: { b: { reason: "no heartbeat for 71 s", since: iso(120) } }, held: [], released: [] });
  });
});

describe("cancelling a run (an emergency stop)", () => {
  test("undecided tasks are skipped with the reason, the attempt out is closed as cancelled, and its late answer changes nothing", () => {
    const start = startRun(workflow([{ id: "a", agent: "x", task_type: "analyze" }, { id: "b", agent: "y", task_type: "execute", depends_on: ["a"] }, { id: "c", agent: "z", task_type: "report" }]), DEFAULT_AGENTS_CONFIG, at(0));
    const cMessage = start.dispatch.find((m) => m.task_id === "c")!;
    const aMessage = start.dispatch.find((m) => m.task_id === "a")!;
    const answered = onResponse(start.run, answer(cMessage, "success"), at(5)).run;
    const cancelled = cancelRun(answered, "emergency stop: drill", at(10));
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.completed_at).toBe(iso(10));
    expect(statuses(cancelled)).toEqual({ a: "skipped", b: "skipped", c: "succeeded" });
    expect(cancelled.tasks.a.reason).toBe("emergency stop: drill");
    expect(cancelled.tasks.a.attempts).toEqual([{ attempt: 1, dispatched_at: iso(0), deadline: iso(60), outcome: "cancelled", ended_at: iso(10) }]);
    expect(cancelled.tasks.b.attempts).toEqual([]);
    // The cancelled attempt is neither a success nor a failure: 1 success of 1 ended.
    expect(runMetrics(cancelled)).toMatchObject({ agents_executed: 2, agent_success_rate: 1 });
    const late = onResponse(cancelled, answer(aMessage, "success"), at(12));
    expect(late.disposition).toBe("late");
    expect(late.dispatch).toEqual([]);
    expect(statuses(late.run)).toEqual(statuses(cancelled));
    expect(onTick(cancelled, at(120)).dispatch).toEqual([]);
    // Cancelling again, or a finished run, changes nothing.
    expect(cancelRun(cancelled, "again", at(20))).toBe(cancelled);
  });
});

describe("the run stays one Firestore document (1 MiB)", () => {
  test("the worst case: 50 tasks, 11 attempts each answered with the largest payload, duplicates past the kept ten, 10 strays", () => {
    const big = (chars: number) => "x".repeat(chars);
    const tasks = Array.from({ length: MAX_WORKFLOW_TASKS }, (_, i) => ({ id: `task-${String(i).padStart(3, "0")}-${big(100)}`, agent: `agent-${i}-${big(100)}`, task_type: "execute", retry_attempts: 10 }));
    let step = startRun(workflow(tasks), { ...DEFAULT_AGENTS_CONFIG, max_concurrent_agents: 50 }, at(0));
    let run = step.run;
    let pending = step.dispatch;
    let t = 1;
    // An answer whose result, errors and next_actions come to the limit.
    const payload = (status: TaskResponse["status"]) =>
      status === "success"
        ? { result: { blob: big(MAX_RESPONSE_PAYLOAD_CHARS - 60) }, errors: [], next_actions: [] }
        : { result: {}, errors: Array.from({ length: 19 }, (_, k) => ({ type: `${k}-${big(60)}`, message: big(120) })), next_actions: [] };
    for (let attempt = 1; attempt <= 11; attempt++) {
      const next: TaskMessage[] = [];
      for (const m of pending) {
        const status = attempt < 11 ? "failure" : "success";
        const reply = answer(m, status, payload(status));
        expect(JSON.stringify({ result: reply.result, errors: reply.errors, next_actions: reply.next_actions }).length).toBeLessThanOrEqual(MAX_RESPONSE_PAYLOAD_CHARS);
        const applied = onResponse(run, reply, at((t += 0.001)));
        run = applied.run;
        next.push(...applied.dispatch);
        for (let d = 0; d < 3; d++) run = onResponse(run, reply, at((t += 0.001))).run;
      }
      pending = next;
    }
    for (let k = 0; k < 10; k++) run = onResponse(run, { ...answer(step.dispatch[0], "success", payload("success")), task_id: `stray-${k}` }, at((t += 0.001))).run;
    expect(run.status).toBe("completed");
    expect(Object.values(run.tasks).every((task) => task.attempts.length === 11 && task.status === "succeeded")).toBe(true);
    const stored = JSON.stringify(storedRun(run));
    // Measured: about 0.62 MB; Firestore's limit is 1,048,576 bytes (less the path and field names' overhead).
    expect(Buffer.byteLength(stored)).toBeLessThan(800_000);
    // The errors of all 10 failures are still counted, though their answers were trimmed.
    expect(runMetrics(run).error_count_by_type[`0-${big(60)}`]).toBe(50 * 10);
  });
});

describe("property: for any DAG and any order of answers, timeouts and duplicates", () => {
  type Command = { kind: "answer"; pick: number; status: TaskResponse["status"]; attemptShift: -1 | 0 | 1; repeat: boolean } | { kind: "tick"; seconds: number };
  const command: fc.Arbitrary<Command> = fc.oneof(
    fc.record({ kind: fc.constant("answer" as const), pick: fc.nat(), status: fc.constantFrom("success" as const, "failure" as const, "partial" as const), attemptShift: fc.constantFrom(0 as const, 0 as const, -1 as const, 1 as const), repeat: fc.boolean() }),
    fc.record({ kind: fc.constant("tick" as const), seconds: fc.integer({ min: 0, max: 130 }) }),
  );
  const dag = fc.integer({ min: 1, max: 9 }).chain((n) =>
    fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        fc.record({
          deps: fc.subarray(Array.from({ length: i }, (_, j) => j)),
          priority: fc.constantFrom(...TASK_PRIORITIES),
          retry_attempts: fc.integer({ min: 0, max: 2 }),
        }),
      ),
    ),
  );

  test("no task runs before its dependencies completed, the limit holds, nothing is decided twice, and every task ends decided", () => {
    fc.assert(
      fc.property(dag, fc.integer({ min: 1, max: 4 }), fc.array(command, { maxLength: 40 }), (nodes, limit, commands) => {
        const id = (i: number) => `t${i}`;
        const wf = workflow(nodes.map((n, i) => ({ id: id(i), agent: `agent${i % 3}`, task_type: "analyze", depends_on: n.deps.map(id), priority: n.priority, retry_attempts: n.retry_attempts })));
        const config = { ...DEFAULT_AGENTS_CONFIG, max_concurrent_agents: limit };
        let clock = 0;
        let step: { run: WorkflowRun; dispatch: TaskMessage[] } = startRun(wf, config, at(clock));
        const messages: TaskMessage[] = [];

        const check = (before: WorkflowRun | null, after: { run: WorkflowRun; dispatch: TaskMessage[] }) => {
          const tasks = Object.values(after.run.tasks);
          const inFlight = tasks.filter((t) => t.status === "running" || t.status === "retrying");
          expect(inFlight.length).toBeLessThanOrEqual(limit);
          for (const m of after.dispatch) {
            const t = after.run.tasks[m.task_id];
            expect(["running", "retrying"]).toContain(t.status);
            expect(t.attempts.length).toBe(m.attempt);
            expect(m.attempt).toBeLessThanOrEqual(1 + t.retry_attempts);
            for (const d of t.depends_on) expect(["succeeded", "partial"]).toContain(after.run.tasks[d].status);
          }
          // Work-conserving: a free slot never leaves a ready task waiting.
          if (inFlight.length < limit) {
            const ready = tasks.filter((t) => t.status === "pending" && t.depends_on.every((d) => ["succeeded", "partial"].includes(after.run.tasks[d].status)));
            expect(ready).toEqual([]);
          }
          for (const t of tasks) {
            // The latest answered attempt's answer is the one applied answer kept; earlier ones are counted.
            const answeredAttempts = t.attempts.filter((a) => a.outcome !== null && a.outcome !== "timed_out" && a.outcome !== "cancelled");
            const kept = t.responses.filter((r) => r.disposition === "applied");
            expect(kept.map((r) => r.response.attempt)).toEqual(answeredAttempts.length ? [answeredAttempts[answeredAttempts.length - 1].attempt] : []);
            const old = before?.tasks[t.id];
            if (old && ["succeeded", "partial", "failed", "skipped"].includes(old.status)) {
              expect(t.status).toBe(old.status);
              expect(t.attempts).toEqual(old.attempts);
            }
          }
        };
        check(null, step);
        messages.push(...step.dispatch);

        for (const c of commands) {
          clock += 1;
          const before = step.run;
          if (c.kind === "tick") {
            clock += c.seconds;
            step = onTick(before, at(clock));
          } else {
            const inFlight = messages.filter((m) => before.tasks[m.task_id].attempts.length === m.attempt && before.tasks[m.task_id].attempts[m.attempt - 1].outcome === null);
            const pool = c.repeat || inFlight.length === 0 ? messages : inFlight;
            if (pool.length === 0) continue;
            const m = pool[c.pick % pool.length];
            step = onResponse(before, answer(m, c.status, { attempt: Math.max(1, m.attempt + c.attemptShift) }), at(clock));
          }
          check(before, step);
          messages.push(...step.dispatch);
        }
        // Agents fall silent: ticks past every deadline must decide every task.
        for (let i = 0; i < 40 && step.run.status === "running"; i++) {
          clock += 61;
          const before = step.run;
          step = onTick(before, at(clock));
          check(before, step);
        }
        const run = step.run;
        expect(run.status).toBe("completed");
        for (const t of Object.values(run.tasks)) {
          expect(["succeeded", "partial", "failed", "skipped"]).toContain(t.status);
          if (t.status === "skipped") expect(t.depends_on.some((d) => ["failed", "skipped"].includes(run.tasks[d].status))).toBe(true);
          else for (const d of t.depends_on) expect(["succeeded", "partial"]).toContain(run.tasks[d].status);
        }
      }),
      { numRuns: 300 },
    );
  });
});
