/**
 * A tenant's log chain walked in pages (DESIGN.md: "The log chain is keyed ... and hashes
 * the stored document exactly"), for the verifyLogChain callable and the daily
 * verification. One call walks pages in seq order until the chain ends, a break is found
 * or the time budget is spent, and returns a cursor to continue. Memory is one page: only
 * the last verified link is kept between pages (and carried in the cursor).
 *
 * Orchestration digests are checked too (one batched getAll per page, so two reads per
 * log): an orchestration edited after its audit is caught by the next daily walk, and
 * verifyLogChain agrees with the per-log audit on every tampering case. `orchestrations:
 * false` walks the chain alone, at one read per log.
 */
import { FieldPath, type Firestore } from "firebase-admin/firestore";
import type { ChainKeys } from "../core/chain-keys";
import { decodeChainCursor, encodeChainCursor, type ChainWalkState } from "../core/chain-cursor";
import { chainLink, orchestrationDigest, verifyChainSegment, type ChainBreak, type ChainLink } from "../core/hash-chain";
import { LogChainHeadSchema, TransitionLogSchema, type ChainVerificationStatus } from "../schemas";
import { refusal } from "../core/trading-session";
import { isAlreadyExists, plainData } from "./firestore";
import { paths } from "./paths";
import { isTransitionLog } from "./trading-sessions";

export const CHAIN_PAGE_SIZE = 500;

export interface ChainPageOptions {
  /** A cursor returned by an earlier call of this walk; null or absent starts at seq 1. */
  cursor?: string | null;
  /** Stop starting new pages after this long (a page in progress is finished). */
  budgetMs: number;
  pageSize?: number;
  /** Stop starting new pages once this call has checked this many logs. */
  maxLogs?: number;
  now?: Date;
  /** Re-digest each log's orchestration (one more read per log); default true. */
  orchestrations?: boolean;
  /** Milliseconds clock, for tests. */
  clock?: () => number;
}

export interface ChainPageResult {
  tenant_id: string;
  /** The walk reached the head or found a break: nothing left to do. */
  done: boolean;
  /** Pass back to continue; null when done. */
  cursor: string | null;
  /** Links verified since the walk started (up to and including a break). */
  logs_checked: number;
  /** The seq this call resumed after (0: from the start). */
  resumed_after_seq: number;
  started_at: string;
  intact: boolean;
  first_break: ChainBreak | null;
  /** The head's seq, read on the final page only. */
  head_seq: number | null;
  keyed: boolean;
  /** Document reads of this call, as Firestore bills them. */
  reads: number;
  pages: number;
}

/**
 * Walks the next pages of the tenant's chain. Throws ChainCursorError (core/chain-cursor)
 * for a cursor that is malformed, of another tenant or not signed by a configured key.
 */
