/**
 * A simulated strategy agent (issue 14): what a bot running somewhere else does, against
 * the emulators, as its own process or in-process. It
 *  - signs in with the custom token issueAgentCredential gave it (the web SDK and the Auth
 *    emulator), so every call it makes goes through the agents' front door and the rules;
 *  - subscribes to its tenant's task topic (maestro-agent-tasks.{tenant}) with a
 *    subscription of its own, filtered on `attributes.agent_target`, and takes only the
 *    tasks addressed to its strategy; a redelivery of a task and attempt it has answered
 *    (Pub/Sub is at least once) is ignored, by the message's `task_id` + `attempt`;
 *  - answers each task through respondToAgentTask as its script says, per attempt: answer
 *    with a status (after a delay, optionally twice), or stay silent;
 *  - on an `execute` task whose data carries `signal`, writes that signal with its own
 *    credential first (a signal for another strategy is refused by the rules: the answer
 *    carries the refusal as a `signal_denied` error, and a planned success becomes partial);
 *  - sends agentHeartbeat every `heartbeat_ms`.
 * Everything it does is an event: JSON lines on stdout as a process, a callback in-process.
 *
 * As a process: `node lib/tools/simulated-agent.js` with the options as JSON in
 * MAESTRO_SIMULATED_AGENT, under the emulators' environment (PUBSUB_EMULATOR_HOST, …). It
 * prints {"event":"ready"} once subscribed and stops on SIGTERM or SIGINT.
 */
import { PubSub, type Message, type Subscription } from "@google-cloud/pubsub";
import { addDoc, collection, serverTimestamp } from "firebase/firestore";
import { getAuth } from "firebase/auth";
import { TaskMessageSchema, type TaskMessage, type TaskResponse } from "../schemas/agents";
import { paths } from "../store/paths";
import { agentTaskTopic } from "../store/pubsub";
import { PROJECT_ID } from "./emulator-client";
import { webClient, type WebClient } from "./web-client";

/** What the agent does with one attempt of a task. */
export type AttemptPlan =
  | { kind: "silent" }
  | {
      kind: "answer";
      status: TaskResponse["status"];
      result?: Record<string, unknown>;
      errors?: TaskResponse["errors"];
      /** Wait this long before answering (the answer's execution_time). */
      delay_ms?: number;
      /** Send the same answer a second time (a duplicate Maestro must ignore). */
      duplicate?: boolean;
    };

export interface SimulatedAgentOptions {
  tenant_id: string;
  strategy_id: string;
  custom_token: string;
  /** Per task id, one plan per attempt (the last repeats); tasks not listed get `default_plan`. */
  script?: Record<string, AttemptPlan[]>;
  /** Default: answer success after 50 ms. */
  default_plan?: AttemptPlan;
  /** Heartbeat interval; null: no heartbeats. Default 5000. */
  heartbeat_ms?: number | null;
}

export type AgentEvent = { event: string; at: string; [field: string]: unknown };

export interface RunningAgent {
  /** The agent's uid (its credential's id). */
  uid: string;
  stop: () => Promise<void>;
}

const DEFAULT_PLAN: AttemptPlan = { kind: "answer", status: "success", delay_ms: 50 };

