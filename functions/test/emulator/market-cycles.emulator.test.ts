/**
 * Market cycles at scale on the emulators, with the triggers running: the scheduled
 * fan-out (its body called directly — the emulator never runs schedules), exactly-once
 * effects under duplicate deliveries and concurrent cycles, dead letters for messages that
 * can never succeed and for transient failures past their end condition, the double-spend
 * guard, nonce redemption, and the day's metrics.
 */
import type { Firestore } from "firebase-admin/firestore";
import { sessionIdForEvent } from "../../src/core/identity";
import { fanOutMarketCycles, pubsubPublish } from "../../src/stages/market-cycles";
import { handleMarketCycle, MAX_CYCLE_ATTEMPTS } from "../../src/stages/orchestration";
import { orchestrateTenant } from "../../src/stages/orchestration";
import { paths } from "../../src/store/paths";
import { adminDb, ampleAccountSnapshot, callCallable, memberOf, publish, uniqueTenantId, waitFor, openAllDay } from "../support/emulator";

const db: Firestore = adminDb();
const TOPIC = "maestro-market-cycle";
/** Tuesday 2026-11-24, 10:02 in New York: the default venue is open. */
const OPEN_NOW = new Date("2026-11-24T15:02:00.000Z");
const SLOT = "2026-11-24T15:00:00.000Z";

async function seedTenant(label: string, options: { config?: Record<string, unknown>; tenant?: Record<string, unknown>; strategies?: number } = {}): Promise<string> {
  const tenantId = uniqueTenantId(label);
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), options.tenant ?? { name: label, active: true });
  batch.set(db.doc(paths.accountSnapshot(tenantId)), ampleAccountSnapshot());
  for (let i = 0; i < (options.strategies ?? 3); i++) {
    batch.set(db.doc(paths.strategy(tenantId, `s${i}`)), { name: `S${i}`, enabled: true, capital_base: 10_000, manual_mode: null });
  }
  batch.set(db.doc(paths.config(tenantId)), openAllDay(options.config));
  await batch.commit();
  return tenantId;
}

async function addSignals(tenantId: string, count: number, make: (i: number) => Record<string, unknown>, prefix = "sig"): Promise<string[]> {
  const ids: string[] = [];
  const batch = db.batch();
  for (let i = 0; i < count; i++) {
    const id = `${prefix}${String(i).padStart(3, "0")}`;
    ids.push(id);
    batch.set(db.doc(paths.signal(tenantId, id)), { ticker: "SPY", confidence: 0.5, reasoning: "", status: "pending", ...make(i) });
  }
  await batch.commit();
  return ids;
}

/** Every orchestration of the tenant has its log and its audit. */
async function waitForLoggedAndAudited(tenantId: string, expected: number): Promise<void> {
  await waitFor(`${expected} audits of ${tenantId}`, async () => {
    const [orchestrations, audits] = await Promise.all([db.collection(paths.orchestrations(tenantId)).get(), db.collection(paths.audits(tenantId)).get()]);
    return orchestrations.size === expected && audits.size === expected ? true : undefined;
  }, 60_000);
}

async function counts(tenantId: string): Promise<{ orchestrations: number; logs: number; audits: number; nonces: number }> {
  const [o, l, a, n] = await Promise.all([
    db.collection(paths.orchestrations(tenantId)).get(),
    db.collection(paths.logs()).where("tenant_id", "==", tenantId).get(),
    db.collection(paths.audits(tenantId)).get(),
    db.collection(`tenants/${tenantId}/nonces`).get(),
  ]);
  // The chain also holds the trading session's moves (kind "trading_session_transition"): count the orchestrations' logs.
  return { orchestrations: o.size, logs: l.docs.filter((d) => d.get("kind") === undefined).length, audits: a.size, nonces: n.size };
}

