/**
 * Issue 14's proof on the emulators: three simulated agents, each its own process
 * (lib/tools/simulated-agent.js) signed in with its own credential and subscribed to the
 * tenant's task topic, run the ACTIVE_TRADING workflow that the session's move into the
 * phase starts:
 *   scan  (alpha, analyze)          — silent on attempt 1, so it times out (8 s); succeeds on the retry
 *   trade (beta, execute) after scan — writes its own signal, succeeds
 *   hedge (gamma, execute) beside them — its signal is for alpha, which the rules refuse;
 *                                      it answers partial, twice (the duplicate changes nothing)
 * Then: gamma's credential is revoked and its very next call is refused; beta stops and
 * goes silent; the health check holds beta's and gamma's entries (a warning each, one
 * alert each), and a cycle holds beta's BUY with AGENT_FAILED; with alpha silent too,
 * three agents failing at once is critical and the session's entries are paused.
 *
 * Every expected figure is worked out by hand from the scenario: 4 attempts sent (scan
 * twice, trade, hedge); 4 ended, 2 with success; errors one timeout and one signal_denied.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { FieldValue } from "firebase-admin/firestore";
import path from "node:path";
import { checkTenantHealth } from "../../src/stages/health";
import { paths } from "../../src/store/paths";
import { WorkflowRunSchema } from "../../src/schemas/agents";
import { TradingSessionSchema } from "../../src/schemas";
import type { AgentEvent, SimulatedAgentOptions } from "../../src/tools/simulated-agent";
import { webClient } from "../../src/tools/web-client";
import { adminDb, ampleAccountSnapshot, callCallable, memberOf, openAllDay, uniqueTenantId, waitFor, STEPS_WITHOUT_GUARDIAN } from "../support/emulator";

const db = adminDb();
const AGENT_BIN = path.resolve(__dirname, "../../lib/tools/simulated-agent.js");
const HEARTBEAT_TIMEOUT_S = 10;
/** Long enough for an answer on a loaded machine (a callable's first call starts its worker), short enough to wait for. */
const SCAN_TIMEOUT_S = 8;

interface AgentProcess {
  events: AgentEvent[];
  child: ChildProcessWithoutNullStreams;
  next: (what: string, match: (e: AgentEvent) => boolean, timeoutMs?: number) => Promise<AgentEvent>;
  stop: () => Promise<void>;
}

function spawnAgent(options: SimulatedAgentOptions): Promise<AgentProcess> {
  const child = spawn(process.execPath, [AGENT_BIN], { env: { ...process.env, MAESTRO_SIMULATED_AGENT: JSON.stringify(options) } });
  const events: AgentEvent[] = [];
  let buffered = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim()) events.push(JSON.parse(line) as AgentEvent);
    }
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const next = async (what: string, match: (e: AgentEvent) => boolean, timeoutMs = 60_000) => {
    try {
      return await waitFor(`${options.strategy_id}: ${what}`, async () => events.find(match), timeoutMs, 50);
    } catch (error) {
      throw new Error(`${String(error)} (events: ${events.map((e) => e.event).join(", ")}; stderr: ${stderr.slice(-500)})`);
    }
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  return next("ready", (e) => e.event === "ready" || e.event === "crashed", 60_000).then((ready) => {
    if (ready.event === "crashed") throw new Error(`agent ${options.strategy_id} crashed: ${String(ready.message)}`);
    return { events, child, next, stop };
  });
}

