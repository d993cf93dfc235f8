/**
 * Stage 4 — log writer: a new orchestration → systemStatus/orchestration_logs/logs/
 * {timestamp}_{session_id}, seed 000's "Orchestration Logs" shape plus tenant_id,
 * ai_summary_source and the tenant's hash chain (seq, prev_log_id, prev_hash, hash).
 *
 * The summary is asked for first, outside the transaction, and can only ever fall back to
 * the written one: it never blocks or loses the log. It is kept on the orchestration
 * (`log.summary`) before the transaction, so a retried event reuses it instead of asking
 * Gemini again; the Gemini timeout is capped (AI_SUMMARY_TIMEOUT_MAX_MS) far under this
 * function's timeoutSeconds. The log carries the digest of the orchestration as stored and
 * is hashed exactly as stored (core/hash-chain), under the current chain key when
 * MAESTRO_LOG_CHAIN_KEYS is configured. The chain is extended in a
 * transaction on `tenants/{t}/log_chain/head`, so concurrent logs of one tenant are
 * serialised, and the log id comes from the session, so a repeated event is a no-op.
 * The outcome (state, attempts, error) is recorded on the orchestration; a failure is
 * rethrown so the platform retries the event until the log exists.
 */
import { FieldValue, type Firestore } from "firebase-admin/firestore";
import { onDocumentCreated } from "firebase-functions/v2/firestore";
import type { ChainKeys } from "../core/chain-keys";
import { GENESIS_HASH, logHash, orchestrationDigest } from "../core/hash-chain";
import { buildSummaryPrompt, writtenSummary } from "../core/summary";
import {
  AI_SUMMARY_TIMEOUT_MAX_MS,
  DEFAULT_CONFIG,
  LogChainHeadSchema,
  MaestroConfigSchema,
  ObtainedSummarySchema,
  OrchestrationLogSchema,
  OrchestrationSchema,
  parseWithReason,
  type MaestroConfig,
  type Orchestration,
  type OrchestrationLog,
} from "../schemas";
import { summarizeDecision, type SummaryResult } from "../summary/gemini";
import { IoCount, maestroDb, plainData } from "../store/firestore";
import { orchestrationLogId, paths, triggerPaths } from "../store/paths";
import { configuredChainKeys, cycleMaxInstances, geminiApiKey, geminiBaseUrl, logChainKeys } from "../params";
import { logEvent } from "../log-events";
import { recordCycle } from "../core/cycle-metrics";
import { metricsDay, readDailyMetrics } from "../store/metrics";
import { recordUnloggedOrchestration } from "../store/findings";
import { retryUntilEndCondition } from "../store/retries";

export interface SummaryProvider {
  (orchestration: Orchestration, config: MaestroConfig): Promise<SummaryResult>;
}

/** Gemini when a key is configured and enabled, the written summary otherwise. */
export function geminiSummaryProvider(apiKey: string | undefined, baseUrl: string | undefined): SummaryProvider {
  return (o, config) => {
    const input = {
      session_id: o.session_id,
      timestamp: o.timestamp,
      signals: o.signals,
      allocation_decisions: o.allocation_decisions,
      systemic_risk: o.systemic_risk,
      rejected_signals: o.rejected_signals,
      config,
    };
    return summarizeDecision({
      prompt: buildSummaryPrompt(input),
      writtenSummary: writtenSummary(input),
      apiKey,
      model: config.ai_summary.model,
      enabled: config.ai_summary.enabled,
      // The schema caps it; the min keeps the ceiling even for a config from before the cap.
      timeoutMs: Math.min(config.ai_summary.timeout_ms, AI_SUMMARY_TIMEOUT_MAX_MS),
      baseUrl,
    });
  };
}

export interface LogOutcome {
  log_id: string;
  created: boolean;
  seq: number;
  ai_summary_source: OrchestrationLog["ai_summary_source"];
  io: { reads: number; writes: number };
}

export interface LogWriteOptions {
  /** The chain keys; defaults to the configured MAESTRO_LOG_CHAIN_KEYS. */
  keys?: ChainKeys | null;
  /**
   * The orchestration document as it was created (the trigger's snapshot), for its digest;
   * defaults to the document as read now.
   */
  storedOrchestration?: Record<string, unknown>;
}

/** The log writer's ceiling; the Gemini timeout is capped far below it (AI_SUMMARY_TIMEOUT_MAX_MS). */
export const LOG_WRITER_TIMEOUT_SECONDS = 120;

