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
  // A limit of 0 (an unset ceiling, a bucket closed on purpose) allows nothing, ever: no wait would help.
  if (limit <= 0) return { allowed: false, calls: recent, retry_after_ms: Number.POSITIVE_INFINITY };
  if (recent.length >= limit) {
    const oldestThatMustLeave = recent[recent.length - limit];
    return { allowed: false, calls: recent, retry_after_ms: Math.max(1, oldestThatMustLeave + windowMs - nowMs) };
  }
  return { allowed: true, calls: [...recent, nowMs], retry_after_ms: 0 };
}

/** The per-user buckets of the client API (config.rate_limits). */
export const RATE_LIMIT_BUCKETS = ["orchestrate_now", "write_calls", "verify_chain", "ask", "agent_calls"] as const;
export type RateLimitBucket = (typeof RATE_LIMIT_BUCKETS)[number];

/** Platform ceilings (deploy params): calls per user per minute, per bucket. */
export type RateCeilings = Readonly<Record<RateLimitBucket, number>>;

/** Calls per minute a tenant's rule allows on average: limit × 60 / window_seconds. */
export function callsPerMinute(limit: number, windowSeconds: number): number {
  return (limit * 60) / windowSeconds;
}

/**
 * The buckets of a tenant's rate_limits above the platform ceiling, each as a sentence
 * naming the bucket and the ceiling (empty when every bucket is within).
 */
export function rateCeilingViolations(
  limits: { window_seconds: number } & Record<RateLimitBucket, number>,
  ceilings: RateCeilings,
): string[] {
  return RATE_LIMIT_BUCKETS.flatMap((bucket) => {
    const rate = callsPerMinute(limits[bucket], limits.window_seconds);
    if (rate <= ceilings[bucket]) return [];
    const shown = Number.isInteger(rate) ? String(rate) : rate.toFixed(2);
    return [
      `rate_limits.${bucket}: ${limits[bucket]} per ${limits.window_seconds} s is ${shown} calls per minute, above the platform ceiling of ${ceilings[bucket]} per minute`,
    ];
  });
}

export interface CeilingRateDecision extends RateDecision {
  /** Which rule refused: the tenant's (limit per window) or the platform's (ceiling per minute). */
  limited_by: "tenant" | "platform" | null;
}

/**
 * The tenant's sliding window and, on the same call history, the platform's ceiling per
 * 60 s: a call is allowed only if both allow it, so a config written around the callable
 * (1,000 calls a second) still gets no more than the ceiling. The stored history covers
 * the longer of the two windows.
 */
export function takeRateTokenUnderCeiling(
  previous: readonly unknown[],
  nowMs: number,
  rule: { limit: number; windowMs: number },
  ceilingPerMinute: number,
): CeilingRateDecision {
  const longest = Math.max(rule.windowMs, 60_000);
  const history = takeRateToken(previous, nowMs, Number.MAX_SAFE_INTEGER, longest).calls.slice(0, -1);
  const tenant = takeRateToken(history, nowMs, rule.limit, rule.windowMs);
  const platform = takeRateToken(history, nowMs, ceilingPerMinute, 60_000);
  if (!tenant.allowed || !platform.allowed) {
    const byTenant = !tenant.allowed && (platform.allowed || tenant.retry_after_ms >= platform.retry_after_ms);
    return {
      allowed: false,
      calls: history,
      retry_after_ms: byTenant ? tenant.retry_after_ms : platform.retry_after_ms,
      limited_by: byTenant ? "tenant" : "platform",
    };
  }
  return { allowed: true, calls: [...history, nowMs], retry_after_ms: 0, limited_by: null };
}
