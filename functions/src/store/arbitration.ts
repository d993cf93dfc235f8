/**
 * The arbitration bandit's learned state per tenant (issue 12, core/arbitration.ts):
 *
 *   tenants/{t}/arbitration/state   {version, factors: {factor: {alpha, beta}}, updated_at, reset?}
 *
 * Read by the cycle when `cycle_steps` lists `arbitration` (a missing or malformed state is
 * the fresh priors, Beta(1, 1) each, and the malformation is logged, never trusted);
 * versioned (every update adds 1); reset by an admin (resetArbitrationLearning); updated
 * from the outcomes of arbitrated trades (learnFromArbitrations, run by the weights job).
 */
import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { ARBITRATION_FACTORS, freshBandit, updateBandit, type ArbitrationFactor, type BanditState } from "../core/arbitration";
import { IoCount } from "./firestore";
import { paths } from "./paths";

export function parseBandit(stored: unknown): BanditState | null {
  if (!stored || typeof stored !== "object") return null;
  const { version, factors } = stored as { version?: unknown; factors?: unknown };
  if (typeof version !== "number" || !Number.isInteger(version) || version < 0 || !factors || typeof factors !== "object") return null;
  const out = freshBandit();
  out.version = version;
  for (const f of ARBITRATION_FACTORS) {
    const entry = (factors as Record<string, { alpha?: unknown; beta?: unknown }>)[f];
    if (!entry || typeof entry.alpha !== "number" || typeof entry.beta !== "number" || !(entry.alpha > 0) || !(entry.beta > 0) || !Number.isFinite(entry.alpha + entry.beta)) return null;
    out.factors[f] = { alpha: entry.alpha, beta: entry.beta };
  }
  return out;
}

export async function readBandit(db: Firestore, tenantId: string, io: IoCount): Promise<BanditState> {
  const snap = await db.doc(paths.arbitrationState(tenantId)).get();
  io.read(snap);
  return parseBandit(snap.data()) ?? freshBandit();
}

/** Back to the priors (an admin's reset), the version still counting up so a reset is visible in every later breakdown. */
export async function resetBandit(db: Firestore, tenantId: string, by: string, reason: string, now: Date): Promise<BanditState> {
  const ref = db.doc(paths.arbitrationState(tenantId));
  return db.runTransaction(async (tx) => {
    const current = parseBandit((await tx.get(ref)).data());
    const fresh = { ...freshBandit(), version: (current?.version ?? 0) + 1 };
    tx.set(ref, { tenant_id: tenantId, ...fresh, updated_at: now.toISOString(), reset: { at: now.toISOString(), by, reason, before: current } });
    return fresh;
  });
}

/** An arbitration whose winner never traded (no fill carries its nonce) in this long is expired, learning nothing. */
export const ARBITRATION_OUTCOME_WINDOW_MS = 7 * 86_400_000;

export interface LearningReport {
  learned: { nonce: string; pnl: number; profitable: boolean }[];
  waiting: number;
  expired: string[];
  version: number | null;
}

const instantOf = (v: unknown): number => (v instanceof Timestamp ? v.toMillis() : typeof v === "string" ? Date.parse(v) : Number.NaN);

/**
 * The outcomes of arbitrated trades, learned (run by the weights job where the step is
 * configured). The winner's trade is its entry fill (the ledger trade carrying its nonce)
 * and the strategy's next fill in the same symbol on the other side (its exit):
 * pnl = (exit price − entry price) × the closed quantity (negated for a short entry) − both
 * fees. A profit credits the factors that voted for the winner with a success, a loss with
 * a failure; the record is then `learned`, in the same transaction as the bandit, so an
 * outcome is never learned twice. A record with no entry fill after seven days expires.
 */
export async function learnFromArbitrations(db: Firestore, tenantId: string, now: Date, io: IoCount, limit = 100): Promise<LearningReport> {
  const report: LearningReport = { learned: [], waiting: 0, expired: [], version: null };
  const pending = await db.collection(paths.arbitrations(tenantId)).where("status", "==", "awaiting_outcome").limit(limit).get();
  io.read(pending);
  for (const record of pending.docs) {
    const { nonce, strategy_id: strategyId, ticker, votes } = record.data() as { nonce: string; strategy_id: string; ticker: string; votes: ArbitrationFactor[] };
    const entrySnap = await db.collection(paths.ledgerTrades(tenantId)).where("nonce", "==", nonce).limit(1).get();
    io.read(entrySnap);
    if (entrySnap.empty) {
      if (now.getTime() - Date.parse(String(record.get("at"))) > ARBITRATION_OUTCOME_WINDOW_MS) {
        await record.ref.update({ status: "expired", resolved_at: now.toISOString(), reason: "no fill carried its nonce within 7 days" });
        report.expired.push(nonce);
      } else report.waiting += 1;
      continue;
    }
    const entry = entrySnap.docs[0].data() as { side: string; price: number; quantity: number; fee?: number; executed_at: unknown };
    const later = await db
      .collection(paths.ledgerTrades(tenantId))
      .where("strategy_id", "==", strategyId)
      .where("symbol", "==", ticker)
      .where("executed_at", ">", entrySnap.docs[0].get("executed_at"))
      .orderBy("executed_at")
      .limit(50)
      .get();
    io.read(later);
    const exit = later.docs.map((d) => d.data() as typeof entry).find((t) => t.side !== entry.side && Number.isFinite(instantOf(t.executed_at)));
    if (!exit) {
      report.waiting += 1;
      continue;
    }
    const quantity = Math.min(entry.quantity, exit.quantity);
    const direction = entry.side === "BUY" ? 1 : -1;
    const fees = (entry.fee ?? 0) * (quantity / entry.quantity) + (exit.fee ?? 0) * (quantity / exit.quantity);
    const pnl = (exit.price - entry.price) * quantity * direction - fees;
    const profitable = pnl > 0;
    const stateRef = db.doc(paths.arbitrationState(tenantId));
    const next = await db.runTransaction(async (tx) => {
      const [fresh, stateSnap] = await Promise.all([tx.get(record.ref), tx.get(stateRef)]);
      if (fresh.get("status") !== "awaiting_outcome") return null;
      const updated = updateBandit(parseBandit(stateSnap.data()) ?? freshBandit(), votes, profitable);
      tx.set(stateRef, { tenant_id: tenantId, ...updated, updated_at: now.toISOString() });
      tx.update(record.ref, { status: "learned", pnl, profitable, resolved_at: now.toISOString(), bandit_version_after: updated.version });
      return updated;
    });
    if (next) {
      report.learned.push({ nonce, pnl, profitable });
      report.version = next.version;
    }
  }
  return report;
}
