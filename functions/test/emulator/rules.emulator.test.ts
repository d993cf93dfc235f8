/**
 * firestore.rules on the Firestore emulator, through the client SDK as a web or mobile app
 * would use it (@firebase/rules-unit-testing; the Admin SDK bypasses rules, so the other
 * emulator tests cannot show any of this). Proves:
 *
 *   - reads: every tenant collection, the shared orchestration logs and the bookkeeping
 *     collections, for every kind of caller (signed out, signed in without membership,
 *     another tenant's admin, viewer, trader and admin, and members whose role is unknown
 *     or missing), by `getDoc` and by listing the collection: allowed exactly at the role the
 *     rules name, denied below it and in every other tenant;
 *   - writes: no caller may create, overwrite, update or delete any document, except that a
 *     trader or admin may create a `pending` signal for an existing strategy of the same
 *     tenant, and only with fields that pass isValidNewSignal;
 *   - logs: readable only by members of the log's tenant, and only through queries that
 *     filter on `tenant_id ==` that tenant;
 *   - revocation and demotion take effect on the very next request.
 *
 * Runs in its own project ("demo-maestro-rules") so it never touches the functions' data,
 * and loads the repository's firestore.rules into that project itself.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  assertFails,
  assertSucceeds,
  initializeTestEnvironment,
  type RulesTestContext,
  type RulesTestEnvironment,
} from "@firebase/rules-unit-testing";
import {
  collection,
  collectionGroup,
  deleteDoc,
  doc,
  getDoc,
  getDocs,
  query,
  serverTimestamp,
  setDoc,
  setLogLevel,
  Timestamp,
  updateDoc,
  where,
  writeBatch,
  type DocumentData,
  type Firestore,
} from "firebase/firestore";

import { RawSignalSchema } from "../../src/schemas";

const PROJECT_ID = "demo-maestro-rules";
const RULES_FILE = resolve(__dirname, "../../../firestore.rules");
const LOGS = "systemStatus/orchestration_logs/logs";

type Tenant = "fund-a" | "fund-b";
type Role = "viewer" | "trader" | "admin";
/** The least role that may read a document; "nobody" = denied to every client. */
type Need = Role | "nobody";
const RANK: Record<Role, number> = { viewer: 1, trader: 2, admin: 3 };

// ---------------------------------------------------------------------------
// Callers and memberships
// ---------------------------------------------------------------------------

interface Caller {
  label: string;
  /** null = signed out. */
  uid: string | null;
  /** The roles the rules should recognise (a member with an unknown role has none). */
  roles: Partial<Record<Tenant, Role>>;
}

const SIGNED_OUT: Caller = { label: "signed out", uid: null, roles: {} };
const STRANGER: Caller = { label: "signed in, no membership", uid: "stranger", roles: {} };
const ADMIN_B: Caller = { label: "admin of fund-b", uid: "admin-b", roles: { "fund-b": "admin" } };
const VIEWER_A: Caller = { label: "viewer of fund-a", uid: "viewer-a", roles: { "fund-a": "viewer" } };
const TRADER_A: Caller = { label: "trader of fund-a", uid: "trader-a", roles: { "fund-a": "trader" } };
const ADMIN_A: Caller = { label: "admin of fund-a", uid: "admin-a", roles: { "fund-a": "admin" } };
const OWNER_A: Caller = { label: "fund-a member with unknown role 'owner'", uid: "owner-a", roles: {} };
const NOROLE_A: Caller = { label: "fund-a member without a role", uid: "norole-a", roles: {} };

const CALLERS: Caller[] = [SIGNED_OUT, STRANGER, ADMIN_B, VIEWER_A, TRADER_A, ADMIN_A, OWNER_A, NOROLE_A];

const MEMBERS: Array<{ tenant: Tenant; uid: string; data: DocumentData }> = [
  { tenant: "fund-a", uid: "viewer-a", data: { role: "viewer", email: "viewer@fund-a.test" } },
  { tenant: "fund-a", uid: "trader-a", data: { role: "trader", email: "trader@fund-a.test" } },
  { tenant: "fund-a", uid: "admin-a", data: { role: "admin", email: "admin@fund-a.test" } },
  { tenant: "fund-a", uid: "owner-a", data: { role: "owner" } },
  { tenant: "fund-a", uid: "norole-a", data: { email: "norole@fund-a.test" } },
  { tenant: "fund-b", uid: "admin-b", data: { role: "admin", email: "admin@fund-b.test" } },
];

// ---------------------------------------------------------------------------
// Documents: one in every collection, with who may read it
// ---------------------------------------------------------------------------

interface DocCase {
  path: string;
  /** The tenant whose membership grants the read (for logs, the log's tenant_id). */
  tenant: Tenant | null;
  need: Need;
  /** For a membership document: the uid that may read it as its own. */
  self?: string;
  /** For a document that belongs to one member (an ask-Maestro conversation): only that uid, and only while a member. */
  owner?: string;
  /** Signal creation has its own tests (it is the one client write the rules allow). */
  createTestedSeparately?: boolean;
  data: DocumentData;
}

