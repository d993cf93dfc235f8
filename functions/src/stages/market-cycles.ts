/**
 * Scheduled market cycles, at scale: one Pub/Sub message per tenant, one function
 * instance per message (Google's scaling, not a loop in one process).
 *
 *   every 5 min ─► scheduleMarketCycles ─► fanOutMarketCycles: for each active tenant whose
 *                  venue is open now (its config's market_hours), publish
 *                  {"tenant_id", "slot"} on maestro-market-cycle
 *   maestro-market-cycle ─► onMarketCycle ─► handleMarketCycle ─► orchestrateTenant
 *
 * Exactly once: a scheduled cycle's session id is derived from (tenant, slot), a
 * hand-published one's from its message id, so a redelivered message, or a schedule run
 * that is retried and publishes again, maps to the orchestration already written.
 *
 * Failures: a message that can never succeed (malformed body, unknown, inactive or
 * malformed tenant) is recorded once in systemStatus/dead_letters/messages/{eventId} and
 * acknowledged. Anything else is thrown, so Pub/Sub redelivers (retry: true), until the
 * message is older than MAX_CYCLE_AGE_MS or has failed MAX_CYCLE_ATTEMPTS times; then it
 * is dead-lettered too, since a market cycle that late is worth less than the next one.
 */
import { FieldValue, type Firestore } from "firebase-admin/firestore";
import type { Topic } from "@google-cloud/pubsub";
import { onMessagePublished } from "firebase-functions/v2/pubsub";
import { onSchedule } from "firebase-functions/v2/scheduler";
import { cycleSlot, marketSession } from "../core/market-hours";
import { MarketCycleMessageSchema, TenantSchema, parseWithReason, type DeadLetter } from "../schemas";
import { loadMaestroConfig } from "../store/config";
import { IoCount, isAlreadyExists, maestroDb, parseDoc } from "../store/firestore";
import { paths } from "../store/paths";
import { logEvent } from "../log-events";
import { cycleMaxInstances } from "../params";
import { findUnloggedOrchestrations } from "./monitoring";
import { MARKET_CYCLE_TOPIC, OrchestrationRefused, orchestrateTenant, type OrchestrationRequest } from "./orchestration";

export const CYCLE_SLOT_MINUTES = 5;
export const MAX_CYCLE_AGE_MS = 5 * 60_000;
export const MAX_CYCLE_ATTEMPTS = 5;
const BODY_LIMIT = 2_000;

// ---------------------------------------------------------------------------
// Fan-out
// ---------------------------------------------------------------------------

export type Publish = (body: { tenant_id: string; slot: string }) => Promise<string>;

export interface FanOutReport {
  slot: string;
  published: string[];
  closed: Record<string, string>;
  skipped: Record<string, string>;
  publish_failures: Record<string, string>;
  started_at: string;
  finished_at: string;
  reads: number;
}

/** The schedule's body: one market-cycle message per active tenant whose venue is open at `now`. */
export async function fanOutMarketCycles(db: Firestore, publish: Publish, now: Date): Promise<FanOutReport> {
  const startedAt = new Date().toISOString();
  const slot = cycleSlot(now, CYCLE_SLOT_MINUTES).toISOString();
  const io = new IoCount();
  const tenants = await db.collection(paths.tenants()).where("active", "==", true).get();
  io.read(tenants);
  const report: FanOutReport = { slot, published: [], closed: {}, skipped: {}, publish_failures: {}, started_at: startedAt, finished_at: "", reads: 0 };

  await Promise.all(
    tenants.docs.map(async (tenantSnap) => {
      const tenantId = tenantSnap.id;
      const tenant = parseDoc(TenantSchema, tenantSnap);
      if (!tenant.ok) {
        report.skipped[tenantId] = `tenant document is malformed (${tenant.reason})`;
        return;
      }
      const [{ config }] = await Promise.all([
        loadMaestroConfig(db, tenantId, io),
        // The sweep for orchestrations without a log, for tenants whose log writer is silent.
        findUnloggedOrchestrations(db, tenantId, now).then(() => io.reads++),
      ]);
      const session = marketSession(now, config.market_hours);
      if (!session.open) {
        report.closed[tenantId] = session.reason;
        return;
      }
      try {
        await publish({ tenant_id: tenantId, slot });
        report.published.push(tenantId);
      } catch (error) {
        report.publish_failures[tenantId] = error instanceof Error ? error.message : String(error);
      }
    }),
  );
  report.published.sort();
  report.finished_at = new Date().toISOString();
  report.reads = io.reads;
  await db.doc(paths.fanOutRun(slot)).set(
    {
      slot,
      published: report.published.length,
      closed: Object.keys(report.closed).length,
      skipped: report.skipped,
      publish_failures: report.publish_failures,
      runs: FieldValue.increment(1),
      last_started_at: report.started_at,
      last_finished_at: report.finished_at,
    },
    { merge: true },
  );
  logEvent.fanOutFinished({
    slot,
    published: report.published.length,
    closed: Object.keys(report.closed).length,
    skipped: report.skipped,
    publish_failures: report.publish_failures,
  });
  // A tenant whose message could not be published is retried by the schedule's retry.
  if (Object.keys(report.publish_failures).length > 0) {
    throw new Error(`fan-out ${slot}: could not publish for ${Object.keys(report.publish_failures).join(", ")}`);
  }
  return report;
}

