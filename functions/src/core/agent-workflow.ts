/**
 * The workflow engine that conducts the strategy agents (issue 14, seed 001 SKILL_3;
 * seed 002's parallel and sequential coordination with dependency resolution), pure:
 * plain values in, plain values out, the clock passed in. A stage reads the run's
 * document, calls one of these, writes the run back and publishes the returned messages.
 *
 * A phase's workflow runs as a dependency graph:
 *  - a task is sent once every task it depends on has completed; tasks ready at once go
 *    in priority order (critical, high, normal, low), ties by id, while fewer than
 *    `max_concurrent_agents` are in flight;
 *  - `partial` satisfies a dependency like `success`. Seed 001's TASK_MESSAGE names its
 *    dependencies "completed_task_ids" and seed 002 runs a node once its dependencies are
 *    in `completed`, whatever their result: a partial answer is a completed task with a
 *    partial result. Retrying it instead would repeat its effect (a partly filled
 *    `execute` would be sent again), and failing it would skip work the result supports;
 *    the dependant gets to judge the result. It is reported as partial, not as success
 *    (agent_success_rate counts success only);
 *  - an attempt not answered by its deadline timed out; a timed-out or failed attempt is
 *    retried at once while `retry_attempts` remain (the retry keeps its slot), then the
 *    task fails and every task depending on it, directly or not, is skipped with the
 *    failed task named;
 *  - only the answer to the attempt in flight counts, and only once: a duplicate, an
 *    answer to an attempt that timed out, to a task already decided, from another agent,
 *    or naming a task the run does not have is kept for the record and changes nothing
 *    else. A response is judged against the deadline, not against when the last tick ran:
 *    `onResponse` applies the timeouts due by `now` first.
 */
import {
  TASK_PRIORITIES,
  RESPONSES_KEPT,
  type AgentHold,
  type AgentRunMetrics,
  type AgentState,
  type AgentsConfig,
  type ReceivedResponse,
  type ResponseDisposition,
  type TaskAttempt,
  type TaskMessage,
  type TaskResponse,
  type TaskRun,
  type TaskStatus,
  type Workflow,
  type WorkflowPhase,
  type WorkflowRun,
} from "../schemas/agents";
import type { HealthTier } from "./health";

/** What to run: a phase's workflow for one tenant's session day, under a run id the caller derives. */
export interface WorkflowToRun {
  tenant_id: string;
  day: string;
  phase: WorkflowPhase;
  run_id: string;
  tasks: Workflow;
}

/** The run after a move, and the messages to publish now (in this order). */
export interface WorkflowStep {
  run: WorkflowRun;
  dispatch: TaskMessage[];
}

export interface ResponseStep extends WorkflowStep {
  /** What the response did; null: it named no task of this run (kept in stray_responses). */
  disposition: ResponseDisposition | null;
}

const IN_FLIGHT: readonly TaskStatus[] = ["running", "retrying"];
/** A dependency is satisfied by these (see the header for partial). */
const COMPLETED: readonly TaskStatus[] = ["succeeded", "partial"];
const DECIDED: readonly TaskStatus[] = ["succeeded", "partial", "failed", "skipped"];

export const isInFlight = (t: TaskRun): boolean => IN_FLIGHT.includes(t.status);
export const isDecided = (t: TaskRun): boolean => DECIDED.includes(t.status);

const byPriorityThenId = (a: TaskRun, b: TaskRun): number =>
  TASK_PRIORITIES.indexOf(b.priority) - TASK_PRIORITIES.indexOf(a.priority) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const byId = (a: TaskRun, b: TaskRun): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const lastAttempt = (t: TaskRun): TaskAttempt | undefined => t.attempts[t.attempts.length - 1];

/** Attempts in all: the first plus its retries. */
const maxAttempts = (t: TaskRun): number => 1 + t.retry_attempts;

