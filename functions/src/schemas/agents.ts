/**
 * Conducting the strategy agents (issue 14, seed 001 SKILL_3 "Agent Orchestration"):
 *  - the `agents` config block: per trading-session phase, a workflow of tasks (which
 *    agent does what, after which other tasks), with seed 001's orchestrator_config
 *    defaults (max_concurrent_agents 5, agent_timeout_seconds 60, retry_attempts 3);
 *  - seed 001's TASK_MESSAGE and RESPONSE_MESSAGE, field for field, plus the routing
 *    Maestro needs (tenant, session day, run, attempt);
 *  - a workflow run as its document holds it (core/agent-workflow.ts moves it), and the
 *    projections read from it: seed 001's SESSION_STATE.agent_states and its metrics.
 *
 * Like ./index, this module imports zod only (and ./ids), so the pure core may use it;
 * ./index composes AgentsConfigSchema into MaestroConfigSchema.
 */
import { z } from "zod";
import { DocIdSchema, TradingDaySchema } from "./ids";
import type { TradingSessionState } from "./index";

const quoted = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(", ");

/** The phases that run agents (seed 001's Agent Workflow: pre-market agents, trend analysis at the open, trade agents, review agents). */
export const WORKFLOW_PHASES = ["PRE_MARKET", "SESSION_OPEN", "ACTIVE_TRADING", "POST_MARKET"] as const satisfies readonly TradingSessionState[];
export type WorkflowPhase = (typeof WORKFLOW_PHASES)[number];

/** Seed 001 TASK_MESSAGE.task_type. */
export const TASK_TYPES = ["analyze", "execute", "report"] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** Seed 001 TASK_MESSAGE.priority, lowest first. */
export const TASK_PRIORITIES = ["low", "normal", "high", "critical"] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];

/** Seed 001 RESPONSE_MESSAGE.status. */
export const RESPONSE_STATUSES = ["success", "failure", "partial"] as const;
export type ResponseStatus = (typeof RESPONSE_STATUSES)[number];

/** Bounds shared by the block's defaults and a task's own override. */
const timeoutSeconds = () => z.number({ error: "must be a number" }).int("must be a whole number").min(1, "must be at least 1").max(3_600, "must be at most 3600");
const retryAttempts = () => z.number({ error: "must be a number" }).int("must be a whole number").min(0, "must be at least 0").max(10, "must be at most 10");

/** Most tasks in one phase's workflow: the whole run is one document, responses included. */
export const MAX_WORKFLOW_TASKS = 50;

/** One task of a phase's workflow. */
export const WorkflowTaskSchema = z
  .object({
    /** Unique within the workflow; the task_id of its messages. */
    id: DocIdSchema,
    /** The strategy (agent) that does the task. */
    agent: DocIdSchema,
    task_type: z.enum(TASK_TYPES, { error: `must be one of ${quoted(TASK_TYPES)}` }),
    /** Tasks that must have completed (success or partial) before this one is sent. */
    depends_on: z.array(DocIdSchema).default([]),
    /** Among tasks ready at once, higher goes first (ties by id). */
    priority: z.enum(TASK_PRIORITIES, { error: `must be one of ${quoted(TASK_PRIORITIES)}` }).default("normal"),
    /** Overrides agents.agent_timeout_seconds for this task. */
    timeout_seconds: timeoutSeconds().optional(),
    /** Overrides agents.retry_attempts for this task (retries after the first attempt). */
    retry_attempts: retryAttempts().optional(),
    /** Sent as the message's `data`. */
    data: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type WorkflowTask = z.infer<typeof WorkflowTaskSchema>;

/**
 * The first dependency cycle among the tasks (ids in order, the first repeated at the
 * end: A → B → A), or null. Unknown ids and self-dependencies are left to their own
 * messages. Deterministic: tasks are visited in the order listed.
 */
export function dependencyCycle(tasks: readonly { id: string; depends_on: readonly string[] }[]): string[] | null {
  const deps = new Map(tasks.map((t) => [t.id, t.depends_on.filter((d) => d !== t.id)]));
  const colour = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    colour.set(id, "open");
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      if (!deps.has(dep)) continue;
      if (colour.get(dep) === "open") return [...stack.slice(stack.indexOf(dep)), dep];
      if (colour.get(dep) === undefined) {
        const found = visit(dep);
        if (found) return found;
      }
    }
    stack.pop();
    colour.set(id, "done");
    return null;
  };
  for (const t of tasks) {
    if (colour.get(t.id) !== undefined) continue;
    const found = visit(t.id);
    if (found) return found;
  }
  return null;
}

