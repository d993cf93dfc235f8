/**
 * Monitors of the audit trail (DESIGN.md: "the audit flags any orchestration older than a
 * minute that has none"), and the execution side's nonce check:
 *
 * - findUnloggedOrchestrations: an orchestration whose log is still PENDING a minute after
 *   it was written is a finding (tenants/{t}/findings/unlogged_{session}, created once).
 *   It runs on every log the audit trigger sees (so it is Firestore-triggered) and in
 *   every scheduled fan-out (so a tenant whose log writer is down is still caught).
 * - verifyTenantChain / the verifyLogChain callable (admin, rate-limited): walks a tenant's
 *   log chain by seq in pages (store/log-chain.ts) under the chain keys, names the first
 *   broken link, and on the final page checks the chain head agrees. It stops after a time
 *   budget and returns a signed cursor to continue from.
 * - redeemNonce (trader): the execution side presents a signal's nonce before placing the
 *   order and gets back exactly what it licenses (action, ticker, notional). The rules
 *   are core/nonce-license.ts: unknown, held or expired nonces are refused; the same caller
 *   presenting a redeemed nonce again gets the original redemption as a replay; anyone
 *   else is refused and it is a finding. A nonce is never a second trade.
 */
import type { Firestore } from "firebase-admin/firestore";
import { HttpsError } from "firebase-functions/v2/https";
import { recordNonceFinding } from "../core/cycle-metrics";
import { NonceRecordSchema, parseWithReason, type NonceRecord } from "../schemas";
import { decideRedemption } from "../core/nonce-license";
import { markReservationRedeemed } from "../store/account";
import { ChainKeyError, type ChainKeys } from "../core/chain-keys";
import { ChainCursorError } from "../core/chain-cursor";
import { RedeemNonceRequestSchema, RedeemNonceResponseSchema, VerifyLogChainRequestSchema, VerifyLogChainResponseSchema, type VerifyLogChainResponse } from "../schemas/api";
import { IoCount, maestroDb, plainData } from "../store/firestore";
import { replaySample } from "../store/replay";
import { recordChainVerification, verifyChainPage } from "../store/log-chain";
import { jsonPublisher } from "../store/pubsub";
import { TENANT_JOB_TOPIC, fanOutTenantJob, runIdOf, type TenantJob } from "../store/tenant-jobs";
import { metricsDay, readDailyMetrics } from "../store/metrics";
import { paths } from "../store/paths";
import { logEvent } from "../log-events";
import { configuredChainKeys, logChainKeys, scheduleTimeZone } from "../params";
import { onSchedule } from "firebase-functions/v2/scheduler";
import { maestroCallable } from "./callable";

// The sweep itself is in the store: the market cycle, the audit and the nightly job run it too.
export { LOG_DEADLINE_MS, findUnloggedOrchestrations, type UnloggedFinding } from "../store/findings";

/** The callable's time budget: it stops starting pages after this and hands back a cursor. */
export const VERIFY_CHAIN_BUDGET_MS = 20_000;

/** One call of verifyLogChain: the next pages of the walk, from the cursor, within the budget. */
export async function verifyTenantChain(
  db: Firestore,
  tenantId: string,
  options: { cursor?: string | null; budgetMs?: number; pageSize?: number; maxLogs?: number; keys?: ChainKeys | null } = {},
): Promise<VerifyLogChainResponse> {
  const keys = options.keys === undefined ? configuredChainKeys() : options.keys;
  const page = await verifyChainPage(db, tenantId, keys, {
    cursor: options.cursor ?? null,
    budgetMs: options.budgetMs ?? VERIFY_CHAIN_BUDGET_MS,
    pageSize: options.pageSize,
    maxLogs: options.maxLogs,
  });
  const response: VerifyLogChainResponse = {
    tenant_id: tenantId,
    intact: page.intact,
    complete: page.done,
    next_cursor: page.cursor,
    logs_checked: page.logs_checked,
    resumed_after_seq: page.resumed_after_seq,
    head_seq: page.head_seq,
    keyed: page.keyed,
    first_break: page.first_break,
  };
  logEvent.chainVerified({ ...response, next_cursor: undefined, reads: page.reads, pages: page.pages });
  return response;
}

export const verifyLogChain = maestroCallable(
  {
    name: "verifyLogChain",
    request: VerifyLogChainRequestSchema,
    response: VerifyLogChainResponseSchema,
    role: "admin",
    rateLimit: "verify_chain",
    secrets: [logChainKeys],
    timeoutSeconds: 60,
  },
  async ({ tenantId, data, db }) => {
    let keys: ChainKeys | null;
    try {
      keys = configuredChainKeys();
    } catch (error) {
      if (error instanceof ChainKeyError) throw new HttpsError("failed-precondition", error.message);
      throw error;
    }
    try {
      return await verifyTenantChain(db, tenantId, { cursor: data.cursor, maxLogs: data.max_logs, keys });
    } catch (error) {
      if (error instanceof ChainCursorError) throw new HttpsError("invalid-argument", error.message);
      throw error;
    }
  },
);