export async function writeOrchestrationLog(
  db: Firestore,
  orchestration: Orchestration,
  summarize: SummaryProvider,
  options: LogWriteOptions = {},
): Promise<LogOutcome> {
  const keys = options.keys === undefined ? configuredChainKeys() : options.keys;
  const io = new IoCount();
  const tenantId = orchestration.tenant_id;
  const logId = orchestrationLogId(orchestration.timestamp, orchestration.session_id);
  const logRef = db.doc(paths.log(logId));
  const headRef = db.doc(paths.logChainHead(tenantId));
  const orchestrationRef = db.doc(paths.orchestration(tenantId, orchestration.session_id));

  const [existing, current] = await db.getAll(logRef, orchestrationRef);
  io.read([existing, current]);
  if (existing.exists) {
    return { log_id: logId, created: false, seq: existing.get("seq"), ai_summary_source: existing.get("ai_summary_source"), io: io.toJSON() };
  }
  const storedOrchestration = options.storedOrchestration ?? (plainData(current.data()) as Record<string, unknown> | undefined);
  if (!storedOrchestration) throw new Error(`orchestration ${orchestration.session_id} of tenant '${tenantId}' does not exist`);
  const digest = orchestrationDigest(storedOrchestration);

  // A retry reuses the summary an earlier attempt obtained (kept on the orchestration).
  const kept = ObtainedSummarySchema.safeParse(current.get("log.summary"));
  let summary: SummaryResult;
  if (kept.success) {
    summary = { ...kept.data, latency_ms: 0 };
  } else {
    // The config the orchestration ran with; an unreadable one cannot stop the log.
    const usedConfig = MaestroConfigSchema.safeParse(orchestration.inputs.config);
    const config = usedConfig.success ? usedConfig.data : DEFAULT_CONFIG;
    summary = await summarize(orchestration, config);
    if (summary.source === "written" && summary.fallback_reason !== "no_api_key" && summary.fallback_reason !== "disabled") {
      logEvent.summaryFallback({ tenant_id: tenantId, session_id: orchestration.session_id, reason: summary.fallback_reason });
    }
    await orchestrationRef.update({ "log.summary": { text: summary.text, source: summary.source, fallback_reason: summary.fallback_reason } });
    io.write();
  }

  const outcome = await db.runTransaction(async (tx) => {
    const [logSnap, headSnap, daily] = await Promise.all([
      tx.get(logRef),
      tx.get(headRef),
      readDailyMetrics(db, tx, tenantId, metricsDay(orchestration.timestamp)),
    ]);
    io.read(logSnap);
    io.read(headSnap);
    io.reads += 1;
    if (logSnap.exists) {
      return { log_id: logId, created: false, seq: logSnap.get("seq") as number, ai_summary_source: logSnap.get("ai_summary_source") };
    }
    const head = headSnap.exists ? LogChainHeadSchema.parse(plainData(headSnap.data())) : null;
    const content: Omit<OrchestrationLog, "hash"> = {
      timestamp: orchestration.timestamp,
      session_id: orchestration.session_id,
      tenant_id: tenantId,
      allocation_decisions: orchestration.allocation_decisions,
      systemic_risk_detected: orchestration.systemic_risk.detected,
      systemic_risk_details: orchestration.systemic_risk.details,
      signals_modified: orchestration.signals_modified,
      signals: orchestration.signals,
      rejected_signals: orchestration.rejected_signals,
      ...(orchestration.buying_power ? { buying_power: orchestration.buying_power } : {}),
      ai_summary: summary.text,
      ai_summary_source: summary.source,
      ai_summary_fallback_reason: summary.fallback_reason,
      signals_count: orchestration.signals.length,
      overrides_count: Object.keys(orchestration.signals_modified).length,
      rejected_count: orchestration.rejected_signals.length,
      orchestration_digest: digest,
      hash_key_id: keys ? keys.current.id : null,
      seq: (head?.seq ?? 0) + 1,
      prev_log_id: head?.last_log_id ?? null,
      prev_hash: head?.last_hash ?? GENESIS_HASH,
    };
    // Hash exactly what is stored: the schema-shaped document, through a JSON round trip.
    const stored = OrchestrationLogSchema.omit({ hash: true }).parse(JSON.parse(JSON.stringify(content)));
    const log: OrchestrationLog = { ...stored, hash: logHash(stored.prev_hash, stored, keys?.current ?? null) };
    const now = new Date().toISOString();
    tx.create(logRef, log);
    tx.set(headRef, { seq: log.seq, last_hash: log.hash, last_log_id: logId, updated_at: now });
    // The day's metrics count this cycle exactly once: in the transaction that creates its log.
    daily.write(
      recordCycle(daily.metrics, {
        latency_ms: orchestration.latency_ms,
        systemic_override: orchestration.systemic_risk.detected,
        signals_overridden: orchestration.signals.filter((s) => s.override_reason !== undefined).length,
        signals_orchestrated: orchestration.signals.length,
        signals_rejected: orchestration.rejected_signals.length,
        modes: Object.fromEntries(orchestration.allocation_decisions.map((d) => [d.strategy_id, d.mode])),
        summary_source: summary.source,
        at: now,
      }),
    );
    io.write(4);
    // Field paths, so attempts counts on from any failed try instead of restarting.
    tx.update(orchestrationRef, {
      "log.state": "WRITTEN",
      "log.log_id": logId,
      "log.attempts": FieldValue.increment(1),
      "log.error": null,
      "log.updated_at": now,
      "log.io": io.toJSON(),
    });
    return { log_id: logId, created: true, seq: log.seq, ai_summary_source: log.ai_summary_source };
  });
  const result = { ...outcome, io: io.toJSON() };
  if (result.created) logEvent.logWritten({ tenant_id: tenantId, session_id: orchestration.session_id, ...result });
  return result;
}