describe("the scheduled fan-out", () => {
  test("publishes one cycle per active tenant whose venue is open; each is orchestrated, logged and audited once, even when the schedule retries", async () => {
    const open = await seedTenant("fan-open");
    const tokyo = await seedTenant("fan-tokyo", { config: { market_hours: { time_zone: "Asia/Tokyo", open: "09:00", close: "15:00", holidays: [] } } });
    const asleep = await seedTenant("fan-asleep", { tenant: { name: "asleep", active: false } });
    const malformed = await seedTenant("fan-malformed", { tenant: { active: true } });
    await addSignals(open, 2, (i) => ({ strategy_id: `s${i}`, action: "BUY", allocation: 0.1 }));

    const report = await fanOutMarketCycles(db, pubsubPublish, OPEN_NOW);
    expect(report.slot).toBe(SLOT);
    expect(report.published).toContain(open);
    expect(report.closed[tokyo]).toBe("closed: 00:02 is before the 09:00 open");
    expect(report.skipped[malformed]).toMatch(/^tenant document is malformed \(name: is required/);
    for (const list of [report.published, Object.keys(report.closed), Object.keys(report.skipped)]) expect(list).not.toContain(asleep);
    expect(report.published).not.toContain(tokyo);

    await waitForLoggedAndAudited(open, 1);
    const sessionId = sessionIdForEvent(new Date(SLOT), open, `slot:${SLOT}`);
    const orchestration = (await db.doc(paths.orchestration(open, sessionId)).get()).data()!;
    expect(orchestration).toMatchObject({ trigger: "market_cycle", session_id: sessionId });
    expect(orchestration.signals).toHaveLength(2);

    // The schedule retries the same run (same scheduleTime → same slot); and the same
    // slot's message for the tenant is delivered once more. A signal written in between
    // belongs to the next slot, not to a replay.
    await addSignals(open, 1, () => ({ strategy_id: "s0", action: "SELL", allocation: 0.1 }), "late");
    const again = await fanOutMarketCycles(db, pubsubPublish, new Date(OPEN_NOW.getTime() + 60_000));
    expect(again.slot).toBe(SLOT);
    const replay = await handleMarketCycle(db, { id: "redelivery-1", time: OPEN_NOW, text: JSON.stringify({ tenant_id: open, slot: SLOT }) });
    expect(replay).toEqual({ outcome: "orchestrated", session_id: sessionId });
    // The tokyo tenant, closed, never got a cycle.
    expect((await counts(tokyo)).orchestrations).toBe(0);
    expect(await counts(open)).toEqual({ orchestrations: 1, logs: 1, audits: 1, nonces: 2 });
    expect((await db.doc(paths.signal(open, "late000")).get()).get("status")).toBe("pending");
    const run = (await db.doc(paths.fanOutRun(SLOT)).get()).data()!;
    expect(run.runs).toBeGreaterThanOrEqual(2);
  }, 180_000);
});

describe("messages that can never succeed go to the dead letters, once", () => {
  test("a malformed body, an unknown tenant and a malformed tenant document", async () => {
    const malformed = await seedTenant("dl-malformed", { tenant: { active: "yes", name: "x" } });
    const ids = await Promise.all([
      publish(TOPIC, "not json"),
      publish(TOPIC, { tenant: "x" }),
      publish(TOPIC, { tenant_id: "no-such-tenant-dl" }),
      publish(TOPIC, { tenant_id: malformed }),
    ]);
    const letters = await waitFor("four dead letters", async () => {
      const snaps = await Promise.all(ids.map((id) => db.doc(paths.deadLetter(id)).get()));
      return snaps.every((s) => s.exists) ? snaps.map((s) => s.data()!) : undefined;
    });
    expect(letters.map((l) => l.kind)).toEqual(["permanent", "permanent", "permanent", "permanent"]);
    expect(letters[0]).toMatchObject({ reason: "body: is not JSON", body: "not json", tenant_id: null, attempts: 1 });
    expect(letters[1].reason).toMatch(/tenant_id: is required/);
    expect(letters[1].reason).toMatch(/tenant: is not a known field/);
    expect(letters[2]).toMatchObject({ tenant_id: "no-such-tenant-dl", reason: "tenant_id: unknown tenant 'no-such-tenant-dl'" });
    expect(letters[3].reason).toMatch(/^tenant '.+' is malformed: active: /);
    expect((await counts(malformed)).orchestrations).toBe(0);

    // The same message delivered again is not recorded twice.
    const event = { id: ids[0], time: new Date(), text: "not json" };
    expect(await handleMarketCycle(db, event)).toMatchObject({ outcome: "dead_lettered", kind: "permanent" });
    const all = await db.collection(paths.deadLetters()).where("event_id", "==", ids[0]).get();
    expect(all.size).toBe(1);
  });

  test("a transient failure is retried (thrown) until its end condition, then dead-lettered with its attempts", async () => {
    const tenantId = await seedTenant("dl-transient");
    const published = new Date();
    const failing = async () => {
      throw new Error("14 UNAVAILABLE: connection reset");
    };
    const event = { id: uniqueTenantId("evt"), time: published, text: JSON.stringify({ tenant_id: tenantId }) };
    for (let attempt = 1; attempt < MAX_CYCLE_ATTEMPTS; attempt++) {
      await expect(handleMarketCycle(db, event, { orchestrate: failing })).rejects.toThrow(/UNAVAILABLE/);
      expect((await db.doc(paths.deadLetter(event.id)).get()).exists).toBe(false);
    }
    const last = await handleMarketCycle(db, event, { orchestrate: failing });
    expect(last).toEqual({ outcome: "dead_lettered", kind: "gave_up", reason: `gave up after ${MAX_CYCLE_ATTEMPTS} attempts: 14 UNAVAILABLE: connection reset` });
    expect((await db.doc(paths.deadLetter(event.id)).get()).data()).toMatchObject({ kind: "gave_up", attempts: MAX_CYCLE_ATTEMPTS, tenant_id: tenantId });

    // A message already older than a cycle is worth is not retried at all.
    const stale = { id: uniqueTenantId("evt"), time: new Date(published.getTime() - 6 * 60_000), text: JSON.stringify({ tenant_id: tenantId }) };
    const outcome = await handleMarketCycle(db, stale, { orchestrate: failing });
    expect(outcome).toMatchObject({ outcome: "dead_lettered", kind: "gave_up" });
    expect((outcome as { reason: string }).reason).toMatch(/^gave up after 36\d s after publication/);
    // And when the failure clears before the end condition, the cycle runs.
    const recovered = { id: uniqueTenantId("evt"), time: new Date(), text: JSON.stringify({ tenant_id: tenantId }) };
    await expect(handleMarketCycle(db, recovered, { orchestrate: failing })).rejects.toThrow();
    expect(await handleMarketCycle(db, recovered)).toMatchObject({ outcome: "orchestrated" });
  });
});

describe("concurrent cycles for one tenant", () => {
  test("a scheduled cycle and orchestrateNow calls at once: every signal in exactly one orchestration, buying power never spent twice", async () => {
    // No limit on the session's trades: the 25 BUYs the buying power allows are what this test counts.
    const tenantId = await seedTenant("race", { strategies: 4, config: { rate_limits: { orchestrate_now: 50 }, risk: { max_trades_per_session: null } } });
    // $25,000 of buying power; 40 BUYs of 0.1 × $10,000 = $1,000 each.
    await db.doc(paths.accountSnapshot(tenantId)).set({ equity: 100_000, buying_power: 25_000, as_of: new Date().toISOString() });
    const ids = await addSignals(tenantId, 40, (i) => ({ strategy_id: `s${i % 4}`, action: "BUY", allocation: 0.1, confidence: 0.5 + (i % 10) / 100 }));
    const trader = await memberOf(tenantId, "trader");

    // Four cycles at the same moment, three kinds of caller. Each retries when it loses a
    // race (MAX_ATTEMPTS), so each ends with an orchestration of its own.
    const results = await Promise.all([
      handleMarketCycle(db, { id: "race-1", time: OPEN_NOW, text: JSON.stringify({ tenant_id: tenantId, slot: SLOT }) }),
      orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "test" }),
      callCallable("orchestrateNow", { tenant_id: tenantId }, trader.idToken),
      callCallable("orchestrateNow", { tenant_id: tenantId }, trader.idToken),
    ]);
    expect(results[0]).toMatchObject({ outcome: "orchestrated" });
    expect(results[2].error).toBeUndefined();
    expect(results[3].error).toBeUndefined();
    expect((await db.collection(paths.signals(tenantId)).where("status", "==", "pending").get()).size).toBe(0);
    const orchestrations = (await db.collection(paths.orchestrations(tenantId)).get()).docs.map((d) => d.data());
    expect(orchestrations).toHaveLength(4);
    await waitForLoggedAndAudited(tenantId, 4);

    const taken = orchestrations.flatMap((o) => o.signals.map((s: { signal_id: string }) => s.signal_id));
    expect(taken.sort()).toEqual(ids);
    for (const o of orchestrations) {
      for (const s of o.signals) expect((await db.doc(paths.signal(tenantId, s.signal_id)).get()).get("session_id")).toBe(o.session_id);
    }
    const c = await counts(tenantId);
    // A licence per BUY let through, none for the 15 held once the $25,000 was spent (identity is stamped last).
    const executable = orchestrations.flatMap((o) => o.signals).filter((s: { executable: boolean }) => s.executable).length;
    expect(executable).toBe(25);
    expect(c).toEqual({ orchestrations: orchestrations.length, logs: orchestrations.length, audits: orchestrations.length, nonces: executable });

    // Across all the racing cycles, exactly the $25,000 was let through and reserved.
    const approved = orchestrations.reduce((sum, o) => sum + (o.buying_power?.approved_notional ?? 0), 0);
    expect(approved).toBeCloseTo(25_000, 6);
    const executableNotional = orchestrations
      .flatMap((o) => o.signals)
      .filter((s: { executable: boolean; action: string }) => s.executable && s.action === "BUY")
      .reduce((sum: number, s: { notional: number }) => sum + s.notional, 0);
    expect(executableNotional).toBeCloseTo(25_000, 6);
    const entries = Object.values((await db.doc(paths.buyingPowerReservation(tenantId)).get()).get("entries") as Record<string, { notional: number }>);
    expect(entries.reduce((sum, e) => sum + e.notional, 0)).toBeCloseTo(25_000, 6);
    const audits = await db.collection(paths.audits(tenantId)).get();
    for (const a of audits.docs) expect(a.get("passed")).toBe(true);
    // Lost races (taken signals, a reservation created by another cycle) are not nonce collisions.
    const day = orchestrations[0].timestamp.slice(0, 10);
    expect((await db.doc(paths.metrics(tenantId, day)).get()).get("nonce_collisions")).toBe(0);
  });
});