const SEED_SIGNAL = { strategy_id: "alpha", action: "BUY", ticker: "SPY", allocation: 0.3, confidence: 0.6, reasoning: "breakout", status: "pending" };

function tenantDocs(t: Tenant): DocCase[] {
  const base = `tenants/${t}`;
  const row = (path: string, need: Need, data: DocumentData, extra: Partial<DocCase> = {}): DocCase => ({ path, tenant: t, need, data, ...extra });
  return [
    row(base, "viewer", { name: `Desk ${t}`, active: true }),
    row(`${base}/config/maestro`, "viewer", { version: 3, systemic_sell_threshold: 3 }),
    row(`${base}/config/maestro_last_valid`, "viewer", { version: 2, systemic_sell_threshold: 3 }),
    row(`${base}/config_history/000002`, "admin", { version: 2, changed_by: "admin-a" }),
    row(`${base}/admin_actions/act-1`, "admin", { action: "setStrategyMode", uid: "admin-a" }),
    row(`${base}/strategies/alpha`, "viewer", { name: "Alpha", enabled: true, capital_base: 10_000, manual_mode: null }),
    row(`${base}/ledger_trades/trade-1`, "trader", { strategy_id: "alpha", symbol: "SPY", side: "BUY", quantity: 10, price: 500 }),
    row(`${base}/daily_marks/2025-01-02`, "viewer", { day: "2025-01-02", marks: { SPY: 501 } }),
    row(`${base}/strategy_performance/alpha_2025-01-02`, "viewer", { strategy_id: "alpha", daily_pnl: 10 }),
    row(`${base}/paper_trades/maestro_1_sig`, "viewer", { strategy_id: "alpha", paper: true }),
    row(`${base}/positions/current`, "trader", { strategies: { alpha: { positions: { SPY: 10 } } } }),
    row(`${base}/paper_performance/alpha_2025-01-02`, "viewer", { strategy_id: "alpha", daily_pnl: 10, paper: true }),
    row(`${base}/strategy_weights/current`, "viewer", { strategies: {} }),
    row(`${base}/signals/sig-seed`, "viewer", SEED_SIGNAL, { createTestedSeparately: true }),
    row(`${base}/orchestrations/maestro_1700000000000_0123456789abcdef`, "viewer", { status: "complete" }),
    row(`${base}/nonces/0123456789abcdef0123456789abcdef`, "trader", { session_id: "maestro_1700000000000_0123456789abcdef" }),
    row(`${base}/orchestration_inputs/${"ab".repeat(32)}`, "trader", { sha256: "ab".repeat(32), parts: 2, text: "{\"account\":" }),
    row(`${base}/orchestration_inputs/${"ab".repeat(32)}/parts/1`, "trader", { sha256: "ab".repeat(32), part: 1, text: "1}" }),
    row(`${base}/audits/log-1`, "viewer", { ok: true }),
    row(`${base}/metrics/2025-01-02`, "viewer", { sharpe: 1.2 }),
    row(`${base}/findings/unlogged_maestro_1700000000000_0123456789abcdef`, "viewer", { kind: "orchestration_without_log" }),
    row(`${base}/account/snapshot`, "trader", { equity: 100_000, buying_power: 25_000, as_of: "2026-11-24T15:00:00.000Z" }),
    row(`${base}/account/maestro_reservations`, "trader", { as_of: "2026-11-24T15:00:00.000Z", reserved_notional: 1_000 }),
    row(`${base}/trading_sessions/2026-11-24`, "viewer", { state: "ACTIVE_TRADING" }),
    row(`${base}/trading_sessions/2026-11-24/agent_runs/ACTIVE_TRADING`, "viewer", { status: "running", tasks: {} }),
    row(`${base}/agent_heartbeats/alpha`, "viewer", { strategy_id: "alpha", at: "2026-11-24T15:00:00.000Z" }),
    row(`${base}/alerts/emergency_stop_2026-11-24_1`, "viewer", { severity: "critical" }),
    row(`${base}/health/current`, "viewer", { tier: "ok" }),
    row(`${base}/health_history/2026-11-24T15:00:00.000Z`, "viewer", { tier: "ok" }),
    row(`${base}/health/stages`, "viewer", { stages: {} }),
    row(`${base}/market_data/latest`, "viewer", { as_of: "2026-11-24T15:00:00.000Z" }),
    row(`${base}/account/positions`, "trader", { net: { "BTC-USDT": 0.5 } }),
    row(`${base}/allocation_history/rebalance-1`, "viewer", { method: "risk_parity" }),
    row(`${base}/arbitration/state`, "viewer", { version: 1 }),
    row(`${base}/arbitrations/0123456789abcdef0123456789abcdef`, "viewer", { status: "awaiting_outcome" }),
    row(`${base}/execution_intents/2026-11-24_cancel_all_orders`, "trader", { kind: "cancel_all_orders" }),
    row(`${base}/agents/agent_alpha_0123456789ab`, "admin", { status: "active", strategy_id: "alpha", tenant_id: t }),
    row(`${base}/conversations/c-1`, "viewer", { uid: t === "fund-a" ? "trader-a" : "admin-b", turns: [] }, { owner: t === "fund-a" ? "trader-a" : "admin-b" }),
    ...MEMBERS.filter((m) => m.tenant === t).map((m) => row(`${base}/members/${m.uid}`, "admin", m.data, { self: m.uid })),
    row(`${base}/rollup_state/alpha`, "nobody", { commits: 4 }),
    row(`${base}/paper_rollup_state/alpha`, "nobody", { commits: 1 }),
    row(`${base}/rollup_runs/run-1`, "nobody", { strategy_id: "alpha", ledger: "real" }),
    row(`${base}/log_chain/head`, "nobody", { hash: "00".repeat(32) }),
    row(`${base}/rate_limits/viewer-a`, "nobody", { read: [] }),
    row(`${base}/secrets/unknown`, "nobody", { what: "a collection the rules do not name" }),
    row(`${base}/strategies/alpha/private/p1`, "nobody", { what: "a subcollection of a readable document" }),
  ];
}

