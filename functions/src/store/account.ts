/**
 * Buying power for a cycle: the execution side's account snapshot, less what Maestro has
 * already let through against that same snapshot (its reservation). A cycle that lets
 * BUYs through adds their notional to the reservation in its own atomic batch,
 * conditioned on the reservation it read, so two concurrent cycles cannot both spend the
 * same buying power: the second one's batch fails and it runs again on what is left.
 * When the execution side writes a new snapshot (new `as_of`), it already reflects the
 * fills, and the reservation starts again from zero.
 */
import type { DocumentSnapshot, Firestore, WriteBatch } from "firebase-admin/firestore";
import { AccountSnapshotSchema, BuyingPowerReservationSchema } from "../schemas";
import { IoCount, parseDoc } from "./firestore";
import { paths } from "./paths";

export interface BuyingPowerRead {
  available: number | null;
  source: string;
  /** as_of of the snapshot the reservation is kept against; null without a valid snapshot. */
  asOf: string | null;
  reserved: number;
  reservationSnap: DocumentSnapshot;
}

export async function readBuyingPower(db: Firestore, tenantId: string, io: IoCount): Promise<BuyingPowerRead> {
  const [snapshot, reservation] = await Promise.all([
    db.doc(paths.accountSnapshot(tenantId)).get(),
    db.doc(paths.buyingPowerReservation(tenantId)).get(),
  ]);
  io.read(snapshot);
  io.read(reservation);
  if (!snapshot.exists) {
    return { available: null, source: "no account snapshot: BUY notional not capped", asOf: null, reserved: 0, reservationSnap: reservation };
  }
  const parsed = parseDoc(AccountSnapshotSchema, snapshot);
  if (!parsed.ok) {
    return { available: 0, source: `account snapshot is malformed (${parsed.reason}): BUYs held`, asOf: null, reserved: 0, reservationSnap: reservation };
  }
  const asOf = parsed.value.as_of.toISOString();
  const held = reservation.exists ? BuyingPowerReservationSchema.safeParse(reservation.data()) : null;
  const reserved = held?.success && held.data.as_of === asOf ? held.data.reserved_notional : 0;
  const available = Math.max(0, parsed.value.buying_power - reserved);
  const source = `account snapshot as of ${asOf}: buying power $${parsed.value.buying_power.toFixed(2)}, $${reserved.toFixed(2)} already let through by Maestro`;
  return { available, source, asOf, reserved, reservationSnap: reservation };
}

/** Adds this cycle's approved notional to the reservation, in the cycle's batch. Returns the writes added. */
export function reserveBuyingPower(batch: WriteBatch, read: BuyingPowerRead, approved: number, sessionId: string, now: Date): number {
  if (read.asOf === null || approved <= 0) return 0;
  const record = { as_of: read.asOf, reserved_notional: read.reserved + approved, updated_at: now.toISOString(), last_session_id: sessionId };
  if (read.reservationSnap.exists) batch.update(read.reservationSnap.ref, record, { lastUpdateTime: read.reservationSnap.updateTime! });
  else batch.create(read.reservationSnap.ref, record);
  return 1;
}
