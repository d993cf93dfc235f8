/**
 * Scheduled market cycles, at scale: one Pub/Sub message per tenant, one function
 * instance per message (Google's scaling, not a loop in one process).
 *
 *   every 5 min ─► scheduleMarketCycles ─► fanOutMarketCycles: the active tenants (one
 *                  query), their configs (batched getAll), and for each whose trading
 *                  session's clock is awake now (pre-market, trading, post-market, and the
 *                  first slot of shutdown: core/trading-session clockWakes) {"tenant_id",
 *                  "slot"} on maestro-market-cycle
 *   maestro-market-cycle ─► onMarketCycle (stages/orchestration.ts): one tenant's cycle,
 *                  which first walks the trading session to the slot's clock phase and
 *                  orchestrates only in ACTIVE_TRADING (exits also while PAUSED)
 *
 * One tenant cannot stop the others: a tenant whose document is malformed, or whose
 * config read or session check throws, is recorded under `skipped` with the reason, and
 * the run record is written whatever happened.
 *
 * Exactly once: a scheduled cycle's session id is derived from (tenant, slot), a
 * hand-published one's from its message id, so a redelivered message, or a schedule run
 * that is retried and publishes again, maps to the orchestration already written.
 *
 * Failures: a message that can never succeed (malformed body, unknown, inactive or
 * malformed tenant) is recorded once in systemStatus/dead_letters/messages/{eventId} and
 * acknowledged. Anything else is thrown, so Pub/Sub redelivers (retry: true), until the
 * message is older than MAX_CYCLE_AGE_MS or has failed MAX_CYCLE_ATTEMPTS times; then it
 * is dead-lettered too, since a market cycle that late is worth less than the next one
 * (store/retries.ts, the rule every retried trigger follows).
 */
import { FieldValue, type Firestore } from "firebase-admin/firestore";
import { onSchedule } from "firebase-functions/v2/scheduler";
import { cycleSlot } from "../core/market-hours";
import { CYCLE_SLOT_MINUTES, clockWakes } from "../core/trading-session";

import { configFromSnapshot, readConfigSnapshots } from "../store/config";
import { IoCount, maestroDb } from "../store/firestore";
import { paths } from "../store/paths";
import { MARKET_CYCLE_TOPIC, jsonPublisher } from "../store/pubsub";
import { listActiveTenants } from "../store/tenant-jobs";
import { logEvent } from "../log-events";

export { CYCLE_SLOT_MINUTES };

// ---------------------------------------------------------------------------
// Fan-out
// ---------------------------------------------------------------------------

export type Publish = (body: { tenant_id: string; slot: string }) => Promise<string>;

export interface FanOutReport {
  slot: string;
  published: string[];
  closed: Record<string, string>;
  skipped: Record<string, string>;
  publish_failures: Record<string, string>;
  started_at: string;
  finished_at: string;
  reads: number;
}

/**
 * The schedule's body: one market-cycle message per active tenant whose venue is open at
 * `now`. Reads: the tenants query, the configs in batches (plus the last valid config of a
 * tenant whose config is rejected). Nothing else: the unlogged-orchestration sweep runs in
 * each tenant's cycle and nightly job.
 */
export async function fanOutMarketCycles(db: Firestore, publish: Publish, now: Date): Promise<FanOutReport> {
  const startedAt = new Date().toISOString();
  const slot = cycleSlot(now, CYCLE_SLOT_MINUTES).toISOString();
  const io = new IoCount();
  const report: FanOutReport = { slot, published: [], closed: {}, skipped: {}, publish_failures: {}, started_at: startedAt, finished_at: "", reads: 0 };
  const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

  try {
    const tenants = await listActiveTenants(db, io);
    Object.assign(report.skipped, tenants.skipped);
    const configs = await readConfigSnapshots(db, tenants.ids, io);
    await Promise.all(
      tenants.ids.map(async (tenantId) => {
        let open: boolean;
        try {
          const snap = configs.get(tenantId);
          if (snap instanceof Error || snap === undefined) throw snap ?? new Error("config was not read");
          // A rejected config is recorded on its document; the tenant runs on the config in force.
          const { config } = await configFromSnapshot(db, tenantId, snap, io);
          // The trading session's clock: pre-market, trading and post-market wake the tenant (its cycle walks the session).
          const clock = clockWakes(now, config.market_hours, config.trading_session, CYCLE_SLOT_MINUTES);
          if (!clock.wake) report.closed[tenantId] = clock.reason;
          open = clock.wake;
        } catch (error) {
          report.skipped[tenantId] = `config could not be read: ${reasonOf(error)}`;
          return;
        }
        if (!open) return;
        try {
          await publish({ tenant_id: tenantId, slot });
          report.published.push(tenantId);
        } catch (error) {
          report.publish_failures[tenantId] = reasonOf(error);
        }
      }),
    );
  } catch (error) {
    report.publish_failures["(tenants query)"] = reasonOf(error);
  }
  report.published.sort();
  report.finished_at = new Date().toISOString();
  report.reads = io.reads;
  await db.doc(paths.fanOutRun(slot)).set(
    {
      slot,
      published: report.published.length,
      closed: Object.keys(report.closed).length,
      skipped: report.skipped,
      publish_failures: report.publish_failures,
      runs: FieldValue.increment(1),
      last_started_at: report.started_at,
      last_finished_at: report.finished_at,
      reads: report.reads,
    },
    { merge: true },
  );
  logEvent.fanOutFinished({
    slot,
    published: report.published.length,
    closed: Object.keys(report.closed).length,
    skipped: report.skipped,
    publish_failures: report.publish_failures,
    reads: report.reads,
  });
  // A tenant whose message could not be published is retried by the schedule's retry.
  if (Object.keys(report.publish_failures).length > 0) {
    throw new Error(`fan-out ${slot}: could not publish for ${Object.keys(report.publish_failures).join(", ")}`);
  }
  return report;
}

/** Publishes market-cycle messages (store/pubsub.ts: the client is loaded on first use). */
export const pubsubPublish: Publish = jsonPublisher(MARKET_CYCLE_TOPIC);

/** Every five minutes; tenants whose trading session's clock is asleep are skipped by fanOutMarketCycles. */
export const scheduleMarketCycles = onSchedule({ schedule: "*/5 * * * *", timeZone: "UTC", retryCount: 2, timeoutSeconds: 240, memory: "512MiB" }, async (event) => {
  // A retried run has the same scheduleTime, hence the same slot, hence the same sessions.
  await fanOutMarketCycles(maestroDb(), pubsubPublish, new Date(event.scheduleTime));
});