describe("the agents' workflow, with simulated agents as processes", () => {
  let tenantId: string;
  let admin: { uid: string; idToken: string };
  let trader: { uid: string; idToken: string };
  const agents: Record<string, AgentProcess> = {};
  const credentials: Record<string, string> = {};
  let day: string;

  const workflow = [
    { id: "scan", agent: "alpha", task_type: "analyze", timeout_seconds: SCAN_TIMEOUT_S, retry_attempts: 1, priority: "high" },
    { id: "trade", agent: "beta", task_type: "execute", depends_on: ["scan"], data: { signal: { action: "BUY", ticker: "SPY", allocation: 0.1 } } },
    { id: "hedge", agent: "gamma", task_type: "execute", data: { signal: { strategy_id: "alpha", action: "SELL", ticker: "QQQ", allocation: 0.05 } } },
  ];

  beforeAll(async () => {
    tenantId = uniqueTenantId("agentflow");
    const batch = db.batch();
    batch.set(db.doc(paths.tenant(tenantId)), { name: "Agent Flow Desk", active: true });
    batch.set(db.doc(paths.accountSnapshot(tenantId)), ampleAccountSnapshot());
    for (const s of ["alpha", "beta", "gamma"]) batch.set(db.doc(paths.strategy(tenantId, s)), { name: s, enabled: true, capital_base: 10_000, manual_mode: null });
    batch.set(
      db.doc(paths.config(tenantId)),
      openAllDay({ cycle_steps: STEPS_WITHOUT_GUARDIAN, agents: { heartbeat_timeout_seconds: HEARTBEAT_TIMEOUT_S, workflows: { ACTIVE_TRADING: workflow } } }),
    );
    await batch.commit();
    [admin, trader] = await Promise.all([memberOf(tenantId, "admin"), memberOf(tenantId, "trader")]);
    for (const s of ["alpha", "beta", "gamma"]) {
      const issued = await callCallable("issueAgentCredential", { tenant_id: tenantId, strategy_id: s, reason: `${s}'s bot` }, admin.idToken);
      expect(issued.error).toBeUndefined();
      credentials[s] = issued.result.agent_id;
      const script: SimulatedAgentOptions["script"] = {
        scan: [{ kind: "silent" }, { kind: "answer", status: "success", result: { regime: "trend" }, delay_ms: 100 }],
        hedge: [{ kind: "answer", status: "partial", result: { hedged: 0.5 }, errors: [], delay_ms: 100, duplicate: true }],
      };
      agents[s] = await spawnAgent({ tenant_id: tenantId, strategy_id: s, custom_token: issued.result.custom_token, heartbeat_ms: 3_000, script });
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(Object.values(agents).map((a) => a.stop()));
  });

  const readRun = async () => WorkflowRunSchema.parse((await db.doc(paths.agentRun(tenantId, day, "ACTIVE_TRADING")).get()).data());
  const readSession = async () => TradingSessionSchema.parse((await db.doc(paths.tradingSession(tenantId, day)).get()).data());

  test("the move into ACTIVE_TRADING starts the run; A times out once and succeeds on retry, B waits for A, C answers partial once", async () => {
    // The first cycle walks the session into ACTIVE_TRADING: the run starts in that move.
    const cycle = await callCallable("orchestrateNow", { tenant_id: tenantId }, trader.idToken);
    expect(cycle.error).toBeUndefined();
    day = (await db.collection(paths.tradingSessions(tenantId)).get()).docs[0].id;
    const session = await readSession();
    expect(session.agents.runs).toEqual({ ACTIVE_TRADING: { run_id: "ACTIVE_TRADING", started_at: expect.any(String) } });

    // scan (high priority) and hedge go out at once; trade waits for scan.
    const scan1 = await agents.alpha.next("scan attempt 1", (e) => e.event === "task_received" && e.task_id === "scan" && e.attempt === 1);
    expect(scan1.plan).toBe("silent");
    const hedge = await agents.gamma.next("hedge answered", (e) => e.event === "answered" && e.task_id === "hedge" && e.duplicate === false);
    expect(hedge.disposition).toBe("applied");
    expect(hedge.status).toBe("partial");
    const duplicate = await agents.gamma.next("hedge's duplicate", (e) => e.event === "answered" && e.task_id === "hedge" && e.duplicate === true);
    expect(duplicate.disposition).toBe("duplicate");
    // gamma's signal names alpha: the rules refuse it.
    expect(agents.gamma.events.find((e) => e.event === "signal_denied")).toMatchObject({ task_id: "hedge", code: "permission-denied" });
    expect(agents.beta.events.some((e) => e.event === "task_received")).toBe(false);

    // After scan's deadline, the health check's minute times it out and sends attempt 2.
    const sent = (await readRun()).tasks.scan.attempts[0];
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(sent.deadline) - Date.now()) + 100));
    const check = await checkTenantHealth(db, tenantId, { now: new Date(), broker: null });
    expect(check.agents.tier).toBe("ok");
    const scan2 = await agents.alpha.next("scan answered on attempt 2", (e) => e.event === "answered" && e.task_id === "scan" && e.attempt === 2);
    expect(scan2.disposition).toBe("applied");
    // Its answer releases trade, and beta writes its own signal.
    expect(scan2.dispatched).toEqual([{ task_id: "trade", agent_target: "beta", attempt: 1 }]);
    const trade = await agents.beta.next("trade answered", (e) => e.event === "answered" && e.task_id === "trade");
    expect(trade).toMatchObject({ status: "success", disposition: "applied" });
    const written = agents.beta.events.find((e) => e.event === "signal_written")!;
    const signal = (await db.doc(paths.signal(tenantId, String(written.signal_id))).get()).data()!;
    expect(signal).toMatchObject({ strategy_id: "beta", created_by: credentials.beta, status: "pending" });

    const run = await readRun();
    expect(run.status).toBe("completed");
    expect(Object.fromEntries(Object.values(run.tasks).map((t) => [t.id, t.status]))).toEqual({ scan: "succeeded", trade: "succeeded", hedge: "partial" });
    expect(run.tasks.scan.attempts.map((a) => a.outcome)).toEqual(["timed_out", "success"]);
    // trade went out only after scan's successful answer.
    expect(run.tasks.trade.attempts[0].dispatched_at >= run.tasks.scan.attempts[1].ended_at!).toBe(true);
    // The duplicate is recorded and changed nothing: hedge has one attempt, decided by the first answer.
    expect(run.tasks.hedge.attempts).toHaveLength(1);
    expect(run.tasks.hedge.responses.map((r) => r.disposition)).toEqual(["applied", "duplicate"]);
    const stored = (await db.doc(paths.agentRun(tenantId, day, "ACTIVE_TRADING")).get()).data()!;
    expect(stored.metrics).toMatchObject({ agents_executed: 4, agent_success_rate: 0.5, error_count_by_type: { timeout: 1, signal_denied: 1 } });
    expect(stored.agent_states).toMatchObject({ alpha: { status: "completed", output: { regime: "trend" } }, beta: { status: "completed" }, gamma: { status: "completed", output: { hedged: 0.5 } } });
    // Each agent received each attempt once: scan twice for alpha, trade once, hedge once.
    const received = (a: AgentProcess) => a.events.filter((e) => e.event === "task_received").map((e) => `${String(e.task_id)}#${String(e.attempt)}`);
    expect([received(agents.alpha), received(agents.beta), received(agents.gamma)]).toEqual([["scan#1", "scan#2"], ["trade#1"], ["hedge#1"]]);
  }, 180_000);

  test("an agent may answer only as itself, only its own tasks, in its own tenant", async () => {
    const answer = (as: string, extra: Record<string, unknown> = {}) => ({
      task_id: "scan", agent_name: as, status: "success", execution_time: 1, tenant_id: tenantId, day, run_id: "ACTIVE_TRADING", attempt: 2, ...extra,
    });
    // A member's token is not an agent's; nobody signed out may call.
    const byMember = await callCallable("respondToAgentTask", answer("alpha"), admin.idToken);
    expect(byMember.error).toEqual({ status: "PERMISSION_DENIED", message: "respondToAgentTask is for strategy agents: sign in with the custom token issueAgentCredential gave your agent" });
    expect((await callCallable("agentHeartbeat", { tenant_id: tenantId })).error?.status).toBe("UNAUTHENTICATED");

    // A second credential for alpha, signed in here as alpha's agent.
    const issued = await callCallable("issueAgentCredential", { tenant_id: tenantId, strategy_id: "alpha", reason: "alpha's second bot" }, admin.idToken);
    const alpha = await webClient({ customToken: issued.result.custom_token });
    const refusal = async (data: unknown) => {
      try {
        return { ok: await alpha.call("respondToAgentTask", data) };
      } catch (error) {
        const e = error as { code: string; message: string };
        // The web SDK appends the HTTP status to the message (" [403]").
        return { code: e.code, message: e.message.replace(/ \[\d{3}\]$/, "") };
      }
    };
    try {
      expect(await refusal(answer("beta"))).toEqual({ code: "functions/permission-denied", message: "agent_name: you are the agent of strategy 'alpha'; you may not answer as 'beta'" });
      expect(await refusal(answer("alpha", { task_id: "trade", attempt: 1 }))).toEqual({
        code: "functions/permission-denied",
        message: "task_id: task 'trade' of run ACTIVE_TRADING is sent to agent 'beta', not to you ('alpha')",
      });
      expect(await refusal(answer("alpha", { tenant_id: "another-desk" }))).toEqual({ code: "functions/permission-denied", message: `tenant_id: your credential is for tenant '${tenantId}', not 'another-desk'` });
      expect(await refusal(answer("alpha", { run_id: "POST_MARKET" }))).toEqual({ code: "functions/not-found", message: `run_id: no agent run 'POST_MARKET' on trading day ${day}` });
      expect(await refusal(answer("alpha", { result: { blob: "x".repeat(9_000) } }))).toMatchObject({
        code: "functions/invalid-argument",
        message: expect.stringMatching(/^result, errors, next_actions: must be at most 4096 characters as JSON together \(got 9\d{3}\)/),
      });
      expect(await refusal(answer("alpha", { status: "done" }))).toMatchObject({ code: "functions/invalid-argument", message: expect.stringContaining("status") });
      // Answering scan's second attempt again: already answered, so a duplicate that changes nothing.
      const again = await refusal(answer("alpha"));
      expect(again).toEqual({ ok: { disposition: "duplicate", task_status: "succeeded", run_status: "completed", dispatched: [] } });
      expect((await readRun()).tasks.scan.responses.map((r) => r.disposition)).toEqual(["applied", "duplicate"]);
    } finally {
      await alpha.close();
    }
  });

  test("a revoked credential is refused at its very next call", async () => {
    const before = agents.gamma.events.length;
    const revoked = await callCallable("revokeAgentCredential", { tenant_id: tenantId, agent_id: credentials.gamma, reason: "gamma misbehaved" }, admin.idToken);
    expect(revoked.error).toBeUndefined();
    const refused = await agents.gamma.next("a refused heartbeat", (e) => agents.gamma.events.indexOf(e) >= before && e.event === "heartbeat_refused", 20_000);
    expect(refused.code).toBe("functions/permission-denied");
    expect(String(refused.message)).toContain(`agent credential '${credentials.gamma}' was revoked at`);
    expect(String(refused.message)).toContain("gamma misbehaved");
    // From the first refusal on, every call is refused (one already in flight when the revocation committed may have passed).
    const from = agents.gamma.events.indexOf(refused);
    await agents.gamma.next("a second refused heartbeat", (e) => agents.gamma.events.indexOf(e) > from && e.event === "heartbeat_refused", 20_000);
    expect(agents.gamma.events.slice(from).some((e) => e.event === "heartbeat")).toBe(false);
  }, 60_000);

  test("silent agents are failed: their entries held with AGENT_FAILED and an alert each; three at once are critical and pause the session", async () => {
    await agents.beta.stop();
    // gamma's heartbeats are refused since its revocation; beta's stopped. alpha keeps beating.
    const lastBeta = [...agents.beta.events].reverse().find((e) => e.event === "heartbeat")!.at;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(lastBeta) + HEARTBEAT_TIMEOUT_S * 1000 - Date.now()) + 1_500));
    const warning = await checkTenantHealth(db, tenantId, { now: new Date(), broker: null });
    expect(warning.agents.tier).toBe("warning");
    expect(warning.agents.held).toEqual(["beta", "gamma"]);
    expect(warning.agents.failed.map((f) => f.agent)).toEqual(["beta", "gamma"]);
    expect(warning.agents.failed[0].reasons[0]).toMatch(/^no heartbeat for 1\d s, at or past agents.heartbeat_timeout_seconds 10$/);
    // One agent's failure is its own warning, not the desk's: the session is not paused.
    expect(warning.entries).toBeNull();
    const session = await readSession();
    expect(session.state).toBe("ACTIVE_TRADING");
    expect(Object.keys(session.agents.holds)).toEqual(["beta", "gamma"]);
    expect(session.agents.states.alpha.status).toBe("completed");
    expect(session.agents.metrics).toMatchObject({ agents_executed: 4, agent_success_rate: 0.5 });
    const alerts = await db.collection(`tenants/${tenantId}/alerts`).where("code", "==", "AGENT_FAILED").get();
    expect(alerts.docs.map((d) => d.get("title")).sort()).toEqual(["Agent beta failed", "Agent gamma failed"]);
    // A second check raises no second alert for the same failure, and, nothing having changed, does not write the session.
    const sessionBefore = await db.doc(paths.tradingSession(tenantId, day)).get();
    // A second later the verdict words the silence differently ("for 12 s"): the hold is not rewritten for that.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await checkTenantHealth(db, tenantId, { now: new Date(), broker: null });
    expect((await db.collection(`tenants/${tenantId}/alerts`).where("code", "==", "AGENT_FAILED").get()).size).toBe(2);
    expect((await db.doc(paths.tradingSession(tenantId, day)).get()).updateTime!.isEqual(sessionBefore.updateTime!)).toBe(true);

    // beta's next entry is held by the cycle; alpha's passes.
    const signals = db.collection(paths.signals(tenantId));
    await signals.doc("beta-buy").set({ strategy_id: "beta", action: "BUY", ticker: "SPY", allocation: 0.1, confidence: 0.7, reasoning: "r", status: "pending", created_at: FieldValue.serverTimestamp() });
    await signals.doc("alpha-buy").set({ strategy_id: "alpha", action: "BUY", ticker: "IWM", allocation: 0.1, confidence: 0.7, reasoning: "r", status: "pending", created_at: FieldValue.serverTimestamp() });
    const cycle = await callCallable("orchestrateNow", { tenant_id: tenantId }, trader.idToken);
    expect(cycle.error).toBeUndefined();
    const bySignal = Object.fromEntries((cycle.result.signals as Array<{ signal_id: string; interventions: Array<{ code: string }> }>).map((s) => [s.signal_id, s]));
    expect(bySignal["beta-buy"]).toMatchObject({ action: "HOLD", executable: false });
    expect(bySignal["beta-buy"].interventions.map((i) => i.code)).toEqual(["AGENT_FAILED"]);
    expect(bySignal["alpha-buy"]).toMatchObject({ action: "BUY", executable: true, interventions: [] });
    // The audit of that cycle accepts the hold (AGENT_FAILED is the trading session gate's, a hold to HOLD at 0).
    const audit = await waitFor("the cycle's audit", async () => {
      const snap = await db.collection(paths.audits(tenantId)).where("session_id", "==", cycle.result.session_id).get();
      return snap.empty ? undefined : snap.docs[0].data();
    });
    expect(audit.passed).toBe(true);

    // alpha silent as well, a minute on: three agents failing at once is critical; the session's entries are paused.
    await agents.alpha.stop();
    const critical = await checkTenantHealth(db, tenantId, { now: new Date(Date.now() + 60_000), broker: null });
    expect(critical.agents.tier).toBe("critical");
    expect(critical.tier).toBe("critical");
    expect(critical.reasons).toContain("3 agents failing at once, at or past agents.escalate_when_failing 3");
    expect(critical.emergency_stop.triggered).toBe(false);
    expect(critical.entries).toBe("paused");
    expect((await readSession()).state).toBe("PAUSED");
  }, 120_000);
});

