/**
 * Read callables of the client API, for any member of the tenant (viewer and up):
 * getStrategyWeights, getOrchestration and listOrchestrationLogs. Each reads only under
 * the caller's tenant; a log query is constrained to `tenant_id ==` the caller's tenant.
 */
import type { Firestore, QueryDocumentSnapshot } from "firebase-admin/firestore";
import { HttpsError } from "firebase-functions/v2/https";
import { LoggedSummaryFieldsSchema, OrchestrationSchema, type LoggedSummaryFields } from "../schemas";
import {
  GetOrchestrationRequestSchema,
  GetOrchestrationResponseSchema,
  GetStrategyWeightsRequestSchema,
  GetStrategyWeightsResponseSchema,
  ListOrchestrationLogsRequestSchema,
  ListOrchestrationLogsResponseSchema,
  type ListOrchestrationLogsRequest,
  type ListOrchestrationLogsResponse,
  type LogListItem,
} from "../schemas/api";
import { loadMaestroConfig } from "../store/config";
import { IoCount, parseDoc, plainData } from "../store/firestore";
import { paths } from "../store/paths";
import { isTransitionLog } from "../store/trading-sessions";
import { maestroCallable } from "./callable";
import { readStoredWeights, readStrategies, weightsAreCurrent } from "../store/weights";

export const getStrategyWeights = maestroCallable(
  { name: "getStrategyWeights", request: GetStrategyWeightsRequestSchema, response: GetStrategyWeightsResponseSchema, role: "viewer" },
  async ({ db, tenantId }) => {
    const io = new IoCount();
    const [stored, loaded, strategyRead] = await Promise.all([
      readStoredWeights(db, tenantId, io),
      loadMaestroConfig(db, tenantId, io),
      readStrategies(db, tenantId, io),
    ]);
    if (!stored.weights) throw new HttpsError("not-found", `tenant '${tenantId}' has no weights yet: they are computed by the first cycle or the 15-minute schedule`);
    return {
      tenant_id: tenantId,
      computed_at: stored.weights.computed_at,
      fresh: weightsAreCurrent(stored, loaded.config, strategyRead.strategies),
      strategies: Object.values(stored.weights.strategies).sort((a, b) => a.strategy_id.localeCompare(b.strategy_id)),
      portfolio: stored.weights.portfolio ?? null,
    };
  },
);

export const getOrchestration = maestroCallable(
  { name: "getOrchestration", request: GetOrchestrationRequestSchema, response: GetOrchestrationResponseSchema, role: "viewer" },
  async ({ db, tenantId, data }) => {
    const snap = await db.doc(paths.orchestration(tenantId, data.session_id)).get();
    if (!snap.exists) throw new HttpsError("not-found", `session_id: no orchestration '${data.session_id}' in tenant '${tenantId}'`);
    const parsed = parseDoc(OrchestrationSchema, snap);
    if (!parsed.ok) throw new HttpsError("failed-precondition", `orchestration '${data.session_id}' is malformed: ${parsed.reason}`);
    const { io: _io, ...orchestration } = parsed.value;
    return orchestration;
  },
);

// ---------------------------------------------------------------------------
// Log listing: newest first, keyset pagination on (timestamp, log id)
// ---------------------------------------------------------------------------

/** An opaque cursor: the position (timestamp, log id) of the last log of a page. */
export function encodeLogCursor(timestamp: string, logId: string): string {
  return Buffer.from(JSON.stringify([timestamp, logId]), "utf8").toString("base64url");
}

export function decodeLogCursor(cursor: string): [string, string] | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "string" && v.length > 0)) {
      return [value[0] as string, value[1] as string];
    }
  } catch {
    // fall through
  }
  return null;
}

/** Only these fields are read from each log (the counts are stored on it at write time). */
const LISTED_FIELDS = Object.keys(LoggedSummaryFieldsSchema.shape);

function listItem(logId: string, log: LoggedSummaryFields): LogListItem {
  return { log_id: logId, ...log };
}

export async function listLogs(db: Firestore, tenantId: string, request: ListOrchestrationLogsRequest): Promise<ListOrchestrationLogsResponse> {
  let query = db.collection(paths.logs()).where("tenant_id", "==", tenantId);
  if (request.systemic_only) query = query.where("systemic_risk_detected", "==", true);
  query = query.orderBy("timestamp", "desc").orderBy("__name__", "desc");
  if (request.cursor !== null) {
    const position = decodeLogCursor(request.cursor);
    if (!position) throw new HttpsError("invalid-argument", "cursor: is not a cursor returned by listOrchestrationLogs");
    query = query.startAfter(position[0], position[1]);
  }
  // The chain also holds the trading sessions' moves (issue 10), which this does not list:
  // read on past them until the page is full (they are a handful a day, so rarely a second read).
  const items: LogListItem[] = [];
  let after: QueryDocumentSnapshot | null = null;
  for (;;) {
    const batch = (after ? query.startAfter(after) : query).select(...LISTED_FIELDS, "kind").limit(request.page_size + 1);
    const snap = await batch.get();
    for (const doc of snap.docs) {
      if (isTransitionLog(doc.data())) continue;
      const parsed = LoggedSummaryFieldsSchema.safeParse(plainData(doc.data()));
      if (!parsed.success) throw new HttpsError("failed-precondition", `log '${doc.id}' is malformed; run the audit`);
      items.push(listItem(doc.id, parsed.data));
      if (items.length > request.page_size) break;
    }
    if (items.length > request.page_size || snap.size < request.page_size + 1) break;
    after = snap.docs[snap.docs.length - 1];
  }
  const logs = items.slice(0, request.page_size);
  const last = logs[logs.length - 1];
  const more = items.length > request.page_size;
  return { logs, next_cursor: more && last ? encodeLogCursor(last.timestamp, last.log_id) : null };
}

export const listOrchestrationLogs = maestroCallable(
  { name: "listOrchestrationLogs", request: ListOrchestrationLogsRequestSchema, response: ListOrchestrationLogsResponseSchema, role: "viewer" },
  async ({ db, tenantId, data }) => listLogs(db, tenantId, data),
);