export function startRun(workflow: WorkflowToRun, config: AgentsConfig, now: Date): WorkflowStep {
  const at = now.toISOString();
  const tasks: Record<string, TaskRun> = {};
  for (const spec of workflow.tasks) {
    tasks[spec.id] = {
      id: spec.id,
      agent: spec.agent,
      task_type: spec.task_type,
      priority: spec.priority,
      depends_on: [...spec.depends_on],
      timeout_seconds: spec.timeout_seconds ?? config.agent_timeout_seconds,
      retry_attempts: spec.retry_attempts ?? config.retry_attempts,
      data: structuredClone(spec.data),
      status: "pending",
      attempts: [],
      responses: [],
      responses_not_kept: 0,
      error_counts: {},
      reason: null,
    };
  }
  const run: WorkflowRun = {
    tenant_id: workflow.tenant_id,
    day: workflow.day,
    phase: workflow.phase,
    run_id: workflow.run_id,
    max_concurrent_agents: config.max_concurrent_agents,
    status: "running",
    started_at: at,
    completed_at: null,
    tasks,
    stray_responses: [],
    stray_responses_not_kept: 0,
    updated_at: at,
  };
  return { run, dispatch: fill(run, now) };
}

/**
 * Ends the run at once (an emergency stop: nothing more may go out): every undecided task
 * is skipped with `reason`, an attempt still out is closed as cancelled (an answer to it
 * arrives late and changes nothing). A run already over is returned unchanged.
 */
export function cancelRun(previous: WorkflowRun, reason: string, now: Date): WorkflowRun {
  if (previous.status !== "running") return previous;
  const run = structuredClone(previous);
  const at = now.toISOString();
  for (const task of Object.values(run.tasks)) {
    if (isDecided(task)) continue;
    const open = isInFlight(task) ? lastAttempt(task) : undefined;
    if (open && open.outcome === null) {
      open.outcome = "cancelled";
      open.ended_at = at;
    }
    task.status = "skipped";
    task.reason = reason;
  }
  run.status = "cancelled";
  run.completed_at = at;
  run.updated_at = at;
  return run;
}

/** Timeouts due by `now`: each retried while attempts remain, else failed with its dependants skipped. */
export function onTick(previous: WorkflowRun, now: Date): WorkflowStep {
  const run = structuredClone(previous);
  run.updated_at = now.toISOString();
  const dispatch = expire(run, now);
  dispatch.push(...fill(run, now));
  return { run, dispatch };
}

export function onResponse(previous: WorkflowRun, response: TaskResponse, now: Date): ResponseStep {
  const run = structuredClone(previous);
  const at = now.toISOString();
  run.updated_at = at;
  const dispatch = expire(run, now);

  // An attempt the timeouts just opened cannot have been answered yet: only those sent before count.
  const sentBefore = previous.tasks[response.task_id]?.attempts.length ?? 0;
  const disposition = receive(run, response, now, sentBefore, dispatch);
  dispatch.push(...fill(run, now));
  return { run, dispatch, disposition };
}

/** Records the response and applies it when it answers the attempt in flight (a retry it calls for is added to `retries`). */
function receive(run: WorkflowRun, response: TaskResponse, now: Date, sentBefore: number, retries: TaskMessage[]): ResponseDisposition | null {
  const at = now.toISOString();
  const task = response.run_id === run.run_id && response.tenant_id === run.tenant_id ? run.tasks[response.task_id] : undefined;
  if (!task) {
    if (run.stray_responses.length < RESPONSES_KEPT) run.stray_responses.push({ received_at: at, response: trim({ received_at: at, disposition: "unknown_attempt", response, payload_trimmed: false }).response });
    else run.stray_responses_not_kept += 1;
    return null;
  }
  // Only the last attempt can be open; an earlier one ended in a timeout or an answer.
  const answered = response.attempt <= sentBefore ? task.attempts[response.attempt - 1] : undefined;
  let disposition: ResponseDisposition;
  if (response.agent_name !== task.agent) disposition = "wrong_agent";
  else if (!answered) disposition = "unknown_attempt";
  else if (answered.outcome === "timed_out" || answered.outcome === "cancelled") disposition = "late";
  else if (answered.outcome !== null) disposition = "duplicate";
  else disposition = "applied";

  record(task, { received_at: at, disposition, response, payload_trimmed: false });
  if (disposition === "applied" && answered) {
    for (const e of response.errors) task.error_counts[e.type] = (task.error_counts[e.type] ?? 0) + 1;
    if (response.status === "failure" && response.errors.length === 0) task.error_counts.unspecified = (task.error_counts.unspecified ?? 0) + 1;
    answered.outcome = response.status;
    answered.ended_at = at;
    if (response.status === "success") task.status = "succeeded";
    else if (response.status === "partial") task.status = "partial";
    else {
      const retry = retryOrFail(run, task, now, `answered failure (${describeErrors(response)})`);
      if (retry) retries.push(retry);
    }
  }
  return disposition;
}

