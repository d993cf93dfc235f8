/**
 * A nonce licenses exactly what Maestro approved, once (core/nonce-license.ts), and the
 * pending-signal queue is served oldest first within a byte budget (core/signal-queue.ts).
 */
import { decideRedemption, notExecutableReason } from "../../src/core/nonce-license";
import { ENRICHMENT_BYTES, MAX_SIGNAL_DOCUMENT_BYTES, documentBytes, takeSignals } from "../../src/core/signal-queue";
import type { EnrichedSignal, NonceRecord } from "../../src/schemas";

const NOW = new Date("2026-11-30T15:00:00.000Z");
const NONCE = "ab".repeat(16);

function license(overrides: Partial<NonceRecord> = {}): NonceRecord {
  return {
    session_id: "maestro_1796050800000_0123456789abcdef",
    signal_id: "sig1",
    agent_id: "fund_alpha",
    strategy_id: "alpha",
    action: "BUY",
    ticker: "SPY",
    allocation: 0.4,
    notional: 4_000,
    executable: true,
    not_executable_reason: null,
    reserved: true,
    issued_at: "2026-11-30T14:58:00.000Z",
    expires_at: "2026-11-30T15:03:00.000Z",
    redeemed_at: null,
    redeemed_by: null,
    revoked_at: null,
    revoked_reason: null,
    ...overrides,
  };
}

describe("decideRedemption", () => {
  test("an executable, unexpired, unredeemed nonce is redeemed", () => {
    expect(decideRedemption(NONCE, license(), "exec", NOW)).toEqual({ outcome: "redeem" });
  });

  test("unknown: not-found and a finding", () => {
    expect(decideRedemption(NONCE, null, "exec", NOW)).toMatchObject({ outcome: "refuse", code: "not-found", kind: "unknown_nonce", finding: true });
  });

  test("held by a step: failed-precondition naming why, and a finding", () => {
    const held = license({ executable: false, action: "HOLD", notional: null, not_executable_reason: "Maestro systemic risk override: 3 strategies signaling SELL" });
    const d = decideRedemption(NONCE, held, "exec", NOW);
    expect(d).toMatchObject({ outcome: "refuse", code: "failed-precondition", kind: "nonce_not_executable", finding: true });
    if (d.outcome === "refuse") expect(d.detail).toContain("(Maestro systemic risk override: 3 strategies signaling SELL)");
  });

  test("expired (at expires_at exactly): failed-precondition, not a finding", () => {
    const d = decideRedemption(NONCE, license({ expires_at: NOW.toISOString() }), "exec", NOW);
    expect(d).toMatchObject({ outcome: "refuse", code: "failed-precondition", kind: "nonce_expired", finding: false });
    expect(decideRedemption(NONCE, license({ expires_at: new Date(NOW.getTime() + 1).toISOString() }), "exec", NOW)).toEqual({ outcome: "redeem" });
  });

  test("redeemed: the same caller gets a replay (even after expiry); anyone else is refused with a finding", () => {
    const redeemed = license({ redeemed_at: "2026-11-30T14:59:00.000Z", redeemed_by: "exec", expires_at: "2026-11-30T14:59:30.000Z" });
    expect(decideRedemption(NONCE, redeemed, "exec", NOW)).toEqual({ outcome: "replay" });
    expect(decideRedemption(NONCE, redeemed, "intruder", NOW)).toMatchObject({ outcome: "refuse", code: "failed-precondition", kind: "nonce_presented_twice", finding: true });
  });

  test("a registry entry that does not say what it licenses licenses nothing", () => {
    expect(decideRedemption(NONCE, { unreadable: "executable: is required" }, "exec", NOW)).toMatchObject({ outcome: "refuse", kind: "nonce_not_executable", finding: true });
  });
});

describe("notExecutableReason", () => {
  const base = { executable: false, mode: "ACTIVE", action: "BUY", allocation: 0.2 } as EnrichedSignal;
  test("names the step or the rule", () => {
    expect(notExecutableReason({ ...base, executable: true })).toBeNull();
    expect(notExecutableReason({ ...base, override_reason: "override" })).toBe("override");
    expect(notExecutableReason({ ...base, buying_power_reason: "Held: stale" })).toBe("Held: stale");
    expect(notExecutableReason({ ...base, mode: "SHADOW_MODE" })).toBe("strategy in SHADOW_MODE: paper trading only");
    expect(notExecutableReason({ ...base, mode: "DISABLED" })).toBe("strategy DISABLED");
    expect(notExecutableReason({ ...base, action: "HOLD" })).toBe("HOLD places no order");
  });
});

describe("takeSignals", () => {
  const signal = (id: string, reasoning = "") => {
    const data = { strategy_id: "alpha", action: "BUY", ticker: "SPY", allocation: 0.1, reasoning, status: "pending" };
    return { id, data, bytes: documentBytes(data) };
  };

  test("takes in the order given, up to the count", () => {
    const queue = ["z-oldest", "a-newer", "m-newest"].map((id) => signal(id));
    const take = takeSignals(queue, 2);
    expect(take.taken.map((s) => s.id)).toEqual(["z-oldest", "a-newer"]);
    expect(take.left).toBe(1);
  });

  test("stops at the byte budget, measured in UTF-8 bytes, leaving the rest pending", () => {
    // 1,000 three-byte characters: 3,000 bytes of reasoning in each signal.
    const queue = ["s1", "s2", "s3"].map((id) => signal(id, "漢".repeat(1_000)));
    expect(queue[0].bytes).toBe(Buffer.byteLength(JSON.stringify(queue[0].data), "utf8"));
    expect(queue[0].bytes).toBeGreaterThan(3_000);
    const budget = 2 * (queue[0].bytes + ENRICHMENT_BYTES);
    const take = takeSignals(queue, 200, budget);
    expect(take.taken.map((s) => s.id)).toEqual(["s1", "s2"]);
    expect(take.left).toBe(1);
  });

  test("a signal id Maestro does not accept, or a document too large to ever fit, is rejected with the reason, not left blocking the queue", () => {
    const huge = { id: "huge", data: {}, bytes: MAX_SIGNAL_DOCUMENT_BYTES + 1 };
    const take = takeSignals([signal("x".repeat(129)), huge, signal("ok")], 200);
    expect(take.taken.map((s) => s.id)).toEqual(["ok"]);
    expect(take.rejected).toEqual([
      { signal_id: "x".repeat(129), reason: "signal id: must be at most 128 characters (got \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… (131 characters))" },
      { signal_id: "huge", reason: `document: is ${MAX_SIGNAL_DOCUMENT_BYTES + 1} bytes, more than a signal may be (${MAX_SIGNAL_DOCUMENT_BYTES})` },
    ]);
    expect(take.left).toBe(0);
  });
});

describe("a revoked licence (an emergency stop)", () => {
  it("licenses nothing: failed-precondition naming when and why, not a finding", () => {
    const decision = decideRedemption(NONCE, license({ revoked_at: "2026-11-30T14:59:00.000Z", revoked_reason: "emergency stop: broker unreachable" }), "executor", NOW);
    expect(decision).toEqual({
      outcome: "refuse",
      code: "failed-precondition",
      kind: "nonce_revoked",
      detail: `nonce ${NONCE} was revoked at 2026-11-30T14:59:00.000Z (emergency stop: broker unreachable); it licenses nothing`,
      finding: false,
    });
  });
});
