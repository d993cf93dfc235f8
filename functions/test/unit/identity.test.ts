import {
  NONCE_PATTERN,
  SESSION_ID_PATTERN,
  agentId,
  issueNonce,
  isWellFormedNonce,
  isWellFormedSessionId,
  newSessionId,
  sessionIdForEvent,
  type RandomBytes,
} from "../../src/core/identity";

/** A fake source that records what was asked and returns bytes 0, 1, 2, … */
function countingBytes(): { random: RandomBytes; asked: number[] } {
  const asked: number[] = [];
  return { asked, random: (n) => (asked.push(n), Buffer.from(Array.from({ length: n }, (_, i) => i))) };
}

describe("issueNonce (DESIGN.md: 32 hex characters from a cryptographic source)", () => {
  it("10,000 draws are all 32 lowercase hex characters and all distinct", () => {
    const nonces = Array.from({ length: 10_000 }, () => issueNonce());
    for (const n of nonces) expect(n).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(nonces).size).toBe(10_000);
  });

  it("hex-encodes exactly 16 bytes of the injected source", () => {
    const { random, asked } = countingBytes();
    // bytes 0x00..0x0f → "00" "01" … "0f"
    expect(issueNonce(random)).toBe("000102030405060708090a0b0c0d0e0f");
    expect(asked).toEqual([16]);
  });

  it("hex-encodes high bytes in lowercase", () => {
    expect(issueNonce(() => Buffer.alloc(16, 0xab))).toBe("ab".repeat(16));
  });

  it("refuses a source that returns the wrong number of bytes", () => {
    expect(() => issueNonce(() => Buffer.alloc(8))).toThrow(/expected 16/);
  });
});

describe("newSessionId (DESIGN.md: maestro_{epoch ms}_{16 hex})", () => {
  it("joins the epoch milliseconds and 8 random bytes as 16 hex", () => {
    const now = new Date("2024-12-30T12:00:00.000Z"); // = 1735560000000 ms since the epoch
    const random: RandomBytes = (n) => Buffer.from([0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18].slice(0, n));
    expect(newSessionId(now, random)).toBe("maestro_1735560000000_a1b2c3d4e5f60718");
  });

  it("asks the source for 8 bytes", () => {
    const { random, asked } = countingBytes();
    expect(newSessionId(new Date(0), random)).toBe("maestro_0_0001020304050607");
    expect(asked).toEqual([8]);
  });

  it("with the default source matches the pattern and differs between calls in the same millisecond", () => {
    const now = new Date(1_735_560_000_000);
    const a = newSessionId(now);
    const b = newSessionId(now);
    expect(a).toMatch(/^maestro_1735560000000_[0-9a-f]{16}$/);
    expect(a).not.toBe(b);
  });

  it("refuses an invalid date", () => {
    expect(() => newSessionId(new Date("not a date"))).toThrow(RangeError);
  });
});

describe("agentId", () => {
  it("is {tenant}_{strategy}", () => {
    expect(agentId("default", "GammaScalper")).toBe("default_GammaScalper");
  });
});

describe("well-formedness", () => {
  it("accepts only 32 lowercase hex characters as a nonce", () => {
    expect(isWellFormedNonce("a1b2c3d4e5f60718293a4b5c6d7e8f90")).toBe(true);
    expect(isWellFormedNonce("A1B2C3D4E5F60718293A4B5C6D7E8F90")).toBe(false); // upper case
    expect(isWellFormedNonce("a1b2c3d4e5f60718293a4b5c6d7e8f9")).toBe(false); // 31
    expect(isWellFormedNonce("a1b2c3d4e5f60718293a4b5c6d7e8f901")).toBe(false); // 33
    // the seed's own example nonce is 44 characters: not well formed
    expect(isWellFormedNonce("a1b2c3d4e5f6789012345678901234567890abcdef01")).toBe(false);
    expect(isWellFormedNonce("g1b2c3d4e5f60718293a4b5c6d7e8f90")).toBe(false);
    expect(isWellFormedNonce(12345)).toBe(false);
    expect(isWellFormedNonce(undefined)).toBe(false);
    expect(NONCE_PATTERN.test("0".repeat(32))).toBe(true);
  });

  it("accepts only maestro_{ms}_{16 hex} as a session id", () => {
    expect(isWellFormedSessionId("maestro_1735560000000_a1b2c3d4e5f60718")).toBe(true);
    // the seed's example has an 8-hex suffix: not the format DESIGN.md fixes
    expect(isWellFormedSessionId("maestro_1735560000000_a1b2c3d4")).toBe(false);
    expect(isWellFormedSessionId("maestro_1735560000000_A1B2C3D4E5F60718")).toBe(false);
    expect(isWellFormedSessionId("maestro__a1b2c3d4e5f60718")).toBe(false);
    expect(isWellFormedSessionId("session_1735560000000_a1b2c3d4e5f60718")).toBe(false);
    expect(isWellFormedSessionId("maestro_1735560000000_a1b2c3d4e5f60718 ")).toBe(false);
    expect(isWellFormedSessionId(null)).toBe(false);
    expect(SESSION_ID_PATTERN.test("maestro_0_0000000000000000")).toBe(true);
  });
});

describe("sessionIdForEvent", () => {
  const time = new Date("2026-11-21T14:30:00.000Z");

  test("is well formed and the same for every delivery of one message", () => {
    const a = sessionIdForEvent(time, "demo-fund", "msg-1");
    expect(a).toMatch(/^maestro_1795271400000_[0-9a-f]{16}$/); // 2026-11-21T14:30Z = 1,795,271,400,000 ms
    expect(isWellFormedSessionId(a)).toBe(true);
    expect(sessionIdForEvent(time, "demo-fund", "msg-1")).toBe(a);
  });

  test("differs for another message or another tenant", () => {
    const a = sessionIdForEvent(time, "demo-fund", "msg-1");
    expect(sessionIdForEvent(time, "demo-fund", "msg-2")).not.toBe(a);
    expect(sessionIdForEvent(time, "other-desk", "msg-1")).not.toBe(a);
  });
});
