/**
 * Maestro's promises against a hostile member and a careless execution side, on the real
 * emulators, through the callables and Pub/Sub where a client or the execution side would
 * go (issue "Maestro's promises hold…", §1, §2 and §5):
 *
 *   - a nonce licenses exactly what was approved, once: a held signal's nonce, an expired
 *     one, someone else's redeemed one are refused; the same caller's retry is a replay;
 *   - buying power promised stays promised: a new snapshot frees nothing outstanding;
 *     redeemed-and-filled and expired reservations are released, to the dollar; no, stale
 *     or future snapshots hold every BUY and never an exit;
 *   - bad ids get a clear answer, never INTERNAL; the queue is served oldest first and a
 *     cycle's documents stay far under Firestore's 1 MiB.
 */
import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { SIGNAL_BYTES_BUDGET } from "../../src/core/signal-queue";
import { orchestrateTenant } from "../../src/stages/orchestration";
import { paths } from "../../src/store/paths";
import { STEPS_WITHOUT_GUARDIAN, adminDb, ampleAccountSnapshot, callCallable, memberOf, publish, uniqueTenantId, waitFor, openAllDay } from "../support/emulator";

const db: Firestore = adminDb();

async function seedTenant(label: string, options: { capital?: number; strategies?: number; config?: Record<string, unknown>; snapshot?: Record<string, unknown> | null } = {}): Promise<string> {
  const tenantId = uniqueTenantId(label);
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: label, active: true });
  for (let i = 0; i < (options.strategies ?? 4); i++) {
    batch.set(db.doc(paths.strategy(tenantId, `s${i}`)), { name: `S${i}`, enabled: true, capital_base: options.capital ?? 100_000, manual_mode: null });
  }
  batch.set(db.doc(paths.config(tenantId)), openAllDay(options.config));
  if (options.snapshot !== null) batch.set(db.doc(paths.accountSnapshot(tenantId)), options.snapshot ?? ampleAccountSnapshot());
  await batch.commit();
  return tenantId;
}

let signalClock = Date.now() - 3_600_000;
async function addSignal(tenantId: string, id: string, fields: Record<string, unknown>): Promise<void> {
  signalClock += 1;
  await db.doc(paths.signal(tenantId, id)).set({ ticker: "SPY", confidence: 0.5, reasoning: "", status: "pending", created_at: Timestamp.fromMillis(signalClock), ...fields });
}

const cycle = (tenantId: string, now?: Date) => orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "adversary-test", ...(now ? { now: () => now } : {}) });
const redeem = (tenantId: string, nonce: string | null, idToken: string) => callCallable("redeemNonce", { tenant_id: tenantId, nonce }, idToken);
const findingKinds = async (tenantId: string) => (await db.collection(paths.findings(tenantId)).get()).docs.map((d) => d.get("kind") as string).sort();

