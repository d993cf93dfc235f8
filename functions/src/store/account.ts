/**
 * Buying power for a cycle: the execution side's account snapshot, less what Maestro has
 * approved and not yet seen filled (core/reservations.ts decides what is outstanding).
 *
 * The reservation record is one document, so concurrent cycles serialise on it: a cycle
 * that approves BUYs (or releases entries) rewrites it in its own atomic batch,
 * conditioned on the update time it read, so two cycles never spend the same buying power
 * (the loser's batch fails and it runs again on what is left). redeemNonce marks an
 * entry redeemed in its transaction; the first snapshot taken after that releases it.
 */
import { FieldPath, type DocumentSnapshot, type Firestore, type Transaction, type WriteBatch } from "firebase-admin/firestore";
import { buyingPowerVerdict, nextReservations, settleReservations, type BuyingPowerVerdict, type ReservationState, type SnapshotRead } from "../core/reservations";
import { AccountSnapshotSchema, BuyingPowerReservationSchema, type MaestroConfig } from "../schemas";
import { IoCount, parseDoc, plainData } from "./firestore";
import { paths } from "./paths";

export interface BuyingPowerRead {
  verdict: BuyingPowerVerdict;
  state: ReservationState;
  reservationSnap: DocumentSnapshot;
}

function snapshotRead(snap: DocumentSnapshot): SnapshotRead {
  if (!snap.exists) return { kind: "missing" };
  const parsed = parseDoc(AccountSnapshotSchema, snap);
  return parsed.ok ? { kind: "valid", snapshot: parsed.value } : { kind: "malformed", reason: parsed.reason };
}

export interface AccountDocs {
  snapshot: DocumentSnapshot;
  reservation: DocumentSnapshot;
}

/** The cycle's reads of the account; assessBuyingPower decides once the config is known. */
export async function readAccount(db: Firestore, tenantId: string, io: IoCount): Promise<AccountDocs> {
  const [snapshot, reservation] = await Promise.all([
    db.doc(paths.accountSnapshot(tenantId)).get(),
    db.doc(paths.buyingPowerReservation(tenantId)).get(),
  ]);
  io.read(snapshot);
  io.read(reservation);
  return { snapshot, reservation };
}

export function assessBuyingPower(docs: AccountDocs, config: MaestroConfig, now: Date): BuyingPowerRead {
  const read = snapshotRead(docs.snapshot);
  const record = docs.reservation.exists ? BuyingPowerReservationSchema.safeParse(plainData(docs.reservation.data())) : null;
  if (record && !record.success) {
    // Fail closed: what is outstanding cannot be known, so nothing more is promised.
    const state: ReservationState = { outstanding: {}, reserved: 0, released: [] };
    return { verdict: { held: true, source: "Maestro's reservation record is malformed: every BUY held until it is repaired" }, state, reservationSnap: docs.reservation };
  }
  const asOf = read.kind === "valid" ? read.snapshot.as_of : null;
  const state = settleReservations(record?.data.entries ?? {}, asOf, now);
  return { verdict: buyingPowerVerdict(read, state, config, now), state, reservationSnap: docs.reservation };
}

/** The buying-power guard's input for the pure core. */
export function guardInput(read: BuyingPowerRead): { available: number | null | "hold"; source: string } {
  const v = read.verdict;
  if ("held" in v) return { available: "hold", source: v.source };
  return { available: v.capped ? v.available : null, source: v.source };
}

/**
 * Writes the reservation record after a cycle in the cycle's batch: released entries
 * dropped, this cycle's approved BUYs added. Nothing is written when nothing changed.
 * Returns the writes added.
 */
export function writeReservations(
  batch: WriteBatch,
  read: BuyingPowerRead,
  approved: readonly { nonce: string; signal_id: string; session_id: string; notional: number }[],
  sessionId: string,
  now: Date,
  expiresAt: Date,
): number {
  const newEntries = approved.filter((a) => a.notional > 0);
  if (newEntries.length === 0 && read.state.released.length === 0) return 0;
  const record = {
    entries: nextReservations(read.state, newEntries, now, expiresAt),
    updated_at: now.toISOString(),
    last_session_id: sessionId,
  };
  // update() replaces the whole `entries` map, conditioned on the record this cycle read.
  if (read.reservationSnap.exists) batch.update(read.reservationSnap.ref, record, { lastUpdateTime: read.reservationSnap.updateTime! });
  else batch.create(read.reservationSnap.ref, record);
  return 1;
}

/** In redeemNonce's transaction: marks the nonce's reservation redeemed (a later snapshot then releases it). */
export async function markReservationRedeemed(db: Firestore, tx: Transaction, tenantId: string, nonce: string, at: string): Promise<() => void> {
  const ref = db.doc(paths.buyingPowerReservation(tenantId));
  const snap = await tx.get(ref);
  const exists = snap.exists && snap.get(`entries.${nonce}`) !== undefined;
  return () => {
    if (exists) tx.update(ref, { [`entries.${nonce}.redeemed_at`]: at });
  };
}

