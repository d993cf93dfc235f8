/**
 * The agents' workflow runs in Firestore (issue 14):
 * `tenants/{t}/trading_sessions/{day}/agent_runs/{phase}`, one per phase of the day that
 * has a workflow, moved by the pure core (core/agent-workflow.ts).
 *
 * - A run starts in the same transaction as the session's move into its phase
 *   (`startEnteredPhases`, called by moveTradingSession): the session lists it under
 *   `agents.runs`, so a phase's run starts once a day whoever moves the session there (the
 *   clock, or an admin's resume). Its first tasks are published after the commit.
 * - Every later move of a run is one transaction: read the run, call the core (`onResponse`
 *   for an agent's answer, `onTick` for the health check's minute), write it back; then
 *   publish the messages the move returned. A publish that fails is logged and not
 *   retried here: the attempt it carried times out and the core sends the next one, so a
 *   lost message costs one timeout, never the task.
 * - Each message goes on the tenant's topic (store/pubsub.ts agentTaskTopic) with the
 *   attributes agent_target, task_id, attempt; `task_id` + `attempt` is the key an agent
 *   uses to ignore a redelivery.
 * The run document also carries its metrics and agent states (derived, for readers); the
 * core reads only the run.
 */
import type { DocumentReference, Firestore, Transaction } from "firebase-admin/firestore";
import { cancelRun, onResponse, onTick, startRun, storedRun } from "../core/agent-workflow";
import {
  AgentHeartbeatSchema,
  WORKFLOW_PHASES,
  WorkflowRunSchema,
  type AgentHeartbeat,
  type AgentsConfig,
  type ResponseDisposition,
  type TaskMessage,
  type TaskResponse,
  type WorkflowPhase,
  type WorkflowRun,
} from "../schemas/agents";
import { parseWithReason, type TradingSession } from "../schemas";
import { logEvent } from "../log-events";
import { IoCount, plainData, storable } from "./firestore";
import { paths } from "./paths";
import { agentTaskTopic, publishCreatingTopic } from "./pubsub";

/** A run's id is its phase: one run per phase per session day. */
export const runIdOf = (phase: WorkflowPhase): string => phase;

const isWorkflowPhase = (state: string): state is WorkflowPhase => (WORKFLOW_PHASES as readonly string[]).includes(state);

/** The run as stored: the run itself, and its metrics and agent states for readers. */
function stored(run: WorkflowRun): Record<string, unknown> {
  return storable(storedRun(run));
}

/**
 * Inside the transaction that moved `session` (already moved): starts the workflow of each
 * phase the moves entered that has one and has not run today. Returns the session with
 * the runs listed, and the messages to publish once the transaction commits.
 */
export function startEnteredPhases(
  tx: Transaction,
  db: Firestore,
  session: TradingSession,
  entered: readonly string[],
  agents: AgentsConfig,
  now: Date,
): { session: TradingSession; dispatch: TaskMessage[] } {
  const dispatch: TaskMessage[] = [];
  let next = session;
  for (const phase of entered) {
    if (!isWorkflowPhase(phase)) continue;
    const tasks = agents.workflows[phase];
    if (!tasks || next.agents.runs[phase]) continue;
    const runId = runIdOf(phase);
    const step = startRun({ tenant_id: session.tenant_id, day: session.day, phase, run_id: runId, tasks }, agents, now);
    tx.create(db.doc(paths.agentRun(session.tenant_id, session.day, runId)), stored(step.run));
    next = { ...next, agents: { ...next.agents, runs: { ...next.agents.runs, [phase]: { run_id: runId, started_at: step.run.started_at } } } };
    dispatch.push(...step.dispatch);
  }
  return { session: next, dispatch };
}

export interface PublishReport {
  published: number;
  failed: Array<{ task_id: string; attempt: number; error: string }>;
}

/**
 * Publishes the messages on the tenant's topic, all at once (the client batches them; Pub/Sub
 * promises no order anyway). A failure is logged and left to the attempt's timeout.
 */
export async function publishTasks(tenantId: string, messages: readonly TaskMessage[]): Promise<PublishReport> {
  const report: PublishReport = { published: 0, failed: [] };
  await Promise.all(
    messages.map(async (message) => {
      try {
        await publishCreatingTopic(agentTaskTopic(tenantId), message, {
          tenant_id: message.tenant_id,
          agent_target: message.agent_target,
          task_id: message.task_id,
          attempt: String(message.attempt),
          run_id: message.run_id,
        });
        report.published += 1;
        logEvent.agentTaskSent({ tenant_id: tenantId, day: message.day, run_id: message.run_id, task_id: message.task_id, agent: message.agent_target, attempt: message.attempt });
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        report.failed.push({ task_id: message.task_id, attempt: message.attempt, error: why });
        logEvent.agentTaskNotSent({ tenant_id: tenantId, day: message.day, run_id: message.run_id, task_id: message.task_id, attempt: message.attempt, error: why });
      }
    }),
  );
  return report;
}

export interface DayRuns {
  runs: WorkflowRun[];
  /** Run documents that do not parse: named, left alone. */
  malformed: Array<{ run_id: string; reason: string }>;
}

/** The session day's runs, in phase order. */
export async function readDayRuns(db: Firestore, tenantId: string, day: string, io = new IoCount()): Promise<DayRuns> {
  const snap = await db.collection(paths.agentRuns(tenantId, day)).get();
  io.read(snap);
  const out: DayRuns = { runs: [], malformed: [] };
  for (const doc of snap.docs) {
    const parsed = parseWithReason(WorkflowRunSchema, plainData(doc.data()));
    if (parsed.ok) out.runs.push(parsed.value);
    else out.malformed.push({ run_id: doc.id, reason: parsed.reason });
  }
  out.runs.sort((a, b) => WORKFLOW_PHASES.indexOf(a.phase) - WORKFLOW_PHASES.indexOf(b.phase));
  return out;
}