const GLOBAL_DOCS: DocCase[] = [
  { path: `${LOGS}/log-a`, tenant: "fund-a", need: "viewer", data: { tenant_id: "fund-a", session_id: "s-a", summary: "fund-a cycle" } },
  { path: `${LOGS}/log-b`, tenant: "fund-b", need: "viewer", data: { tenant_id: "fund-b", session_id: "s-b", summary: "fund-b cycle" } },
  { path: `${LOGS}/log-orphan`, tenant: null, need: "nobody", data: { session_id: "s-x", summary: "a log without tenant_id" } },
  { path: "systemStatus/orchestration_logs", tenant: null, need: "nobody", data: { note: "parent of the logs" } },
  { path: "users/viewer-a", tenant: null, need: "nobody", data: { name: "a top-level collection the rules do not name" } },
  { path: "systemStatus/dead_letters/messages/evt-1", tenant: null, need: "nobody", data: { tenant_id: "fund-a", reason: "body: is not JSON" } },
  { path: "systemStatus/market_cycles/runs/2026-11-24T15:00:00.000Z", tenant: null, need: "nobody", data: { published: 2 } },
];

const ALL_DOCS: DocCase[] = [...tenantDocs("fund-a"), ...tenantDocs("fund-b"), ...GLOBAL_DOCS];

function mayRead(caller: Caller, c: DocCase): boolean {
  if (c.need === "nobody") return false;
  if (c.self !== undefined && caller.uid === c.self) return true;
  if (c.tenant === null) return false;
  if (c.owner !== undefined && caller.uid !== c.owner) return false;
  const role = caller.roles[c.tenant];
  return role !== undefined && RANK[role] >= RANK[c.need];
}

function rankIn(caller: Caller, t: Tenant): number {
  const role = caller.roles[t];
  return role === undefined ? 0 : RANK[role];
}

/** Listing a whole collection (no filters): who may, for fund-a. */
const LISTS: Array<{ path: string; need: Need; group?: boolean }> = [
  { path: "tenants", need: "nobody" },
  { path: "tenants/fund-a/config", need: "viewer" },
  { path: "tenants/fund-a/config_history", need: "admin" },
  { path: "tenants/fund-a/admin_actions", need: "admin" },
  { path: "tenants/fund-a/strategies", need: "viewer" },
  { path: "tenants/fund-a/ledger_trades", need: "trader" },
  { path: "tenants/fund-a/daily_marks", need: "viewer" },
  { path: "tenants/fund-a/strategy_performance", need: "viewer" },
  { path: "tenants/fund-a/paper_trades", need: "viewer" },
  { path: "tenants/fund-a/positions", need: "trader" },
  { path: "tenants/fund-a/paper_performance", need: "viewer" },
  { path: "tenants/fund-a/strategy_weights", need: "viewer" },
  { path: "tenants/fund-a/signals", need: "viewer" },
  { path: "tenants/fund-a/orchestrations", need: "viewer" },
  { path: "tenants/fund-a/nonces", need: "trader" },
  { path: "tenants/fund-a/audits", need: "viewer" },
  { path: "tenants/fund-a/metrics", need: "viewer" },
  { path: "tenants/fund-a/findings", need: "viewer" },
  { path: "tenants/fund-a/account", need: "trader" },
  { path: "tenants/fund-a/trading_sessions", need: "viewer" },
  { path: "tenants/fund-a/trading_sessions/2026-11-24/agent_runs", need: "viewer" },
  { path: "tenants/fund-a/agent_heartbeats", need: "viewer" },
  { path: "tenants/fund-a/alerts", need: "viewer" },
  { path: "tenants/fund-a/health_history", need: "viewer" },
  { path: "tenants/fund-a/market_data", need: "viewer" },
  { path: "tenants/fund-a/allocation_history", need: "viewer" },
  { path: "tenants/fund-a/arbitrations", need: "viewer" },
  { path: "tenants/fund-a/execution_intents", need: "trader" },
  // Reading one's own membership does not extend to listing everyone's.
  { path: "tenants/fund-a/members", need: "admin" },
  { path: "tenants/fund-a/rollup_state", need: "nobody" },
  { path: "tenants/fund-a/log_chain", need: "nobody" },
  { path: "tenants/fund-a/rate_limits", need: "nobody" },
  { path: "tenants/fund-a/secrets", need: "nobody" },
  { path: "tenants/fund-a/strategies/alpha/private", need: "nobody" },
  { path: "users", need: "nobody" },
  { path: "systemStatus", need: "nobody" },
  // Unfiltered: the rules cannot prove every log belongs to the caller's tenant.
  { path: LOGS, need: "nobody" },
  // Collection-group queries match none of the rules' paths.
  { path: "signals", need: "nobody", group: true },
  { path: "members", need: "nobody", group: true },
  { path: "logs", need: "nobody", group: true },
];

