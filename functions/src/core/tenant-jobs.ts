/**
 * Per-tenant jobs: a registry of job functions by name, and what happens after one ran.
 * Generic over the database handle so the rules stay pure; the stage supplies Firestore.
 */

export interface TenantJobContext {
  tenant_id: string;
  run_id: string;
  /** Where to resume, when this message continues an earlier one. */
  cursor: string | undefined;
  now: Date;
  /** Time the job may spend before it should stop and return `continue_with`. */
  budget_ms: number;
}

export interface TenantJobResult {
  status: "ok" | "failed" | "skipped";
  reason?: string | null;
  detail?: Record<string, unknown>;
  /** The job ran out of its budget: a new message resumes it from this cursor. */
  continue_with?: string;
}

export type TenantJobFunction<Db> = (db: Db, ctx: TenantJobContext) => Promise<TenantJobResult>;

/** One entry per job name: adding a job is one entry. */
export type TenantJobRegistry<Db, Name extends string = string> = { readonly [J in Name]: TenantJobFunction<Db> };

/** Runs the job the message names. An unknown job is a programming error (the schema lists the jobs). */
export function dispatchTenantJob<Db, Name extends string>(
  registry: TenantJobRegistry<Db, Name>,
  job: Name,
  db: Db,
  ctx: TenantJobContext,
): Promise<TenantJobResult> {
  const run = Object.prototype.hasOwnProperty.call(registry, job) ? registry[job] : undefined;
  if (!run) throw new Error(`job: no job '${job}' in the registry`);
  return run(db, ctx);
}

export type AfterJob =
  | { action: "finish"; status: TenantJobResult["status"]; reason: string | null }
  | { action: "continue"; cursor: string; continuation: number }
  | { action: "finish"; status: "failed"; reason: string; exhausted: true };

/** A result with `continue_with` is continued by one more message, at most `maxContinuations` per run. */
export function afterTenantJob(result: TenantJobResult, continuation: number, maxContinuations: number): AfterJob {
  if (result.continue_with === undefined) return { action: "finish", status: result.status, reason: result.reason ?? null };
  if (continuation + 1 > maxContinuations) {
    return {
      action: "finish",
      status: "failed",
      reason: `not finished after ${maxContinuations} continuations (resume at cursor ${JSON.stringify(result.continue_with)})`,
      exhausted: true,
    };
  }
  return { action: "continue", cursor: result.continue_with, continuation: continuation + 1 };
}
