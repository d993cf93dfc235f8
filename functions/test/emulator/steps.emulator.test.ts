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
import { adminDb, ampleAccountSnapshot, uniqueTenantId, waitFor } from "../support/emulator";

const db: Firestore = adminDb();

test("a covering BUY is an exit and passes the systemic override; the entry BUY is held; the audit replays the interventions", async () => {
  const tenantId = uniqueTenantId("steps");
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: "Steps", active: true });
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