/** A phase's workflow: its tasks form a dependency graph with no cycle. */
export const WorkflowSchema = z
  .array(WorkflowTaskSchema)
  .min(1, "must list at least one task (leave the phase out for none)")
  .max(MAX_WORKFLOW_TASKS, `must list at most ${MAX_WORKFLOW_TASKS} tasks`)
  .superRefine((tasks, ctx) => {
    const firstIndex = new Map<string, number>();
    tasks.forEach((t, i) => {
      const earlier = firstIndex.get(t.id);
      if (earlier === undefined) firstIndex.set(t.id, i);
      else ctx.addIssue({ code: "custom", path: [i, "id"], message: `duplicates the id of task ${earlier} ("${t.id}"): task ids must be unique` });
    });
    const ids = [...firstIndex.keys()];
    tasks.forEach((t, i) => {
      const seen = new Set<string>();
      t.depends_on.forEach((dep, j) => {
        const at = [i, "depends_on", j];
        if (dep === t.id) ctx.addIssue({ code: "custom", path: at, message: `task "${t.id}" depends on itself` });
        else if (!firstIndex.has(dep)) ctx.addIssue({ code: "custom", path: at, message: `"${dep}" is not a task of this workflow (tasks: ${ids.join(", ")})` });
        else if (seen.has(dep)) ctx.addIssue({ code: "custom", path: at, message: `lists "${dep}" twice` });
        seen.add(dep);
      });
    });
    const cycle = dependencyCycle(tasks);
    if (cycle) {
      const at = firstIndex.get(cycle[0]) ?? 0;
      ctx.addIssue({ code: "custom", path: [at, "depends_on"], message: `forms a dependency cycle: ${cycle.join(" → ")}` });
    }
  });
export type Workflow = z.infer<typeof WorkflowSchema>;

/** Workflows by phase; a phase left out runs no agents. */
const WorkflowsSchema = z
  .object(Object.fromEntries(WORKFLOW_PHASES.map((p) => [p, WorkflowSchema.optional()])) as Record<WorkflowPhase, z.ZodOptional<typeof WorkflowSchema>>)
  .strict();

/**
 * The `agents` config block. Defaults from seed 001's orchestrator_config; no workflows,
 * so a tenant that has not configured any runs no agents.
 */
export const AgentsConfigSchema = z
  .object({
    /** Tasks in flight at once, across the run (seed 001: 5). */
    max_concurrent_agents: z.number({ error: "must be a number" }).int("must be a whole number").min(1, "must be at least 1").max(50, "must be at most 50").default(5),
    /** A task not answered this long after it was sent has timed out (seed 001: 60). */
    agent_timeout_seconds: timeoutSeconds().default(60),
    /** Retries after a timeout or a failure, before the task fails (seed 001: 3, so 4 attempts in all). */
    retry_attempts: retryAttempts().default(3),
    /**
     * An agent silent this long is failed (warning tier). 60: as long as a task may take
     * (agent_timeout_seconds), six of seed 001's 10-second health_check_intervals; never
     * below one interval. null: heartbeats are not watched, only missed tasks.
     */
    heartbeat_timeout_seconds: z
      .number({ error: "must be a number" })
      .int("must be a whole number")
      .min(10, "must be at least 10 (seed 001's health_check_interval)")
      .max(86_400, "must be at most 86400")
      .nullable()
      .default(60),
    /**
     * This many agents failing at once is critical, not a warning. Seed 001 rates an
     * individual agent failure a warning and a platform crash critical; 3 (a majority of
     * a full batch of 5) failing together is no longer individual. It is also the desk's
     * systemic threshold (systemic_sell_threshold 3). At least 2: one is a warning by the seed.
     */
    escalate_when_failing: z
      .number({ error: "must be a number" })
      .int("must be a whole number")
      .min(2, "must be at least 2 (one failing agent is seed 001's warning tier)")
      .max(100, "must be at most 100")
      .default(3),
    workflows: WorkflowsSchema.default({}),
  })
  .strict();
export type AgentsConfig = z.infer<typeof AgentsConfigSchema>;
export const DEFAULT_AGENTS_CONFIG: AgentsConfig = AgentsConfigSchema.parse({});

