/**
 * Publishing to Pub/Sub through @google-cloud/pubsub (on the emulator when
 * PUBSUB_EMULATOR_HOST is set). The client is loaded on first use: only the schedules and
 * the tenant-job continuations publish, and every other function's cold start is spared
 * its load time (about 0.2 s). One batching topic handle per topic name.
 */
import type { Topic } from "@google-cloud/pubsub";

/** The market-cycle topic: {"tenant_id", "slot"?} per tenant (the fan-out publishes, the orchestration stage consumes). */
export const MARKET_CYCLE_TOPIC = "maestro-market-cycle";

export type PublishJson<T = Record<string, unknown>> = (body: T) => Promise<string>;

const topics = new Map<string, Promise<Topic>>();

function topicOf(name: string): Promise<Topic> {
  let topic = topics.get(name);
  if (!topic) {
    topic = import("@google-cloud/pubsub").then(({ PubSub }) =>
      new PubSub().topic(name, { batching: { maxMessages: 100, maxMilliseconds: 20 } }),
    );
    topics.set(name, topic);
  }
  return topic;
}

/** A function that publishes a JSON body on `topicName` and answers the message id. */
export function jsonPublisher<T extends object>(topicName: string): PublishJson<T> {
  return async (body) => (await topicOf(topicName)).publishMessage({ json: body });
}

/**
 * The topic a tenant's agents subscribe to (issue 14): one per tenant, so a tenant's task
 * messages are never delivered to another tenant's subscribers. Each message carries the
 * attributes `agent_target`, `task_id` and `attempt`, so an agent's subscription can
 * filter on its own strategy (`attributes.agent_target = "…"`).
 */
export function agentTaskTopic(tenantId: string): string {
  return `maestro-agent-tasks.${tenantId}`;
}

const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;

/**
 * Publishes on `topicName`, creating the topic the first time it is missing (a tenant's
 * agent topic exists from its first task on). Needs pubsub.topics.create in production
 * for that first time (README, "Strategy agents").
 */
export async function publishCreatingTopic(topicName: string, body: object, attributes: Record<string, string>): Promise<string> {
  const topic = await topicOf(topicName);
  try {
    return await topic.publishMessage({ json: body, attributes });
  } catch (error) {
    if ((error as { code?: number }).code !== GRPC_NOT_FOUND) throw error;
    await topic.create().catch((e: { code?: number }) => {
      if (e.code !== GRPC_ALREADY_EXISTS) throw e;
    });
    return topic.publishMessage({ json: body, attributes });
  }
}