// ---------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------

function firestoreEmulator(): { host: string; port: number } {
  const hostPort = process.env.FIRESTORE_EMULATOR_HOST;
  if (!hostPort) throw new Error("FIRESTORE_EMULATOR_HOST is not set: run this under the emulators (scripts/emulators.sh exec ...)");
  const colon = hostPort.lastIndexOf(":");
  return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) };
}

let testEnv: RulesTestEnvironment;
const dbs = new Map<string, Firestore>();

function key(caller: Caller): string {
  return caller.uid ?? "(signed out)";
}

/** One client per caller for the whole file (a context's firestore() may be set up once). */
function dbOf(caller: Caller): Firestore {
  const db = dbs.get(key(caller));
  if (!db) throw new Error(`no client for ${caller.label}`);
  return db;
}

function asModular(ctx: RulesTestContext): Firestore {
  return ctx.firestore() as unknown as Firestore;
}

async function asOwner(write: (db: Firestore) => Promise<unknown>): Promise<void> {
  await testEnv.withSecurityRulesDisabled(async (ctx) => {
    await write(asModular(ctx));
  });
}

function parentAndId(path: string): { parent: string; id: string } {
  const slash = path.lastIndexOf("/");
  return { parent: path.slice(0, slash), id: path.slice(slash + 1) };
}

beforeAll(async () => {
  // Denied requests are the point of this file; keep the SDK from logging each one.
  setLogLevel("error");
  testEnv = await initializeTestEnvironment({
    projectId: PROJECT_ID,
    firestore: { rules: readFileSync(RULES_FILE, "utf8"), ...firestoreEmulator() },
  });
  await testEnv.clearFirestore();
  await asOwner(async (db) => {
    const batch = writeBatch(db);
    for (const c of ALL_DOCS) batch.set(doc(db, c.path), c.data);
    // A strategy only fund-b has: fund-a's traders may not signal for it.
    batch.set(doc(db, "tenants/fund-b/strategies/beta"), { name: "Beta", enabled: true, capital_base: 10_000, manual_mode: null });
    await batch.commit();
  });
  for (const caller of CALLERS) {
    const ctx = caller.uid === null ? testEnv.unauthenticatedContext() : testEnv.authenticatedContext(caller.uid);
    dbs.set(key(caller), asModular(ctx));
  }
});

afterAll(async () => {
  await testEnv?.cleanup();
});

// ---------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------

describe("reads: every document for every caller", () => {
  const rows = CALLERS.flatMap((caller) =>
    ALL_DOCS.map((c) => ({ caller, c, allowed: mayRead(caller, c), name: `${caller.label} ${mayRead(caller, c) ? "can" : "cannot"} get ${c.path}` })),
  );
  test.each(rows)("$name", async ({ caller, c, allowed }) => {
    const read = getDoc(doc(dbOf(caller), c.path));
    if (allowed) {
      const snap = await assertSucceeds(read);
      expect(snap.exists()).toBe(true);
    } else {
      await assertFails(read);
    }
  });
});

describe("reads: listing every collection for every caller", () => {
  const rows = CALLERS.flatMap((caller) =>
    LISTS.map((l) => {
      const allowed = l.need !== "nobody" && rankIn(caller, "fund-a") >= RANK[l.need];
      return { caller, l, allowed, name: `${caller.label} ${allowed ? "can" : "cannot"} list ${l.group ? "collection group " : ""}${l.path}` };
    }),
  );
  test.each(rows)("$name", async ({ caller, l, allowed }) => {
    const db = dbOf(caller);
    const list = getDocs(l.group ? collectionGroup(db, l.path) : collection(db, l.path));
    if (allowed) {
      const snap = await assertSucceeds(list);
      expect(snap.size).toBeGreaterThan(0);
    } else {
      await assertFails(list);
    }
  });
});

