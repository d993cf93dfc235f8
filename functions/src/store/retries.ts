/**
 * "Retry until the end condition, then give up with a record", for every retried trigger.
 * The platform redelivers an event for as long as its handler throws (retry: true); this
 * runs the handler's work, and on a failure counts the attempt and asks
 * core/end-condition.ts whether to throw again (redelivery) or stop: then it leaves a
 * dead letter (systemStatus/dead_letters/messages/{eventId}, created once) or the
 * trigger's own record (the log writer's finding), and returns instead of throwing. Each
 * failure of a tenant's event is also counted for its health check (store/health.ts).
 */
import { FieldValue, type Firestore } from "firebase-admin/firestore";
import { endConditionDecision, isPermanentFailure, type EndCondition } from "../core/end-condition";
import type { DeadLetter } from "../schemas";
import { isAlreadyExists } from "./firestore";
import { recordStageFailure } from "./health";
import { paths } from "./paths";
import { logEvent } from "../log-events";

const BODY_LIMIT = 2_000;

/** The event a retried trigger is handling, as the dead letter records it. */
export interface RetriedEvent {
  /** Event (or message) id: the dead letter's document id. */
  id: string;
  /** When the event happened (publish time, or the document write). */
  time: Date;
  /** The function name. */
  trigger: string;
  /** Topic, or the document path of a Firestore trigger. */
  source: string;
  tenant_id: string | null;
  /** What the health check calls the stage (default the trigger; a tenant job adds its job). */
  stage?: string;
  /** The body to replay (a message's text, or a document reference). */
  body: string;
}

export type GaveUp = { outcome: "dead_lettered"; kind: DeadLetter["kind"]; reason: string };

/** Records a dead letter once (a redelivered event finds it there). */
export async function recordDeadLetter(db: Firestore, event: RetriedEvent, kind: DeadLetter["kind"], reason: string, attempts: number, now = new Date()): Promise<GaveUp> {
  const letter: DeadLetter = {
    trigger: event.trigger,
    source: event.source,
    event_id: event.id,
    tenant_id: event.tenant_id,
    body: event.body.slice(0, BODY_LIMIT),
    kind,
    reason,
    attempts,
    published_at: event.time.toISOString(),
    recorded_at: now.toISOString(),
  };
  try {
    await db.doc(paths.deadLetter(event.id)).create(letter);
    logEvent.deadLettered({ trigger: event.trigger, event_id: event.id, tenant_id: event.tenant_id, kind, reason, attempts });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
  return { outcome: "dead_lettered", kind, reason };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface RetryOptions {
  now?: () => Date;
  /** Where failed attempts are counted (field `attempts`); default systemStatus/retries/events/{eventId}. */
  attemptsPath?: string;
  /** More fields for the attempts document (e.g. a status). */
  attemptFields?: Record<string, unknown>;
  /** The reason when this failure can never succeed; null when a retry may. Firestore INVALID_ARGUMENT is always permanent. */
  permanent?: (error: unknown) => string | null;
  /** The record left on giving up; default a dead letter. */
  giveUp?: (kind: DeadLetter["kind"], reason: string, attempts: number) => Promise<void>;
}

/**
 * Runs `work` for a retried event. Success → its value. Failure → permanent: recorded and
 * returned at once; transient within the end condition: counted and rethrown (the
 * platform redelivers); past the end condition: recorded and returned.
 */
export async function retryUntilEndCondition<T>(
  db: Firestore,
  event: RetriedEvent,
  rule: EndCondition,
  work: () => Promise<T>,
  options: RetryOptions = {},
): Promise<{ outcome: "done"; value: T } | GaveUp> {
  const clock = options.now ?? (() => new Date());
  try {
    return { outcome: "done", value: await work() };
  } catch (error) {
    const reason = messageOf(error);
    // The tenant's health check counts each failed attempt of the stage (best effort, never rethrown).
    if (event.tenant_id) await recordStageFailure(db, event.tenant_id, event.stage ?? event.trigger, reason, clock());
    const permanentReason = options.permanent?.(error) ?? (isPermanentFailure(error) ? reason : null);
    let attempts = 1;
    if (permanentReason === null) {
      const ref = db.doc(options.attemptsPath ?? paths.eventAttempts(event.id));
      await ref.set(
        { trigger: event.trigger, tenant_id: event.tenant_id, attempts: FieldValue.increment(1), last_error: reason, updated_at: clock().toISOString(), ...options.attemptFields },
        { merge: true },
      );
      attempts = ((await ref.get()).get("attempts") as number | undefined) ?? 1;
    }
    const decision = endConditionDecision(
      { reason: permanentReason ?? reason, permanent: permanentReason !== null, attempts, age_ms: clock().getTime() - event.time.getTime() },
      rule,
    );
    if (decision.action === "retry") {
      logEvent.triggerRetry({ trigger: event.trigger, event_id: event.id, tenant_id: event.tenant_id, attempts, error: reason });
      throw error;
    }
    if (options.giveUp) {
      await options.giveUp(decision.kind, decision.reason, attempts);
      return { outcome: "dead_lettered", kind: decision.kind, reason: decision.reason };
    }
    return recordDeadLetter(db, event, decision.kind, decision.reason, attempts, clock());
  }
}
