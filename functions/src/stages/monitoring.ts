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
 *   order. The first presentation redeems it; a second one, or an unknown nonce, is a
 *   finding and is refused, so a nonce is never a second trade.
 */
import type { Firestore } from "firebase-admin/firestore";
import { HttpsError } from "firebase-functions/v2/https";
import { recordNonceFinding } from "../core/cycle-metrics";
import { verifyChain, type ChainLink } from "../core/hash-chain";
import { LogChainHeadSchema } from "../schemas";
import { RedeemNonceRequestSchema, RedeemNonceResponseSchema, VerifyLogChainRequestSchema, VerifyLogChainResponseSchema, type VerifyLogChainResponse } from "../schemas/api";
import { plainData } from "../store/firestore";
import { metricsDay, readDailyMetrics } from "../store/metrics";
import { paths } from "../store/paths";
import { logEvent } from "../log-events";
import { maestroCallable } from "./callable";

// The sweep itself is in the store: the market cycle, the audit and the nightly job run it too.
export { LOG_DEADLINE_MS, findUnloggedOrchestrations, type UnloggedFinding } from "../store/findings";

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
  { name: "redeemNonce", request: RedeemNonceRequestSchema, response: RedeemNonceResponseSchema, role: "trader" },
  async ({ db, uid, tenantId, data, now }) => {
    const ref = db.doc(paths.nonce(tenantId, data.nonce));
    const at = now.toISOString();
    const outcome = await db.runTransaction(async (tx) => {
      const [snap, daily] = await Promise.all([tx.get(ref), readDailyMetrics(db, tx, tenantId, metricsDay(at))]);
      const finding = (kind: string, detail: string) => {
        tx.create(db.collection(paths.findings(tenantId)).doc(), { kind, tenant_id: tenantId, nonce: data.nonce, presented_by: uid, detected_at: at, detail });
        daily.write(recordNonceFinding(daily.metrics, "finding", at));
        return { ok: false as const, kind, detail };
      };
      if (!snap.exists) return finding("unknown_nonce", `nonce ${data.nonce} was never issued by Maestro for tenant '${tenantId}'`);
      const redeemedAt = snap.get("redeemed_at");
      if (redeemedAt) {
        return finding(
          "nonce_presented_twice",
          `nonce ${data.nonce} was already redeemed at ${String(redeemedAt)} by ${String(snap.get("redeemed_by"))}; this presentation is refused`,
        );
      }
      tx.update(ref, { redeemed_at: at, redeemed_by: uid });
      return { ok: true as const, session_id: String(snap.get("session_id")), signal_id: String(snap.get("signal_id")), agent_id: String(snap.get("agent_id")) };
    });
    if (!outcome.ok) {
      logEvent.nonceFinding({ tenant_id: tenantId, nonce: data.nonce, kind: outcome.kind, presented_by: uid });
      throw new HttpsError(outcome.kind === "unknown_nonce" ? "not-found" : "failed-precondition", `nonce: ${outcome.detail}`);
    }
    return { nonce: data.nonce, redeemed_at: at, session_id: outcome.session_id, signal_id: outcome.signal_id, agent_id: outcome.agent_id };
  },
);
