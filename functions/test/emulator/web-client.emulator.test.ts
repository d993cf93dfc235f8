/**
 * Maestro as a client app sees it: the `firebase` web SDK (the library dashboards and
 * mobile apps use) against the Auth, Functions and Firestore emulators, signed in as the
 * demo users that emulator-data/ holds (tools/demo-data.ts DEMO_USERS). It calls every
 * callable through httpsCallable, reads what each role may read, and tries cross-tenant
 * reads, writes and calls, each of which must fail with the right code.
 */
import {
  addDoc,
  collection,
  deleteDoc,
  doc,
  getDoc,
  getDocs,
  limit,
  query,
  serverTimestamp,
  setDoc,
  updateDoc,
  where,
} from "firebase/firestore";
import { DEMO_PASSWORD, DEMO_TENANT_ID, DEMO_USERS, SECOND_TENANT_ID } from "../../src/tools/demo-data";
import { webClient, type WebClient as Client } from "../../src/tools/web-client";
import { waitFor } from "../support/emulator";

const clients: Client[] = [];

/** A client app: its own Firebase app instance, signed in as `email` (or signed out). */
async function clientApp(email: string | null): Promise<Client> {
  const client = await webClient(email ? { email, password: DEMO_PASSWORD } : null);
  clients.push(client);
  return client;
}

function demoUser(role: "admin" | "trader" | "viewer", tenantId = DEMO_TENANT_ID): string {
  const user = DEMO_USERS.find((u) => u.role === role && u.tenant_id === tenantId);
  if (!user) throw new Error(`no demo ${role} of ${tenantId}`);
  return user.email;
}

/** The error code a promise fails with (`functions/permission-denied`, `permission-denied`, ...). */
async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
  throw new Error("expected the operation to fail, and it succeeded");
}

const LOGS = "systemStatus/orchestration_logs/logs";
let signedOut: Client;
let admin: Client;
let trader: Client;
let viewer: Client;
let otherAdmin: Client;
let sessionId: string;

beforeAll(async () => {
  [signedOut, admin, trader, viewer, otherAdmin] = await Promise.all([
    clientApp(null),
    clientApp(demoUser("admin")),
    clientApp(demoUser("trader")),
    clientApp(demoUser("viewer")),
    clientApp(demoUser("admin", SECOND_TENANT_ID)),
  ]);
});

afterAll(async () => {
  for (const c of clients) await c.close();
});