function record(task: TaskRun, received: ReceivedResponse): void {
  // The task's latest applied answer is kept whole: it decided the task (or its latest
  // attempt), and a reader wants its result. An earlier attempt's answer is then only
  // counted: its attempt keeps how it ended and when, and its errors are counted on the
  // task. Every other answer is kept trimmed, up to RESPONSES_KEPT. So the run stays one
  // document however agents answer.
  if (received.disposition === "applied") {
    const earlier = task.responses.filter((r) => r.disposition === "applied").length;
    task.responses = task.responses.filter((r) => r.disposition !== "applied");
    task.responses_not_kept += earlier;
    task.responses.push(received);
  } else if (task.responses.filter((r) => r.disposition !== "applied").length < RESPONSES_KEPT) task.responses.push(trim(received));
  else task.responses_not_kept += 1;
}

function trim(received: ReceivedResponse): ReceivedResponse {
  if (received.payload_trimmed) return received;
  const r = received.response;
  return {
    ...received,
    payload_trimmed: true,
    response: { ...r, result: {}, next_actions: [], errors: [] },
  };
}

function describeErrors(response: TaskResponse): string {
  return response.errors.length ? response.errors.map((e) => `${e.type}: ${e.message}`).join("; ") : "no error given";
}

/** Ends every in-flight attempt whose deadline has come; returns the retries to send. */
function expire(run: WorkflowRun, now: Date): TaskMessage[] {
  const at = now.toISOString();
  const retries: TaskMessage[] = [];
  for (const task of Object.values(run.tasks).filter(isInFlight).sort(byId)) {
    const attempt = lastAttempt(task);
    if (!attempt || Date.parse(attempt.deadline) > now.getTime()) continue;
    attempt.outcome = "timed_out";
    attempt.ended_at = at;
    const retry = retryOrFail(run, task, now, `timed out (no answer within ${task.timeout_seconds} s)`);
    if (retry) retries.push(retry);
  }
  return retries;
}

/** After an attempt ended in a timeout or a failure: the next attempt's message, or null when the task failed. */
function retryOrFail(run: WorkflowRun, task: TaskRun, now: Date, cause: string): TaskMessage | null {
  const made = task.attempts.length;
  if (made < maxAttempts(task)) {
    task.status = "retrying";
    return send(run, task, now);
  }
  task.status = "failed";
  task.reason = `attempt ${made} of ${maxAttempts(task)} ${cause}`;
  skipDependants(run, task.id);
  return null;
}

/** Every task that depends on the failed one, directly or through others, is skipped; each reason names the failed task. */
function skipDependants(run: WorkflowRun, failedId: string): void {
  const queue = [failedId];
  while (queue.length) {
    const cause = queue.shift()!;
    const dependants = Object.values(run.tasks)
      .filter((t) => t.status === "pending" && t.depends_on.includes(cause))
      .sort(byId);
    for (const t of dependants) {
      t.status = "skipped";
      t.reason = cause === failedId ? `dependency "${failedId}" failed` : `dependency "${cause}" was skipped (dependency "${failedId}" failed)`;
      queue.push(t.id);
    }
  }
}

