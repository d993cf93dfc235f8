/**
 * Strategy agents' identities (issue 14) on the emulators: an admin issues a credential
 * (a custom token whose claims name the tenant and strategy) through the callable; the
 * agent signs in with it through the web SDK and the Auth emulator, and firestore.rules let
 * it write signals for its own strategy only, naming itself in created_by, which the cycle
 * carries into the orchestration and its log; revoking the credential refuses its very
 * next write.
 */
import { addDoc, collection, doc, getDoc, serverTimestamp } from "firebase/firestore";
import { paths } from "../../src/store/paths";
import { webClient, type WebClient } from "../../src/tools/web-client";
import { adminDb, ampleAccountSnapshot, callCallable, memberOf, uniqueTenantId, openAllDay, waitFor, STEPS_WITHOUT_GUARDIAN } from "../support/emulator";

const db = adminDb();

async function failureOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return "succeeded";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe("agent credentials", () => {
  let tenantId: string;
  let admin: { uid: string; idToken: string };
  let viewer: { uid: string; idToken: string };
  let trader: { uid: string; idToken: string };
  let agentId: string;
  let agent: WebClient;

  const signal = (strategy_id: string, extra: Record<string, unknown> = {}) => ({
    strategy_id,
    action: "BUY",
    ticker: "SPY",
    allocation: 0.2,
    confidence: 0.7,
    reasoning: "agent",
    status: "pending",
    created_at: serverTimestamp(),
    ...extra,
  });

  beforeAll(async () => {
    tenantId = uniqueTenantId("agents");
    const batch = db.batch();
    batch.set(db.doc(paths.tenant(tenantId)), { name: "Agent Desk", active: true });
    batch.set(db.doc(paths.accountSnapshot(tenantId)), ampleAccountSnapshot());
    batch.set(db.doc(paths.strategy(tenantId, "alpha")), { name: "Alpha", enabled: true, capital_base: 10_000, manual_mode: null });
    batch.set(db.doc(paths.strategy(tenantId, "beta")), { name: "Beta", enabled: true, capital_base: 10_000, manual_mode: null });
    batch.set(db.doc(paths.config(tenantId)), openAllDay({ cycle_steps: STEPS_WITHOUT_GUARDIAN }));
    await batch.commit();
    [admin, viewer, trader] = await Promise.all([memberOf(tenantId, "admin"), memberOf(tenantId, "viewer"), memberOf(tenantId, "trader")]);
  });

  afterAll(async () => {
    await agent?.close();
  });

  test("only an admin issues one, for a strategy that exists", async () => {
    const byViewer = await callCallable("issueAgentCredential", { tenant_id: tenantId, strategy_id: "alpha", reason: "alpha's bot" }, viewer.idToken);
    expect(byViewer.error).toEqual({ status: "PERMISSION_DENIED", message: `issueAgentCredential requires the admin role; you are a viewer of tenant '${tenantId}'` });
    const unknown = await callCallable("issueAgentCredential", { tenant_id: tenantId, strategy_id: "gamma", reason: "gamma's bot" }, admin.idToken);
    expect(unknown.error).toEqual({ status: "NOT_FOUND", message: `strategy_id: no strategy 'gamma' in tenant '${tenantId}'` });
    const noReason = await callCallable("issueAgentCredential", { tenant_id: tenantId, strategy_id: "alpha" }, admin.idToken);
    expect(noReason.error?.status).toBe("INVALID_ARGUMENT");
    expect(noReason.error?.message).toContain("reason:");
  });

  test("the agent signs in with its custom token and writes signals for its own strategy only, naming itself", async () => {
    const issued = await callCallable("issueAgentCredential", { tenant_id: tenantId, strategy_id: "alpha", reason: "alpha's bot" }, admin.idToken);
    expect(issued.error).toBeUndefined();
    agentId = issued.result.agent_id;
    expect(agentId).toMatch(/^agent_alpha_[0-9a-f]{12}$/);
    expect((await db.doc(paths.agent(tenantId, agentId)).get()).data()).toMatchObject({ status: "active", strategy_id: "alpha", issued_by: admin.uid, issue_reason: "alpha's bot" });
    const actions = await db.collection(paths.adminActions(tenantId)).where("action", "==", "issue_agent_credential").get();
    expect(actions.docs.map((d) => d.get("target"))).toEqual([paths.agent(tenantId, agentId)]);

    agent = await webClient({ customToken: issued.result.custom_token });
    const signals = collection(agent.db, paths.signals(tenantId));
    const written = await addDoc(signals, signal("alpha", { created_by: agentId }));
    expect((await db.doc(paths.signal(tenantId, written.id)).get()).get("created_by")).toBe(agentId);
    expect(await failureOf(addDoc(signals, signal("beta", { created_by: agentId })))).toBe("permission-denied");
    expect(await failureOf(addDoc(signals, signal("alpha")))).toBe("permission-denied");
    expect(await failureOf(addDoc(signals, signal("alpha", { created_by: trader.uid })))).toBe("permission-denied");

    // It reads its own strategy and credential, nothing else of the desk, and no member callable answers it.
    expect((await getDoc(doc(agent.db, paths.strategy(tenantId, "alpha")))).get("name")).toBe("Alpha");
    expect((await getDoc(doc(agent.db, paths.agent(tenantId, agentId)))).get("status")).toBe("active");
    expect(await failureOf(getDoc(doc(agent.db, paths.strategy(tenantId, "beta"))))).toBe("permission-denied");
    expect(await failureOf(getDoc(doc(agent.db, paths.config(tenantId))))).toBe("permission-denied");
    expect(await failureOf(agent.call("getStrategyWeights", { tenant_id: tenantId }))).toBe("functions/permission-denied");

    // The cycle carries created_by into the orchestration and its log.
    const cycle = await callCallable("orchestrateNow", { tenant_id: tenantId }, trader.idToken);
    expect(cycle.error).toBeUndefined();
    const orchestration = (await db.doc(paths.orchestration(tenantId, cycle.result.session_id)).get()).data()!;
    expect(orchestration.signals.map((s: { signal_id: string; created_by?: string }) => [s.signal_id, s.created_by])).toEqual([[written.id, agentId]]);
    const logged = await waitFor("the cycle's log", async () => {
      const logs = await db.collection(paths.logs()).where("tenant_id", "==", tenantId).where("session_id", "==", cycle.result.session_id).get();
      return logs.docs[0]?.data() as { signals: { created_by?: string }[] } | undefined;
    });
    expect(logged.signals[0].created_by).toBe(agentId);
  });

  test("a revoked credential is refused at once; revoking twice or an unknown agent is refused by name", async () => {
    const signals = collection(agent.db, paths.signals(tenantId));
    const revoked = await callCallable("revokeAgentCredential", { tenant_id: tenantId, agent_id: agentId, reason: "bot retired" }, admin.idToken);
    expect(revoked.error).toBeUndefined();
    expect(revoked.result.credential).toMatchObject({ status: "revoked", revoked_by: admin.uid, revoke_reason: "bot retired" });
    expect(await failureOf(addDoc(signals, signal("alpha", { created_by: agentId })))).toBe("permission-denied");
    expect(await failureOf(getDoc(doc(agent.db, paths.strategy(tenantId, "alpha"))))).toBe("permission-denied");
    const again = await callCallable("revokeAgentCredential", { tenant_id: tenantId, agent_id: agentId, reason: "bot retired" }, admin.idToken);
    expect(again.error?.status).toBe("FAILED_PRECONDITION");
    expect(again.error?.message).toContain(`agent '${agentId}' was already revoked at`);
    const unknown = await callCallable("revokeAgentCredential", { tenant_id: tenantId, agent_id: "agent_nobody", reason: "cleanup" }, admin.idToken);
    expect(unknown.error).toEqual({ status: "NOT_FOUND", message: `agent_id: no agent 'agent_nobody' in tenant '${tenantId}'` });
  });

  test("an admin lists the credentials newest first, revoked ones too, never a token; a viewer may not", async () => {
    const beta = await callCallable("issueAgentCredential", { tenant_id: tenantId, strategy_id: "beta", reason: "beta's bot" }, admin.idToken);
    expect(beta.error).toBeUndefined();
    const listed = await callCallable("listAgentCredentials", { tenant_id: tenantId }, admin.idToken);
    expect(listed.error).toBeUndefined();
    expect(listed.result.agents.map((a: { agent_id: string; strategy_id: string; status: string }) => [a.agent_id, a.strategy_id, a.status])).toEqual([
      [beta.result.agent_id, "beta", "active"],
      [agentId, "alpha", "revoked"],
    ]);
    expect(listed.result.agents[1]).toMatchObject({ issued_by: admin.uid, revoked_by: admin.uid, revoke_reason: "bot retired" });
    expect(JSON.stringify(listed.result)).not.toContain(beta.result.custom_token);
    expect(JSON.stringify(listed.result)).not.toContain("token");
    const one = await callCallable("listAgentCredentials", { tenant_id: tenantId, limit: 1 }, admin.idToken);
    expect(one.result.agents.map((a: { agent_id: string }) => a.agent_id)).toEqual([beta.result.agent_id]);
    const byViewer = await callCallable("listAgentCredentials", { tenant_id: tenantId }, viewer.idToken);
    expect(byViewer.error).toEqual({ status: "PERMISSION_DENIED", message: `listAgentCredentials requires the admin role; you are a viewer of tenant '${tenantId}'` });
    const tooMany = await callCallable("listAgentCredentials", { tenant_id: tenantId, limit: 500 }, admin.idToken);
    expect(tooMany.error).toEqual({ status: "INVALID_ARGUMENT", message: "limit: must be at most 100 (got 500)" });
  });
});