describe("the demo users through the web SDK", () => {
  test("the trader writes signals through Firestore and orchestrates them through the callable", async () => {
    // Three tradable strategies say SELL (earlier cycles may have taken the seeded signals).
    const signals = collection(trader.db, `tenants/${DEMO_TENANT_ID}/signals`);
    const write = (strategy_id: string, action: string, ticker: string) =>
      addDoc(signals, { strategy_id, action, ticker, allocation: 0.2, confidence: 0.7, reasoning: "web client", status: "pending", created_at: serverTimestamp() });
    const written = await Promise.all([
      write("momentum_breakout", "SELL", "NVDA"),
      write("mean_reversion", "SELL", "IWM"),
      write("vol_carry", "SELL", "SPY"),
      write("gamma_scalper", "BUY", "QQQ"),
    ]);
    const result = await trader.call("orchestrateNow", { tenant_id: DEMO_TENANT_ID });
    sessionId = result.session_id;
    expect(sessionId).toMatch(/^maestro_\d{13}_[0-9a-f]{16}$/);
    const ids = result.signals.map((s: { signal_id: string }) => s.signal_id);
    for (const ref of written) expect(ids).toContain(ref.id);
    // Every BUY became HOLD.
    expect(result.systemic_risk.detected).toBe(true);
    const buy = result.signals.find((s: { signal_id: string }) => s.signal_id === written[3].id);
    expect(buy).toMatchObject({ action: "HOLD", original_action: "BUY", confidence: 0 });
    // The signal documents say which session took them.
    expect((await getDoc(written[0])).get("session_id")).toBe(sessionId);
  });

  test("the viewer reads the orchestration, the weights and the log through the callables", async () => {
    const orchestration = await viewer.call("getOrchestration", { tenant_id: DEMO_TENANT_ID, session_id: sessionId });
    expect(orchestration).toMatchObject({ tenant_id: DEMO_TENANT_ID, session_id: sessionId, trigger: "orchestrate_now" });
    const weights = await viewer.call("getStrategyWeights", { tenant_id: DEMO_TENANT_ID });
    expect(weights.strategies).toHaveLength(7);
    const modes = new Set(weights.strategies.map((s: { mode: string }) => s.mode));
    expect(modes).toEqual(new Set(["ACTIVE", "REDUCED", "SHADOW_MODE", "DISABLED"]));
    const page = await waitFor("the demo cycle's log", async () => {
      const listed = await viewer.call("listOrchestrationLogs", { tenant_id: DEMO_TENANT_ID, systemic_only: true, page_size: 5 });
      return listed.logs.some((l: { session_id: string }) => l.session_id === sessionId) ? listed : undefined;
    });
    expect(page.logs[0]).toMatchObject({ session_id: sessionId, systemic_risk_detected: true });
  });

  test("the viewer reads the documents a viewer may, and not the ledger", async () => {
    expect((await getDoc(doc(viewer.db, `tenants/${DEMO_TENANT_ID}`))).get("name")).toBe("Demo Fund");
    expect((await getDoc(doc(viewer.db, `tenants/${DEMO_TENANT_ID}/strategy_weights/current`))).exists()).toBe(true);
    expect((await getDocs(collection(viewer.db, `tenants/${DEMO_TENANT_ID}/strategies`))).size).toBe(7);
    expect((await getDoc(doc(viewer.db, `tenants/${DEMO_TENANT_ID}/orchestrations/${sessionId}`))).get("session_id")).toBe(sessionId);
    const logs = await getDocs(query(collection(viewer.db, LOGS), where("tenant_id", "==", DEMO_TENANT_ID), limit(10)));
    expect(logs.size).toBeGreaterThan(0);
    for (const log of logs.docs) expect(log.get("tenant_id")).toBe(DEMO_TENANT_ID);
    expect(await failureOf(getDocs(query(collection(viewer.db, `tenants/${DEMO_TENANT_ID}/ledger_trades`), limit(1))))).toBe("permission-denied");
    // A trader may read the ledger.
    expect((await getDocs(query(collection(trader.db, `tenants/${DEMO_TENANT_ID}/ledger_trades`), limit(1)))).size).toBe(1);
  });

  test("the viewer may not act like a trader or an admin", async () => {
    expect(await failureOf(viewer.call("orchestrateNow", { tenant_id: DEMO_TENANT_ID }))).toBe("functions/permission-denied");
    expect(await failureOf(viewer.call("setStrategyMode", { tenant_id: DEMO_TENANT_ID, strategy_id: "vol_carry", mode: "DISABLED", reason: "viewer tries" }))).toBe(
      "functions/permission-denied",
    );
    const signal = { strategy_id: "vol_carry", action: "BUY", ticker: "SPY", allocation: 0.1, status: "pending" };
    expect(await failureOf(addDoc(collection(viewer.db, `tenants/${DEMO_TENANT_ID}/signals`), signal))).toBe("permission-denied");
  });

  test("the trader writes a pending signal, and only a valid one; nothing Maestro computes", async () => {
    const signals = collection(trader.db, `tenants/${DEMO_TENANT_ID}/signals`);
    const created = await addDoc(signals, { strategy_id: "vol_carry", action: "BUY", ticker: "SPY", allocation: 0.1, confidence: 0.6, reasoning: "web client", status: "pending", created_at: serverTimestamp() });
    expect((await getDoc(created)).get("status")).toBe("pending");
    expect(await failureOf(addDoc(signals, { strategy_id: "vol_carry", action: "BUY", ticker: "SPY", allocation: 5, status: "pending" }))).toBe("permission-denied");
    expect(await failureOf(addDoc(signals, { strategy_id: "no_such_strategy", action: "BUY", ticker: "SPY", allocation: 0.1, status: "pending" }))).toBe("permission-denied");
    expect(await failureOf(updateDoc(created, { status: "orchestrated" }))).toBe("permission-denied");
    expect(await failureOf(deleteDoc(created))).toBe("permission-denied");
    expect(await failureOf(setDoc(doc(trader.db, `tenants/${DEMO_TENANT_ID}/strategy_weights/current`), { strategies: {} }))).toBe("permission-denied");
    expect(await failureOf(setDoc(doc(trader.db, `tenants/${DEMO_TENANT_ID}/orchestrations/${sessionId}`), { forged: true }))).toBe("permission-denied");
    expect(await failureOf(setDoc(doc(trader.db, `${LOGS}/forged`), { tenant_id: DEMO_TENANT_ID }))).toBe("permission-denied");
  });

  test("the admin changes a mode and the config, and reads the members", async () => {
    const mode = await admin.call("setStrategyMode", { tenant_id: DEMO_TENANT_ID, strategy_id: "vol_carry", mode: "DISABLED", reason: "web-client test: pause carry" });
    expect(mode).toMatchObject({ strategy_id: "vol_carry", manual_mode: "DISABLED", changed: true });
    const config = await admin.call("updateMaestroConfig", { tenant_id: DEMO_TENANT_ID, changes: { systemic_sell_threshold: 4 }, reason: "web-client test" });
    expect(config).toMatchObject({ changed_fields: ["systemic_sell_threshold"], config: { systemic_sell_threshold: 4 } });
    expect(config.version).toBe(config.previous_version + 1);
    const members = await getDocs(collection(admin.db, `tenants/${DEMO_TENANT_ID}/members`));
    expect(members.docs.map((d) => d.id).sort()).toEqual(["demo-admin", "demo-trader", "demo-viewer"]);
    expect(await failureOf(getDocs(collection(trader.db, `tenants/${DEMO_TENANT_ID}/members`)))).toBe("permission-denied");
    expect((await getDoc(doc(trader.db, `tenants/${DEMO_TENANT_ID}/members/demo-trader`))).get("role")).toBe("trader");
  });

  test("a member of another tenant can reach nothing of the demo tenant", async () => {
    for (const [name, extra] of [
      ["orchestrateNow", {}],
      ["getStrategyWeights", {}],
      ["getOrchestration", { session_id: sessionId }],
      ["listOrchestrationLogs", {}],
      ["setStrategyMode", { strategy_id: "vol_carry", mode: "AUTOMATIC", reason: "cross-tenant" }],
      ["updateMaestroConfig", { changes: { systemic_sell_threshold: 9 }, reason: "cross-tenant" }],
    ] as const) {
      expect(await failureOf(otherAdmin.call(name, { tenant_id: DEMO_TENANT_ID, ...extra }))).toBe("functions/permission-denied");
    }
    expect(await failureOf(getDoc(doc(otherAdmin.db, `tenants/${DEMO_TENANT_ID}`)))).toBe("permission-denied");
    expect(await failureOf(getDoc(doc(otherAdmin.db, `tenants/${DEMO_TENANT_ID}/orchestrations/${sessionId}`)))).toBe("permission-denied");
    expect(await failureOf(getDocs(query(collection(otherAdmin.db, LOGS), where("tenant_id", "==", DEMO_TENANT_ID))))).toBe("permission-denied");
    expect(await failureOf(getDocs(collection(otherAdmin.db, LOGS)))).toBe("permission-denied");
    const signal = { strategy_id: "vol_carry", action: "BUY", ticker: "SPY", allocation: 0.1, status: "pending" };
    expect(await failureOf(addDoc(collection(otherAdmin.db, `tenants/${DEMO_TENANT_ID}/signals`), signal))).toBe("permission-denied");
    // Its own tenant works.
    expect((await getDoc(doc(otherAdmin.db, `tenants/${SECOND_TENANT_ID}`))).get("name")).toBe("Other Desk");
    const own = await otherAdmin.call("listOrchestrationLogs", { tenant_id: SECOND_TENANT_ID });
    for (const log of own.logs) expect(log.log_id).toBeTruthy();
  });

  test("signed out: every callable is unauthenticated and every read is denied", async () => {
    expect(await failureOf(signedOut.call("getStrategyWeights", { tenant_id: DEMO_TENANT_ID }))).toBe("functions/unauthenticated");
    expect(await failureOf(signedOut.call("orchestrateNow", { tenant_id: DEMO_TENANT_ID }))).toBe("functions/unauthenticated");
    expect(await failureOf(getDoc(doc(signedOut.db, `tenants/${DEMO_TENANT_ID}`)))).toBe("permission-denied");
    expect(await failureOf(getDocs(query(collection(signedOut.db, LOGS), where("tenant_id", "==", DEMO_TENANT_ID))))).toBe("permission-denied");
  });

  test("the callables' errors name the field", async () => {
    try {
      await admin.call("updateMaestroConfig", { tenant_id: DEMO_TENANT_ID, changes: { sharpe_threshold_shadow: 3 }, reason: "too high" });
      throw new Error("expected invalid-argument");
    } catch (error) {
      expect((error as { code: string }).code).toBe("functions/invalid-argument");
      expect((error as Error).message).toMatch(/^changes: sharpe_threshold_shadow: must not exceed sharpe_threshold_reduce/);
    }
  });
});