describe("membership documents", () => {
  test("a signed-in user may get their own membership path in any tenant, even without one (it reads as absent)", async () => {
    const snap = await assertSucceeds(getDoc(doc(dbOf(STRANGER), "tenants/fund-a/members/stranger")));
    expect(snap.exists()).toBe(false);
  });

  test("a member reads their own role but not a colleague's", async () => {
    const own = await assertSucceeds(getDoc(doc(dbOf(VIEWER_A), "tenants/fund-a/members/viewer-a")));
    expect(own.get("role")).toBe("viewer");
    await assertFails(getDoc(doc(dbOf(VIEWER_A), "tenants/fund-a/members/admin-a")));
    await assertFails(getDoc(doc(dbOf(TRADER_A), "tenants/fund-a/members/viewer-a")));
  });

  test("an admin of one tenant cannot read another tenant's members", async () => {
    await assertFails(getDoc(doc(dbOf(ADMIN_B), "tenants/fund-a/members/admin-a")));
    await assertFails(getDoc(doc(dbOf(ADMIN_A), "tenants/fund-b/members/admin-b")));
  });

  test.each(CALLERS.filter((c) => c.uid !== null).map((caller) => ({ caller, name: `${caller.label} cannot grant themselves a membership in either tenant` })))(
    "$name",
    async ({ caller }) => {
      const db = dbOf(caller);
      for (const t of ["fund-a", "fund-b"] as const) {
        const own = doc(db, `tenants/${t}/members/${caller.uid}`);
        await assertFails(setDoc(own, { role: "admin" }));
        await assertFails(setDoc(own, { role: "admin" }, { merge: true }));
      }
    },
  );

  test("an admin cannot add a member or promote one from the client", async () => {
    const db = dbOf(ADMIN_A);
    await assertFails(setDoc(doc(db, "tenants/fund-a/members/stranger"), { role: "viewer" }));
    await assertFails(updateDoc(doc(db, "tenants/fund-a/members/viewer-a"), { role: "admin" }));
  });
});

// ---------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------

describe("writes: no caller writes any document (signal create aside)", () => {
  const rows = CALLERS.flatMap((caller) =>
    ALL_DOCS.map((c) => ({ caller, c, name: `${caller.label} cannot ${c.createTestedSeparately ? "" : "create, "}overwrite, update or delete ${c.path}` })),
  );
  test.each(rows)("$name", async ({ caller, c }) => {
    const db = dbOf(caller);
    const existing = doc(db, c.path);
    const { parent, id } = parentAndId(c.path);
    await Promise.all([
      c.createTestedSeparately ? Promise.resolve() : assertFails(setDoc(doc(db, parent, `${id}-new`), c.data)),
      assertFails(setDoc(existing, { ...c.data, tampered: true })),
      assertFails(setDoc(existing, { tampered: true }, { merge: true })),
      assertFails(updateDoc(existing, { tampered: true })),
      assertFails(deleteDoc(existing)),
    ]);
  });
});

