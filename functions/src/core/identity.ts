/**
 * JIT identity stamped on every orchestrated signal (DESIGN.md "Rules of the Maestro"):
 * agent_id = {tenant}_{strategy}, nonce = 32 hex characters from a cryptographic source,
 * session_id = maestro_{epoch ms}_{16 hex}.
 */
import { createHash, randomBytes } from "node:crypto";

/** A source of random bytes; node:crypto's CSPRNG unless a test injects a known one. */
export type RandomBytes = (n: number) => Buffer;

export const NONCE_PATTERN = /^[0-9a-f]{32}$/;
export const SESSION_ID_PATTERN = /^maestro_(0|[1-9][0-9]*)_[0-9a-f]{16}$/;

const NONCE_BYTES = 16;
const SESSION_SUFFIX_BYTES = 8;

function hexOf(random: RandomBytes, n: number): string {
  const bytes = random(n);
  if (!Buffer.isBuffer(bytes) || bytes.length !== n) {
    throw new Error(`random source returned ${Buffer.isBuffer(bytes) ? bytes.length : typeof bytes} bytes, expected ${n}`);
  }
  return bytes.toString("hex");
}

/** 32 lowercase hex characters from 16 random bytes (128 bits: a collision is not a practical concern). */
export function issueNonce(random: RandomBytes = randomBytes): string {
  return hexOf(random, NONCE_BYTES);
}

/** `maestro_${epoch ms}_${16 hex}`; the random suffix separates sessions started in the same millisecond. */
export function newSessionId(now: Date, random: RandomBytes = randomBytes): string {
  const ms = now.getTime();
  if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`newSessionId: invalid time ${String(now)}`);
  return `maestro_${ms}_${hexOf(random, SESSION_SUFFIX_BYTES)}`;
}

/**
 * The session of one delivery-independent event (a Pub/Sub message): the same tenant and
 * message always give the same `maestro_${epoch ms}_${16 hex}`, so a redelivered message
 * maps onto the orchestration it already produced instead of starting a second one.
 */
export function sessionIdForEvent(eventTime: Date, tenantId: string, eventId: string): string {
  const ms = eventTime.getTime();
  if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`sessionIdForEvent: invalid time ${String(eventTime)}`);
  const suffix = createHash("sha256").update(`${tenantId}\n${eventId}`).digest("hex").slice(0, SESSION_SUFFIX_BYTES * 2);
  return `maestro_${ms}_${suffix}`;
}

/** DESIGN.md: agent_id = `{tenant}_{strategy}`. */
export function agentId(tenantId: string, strategyId: string): string {
  return `${tenantId}_${strategyId}`;
}

export function isWellFormedNonce(s: unknown): boolean {
  return typeof s === "string" && NONCE_PATTERN.test(s);
}

export function isWellFormedSessionId(s: unknown): boolean {
  return typeof s === "string" && SESSION_ID_PATTERN.test(s);
}
