/**
 * Stage 5 — audit: a new orchestration log → tenants/{t}/audits/{log_id}, each check of
 * core/audit.ts with pass/fail and its findings. Reads the orchestration (for the config
 * it used and its digest), the previous link of the chain and the nonce registry of the
 * log's signals. The chain is checked on the logs exactly as stored, under the configured
 * chain keys (MAESTRO_LOG_CHAIN_KEYS), by the rule verifyLogChain uses.
 * The audit id is the log id and it is written with create(), so a repeated event is a
 * no-op. A trading session's move (a TransitionLog in the same chain) has no audit of its
 * own: its link is checked by the next log's audit (the previous link) and by the chain
 * walk, which also checks that the move is one the session's state machine allows.
 */
import type { Firestore } from "firebase-admin/firestore";
import { onDocumentCreated } from "firebase-functions/v2/firestore";
import { auditOrchestrationLog, chainKeyStatus } from "../core/audit";
import type { ChainKeys } from "../core/chain-keys";
import { DEFAULT_CONFIG, DocIdSchema, MaestroConfigSchema, OrchestrationLogSchema, parseWithReason, type Audit } from "../schemas";
import { isTransitionLog } from "../store/trading-sessions";
import { IoCount, isAlreadyExists, maestroDb, plainData } from "../store/firestore";
import { paths, triggerPaths } from "../store/paths";
import { logEvent } from "../log-events";
import { configuredChainKeys, cycleMaxInstances, logChainKeys } from "../params";
import { findUnloggedOrchestrations } from "../store/findings";
import { retryUntilEndCondition } from "../store/retries";
import { raiseAlertSafely } from "../store/alerts";

export interface AuditOutcome {
  audit: Audit;
  created: boolean;
  io: { reads: number; writes: number };
}

/** `keys` defaults to the configured MAESTRO_LOG_CHAIN_KEYS. */
export async function auditLog(db: Firestore, logId: string, rawLog: unknown, now = new Date(), keys: ChainKeys | null = configuredChainKeys()): Promise<AuditOutcome> {
  const io = new IoCount();
  const stored = (plainData(rawLog) ?? {}) as Record<string, unknown>;
  const parsed = parseWithReason(OrchestrationLogSchema, stored);
  const tenantId = (rawLog as { tenant_id?: unknown })?.tenant_id;
  if (!parsed.ok) {
    // A log that does not even have the log's shape fails the audit outright.
    if (typeof tenantId !== "string" || tenantId.length === 0 || tenantId.includes("/")) {
      throw new Error(`log ${logId} is malformed and names no tenant: ${parsed.reason}`);
    }
    const audit: Audit = {
      tenant_id: tenantId,
      log_id: logId,
      session_id: String((rawLog as { session_id?: unknown })?.session_id ?? ""),
      passed: false,
      checks: [{ name: "log_well_formed", passed: false, findings: [parsed.reason] }],
      ...chainKeyStatus(keys, stored),
      audited_at: now.toISOString(),
    };
    return storeAudit(db, audit, io);
  }
  const log = parsed.value;

  const nonces = log.signals.flatMap((s) => (typeof s.nonce === "string" && s.nonce.length > 0 && !s.nonce.includes("/") ? [s.nonce] : []));
  const [orchestrationSnap, previousSnap, nonceSnaps] = await Promise.all([
    db.doc(paths.orchestration(log.tenant_id, log.session_id)).get(),
    log.prev_log_id ? db.doc(paths.log(log.prev_log_id)).get() : Promise.resolve(null),
    nonces.length ? db.getAll(...nonces.map((n) => db.doc(paths.nonce(log.tenant_id, n)))) : Promise.resolve([]),
  ]);
  io.read(orchestrationSnap);
  if (previousSnap) io.read(previousSnap);
  io.read(nonceSnaps);

  const usedConfig = MaestroConfigSchema.safeParse(orchestrationSnap.get("inputs.config"));
  const previousStored = previousSnap?.exists ? (plainData(previousSnap.data()) as Record<string, unknown>) : null;
  const registry: Record<string, { session_id: string } | null> = {};
  for (const snap of nonceSnaps) {
    registry[snap.id] = snap.exists ? { session_id: String(snap.get("session_id")) } : null;
  }

  const checks = auditOrchestrationLog({
    log_id: logId,
    log,
    stored,
    config: usedConfig.success ? usedConfig.data : DEFAULT_CONFIG,
    previous: previousStored ? { log_id: log.prev_log_id!, stored: previousStored } : null,
    orchestration: orchestrationSnap.exists ? (plainData(orchestrationSnap.data()) as Record<string, unknown>) : null,
    nonce_registry: registry,
    keys,
  });
  const audit: Audit = {
    tenant_id: log.tenant_id,
    log_id: logId,
    session_id: log.session_id,
    passed: checks.every((c) => c.passed),
    checks,
    ...chainKeyStatus(keys, stored),
    audited_at: now.toISOString(),
  };
  return storeAudit(db, audit, io);
}