export async function verifyChainPage(db: Firestore, tenantId: string, keys: ChainKeys | null, options: ChainPageOptions): Promise<ChainPageResult> {
  const clock = options.clock ?? Date.now;
  const startedMs = clock();
  const maxLogs = options.maxLogs ?? Number.POSITIVE_INFINITY;
  const pageSize = Math.min(options.pageSize ?? CHAIN_PAGE_SIZE, maxLogs);
  const checkOrchestrations = options.orchestrations ?? true;
  const state: ChainWalkState = options.cursor
    ? decodeChainCursor(options.cursor, tenantId, keys)
    : { tenant_id: tenantId, after: null, logs_checked: 0, started_at: (options.now ?? new Date()).toISOString() };
  const resumedAfter = state.after?.seq ?? 0;
  const checkedBefore = state.logs_checked;
  let reads = 0;
  let pages = 0;
  const finish = (first_break: ChainBreak | null, head_seq: number | null, done: boolean): ChainPageResult => ({
    tenant_id: tenantId,
    done,
    cursor: done ? null : encodeChainCursor(state, keys),
    logs_checked: state.logs_checked,
    resumed_after_seq: resumedAfter,
    started_at: state.started_at,
    intact: first_break === null,
    first_break,
    head_seq,
    keyed: keys !== null,
    reads,
    pages,
  });

  // A resumed walk first checks the link it stopped at is still the one it verified.
  if (state.after) {
    const snap = await db.doc(paths.log(state.after.log_id)).get();
    reads += 1;
    const at = state.after;
    if (!snap.exists || snap.get("tenant_id") !== tenantId || snap.get("seq") !== at.seq || snap.get("hash") !== at.hash) {
      return finish(
        {
          log_id: at.log_id,
          seq: at.seq,
          problem: snap.exists
            ? `the log at the cursor (seq ${at.seq}) changed since the walk verified it: now seq ${String(snap.get("seq"))}, hash ${String(snap.get("hash"))}, was hash ${at.hash}`
            : `the log at the cursor (seq ${at.seq}) was deleted since the walk verified it`,
        },
        null,
        true,
      );
    }
  }

  for (;;) {
    if (pages > 0 && (clock() - startedMs >= options.budgetMs || state.logs_checked - checkedBefore >= maxLogs)) return finish(null, null, false);
    let query = db.collection(paths.logs()).where("tenant_id", "==", tenantId).orderBy("seq").orderBy(FieldPath.documentId()).limit(pageSize);
    if (state.after) query = query.startAfter(state.after.seq, state.after.log_id);
    const page = await query.get();
    pages += 1;
    reads += Math.max(1, page.size);
    const links: ChainLink[] = page.docs.map((doc) => chainLink(doc.id, plainData(doc.data()) as Record<string, unknown>));

    const segment = verifyChainSegment(state.after, links, keys);
    let firstBreak = segment.first_break;
    let checked = segment.checked;
    // A trading session's move must be one its state machine allows the actor to make.
    const disallowed = firstDisallowedMove(firstBreak ? links.slice(0, checked - 1) : links);
    if (disallowed) {
      firstBreak = disallowed.break;
      checked = disallowed.index + 1;
    }
    if (checkOrchestrations) {
      // Only the links verified intact (and the broken one's predecessors) need their orchestration.
      const upTo = firstBreak ? checked - 1 : checked;
      const mismatch = await firstOrchestrationMismatch(db, tenantId, links.slice(0, upTo));
      reads += links.slice(0, upTo).filter((l) => !isTransitionLog(l.content)).length;
      if (mismatch) {
        firstBreak = mismatch.break;
        checked = mismatch.index + 1;
      }
    }
    if (firstBreak) {
      state.logs_checked += checked;
      return finish(firstBreak, null, true);
    }
    state.logs_checked += links.length;
    state.after = segment.last;
    if (page.size < pageSize) break;
  }

  // The final page: the head must name the newest link (deleted newest logs leave it ahead).
  const headSnap = await db.doc(paths.logChainHead(tenantId)).get();
  reads += 1;
  const head = headSnap.exists ? LogChainHeadSchema.safeParse(plainData(headSnap.data())) : null;
  const last = state.after;
  const lastSeq = last?.seq ?? 0;
  if (head && !head.success) {
    return finish({ log_id: null, seq: lastSeq, problem: `the chain head is malformed: ${head.error.issues[0]?.message ?? "unreadable"}` }, null, true);
  }
  const headSeq = head?.success ? head.data.seq : 0;
  let problem: ChainBreak | null = null;
  if (headSeq !== lastSeq) {
    problem = {
      log_id: head?.success ? head.data.last_log_id : null,
      seq: headSeq,
      // The walk verified seqs 1..lastSeq without a gap, so lastSeq logs exist.
      problem: `the chain head says seq ${headSeq}, but ${lastSeq} logs exist (${headSeq > lastSeq ? "the newest logs were deleted" : "logs were added outside the chain"})`,
    };
  } else if (last && head?.success && (head.data.last_hash !== last.hash || head.data.last_log_id !== last.log_id)) {
    problem = { log_id: last.log_id, seq: last.seq, problem: "the chain head's last_hash or last_log_id is not the newest log's" };
  }
  return finish(problem, headSeq, true);
}