describe("signal create", () => {
  const VALID: DocumentData = { strategy_id: "alpha", action: "BUY", ticker: "SPY", allocation: 0.4, confidence: 0.7, reasoning: "x", status: "pending", created_at: serverTimestamp() };

  function without(...fields: string[]): DocumentData {
    const copy: DocumentData = { ...VALID };
    for (const f of fields) delete copy[f];
    return copy;
  }

  function createSignal(caller: Caller, tenant: Tenant, data: DocumentData, id?: string): Promise<void> {
    const signals = collection(dbOf(caller), `tenants/${tenant}/signals`);
    return setDoc(id === undefined ? doc(signals) : doc(signals, id), data);
  }

  test.each([TRADER_A, ADMIN_A].map((caller) => ({ caller, name: `${caller.label} may create a valid pending signal` })))("$name", async ({ caller }) => {
    await assertSucceeds(createSignal(caller, "fund-a", VALID));
  });

  test("another tenant's admin may create one in their own tenant (the fund-a denials are not vacuous)", async () => {
    await assertSucceeds(createSignal(ADMIN_B, "fund-b", VALID));
  });

  const ALLOWED_PAYLOADS: Array<[string, DocumentData]> = [
    ["optional confidence and reasoning omitted", without("confidence", "reasoning")],
    ["created_by the caller's own uid", { ...VALID, created_by: "trader-a" }],
    ["created_by and created_at both set", { ...VALID, created_by: "trader-a", created_at: serverTimestamp() }],
    ["action SELL", { ...VALID, action: "SELL" }],
    ["action HOLD", { ...VALID, action: "HOLD" }],
    ["allocation 0", { ...VALID, allocation: 0 }],
    ["allocation 1 (an integer)", { ...VALID, allocation: 1 }],
    ["confidence 0", { ...VALID, confidence: 0 }],
    ["confidence 1", { ...VALID, confidence: 1 }],
    ["a 1-character ticker", { ...VALID, ticker: "X" }],
    ["a 32-character ticker", { ...VALID, ticker: "T".repeat(32) }],
    ["empty reasoning", { ...VALID, reasoning: "" }],
    ["2000 characters of reasoning", { ...VALID, reasoning: "r".repeat(2000) }],
    ["a reference_price (a paper fill's price in SHADOW_MODE)", { ...VALID, reference_price: 101.25 }],
    ["a whole-number reference_price", { ...VALID, reference_price: 100 }],
    ["a stop_distance_pct (the risk guardian's measure of an entry's risk)", { ...VALID, stop_distance_pct: 1.5 }],
  ];
  test.each(ALLOWED_PAYLOADS.map(([what, data]) => ({ data, name: `a trader may create one with ${what}` })))("$name", async ({ data }) => {
    await assertSucceeds(createSignal(TRADER_A, "fund-a", data));
  });

  test.each(
    [VIEWER_A, ADMIN_B, SIGNED_OUT, STRANGER, OWNER_A, NOROLE_A].map((caller) => ({ caller, name: `${caller.label} may not create a signal in fund-a` })),
  )("$name", async ({ caller }) => {
    await assertFails(createSignal(caller, "fund-a", VALID));
  });

  test("a trader of fund-a may not create a signal in fund-b", async () => {
    await assertFails(createSignal(TRADER_A, "fund-b", VALID));
    await assertFails(createSignal(ADMIN_A, "fund-b", VALID));
  });

  const DENIED_PAYLOADS: Array<[string, DocumentData]> = [
    ["status 'orchestrated'", { ...VALID, status: "orchestrated" }],
    ["status 'rejected'", { ...VALID, status: "rejected" }],
    ["a strategy that does not exist", { ...VALID, strategy_id: "ghost" }],
    ["a strategy that exists only in another tenant", { ...VALID, strategy_id: "beta" }],
    ["a strategy_id containing '/'", { ...VALID, strategy_id: "alpha/private" }],
    ["strategy_id '.'", { ...VALID, strategy_id: "." }],
    ["strategy_id '..' (would name the tenant document if the path were normalised)", { ...VALID, strategy_id: ".." }],
    ["an empty strategy_id", { ...VALID, strategy_id: "" }],
    ["a 129-character strategy_id", { ...VALID, strategy_id: "a".repeat(129) }],
    ["a numeric strategy_id", { ...VALID, strategy_id: 7 }],
    ["action 'SHORT'", { ...VALID, action: "SHORT" }],
    ["action 'buy' (lower case)", { ...VALID, action: "buy" }],
    ["allocation 1.5", { ...VALID, allocation: 1.5 }],
    ["allocation -0.1", { ...VALID, allocation: -0.1 }],
    ["allocation as a string", { ...VALID, allocation: "0.4" }],
    ["allocation null", { ...VALID, allocation: null }],
    ["confidence 2", { ...VALID, confidence: 2 }],
    ["confidence -0.01", { ...VALID, confidence: -0.01 }],
    ["confidence as a string", { ...VALID, confidence: "high" }],
    ["an empty ticker", { ...VALID, ticker: "" }],
    ["a 33-character ticker", { ...VALID, ticker: "T".repeat(33) }],
    ["a numeric ticker", { ...VALID, ticker: 42 }],
    ["2001 characters of reasoning", { ...VALID, reasoning: "r".repeat(2001) }],
    ["numeric reasoning", { ...VALID, reasoning: 5 }],
    ["reference_price 0", { ...VALID, reference_price: 0 }],
    ["stop_distance_pct 0", { ...VALID, stop_distance_pct: 0 }],
    ["stop_distance_pct above 100", { ...VALID, stop_distance_pct: 150 }],
    ["a negative reference_price", { ...VALID, reference_price: -5 }],
    ["reference_price as a string", { ...VALID, reference_price: "100" }],
    ["an extra field", { ...VALID, approved: true }],
    ["an extra field the orchestrator sets", { ...VALID, original_action: "BUY" }],
    ["created_by another uid", { ...VALID, created_by: "admin-a" }],
    ["created_by null", { ...VALID, created_by: null }],
    ["created_at a client-chosen time", { ...VALID, created_at: Timestamp.fromMillis(0) }],
    ["created_at missing (the queue is served by it)", without("created_at")],
    ["a reserved strategy_id (__x__)", { ...VALID, strategy_id: "__x__" }],
    ["strategy_id missing", without("strategy_id")],
    ["action missing", without("action")],
    ["ticker missing", without("ticker")],
    ["allocation missing", without("allocation")],
    ["status missing", without("status")],
  ];
  test.each(DENIED_PAYLOADS.map(([what, data]) => ({ data, name: `a trader may not create one with ${what}` })))("$name", async ({ data }) => {
    await assertFails(createSignal(TRADER_A, "fund-a", data));
  });

  const DENIED_IDS: Array<[string, string]> = [
    ["a 129-character id", "s".repeat(129)],
    ["an id with a space", "sig 1"],
    ["an id with a non-ASCII letter", "sig-é"],
  ];
  test.each(DENIED_IDS.map(([what, id]) => ({ id, name: `a trader may not create a signal with ${what}` })))("$name", async ({ id }) => {
    await assertFails(createSignal(TRADER_A, "fund-a", VALID, id));
  });

  test("a 128-character id of the allowed characters is accepted (the denials above are not vacuous)", async () => {
    await assertSucceeds(createSignal(TRADER_A, "fund-a", VALID, `${"s".repeat(120)}${String(Date.now()).slice(-8)}`));
  });

  // Rules and RawSignalSchema must agree on every length, measured the same way: text whose
  // characters take several UTF-8 bytes or two UTF-16 code units is where they could differ.
  const MULTI_BYTE: Array<[string, DocumentData]> = [
    ["a ticker of 32 two-byte letters", { ticker: "é".repeat(32) }],
    ["a ticker of 33 two-byte letters", { ticker: "é".repeat(33) }],
    ["a ticker of 16 emoji (32 UTF-16 units)", { ticker: "📈".repeat(16) }],
    ["a ticker of 17 emoji (34 UTF-16 units)", { ticker: "📈".repeat(17) }],
    ["a ticker of 32 emoji (32 code points)", { ticker: "📈".repeat(32) }],
    ["reasoning of 2000 three-byte characters", { reasoning: "漢".repeat(2000) }],
    ["reasoning of 2001 three-byte characters", { reasoning: "漢".repeat(2001) }],
    ["reasoning of 1000 emoji (2000 UTF-16 units)", { reasoning: "📉".repeat(1000) }],
    ["reasoning of 1001 emoji (2002 UTF-16 units)", { reasoning: "📉".repeat(1001) }],
    ["reasoning of 2000 emoji (2000 code points)", { reasoning: "📉".repeat(2000) }],
  ];
  test.each(MULTI_BYTE.map(([what, change]) => ({ change, name: `rules and RawSignalSchema agree on ${what}` })))("$name", async ({ change }) => {
    const data = { ...VALID, ...change };
    const schemaAccepts = RawSignalSchema.safeParse({ ...data, created_at: undefined }).success;
    if (schemaAccepts) await assertSucceeds(createSignal(TRADER_A, "fund-a", data));
    else await assertFails(createSignal(TRADER_A, "fund-a", data));
  });

  test("an admin may not create one with an invalid payload either", async () => {
    await assertFails(createSignal(ADMIN_A, "fund-a", { ...VALID, status: "orchestrated" }));
    await assertFails(createSignal(ADMIN_A, "fund-a", { ...VALID, allocation: 2 }));
  });

  test("a valid payload written over an existing signal is an update, and denied", async () => {
    await assertFails(createSignal(TRADER_A, "fund-a", VALID, "sig-seed"));
    await assertFails(createSignal(ADMIN_A, "fund-a", VALID, "sig-seed"));
  });

  test("a created signal is readable by a viewer, and not even its author or an admin may change or delete it", async () => {
    const id = `sig-by-trader-${Date.now()}`;
    await assertSucceeds(createSignal(TRADER_A, "fund-a", { ...VALID, created_by: "trader-a" }, id));
    const path = `tenants/fund-a/signals/${id}`;
    const snap = await assertSucceeds(getDoc(doc(dbOf(VIEWER_A), path)));
    expect(snap.get("status")).toBe("pending");
    for (const caller of [TRADER_A, ADMIN_A]) {
      const ref = doc(dbOf(caller), path);
      await assertFails(updateDoc(ref, { status: "orchestrated" }));
      await assertFails(updateDoc(ref, { allocation: 0.9 }));
      await assertFails(deleteDoc(ref));
    }
    await assertFails(getDoc(doc(dbOf(ADMIN_B), path)));
  });

  test("updating or deleting the seeded signal is denied even for the admin", async () => {
    const ref = doc(dbOf(ADMIN_A), "tenants/fund-a/signals/sig-seed");
    await assertFails(updateDoc(ref, { status: "orchestrated" }));
    await assertFails(updateDoc(ref, { status: "pending" }));
    await assertFails(deleteDoc(ref));
  });
});