/** A run that cannot be moved: missing, or malformed (never overwritten). */
export class AgentRunUnavailable extends Error {
  constructor(
    readonly kind: "not-found" | "malformed",
    message: string,
  ) {
    super(message);
  }
}

async function readRunIn(tx: Transaction, ref: DocumentReference, runId: string, day: string): Promise<WorkflowRun> {
  const snap = await tx.get(ref);
  if (!snap.exists) throw new AgentRunUnavailable("not-found", `run_id: no agent run '${runId}' on trading day ${day}`);
  const parsed = parseWithReason(WorkflowRunSchema, plainData(snap.data()));
  if (!parsed.ok) throw new AgentRunUnavailable("malformed", `agent run ${ref.path} is malformed (${parsed.reason}); it is left as it is`);
  return parsed.value;
}

/** The run's timeouts due by `now` applied, in a transaction; the retries published. Unchanged runs are not written. */
export async function tickRun(db: Firestore, tenantId: string, day: string, runId: string, now: Date): Promise<WorkflowRun> {
  const ref = db.doc(paths.agentRun(tenantId, day, runId));
  const { run, dispatch } = await db.runTransaction(async (tx) => {
    const before = await readRunIn(tx, ref, runId, day);
    const step = onTick(before, now);
    const changed = step.dispatch.length > 0 || step.run.status !== before.status || JSON.stringify(step.run.tasks) !== JSON.stringify(before.tasks);
    if (changed) tx.set(ref, stored(step.run));
    return changed ? step : { run: before, dispatch: [] };
  });
  if (dispatch.length) await publishTasks(tenantId, dispatch);
  return run;
}

/** Ticks every running run of the day; the day's runs after it (a run that could not be ticked is named in `malformed`). */
export async function tickDayRuns(db: Firestore, tenantId: string, day: string, now: Date, io = new IoCount()): Promise<DayRuns> {
  const read = await readDayRuns(db, tenantId, day, io);
  const runs: WorkflowRun[] = [];
  for (const run of read.runs) {
    runs.push(run.status === "running" ? await tickRun(db, tenantId, day, run.run_id, now) : run);
  }
  return { runs, malformed: read.malformed };
}

/** Cancels every running run of the day (an emergency stop: no task goes out any more); the runs it cancelled. */
export async function cancelDayRuns(db: Firestore, tenantId: string, day: string, reason: string, now: Date): Promise<string[]> {
  const { runs } = await readDayRuns(db, tenantId, day);
  const cancelled: string[] = [];
  for (const listed of runs.filter((r) => r.status === "running")) {
    const ref = db.doc(paths.agentRun(tenantId, day, listed.run_id));
    const done = await db.runTransaction(async (tx) => {
      const before = await readRunIn(tx, ref, listed.run_id, day);
      const after = cancelRun(before, reason, now);
      if (after === before) return false;
      tx.set(ref, stored(after));
      return true;
    });
    if (done) cancelled.push(listed.run_id);
  }
  return cancelled;
}

export interface AppliedResponse {
  disposition: ResponseDisposition;
  run: WorkflowRun;
  dispatch: TaskMessage[];
}

/** A response that may not be applied by its caller: the task is another agent's. */
export class NotYourTask extends Error {}

/**
 * An agent's answer applied to its run in a transaction (the timeouts due first, as the
 * core does), then the messages it released published. `caller` is the strategy the
 * caller's credential names: a task addressed to another agent is refused, nothing written.
 */
export async function applyAgentResponse(db: Firestore, response: TaskResponse, caller: string, now: Date): Promise<AppliedResponse> {
  const ref = db.doc(paths.agentRun(response.tenant_id, response.day, response.run_id));
  const result = await db.runTransaction(async (tx) => {
    const before = await readRunIn(tx, ref, response.run_id, response.day);
    const task = before.tasks[response.task_id];
    if (task && task.agent !== caller) throw new NotYourTask(`task_id: task '${response.task_id}' of run ${response.run_id} is sent to agent '${task.agent}', not to you ('${caller}')`);
    const step = onResponse(before, response, now);
    tx.set(ref, stored(step.run));
    return step;
  });
  if (result.dispatch.length) await publishTasks(response.tenant_id, result.dispatch);
  const disposition = result.disposition ?? "unknown_attempt";
  logEvent.agentResponse({ tenant_id: response.tenant_id, day: response.day, run_id: response.run_id, task_id: response.task_id, attempt: response.attempt, agent: caller, status: response.status, disposition });
  return { disposition, run: result.run, dispatch: result.dispatch };
}

/** The latest heartbeat of each strategy's agent that has sent one (malformed ones are left out). */
export async function readHeartbeats(db: Firestore, tenantId: string, strategyIds: readonly string[], io = new IoCount()): Promise<Map<string, AgentHeartbeat>> {
  const out = new Map<string, AgentHeartbeat>();
  if (strategyIds.length === 0) return out;
  const snaps = await db.getAll(...strategyIds.map((s) => db.doc(paths.agentHeartbeat(tenantId, s))));
  io.read(snaps);
  for (const snap of snaps) {
    if (!snap.exists) continue;
    const parsed = parseWithReason(AgentHeartbeatSchema, plainData(snap.data()));
    if (parsed.ok) out.set(snap.id, parsed.value);
  }
  return out;
}