describe("an emergency stop ends the day's agent runs", () => {
  test("the run is cancelled: the task out is closed, the waiting ones skipped, nothing more goes out, a late answer changes nothing; an agent's calls are rate-limited", async () => {
    const tenantId = uniqueTenantId("agentstop");
    const batch = db.batch();
    batch.set(db.doc(paths.tenant(tenantId)), { name: "Agent Stop Desk", active: true });
    batch.set(db.doc(paths.accountSnapshot(tenantId)), ampleAccountSnapshot());
    batch.set(db.doc(paths.strategy(tenantId, "alpha")), { name: "alpha", enabled: true, capital_base: 10_000, manual_mode: null });
    // Nobody listens: scan stays out, report waits for it.
    const workflow = [
      { id: "scan", agent: "alpha", task_type: "analyze" },
      { id: "report", agent: "alpha", task_type: "report", depends_on: ["scan"] },
    ];
    // Two agent calls a minute: enough for this test's answer and heartbeat, and a third is refused.
    batch.set(db.doc(paths.config(tenantId)), openAllDay({ cycle_steps: STEPS_WITHOUT_GUARDIAN, rate_limits: { agent_calls: 2 }, agents: { workflows: { ACTIVE_TRADING: workflow } } }));
    await batch.commit();
    const [admin, trader] = await Promise.all([memberOf(tenantId, "admin"), memberOf(tenantId, "trader")]);
    expect((await callCallable("orchestrateNow", { tenant_id: tenantId }, trader.idToken)).error).toBeUndefined();
    const day = (await db.collection(paths.tradingSessions(tenantId)).get()).docs[0].id;
    const runRef = db.doc(paths.agentRun(tenantId, day, "ACTIVE_TRADING"));
    expect(WorkflowRunSchema.parse((await runRef.get()).data()).status).toBe("running");

    const stop = await callCallable("emergencyStop", { tenant_id: tenantId, reason: "agents drill" }, admin.idToken);
    expect(stop.error).toBeUndefined();
    expect(stop.result.report.agent_runs_cancelled).toEqual(["ACTIVE_TRADING"]);
    const run = WorkflowRunSchema.parse((await runRef.get()).data());
    expect(run.status).toBe("cancelled");
    expect(run.tasks.scan).toMatchObject({ status: "skipped", reason: "emergency stop: agents drill" });
    expect(run.tasks.scan.attempts.map((a) => a.outcome)).toEqual(["cancelled"]);
    expect(run.tasks.report).toMatchObject({ status: "skipped", attempts: [] });

    // alpha's agent answers afterwards: late, and nothing goes out.
    const issued = await callCallable("issueAgentCredential", { tenant_id: tenantId, strategy_id: "alpha", reason: "late bot" }, admin.idToken);
    const alpha = await webClient({ customToken: issued.result.custom_token });
    try {
      const late = await alpha.call("respondToAgentTask", { task_id: "scan", agent_name: "alpha", status: "success", execution_time: 1, tenant_id: tenantId, day, run_id: "ACTIVE_TRADING", attempt: 1 });
      expect(late).toEqual({ disposition: "late", task_status: "skipped", run_status: "cancelled", dispatched: [] });
      // Each agent has its own allowance (rate_limits.agent_calls): the third call in the window is refused.
      expect(await alpha.call("agentHeartbeat", { tenant_id: tenantId })).toMatchObject({ strategy_id: "alpha" });
      const third = await alpha.call("agentHeartbeat", { tenant_id: tenantId }).then(
        () => null,
        (error: { code: string; message: string }) => error,
      );
      expect(third?.code).toBe("functions/resource-exhausted");
      expect(third?.message).toMatch(/^rate limit: at most 2 respondToAgentTask and agentHeartbeat calls per 60 s per user \(rate_limits\.agent_calls\); retry in \d+ s/);
    } finally {
      await alpha.close();
    }
  }, 60_000);
});
