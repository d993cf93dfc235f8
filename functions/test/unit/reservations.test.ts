/**
 * Buying power promised stays promised (core/reservations.ts): a reservation is released
 * only by a snapshot taken after its nonce was redeemed, or by the nonce expiring
 * unredeemed; no, stale, future-dated or malformed snapshots hold every BUY. Worked by
 * hand in whole dollars.
 */
import fc from "fast-check";
import { MAX_OUTSTANDING_RESERVATIONS, buyingPowerVerdict, nextReservations, settleReservations } from "../../src/core/reservations";
import { DEFAULT_CONFIG, MaestroConfigSchema, type Reservation } from "../../src/schemas";

const T0 = new Date("2026-11-30T15:00:00.000Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function entry(notional: number, options: { expiresIn?: number; redeemedAt?: number | null } = {}): Reservation {
  return {
    signal_id: "sig",
    session_id: "maestro_1796050800000_0123456789abcdef",
    notional,
    reserved_at: T0.toISOString(),
    expires_at: at(options.expiresIn ?? 300).toISOString(),
    redeemed_at: options.redeemedAt === undefined || options.redeemedAt === null ? null : at(options.redeemedAt).toISOString(),
  };
}

const snapshot = (buyingPower: number, asOfSeconds: number) => ({ kind: "valid" as const, snapshot: { equity: buyingPower, buying_power: buyingPower, as_of: at(asOfSeconds) } });

describe("settleReservations", () => {
  test("a new snapshot frees nothing that was not redeemed before it", () => {
    const entries = { a: entry(60_000), b: entry(40_000) };
    const state = settleReservations(entries, at(60), at(61));
    expect(state.reserved).toBe(100_000);
    expect(state.released).toEqual([]);
  });

  test("a nonce redeemed before the snapshot's as_of is released; one redeemed after it is not", () => {
    const entries = { a: entry(60_000, { redeemedAt: 30 }), b: entry(25_000, { redeemedAt: 90 }), c: entry(15_000) };
    const state = settleReservations(entries, at(60), at(100));
    expect(Object.keys(state.outstanding).sort()).toEqual(["b", "c"]);
    expect(state.reserved).toBe(40_000);
    expect(state.released.map((r) => [r.nonce, r.notional])).toEqual([["a", 60_000]]);
    expect(state.released[0].why).toMatch(/^redeemed at .+ before the snapshot as of .+: the fill is in it$/);
  });

  test("an unredeemed nonce is released when it expires; a redeemed one waits for its snapshot even after expiry", () => {
    const entries = { a: entry(10_000, { expiresIn: 300 }), b: entry(20_000, { expiresIn: 300, redeemedAt: 200 }) };
    expect(settleReservations(entries, at(100), at(299)).reserved).toBe(30_000);
    const expired = settleReservations(entries, at(100), at(300));
    expect(expired.reserved).toBe(20_000);
    expect(expired.released).toEqual([{ nonce: "a", notional: 10_000, why: `expired unredeemed at ${at(300).toISOString()}` }]);
    expect(settleReservations(entries, at(250), at(400)).reserved).toBe(0);
  });

  test("without a snapshot, redemption alone releases nothing", () => {
    expect(settleReservations({ a: entry(5_000, { redeemedAt: 10 }) }, null, at(20)).reserved).toBe(5_000);
  });

  test("property: outstanding + released is every entry, and reserved is the sum of the outstanding", () => {
    const arb = fc.dictionary(
      fc.string({ unit: fc.constantFrom("a", "b", "c", "d", "e", "f", "0", "1"), minLength: 1, maxLength: 4 }),
      fc.record({ notional: fc.integer({ min: 0, max: 1_000_000 }), expiresIn: fc.integer({ min: 0, max: 600 }), redeemedAt: fc.option(fc.integer({ min: 0, max: 600 })) }),
    );
    fc.assert(
      fc.property(arb, fc.option(fc.integer({ min: 0, max: 600 })), fc.integer({ min: 0, max: 900 }), (raw, asOf, now) => {
        const entries = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, entry(v.notional, { expiresIn: v.expiresIn, redeemedAt: v.redeemedAt })]));
        const state = settleReservations(entries, asOf === null ? null : at(asOf), at(now));
        const ids = [...Object.keys(state.outstanding), ...state.released.map((r) => r.nonce)].sort();
        expect(ids).toEqual(Object.keys(entries).sort());
        expect(state.reserved).toBe(Object.values(state.outstanding).reduce((s, e) => s + e.notional, 0));
        for (const [nonce, e] of Object.entries(state.outstanding)) {
          // Nothing outstanding may be one a rule releases.
          if (e.redeemed_at === null) expect(Date.parse(e.expires_at)).toBeGreaterThan(at(now).getTime());
          else if (asOf !== null) expect(Date.parse(e.redeemed_at)).toBeGreaterThanOrEqual(at(asOf).getTime());
          expect(nonce in entries).toBe(true);
        }
      }),
    );
  });
});