async function storeAudit(db: Firestore, audit: Audit, io: IoCount): Promise<AuditOutcome> {
  io.write(); // the audit itself, counted so the stored figure includes it
  try {
    await db.doc(paths.audit(audit.tenant_id, audit.log_id)).create({ ...audit, io: io.toJSON() });
  } catch (error) {
    if (isAlreadyExists(error)) return { audit, created: false, io: io.toJSON() };
    throw error;
  }
  const fields = { tenant_id: audit.tenant_id, session_id: audit.session_id, log_id: audit.log_id, passed: audit.passed };
  if (audit.passed) logEvent.auditWritten(fields);
  else {
    logEvent.auditFailed({ ...fields, failed: audit.checks.filter((c) => !c.passed) });
    await raiseAlertSafely(db, audit.tenant_id, {
      id: `audit_failed_${audit.log_id}`,
      severity: "critical",
      code: "AUDIT_FAILED",
      title: "Audit failed",
      message: `The audit of log ${audit.log_id} failed: ${audit.checks.filter((c) => !c.passed).map((c) => `${c.name} (${c.findings.join("; ")})`).join(", ")}`,
      at: audit.audited_at,
    });
  }
  return { audit, created: true, io: io.toJSON() };
}

/** End condition of the audit trigger: a log still failing its audit an hour later is dead-lettered. */
export const MAX_AUDIT_AGE_MS = 60 * 60_000;

export const onOrchestrationLogCreated = onDocumentCreated(
  {
    document: triggerPaths.orchestrationLog,
    retry: true,
    maxInstances: cycleMaxInstances,
    secrets: [logChainKeys],
    concurrency: 1,
    timeoutSeconds: 120,
    memory: "512MiB",
  },
  async (event) => {
    if (!event.data) return;
    const db = maestroDb();
    const data = event.data.data();
    if (isTransitionLog(data)) return;
    const tenantId = typeof data?.tenant_id === "string" ? data.tenant_id : null;
    const source = paths.log(event.params.logId);
    await retryUntilEndCondition(
      db,
      { id: event.id, time: new Date(event.time), trigger: "onOrchestrationLogCreated", source, tenant_id: tenantId, body: source },
      { max_age_ms: MAX_AUDIT_AGE_MS, since: "the log was written" },
      async () => {
        const { audit } = await auditLog(db, event.params.logId, data);
        // Every log also checks its tenant for orchestrations that never got theirs.
        await findUnloggedOrchestrations(db, audit.tenant_id);
      },
      // A log that names no tenant has nowhere for its audit to go: no retry can fix that.
      { permanent: (error) => (tenantId === null || !DocIdSchema.safeParse(tenantId).success ? (error instanceof Error ? error.message : String(error)) : null) },
    );
  },
);
