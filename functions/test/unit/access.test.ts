/**
 * Who may do what and how often: roles rank viewer < trader < admin (each may do what
 * the ones below it may), and a per-user sliding-window rate limit that allows `limit`
 * calls in any window, tells a refused caller exactly when to retry, and ignores junk in
 * the stored call history.
 */
import { roleAllows, roleRank, takeRateToken, takeRateTokenUnderCeiling } from "../../src/core/access";
import { ROLES, type Role } from "../../src/schemas";

describe("roles", () => {
  test("rank is viewer 1 < trader 2 < admin 3", () => {
    expect(roleRank("viewer")).toBe(1);
    expect(roleRank("trader")).toBe(2);
    expect(roleRank("admin")).toBe(3);
  });

  test("a role is allowed exactly what it or a lower role needs", () => {
    const allowed: Record<Role, Role[]> = {
      viewer: ["viewer"],
      trader: ["viewer", "trader"],
      admin: ["viewer", "trader", "admin"],
    };
    for (const role of ROLES) {
      for (const required of ROLES) {
        expect([role, required, roleAllows(role, required)]).toEqual([role, required, allowed[role].includes(required)]);
      }
    }
  });
});

describe("takeRateToken: sliding window", () => {
  const LIMIT = 3;
  const WINDOW = 1000;

  test("allows up to the limit, storing each call, then refuses the next", () => {
    let calls: unknown[] = [];
    for (const now of [1000, 1200, 1500]) {
      const decision = takeRateToken(calls, now, LIMIT, WINDOW);
      expect(decision.allowed).toBe(true);
      expect(decision.retry_after_ms).toBe(0);
      calls = decision.calls;
    }
    expect(calls).toEqual([1000, 1200, 1500]);

    // At 1800 all three are inside (1800 − 1000, 1800]; the oldest (1000) leaves at 2000.
    const refused = takeRateToken(calls, 1800, LIMIT, WINDOW);
    expect(refused).toEqual({ allowed: false, calls: [1000, 1200, 1500], retry_after_ms: 200 });
  });

  test("a refused caller retrying after retry_after_ms is allowed; one ms earlier is not", () => {
    const history = [1000, 1200, 1500];
    // 1999: the call at 1000 is still inside (999, 1999] → refused, 1 ms to go.
    expect(takeRateToken(history, 1999, LIMIT, WINDOW)).toEqual({ allowed: false, calls: [1000, 1200, 1500], retry_after_ms: 1 });
    // 2000: a call exactly one window old has left it → room for one.
    expect(takeRateToken(history, 2000, LIMIT, WINDOW)).toEqual({ allowed: true, calls: [1200, 1500, 2000], retry_after_ms: 0 });
  });

  test("a limit of 0 allows nothing and names no wait (it was 'retry in NaN s')", () => {
    expect(takeRateToken([], 1000, 0, WINDOW)).toEqual({ allowed: false, calls: [], retry_after_ms: Number.POSITIVE_INFINITY });
    expect(takeRateToken([900], 1000, 0, WINDOW)).toEqual({ allowed: false, calls: [900], retry_after_ms: Number.POSITIVE_INFINITY });
    // A platform ceiling of 0 refuses as the platform's, whatever the tenant allows.
    expect(takeRateTokenUnderCeiling([], 1000, { limit: 5, windowMs: 60_000 }, 0)).toEqual({ allowed: false, calls: [], retry_after_ms: Number.POSITIVE_INFINITY, limited_by: "platform" });
  });

  test("calls older than the window are dropped from the stored history and free up room", () => {
    const decision = takeRateToken([100, 200, 300, 1600], 1800, LIMIT, WINDOW);
    expect(decision).toEqual({ allowed: true, calls: [1600, 1800], retry_after_ms: 0 });
  });

  test("over the limit (the limit was lowered): retry waits for enough calls to leave, not just the oldest", () => {
    // limit 2, three calls in the window: both 1000 and 1200 must leave; 1200 leaves at 2200.
    expect(takeRateToken([1000, 1200, 1500], 1800, 2, WINDOW)).toEqual({ allowed: false, calls: [1000, 1200, 1500], retry_after_ms: 400 });
    expect(takeRateToken([1000, 1200, 1500], 2199, 2, WINDOW).allowed).toBe(false);
    expect(takeRateToken([1000, 1200, 1500], 2200, 2, WINDOW)).toEqual({ allowed: true, calls: [1500, 2200], retry_after_ms: 0 });
  });

  test("junk entries (strings, NaN, Infinity, null, objects, future times) are dropped", () => {
    const junk: unknown[] = ["1500", NaN, Infinity, -Infinity, null, undefined, {}, [1500], 5000, 1500];
    // Only 1500 is a real call in (1000, 2000]; 5000 is in the future.
    expect(takeRateToken(junk, 2000, 2, WINDOW)).toEqual({ allowed: true, calls: [1500, 2000], retry_after_ms: 0 });
  });

  test("junk does not count against the limit", () => {
    const junk: unknown[] = ["1900", "1901", NaN, 2500, 2600, 1900];
    // limit 2: one real call (1900) is in the window, so this one is allowed.
    expect(takeRateToken(junk, 2000, 2, WINDOW).allowed).toBe(true);
  });

  test("an unsorted history works and is stored sorted", () => {
    expect(takeRateToken([1500, 1000, 1200], 1800, LIMIT, WINDOW)).toEqual({ allowed: false, calls: [1000, 1200, 1500], retry_after_ms: 200 });
    expect(takeRateToken([1500, 1200, 1000], 1800, 2, WINDOW)).toEqual({ allowed: false, calls: [1000, 1200, 1500], retry_after_ms: 400 });
    expect(takeRateToken([1700, 300, 1600], 1800, LIMIT, WINDOW)).toEqual({ allowed: true, calls: [1600, 1700, 1800], retry_after_ms: 0 });
  });

  test("the stored history passed in is not mutated", () => {
    const history = [1500, 1000, 1200, 5];
    takeRateToken(history, 1800, LIMIT, WINDOW);
    takeRateToken(history, 2000, LIMIT, WINDOW);
    expect(history).toEqual([1500, 1000, 1200, 5]);
  });

  test("a realistic minute: 6 calls per 60 s, the 7th waits until the first is 60 s old", () => {
    const t0 = 1_763_305_200_000;
    let calls: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const decision = takeRateToken(calls, t0 + i * 5_000, 6, 60_000);
      expect(decision.allowed).toBe(true);
      calls = decision.calls;
    }
    // 7th at t0 + 30 s: the first call (t0) leaves at t0 + 60 s → 30 000 ms.
    const refused = takeRateToken(calls, t0 + 30_000, 6, 60_000);
    expect(refused.allowed).toBe(false);
    expect(refused.retry_after_ms).toBe(30_000);
    expect(takeRateToken(calls, t0 + 60_000, 6, 60_000).allowed).toBe(true);
  });
});
