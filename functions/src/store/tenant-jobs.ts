/**
 * Per-tenant jobs, the shared half: listing the active tenants, publishing one
 * `maestro-tenant-jobs` message per tenant, the run record of each fan-out, and each
 * tenant's outcome document. The schedules (nightly rollup, weights) call fanOutTenantJob;
 * onTenantJob (stages/tenant-jobs.ts) runs the job for one tenant and writes its outcome.
 *
 *   systemStatus/tenant_jobs/runs/{job}_{runId}              published, skipped (why), publish failures, timings
 *   systemStatus/tenant_jobs/runs/{job}_{runId}/tenants/{t}  ok / failed / skipped / retrying / continued, reason, attempts
 */
import { FieldValue, type Firestore, type QueryDocumentSnapshot } from "firebase-admin/firestore";
import type { TenantJobFunction } from "../core/tenant-jobs";
import { DocIdSchema, TenantSchema, parseWithReason, type TenantJobMessage, type TenantJobName } from "../schemas";
import { IoCount, parseDoc } from "./firestore";
import { paths } from "./paths";
import type { PublishJson } from "./pubsub";
import { logEvent } from "../log-events";

export const TENANT_JOB_TOPIC = "maestro-tenant-jobs";

export type TenantJob = TenantJobFunction<Firestore>;

/** A run id from the schedule's time, so a retried schedule run maps to the same run (and outcomes). */
export function runIdOf(scheduleTime: Date): string {
  const at = Number.isNaN(scheduleTime.getTime()) ? new Date() : scheduleTime;
  return at.toISOString().replace(/[-:.]/g, "");
}

export interface ActiveTenants {
  /** Ids of active tenants whose document and id are well formed. */
  ids: string[];
  /** Tenants left out, with the reason. */
  skipped: Record<string, string>;
}

/**
 * Active tenants, reading only their `name` and `active` (one query; one billed read per
 * tenant). A malformed tenant document or an id a message cannot carry is skipped with
 * its reason.
 */
export async function listActiveTenants(db: Firestore, io: IoCount): Promise<ActiveTenants> {
  const snap = await db.collection(paths.tenants()).where("active", "==", true).select("name", "active").get();
  io.read(snap);
  const out: ActiveTenants = { ids: [], skipped: {} };
  for (const doc of snap.docs as QueryDocumentSnapshot[]) {
    const id = parseWithReason(DocIdSchema, doc.id);
    if (!id.ok) {
      out.skipped[doc.id] = `tenant id: ${id.reason}`;
      continue;
    }
    const tenant = parseDoc(TenantSchema, doc);
    if (!tenant.ok) {
      out.skipped[doc.id] = `tenant document is malformed (${tenant.reason})`;
      continue;
    }
    out.ids.push(doc.id);
  }
  out.ids.sort();
  return out;
}

export interface TenantJobRunReport {
  job: TenantJobName;
  run_id: string;
  published: string[];
  skipped: Record<string, string>;
  publish_failures: Record<string, string>;
  started_at: string;
  finished_at: string;
  reads: number;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The body of a per-tenant job's schedule: active tenants → one message each → the run
 * record, which is written whatever happened to single tenants. Throws after writing it
 * when some message could not be published, so the schedule's retry publishes again (same
 * run id; tenants already finished in this run are not run twice).
 */
export async function fanOutTenantJob(
  db: Firestore,
  job: TenantJobName,
  runId: string,
  publish: PublishJson<TenantJobMessage>,
): Promise<TenantJobRunReport> {
  const io = new IoCount();
  const report: TenantJobRunReport = { job, run_id: runId, published: [], skipped: {}, publish_failures: {}, started_at: new Date().toISOString(), finished_at: "", reads: 0 };
  try {
    const tenants = await listActiveTenants(db, io);
    Object.assign(report.skipped, tenants.skipped);
    await Promise.all(
      tenants.ids.map(async (tenantId) => {
        try {
          await publish({ job, tenant_id: tenantId, run_id: runId, continuation: 0 });
          report.published.push(tenantId);
        } catch (error) {
          report.publish_failures[tenantId] = messageOf(error);
        }
      }),
    );
  } catch (error) {
    // The tenant listing itself failed: record it, so the run still says what happened.
    report.publish_failures["(tenants query)"] = messageOf(error);
  }
  report.published.sort();
  report.finished_at = new Date().toISOString();
  report.reads = io.reads;
  await db.doc(paths.tenantJobRun(job, runId)).set(
    {
      job,
      run_id: runId,
      published: report.published.length,
      skipped: report.skipped,
      publish_failures: report.publish_failures,
      runs: FieldValue.increment(1),
      last_started_at: report.started_at,
      last_finished_at: report.finished_at,
      fan_out_ms: new Date(report.finished_at).getTime() - new Date(report.started_at).getTime(),
      reads: report.reads,
    },
    { merge: true },
  );
  logEvent.tenantJobFanOut({ job, run_id: runId, published: report.published.length, skipped: report.skipped, publish_failures: report.publish_failures, reads: report.reads });
  if (Object.keys(report.publish_failures).length > 0) {
    throw new Error(`${job} run ${runId}: could not publish for ${Object.keys(report.publish_failures).join(", ")}`);
  }
  return report;
}
