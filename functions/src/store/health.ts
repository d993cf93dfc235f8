/**
 * The stages' recent failures, for the health check (issue 11, seed 001: "one stage
 * failing" is a warning). Every retried trigger and tenant job records each failed attempt
 * here, through store/retries.ts:
 *
 *   tenants/{t}/health/stages   {stages: {[stage]: {at: [ISO …] (the last few), last_reason}}}
 *
 * Recording is best effort: a failure to record is logged and never changes what the
 * trigger does (its retry, its dead letter).
 */
import type { Firestore } from "firebase-admin/firestore";
import type { StageFailures } from "../core/health";
import { paths } from "./paths";
import { logEvent } from "../log-events";

/** Failures kept per stage: enough for any warning count the config allows within a window. */
const KEPT_PER_STAGE = 100;
const REASON_LIMIT = 500;

export async function recordStageFailure(db: Firestore, tenantId: string, stage: string, reason: string, at: Date): Promise<void> {
  try {
    const ref = db.doc(paths.healthStages(tenantId));
    await db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      const stages = readStageFailures(snap.get("stages"));
      const before = stages[stage]?.at ?? [];
      stages[stage] = { at: [...before, at.toISOString()].sort().slice(-KEPT_PER_STAGE), last_reason: reason.slice(0, REASON_LIMIT) };
      tx.set(ref, { tenant_id: tenantId, stages, updated_at: at.toISOString() });
    });
  } catch (error) {
    logEvent.stageFailureNotRecorded({ tenant_id: tenantId, stage, error: error instanceof Error ? error.message : String(error) });
  }
}

/** The stored failures, well-formed entries only (a malformed one is left out, not trusted). */
export function readStageFailures(stored: unknown): Record<string, StageFailures> {
  const out: Record<string, StageFailures> = {};
  if (!stored || typeof stored !== "object") return out;
  for (const [stage, entry] of Object.entries(stored as Record<string, unknown>)) {
    const { at, last_reason: reason } = (entry ?? {}) as { at?: unknown; last_reason?: unknown };
    if (!Array.isArray(at)) continue;
    out[stage] = { at: at.filter((x): x is string => typeof x === "string" && !Number.isNaN(Date.parse(x))), last_reason: typeof reason === "string" ? reason : "" };
  }
  return out;
}