// ---------------------------------------------------------------------------
// Messages: Maestro → agent (Pub/Sub), agent → Maestro (a callable)
// ---------------------------------------------------------------------------

/** Where a message belongs: tenants/{tenant_id}/trading_sessions/{day}, the run, and which attempt of the task. */
const routing = {
  tenant_id: DocIdSchema,
  day: TradingDaySchema,
  run_id: DocIdSchema,
  /** 1 for the first sending of the task, then one more per retry. */
  attempt: z.number({ error: "must be a number" }).int("must be a whole number").min(1, "must be at least 1"),
};

/** Seed 001 TASK_MESSAGE, plus the routing. */
export const TaskMessageSchema = z
  .object({
    task_id: DocIdSchema,
    agent_target: DocIdSchema,
    task_type: z.enum(TASK_TYPES),
    priority: z.enum(TASK_PRIORITIES),
    data: z.record(z.string(), z.unknown()),
    /** The completed tasks this one waited for (seed 001: "completed_task_ids"). */
    dependencies: z.array(DocIdSchema),
    /** Seconds the agent has to answer this attempt. */
    timeout: z.number().int().min(1),
    /** Retries the task is allowed in all (this message is attempt `attempt` of 1 + retry_count). */
    retry_count: z.number().int().min(0),
    ...routing,
  })
  .strict();
export type TaskMessage = z.infer<typeof TaskMessageSchema>;

/** An error an agent reports; `type` is what seed 001's error_count_by_type counts. */
export const AgentErrorSchema = z.object({ type: z.string().min(1, "must not be empty").max(64, "must be at most 64 characters"), message: z.string().max(2_000, "must be at most 2000 characters") }).strict();
export type AgentError = z.infer<typeof AgentErrorSchema>;

/** Seed 001 RESPONSE_MESSAGE, plus the routing (the attempt it answers). */
export const TaskResponseSchema = z
  .object({
    task_id: DocIdSchema,
    agent_name: DocIdSchema,
    status: z.enum(RESPONSE_STATUSES, { error: `must be one of ${quoted(RESPONSE_STATUSES)}` }),
    result: z.record(z.string(), z.unknown()).default({}),
    errors: z.array(AgentErrorSchema).max(50, "must list at most 50 errors").default([]),
    /** Milliseconds, as the agent measured it. */
    execution_time: z.number({ error: "must be a number" }).min(0, "must be at least 0"),
    next_actions: z.array(z.string()).max(50, "must list at most 50 actions").default([]),
    ...routing,
  })
  .strict();
export type TaskResponse = z.infer<typeof TaskResponseSchema>;

// ---------------------------------------------------------------------------
// A workflow run: tenants/{t}/trading_sessions/{day}/agent_runs/{run_id}
// ---------------------------------------------------------------------------

/**
 * A task's status. `retrying`: an earlier attempt timed out or failed and a later one is
 * in flight (it holds its slot, like `running`). succeeded, partial, failed, skipped are final.
 */
