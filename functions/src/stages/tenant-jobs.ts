/**
 * onTenantJob: one `maestro-tenant-jobs` message → the named job for that one tenant,
 * through the registry (index.ts: one entry per job), and the tenant's outcome document
 * in the run (store/tenant-jobs.ts). One tenant per invocation, so a tenant whose data is
 * malformed, huge or failing costs only its own outcome, and each job runs within its own
 * timeout however many tenants there are.
 *
 * - a malformed message is a permanent dead letter;
 * - a job that throws is retried (redelivered) until MAX_TENANT_JOB_AGE_MS after the
 *   message was published, then its outcome is `failed` with the reason and a dead letter
 *   is left; Firestore INVALID_ARGUMENT is permanent at once;
 * - a job that returns `continue_with` ran out of its time budget: the message is
 *   published again with that cursor, at most MAX_CONTINUATIONS times per run;
 * - a redelivered message whose outcome is already final does nothing.
 */
import type { Firestore } from "firebase-admin/firestore";
import { onMessagePublished } from "firebase-functions/v2/pubsub";
import { afterTenantJob, dispatchTenantJob, type TenantJobRegistry, type TenantJobResult } from "../core/tenant-jobs";
import { TenantJobMessageSchema, parseWithReason, type TenantJobMessage, type TenantJobName, type TenantJobOutcome } from "../schemas";
import { maestroDb, storable } from "../store/firestore";
import { paths } from "../store/paths";
import { jsonPublisher, type PublishJson } from "../store/pubsub";
import { recordDeadLetter, retryUntilEndCondition, type RetriedEvent } from "../store/retries";
import { TENANT_JOB_TOPIC } from "../store/tenant-jobs";
import { logEvent } from "../log-events";
import { cycleMaxInstances, hummingbotCredentials, logChainKeys } from "../params";

export const TENANT_JOB_TIMEOUT_SECONDS = 300;
/** What a job may spend before it should stop and continue in a new message. */
export const TENANT_JOB_BUDGET_MS = 240_000;
/** A per-tenant job still failing this long after publication gives up (the next run comes). */
export const MAX_TENANT_JOB_AGE_MS = 30 * 60_000;
export const MAX_CONTINUATIONS = 20;
const FINAL = new Set<TenantJobOutcome["status"]>(["ok", "failed", "skipped"]);

export type Registry = TenantJobRegistry<Firestore, TenantJobName>;

export interface JobEvent {
  id: string;
  /** Publish time of the message. */
  time: Date;
  text: string | undefined;
}

export type TenantJobHandled =
  | { outcome: "done"; status: TenantJobOutcome["status"]; reason: string | null }
  | { outcome: "duplicate"; status: TenantJobOutcome["status"] }
  | { outcome: "dead_lettered"; kind: "permanent" | "gave_up"; reason: string };

