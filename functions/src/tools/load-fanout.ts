/**
 * The fan-out load run, shared by the load test and `npm run bench`: N tenants of M
 * strategies (with pending signals), one scheduled fan-out through the real Pub/Sub
 * emulator, then every tenant's cycle orchestrated, logged and audited by the real
 * triggers. Returns what happened to each tenant and the timings.
 */
import type { Firestore } from "firebase-admin/firestore";
import { sessionIdForEvent } from "../core/identity";
import { fanOutMarketCycles, pubsubPublish, type FanOutReport } from "../stages/market-cycles";
import { paths } from "../store/paths";
import { openAllDay } from "./emulator-client";
import { summarise } from "./bench-core";

export interface LoadOptions {
  tenants: number;
  strategies: number;
  signalsPerTenant: number;
  /** An instant in the default venue's session (New York, 09:30–16:00, a trading day). */
  now: Date;
  /** Tenant ids are `${prefix}-0000` …; a prefix per run keeps runs apart. */
  prefix: string;
  timeoutMs?: number;
}

export interface TenantOutcome {
  tenant_id: string;
  orchestrations: number;
  logs: number;
  audits: number;
  audit_passed: boolean;
  expected_session: string;
  /** Fan-out start → this tenant's audit written. */
  latency_ms: number | null;
  orchestration_latency_ms: number | null;
}

export interface LoadResult {
  /** Tenants whose cycle message was published a second time because the first never arrived. */
  redelivered: string[];
  report: FanOutReport;
  tenants: TenantOutcome[];
  seed_ms: number;
  publish_ms: number;
  /** Fan-out start → the last tenant's audit. */
  total_ms: number;
  latency: ReturnType<typeof summarise>;
  orchestration_latency: ReturnType<typeof summarise>;
}

export function loadTenantIds(options: Pick<LoadOptions, "tenants" | "prefix">): string[] {
  return Array.from({ length: options.tenants }, (_, i) => `${options.prefix}-${String(i).padStart(4, "0")}`);
}

async function seed(db: Firestore, options: LoadOptions): Promise<void> {
  const docs: Array<[string, Record<string, unknown>]> = [];
  const actions = ["BUY", "SELL", "HOLD"];
  for (const tenantId of loadTenantIds(options)) {
    docs.push([paths.tenant(tenantId), { name: `Load ${tenantId}`, active: true }]);
    docs.push([paths.config(tenantId), openAllDay()]);
    docs.push([paths.accountSnapshot(tenantId), { equity: 10_000_000, buying_power: 10_000_000, as_of: new Date().toISOString() }]);
    for (let s = 0; s < options.strategies; s++) {
      docs.push([paths.strategy(tenantId, `s${s}`), { name: `S${s}`, enabled: true, capital_base: 100_000, manual_mode: null }]);
    }
    for (let i = 0; i < options.signalsPerTenant; i++) {
      docs.push([
        paths.signal(tenantId, `sig${i}`),
        { strategy_id: `s${i % options.strategies}`, action: actions[i % actions.length], ticker: "SPY", allocation: 0.1, confidence: 0.6, reasoning: "load", status: "pending", created_at: new Date() },
      ]);
    }
  }
  const batches: Promise<unknown>[] = [];
  for (let i = 0; i < docs.length; i += 450) {
    const batch = db.batch();
    for (const [path, data] of docs.slice(i, i + 450)) batch.set(db.doc(path), data);
    batches.push(batch.commit());
  }
  await Promise.all(batches);
}

async function outcomeOf(db: Firestore, tenantId: string, slot: string, started: number): Promise<TenantOutcome> {
  const [orchestrations, logs, audits] = await Promise.all([
    db.collection(paths.orchestrations(tenantId)).get(),
    db.collection(paths.logs()).where("tenant_id", "==", tenantId).get(),
    db.collection(paths.audits(tenantId)).get(),
  ]);
  const audit = audits.docs[0];
  return {
    tenant_id: tenantId,
    orchestrations: orchestrations.size,
    // The chain also holds the trading session's moves: count the orchestrations' logs.
    logs: logs.docs.filter((d) => d.get("kind") === undefined).length,
    audits: audits.size,
    audit_passed: audits.docs.every((a) => a.get("passed") === true),
    expected_session: sessionIdForEvent(new Date(slot), tenantId, `slot:${slot}`),
    latency_ms: audit ? new Date(audit.get("audited_at") as string).getTime() - started : null,
    orchestration_latency_ms: orchestrations.docs[0] ? (orchestrations.docs[0].get("latency_ms") as number) : null,
  };
}

export async function runFanOutLoad(db: Firestore, options: LoadOptions): Promise<LoadResult> {
  const seedStart = Date.now();
  await seed(db, options);
  const seedMs = Date.now() - seedStart;

  const started = Date.now();
  const report = await fanOutMarketCycles(db, pubsubPublish, options.now);
  const publishMs = Date.now() - started;

  const ids = loadTenantIds(options);
  const timeoutMs = options.timeoutMs ?? 600_000;
  const deadline = Date.now() + timeoutMs;
  const redeliverAt = Date.now() + timeoutMs / 2;
  let redelivered: string[] = [];
  // Wait until every tenant has an audit: one collection-group query per poll.
  for (;;) {
    const audited = await db.collectionGroup("audits").where("tenant_id", ">=", `${options.prefix}-`).where("tenant_id", "<", `${options.prefix}-~`).select("tenant_id").get();
    if (new Set(audited.docs.map((d) => d.get("tenant_id"))).size >= ids.length) break;
    if (Date.now() > deadline) throw new Error(`fan-out load: only ${audited.size} of ${ids.length} tenants audited before the deadline (cycle messages redelivered: ${redelivered.join(", ") || "none"})`);
    if (redelivered.length === 0 && Date.now() > redeliverAt) {
      // Pub/Sub redelivers a message whose push failed; the Functions emulator under this
      // load sometimes loses one (ECONNRESET to its worker) and does not. Redeliver the
      // cycle message of a tenant with no orchestration yet, with the same slot: if the
      // first delivery did land late, the slot's session id makes the second a no-op, and
      // the exactly-once counts below would show any double effect.
      const stuck = [];
      for (const id of ids) if ((await db.collection(paths.orchestrations(id)).limit(1).get()).empty) stuck.push(id);
      await Promise.all(stuck.map((tenantId) => pubsubPublish({ tenant_id: tenantId, slot: report.slot })));
      redelivered = stuck.length ? stuck : ["(none needed)"];
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  // Let any duplicate effect land before counting (a doubled log or audit would show here).
  await new Promise((r) => setTimeout(r, 2_000));
  const tenants: TenantOutcome[] = [];
  for (let i = 0; i < ids.length; i += 20) tenants.push(...(await Promise.all(ids.slice(i, i + 20).map((t) => outcomeOf(db, t, report.slot, started)))));
  const latencies = tenants.map((t) => t.latency_ms).filter((x): x is number => x !== null);
  return {
    report,
    redelivered: redelivered.filter((id) => id !== "(none needed)"),
    tenants,
    seed_ms: seedMs,
    publish_ms: publishMs,
    total_ms: Math.max(...latencies),
    latency: summarise(latencies),
    orchestration_latency: summarise(tenants.map((t) => t.orchestration_latency_ms).filter((x): x is number => x !== null)),
  };
}