/** Sends the ready tasks, best first, into the free slots; marks the run completed when every task is decided. */
function fill(run: WorkflowRun, now: Date): TaskMessage[] {
  const tasks = Object.values(run.tasks);
  const free = run.max_concurrent_agents - tasks.filter(isInFlight).length;
  const ready = tasks
    .filter((t) => t.status === "pending" && t.depends_on.every((d) => COMPLETED.includes(run.tasks[d]?.status)))
    .sort(byPriorityThenId)
    .slice(0, Math.max(0, free));
  const sent = ready.map((task) => {
    task.status = "running";
    return send(run, task, now);
  });
  if (run.status === "running" && tasks.every(isDecided)) {
    run.status = "completed";
    run.completed_at = now.toISOString();
  }
  return sent;
}

/** Opens the task's next attempt and returns its message. */
function send(run: WorkflowRun, task: TaskRun, now: Date): TaskMessage {
  const attempt = task.attempts.length + 1;
  task.attempts.push({
    attempt,
    dispatched_at: now.toISOString(),
    deadline: new Date(now.getTime() + task.timeout_seconds * 1000).toISOString(),
    outcome: null,
    ended_at: null,
  });
  return {
    task_id: task.id,
    agent_target: task.agent,
    task_type: task.task_type,
    priority: task.priority,
    data: structuredClone(task.data),
    dependencies: [...task.depends_on],
    timeout: task.timeout_seconds,
    retry_count: task.retry_attempts,
    tenant_id: run.tenant_id,
    day: run.day,
    run_id: run.run_id,
    attempt,
  };
}

// ---------------------------------------------------------------------------
// Projections: seed 001's metrics and SESSION_STATE.agent_states
// ---------------------------------------------------------------------------

const applied = (t: TaskRun): ReceivedResponse[] => t.responses.filter((r) => r.disposition === "applied");

/** Seed 001 METRICS_TO_TRACK for one run. */
export function runMetrics(run: WorkflowRun): AgentRunMetrics {
  let executed = 0;
  let ended = 0;
  let succeeded = 0;
  const responseTimes: number[] = [];
  const errors: Record<string, number> = {};
  const count = (type: string) => (errors[type] = (errors[type] ?? 0) + 1);
  for (const task of Object.values(run.tasks)) {
    for (const a of task.attempts) {
      executed += 1;
      // A cancelled attempt is not the agent's doing: it is neither a success nor a failure.
      if (a.outcome !== null && a.outcome !== "cancelled") ended += 1;
      if (a.outcome === "success") succeeded += 1;
      if (a.outcome === "timed_out") count("timeout");
    }
    // An answered attempt ended when its answer was applied.
    for (const a of task.attempts) if (a.outcome === "success" || a.outcome === "partial" || a.outcome === "failure") responseTimes.push(Date.parse(a.ended_at!) - Date.parse(a.dispatched_at));
    for (const [type, n] of Object.entries(task.error_counts)) errors[type] = (errors[type] ?? 0) + n;
  }
  return {
    agents_executed: executed,
    agent_success_rate: ended ? succeeded / ended : null,
    average_response_time_ms: responseTimes.length ? responseTimes.reduce((s, x) => s + x, 0) / responseTimes.length : null,
    error_count_by_type: errors,
  };
}

/**
 * Each agent of the run, as seed 001's SESSION_STATE.agent_states holds it: running while
 * one of its tasks is in flight, else failed when one of its tasks failed, else completed
 * when it has completed a task and has none waiting, else idle. last_run is its last
 * sending; output the result of its last applied answer.
 */