let topic: Promise<Topic> | undefined;

/**
 * Publishes through @google-cloud/pubsub (on the emulator when PUBSUB_EMULATOR_HOST is
 * set). Loaded on first use: only the schedule publishes, and every other function's
 * cold start is spared the client's load time (about 0.2 s).
 */
export const pubsubPublish: Publish = async (body) => {
  topic ??= import("@google-cloud/pubsub").then(({ PubSub }) =>
    new PubSub().topic(MARKET_CYCLE_TOPIC, { batching: { maxMessages: 100, maxMilliseconds: 20 } }),
  );
  return (await topic).publishMessage({ json: body });
};

/** Every five minutes; tenants outside their venue's session are skipped by fanOutMarketCycles. */
export const scheduleMarketCycles = onSchedule({ schedule: "*/5 * * * *", timeZone: "UTC", retryCount: 2 }, async (event) => {
  // A retried run has the same scheduleTime, hence the same slot, hence the same sessions.
  await fanOutMarketCycles(maestroDb(), pubsubPublish, new Date(event.scheduleTime));
});

// ---------------------------------------------------------------------------
// One tenant's cycle
// ---------------------------------------------------------------------------

export interface CycleEvent {
  id: string;
  /** Publish time of the message. */
  time: Date;
  /** The message body as text (undefined when it is not valid text). */
  text: string | undefined;
}

export type CycleOutcome =
  | { outcome: "orchestrated"; session_id: string }
  | { outcome: "dead_lettered"; reason: string; kind: DeadLetter["kind"] };

async function deadLetter(db: Firestore, event: CycleEvent, tenantId: string | null, kind: DeadLetter["kind"], reason: string, attempts: number): Promise<CycleOutcome> {
  const letter: DeadLetter = {
    topic: MARKET_CYCLE_TOPIC,
    event_id: event.id,
    tenant_id: tenantId,
    body: (event.text ?? "(not text)").slice(0, BODY_LIMIT),
    kind,
    reason,
    attempts,
    published_at: event.time.toISOString(),
    recorded_at: new Date().toISOString(),
  };
  try {
    await db.doc(paths.deadLetter(event.id)).create(letter);
    logEvent.cycleMessageDeadLettered({ event_id: event.id, tenant_id: tenantId, kind, reason, attempts });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
    // Redelivered after it was dead-lettered: recorded once already.
  }
  return { outcome: "dead_lettered", reason, kind };
}

export async function handleMarketCycle(
  db: Firestore,
  event: CycleEvent,
  options: { now?: () => Date; orchestrate?: (db: Firestore, request: OrchestrationRequest) => Promise<{ session_id: string }> } = {},
): Promise<CycleOutcome> {
  const clock = options.now ?? (() => new Date());
  const orchestrate = options.orchestrate ?? orchestrateTenant;
  let body: unknown;
  try {
    body = event.text === undefined ? undefined : JSON.parse(event.text);
  } catch {
    return deadLetter(db, event, null, "permanent", "body: is not JSON", 1);
  }
  const message = parseWithReason(MarketCycleMessageSchema, body);
  if (!message.ok) return deadLetter(db, event, null, "permanent", message.reason, 1);
  const { tenant_id: tenantId, slot } = message.value;

  try {
    const orchestration = await orchestrate(db, {
      tenant_id: tenantId,
      trigger: "market_cycle",
      requested_by: null,
      // The slot names the scheduled cycle; without one, the message itself does.
      event: slot ? { id: `slot:${slot}`, time: new Date(slot) } : { id: event.id, time: event.time },
    });
    return { outcome: "orchestrated", session_id: orchestration.session_id };
  } catch (error) {
    if (error instanceof OrchestrationRefused) return deadLetter(db, event, tenantId, "permanent", error.message, 1);
    const reason = error instanceof Error ? error.message : String(error);
    const attemptsRef = db.doc(paths.cycleAttempts(event.id));
    await attemptsRef.set({ tenant_id: tenantId, attempts: FieldValue.increment(1), last_error: reason, updated_at: clock().toISOString() }, { merge: true });
    const attempts = ((await attemptsRef.get()).get("attempts") as number | undefined) ?? 1;
    const age = clock().getTime() - event.time.getTime();
    if (attempts >= MAX_CYCLE_ATTEMPTS || age > MAX_CYCLE_AGE_MS) {
      const why = attempts >= MAX_CYCLE_ATTEMPTS ? `${attempts} attempts` : `${Math.round(age / 1000)} s after publication`;
      return deadLetter(db, event, tenantId, "gave_up", `gave up after ${why}: ${reason}`, attempts);
    }
    logEvent.cycleRetry({ event_id: event.id, tenant_id: tenantId, attempts, error: reason });
    throw error;
  }
}

function messageText(data: string | undefined): string | undefined {
  if (data === undefined) return undefined;
  return Buffer.from(data, "base64").toString("utf8");
}

export const onMarketCycle = onMessagePublished({ topic: MARKET_CYCLE_TOPIC, retry: true, maxInstances: cycleMaxInstances }, async (event) => {
  const message = event.data.message;
  await handleMarketCycle(maestroDb(), {
    id: message.messageId || event.id,
    time: new Date(message.publishTime || event.time),
    text: messageText(message.data),
  });
});
