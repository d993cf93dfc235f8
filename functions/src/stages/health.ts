/**
 * The per-minute health check (issue 11, seed 001 "Error Handling"): one `health_check`
 * tenant job per active tenant, every minute (its own invocation, as every tenant job).
 *
 * For one tenant: the broker's status (a call that times out counts as down), and where it
 * is healthy the account snapshot synced from its portfolio (`account/snapshot`: equity,
 * buying power = the available value, `as_of`, `source: "broker"`), so the execution side
 * no longer has to write it; the snapshot's age; then the tier (core/health.ts). Written to
 * `tenants/{t}/health/current` and `tenants/{t}/health_history/{checked_at}`. A critical
 * tier while the session's clock is awake triggers the emergency stop, by the guardian.
 *
 * Not in this slice: the warning tier's pause of entries, market-data freshness and the
 * stages' recent failures as inputs, and alerts (see the issue-11 note).
 */
import type { Firestore } from "firebase-admin/firestore";
import { onSchedule } from "firebase-functions/v2/scheduler";
import type { BrokerAdapter, BrokerStatus } from "../broker/adapter";
import { assessHealth, type HealthVerdict } from "../core/health";
import { venueDayOf } from "../core/market-hours";
import { CYCLE_SLOT_MINUTES, clockWakes } from "../core/trading-session";
import { loadMaestroConfig } from "../store/config";
import { IoCount, maestroDb, plainData, storable } from "../store/firestore";
import { paths } from "../store/paths";
import { jsonPublisher } from "../store/pubsub";
import { TENANT_JOB_TOPIC, fanOutTenantJob, runIdOf, type TenantJob } from "../store/tenant-jobs";
import { configuredBroker, emergencyStop } from "../store/emergency";
import { raiseAlertSafely } from "../store/alerts";
import { logEvent } from "../log-events";

export interface HealthRecord extends HealthVerdict {
  tenant_id: string;
  checked_at: string;
  broker: (Pick<BrokerStatus, "reachable" | "ready" | "version" | "problem"> & { kind: string }) | null;
  account_synced: boolean;
  snapshot_as_of: string | null;
  session_day: string;
  session_state: string | null;
  emergency_stop: { triggered: boolean; reason: string | null };
}

export async function checkTenantHealth(db: Firestore, tenantId: string, options: { now?: Date; broker?: BrokerAdapter | null } = {}): Promise<HealthRecord> {
  const now = options.now ?? new Date();
  const io = new IoCount();
  const { config } = await loadMaestroConfig(db, tenantId, io);
  const currentRef = db.doc(`${paths.tenant(tenantId)}/health/current`);
  const snapshotRef = db.doc(paths.accountSnapshot(tenantId));
  const day = venueDayOf(now, config.market_hours.time_zone);
  const [previous, snapshot, session] = await db.getAll(currentRef, snapshotRef, db.doc(paths.tradingSession(tenantId, day)));

  const broker = options.broker !== undefined ? options.broker : configuredBroker(config).broker;
  let status: BrokerStatus | null = null;
  let synced = false;
  let snapshotAsOf: string | null = typeof snapshot.get("as_of") === "string" ? snapshot.get("as_of") : null;
  if (broker) {
    status = await broker.status();
    if (status.reachable && status.ready && config.health.sync_account) {
      try {
        const portfolio = await broker.portfolioState();
        const asOf = portfolio.as_of.toISOString();
        await snapshotRef.set({ equity: portfolio.equity, buying_power: portfolio.available_value, as_of: asOf, source: "broker", synced_at: now.toISOString() });
        synced = true;
        snapshotAsOf = asOf;
      } catch (error) {
        status = { ...status, ready: false, problem: { kind: "protocol", message: `portfolio state: ${error instanceof Error ? error.message : String(error)}` } };
      }
    }
  }

  const sessionState = session.exists ? String(session.get("state")) : null;
  const verdict = assessHealth({
    now,
    broker: status,
    brokerDownSince: previous.exists ? ((plainData(previous.data()) as { broker_down_since?: string | null }).broker_down_since ?? null) : null,
    brokerDownStopSeconds: config.health.broker_down_stop_seconds,
    sessionAwake: clockWakes(now, config.market_hours, config.trading_session, CYCLE_SLOT_MINUTES).wake && sessionState !== "EMERGENCY_STOP",
    snapshotAsOf,
    maxSnapshotAgeSeconds: config.account.max_snapshot_age_seconds,
  });

  let triggered = false;
  if (verdict.stop) {
    // Critical: the orchestrator stops itself (its report says what it could and could not do without the broker).
    await emergencyStop(db, { tenantId, reason: verdict.stop, actor: { kind: "guardian", code: "BROKER_UNREACHABLE" }, now: () => now, ...(options.broker !== undefined ? { broker: options.broker } : {}) });
    triggered = true;
  }
  const record: HealthRecord = {
    tenant_id: tenantId,
    checked_at: now.toISOString(),
    ...verdict,
    broker: status && broker ? { kind: broker.kind, reachable: status.reachable, ready: status.ready, version: status.version, problem: status.problem } : null,
    account_synced: synced,
    snapshot_as_of: snapshotAsOf,
    session_day: day,
    session_state: triggered ? "EMERGENCY_STOP" : sessionState,
    emergency_stop: { triggered, reason: verdict.stop },
  };
  const batch = db.batch();
  batch.set(currentRef, storable(record));
  batch.set(db.doc(`${paths.tenant(tenantId)}/health_history/${record.checked_at}`), storable(record));
  await batch.commit();
  if (verdict.tier !== "ok") logEvent.healthDegraded({ tenant_id: tenantId, tier: verdict.tier, reasons: verdict.reasons, emergency_stop: triggered });
  // An escalation (a worse tier than the last check's) raises one alert.
  const before = previous.exists ? String(previous.get("tier")) : "ok";
  const worse = (verdict.tier === "critical" && before !== "critical") || (verdict.tier === "warning" && before === "ok");
  if (worse) {
    await raiseAlertSafely(db, tenantId, {
      id: `health_${verdict.tier}_${record.checked_at}`,
      severity: verdict.tier === "critical" ? "critical" : "warning",
      code: verdict.tier === "critical" ? "HEALTH_CRITICAL" : "HEALTH_WARNING",
      title: verdict.tier === "critical" ? "Health critical" : "Health warning",
      message: verdict.reasons.join("; "),
      at: record.checked_at,
    });
  }
  return record;
}

export const healthCheckJob: TenantJob = async (db, ctx) => {
  const record = await checkTenantHealth(db, ctx.tenant_id, { now: ctx.now });
  return { status: "ok", detail: { tier: record.tier, reasons: record.reasons, emergency_stop: record.emergency_stop.triggered } };
};

/** Every minute: one health_check message per active tenant. */
export const scheduledHealthCheck = onSchedule({ schedule: "every 1 minutes", timeZone: "UTC", retryCount: 0, timeoutSeconds: 120, memory: "256MiB" }, async (event) => {
  await fanOutTenantJob(maestroDb(), "health_check", runIdOf(new Date(event.scheduleTime)), jsonPublisher(TENANT_JOB_TOPIC));
});