describe("§1 a nonce licenses exactly what Maestro approved, once", () => {
  test("a signal the systemic override held gets no nonce at all (identity is stamped last); a forged one is unknown and a finding", async () => {
    const tenantId = await seedTenant("nonce-held");
    for (const i of [0, 1, 2]) await addSignal(tenantId, `sell${i}`, { strategy_id: `s${i}`, action: "SELL", allocation: 0.1 });
    await addSignal(tenantId, "buy", { strategy_id: "s3", action: "BUY", allocation: 0.2 });
    const o = await cycle(tenantId);
    const buy = o.signals.find((s) => s.signal_id === "buy")!;
    expect(buy).toMatchObject({ action: "HOLD", original_action: "BUY", executable: false, nonce: null });
    expect(buy.interventions.map((i) => i.code)).toEqual(["SYSTEMIC_RISK_OVERRIDE"]);
    // Only the three SELLs hold a licence.
    const registry = await db.collection(`tenants/${tenantId}/nonces`).get();
    expect(registry.docs.map((d) => d.get("signal_id")).sort()).toEqual(["sell0", "sell1", "sell2"]);

    const executor = await memberOf(tenantId, "trader");
    const forged = await redeem(tenantId, "a".repeat(32), executor.idToken);
    expect(forged.error?.status).toBe("NOT_FOUND");
    expect(await findingKinds(tenantId)).toEqual(["unknown_nonce"]);

    // The SELLs are licensed, exactly as approved.
    const sell = o.signals.find((s) => s.signal_id === "sell0")!;
    const ok = await redeem(tenantId, sell.nonce, executor.idToken);
    expect(ok.result).toMatchObject({ action: "SELL", ticker: "SPY", allocation: 0.1, replay: false, signal_id: "sell0" });
  });

  test("an expired nonce is refused with the time it expired; the same caller's retry gets the original back; anyone else is a finding", async () => {
    // Orchestrated "two minutes ago", the snapshot is from its future: the risk guardian would hold the SELL entry for want of equity.
    const tenantId = await seedTenant("nonce-expiry", { config: { nonce_ttl_seconds: 60, cycle_steps: STEPS_WITHOUT_GUARDIAN } });
    await addSignal(tenantId, "old", { strategy_id: "s0", action: "SELL", allocation: 0.3 });
    // Orchestrated two minutes ago with a 60 s licence: expired now.
    const past = await cycle(tenantId, new Date(Date.now() - 120_000));
    const executor = await memberOf(tenantId, "trader");
    const expired = await redeem(tenantId, past.signals[0].nonce, executor.idToken);
    expect(expired.error?.status).toBe("FAILED_PRECONDITION");
    expect(expired.error?.message).toMatch(/^nonce: nonce [0-9a-f]{32} expired at .+ \(nonce_ttl_seconds\)/);
    expect(await findingKinds(tenantId)).toEqual([]);

    await addSignal(tenantId, "fresh", { strategy_id: "s1", action: "BUY", allocation: 0.25 });
    const now = await cycle(tenantId);
    const nonce = now.signals[0].nonce!;
    const first = await redeem(tenantId, nonce, executor.idToken);
    // 0.25 × capital_base 100,000, ACTIVE (no performance yet: insufficient_data_mode).
    expect(first.result).toMatchObject({ action: "BUY", ticker: "SPY", notional: 25_000, replay: false });
    const retry = await redeem(tenantId, nonce, executor.idToken);
    expect(retry.result).toEqual({ ...first.result, replay: true });
    const intruder = await memberOf(tenantId, "trader");
    expect((await redeem(tenantId, nonce, intruder.idToken)).error?.status).toBe("FAILED_PRECONDITION");
    expect(await findingKinds(tenantId)).toEqual(["nonce_presented_twice"]);
  });

  test("redeemNonce is rate-limited like the other write calls", async () => {
    const tenantId = await seedTenant("nonce-rate", { config: { rate_limits: { write_calls: 2 } } });
    const executor = await memberOf(tenantId, "trader");
    const calls = [];
    for (let i = 0; i < 3; i++) calls.push(await redeem(tenantId, `${i}`.repeat(32), executor.idToken));
    expect(calls.map((c) => c.error?.status)).toEqual(["NOT_FOUND", "NOT_FOUND", "RESOURCE_EXHAUSTED"]);
    expect(calls[2].error?.message).toMatch(/^rate limit: at most 2 write calls per 60 s per user/);
  });
});