/**
 * End condition of the log writer: generous, because the promise is "no orchestrated
 * signal without its log". Still failing an hour after the orchestration was written, it
 * stops and leaves the unlogged-orchestration finding (the monitor's sweep would record
 * the same one).
 */
export const MAX_LOG_WRITER_AGE_MS = 60 * 60_000;

export const onOrchestrationCreated = onDocumentCreated(
  {
    document: triggerPaths.orchestration,
    retry: true,
    secrets: [geminiApiKey, logChainKeys],
    maxInstances: cycleMaxInstances,
    // One orchestration per instance: the tenant's chain head is contended anyway.
    concurrency: 1,
    timeoutSeconds: LOG_WRITER_TIMEOUT_SECONDS,
    memory: "512MiB",
  },
  async (event) => {
    if (!event.data) return;
    const created = plainData(event.data.data()) as Record<string, unknown>;
    const parsed = parseWithReason(OrchestrationSchema, created);
    if (!parsed.ok) {
      // Not something a retry can fix: record it on the orchestration and stop.
      await event.data.ref.set({ log: { state: "PENDING", error: `malformed orchestration: ${parsed.reason}` } }, { merge: true });
      logEvent.logWriteFailed({ tenant_id: event.params.tenantId, session_id: event.params.sessionId, error: parsed.reason });
      return;
    }
    const db = maestroDb();
    const ref = event.data.ref;
    const orchestration = parsed.value;
    await retryUntilEndCondition(
      db,
      { id: event.id, time: new Date(event.time), trigger: "onOrchestrationCreated", source: ref.path, tenant_id: event.params.tenantId, body: ref.path },
      { max_age_ms: MAX_LOG_WRITER_AGE_MS, since: "the orchestration was written" },
      async () => {
        try {
          await writeOrchestrationLog(db, orchestration, geminiSummaryProvider(geminiApiKey.value() || undefined, geminiBaseUrl.value()), {
            storedOrchestration: created,
          });
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          logEvent.logWriteFailed({ tenant_id: event.params.tenantId, session_id: event.params.sessionId, event_id: event.id, error: message });
          await ref
            .update({ "log.attempts": FieldValue.increment(1), "log.error": message, "log.updated_at": new Date().toISOString() })
            .catch(() => undefined);
          throw error; // retried by the platform until the log exists, or until the end condition
        }
      },
      {
        giveUp: async (kind, reason, attempts) => {
          await recordUnloggedOrchestration(db, event.params.tenantId, event.params.sessionId, {
            orchestration_timestamp: orchestration.timestamp,
            log_attempts: attempts,
            log_error: reason,
            detected_at: new Date().toISOString(),
            detail: `the log writer gave up on orchestration ${event.params.sessionId} (${orchestration.timestamp}): ${reason}${kind === "permanent" ? " (cannot succeed)" : ""}`,
          });
        },
      },
    );
  },
);
