/**
 * Read callables of the client API, for any member of the tenant (viewer and up):
 * getStrategyWeights, getOrchestration and listOrchestrationLogs, and the operator's reads
 * (issue 13: the CLI and ask-Maestro's specialists) getDeskStatus, getStrategyPerformance,
 * getMaestroConfig and listAllocationHistory. Each reads only under the caller's tenant; a
 * log query is constrained to `tenant_id ==` the caller's tenant.
 */
import type { Firestore, QueryDocumentSnapshot } from "firebase-admin/firestore";
import { HttpsError } from "firebase-functions/v2/https";
import { ChainVerificationStatusSchema, LoggedSummaryFieldsSchema, OrchestrationSchema, parseWithReason, type LoggedSummaryFields } from "../schemas";
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
  AllocationHistoryEntrySchema,
  GetDeskStatusRequestSchema,
  GetDeskStatusResponseSchema,
  GetMaestroConfigRequestSchema,
  GetMaestroConfigResponseSchema,
  GetStrategyPerformanceRequestSchema,
  GetStrategyPerformanceResponseSchema,
  HealthViewSchema,
  ListAllocationHistoryRequestSchema,
  ListAllocationHistoryResponseSchema,
  type AllocationHistoryEntry,
} from "../schemas/api";
import { configFromSnapshot, loadMaestroConfig } from "../store/config";
import { venueDayOf } from "../core/market-hours";
import { dailyReturns } from "../core/fifo";
import { performanceMetrics } from "../core/metrics";
import { TradingSessionMalformed, readTradingSession } from "../store/trading-sessions";
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

// ---------------------------------------------------------------------------
// The operator's reads (issue 13)
// ---------------------------------------------------------------------------

export const getDeskStatus = maestroCallable(
  { name: "getDeskStatus", request: GetDeskStatusRequestSchema, response: GetDeskStatusResponseSchema, role: "viewer" },
  async ({ db, tenantId, now }) => {
    const io = new IoCount();
    const { config } = await loadMaestroConfig(db, tenantId, io);
    const day = venueDayOf(now, config.market_hours.time_zone);
    const [sessionRead, [healthSnap, verificationSnap], stored, lastSnap] = await Promise.all([
      readTradingSession(db, tenantId, day, io).catch((error: unknown) => {
        if (error instanceof TradingSessionMalformed) throw new HttpsError("failed-precondition", error.message);
        throw error;
      }),
      db.getAll(db.doc(paths.healthCurrent(tenantId)), db.doc(paths.logChainVerification(tenantId))),
      readStoredWeights(db, tenantId, io),
      db.collection(paths.orchestrations(tenantId)).orderBy("timestamp", "desc").limit(1).select("session_id", "timestamp", "trigger", "inputs.signal_ids").get(),
    ]);
    const session = sessionRead.session;
    const nowIso = now.toISOString();
    const locks = (session?.risk.locks ?? []).filter((l) => l.lifted_at === null && (l.until === null || l.until > nowIso));
    let health = null;
    let healthProblem: string | null = null;
    if (healthSnap.exists) {
      const parsed = parseWithReason(HealthViewSchema, plainData(healthSnap.data()));
      if (parsed.ok) health = parsed.value;
      else healthProblem = `tenants/${tenantId}/health/current is malformed: ${parsed.reason}`;
    }
    const verification = verificationSnap.exists ? ChainVerificationStatusSchema.safeParse(plainData(verificationSnap.data())) : null;
    const last = lastSnap.docs[0];
    return {
      tenant_id: tenantId,
      day,
      session,
      locks,
      health,
      health_problem: healthProblem,
      weights: stored.weights ? { computed_at: stored.weights.computed_at } : null,
      last_orchestration: last
        ? { session_id: String(last.get("session_id")), timestamp: String(last.get("timestamp")), trigger: String(last.get("trigger")), signals: (last.get("inputs.signal_ids") as unknown[] | undefined)?.length ?? 0 }
        : null,
      chain_verification: verification?.success ? verification.data : null,
    };
  },
);

