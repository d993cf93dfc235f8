/**
 * The unlogged-orchestration finding (DESIGN.md: "the audit flags any orchestration older
 * than a minute that has none"): tenants/{t}/findings/unlogged_{session}, created once.
 * The sweep runs after each log's audit, after each market cycle and in each tenant's
 * nightly job; the log writer records the same finding when it gives up.
 */
import type { Firestore } from "firebase-admin/firestore";
import { isAlreadyExists } from "./firestore";
import { paths } from "./paths";
import { logEvent } from "../log-events";

export const LOG_DEADLINE_MS = 60_000;

export interface UnloggedFinding {
  session_id: string;
  orchestration_timestamp: string;
  created: boolean;
}

/** Creates the finding for one orchestration without a log; false when it was recorded already. */
export async function recordUnloggedOrchestration(
  db: Firestore,
  tenantId: string,
  sessionId: string,
  fields: { orchestration_timestamp: string; log_attempts: number; log_error: string | null; detected_at: string; detail: string },
): Promise<boolean> {
  const finding = { kind: "orchestration_without_log", tenant_id: tenantId, session_id: sessionId, ...fields };
  try {
    await db.doc(paths.finding(tenantId, `unlogged_${sessionId}`)).create(finding);
    logEvent.unloggedOrchestration(finding);
    return true;
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
    return false;
  }
}

export async function findUnloggedOrchestrations(db: Firestore, tenantId: string, now = new Date()): Promise<UnloggedFinding[]> {
  const cutoff = new Date(now.getTime() - LOG_DEADLINE_MS).toISOString();
  const snap = await db
    .collection(paths.orchestrations(tenantId))
    .where("log.state", "==", "PENDING")
    .where("timestamp", "<=", cutoff)
    .orderBy("timestamp")
    .limit(50)
    .get();
  return Promise.all(
    snap.docs.map(async (doc): Promise<UnloggedFinding> => {
      const timestamp = String(doc.get("timestamp"));
      const created = await recordUnloggedOrchestration(db, tenantId, doc.id, {
        orchestration_timestamp: timestamp,
        log_attempts: doc.get("log.attempts") ?? 0,
        log_error: doc.get("log.error") ?? null,
        detected_at: now.toISOString(),
        detail: `orchestration ${doc.id} (${timestamp}) has no log ${LOG_DEADLINE_MS / 1000} s after it was written`,
      });
      return { session_id: doc.id, orchestration_timestamp: timestamp, created };
    }),
  );
}