describe("double spend", () => {
  test("a nonce that is already registered is never issued twice: the cycle runs again with new nonces and counts the collision", async () => {
    const tenantId = await seedTenant("collide");
    const taken = "a".repeat(32);
    await db.doc(paths.nonce(tenantId, taken)).create({ session_id: "maestro_1700000000000_0123456789abcdef", signal_id: "old", agent_id: "x" });
    await addSignals(tenantId, 1, () => ({ strategy_id: "s0", action: "BUY", allocation: 0.1 }));
    let calls = 0;
    const o = await orchestrateTenant(db, {
      tenant_id: tenantId,
      trigger: "orchestrate_now",
      requested_by: "test",
      // The first nonce drawn collides with the registered one; later ones are fresh.
      issueNonce: () => (calls++ === 0 ? taken : (calls + 0xb0).toString(16).padStart(32, "0")),
    });
    expect(o.signals[0].nonce).not.toBe(taken);
    expect((await db.doc(paths.nonce(tenantId, taken)).get()).get("signal_id")).toBe("old");
    const metrics = await waitFor("metrics", async () => (await db.doc(paths.metrics(tenantId, o.timestamp.slice(0, 10))).get()).data());
    expect(metrics.nonce_collisions).toBe(1);
  });

  test("a nonce is redeemed once: the same caller's retry is a replay; anyone else, or an unknown nonce, is a finding and refused", async () => {
    const tenantId = await seedTenant("nonce");
    await addSignals(tenantId, 1, () => ({ strategy_id: "s0", action: "BUY", allocation: 0.1 }));
    const o = await orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "test" });
    const nonce = o.signals[0].nonce!;
    const executor = await memberOf(tenantId, "trader");
    const other = await memberOf(tenantId, "trader");
    const viewer = await memberOf(tenantId, "viewer");

    expect((await callCallable("redeemNonce", { tenant_id: tenantId, nonce }, viewer.idToken)).error?.status).toBe("PERMISSION_DENIED");
    const first = await callCallable("redeemNonce", { tenant_id: tenantId, nonce }, executor.idToken);
    // 0.1 × capital_base $10,000, ACTIVE (insufficient data): exactly what was approved.
    expect(first.result).toMatchObject({ nonce, replay: false, session_id: o.session_id, signal_id: "sig000", agent_id: `${tenantId}_s0`, action: "BUY", ticker: "SPY", notional: 1_000 });
    const retry = await callCallable("redeemNonce", { tenant_id: tenantId, nonce }, executor.idToken);
    expect(retry.result).toEqual({ ...first.result, replay: true });
    const twice = await callCallable("redeemNonce", { tenant_id: tenantId, nonce }, other.idToken);
    expect(twice.error?.status).toBe("FAILED_PRECONDITION");
    expect(twice.error?.message).toMatch(/^nonce: nonce [0-9a-f]{32} was already redeemed at .+ by another caller; this presentation is refused$/);
    const unknown = await callCallable("redeemNonce", { tenant_id: tenantId, nonce: "f".repeat(32) }, executor.idToken);
    expect(unknown.error?.status).toBe("NOT_FOUND");

    const findings = (await db.collection(paths.findings(tenantId)).get()).docs.map((d) => d.get("kind")).sort();
    expect(findings).toEqual(["nonce_presented_twice", "unknown_nonce"]);
    const day = o.timestamp.slice(0, 10);
    const metrics = await waitFor("metrics", async () => (await db.doc(paths.metrics(tenantId, day)).get()).data());
    expect(metrics.nonce_findings).toBe(2);
    expect((await db.doc(paths.nonce(tenantId, nonce)).get()).get("redeemed_by")).toBe(executor.uid);
  });
});