export function agentStates(run: WorkflowRun): Record<string, AgentState> {
  const byAgent = new Map<string, TaskRun[]>();
  for (const task of Object.values(run.tasks).sort(byId)) byAgent.set(task.agent, [...(byAgent.get(task.agent) ?? []), task]);
  const states: Record<string, AgentState> = {};
  for (const [agent, tasks] of [...byAgent].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const sendings = tasks.flatMap((t) => t.attempts.map((a) => a.dispatched_at)).sort();
    const answers = tasks.flatMap(applied).sort((a, b) => (a.received_at < b.received_at ? -1 : a.received_at > b.received_at ? 1 : 0));
    const failed = tasks.find((t) => t.status === "failed");
    let status: AgentState["status"] = "idle";
    if (tasks.some(isInFlight)) status = "running";
    else if (failed) status = "failed";
    else if (tasks.some((t) => COMPLETED.includes(t.status)) && !tasks.some((t) => t.status === "pending")) status = "completed";
    states[agent] = {
      status,
      last_run: sendings.length ? sendings[sendings.length - 1] : null,
      output: answers.length ? structuredClone(answers[answers.length - 1].response.result) : null,
      reason: status === "failed" && failed ? `task "${failed.id}" failed: ${failed.reason}` : null,
    };
  }
  return states;
}

// ---------------------------------------------------------------------------
// Agent health (seed 001 "Error Handling": an individual agent failure is a warning)
// ---------------------------------------------------------------------------

/** What the health check knows of one agent. */
export interface AgentWatch {
  agent: string;
  /** Its state from the session's runs (agentStates); null: no run has involved it yet. */
  state: AgentState | null;
  /** Its last heartbeat (ISO); null: none yet. */
  last_heartbeat_at: string | null;
  /** Since when a heartbeat is expected of it (ISO), e.g. when the session's first run involving it started. */
  watched_since: string;
}

export interface AgentHealthVerdict {
  /** ok: none failing; warning: fewer than escalate_when_failing; critical: that many or more. */
  tier: Extract<HealthTier, "ok" | "warning" | "critical">;
  /** The failed agents, in name order: their entries are to be paused and an alert raised. */
  failed: Array<{ agent: string; reasons: string[] }>;
  /** One sentence per failed agent, then the escalation when there is one. */
  reasons: string[];
}

export function agentHealth(agents: readonly AgentWatch[], now: Date, config: Pick<AgentsConfig, "heartbeat_timeout_seconds" | "escalate_when_failing">): AgentHealthVerdict {
  const failed: AgentHealthVerdict["failed"] = [];
  for (const w of [...agents].sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0))) {
    const reasons: string[] = [];
    if (w.state?.status === "failed") reasons.push(`missed its task: ${w.state.reason ?? "a task failed"}`);
    const timeout = config.heartbeat_timeout_seconds;
    if (timeout !== null) {
      const since = w.last_heartbeat_at !== null && w.last_heartbeat_at > w.watched_since ? w.last_heartbeat_at : w.watched_since;
      const silent = Math.floor((now.getTime() - Date.parse(since)) / 1000);
      if (silent >= timeout) {
        reasons.push(
          w.last_heartbeat_at === null
            ? `no heartbeat in ${silent} s since it was expected, at or past agents.heartbeat_timeout_seconds ${timeout}`
            : `no heartbeat for ${silent} s, at or past agents.heartbeat_timeout_seconds ${timeout}`,
        );
      }
    }
    if (reasons.length) failed.push({ agent: w.agent, reasons });
  }
  const reasons = failed.map((f) => `agent ${f.agent} failed: ${f.reasons.join("; ")}`);
  let tier: AgentHealthVerdict["tier"] = failed.length ? "warning" : "ok";
  if (failed.length >= config.escalate_when_failing) {
    tier = "critical";
    reasons.push(`${failed.length} agents failing at once, at or past agents.escalate_when_failing ${config.escalate_when_failing}`);
  }
  return { tier, failed, reasons };
}

/** Characters of an agent's output kept where its state is stored beside others' (the session, the run's summary). */
export const OUTPUT_KEPT_CHARS = 1_024;

