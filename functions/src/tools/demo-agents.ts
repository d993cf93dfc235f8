/**
 * The demo's strategy-agents act (issue 14): two simulated agents (tools/simulated-agent.ts,
 * in-process) taken through one trading day on a desk of their own, `demo-agents-desk`, so
 * the demo tenant's data is untouched:
 *  - the demo admin installs the desk's hours (09:30–16:00 UTC, 30-minute pre- and
 *    post-market windows) and a workflow per phase with updateMaestroConfig, and issues
 *    one credential per agent with issueAgentCredential;
 *  - `trend`, an analyst: analyzes before the open, confirms the trend during the session
 *    (silent on its first attempt, so the attempt times out and is retried), reviews the day;
 *  - `executor`: checks the venue at the open, enters after the analyst's confirmation
 *    (depends_on) by writing its own signal, reports its fills after the close.
 * The demo runs at any hour, so it drives the session's clock the way the schedule does:
 * market-cycle messages whose `slot` is the instant the clock is read at (today's start
 * of pre-market, open, close, end of post-market). Each move into a phase starts that
 * phase's run. The health check's minute, published as the schedule does (a `health_check`
 * message on maestro-tenant-jobs), times out the silent attempt and sends the retry, and
 * at the end derives the day's agent states and metrics onto the session. Deadlines and
 * timings are real time.
 */
import type { Firestore } from "firebase-admin/firestore";
import { venueDayOf } from "../core/market-hours";
import { TradingSessionSchema, type TradingSession } from "../schemas";
import { WORKFLOW_PHASES, WorkflowRunSchema, type TaskAttempt, type TaskRun, type WorkflowPhase, type WorkflowRun } from "../schemas/agents";
import { plainData } from "../store/firestore";
import { paths } from "../store/paths";
import { MARKET_CYCLE_TOPIC, agentTaskTopic } from "../store/pubsub";
import { TENANT_JOB_TOPIC, runIdOf } from "../store/tenant-jobs";
import { DEMO_PASSWORD, DEMO_USERS } from "./demo-data";
import { table } from "./demo-table";
import { publish, waitFor } from "./emulator-client";
import { startSimulatedAgent, type AgentEvent, type RunningAgent, type SimulatedAgentOptions } from "./simulated-agent";
import { webClient } from "./web-client";

export const AGENTS_DESK_TENANT_ID = "demo-agents-desk";

const HOURS = { time_zone: "UTC", open: "09:30", close: "16:00", trading_days: [1, 2, 3, 4, 5, 6, 7], holidays: [] as string[] };
const WINDOWS = { pre_market_minutes: 30, post_market_minutes: 30 };

/** Where the clock is read, and the phase it puts the session in: the start of pre-market, the open, the close, the end of post-market. */
const CLOCK: ReadonlyArray<{ at: string; phase: TradingSession["state"] }> = [
  { at: "09:00", phase: "PRE_MARKET" },
  { at: "09:30", phase: "ACTIVE_TRADING" },
  { at: "16:00", phase: "POST_MARKET" },
  { at: "16:30", phase: "SHUTDOWN" },
];

const AGENTS = ["trend", "executor"] as const;
type DeskAgent = (typeof AGENTS)[number];

const WORKFLOWS = {
  PRE_MARKET: [{ id: "overnight-scan", agent: "trend", task_type: "analyze", data: { universe: ["SPY", "QQQ", "IWM"] } }],
  SESSION_OPEN: [{ id: "opening-check", agent: "executor", task_type: "analyze", data: { check: "venue and spreads" } }],
  ACTIVE_TRADING: [
    // 2 s to answer and one retry: the analyst's first attempt goes unanswered.
    { id: "confirm-trend", agent: "trend", task_type: "analyze", priority: "high", timeout_seconds: 2, retry_attempts: 1, data: { ticker: "SPY" } },
    { id: "enter-spy", agent: "executor", task_type: "execute", depends_on: ["confirm-trend"], data: { signal: { action: "BUY", ticker: "SPY", allocation: 0.1 } } },
  ],
  POST_MARKET: [
    { id: "fills-report", agent: "executor", task_type: "report" },
    { id: "day-review", agent: "trend", task_type: "report", depends_on: ["fills-report"] },
  ],
};