describe("§2 buying power promised stays promised", () => {
  test("snapshot 100,000 → 100,000 approved → a new snapshot frees nothing → fills in a later snapshot free exactly what they should → expiry frees the rest", async () => {
    const start = Date.now();
    const tenantId = await seedTenant("promise", {
      snapshot: { equity: 100_000, buying_power: 100_000, as_of: new Date(start - 1_000).toISOString() },
      // The buying-power guard's numbers alone: the risk guardian would scale each entry to 1 % of equity at risk.
      config: { cycle_steps: STEPS_WITHOUT_GUARDIAN },
    });
    // Three BUYs: 0.5, 0.3 and 0.2 of capital_base 100,000 = 50,000 + 30,000 + 20,000.
    await addSignal(tenantId, "a", { strategy_id: "s0", action: "BUY", allocation: 0.5, confidence: 0.9 });
    await addSignal(tenantId, "b", { strategy_id: "s1", action: "BUY", allocation: 0.3, confidence: 0.8 });
    await addSignal(tenantId, "c", { strategy_id: "s2", action: "BUY", allocation: 0.2, confidence: 0.7 });
    const first = await cycle(tenantId);
    expect(first.buying_power).toMatchObject({ available: 100_000, approved_notional: 100_000, held: [] });
    const nonceOf = Object.fromEntries(first.signals.map((s) => [s.signal_id, s.nonce!]));

    // A routine snapshot, no order placed: the 100,000 stays promised.
    await db.doc(paths.accountSnapshot(tenantId)).set({ equity: 100_000, buying_power: 100_000, as_of: new Date().toISOString() });
    await addSignal(tenantId, "d", { strategy_id: "s3", action: "BUY", allocation: 0.1 });
    const second = await cycle(tenantId);
    expect(second.buying_power).toMatchObject({ available: 0, approved_notional: 0, held: ["d"] });
    expect(second.signals[0]).toMatchObject({ action: "HOLD", original_action: "BUY", executable: false });

    // a and b are redeemed and filled (80,000 spent); the broker also credits 50,000 of sales.
    const executor = await memberOf(tenantId, "trader");
    for (const id of ["a", "b"]) expect((await redeem(tenantId, nonceOf[id], executor.idToken)).error).toBeUndefined();
    await new Promise((r) => setTimeout(r, 5));
    const filledAt = new Date();
    await db.doc(paths.accountSnapshot(tenantId)).set({ equity: 100_000, buying_power: 100_000 - 80_000 + 50_000, as_of: filledAt.toISOString() });
    // 70,000 in the account, c's 20,000 still outstanding: exactly 50,000 is free.
    await addSignal(tenantId, "e", { strategy_id: "s3", action: "BUY", allocation: 0.6 });
    const third = await cycle(tenantId);
    expect(third.buying_power).toMatchObject({ available: 50_000, approved_notional: 50_000, scaled: ["e"] });
    expect(third.signals[0]).toMatchObject({ action: "BUY", notional: 50_000, allocation: 0.5 });
    const record = (await db.doc(paths.buyingPowerReservation(tenantId)).get()).get("entries") as Record<string, { notional: number }>;
    expect(Object.fromEntries(Object.entries(record).map(([n, e]) => [n, e.notional]))).toEqual({ [nonceOf.c]: 20_000, [third.signals[0].nonce!]: 50_000 });

    // Six minutes on, c and e expired unredeemed (nonce_ttl_seconds 300): the whole 70,000 is free.
    await addSignal(tenantId, "f", { strategy_id: "s0", action: "BUY", allocation: 0.9 });
    const later = new Date(Date.now() + 360_000);
    const fourth = await cycle(tenantId, later);
    expect(fourth.buying_power).toMatchObject({ available: 70_000, approved_notional: 70_000 });
    expect(fourth.signals[0]).toMatchObject({ action: "BUY", notional: 70_000 });
    // Only f's 70,000 is reserved now: c and e were dropped from the record as expired.
    const after = (await db.doc(paths.buyingPowerReservation(tenantId)).get()).get("entries") as Record<string, { notional: number }>;
    expect(Object.fromEntries(Object.entries(after).map(([n, e]) => [n, e.notional]))).toEqual({ [fourth.signals[0].nonce!]: 70_000 });

    // Every one of these cycles passes its audit.
    const audits = await waitFor("four audits", async () => {
      const snap = await db.collection(paths.audits(tenantId)).get();
      return snap.size >= 4 ? snap.docs.map((d) => d.data()) : undefined;
    });
    for (const a of audits) expect(a.passed).toBe(true);
  });

  test("fail closed: no snapshot, a stale one or one from the future holds every BUY with the reason; SELLs pass the guard; require_snapshot false lets BUYs through uncapped", async () => {
    // The buying-power guard alone: the risk guardian (a default step) also holds every
    // entry without a usable equity reading, SELLs included (its unit tests and the trading-session test).
    const alone = { cycle_steps: STEPS_WITHOUT_GUARDIAN };
    const cases: Array<[string, Record<string, unknown> | null, Record<string, unknown> | undefined, RegExp | null]> = [
      ["none", null, alone, /^Held: no account snapshot \(account\.require_snapshot\)/],
      ["stale", { equity: 1e6, buying_power: 1e6, as_of: new Date(Date.now() - 901_000).toISOString() }, alone, /is stale \(9\d\d s old, more than account\.max_snapshot_age_seconds 900\)/],
      ["future", { equity: 1e6, buying_power: 1e6, as_of: new Date(Date.now() + 3_600_000).toISOString() }, alone, /is in the future/],
      ["relaxed", null, { ...alone, account: { require_snapshot: false } }, null],
    ];
    for (const [label, snapshot, config, reason] of cases) {
      const tenantId = await seedTenant(`closed-${label}`, { snapshot, config });
      await addSignal(tenantId, "buy", { strategy_id: "s0", action: "BUY", allocation: 0.2 });
      await addSignal(tenantId, "sell", { strategy_id: "s1", action: "SELL", allocation: 0.2 });
      const o = await cycle(tenantId);
      const byId = Object.fromEntries(o.signals.map((s) => [s.signal_id, s]));
      expect(byId.sell).toMatchObject({ action: "SELL", executable: true });
      if (reason === null) {
        expect(byId.buy).toMatchObject({ action: "BUY", executable: true, notional: 20_000 });
        expect(o.buying_power?.available).toBeNull();
      } else {
        expect(byId.buy).toMatchObject({ action: "HOLD", original_action: "BUY", executable: false });
        expect(byId.buy.buying_power_reason).toMatch(reason);
      }
    }
  });
});

