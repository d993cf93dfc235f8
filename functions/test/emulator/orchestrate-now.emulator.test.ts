/**
 * The orchestrateNow callable through the callable protocol on the Functions emulator,
 * signed in through the Auth emulator: errors carry the right code and name the field;
 * a successful call returns the orchestrated signals and the decision.
 */
import { paths } from "../../src/store/paths";
import { adminDb, callCallable, signUpUser, uniqueTenantId, waitFor } from "../support/emulator";

describe("orchestrateNow", () => {
  const db = adminDb();
  let idToken: string;
  let uid: string;

  beforeAll(async () => {
    ({ idToken, uid } = await signUpUser());
  });

  test("refuses a caller who is not signed in", async () => {
    const response = await callCallable("orchestrateNow", { tenant_id: "anything" });
    expect(response.error?.status).toBe("UNAUTHENTICATED");
  });

  test("rejects a payload that breaks the schema, naming the field", async () => {
    const missing = await callCallable("orchestrateNow", {}, idToken);
    expect(missing.error?.status).toBe("INVALID_ARGUMENT");
    expect(missing.error?.message).toMatch(/^tenant_id: is required/);
    const slash = await callCallable("orchestrateNow", { tenant_id: "a/b" }, idToken);
    expect(slash.error?.status).toBe("INVALID_ARGUMENT");
    expect(slash.error?.message).toMatch(/^tenant_id: may contain only/);
    const extra = await callCallable("orchestrateNow", { tenant_id: "t", dry_run: true }, idToken);
    expect(extra.error?.status).toBe("INVALID_ARGUMENT");
  });

  test("answers not-found for an unknown tenant and failed-precondition for an inactive one", async () => {
    const unknown = await callCallable("orchestrateNow", { tenant_id: uniqueTenantId("nobody") }, idToken);
    expect(unknown.error?.status).toBe("NOT_FOUND");
    const inactive = uniqueTenantId("asleep");
    await db.doc(paths.tenant(inactive)).set({ name: "Asleep", active: false });
    const refused = await callCallable("orchestrateNow", { tenant_id: inactive }, idToken);
    expect(refused.error?.status).toBe("FAILED_PRECONDITION");
    expect(refused.error?.message).toMatch(/not active/);
  });

  test("orchestrates the tenant's pending signals and returns them with the decision", async () => {
    const tenantId = uniqueTenantId("now");
    const batch = db.batch();
    batch.set(db.doc(paths.tenant(tenantId)), { name: "Now Desk", active: true });
    batch.set(db.doc(paths.strategy(tenantId, "alpha")), { name: "Alpha", enabled: true, capital_base: 10_000, manual_mode: null });
    batch.set(db.doc(paths.signal(tenantId, "s1")), { strategy_id: "alpha", action: "BUY", ticker: "SPY", allocation: 0.4, confidence: 0.8, reasoning: "breakout", status: "pending" });
    await batch.commit();

    const response = await callCallable("orchestrateNow", { tenant_id: tenantId }, idToken);
    expect(response.error).toBeUndefined();
    const result = response.result;
    expect(result.session_id).toMatch(/^maestro_\d+_[0-9a-f]{16}$/);
    expect(result.signals).toHaveLength(1);
    // No performance yet: insufficient data → ACTIVE (the default insufficient_data_mode), weight 1.
    expect(result.signals[0]).toMatchObject({ signal_id: "s1", action: "BUY", allocation: 0.4, mode: "ACTIVE", executable: true, agent_id: `${tenantId}_alpha` });
    expect(result.systemic_risk.detected).toBe(false);

    const stored = (await db.doc(paths.orchestration(tenantId, result.session_id)).get()).data()!;
    expect(stored).toMatchObject({ trigger: "orchestrate_now", requested_by: uid });
    // The same chain follows a callable as a scheduled cycle: log, then audit.
    const audit = await waitFor("the audit", async () => {
      const snap = await db.collection(paths.audits(tenantId)).get();
      return snap.empty ? undefined : snap.docs[0].data();
    });
    expect(audit).toMatchObject({ session_id: result.session_id, passed: true });

    // Nothing pending now: a second call orchestrates nothing more.
    const again = await callCallable("orchestrateNow", { tenant_id: tenantId }, idToken);
    expect(again.result.signals).toHaveLength(0);
  });
});