const SCRIPTS: Record<DeskAgent, SimulatedAgentOptions["script"]> = {
  trend: {
    "overnight-scan": [{ kind: "answer", status: "success", result: { regime: "uptrend", watch: ["SPY"] }, delay_ms: 120 }],
    "confirm-trend": [{ kind: "silent" }, { kind: "answer", status: "success", result: { trend: "up", strength: 0.72 }, delay_ms: 80 }],
    "day-review": [{ kind: "answer", status: "success", result: { verdict: "trend held", entries: 1 }, delay_ms: 150 }],
  },
  executor: {
    "opening-check": [{ kind: "answer", status: "success", result: { venue: "open", spread_bps: 1.2 }, delay_ms: 60 }],
    "enter-spy": [{ kind: "answer", status: "success", result: { sleeve: "10% SPY" }, delay_ms: 200 }],
    "fills-report": [{ kind: "answer", status: "success", result: { signals_written: 1 }, delay_ms: 90 }],
  },
};

/** Agent events that mean something went wrong; printed if any. */
const TROUBLE = new Set(["answer_refused", "signal_denied", "heartbeat_refused", "subscription_error", "message_unreadable"]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const compact = (value: unknown, max = 44) => {
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

export async function strategyAgentsDemo(db: Firestore): Promise<void> {
  const tenantId = AGENTS_DESK_TENANT_ID;
  const admin = DEMO_USERS.find((u) => u.role === "admin" && u.uid === "demo-admin")!;
  const started = Date.now();
  // Times are printed from the first cycle's publication.
  let t0 = started;
  const since = (iso: string) => `+${((Date.parse(iso) - t0) / 1000).toFixed(2)} s`;

  // A desk of its own, from nothing (a second run against the same emulators starts over).
  await db.recursiveDelete(db.doc(paths.tenant(tenantId)));
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: "Demo Fund — agents desk", active: true });
  for (const s of AGENTS) batch.set(db.doc(paths.strategy(tenantId, s)), { name: s, enabled: true, capital_base: 50_000, manual_mode: null });
  batch.set(db.doc(paths.member(tenantId, admin.uid)), { role: "admin", email: admin.email });
  batch.set(db.doc(paths.accountSnapshot(tenantId)), { equity: 100_000, buying_power: 100_000, as_of: new Date().toISOString() });
  await batch.commit();

  console.log(`\nStrategy agents — tenant ${tenantId}: two simulated agents through one trading day (tools/demo-agents.ts)`);
  const client = await webClient({ email: admin.email, password: DEMO_PASSWORD });
  const events: Record<DeskAgent, AgentEvent[]> = { trend: [], executor: [] };
  const running: RunningAgent[] = [];
  const day = venueDayOf(new Date(), HOURS.time_zone);
  let tick: { at: string; first: TaskAttempt; retried: TaskAttempt | undefined; tier: unknown } | null = null;
  const runDoc = (phase: WorkflowPhase) => db.doc(paths.agentRun(tenantId, day, phase));
  const completed = (phase: WorkflowPhase) =>
    waitFor(`the ${phase} run to complete`, async () => ((await runDoc(phase).get()).get("status") === "completed" ? true : undefined), 30_000, 50);
  const cycleAt = async (at: string, phase: TradingSession["state"]) => {
    await publish(MARKET_CYCLE_TOPIC, { tenant_id: tenantId, slot: `${day}T${at}:00.000Z` });
    await waitFor(`the session in ${phase} after the cycle at ${at}`, async () => ((await db.doc(paths.tradingSession(tenantId, day)).get()).get("state") === phase ? true : undefined), 30_000, 50);
  };
  // The scheduled health check's minute, now: one health_check job for this tenant; its outcome once done.
  const healthCheck = async () => {
    const runId = runIdOf(new Date());
    await publish(TENANT_JOB_TOPIC, { job: "health_check", tenant_id: tenantId, run_id: runId });
    return waitFor(
      `the health check ${runId}`,
      async () => {
        const outcome = (await db.doc(paths.tenantJobOutcome("health_check", runId, tenantId)).get()).data();
        return outcome && outcome.status !== "retrying" ? outcome : undefined;
      },
      30_000,
      50,
    );
  };

  try {
    const config = await client.call("updateMaestroConfig", {
      tenant_id: tenantId,
      changes: { market_hours: HOURS, trading_session: WINDOWS, agents: { workflows: WORKFLOWS } },
      reason: "the agents desk: venue hours and a workflow per phase",
    });
    console.log(
      `  ${admin.email}: updateMaestroConfig → version ${config.version} (venue ${HOURS.open}–${HOURS.close} ${HOURS.time_zone} every day, ` +
        `${WINDOWS.pre_market_minutes} min pre-market, ${WINDOWS.post_market_minutes} min post-market; workflows for ${Object.keys(WORKFLOWS).join(", ")})`,
    );
    // The minute's health check before the day, while the agents start (it also starts the job's function in
    // the emulator, so the tick after the analyst's deadline is not held up by a cold start).
    const beforeDay = healthCheck();
    const issued = await Promise.allSettled(
      AGENTS.map(async (strategy) => {
        const credential = await client.call("issueAgentCredential", { tenant_id: tenantId, strategy_id: strategy, reason: `the demo's ${strategy} bot` });
        const options: SimulatedAgentOptions = { tenant_id: tenantId, strategy_id: strategy, custom_token: credential.custom_token, script: SCRIPTS[strategy], heartbeat_ms: 2_000 };
        running.push(await startSimulatedAgent(options, (e) => events[strategy].push(e)));
        return `${strategy} → ${credential.agent_id}`;
      }),
    );
    const before = await beforeDay;
    const failed = issued.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    console.log(`  ${admin.email}: issueAgentCredential → ${issued.map((r) => (r as PromiseFulfilledResult<string>).value).join(", ")}`);
    console.log(`  Both agents signed in with their custom tokens and subscribed to ${agentTaskTopic(tenantId)} (heartbeat every 2 s).`);
    console.log(`  Health check before the day: ${String(before.detail?.tier)}, no agent run yet.`);

    t0 = Date.now();
    await cycleAt(CLOCK[0].at, CLOCK[0].phase);
    await completed("PRE_MARKET");
    // The open walks the session through SESSION_OPEN into ACTIVE_TRADING in one move: both runs start.
    await cycleAt(CLOCK[1].at, CLOCK[1].phase);
    await completed("SESSION_OPEN");
    await waitFor("trend to receive confirm-trend", async () => events.trend.find((e) => e.event === "task_received" && e.task_id === "confirm-trend"), 30_000, 50);
    const first = WorkflowRunSchema.parse(plainData((await runDoc("ACTIVE_TRADING").get()).data())).tasks["confirm-trend"].attempts[0];
    await sleep(Date.parse(first.deadline) - Date.now() + 150);
    // The attempt past its deadline times out at the health check's tick, and the retry goes out.
    const check = await healthCheck();
    const [firstAfter, retried] = WorkflowRunSchema.parse(plainData((await runDoc("ACTIVE_TRADING").get()).data())).tasks["confirm-trend"].attempts;
    tick = { at: String(check.started_at), first: firstAfter, retried, tier: check.detail?.tier };
    await completed("ACTIVE_TRADING");
    // The open's cycle orchestrated (nothing was pending yet); the close's cycle must not race it.
    await waitFor("the open's orchestration", async () => ((await db.collection(paths.orchestrations(tenantId)).limit(1).get()).empty ? undefined : true), 30_000, 50);
    await cycleAt(CLOCK[2].at, CLOCK[2].phase);
    await completed("POST_MARKET");
    await cycleAt(CLOCK[3].at, CLOCK[3].phase);
    // The health check derives the day's agent states and metrics onto the session.
    await healthCheck();
  } finally {
    await Promise.all(running.map((a) => a.stop()));
    await client.close();
  }
  const finished = Date.now();

  const session = TradingSessionSchema.parse(plainData((await db.doc(paths.tradingSession(tenantId, day)).get()).data()));
  const runs = (await db.collection(paths.agentRuns(tenantId, day)).get()).docs
    .map((d) => WorkflowRunSchema.parse(plainData(d.data())))
    .sort((a, b) => WORKFLOW_PHASES.indexOf(a.phase) - WORKFLOW_PHASES.indexOf(b.phase));

  console.log(`  The clock, read at market-cycle slots of today (${day}) on ${MARKET_CYCLE_TOPIC}, whatever the hour now; the moves it made:`);
  for (const t of session.transitions) {
    const run = WORKFLOW_PHASES.includes(t.to as WorkflowPhase) ? session.agents.runs[t.to] : undefined;
    console.log(`    ${t.at.slice(11, 16)}Z  ${`${t.from} → ${t.to}`.padEnd(30)} ${run ? `run ${run.run_id} started ${since(run.started_at)}` : ""}`.trimEnd());
  }
  if (tick) {
    console.log(
      `  Health check at ${since(tick.at)} (a health_check job on ${TENANT_JOB_TOPIC}, as the minute's schedule publishes it): ` +
        `confirm-trend attempt 1 ${tick.first.outcome ?? "still in flight"} → ${tick.retried ? `attempt ${tick.retried.attempt} sent` : "no retry"}; health ${String(tick.tier)}`,
    );
  }

  console.log(`\nAgent tasks — tenants/${tenantId}/trading_sessions/${day}/agent_runs/{phase}, times from the first cycle's publication`);
  console.log(
    table(
      ["Phase", "Task", "Agent", "Type", "Depends on", "Try", "Sent", "Answered", "Agent work", "Outcome", "Task status", "Result"],
      runs.flatMap((run) => taskRows(run, since)),
      new Set([5, 6, 7, 8]),
    ),
  );
  console.log(
    "  Answered: the answer's arrival at Maestro less the sending (Pub/Sub delivery, the agent's work, its respondToAgentTask call; " +
      "a function's first call includes the emulator's cold start). Agent work: the answer's execution_time.",
  );

  const written = events.executor.find((e) => e.event === "signal_written");
  if (written) {
    const signal = (await db.doc(paths.signal(tenantId, String(written.signal_id))).get()).data() ?? {};
    console.log(
      `  enter-spy's signal: tenants/${tenantId}/signals/${String(written.signal_id)} — ${signal.action} ${signal.ticker} ${signal.allocation}, ` +
        `${signal.status}, created_by ${signal.created_by} (the executor's own credential; the next trading cycle orchestrates it)`,
    );
  }

  console.log(`\nAgent states — the session's agents.states, derived by the health check from the day's ${runs.length} runs`);
  const heartbeats = (agent: string) => (events[agent as DeskAgent] ?? []).filter((e) => e.event === "heartbeat").length;
  console.log(
    table(
      ["Agent", "Status", "Last run", "Output", "Heartbeats"],
      Object.entries(session.agents.states).map(([agent, s]) => [agent, s.status, s.last_run ? since(s.last_run) : "–", s.output ? compact(s.output, 60) : "–", String(heartbeats(agent))]),
      new Set([2, 4]),
    ),
  );
  const m = session.agents.metrics;
  if (m) {
    const errors = Object.entries(m.error_count_by_type);
    console.log(
      `Day's metrics (agents.metrics): ${m.agents_executed} agent executions, success rate ${m.agent_success_rate === null ? "–" : `${(m.agent_success_rate * 100).toFixed(2)}%`}, ` +
        `average response ${m.average_response_time_ms === null ? "–" : `${Math.round(m.average_response_time_ms)} ms`}, ` +
        `errors by type: ${errors.length ? errors.map(([type, n]) => `${type} ×${n}`).join(", ") : "none"}`,
    );
  }
  const trouble = AGENTS.flatMap((a) => events[a].filter((e) => TROUBLE.has(e.event)).map((e) => `${a}: ${e.event} ${compact(e, 120)}`));
  if (trouble.length) console.log(`Agent trouble:\n  ${trouble.join("\n  ")}`);
  console.log(`Both agents stopped (subscriptions closed, heartbeats off); the act took ${((finished - started) / 1000).toFixed(1)} s.`);
}