describe("§5 bad ids and oversized input get a clear answer", () => {
  test("reserved and overlong ids are invalid-argument in the callables, never INTERNAL", async () => {
    const tenantId = await seedTenant("ids");
    const admin = await memberOf(tenantId, "admin");
    const mode = await callCallable("setStrategyMode", { tenant_id: tenantId, strategy_id: "__x__", mode: "DISABLED", reason: "attack" }, admin.idToken);
    expect(mode.error).toMatchObject({ status: "INVALID_ARGUMENT" });
    expect(mode.error?.message).toMatch(/^strategy_id: must not be of the form __…__/);
    for (const tenant of ["__x__", "t".repeat(129), ".."]) {
      const weights = await callCallable("getStrategyWeights", { tenant_id: tenant }, admin.idToken);
      expect(weights.error?.status).toBe("INVALID_ARGUMENT");
      expect(weights.error?.message).toMatch(/^tenant_id: /);
    }
    const longStrategy = await callCallable("setStrategyMode", { tenant_id: tenantId, strategy_id: "s".repeat(129), mode: "DISABLED", reason: "attack" }, admin.idToken);
    expect(longStrategy.error?.message).toMatch(/^strategy_id: must be at most 128 characters/);
  });

  test("a market-cycle message for tenant __x__ is dead-lettered on its first delivery as permanent, never retried", async () => {
    const id = await publish("maestro-market-cycle", { tenant_id: "__x__" });
    // Generous: the first delivery may include the function worker's cold start on a busy machine.
    const letter = await waitFor("the dead letter", async () => (await db.doc(paths.deadLetter(id)).get()).data(), 60_000);
    expect(letter).toMatchObject({ kind: "permanent", attempts: 1, tenant_id: null });
    expect(letter.reason).toMatch(/^tenant_id: must not be of the form __…__/);
    // Not a transient failure: no retry bookkeeping was started for it.
    expect((await db.doc(paths.cycleAttempts(id)).get()).exists).toBe(false);
  });

  test("a ledger trade or a signal naming strategy __x__ is marked rejected with the reason; an overlong signal id is rejected, not retried", async () => {
    const tenantId = await seedTenant("ids-docs");
    await db.doc(paths.ledgerTrade(tenantId, "t1")).set({ strategy_id: "__x__", symbol: "SPY", side: "BUY", quantity: 1, price: 100, fee: 0, executed_at: new Date() });
    const trade = await waitFor("the trade's rejection", async () => {
      const data = (await db.doc(paths.ledgerTrade(tenantId, "t1")).get()).data();
      return data?.maestro_status === "rejected" ? data : undefined;
    });
    expect(trade.maestro_rejection_reason).toMatch(/^strategy_id: must not be of the form __…__/);

    await addSignal(tenantId, "reserved-strategy", { strategy_id: "__x__", action: "BUY", allocation: 0.1 });
    const longId = `sig-${"x".repeat(130)}`;
    await addSignal(tenantId, longId, { strategy_id: "s0", action: "BUY", allocation: 0.1 });
    await addSignal(tenantId, "fine", { strategy_id: "s0", action: "SELL", allocation: 0.1 });
    const o = await cycle(tenantId);
    expect(o.signals.map((s) => s.signal_id)).toEqual(["fine"]);
    const reasons = Object.fromEntries(o.rejected_signals.map((r) => [r.signal_id, r.reason]));
    expect(reasons["reserved-strategy"]).toMatch(/^strategy_id: must not be of the form __…__/);
    expect(reasons[longId]).toMatch(/^signal id: must be at most 128 characters/);
    expect((await db.doc(paths.signal(tenantId, longId)).get()).get("status")).toBe("rejected");
  });

  test("the queue is served oldest first, whatever the ids; a cycle stays within its byte budget and leaves the rest pending", async () => {
    const tenantId = await seedTenant("queue");
    // 40 old signals with ids that sort last, then 40 newer ones with ids that sort first,
    // each carrying 2,000 three-byte characters of reasoning (6 kB).
    const reasoning = "漢".repeat(2_000);
    for (let i = 0; i < 40; i++) await addSignal(tenantId, `zz-old-${String(i).padStart(2, "0")}`, { strategy_id: `s${i % 4}`, action: "SELL", allocation: 0.01, reasoning });
    for (let i = 0; i < 40; i++) await addSignal(tenantId, `aa-new-${String(i).padStart(2, "0")}`, { strategy_id: `s${i % 4}`, action: "SELL", allocation: 0.01, reasoning });
    const first = await cycle(tenantId);
    const taken = first.signals.map((s) => s.signal_id);
    for (let i = 0; i < 40; i++) expect(taken).toContain(`zz-old-${String(i).padStart(2, "0")}`);
    expect(taken.length).toBeLessThan(80);
    expect(first.inputs.more_pending).toBe(true);
    const stored = await db.doc(paths.orchestration(tenantId, first.session_id)).get();
    const bytes = Buffer.byteLength(JSON.stringify(stored.data()), "utf8");
    expect(bytes).toBeLessThan(SIGNAL_BYTES_BUDGET + 200_000);
    expect(bytes).toBeLessThan(1_048_576 / 2);
    // The next cycle takes the rest; nothing is lost.
    const second = await cycle(tenantId);
    expect([...taken, ...second.signals.map((s) => s.signal_id)].sort()).toHaveLength(80);
    expect(second.inputs.more_pending).toBe(false);
  });

  test("a signal written without created_at (Admin SDK) is still served, after the dated ones", async () => {
    const tenantId = await seedTenant("undated");
    await db.doc(paths.signal(tenantId, "aaa-undated")).set({ strategy_id: "s0", action: "SELL", ticker: "SPY", allocation: 0.1, status: "pending" });
    await addSignal(tenantId, "zzz-dated", { strategy_id: "s1", action: "SELL", allocation: 0.1 });
    const o = await cycle(tenantId);
    expect(o.inputs.signal_ids).toEqual(["aaa-undated", "zzz-dated"]);
    expect(o.signals).toHaveLength(2);
  });
});