export async function handleTenantJob(
  db: Firestore,
  event: JobEvent,
  registry: Registry,
  options: { now?: () => Date; publish?: PublishJson<TenantJobMessage>; budgetMs?: number } = {},
): Promise<TenantJobHandled> {
  const clock = options.now ?? (() => new Date());
  const retried: RetriedEvent = { id: event.id, time: event.time, trigger: "onTenantJob", source: TENANT_JOB_TOPIC, tenant_id: null, body: event.text ?? "(not text)" };
  let body: unknown;
  try {
    body = event.text === undefined ? undefined : JSON.parse(event.text);
  } catch {
    return recordDeadLetter(db, retried, "permanent", "body: is not JSON", 1, clock());
  }
  const parsed = parseWithReason(TenantJobMessageSchema, body);
  if (!parsed.ok) return recordDeadLetter(db, retried, "permanent", parsed.reason, 1, clock());
  const message = parsed.value;
  retried.tenant_id = message.tenant_id;
  retried.stage = `onTenantJob:${message.job}`;
  const outcomeRef = db.doc(paths.tenantJobOutcome(message.job, message.run_id, message.tenant_id));

  const stored = await outcomeRef.get();
  const storedStatus = stored.get("status") as TenantJobOutcome["status"] | undefined;
  const storedContinuation = (stored.get("continuation") as number | undefined) ?? -1;
  if (storedStatus && storedContinuation >= message.continuation && (FINAL.has(storedStatus) || storedStatus === "continued")) {
    return { outcome: "duplicate", status: storedStatus };
  }

  const started = clock();
  const write = (fields: Partial<TenantJobOutcome>) => {
    const finished = clock();
    return outcomeRef.set(
      storable({
        job: message.job,
        run_id: message.run_id,
        tenant_id: message.tenant_id,
        continuation: message.continuation,
        started_at: started.toISOString(),
        finished_at: finished.toISOString(),
        duration_ms: finished.getTime() - started.getTime(),
        ...fields,
      }),
      { merge: true },
    );
  };
  const attemptsSoFar = (stored.get("attempts") as number | undefined) ?? 0;

  const run = await retryUntilEndCondition<TenantJobResult>(
    db,
    retried,
    { max_age_ms: MAX_TENANT_JOB_AGE_MS, since: "publication" },
    () =>
      dispatchTenantJob(registry, message.job, db, {
        tenant_id: message.tenant_id,
        run_id: message.run_id,
        cursor: message.cursor,
        now: started,
        budget_ms: options.budgetMs ?? TENANT_JOB_BUDGET_MS,
      }),
    {
      now: clock,
      // Failed attempts are counted on the outcome itself, which then says "retrying".
      attemptsPath: outcomeRef.path,
      attemptFields: { status: "retrying", reason: null, job: message.job, run_id: message.run_id, continuation: message.continuation },
      giveUp: async (kind, reason, attempts) => {
        await write({ status: "failed", reason, attempts, cursor: message.cursor ?? null });
        await recordDeadLetter(db, retried, kind, reason, attempts, clock());
        logEvent.tenantJobFailed({ job: message.job, run_id: message.run_id, tenant_id: message.tenant_id, reason, attempts });
      },
    },
  );
  if (run.outcome === "dead_lettered") return run;

  const result = run.value;
  const next = afterTenantJob(result, message.continuation, MAX_CONTINUATIONS);
  const attempts = attemptsSoFar + 1;
  if (next.action === "continue") {
    const publish = options.publish ?? jsonPublisher<TenantJobMessage>(TENANT_JOB_TOPIC);
    await publish({ ...message, cursor: next.cursor, continuation: next.continuation });
    await write({ status: "continued", reason: null, detail: result.detail ?? {}, attempts, cursor: next.cursor });
    logEvent.tenantJobFinished({ job: message.job, run_id: message.run_id, tenant_id: message.tenant_id, status: "continued", cursor: next.cursor });
    return { outcome: "done", status: "continued", reason: null };
  }
  await write({ status: next.status, reason: next.reason, detail: result.detail ?? {}, attempts, cursor: null });
  const log = next.status === "failed" ? logEvent.tenantJobFailed : logEvent.tenantJobFinished;
  log({ job: message.job, run_id: message.run_id, tenant_id: message.tenant_id, status: next.status, reason: next.reason });
  return { outcome: "done", status: next.status, reason: next.reason };
}

function messageText(data: string | undefined): string | undefined {
  return data === undefined ? undefined : Buffer.from(data, "base64").toString("utf8");
}

/** The Pub/Sub function over a registry of jobs (index.ts wires the registry in). */
export function tenantJobFunction(registry: Registry) {
  return onMessagePublished(
    {
      topic: TENANT_JOB_TOPIC,
      retry: true,
      // One tenant per instance: a heavy tenant never shares memory or CPU with another.
      concurrency: 1,
      maxInstances: cycleMaxInstances,
      timeoutSeconds: TENANT_JOB_TIMEOUT_SECONDS,
      memory: "512MiB",
      // chain_verification hashes under the log-chain keys.
      secrets: [logChainKeys, hummingbotCredentials],
    },
    async (event) => {
      const message = event.data.message;
      await handleTenantJob(maestroDb(), { id: message.messageId || event.id, time: new Date(message.publishTime || event.time), text: messageText(message.data) }, registry);
    },
  );
}