export interface PositionsRead {
  /** Each strategy's open quantity per symbol (signed). */
  positions: Record<string, Record<string, number>>;
  /** The closing fills of each strategy's last rolled day, with that day. */
  closedTrades: { day: string; at: string; pnl: number }[];
}

/**
 * Each strategy's open quantity per symbol, and its last day's closing fills, as the rollup
 * last left them (`tenants/{t}/positions/current`, one read). A malformed entry counts as
 * no position: its signals are then entries, which the risk steps may hold (fail closed),
 * never exits; a malformed closing fill is left out.
 */
export async function readPositions(db: Firestore, tenantId: string, io: IoCount): Promise<PositionsRead> {
  const snap = await db.doc(paths.positions(tenantId)).get();
  io.read(snap);
  const strategies = snap.get("strategies");
  const out: PositionsRead = { positions: {}, closedTrades: [] };
  if (!strategies || typeof strategies !== "object") return out;
  for (const [strategyId, entry] of Object.entries(strategies as Record<string, unknown>)) {
    const { positions, as_of_day: day, closed_trades: closed } = (entry ?? {}) as { positions?: unknown; as_of_day?: unknown; closed_trades?: unknown };
    if (positions && typeof positions === "object") {
      out.positions[strategyId] = Object.fromEntries(
        Object.entries(positions as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1])),
      );
    }
    if (typeof day === "string" && Array.isArray(closed)) {
      for (const c of closed as { at?: unknown; pnl?: unknown }[]) {
        if (typeof c?.at === "string" && typeof c.pnl === "number" && Number.isFinite(c.pnl)) out.closedTrades.push({ day, at: c.at, pnl: c.pnl });
      }
    }
  }
  return out;
}

/**
 * The equity the risk guardian measures against: the snapshot's, when the snapshot is one
 * the buying-power guard trusts (present, well formed, fresh); else none, with the reason.
 */
export function equityInput(docs: AccountDocs, read: BuyingPowerRead): { value: number | null; source: string; as_of: string | null } {
  const snap = snapshotRead(docs.snapshot);
  if ("held" in read.verdict) return { value: null, source: read.verdict.source, as_of: null };
  if (snap.kind !== "valid") return { value: null, source: read.verdict.source, as_of: null };
  return { value: snap.snapshot.equity, source: `account snapshot as of ${snap.snapshot.as_of.toISOString()}`, as_of: snap.snapshot.as_of.toISOString() };
}

/** How far back the heat looks for a daily mark of a held symbol the market data does not price. */
export const MARKS_LOOKBACK_DAYS = 10;

/**
 * The latest price of each held symbol, for the portfolio's heat (issue 12): the market
 * data side's heartbeat `market_data/latest` {prices} first (one read); for a held symbol
 * it does not price, the newest daily marks of the last MARKS_LOOKBACK_DAYS days that
 * have it (one query, at most that many documents). A malformed price is left out (its
 * position then counts as unmarked: fail closed).
 */
export async function readLatestMarks(db: Firestore, tenantId: string, held: ReadonlySet<string>, now: Date, io: IoCount): Promise<{ prices: Record<string, number>; source: string }> {
  const prices: Record<string, number> = {};
  const take = (stored: unknown, only: (symbol: string) => boolean) => {
    let n = 0;
    if (!stored || typeof stored !== "object") return n;
    for (const [symbol, price] of Object.entries(stored as Record<string, unknown>)) {
      if (only(symbol) && typeof price === "number" && Number.isFinite(price) && price > 0) {
        prices[symbol] = price;
        n += 1;
      }
    }
    return n;
  };
  const sources: string[] = [];
  const market = await db.doc(paths.marketData(tenantId)).get();
  io.read(market);
  if (market.exists && take(market.get("prices"), () => true) > 0) sources.push(`market data as of ${String(market.get("as_of"))}`);
  const missing = [...held].filter((symbol) => prices[symbol] === undefined);
  if (missing.length > 0) {
    const since = new Date(now.getTime() - MARKS_LOOKBACK_DAYS * 86_400_000).toISOString().slice(0, 10);
    // Ascending by day (a descending scan of ids needs an index Firestore does not keep): the newest is last.
    const daily = await db.collection(paths.dailyMarks(tenantId)).where(FieldPath.documentId(), ">=", since).orderBy(FieldPath.documentId()).limit(MARKS_LOOKBACK_DAYS + 2).get();
    io.read(daily);
    for (const doc of [...daily.docs].reverse()) {
      const wanted = new Set(missing.filter((symbol) => prices[symbol] === undefined));
      if (wanted.size === 0) break;
      if (take(doc.get("prices"), (symbol) => wanted.has(symbol)) > 0) sources.push(`daily marks of ${doc.id}`);
    }
  }
  return { prices, source: sources.length ? sources.join(", ") : `no market data or daily marks of the last ${MARKS_LOOKBACK_DAYS} days` };
}