// ---------------------------------------------------------------------------
// Orchestration logs: shared collection, tenant named in each document
// ---------------------------------------------------------------------------

describe("orchestration logs", () => {
  const logsOf = (caller: Caller, tenant?: string) => {
    const logs = collection(dbOf(caller), LOGS);
    return getDocs(tenant === undefined ? logs : query(logs, where("tenant_id", "==", tenant)));
  };

  test("a viewer of fund-a gets fund-a's log but not fund-b's", async () => {
    const snap = await assertSucceeds(getDoc(doc(dbOf(VIEWER_A), `${LOGS}/log-a`)));
    expect(snap.get("tenant_id")).toBe("fund-a");
    await assertFails(getDoc(doc(dbOf(VIEWER_A), `${LOGS}/log-b`)));
  });

  test.each([VIEWER_A, TRADER_A, ADMIN_A].map((caller) => ({ caller, name: `${caller.label} may query the logs filtered to fund-a, and sees only fund-a's` })))(
    "$name",
    async ({ caller }) => {
      const snap = await assertSucceeds(logsOf(caller, "fund-a"));
      expect(snap.docs.map((d) => d.id)).toEqual(["log-a"]);
    },
  );

  test.each([VIEWER_A, TRADER_A, ADMIN_A].map((caller) => ({ caller, name: `${caller.label} may not query the logs unfiltered or filtered to fund-b` })))(
    "$name",
    async ({ caller }) => {
      await assertFails(logsOf(caller));
      await assertFails(logsOf(caller, "fund-b"));
      await assertFails(getDocs(query(collection(dbOf(caller), LOGS), where("tenant_id", "in", ["fund-a", "fund-b"]))));
    },
  );

  test("fund-b's admin reads fund-b's log and query, not fund-a's", async () => {
    await assertSucceeds(getDoc(doc(dbOf(ADMIN_B), `${LOGS}/log-b`)));
    const snap = await assertSucceeds(logsOf(ADMIN_B, "fund-b"));
    expect(snap.docs.map((d) => d.id)).toEqual(["log-b"]);
    await assertFails(getDoc(doc(dbOf(ADMIN_B), `${LOGS}/log-a`)));
    await assertFails(logsOf(ADMIN_B, "fund-a"));
    await assertFails(logsOf(ADMIN_B));
  });

  test.each([SIGNED_OUT, STRANGER, OWNER_A, NOROLE_A].map((caller) => ({ caller, name: `${caller.label} reads no log, by get or by any query` })))(
    "$name",
    async ({ caller }) => {
      await assertFails(getDoc(doc(dbOf(caller), `${LOGS}/log-a`)));
      await assertFails(getDoc(doc(dbOf(caller), `${LOGS}/log-b`)));
      await assertFails(logsOf(caller, "fund-a"));
      await assertFails(logsOf(caller, "fund-b"));
      await assertFails(logsOf(caller));
    },
  );

  test("a log without tenant_id is readable by nobody", async () => {
    for (const caller of CALLERS) await assertFails(getDoc(doc(dbOf(caller), `${LOGS}/log-orphan`)));
  });
});