/** The states with each output longer than OUTPUT_KEPT_CHARS as JSON replaced by its size (the whole output stays on its task's answer). */
export function clippedStates(states: Record<string, AgentState>): Record<string, AgentState> {
  return Object.fromEntries(
    Object.entries(states).map(([agent, state]) => {
      const chars = state.output === null ? 0 : JSON.stringify(state.output).length;
      return [agent, chars > OUTPUT_KEPT_CHARS ? { ...state, output: { clipped: true, chars } } : state];
    }),
  );
}

/** The run as its document holds it: the run, and its metrics and (clipped) agent states for readers. The core reads only the run. */
export function storedRun(run: WorkflowRun): WorkflowRun & { metrics: AgentRunMetrics; agent_states: Record<string, AgentState> } {
  return { ...run, metrics: runMetrics(run), agent_states: clippedStates(agentStates(run)) };
}

// ---------------------------------------------------------------------------
// The session's day: several phases' runs together (the health check's view)
// ---------------------------------------------------------------------------

const byStart = (a: WorkflowRun, b: WorkflowRun): number => (a.started_at < b.started_at ? -1 : a.started_at > b.started_at ? 1 : 0);

/**
 * Each agent's state for the day: its state in the latest run that involves it, so an
 * agent that failed a morning task gets a fresh start in the next phase's run (and is
 * held only while its latest run says failed); its output is its latest answer's of the day.
 */
export function dayAgentStates(runs: readonly WorkflowRun[]): Record<string, AgentState> {
  const states: Record<string, AgentState> = {};
  for (const run of [...runs].sort(byStart)) {
    for (const [agent, state] of Object.entries(agentStates(run))) states[agent] = state.output === null && states[agent] ? { ...state, output: states[agent].output } : state;
  }
  return Object.fromEntries(Object.entries(states).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Seed 001's metrics over every run of the day (null: no run yet). */
export function dayMetrics(runs: readonly WorkflowRun[]): AgentRunMetrics | null {
  if (runs.length === 0) return null;
  const tasks: Record<string, TaskRun> = {};
  for (const run of runs) for (const [id, task] of Object.entries(run.tasks)) tasks[`${run.run_id}/${id}`] = task;
  return runMetrics({ ...runs[0], tasks });
}

/** What the health check watches: every agent of the day's runs, from the start of the first run that involves it. */
export function agentWatches(runs: readonly WorkflowRun[], heartbeats: ReadonlyMap<string, string>): AgentWatch[] {
  const since = new Map<string, string>();
  for (const run of [...runs].sort(byStart)) {
    for (const task of Object.values(run.tasks)) if (!since.has(task.agent)) since.set(task.agent, run.started_at);
  }
  const states = dayAgentStates(runs);
  return [...since].map(([agent, watched_since]) => ({ agent, state: states[agent] ?? null, last_heartbeat_at: heartbeats.get(agent) ?? null, watched_since }));
}

export interface HoldChange {
  /** The holds to store: every failed agent, held since it first failed. */
  holds: Record<string, AgentHold>;
  /** Agents held by this check that were not before. */
  held: string[];
  /** Agents no longer held. */
  released: string[];
}

/**
 * The holds after a health verdict: a failed agent is held, a recovered one released. A hold
 * stays as it was made (why and since when) while the agent stays failed: the verdict's
 * reasons change every minute ("no heartbeat for 71 s", "… 131 s"), and rewriting them
 * would write the session every minute; each check's own reasons are in its health record.
 */
export function nextHolds(previous: Readonly<Record<string, AgentHold>>, verdict: AgentHealthVerdict, now: Date): HoldChange {
  const holds: Record<string, AgentHold> = {};
  const held: string[] = [];
  for (const f of verdict.failed) {
    const before = Object.hasOwn(previous, f.agent) ? previous[f.agent] : undefined;
    holds[f.agent] = before ?? { reason: f.reasons.join("; "), since: now.toISOString() };
    if (!before) held.push(f.agent);
  }
  const released = Object.keys(previous).filter((a) => !Object.hasOwn(holds, a)).sort();
  return { holds, held, released };
}
