/**
 * When a retried trigger stops retrying. Every retried function (market cycle, tenant job,
 * log writer, audit, rollup triggers) is redelivered by the platform for as long as it
 * throws; these rules decide when it stops throwing and leaves a record instead:
 *
 * - an input that can never succeed (the handler says so, or Firestore answers
 *   INVALID_ARGUMENT, gRPC code 3, to a bad id) is permanent: recorded at once, never retried;
 * - otherwise it is retried until the event is older than its end condition, or (where a
 *   trigger sets one) has failed `max_attempts` times; then it gives up with a record.
 *
 * Pure: the store counts attempts and writes the record.
 */

/** gRPC INVALID_ARGUMENT: the request itself is wrong (a reserved or malformed id, an oversized value). */
export const GRPC_INVALID_ARGUMENT = 3;

/** An error no redelivery can fix. */
export function isPermanentFailure(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === GRPC_INVALID_ARGUMENT;
}

export interface EndCondition {
  /** Give up once the event is older than this. */
  max_age_ms: number;
  /** Give up after this many failed attempts (optional: age alone otherwise). */
  max_attempts?: number;
  /** How the event's age is described in the reason: "publication" (Pub/Sub) or "the write" (Firestore). */
  since: string;
}

export type EndDecision = { action: "retry" } | { action: "give_up"; kind: "permanent" | "gave_up"; reason: string };

export function endConditionDecision(
  failure: { reason: string; permanent: boolean; attempts: number; age_ms: number },
  rule: EndCondition,
): EndDecision {
  if (failure.permanent) return { action: "give_up", kind: "permanent", reason: failure.reason };
  const outOfAttempts = rule.max_attempts !== undefined && failure.attempts >= rule.max_attempts;
  if (outOfAttempts || failure.age_ms > rule.max_age_ms) {
    const why = outOfAttempts ? `${failure.attempts} attempts` : `${Math.round(failure.age_ms / 1000)} s after ${rule.since}`;
    return { action: "give_up", kind: "gave_up", reason: `gave up after ${why}: ${failure.reason}` };
  }
  return { action: "retry" };
}
