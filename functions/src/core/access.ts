/**
 * Who may do what (roles) and how often (a per-user sliding-window rate limit). Pure: the
 * store reads the membership and the call history, these rules decide.
 */
import { ROLES, type Role } from "../schemas";

/** viewer < trader < admin. */
export function roleRank(role: Role): number {
  return ROLES.indexOf(role) + 1;
}

export function roleAllows(role: Role, required: Role): boolean {
  return roleRank(role) >= roleRank(required);
}

export interface RateDecision {
  allowed: boolean;
  /** The call times (epoch ms) to store: the ones still inside the window, plus this call if allowed. */
  calls: number[];
  /** When refused: how long until the oldest call in the window leaves it. */
  retry_after_ms: number;
}

/**
 * Sliding-window limit: at most `limit` calls in any `windowMs`. `previous` is the stored
 * call history (times in epoch ms, any order; junk entries are dropped).
 */
export function takeRateToken(previous: readonly unknown[], nowMs: number, limit: number, windowMs: number): RateDecision {
  const recent = previous
    .filter((t): t is number => typeof t === "number" && Number.isFinite(t) && t > nowMs - windowMs && t <= nowMs)
    .sort((a, b) => a - b);
  if (recent.length >= limit) {
    const oldestThatMustLeave = recent[recent.length - limit];
    return { allowed: false, calls: recent, retry_after_ms: Math.max(1, oldestThatMustLeave + windowMs - nowMs) };
  }
  return { allowed: true, calls: [...recent, nowMs], retry_after_ms: 0 };
}