describe("the day's metrics", () => {
  test("count cycles, latency, overrides, rejections, modes, summaries and Sharpe decay, once each", async () => {
    const tenantId = await seedTenant("metrics", { strategies: 4 });
    // Cycle 1: three SELLs from tradable strategies turn the BUY into HOLD; one signal is malformed.
    await addSignals(tenantId, 5, (i) => (i < 3 ? { strategy_id: `s${i}`, action: "SELL", allocation: 0.1 } : i === 3 ? { strategy_id: "s3", action: "BUY", allocation: 0.1 } : { strategy_id: "s3", action: "SHORT", allocation: 0.1 }));
    await publish(TOPIC, { tenant_id: tenantId });
    await waitForLoggedAndAudited(tenantId, 1);
    // Cycle 2, after s1 has lost money for ten days: its weights go from ACTIVE (too little data) to SHADOW_MODE.
    const batch = db.batch();
    for (let d = 10; d <= 19; d++) {
      const day = `2026-11-${d}`;
      batch.set(db.doc(paths.performanceDay(tenantId, "s1", day)), { strategy_id: "s1", trading_day: day, daily_pnl: -100 - d });
    }
    batch.set(db.doc(paths.weights(tenantId)), { performance_version: 99 }, { merge: true });
    await batch.commit();
    await addSignals(tenantId, 1, () => ({ strategy_id: "s0", action: "HOLD", allocation: 0.1 }), "c2-");
    await publish(TOPIC, { tenant_id: tenantId });
    await waitForLoggedAndAudited(tenantId, 2);

    const orchestrations = (await db.collection(paths.orchestrations(tenantId)).get()).docs.map((d) => d.data());
    const day = orchestrations[0].timestamp.slice(0, 10);
    const m = (await db.doc(paths.metrics(tenantId, day)).get()).data()!;
    expect(m).toMatchObject({
      cycles: 2,
      systemic_overrides: 1,
      signals_overridden: 1,
      signals_orchestrated: 5,
      signals_rejected: 1,
      summaries: { gemini: 0, written: 2 },
      sharpe_decay_events: 1,
      modes: { ACTIVE: 7, REDUCED: 0, SHADOW_MODE: 1, DISABLED: 0 },
      modes_latest: { s0: "ACTIVE", s1: "SHADOW_MODE", s2: "ACTIVE", s3: "ACTIVE" },
    });
    expect(m.decay_log).toEqual([expect.objectContaining({ strategy_id: "s1", from: "ACTIVE", to: "SHADOW_MODE" })]);
    expect(m.latency_ms.count).toBe(2);
    expect(m.latency_ms.p50).toBeGreaterThan(0);
    expect(m.latency_ms.p95).toBeGreaterThanOrEqual(m.latency_ms.p50);
    expect(m.latency_ms.max).toBe(Math.max(...orchestrations.map((o) => o.latency_ms)));
  });
});