/** One row per attempt of each task, the run's tasks in the order they were first sent. */
function taskRows(run: WorkflowRun, since: (iso: string) => string): string[][] {
  const firstSent = (t: TaskRun) => t.attempts[0]?.dispatched_at ?? "~";
  const tasks = Object.values(run.tasks).sort((a, b) => firstSent(a).localeCompare(firstSent(b)) || a.id.localeCompare(b.id));
  const rows: string[][] = [];
  for (const task of tasks) {
    task.attempts.forEach((attempt, i) => {
      const answer = task.responses.find((r) => r.disposition === "applied" && r.response.attempt === attempt.attempt);
      const elapsed = (until: string) => `${Date.parse(until) - Date.parse(attempt.dispatched_at)} ms`;
      const answered = answer ? elapsed(answer.received_at) : attempt.outcome === "timed_out" && attempt.ended_at ? `– (${elapsed(attempt.ended_at)})` : "–";
      const work = answer ? `${Math.round(answer.response.execution_time)} ms` : "–";
      const last = i === task.attempts.length - 1;
      rows.push([
        rows.length === 0 ? run.phase : "",
        i === 0 ? task.id : "",
        i === 0 ? task.agent : "",
        i === 0 ? task.task_type : "",
        i === 0 && task.depends_on.length ? task.depends_on.join(", ") : "",
        String(attempt.attempt),
        since(attempt.dispatched_at),
        answered,
        work,
        attempt.outcome ?? "in flight",
        last ? task.status : "",
        last ? (answer ? compact(answer.response.result) : task.reason ?? "") : `timed out after ${task.timeout_seconds} s`,
      ]);
    });
    if (task.attempts.length === 0) rows.push([rows.length === 0 ? run.phase : "", task.id, task.agent, task.task_type, task.depends_on.join(", "), "", "", "", "", "", task.status, task.reason ?? ""]);
  }
  return rows;
}
