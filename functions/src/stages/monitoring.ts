/**
 * Monitors of the audit trail (DESIGN.md: "the audit flags any orchestration older than a
 * minute that has none"), and the execution side's nonce check:
 *
 * - findUnloggedOrchestrations: an orchestration whose log is still PENDING a minute after
 *   it was written is a finding (tenants/{t}/findings/unlogged_{session}, created once).
 *   It runs on every log the audit trigger sees (so it is Firestore-triggered) and in
 *   every scheduled fan-out (so a tenant whose log writer is down is still caught).
 * - verifyTenantChain / the verifyLogChain callable (admin): walks a tenant's whole log
 *   chain by seq and names the first broken link, and checks the chain head agrees.
 * - redeemNonce (trader): the execution side presents a signal's nonce before placing the
 *   order and gets back exactly what it licenses (action, ticker, notional). The rules
 *   are core/nonce-license.ts: unknown, held or expired nonces are refused; the same caller
 *   presenting a redeemed nonce again gets the original redemption as a replay; anyone
 *   else is refused and it is a finding. A nonce is never a second trade.
 */
import type { Firestore } from "firebase-admin/firestore";
import { HttpsError } from "firebase-functions/v2/https";
import { recordNonceFinding } from "../core/cycle-metrics";
import { verifyChain, type ChainLink } from "../core/hash-chain";
import { LogChainHeadSchema, NonceRecordSchema, parseWithReason, type NonceRecord } from "../schemas";
import { decideRedemption } from "../core/nonce-license";
import { markReservationRedeemed } from "../store/account";
import { RedeemNonceRequestSchema, RedeemNonceResponseSchema, VerifyLogChainRequestSchema, VerifyLogChainResponseSchema, type VerifyLogChainResponse } from "../schemas/api";
import { isAlreadyExists, plainData } from "../store/firestore";
import { metricsDay, readDailyMetrics } from "../store/metrics";
import { paths } from "../store/paths";
import { logEvent } from "../log-events";
import { maestroCallable } from "./callable";

export const LOG_DEADLINE_MS = 60_000;

export interface UnloggedFinding {
  session_id: string;
  orchestration_timestamp: string;
  created: boolean;
}

export async function findUnloggedOrchestrations(db: Firestore, tenantId: string, now = new Date()): Promise<UnloggedFinding[]> {
  const cutoff = new Date(now.getTime() - LOG_DEADLINE_MS).toISOString();
  const snap = await db
    .collection(paths.orchestrations(tenantId))
    .where("log.state", "==", "PENDING")
    .where("timestamp", "<=", cutoff)
    .orderBy("timestamp")
    .limit(50)
    .get();
  return Promise.all(
    snap.docs.map(async (doc): Promise<UnloggedFinding> => {
      const timestamp = String(doc.get("timestamp"));
      const finding = {
        kind: "orchestration_without_log",
        tenant_id: tenantId,
        session_id: doc.id,
        orchestration_timestamp: timestamp,
        log_attempts: doc.get("log.attempts") ?? 0,
        log_error: doc.get("log.error") ?? null,
        detected_at: now.toISOString(),
        detail: `orchestration ${doc.id} (${timestamp}) has no log ${LOG_DEADLINE_MS / 1000} s after it was written`,
      };
      try {
        await db.doc(paths.finding(tenantId, `unlogged_${doc.id}`)).create(finding);
        logEvent.unloggedOrchestration(finding);
        return { session_id: doc.id, orchestration_timestamp: timestamp, created: true };
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
        return { session_id: doc.id, orchestration_timestamp: timestamp, created: false };
      }
    }),
  );
}

/** Walks the tenant's whole chain in seq order (pages of 500) and checks it against the head. */
export async function verifyTenantChain(db: Firestore, tenantId: string): Promise<VerifyLogChainResponse> {
  const links: ChainLink[] = [];
  let last: FirebaseFirestore.QueryDocumentSnapshot | undefined;
  for (;;) {
    let query = db.collection(paths.logs()).where("tenant_id", "==", tenantId).orderBy("seq").limit(500);
    if (last) query = query.startAfter(last);
    const page = await query.get();
    for (const doc of page.docs) {
      const content = plainData(doc.data()) as Record<string, unknown>;
      links.push({ log_id: doc.id, seq: content.seq as number, prev_hash: String(content.prev_hash), hash: String(content.hash), content });
    }
    if (page.size < 500) break;
    last = page.docs[page.docs.length - 1];
  }
  const result = verifyChain(links);
  const headSnap = await db.doc(paths.logChainHead(tenantId)).get();
  const head = headSnap.exists ? LogChainHeadSchema.safeParse(plainData(headSnap.data())) : null;
  const headSeq = head?.success ? head.data.seq : 0;
  let firstBreak = result.first_break;
  if (result.intact) {
    const lastLink = links[links.length - 1];
    if (headSeq !== links.length) {
      firstBreak = {
        log_id: head?.success ? head.data.last_log_id : null,
        seq: headSeq,
        problem: `the chain head says seq ${headSeq}, but ${links.length} logs exist (${headSeq > links.length ? "the newest logs were deleted" : "logs were added outside the chain"})`,
      };
    } else if (lastLink && head?.success && head.data.last_hash !== lastLink.hash) {
      firstBreak = { log_id: lastLink.log_id, seq: lastLink.seq, problem: `the chain head's last_hash is not the hash of the newest log` };
    }
  }
  const response = { tenant_id: tenantId, intact: firstBreak === null, logs_checked: result.checked, head_seq: headSeq, first_break: firstBreak };
  logEvent.chainVerified(response);
  return response;
}

export const verifyLogChain = maestroCallable(
  { name: "verifyLogChain", request: VerifyLogChainRequestSchema, response: VerifyLogChainResponseSchema, role: "admin" },
  async ({ db, tenantId }) => verifyTenantChain(db, tenantId),
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