export const TASK_STATUSES = ["pending", "running", "retrying", "succeeded", "partial", "failed", "skipped"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** How an attempt ended: the agent's answer, no answer by its deadline, or the run cancelled (an emergency stop) while it was out. */
export const ATTEMPT_OUTCOMES = ["success", "partial", "failure", "timed_out", "cancelled"] as const;

export const TaskAttemptSchema = z.object({
  attempt: z.number().int().min(1),
  dispatched_at: z.string(),
  deadline: z.string(),
  /** null while in flight. */
  outcome: z.enum(ATTEMPT_OUTCOMES).nullable(),
  ended_at: z.string().nullable(),
});
export type TaskAttempt = z.infer<typeof TaskAttemptSchema>;

/**
 * What a received response did: `applied` decided the attempt in flight; every other kind
 * is kept for the record and changed nothing else.
 *  - duplicate: the attempt it answers was already answered;
 *  - late: the attempt it answers had timed out, or the task was already decided;
 *  - unknown_attempt: it answers an attempt not sent before it arrived (a retry sent in the same moment included);
 *  - wrong_agent: it came from an agent the task was not sent to.
 */
export const RESPONSE_DISPOSITIONS = ["applied", "duplicate", "late", "unknown_attempt", "wrong_agent"] as const;
export type ResponseDisposition = (typeof RESPONSE_DISPOSITIONS)[number];

export const ReceivedResponseSchema = z.object({
  received_at: z.string(),
  disposition: z.enum(RESPONSE_DISPOSITIONS),
  response: TaskResponseSchema,
  /**
   * The payload was trimmed to keep the run one document: `result`, `errors` and
   * `next_actions` dropped. Answers that were not applied are kept trimmed; the task's
   * latest applied answer is kept whole (earlier applied ones are counted in
   * responses_not_kept, their attempts keep how they ended, their errors are counted).
   */
  payload_trimmed: z.boolean().default(false),
});
export type ReceivedResponse = z.infer<typeof ReceivedResponseSchema>;

/** Answers kept per task besides its latest applied one (and stray ones per run); past this they are only counted. */
export const RESPONSES_KEPT = 10;
/**
 * Most characters of an answer's payload (`result`, `errors` and `next_actions` as JSON),
 * checked by respondToAgentTask. With every answer but a task's latest applied one kept
 * trimmed, a run of MAX_WORKFLOW_TASKS tasks stays well inside Firestore's 1 MiB document
 * (the unit tests fill one to the worst case and measure it).
 */
export const MAX_RESPONSE_PAYLOAD_CHARS = 4_096;

export const TaskRunSchema = z.object({
  /** The task as configured, with its timeout and retries resolved from the block's defaults. */
  id: DocIdSchema,
  agent: DocIdSchema,
  task_type: z.enum(TASK_TYPES),
  priority: z.enum(TASK_PRIORITIES),
  depends_on: z.array(DocIdSchema),
  timeout_seconds: z.number().int().min(1),
  retry_attempts: z.number().int().min(0),
  data: z.record(z.string(), z.unknown()),
  status: z.enum(TASK_STATUSES),
  /** Every sending, oldest first; the last is the one in flight while running or retrying. */
  attempts: z.array(TaskAttemptSchema),
  responses: z.array(ReceivedResponseSchema),
  responses_not_kept: z.number().int().min(0),
  /** Errors its applied answers reported, by type (`unspecified`: a failure that named none); counted as applied, since answers are kept trimmed. */
  error_counts: z.record(z.string(), z.number().int().min(0)).default({}),
  /** Why it failed or was skipped; null otherwise. */
  reason: z.string().nullable(),
});
export type TaskRun = z.infer<typeof TaskRunSchema>;

export const WorkflowRunSchema = z.object({
  tenant_id: DocIdSchema,
  day: TradingDaySchema,
  phase: z.enum(WORKFLOW_PHASES),
  run_id: DocIdSchema,
  /** The limit in force when the run started. */
  max_concurrent_agents: z.number().int().min(1),
  /** completed: every task is decided (succeeded, partial, failed or skipped); cancelled: an emergency stop ended it (its undecided tasks skipped). */
  status: z.enum(["running", "completed", "cancelled"]),
  started_at: z.string(),
  completed_at: z.string().nullable(),
  /** By task id. */
  tasks: z.record(DocIdSchema, TaskRunSchema),
  /** Responses naming a task this run does not have, kept for the record. */
  stray_responses: z.array(z.object({ received_at: z.string(), response: TaskResponseSchema })),
  stray_responses_not_kept: z.number().int().min(0),
  updated_at: z.string(),
});
export type WorkflowRun = z.infer<typeof WorkflowRunSchema>;

// ---------------------------------------------------------------------------
// Projections: seed 001 SESSION_STATE.agent_states, and METRICS_TO_TRACK
// ---------------------------------------------------------------------------

export const AGENT_STATUSES = ["idle", "running", "completed", "failed"] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** Seed 001 SESSION_STATE.agent_states[agent], plus why it failed. */
export const AgentStateSchema = z.object({
  status: z.enum(AGENT_STATUSES),
  /** When it was last sent a task; null: never. */
  last_run: z.string().nullable(),
  /** The result of its last applied answer; null: none yet. */
  output: z.record(z.string(), z.unknown()).nullable(),
  reason: z.string().nullable(),
});
export type AgentState = z.infer<typeof AgentStateSchema>;

/** Seed 001 METRICS_TO_TRACK, the agents' part. */
export const AgentRunMetricsSchema = z.object({
  /** Agent executions: every sending of a task, retries included. */
  agents_executed: z.number().int().min(0),
  /** Executions answered `success`, over executions that ended (answered or timed out); null: none ended. */
  agent_success_rate: z.number().min(0).max(1).nullable(),
  /** Mean of received_at − dispatched_at over the applied answers, as Maestro measured it; null: none. */
  average_response_time_ms: z.number().min(0).nullable(),
  /** Errors the applied answers reported, by type; `timeout` per attempt not answered in time; `unspecified` per failure that named none. */
  error_count_by_type: z.record(z.string(), z.number().int().min(0)),
});
export type AgentRunMetrics = z.infer<typeof AgentRunMetricsSchema>;

// ---------------------------------------------------------------------------
// The session's view of its agents: tenants/{t}/trading_sessions/{day}.agents
// ---------------------------------------------------------------------------

/** A phase's run as the session lists it: started in the same transaction as the move into the phase. */
export const SessionAgentRunSchema = z.object({
  run_id: DocIdSchema,
  started_at: z.string(),
});

/** An agent whose entries are held: it failed (missed its task or went silent); lifted when it recovers. */
export const AgentHoldSchema = z.object({
  reason: z.string(),
  since: z.string(),
});
export type AgentHold = z.infer<typeof AgentHoldSchema>;

/**
 * The session's agents: the runs started by phase; seed 001 SESSION_STATE.agent_states and
 * its metrics as the health check last derived them from the runs; and the agents whose
 * entries are held (by strategy id), which the cycle's trading-session gate reads.
 */
export const SessionAgentsSchema = z.object({
  runs: z.record(z.string(), SessionAgentRunSchema),
  states: z.record(z.string(), AgentStateSchema),
  metrics: AgentRunMetricsSchema.nullable(),
  holds: z.record(z.string(), AgentHoldSchema),
  /** When the health check last wrote states, metrics or holds; null: never. */
  checked_at: z.string().nullable(),
});
export type SessionAgents = z.infer<typeof SessionAgentsSchema>;
export const EMPTY_SESSION_AGENTS: SessionAgents = { runs: {}, states: {}, metrics: null, holds: {}, checked_at: null };

// ---------------------------------------------------------------------------
// Heartbeats: tenants/{t}/agent_heartbeats/{strategy_id}
// ---------------------------------------------------------------------------

export const AGENT_HEARTBEAT_STATUSES = ["ok", "degraded"] as const;

/** The latest heartbeat of a strategy's agent (whichever of its credentials sent it). */
export const AgentHeartbeatSchema = z.object({
  tenant_id: z.string(),
  strategy_id: z.string(),
  agent_id: z.string(),
  at: z.string(),
  status: z.enum(AGENT_HEARTBEAT_STATUSES),
  detail: z.string().nullable(),
});
export type AgentHeartbeat = z.infer<typeof AgentHeartbeatSchema>;

// ---------------------------------------------------------------------------
// The agents' callables (an agent's custom token, not a membership)
// ---------------------------------------------------------------------------

/** respondToAgentTask: seed 001's RESPONSE_MESSAGE, routed. */
export const RespondToAgentTaskRequestSchema = TaskResponseSchema;
export const RespondToAgentTaskResponseSchema = z.object({
  /** What the answer did: applied decided the attempt; anything else was kept for the record and changed nothing. */
  disposition: z.enum(RESPONSE_DISPOSITIONS),
  /** The task's status after the answer; null: the run has no such task (the answer was kept as a stray). */
  task_status: z.enum(TASK_STATUSES).nullable(),
  run_status: z.enum(["running", "completed", "cancelled"]),
  /** Tasks this answer let go out (dependants now ready, or a retry after a failure). */
  dispatched: z.array(z.object({ task_id: DocIdSchema, agent_target: DocIdSchema, attempt: z.number().int().min(1) })),
});
export type RespondToAgentTaskResponse = z.infer<typeof RespondToAgentTaskResponseSchema>;

/** agentHeartbeat: the agent is alive (and how it feels). */
export const AgentHeartbeatRequestSchema = z
  .object({
    tenant_id: DocIdSchema,
    status: z.enum(AGENT_HEARTBEAT_STATUSES, { error: `must be one of ${quoted(AGENT_HEARTBEAT_STATUSES)}` }).default("ok"),
    detail: z.string().max(500, "must be at most 500 characters").optional(),
  })
  .strict();
export const AgentHeartbeatResponseSchema = z.object({
  received_at: z.string(),
  strategy_id: z.string(),
  /** Silence this long marks the agent failed (agents.heartbeat_timeout_seconds); null: heartbeats are not watched. */
  heartbeat_timeout_seconds: z.number().int().nullable(),
});
export type AgentHeartbeatResponse = z.infer<typeof AgentHeartbeatResponseSchema>;