describe("buyingPowerVerdict", () => {
  const none = { outstanding: {}, reserved: 0, released: [] };

  test("available = the snapshot's buying power less what is still reserved", () => {
    const state = settleReservations({ a: entry(30_000) }, at(0), at(10));
    const v = buyingPowerVerdict(snapshot(100_000, 0), state, DEFAULT_CONFIG, at(10));
    expect(v).toMatchObject({ capped: true, available: 70_000 });
  });

  test("reserved beyond the snapshot's buying power leaves 0, never a negative", () => {
    const state = settleReservations({ a: entry(130_000) }, at(0), at(10));
    expect(buyingPowerVerdict(snapshot(100_000, 0), state, DEFAULT_CONFIG, at(10))).toMatchObject({ capped: true, available: 0 });
  });

  test("no snapshot holds every BUY unless account.require_snapshot is false", () => {
    expect(buyingPowerVerdict({ kind: "missing" }, none, DEFAULT_CONFIG, T0)).toMatchObject({ held: true, source: expect.stringMatching(/^no account snapshot \(account\.require_snapshot\)/) });
    const relaxed = MaestroConfigSchema.parse({ account: { require_snapshot: false }, cycle_steps: ["weights", "systemic_override", "buying_power"] });
    expect(buyingPowerVerdict({ kind: "missing" }, none, relaxed, T0)).toMatchObject({ capped: false });
  });

  test("a snapshot older than account.max_snapshot_age_seconds (900) holds every BUY; 900 s exactly is still fresh", () => {
    expect(buyingPowerVerdict(snapshot(100_000, 0), none, DEFAULT_CONFIG, at(900))).toMatchObject({ capped: true, available: 100_000 });
    expect(buyingPowerVerdict(snapshot(100_000, 0), none, DEFAULT_CONFIG, at(901))).toMatchObject({
      held: true,
      source: expect.stringMatching(/is stale \(901 s old, more than account\.max_snapshot_age_seconds 900\)/),
    });
  });

  test("a snapshot dated more than a minute ahead of the clock is not believed", () => {
    expect(buyingPowerVerdict(snapshot(100_000, 61), none, DEFAULT_CONFIG, T0)).toMatchObject({ held: true, source: expect.stringMatching(/in the future/) });
    expect(buyingPowerVerdict(snapshot(100_000, 59), none, DEFAULT_CONFIG, T0)).toMatchObject({ capped: true });
  });

  test("a malformed snapshot holds every BUY, whatever require_snapshot says", () => {
    const relaxed = MaestroConfigSchema.parse({ account: { require_snapshot: false }, cycle_steps: ["weights", "systemic_override", "buying_power"] });
    expect(buyingPowerVerdict({ kind: "malformed", reason: "buying_power: must be at least 0 (got -5)" }, none, relaxed, T0)).toMatchObject({ held: true });
  });

  test(`${MAX_OUTSTANDING_RESERVATIONS} outstanding reservations hold every further BUY`, () => {
    const entries = Object.fromEntries(Array.from({ length: MAX_OUTSTANDING_RESERVATIONS }, (_, i) => [`n${i}`, entry(1)]));
    const state = settleReservations(entries, at(0), at(1));
    expect(buyingPowerVerdict(snapshot(1e9, 0), state, DEFAULT_CONFIG, at(1))).toMatchObject({ held: true });
  });
});

describe("nextReservations", () => {
  test("keeps what is outstanding, drops what was released, adds the cycle's approved BUYs (not zero ones)", () => {
    const state = settleReservations({ old: entry(1_000, { redeemedAt: 5 }), kept: entry(2_000) }, at(10), at(20));
    const next = nextReservations(
      state,
      [
        { nonce: "new", signal_id: "s1", session_id: "maestro_x", notional: 500 },
        { nonce: "zero", signal_id: "s2", session_id: "maestro_x", notional: 0 },
      ],
      at(20),
      at(320),
    );
    expect(Object.keys(next).sort()).toEqual(["kept", "new"]);
    expect(next.new).toEqual({ signal_id: "s1", session_id: "maestro_x", notional: 500, reserved_at: at(20).toISOString(), expires_at: at(320).toISOString(), redeemed_at: null });
  });
});