function planFor(options: SimulatedAgentOptions, message: TaskMessage): AttemptPlan {
  const plans = options.script?.[message.task_id];
  if (!plans || plans.length === 0) return options.default_plan ?? DEFAULT_PLAN;
  return plans[Math.min(message.attempt, plans.length) - 1];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function errorFields(error: unknown): { code: string; message: string } {
  const e = error as { code?: string; message?: string };
  return { code: e.code ?? "unknown", message: e.message ?? String(error) };
}

/** Its own subscription to the tenant's topic, created (with the topic) when missing. */
async function subscribe(pubsub: PubSub, options: SimulatedAgentOptions): Promise<Subscription> {
  const topicName = agentTaskTopic(options.tenant_id);
  const topic = pubsub.topic(topicName);
  const [exists] = await topic.exists();
  if (!exists) await topic.create().catch((e: { code?: number }) => (e.code === 6 ? undefined : Promise.reject(e)));
  const name = `${topicName}.${options.strategy_id}`.slice(0, 255);
  const subscription = topic.subscription(name);
  const [subscribed] = await subscription.exists();
  if (!subscribed) {
    const create = (filtered: boolean) =>
      topic.createSubscription(name, { ackDeadlineSeconds: 30, ...(filtered ? { filter: `attributes.agent_target = "${options.strategy_id}"` } : {}) });
    // An emulator without filters refuses one: the agent then filters itself (it always checks agent_target).
    await create(true).catch((e: { code?: number }) => (e.code === 6 ? undefined : create(false)));
  }
  return subscription;
}

export async function startSimulatedAgent(options: SimulatedAgentOptions, emit: (e: AgentEvent) => void): Promise<RunningAgent> {
  const say = (event: string, fields: Record<string, unknown> = {}) => emit({ event, at: new Date().toISOString(), agent: options.strategy_id, ...fields });
  const client: WebClient = await webClient({ customToken: options.custom_token });
  const uid = getAuth(client.app).currentUser!.uid;
  const pubsub = new PubSub({ projectId: PROJECT_ID });
  const subscription = await subscribe(pubsub, options);
  const answered = new Set<string>();
  const working = new Set<Promise<void>>();

  async function writeSignal(message: TaskMessage): Promise<{ result: Record<string, unknown>; errors: TaskResponse["errors"] }> {
    const signal = message.data.signal as Record<string, unknown>;
    try {
      const ref = await addDoc(collection(client.db, paths.signals(options.tenant_id)), {
        strategy_id: options.strategy_id,
        confidence: 0.7,
        reasoning: `task ${message.task_id}`,
        ...signal,
        status: "pending",
        created_by: uid,
        created_at: serverTimestamp(),
      });
      say("signal_written", { task_id: message.task_id, signal_id: ref.id });
      return { result: { signal_id: ref.id }, errors: [] };
    } catch (error) {
      const { code, message: why } = errorFields(error);
      say("signal_denied", { task_id: message.task_id, code, message: why });
      return { result: {}, errors: [{ type: "signal_denied", message: `${code}: ${why}` }] };
    }
  }

  async function handle(message: TaskMessage): Promise<void> {
    const key = `${message.run_id}/${message.task_id}#${message.attempt}`;
    if (answered.has(key)) {
      say("redelivery_ignored", { task_id: message.task_id, attempt: message.attempt });
      return;
    }
    answered.add(key);
    const plan = planFor(options, message);
    say("task_received", { task_id: message.task_id, attempt: message.attempt, task_type: message.task_type, plan: plan.kind });
    if (plan.kind === "silent") return;
    const started = Date.now();
    await sleep(plan.delay_ms ?? 0);
    let { result, errors } = { result: plan.result ?? {}, errors: plan.errors ?? [] };
    let status = plan.status;
    if (message.task_type === "execute" && message.data.signal && typeof message.data.signal === "object") {
      // A refused write leaves the task partly done: a success becomes partial, with the refusal among the errors.
      const written = await writeSignal(message);
      result = { ...result, ...written.result };
      errors = [...errors, ...written.errors];
      if (written.errors.length && status === "success") status = "partial";
    }
    const response: TaskResponse = {
      task_id: message.task_id,
      agent_name: options.strategy_id,
      status,
      result,
      errors,
      execution_time: Date.now() - started,
      next_actions: [],
      tenant_id: message.tenant_id,
      day: message.day,
      run_id: message.run_id,
      attempt: message.attempt,
    };
    for (let send = 0; send < (plan.duplicate ? 2 : 1); send++) {
      try {
        const reply = await client.call("respondToAgentTask", response);
        say("answered", { task_id: message.task_id, attempt: message.attempt, status, duplicate: send > 0, disposition: reply.disposition, dispatched: reply.dispatched, ms: Date.now() - started });
      } catch (error) {
        say("answer_refused", { task_id: message.task_id, attempt: message.attempt, ...errorFields(error) });
      }
    }
  }

  subscription.on("message", (m: Message) => {
    m.ack();
    let parsed: ReturnType<typeof TaskMessageSchema.safeParse>;
    try {
      parsed = TaskMessageSchema.safeParse(JSON.parse(m.data.toString("utf8")));
    } catch {
      say("message_unreadable", { message_id: m.id });
      return;
    }
    if (!parsed.success) return say("message_unreadable", { message_id: m.id, reason: parsed.error.issues[0]?.message });
    // The filter already keeps other agents' tasks away; this is for an emulator that ignores filters.
    if (parsed.data.agent_target !== options.strategy_id || parsed.data.tenant_id !== options.tenant_id) return;
    const work = handle(parsed.data).finally(() => working.delete(work));
    working.add(work);
  });
  subscription.on("error", (error) => say("subscription_error", errorFields(error)));

  const heartbeatMs = options.heartbeat_ms === undefined ? 5_000 : options.heartbeat_ms;
  const beat = async () => {
    try {
      await client.call("agentHeartbeat", { tenant_id: options.tenant_id });
      say("heartbeat");
    } catch (error) {
      say("heartbeat_refused", errorFields(error));
    }
  };
  let timer: NodeJS.Timeout | null = null;
  if (heartbeatMs !== null) {
    await beat();
    timer = setInterval(() => void beat(), heartbeatMs);
  }
  say("ready", { uid, subscription: subscription.name });

  return {
    uid,
    stop: async () => {
      if (timer) clearInterval(timer);
      await subscription.close();
      await Promise.allSettled([...working]);
      await pubsub.close();
      await client.close();
      say("stopped");
    },
  };
}

async function main(): Promise<void> {
  const raw = process.env.MAESTRO_SIMULATED_AGENT;
  if (!raw) throw new Error("MAESTRO_SIMULATED_AGENT: must hold the agent's options as JSON");
  const options = JSON.parse(raw) as SimulatedAgentOptions;
  const print = (e: AgentEvent) => process.stdout.write(`${JSON.stringify(e)}\n`);
  const agent = await startSimulatedAgent(options, print);
  const stop = () => {
    agent.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

if (require.main === module) {
  main().catch((error) => {
    process.stdout.write(`${JSON.stringify({ event: "crashed", at: new Date().toISOString(), message: error instanceof Error ? error.message : String(error) })}\n`);
    process.exit(1);
  });
}
