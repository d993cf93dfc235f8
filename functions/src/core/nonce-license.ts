/**
 * What a nonce licenses, and whether a presentation of it may place a trade (DESIGN.md:
 * "A nonce ... licenses exactly what was approved (action, ticker, notional, executable)
 * until it expires; a second use is a finding, never a trade").
 *
 * - Unknown nonce: refused, a finding.
 * - Already redeemed: the same caller presenting it again (a retry after a lost response)
 *   gets the original redemption back, marked as a replay, and no finding; anyone else is
 *   refused, a finding.
 * - Not executable (held by a step, SHADOW_MODE, DISABLED, HOLD): refused with the reason,
 *   a finding (an execution side trying to place what Maestro held).
 * - Expired: refused with the time it expired; not a finding (a slow execution side).
 * - Otherwise: redeemed now, answering the approved action, ticker and notional.
 */
import type { EnrichedSignal, NonceRecord } from "../schemas";
import { TRADABLE_MODES } from "./systemic-risk";

export type Redemption =
  | { outcome: "redeem" }
  | { outcome: "replay" }
  | { outcome: "refuse"; code: "not-found" | "failed-precondition"; kind: RefusalKind; detail: string; finding: boolean };

export type RefusalKind = "unknown_nonce" | "nonce_presented_twice" | "nonce_not_executable" | "nonce_expired" | "nonce_revoked";

/** A registry entry that does not parse: it cannot say what it licenses, so it licenses nothing. */
export interface UnreadableRecord {
  unreadable: string;
}

export function decideRedemption(nonce: string, record: NonceRecord | UnreadableRecord | null, callerUid: string, now: Date): Redemption {
  if (record === null) {
    return { outcome: "refuse", code: "not-found", kind: "unknown_nonce", detail: `nonce ${nonce} was never issued by Maestro`, finding: true };
  }
  if ("unreadable" in record) {
    return {
      outcome: "refuse",
      code: "failed-precondition",
      kind: "nonce_not_executable",
      detail: `nonce ${nonce}: its registry entry does not say what it licenses (${record.unreadable}), so it licenses nothing`,
      finding: true,
    };
  }
  if (record.redeemed_at !== null) {
    if (record.redeemed_by === callerUid) return { outcome: "replay" };
    return {
      outcome: "refuse",
      code: "failed-precondition",
      kind: "nonce_presented_twice",
      detail: `nonce ${nonce} was already redeemed at ${record.redeemed_at} by another caller; this presentation is refused`,
      finding: true,
    };
  }
  if (record.revoked_at !== null) {
    return {
      outcome: "refuse",
      code: "failed-precondition",
      kind: "nonce_revoked",
      detail: `nonce ${nonce} was revoked at ${record.revoked_at} (${record.revoked_reason ?? "no reason recorded"}); it licenses nothing`,
      finding: false,
    };
  }
  if (!record.executable) {
    return {
      outcome: "refuse",
      code: "failed-precondition",
      kind: "nonce_not_executable",
      detail: `nonce ${nonce} licenses no trade: signal ${record.signal_id} is not executable (${record.not_executable_reason ?? "no reason recorded"})`,
      finding: true,
    };
  }
  if (Date.parse(record.expires_at) <= now.getTime()) {
    return {
      outcome: "refuse",
      code: "failed-precondition",
      kind: "nonce_expired",
      detail: `nonce ${nonce} expired at ${record.expires_at} (nonce_ttl_seconds); the signal must be orchestrated again`,
      finding: false,
    };
  }
  return { outcome: "redeem" };
}

/** Why an orchestrated signal licenses no trade, in the words of the step or rule that decided it; null if it does. */
export function notExecutableReason(s: EnrichedSignal): string | null {
  if (s.executable) return null;
  if (s.override_reason) return s.override_reason;
  if (s.buying_power_reason) return s.buying_power_reason;
  if (!TRADABLE_MODES.has(s.mode)) return s.mode === "SHADOW_MODE" ? "strategy in SHADOW_MODE: paper trading only" : "strategy DISABLED";
  if (s.action === "HOLD") return "HOLD places no order";
  return `allocation ${s.allocation} after weighting places nothing`;
}