export const redeemNonce = maestroCallable(
  { name: "redeemNonce", request: RedeemNonceRequestSchema, response: RedeemNonceResponseSchema, role: "trader", rateLimit: "write_calls" },
  async ({ db, uid, tenantId, data, now }) => {
    const ref = db.doc(paths.nonce(tenantId, data.nonce));
    const at = now.toISOString();
    const outcome = await db.runTransaction(async (tx) => {
      const [snap, daily] = await Promise.all([tx.get(ref), readDailyMetrics(db, tx, tenantId, metricsDay(at))]);
      const parsed = snap.exists ? parseWithReason(NonceRecordSchema, plainData(snap.data())) : null;
      const record = parsed === null ? null : parsed.ok ? parsed.value : { unreadable: parsed.reason };
      const decision = decideRedemption(data.nonce, record, uid, now);
      if (decision.outcome === "refuse") {
        if (decision.finding) {
          tx.create(db.collection(paths.findings(tenantId)).doc(), {
            kind: decision.kind,
            tenant_id: tenantId,
            nonce: data.nonce,
            presented_by: uid,
            detected_at: at,
            detail: decision.detail,
          });
          daily.write(recordNonceFinding(daily.metrics, "finding", at));
        }
        return decision;
      }
      const license = record as NonceRecord;
      if (decision.outcome === "replay") return { ...decision, license };
      const markReservation = license.reserved ? await markReservationRedeemed(db, tx, tenantId, data.nonce, at) : () => undefined;
      tx.update(ref, { redeemed_at: at, redeemed_by: uid });
      markReservation();
      return { ...decision, license: { ...license, redeemed_at: at, redeemed_by: uid } };
    });
    if (outcome.outcome === "refuse") {
      logEvent.nonceFinding({ tenant_id: tenantId, nonce: data.nonce, kind: outcome.kind, presented_by: uid, finding: outcome.finding });
      throw new HttpsError(outcome.code, `nonce: ${outcome.detail}`);
    }
    const l = outcome.license;
    return {
      nonce: data.nonce,
      redeemed_at: l.redeemed_at!,
      replay: outcome.outcome === "replay",
      session_id: l.session_id,
      signal_id: l.signal_id,
      agent_id: l.agent_id,
      strategy_id: l.strategy_id,
      action: l.action,
      ticker: l.ticker,
      allocation: l.allocation,
      notional: l.notional,
      expires_at: l.expires_at,
    };
  },
);

// ---------------------------------------------------------------------------
// Daily whole-chain verification (the per-log audit only sees the previous link)
// ---------------------------------------------------------------------------

/**
 * The daily job for one tenant (onTenantJob, job "chain_verification"): walks the whole
 * chain from seq 1 under the configured keys, checking every link and every log's
 * orchestration digest, in pages within the job's time budget; out of time, it returns
 * the walk's cursor and a new message goes on from there. At the end (or at a break) it
 * replays a sample of the orchestrations written since its previous run (at most
 * REPLAY_SAMPLE_LIMIT, seeded: store/replay.ts replaySample), then records
 * tenants/{t}/log_chain/verification with the replay's counts and, for a break, one
 * finding (each replay difference has its own).
 */
export const chainVerificationJob: TenantJob = async (db, ctx) => {
  let keys: ChainKeys | null;
  try {
    keys = configuredChainKeys();
  } catch (error) {
    if (error instanceof ChainKeyError) return { status: "failed", reason: `MAESTRO_LOG_CHAIN_KEYS: ${error.message}` };
    throw error;
  }
  const page = await verifyChainPage(db, ctx.tenant_id, keys, { cursor: ctx.cursor ?? null, budgetMs: ctx.budget_ms, now: ctx.now });
  const detail = { logs_checked: page.logs_checked, reads: page.reads, pages: page.pages, keyed: page.keyed };
  if (!page.done && page.cursor !== null) return { status: "ok", detail, continue_with: page.cursor };
  // The walk is done: replay a sample of the orchestrations written since the previous run (issue 13).
  const io = new IoCount();
  const previous = await db.doc(paths.logChainVerification(ctx.tenant_id)).get();
  io.read(previous);
  const since = previous.get("replay.until");
  const replay = await replaySample(db, ctx.tenant_id, { since: typeof since === "string" ? since : null, until: ctx.now.toISOString(), now: ctx.now }, io);
  await recordChainVerification(db, page, ctx.now, replay);
  const replayed = { replayed: replay.replayed, identical: replay.identical, different: replay.different, not_replayable: replay.not_replayable, inputs_unverifiable: replay.inputs_unverifiable, replay_reads: io.reads };
  logEvent.chainVerified({ tenant_id: ctx.tenant_id, intact: page.intact, logs_checked: page.logs_checked, head_seq: page.head_seq, keyed: page.keyed, first_break: page.first_break, reads: page.reads, scheduled: true, ...replayed });
  const replayProblem =
    replay.different + replay.inputs_unverifiable > 0
      ? `replay: ${replay.different} of ${replay.session_ids.length} sampled orchestrations decide differently from their recorded inputs, ${replay.inputs_unverifiable} have inputs that do not verify (findings replay_{session})`
      : null;
  if (page.intact && replayProblem === null) return { status: "ok", detail: { ...detail, head_seq: page.head_seq, ...replayed } };
  const b = page.first_break;
  const chainProblem = b ? `log chain broken at seq ${b.seq} (${b.log_id ?? "no log"}): ${b.problem}` : null;
  return { status: "failed", reason: [chainProblem, replayProblem].filter((x) => x !== null).join("; "), detail: { ...detail, ...replayed } };
};

/** Daily, after the nightly rollup: one chain_verification message per active tenant. */
export const scheduledChainVerification = onSchedule(
  { schedule: "30 3 * * *", timeZone: scheduleTimeZone, retryCount: 2, timeoutSeconds: 300, memory: "256MiB" },
  async (event) => {
    await fanOutTenantJob(maestroDb(), "chain_verification", runIdOf(new Date(event.scheduleTime)), jsonPublisher(TENANT_JOB_TOPIC));
  },
);