async function firstOrchestrationMismatch(db: Firestore, tenantId: string, links: readonly ChainLink[]): Promise<{ index: number; break: ChainBreak } | null> {
  // A trading session's move is its own record (its hash covers all of it): no orchestration to re-digest.
  const logged = links.map((link, index) => ({ link, index })).filter(({ link }) => !isTransitionLog(link.content));
  if (logged.length === 0) return null;
  const snaps = await db.getAll(...logged.map(({ link }) => db.doc(paths.orchestration(tenantId, String(link.content.session_id)))));
  for (let j = 0; j < logged.length; j++) {
    const { link, index: i } = logged[j];
    const snap = snaps[j];
    let problem: string | null = null;
    if (!snap.exists) {
      problem = `orchestration ${String(link.content.session_id)} of this log does not exist`;
    } else {
      let digest: string;
      try {
        digest = orchestrationDigest(plainData(snap.data()) as Record<string, unknown>);
      } catch (e) {
        digest = `(cannot digest: ${(e as Error).message})`;
      }
      if (digest !== link.content.orchestration_digest) {
        problem = `orchestration ${String(link.content.session_id)} was changed after it was logged: digest ${digest}, the log recorded ${String(link.content.orchestration_digest)}`;
      }
    }
    if (problem) return { index: i, break: { log_id: link.log_id, seq: link.seq, problem } };
  }
  return null;
}

function firstDisallowedMove(links: readonly ChainLink[]): { index: number; break: ChainBreak } | null {
  for (let i = 0; i < links.length; i++) {
    const link = links[i];
    if (!isTransitionLog(link.content)) continue;
    const parsed = TransitionLogSchema.safeParse(link.content);
    const problem = parsed.success
      ? refusal(parsed.data.transition.from, parsed.data.transition.to, parsed.data.transition.actor)
      : `the trading session's move is malformed: ${parsed.error.issues[0]?.message ?? "unreadable"}`;
    if (problem) return { index: i, break: { log_id: link.log_id, seq: link.seq, problem: `trading session move: ${problem}` } };
  }
  return null;
}

/** Create-once id of the finding for a break: the same break found again maps to the same finding. */
export function chainBreakFindingId(b: ChainBreak): string {
  const kind = b.problem.startsWith("orchestration ") ? "orchestration" : "chain";
  return `log_${kind}_break_${b.log_id ?? "head"}_${b.seq}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 200);
}

/**
 * Records one call of the daily verification: the status doc (tenants/{t}/log_chain/
 * verification) on every call, and a finding (tenants/{t}/findings/{id}, created once per
 * break) when it found one.
 */
export async function recordChainVerification(
  db: Firestore,
  result: ChainPageResult,
  now = new Date(),
  replay?: ChainVerificationStatus["replay"],
): Promise<{ status: ChainVerificationStatus; finding_created: boolean }> {
  const tenantId = result.tenant_id;
  let findingId: string | null = null;
  let created = false;
  if (result.first_break) {
    findingId = chainBreakFindingId(result.first_break);
    try {
      await db.doc(paths.finding(tenantId, findingId)).create({
        kind: "log_chain_break",
        tenant_id: tenantId,
        log_id: result.first_break.log_id,
        seq: result.first_break.seq,
        detail: result.first_break.problem,
        keyed: result.keyed,
        detected_at: now.toISOString(),
      });
      created = true;
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  }
  const status: ChainVerificationStatus = {
    tenant_id: tenantId,
    state: result.first_break ? "broken" : result.done ? "complete" : "running",
    run_started_at: result.started_at,
    last_run_at: now.toISOString(),
    logs_checked: result.logs_checked,
    intact: result.intact,
    keyed: result.keyed,
    head_seq: result.head_seq,
    first_break: result.first_break,
    finding_id: findingId,
    ...(replay ? { replay } : {}),
  };
  await db.doc(paths.logChainVerification(tenantId)).set(status);
  return { status, finding_created: created };
}