// ---------------------------------------------------------------------------
// Revocation and demotion: membership is read on every request
// ---------------------------------------------------------------------------

describe("revocation and demotion take effect at once", () => {
  const TRADER_READS = [
    "tenants/fund-a",
    "tenants/fund-a/config/maestro",
    "tenants/fund-a/strategies/alpha",
    "tenants/fund-a/signals/sig-seed",
    "tenants/fund-a/ledger_trades/trade-1",
    "tenants/fund-a/nonces/0123456789abcdef0123456789abcdef",
    `${LOGS}/log-a`,
  ];

  test("before: trader-a reads everything a trader may, and may signal", async () => {
    for (const path of TRADER_READS) await assertSucceeds(getDoc(doc(dbOf(TRADER_A), path)));
    await assertSucceeds(setDoc(doc(collection(dbOf(TRADER_A), "tenants/fund-a/signals")), { strategy_id: "alpha", action: "HOLD", ticker: "SPY", allocation: 0, status: "pending", created_at: serverTimestamp() }));
  });

  describe("after trader-a's membership is deleted", () => {
    beforeAll(() => asOwner((db) => deleteDoc(doc(db, "tenants/fund-a/members/trader-a"))));
    afterAll(() => asOwner((db) => setDoc(doc(db, "tenants/fund-a/members/trader-a"), { role: "trader", email: "trader@fund-a.test" })));

    test("every read fails on the next request (the client's cached copies notwithstanding)", async () => {
      for (const path of TRADER_READS) await assertFails(getDoc(doc(dbOf(TRADER_A), path)));
      await assertFails(getDocs(collection(dbOf(TRADER_A), "tenants/fund-a/strategies")));
      await assertFails(getDocs(query(collection(dbOf(TRADER_A), LOGS), where("tenant_id", "==", "fund-a"))));
    });

    test("signal create fails", async () => {
      await assertFails(setDoc(doc(collection(dbOf(TRADER_A), "tenants/fund-a/signals")), { strategy_id: "alpha", action: "HOLD", ticker: "SPY", allocation: 0, status: "pending", created_at: serverTimestamp() }));
    });

    test("their own membership path still reads, as absent", async () => {
      const snap = await assertSucceeds(getDoc(doc(dbOf(TRADER_A), "tenants/fund-a/members/trader-a")));
      expect(snap.exists()).toBe(false);
    });
  });

  describe("after admin-a is demoted to viewer", () => {
    beforeAll(() => asOwner((db) => updateDoc(doc(db, "tenants/fund-a/members/admin-a"), { role: "viewer" })));
    afterAll(() => asOwner((db) => updateDoc(doc(db, "tenants/fund-a/members/admin-a"), { role: "admin" })));

    test("admin and trader reads fail on the next request; viewer reads still succeed", async () => {
      const db = dbOf(ADMIN_A);
      await assertFails(getDoc(doc(db, "tenants/fund-a/config_history/000002")));
      await assertFails(getDoc(doc(db, "tenants/fund-a/admin_actions/act-1")));
      await assertFails(getDoc(doc(db, "tenants/fund-a/members/viewer-a")));
      await assertFails(getDoc(doc(db, "tenants/fund-a/ledger_trades/trade-1")));
      await assertFails(setDoc(doc(collection(db, "tenants/fund-a/signals")), { strategy_id: "alpha", action: "HOLD", ticker: "SPY", allocation: 0, status: "pending", created_at: serverTimestamp() }));
      await assertSucceeds(getDoc(doc(db, "tenants/fund-a")));
      await assertSucceeds(getDoc(doc(db, "tenants/fund-a/strategies/alpha")));
      const own = await assertSucceeds(getDoc(doc(db, "tenants/fund-a/members/admin-a")));
      expect(own.get("role")).toBe("viewer");
    });
  });
});
