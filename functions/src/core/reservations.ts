/**
 * Buying power Maestro promised (DESIGN.md: "Buying power Maestro approved stays reserved
 * until the fill is in a later account snapshot or the nonce expires unredeemed; no
 * snapshot, or a stale one, holds BUYs").
 *
 * A reservation belongs to one approved BUY (its nonce), not to a snapshot. It is
 * released only when
 * - its nonce was redeemed before the `as_of` of the snapshot in force (the execution side
 *   placed the order before it took the snapshot, so the fill is in it), or
 * - its nonce expired unredeemed (nothing can be placed with it any more).
 * A new snapshot never frees what is still outstanding. Pure: the store reads the snapshot
 * and the reservation record, these rules decide.
 */
import type { AccountSnapshot, MaestroConfig, Reservation } from "../schemas";

/** A reservation record holds at most this many outstanding entries (a document stays far under 1 MiB). */
export const MAX_OUTSTANDING_RESERVATIONS = 2_000;

/** A snapshot dated later than this after the cycle's clock is not believed (clock skew, or a forged as_of). */
export const SNAPSHOT_FUTURE_TOLERANCE_MS = 60_000;

export interface ReservationRelease {
  nonce: string;
  notional: number;
  why: string;
}

export interface ReservationState {
  /** Entries still held, by nonce. */
  outstanding: Record<string, Reservation>;
  /** Sum of the outstanding notionals. */
  reserved: number;
  released: ReservationRelease[];
}

const money = (x: number) => `$${x.toFixed(2)}`;

/** Splits the reservation entries into outstanding and released, against the snapshot in force. */
export function settleReservations(entries: Readonly<Record<string, Reservation>>, snapshotAsOf: Date | null, now: Date): ReservationState {
  const outstanding: Record<string, Reservation> = {};
  const released: ReservationRelease[] = [];
  let reserved = 0;
  for (const nonce of Object.keys(entries).sort()) {
    const r = entries[nonce];
    const redeemedAt = r.redeemed_at === null ? null : Date.parse(r.redeemed_at);
    if (redeemedAt !== null && snapshotAsOf !== null && redeemedAt < snapshotAsOf.getTime()) {
      released.push({ nonce, notional: r.notional, why: `redeemed at ${r.redeemed_at}, before the snapshot as of ${snapshotAsOf.toISOString()}: the fill is in it` });
    } else if (redeemedAt === null && Date.parse(r.expires_at) <= now.getTime()) {
      released.push({ nonce, notional: r.notional, why: `expired unredeemed at ${r.expires_at}` });
    } else {
      outstanding[nonce] = r;
      reserved += r.notional;
    }
  }
  return { outstanding, reserved, released };
}

export type SnapshotRead =
  | { kind: "missing" }
  | { kind: "malformed"; reason: string }
  | { kind: "valid"; snapshot: AccountSnapshot };

/** What the buying-power guard may spend this cycle, or why every BUY is held. */
export type BuyingPowerVerdict =
  | { capped: true; available: number; source: string; asOf: Date }
  | { capped: false; source: string }
  | { held: true; source: string };

/**
 * Fail closed (issue "Maestro's promises hold…", §2): a missing snapshot (unless
 * `account.require_snapshot` is false), a malformed one, a stale one (older than
 * `account.max_snapshot_age_seconds`), one dated in the future, or too many outstanding
 * reservations hold every BUY, with the reason.
 */
export function buyingPowerVerdict(read: SnapshotRead, state: ReservationState, config: MaestroConfig, now: Date): BuyingPowerVerdict {
  if (read.kind === "missing") {
    return config.account.require_snapshot
      ? { held: true, source: "no account snapshot (account.require_snapshot): every BUY held until the execution side writes tenants/{t}/account/snapshot" }
      : { capped: false, source: "no account snapshot and account.require_snapshot is false: BUY notional not capped" };
  }
  if (read.kind === "malformed") return { held: true, source: `account snapshot is malformed (${read.reason}): every BUY held` };
  const { snapshot } = read;
  const ageMs = now.getTime() - snapshot.as_of.getTime();
  const asOf = snapshot.as_of.toISOString();
  if (ageMs < -SNAPSHOT_FUTURE_TOLERANCE_MS) {
    return { held: true, source: `account snapshot as_of ${asOf} is in the future (${Math.round(-ageMs / 1000)} s ahead of Maestro's clock): every BUY held` };
  }
  const maxAge = config.account.max_snapshot_age_seconds;
  if (ageMs > maxAge * 1000) {
    return { held: true, source: `account snapshot as of ${asOf} is stale (${Math.round(ageMs / 1000)} s old, more than account.max_snapshot_age_seconds ${maxAge}): every BUY held` };
  }
  const count = Object.keys(state.outstanding).length;
  if (count >= MAX_OUTSTANDING_RESERVATIONS) {
    return { held: true, source: `${count} approved BUYs are still outstanding (at most ${MAX_OUTSTANDING_RESERVATIONS}): every BUY held until they are redeemed and filled, or expire` };
  }
  const available = Math.max(0, snapshot.buying_power - state.reserved);
  return {
    capped: true,
    available,
    asOf: snapshot.as_of,
    source:
      `account snapshot as of ${asOf}: buying power ${money(snapshot.buying_power)}, ` +
      `${money(state.reserved)} still reserved for ${count} approved BUY${count === 1 ? "" : "s"} not yet in a snapshot`,
  };
}

/** The reservation entries after a cycle: what is still outstanding plus this cycle's approved BUYs. */
export function nextReservations(
  state: ReservationState,
  approved: readonly { nonce: string; signal_id: string; session_id: string; notional: number }[],
  reservedAt: Date,
  expiresAt: Date,
): Record<string, Reservation> {
  const entries: Record<string, Reservation> = { ...state.outstanding };
  for (const a of approved) {
    if (!(a.notional > 0)) continue;
    entries[a.nonce] = {
      signal_id: a.signal_id,
      session_id: a.session_id,
      notional: a.notional,
      reserved_at: reservedAt.toISOString(),
      expires_at: expiresAt.toISOString(),
      redeemed_at: null,
    };
  }
  return entries;
}