export const getStrategyPerformance = maestroCallable(
  { name: "getStrategyPerformance", request: GetStrategyPerformanceRequestSchema, response: GetStrategyPerformanceResponseSchema, role: "viewer" },
  async ({ db, tenantId, data }) => {
    const io = new IoCount();
    const [{ config }, strategyRead, stored] = await Promise.all([loadMaestroConfig(db, tenantId, io), readStrategies(db, tenantId, io), readStoredWeights(db, tenantId, io)]);
    if (data.strategy_id !== undefined && !strategyRead.strategies[data.strategy_id]) {
      throw new HttpsError("not-found", `strategy_id: tenant '${tenantId}' has no strategy '${data.strategy_id}'`);
    }
    const ids = data.strategy_id !== undefined ? [data.strategy_id] : Object.keys(strategyRead.strategies).sort();
    const strategies = await Promise.all(
      ids.map(async (id) => {
        const strategy = strategyRead.strategies[id];
        // The newest period_days documents (the index strategy_id ↑, trading_day ↓), then oldest first.
        const snap = await db.collection(paths.performance(tenantId)).where("strategy_id", "==", id).orderBy("trading_day", "desc").limit(data.period_days).get();
        io.read(snap);
        const days = snap.docs
          .map((d) => ({
            day: d.get("trading_day") as string,
            daily_pnl: d.get("daily_pnl") as number,
            realized_pnl: d.get("realized_pnl") as number,
            unrealized_pnl: d.get("unrealized_pnl") as number,
            trade_count: d.get("trade_count") as number,
          }))
          .filter((r) => typeof r.day === "string" && [r.daily_pnl, r.realized_pnl, r.unrealized_pnl, r.trade_count].every(Number.isFinite))
          .reverse();
        return {
          strategy_id: id,
          name: strategy.name,
          mode: stored.weights?.strategies[id]?.mode ?? null,
          capital_base: strategy.capital_base,
          days,
          cumulative_pnl: days.reduce((sum, d) => sum + d.daily_pnl, 0),
          metrics: performanceMetrics(dailyReturns(days, strategy.capital_base), config.risk_free_rate, config.min_data_points),
        };
      }),
    );
    return { tenant_id: tenantId, period_days: data.period_days, strategies };
  },
);

export const getMaestroConfig = maestroCallable(
  { name: "getMaestroConfig", request: GetMaestroConfigRequestSchema, response: GetMaestroConfigResponseSchema, role: "viewer" },
  async ({ db, tenantId }) => {
    const io = new IoCount();
    const snap = await db.doc(paths.config(tenantId)).get();
    const loaded = await configFromSnapshot(db, tenantId, snap, io);
    const field = (name: string) => (typeof snap.get(name) === "string" ? (snap.get(name) as string) : null);
    return {
      tenant_id: tenantId,
      config: loaded.config,
      source: loaded.source,
      rejection: loaded.rejection,
      version: typeof snap.get("version") === "number" ? (snap.get("version") as number) : null,
      updated_at: field("updated_at"),
      updated_by: field("updated_by"),
    };
  },
);

export const listAllocationHistory = maestroCallable(
  { name: "listAllocationHistory", request: ListAllocationHistoryRequestSchema, response: ListAllocationHistoryResponseSchema, role: "viewer" },
  async ({ db, tenantId, data }) => {
    const snap = await db.collection(paths.allocationHistory(tenantId)).orderBy("at", "desc").limit(data.limit).get();
    const entries: AllocationHistoryEntry[] = [];
    const malformed: Record<string, string> = {};
    for (const doc of snap.docs) {
      const parsed = parseWithReason(AllocationHistoryEntrySchema, { ...(plainData(doc.data()) as object), id: doc.id });
      if (parsed.ok) entries.push(parsed.value);
      else malformed[doc.id] = parsed.reason;
    }
    return { tenant_id: tenantId, entries, malformed };
  },
);
