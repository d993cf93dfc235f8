/**
 * The cycle as a pipeline of steps on the emulators (issue 10, first slice): a strategy's
 * position comes from its ledger through the deployed rollup (tenants/{t}/positions/current),
 * so its BUY that covers a short is an exit and passes the systemic override, licensed with
 * a nonce, while an entry BUY is held with SYSTEMIC_RISK_OVERRIDE and gets no nonce. The
 * logged signals carry their interventions and the audit replays them and passes.
 */
import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { orchestrateTenant } from "../../src/stages/orchestration";
import { paths } from "../../src/store/paths";
import { adminDb, ampleAccountSnapshot, uniqueTenantId, waitFor, openAllDay } from "../support/emulator";

const db: Firestore = adminDb();

test("a covering BUY is an exit and passes the systemic override; the entry BUY is held; the audit replays the interventions", async () => {
  const tenantId = uniqueTenantId("steps");
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: "Steps", active: true });
  batch.set(db.doc(paths.config(tenantId)), openAllDay());
  for (const s of ["a", "b", "c", "d"]) batch.set(db.doc(paths.strategy(tenantId, s)), { name: s.toUpperCase(), enabled: true, capital_base: 100_000, manual_mode: null });
  batch.set(db.doc(paths.accountSnapshot(tenantId)), ampleAccountSnapshot());
  // d is short 100 QQQ (a real fill, rolled up by the deployed trigger).
  batch.set(db.doc(paths.ledgerTrade(tenantId, "short")), { strategy_id: "d", symbol: "QQQ", side: "SELL", quantity: 100, price: 400, fee: 0, executed_at: new Date(Date.now() - 3_600_000) });
  await batch.commit();
  await waitFor("d's short in positions/current", async () => {
    const quantity = (await db.doc(paths.positions(tenantId)).get()).get("strategies.d.positions.QQQ");
    return quantity === -100 ? true : undefined;
  }, 60_000, 250);

  const created_at = Timestamp.now();
  const signal = (strategy_id: string, action: string, ticker: string, allocation: number) => ({ strategy_id, action, ticker, allocation, confidence: 0.7, reasoning: "", status: "pending", created_at });
  const signals = db.batch();
  signals.set(db.doc(paths.signal(tenantId, "1")), signal("a", "SELL", "SPY", 0.1));
  signals.set(db.doc(paths.signal(tenantId, "2")), signal("b", "SELL", "SPY", 0.1));
  signals.set(db.doc(paths.signal(tenantId, "3")), signal("c", "SELL", "SPY", 0.1));
  signals.set(db.doc(paths.signal(tenantId, "4")), signal("d", "BUY", "QQQ", 0.2));
  signals.set(db.doc(paths.signal(tenantId, "5")), signal("d", "BUY", "IWM", 0.2));
  await signals.commit();

  const o = await orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "steps-test" });
  expect(o.systemic_risk).toMatchObject({ detected: true, overridden_count: 1 });
  const byId = Object.fromEntries(o.signals.map((s) => [s.signal_id, s]));
  expect(byId["4"]).toMatchObject({ action: "BUY", exposure: "exit", executable: true, interventions: [] });
  expect(byId["4"].nonce).toMatch(/^[0-9a-f]{32}$/);
  expect(byId["5"]).toMatchObject({ action: "HOLD", exposure: "entry", executable: false, nonce: null });
  expect(byId["5"].interventions).toEqual([
    { step: "systemic_override", code: "SYSTEMIC_RISK_OVERRIDE", reason: "Maestro systemic risk override: 3 strategies signaling SELL", before: { action: "BUY", allocation: 0.2 }, after: { action: "HOLD", allocation: 0 } },
  ]);
  // The covering BUY holds a licence; the held one has nothing to present.
  expect((await db.doc(paths.nonce(tenantId, byId["4"].nonce!)).get()).get("executable")).toBe(true);

  const audit = await waitFor("the cycle's audit", async () => {
    const snap = await db.collection(paths.audits(tenantId)).get();
    return snap.empty ? undefined : snap.docs[0].data();
  }, 60_000, 250);
  expect(audit.passed).toBe(true);
  expect(audit.checks.map((c: { name: string }) => c.name)).toContain("interventions_consistent");
  const log = (await db.doc(paths.log(audit.log_id)).get()).data()!;
  expect(log.signals.find((s: { signal_id: string }) => s.signal_id === "5").interventions[0].code).toBe("SYSTEMIC_RISK_OVERRIDE");
}, 120_000);

test("with the risk guardian listed, an entry past max_positions is held with MAX_POSITIONS, an oversized one scaled, and the audit passes", async () => {
  const tenantId = uniqueTenantId("guardian");
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: "Guardian", active: true });
  batch.set(db.doc(paths.config(tenantId)), openAllDay({ cycle_steps: ["weights", "systemic_override", "risk_guardian", "buying_power"], risk: { max_positions: 1, max_position_risk_pct: 1 } }));
  for (const s of ["a", "b"]) batch.set(db.doc(paths.strategy(tenantId, s)), { name: s.toUpperCase(), enabled: true, capital_base: 100_000, manual_mode: null });
  // Equity 200,000: an entry may risk $2,000, i.e. $100,000 at the default 2 % stop.
  batch.set(db.doc(paths.accountSnapshot(tenantId)), { equity: 200_000, buying_power: 1_000_000, as_of: new Date().toISOString() });
  await batch.commit();
  const created_at = Timestamp.now();
  await db.doc(paths.signal(tenantId, "1")).set({ strategy_id: "a", action: "BUY", ticker: "SPY", allocation: 0.5, confidence: 0.9, reasoning: "", stop_distance_pct: 5, status: "pending", created_at });
  await db.doc(paths.signal(tenantId, "2")).set({ strategy_id: "b", action: "BUY", ticker: "QQQ", allocation: 0.1, confidence: 0.5, reasoning: "", status: "pending", created_at });

  const o = await orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "steps-test" });
  const byId = Object.fromEntries(o.signals.map((s) => [s.signal_id, s]));
  // 1: $50,000 at a 5 % stop risks $2,500 > $2,000 → scaled to $40,000 (allocation 0.4); it takes the one position.
  expect(byId["1"]).toMatchObject({ action: "BUY", executable: true, notional: 40_000 });
  expect(byId["1"].interventions.map((i) => i.code)).toEqual(["POSITION_RISK_SCALED"]);
  // 2: QQQ would be a second symbol.
  expect(byId["2"]).toMatchObject({ action: "HOLD", executable: false, nonce: null });
  expect(byId["2"].interventions.map((i) => i.code)).toEqual(["MAX_POSITIONS"]);

  const audit = await waitFor("the cycle's audit", async () => {
    const snap = await db.collection(paths.audits(tenantId)).get();
    return snap.empty ? undefined : snap.docs[0].data();
  }, 60_000, 250);
  expect(audit.checks.filter((c: { passed: boolean }) => !c.passed)).toEqual([]);
}, 120_000);
