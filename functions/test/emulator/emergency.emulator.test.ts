/**
 * The emergency stop on the emulators (issue 11, first slice), against a loopback server
 * that speaks hummingbot-api's wire format (src/tools/loopback-hummingbot.ts): the
 * stop through the callable (run by the Functions emulator, with the broker credentials
 * from functions/.secret.local) cancels three working orders — the third only reachable
 * through the listing's cursor — and closes two positions, revokes the outstanding licence
 * and releases its reservation, writes the report, and stops the cycles; a second stop
 * sends nothing twice. A broker still loading its trading rules (503) is retried a bounded
 * number of times and the report says what is still open and why. Without a broker the
 * same steps become execution intents, once.
 */
import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { HummingbotAdapter } from "../../src/broker/hummingbot";
import { emergencyStop, resumeTrading } from "../../src/store/emergency";
import { checkTenantHealth } from "../../src/stages/health";
import { alertSignature } from "../../src/stages/alerts";
import { startAlertReceiver, type AlertReceiver, type ReceivedAlert } from "../../src/tools/loopback-alert-receiver";
import { SessionNotTrading, orchestrateTenant } from "../../src/stages/orchestration";
import { paths } from "../../src/store/paths";
import { TradingSessionSchema } from "../../src/schemas";
import { adminDb, ampleAccountSnapshot, callCallable, memberOf, openAllDay, uniqueTenantId, hummingbotTestCredentials } from "../support/emulator";
import { fillClosingOrdersAtOnce, openLimitOrder, startFakeHummingbot, type FakeHummingbot, type FakeHummingbotState, type FakeOrder } from "../../src/tools/loopback-hummingbot";

const db: Firestore = adminDb();
const { username: USERNAME, password: PASSWORD } = hummingbotTestCredentials();
const ACCOUNT = "desk_main";
const PERP = "binance_perpetual";

const order = (id: string, pair: string, side: "BUY" | "SELL", amount: number, price: number): FakeOrder =>
  openLimitOrder({ account_name: ACCOUNT, connector_name: PERP }, id, pair, side, amount, price);

function brokerState(): FakeHummingbotState {
  return {
    portfolio: { [ACCOUNT]: { [PERP]: [{ token: "USDT", units: 50_000, price: 1, value: 50_000, available_units: 40_000 }] } },
    // Two to a page: ord-a, ord-b | ord-c (only reachable through the cursor).
    orders: [order("ord-c", "SOL-USDT", "BUY", 10, 120), order("ord-a", "BTC-USDT", "BUY", 0.1, 55_000), order("ord-b", "ETH-USDT", "SELL", 2, 3_900)],
    positions: [
      { account_name: ACCOUNT, connector_name: PERP, trading_pair: "BTC-USDT", side: "LONG", amount: 0.5, entry_price: 58_000, unrealized_pnl: -900, leverage: 3 },
      { account_name: ACCOUNT, connector_name: PERP, trading_pair: "ETH-USDT", side: "SHORT", amount: -2, entry_price: 3_600, unrealized_pnl: -400, leverage: 2 },
    ],
    trades: [],
    trading_rules: { [PERP]: ["BTC-USDT", "ETH-USDT", "SOL-USDT"] },
  };
}

const closingRequests = (fake: FakeHummingbot) =>
  fake.requests.filter((r) => r.method === "POST" && r.path === "/trading/orders").map((r) => [r.body.trading_pair, r.body.trade_type, r.body.amount, r.body.order_type, r.body.position_action]);

async function seedDesk(label: string, config: Record<string, unknown>): Promise<string> {
  const tenantId = uniqueTenantId(label);
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: label, active: true });
  batch.set(db.doc(paths.config(tenantId)), openAllDay(config));
  batch.set(db.doc(paths.strategy(tenantId, "alpha")), { name: "Alpha", enabled: true, capital_base: 10_000, manual_mode: null });
  batch.set(db.doc(paths.accountSnapshot(tenantId)), ampleAccountSnapshot());
  await batch.commit();
  return tenantId;
}

let receiver: AlertReceiver;
let receiverUrl = "";
const SIGNING_KEY = process.env.MAESTRO_ALERT_SIGNING_KEY ?? "";

let fake: FakeHummingbot;
beforeAll(async () => {
  fake = await startFakeHummingbot({ username: USERNAME, password: PASSWORD, state: brokerState() });
  receiver = await startAlertReceiver();
  receiverUrl = receiver.url;
});
afterAll(async () => {
  await fake.close();
  await receiver.close();
});

describe("the emergency stop through the broker", () => {
  test("cancels every order (all pages), closes every position, revokes the licences, reports, stops the cycles; a second stop sends nothing twice", async () => {
    fake.reset();
    fillClosingOrdersAtOnce(fake);
    const broker = { kind: "hummingbot", base_url: fake.url, account_name: ACCOUNT, connectors: [PERP], page_size: 2, timeout_ms: 3_000 };
    const alerts = { channels: [{ kind: "webhook", url: `${receiverUrl}/hooks/maestro`, min_severity: "warning" }, { kind: "slack", url: `${receiverUrl}/slack`, min_severity: "critical" }] };
    const tenantId = await seedDesk("stop", { broker, emergency: { poll_interval_ms: 50 }, alerts });
    // An outstanding licence: an approved BUY not yet redeemed, its notional reserved.
    await db.doc(paths.signal(tenantId, "buy1")).set({ strategy_id: "alpha", action: "BUY", ticker: "SPY", allocation: 0.2, confidence: 0.6, reasoning: "", status: "pending", created_at: Timestamp.now() });
    const cycle = await orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "test" });
    const nonce = cycle.signals[0].nonce!;
    expect((await db.doc(paths.buyingPowerReservation(tenantId)).get()).get(`entries.${nonce}`)).toBeDefined();

    const admin = await memberOf(tenantId, "admin");
    const viewer = await memberOf(tenantId, "viewer");
    expect((await callCallable("emergencyStop", { tenant_id: tenantId, reason: "broker fat finger" }, viewer.idToken)).error?.status).toBe("PERMISSION_DENIED");
    expect((await callCallable("emergencyStop", { tenant_id: tenantId }, admin.idToken)).error).toMatchObject({ status: "INVALID_ARGUMENT", message: expect.stringMatching(/^reason: is required/) });
    expect(fake.requests).toHaveLength(0);

    const stop = await callCallable("emergencyStop", { tenant_id: tenantId, reason: "risk desk: flatten everything" }, admin.idToken);
    expect(stop.error).toBeUndefined();
    const report = stop.result.report;
    // Three orders, the third on the second page (the cursor is the last id of the first).
    expect(report.orders_cancelled.map((o: { client_order_id: string }) => o.client_order_id).sort()).toEqual(["ord-a", "ord-b", "ord-c"]);
    const listings = fake.requests.filter((r) => r.path === "/trading/orders/active");
    expect(listings.map((r) => r.body.cursor ?? null)).toEqual([null, "ord-b"]);
    // The three are gone; what the broker still lists are the stop's own closing market orders, submitted.
    expect(fake.state.orders.map((o) => [o.order_type, o.status]).sort()).toEqual([
      ["MARKET", "SUBMITTED"],
      ["MARKET", "SUBMITTED"],
    ]);
    expect(report.cancel_failures).toEqual([]);
    // Two closing market orders: SELL 0.5 BTC closes the long, BUY 2 ETH the short.
    expect(closingRequests(fake).sort()).toEqual([
      ["BTC-USDT", "SELL", 0.5, "MARKET", "CLOSE"],
      ["ETH-USDT", "BUY", 2, "MARKET", "CLOSE"],
    ]);
    expect(report).toMatchObject({ broker: "hummingbot", flat: true, still_open: [], nonces_revoked: 1, reservations_released: 1, signals_cancelled: 0, intents: [] });
    expect(report.closing_orders.map((c: { trading_pair: string; client_order_id: string | null }) => [c.trading_pair, typeof c.client_order_id])).toEqual(
      expect.arrayContaining([["BTC-USDT", "string"], ["ETH-USDT", "string"]]),
    );

    // The session: EMERGENCY_STOP by the admin, chained; the report kept on it.
    const session = TradingSessionSchema.parse((await db.doc(paths.tradingSession(tenantId, stop.result.day)).get()).data());
    expect(session.state).toBe("EMERGENCY_STOP");
    const last = session.transitions[session.transitions.length - 1];
    expect(last).toMatchObject({ from: "ACTIVE_TRADING", to: "EMERGENCY_STOP", actor: { kind: "admin", uid: admin.uid }, reason: "risk desk: flatten everything" });
    expect((await db.doc(paths.log(last.log_id!)).get()).get("kind")).toBe("trading_session_transition");
    expect(session.emergency).toMatchObject({ stops: 1, triggered_by: { kind: "admin", uid: admin.uid }, report: { flat: true } });
    // The licence is revoked and licenses nothing; its reservation is gone.
    expect((await db.doc(paths.nonce(tenantId, nonce)).get()).get("revoked_at")).toEqual(expect.any(String));
    expect((await db.doc(paths.buyingPowerReservation(tenantId)).get()).get(`entries.${nonce}`)).toBeUndefined();
    const trader = await memberOf(tenantId, "trader");
    const redeemed = await callCallable("redeemNonce", { tenant_id: tenantId, nonce }, trader.idToken);
    expect(redeemed.error).toMatchObject({ status: "FAILED_PRECONDITION", message: expect.stringMatching(/was revoked at .* \(emergency stop: risk desk: flatten everything\)/) });
    // No cycle orchestrates in EMERGENCY_STOP; the signal stays pending.
    await db.doc(paths.signal(tenantId, "buy2")).set({ strategy_id: "alpha", action: "BUY", ticker: "SPY", allocation: 0.1, confidence: 0.6, reasoning: "", status: "pending", created_at: Timestamp.now() });
    await expect(orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "test" })).rejects.toBeInstanceOf(SessionNotTrading);
    expect((await db.doc(paths.signal(tenantId, "buy2")).get()).get("status")).toBe("pending");
    const actions = (await db.collection(paths.adminActions(tenantId)).where("action", "==", "emergency_stop").get()).docs.map((d) => d.data());
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ actor_uid: admin.uid, reason: "risk desk: flatten everything", report: { flat: true } });

    // The alert, delivered by the deployed trigger: signed over "{timestamp}.{body}", within the replay window; and to Slack as text.
    const hook = await waitForReceived((r) => r.path === "/hooks/maestro" && JSON.parse(r.body).code === "EMERGENCY_STOP");
    const timestamp = String(hook.headers["x-maestro-timestamp"]);
    expect(hook.headers["x-maestro-signature"]).toBe(alertSignature(SIGNING_KEY, timestamp, hook.body));
    expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(300);
    expect(JSON.parse(hook.body)).toMatchObject({ tenant_id: tenantId, severity: "critical", code: "EMERGENCY_STOP", message: expect.stringMatching(/^Stopped by admin .*: risk desk: flatten everything\. 3 order\(s\) cancelled, 2 closing order\(s\), flat\.$/) });
    const slack = await waitForReceived((r) => r.path === "/slack" && r.body.includes(tenantId));
    expect(JSON.parse(slack.body).text).toMatch(/^\[CRITICAL\] Emergency stop \(stop-[0-9a-f]+\): Stopped by admin/);

    // A second stop (or a retried one): listings and cancels again, never a second closing order.
    const placed = closingRequests(fake).length;
    fake.state.positions = brokerState().positions; // as if the fills had not happened yet
    const again = await callCallable("emergencyStop", { tenant_id: tenantId, reason: "pressed twice" }, admin.idToken);
    expect(again.error).toBeUndefined();
    expect(closingRequests(fake)).toHaveLength(placed);
    // Nor does it cancel the first stop's closing orders, still working at the broker.
    expect(again.result.report.orders_cancelled).toEqual([]);
    // The signal left pending through the stop is cancelled by this one: nothing re-enters on it after a resume.
    expect(again.result.report.signals_cancelled).toBe(1);
    expect((await db.doc(paths.signal(tenantId, "buy2")).get()).data()).toMatchObject({ status: "rejected", rejection_reason: "cancelled by the emergency stop: pressed twice" });
    expect(fake.state.orders.map((o) => o.order_type)).toEqual(["MARKET", "MARKET"]);
    expect(again.result.report.flat).toBe(false);
    expect(again.result.report.still_open.map((o: { trading_pair: string; why: string }) => [o.trading_pair, o.why]).sort()).toEqual([
      ["BTC-USDT", expect.stringMatching(/^closing order .+ acknowledged, not yet filled after 5 listing\(s\)$/)],
      ["ETH-USDT", expect.stringMatching(/^closing order .+ acknowledged, not yet filled after 5 listing\(s\)$/)],
    ]);
    const twice = TradingSessionSchema.parse((await db.doc(paths.tradingSession(tenantId, stop.result.day)).get()).data());
    expect(twice.emergency!.stops).toBe(2);
    expect(twice.transitions.filter((t) => t.to === "EMERGENCY_STOP")).toHaveLength(1);

    // resumeTrading: refused while the broker still shows the closing orders working and the positions open.
    const early = await callCallable("resumeTrading", { tenant_id: tenantId, reason: "looks fine" }, admin.idToken);
    expect(early.error?.status).toBe("FAILED_PRECONDITION");
    expect(early.error?.message).toMatch(/^not reconciled, EMERGENCY_STOP stays: 2 order\(s\) still working at the broker: .*; 2 position\(s\) still open at the broker: LONG 0\.5 BTC-USDT on binance_perpetual, SHORT 2 ETH-USDT on binance_perpetual$/);
    await expect(orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "test" })).rejects.toBeInstanceOf(SessionNotTrading);
    // The closing orders fill: nothing working, nothing open. Now it resumes, into the clock's phase.
    fake.state.orders = [];
    fake.state.positions = [];
    const resumed = await callCallable("resumeTrading", { tenant_id: tenantId, reason: "flat and reconciled with the broker" }, admin.idToken);
    expect(resumed.error).toBeUndefined();
    expect(resumed.result).toMatchObject({ state: "ACTIVE_TRADING", checks: [expect.stringMatching(/^broker hummingbot 1\.0\.1 reachable and ready$/), "no order working at the broker", "no position open at the broker"] });
    const back = TradingSessionSchema.parse((await db.doc(paths.tradingSession(tenantId, stop.result.day)).get()).data());
    expect(back.transitions.slice(-2).map((t) => [t.from, t.to, t.actor.kind])).toEqual([
      ["EMERGENCY_STOP", "PAUSED", "admin"],
      ["PAUSED", "ACTIVE_TRADING", "admin"],
    ]);
    expect(back.emergency!.reconciled).toMatchObject({ by: admin.uid, reason: "flat and reconciled with the broker", broker: "hummingbot" });
    // A signal written after the resume trades.
    await db.doc(paths.signal(tenantId, "buy3")).set({ strategy_id: "alpha", action: "BUY", ticker: "SPY", allocation: 0.1, confidence: 0.6, reasoning: "", status: "pending", created_at: Timestamp.now() });
    const after = await orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "test" });
    expect(after.signals.map((x) => [x.signal_id, x.executable])).toEqual([["buy3", true]]);
  }, 120_000);

  test("a broker still loading its trading rules (503): bounded retries, and the report says what is still open and why", async () => {
    fake.reset();
    fillClosingOrdersAtOnce(fake);
    fake.faults.tradingRulesNotLoaded = 1_000;
    const config = { kind: "hummingbot" as const, base_url: fake.url, account_name: ACCOUNT, connectors: [PERP], page_size: 100, timeout_ms: 3_000, max_pages: 50 };
    const tenantId = await seedDesk("stop-503", { broker: config, emergency: { poll_interval_ms: 10, poll_attempts: 3, call_attempts: 2 } });
    const adapter = new HummingbotAdapter(config, { username: USERNAME, password: PASSWORD }, { pageSize: 100 });
    const slept: number[] = [];
    const out = await emergencyStop(db, { tenantId, reason: "feed dark", actor: { kind: "guardian", code: "TEST" }, broker: adapter, sleep: async (ms) => void slept.push(ms) });
    // Each closing order tried twice (call_attempts), each refused before anything was sent.
    expect(closingRequests(fake)).toHaveLength(4);
    expect(out.report.orders_cancelled).toHaveLength(3);
    expect(out.report).toMatchObject({ flat: false, polls: 3 });
    expect(out.report.still_open.map((o) => [o.trading_pair, o.side, o.amount]).sort()).toEqual([
      ["BTC-USDT", "LONG", 0.5],
      ["ETH-USDT", "SHORT", 2],
    ]);
    for (const o of out.report.still_open) expect(o.why).toMatch(/^its closing order failed: POST \/trading\/orders: unavailable \(HTTP 503\): Trading rules not yet loaded for binance_perpetual/);
    // Two backoffs between order attempts, two waits between the three listings.
    expect(slept.filter((ms) => ms === 10)).toHaveLength(2);
  }, 60_000);
});

describe("the emergency stop without a broker", () => {
  test("writes the steps as execution intents for the execution side, once", async () => {
    const tenantId = await seedDesk("stop-intents", {});
    await db.doc(paths.positions(tenantId)).set({
      tenant_id: tenantId,
      strategies: { alpha: { positions: { SPY: 10, QQQ: -3 }, as_of_day: "2026-11-27" }, beta: { positions: { SPY: -4 }, as_of_day: "2026-11-27" } },
    });
    const first = await emergencyStop(db, { tenantId, reason: "no broker, stop anyway", actor: { kind: "admin", uid: "ops" } });
    // Net positions: SPY 10 − 4 = 6 long → SELL 6; QQQ −3 short → BUY 3.
    const intents = Object.fromEntries((await db.collection(`tenants/${tenantId}/execution_intents`).get()).docs.map((d) => [d.id, d.data()]));
    const day = first.day;
    expect(Object.keys(intents).sort()).toEqual([`${day}_cancel_all_orders`, `${day}_close_QQQ`, `${day}_close_SPY`]);
    expect(intents[`${day}_close_SPY`]).toMatchObject({ kind: "close_position", symbol: "SPY", side: "SELL", quantity: 6, order_type: "MARKET", status: "pending" });
    expect(intents[`${day}_close_QQQ`]).toMatchObject({ kind: "close_position", symbol: "QQQ", side: "BUY", quantity: 3 });
    expect(first.report).toMatchObject({ broker: null, flat: false, intents: [`${day}_cancel_all_orders`, `${day}_close_QQQ`, `${day}_close_SPY`] });
    const createdAt = intents[`${day}_close_SPY`].created_at;
    await emergencyStop(db, { tenantId, reason: "again", actor: { kind: "admin", uid: "ops" } });
    const after = await db.collection(`tenants/${tenantId}/execution_intents`).get();
    expect(after.size).toBe(3);
    expect(after.docs.find((d) => d.id === `${day}_close_SPY`)!.get("created_at")).toBe(createdAt);

    // Nobody resumed it: the next day's session starts in EMERGENCY_STOP too.
    const tomorrow = new Date(Date.parse(`${day}T12:00:00Z`) + 86_400_000);
    await expect(orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "test", now: () => tomorrow })).rejects.toBeInstanceOf(SessionNotTrading);
    const next = TradingSessionSchema.parse((await db.doc(paths.tradingSession(tenantId, tomorrow.toISOString().slice(0, 10))).get()).data());
    expect(next.state).toBe("EMERGENCY_STOP");
    expect(next.transitions[0]).toMatchObject({ from: "INIT", to: "EMERGENCY_STOP", actor: { kind: "guardian", code: "EMERGENCY_CARRIED_OVER" } });
    expect(next.emergency?.report?.intents).toEqual(first.report.intents);

    // Resuming needs every intent done by the execution side.
    const pending = resumeTrading(db, { tenantId, uid: "ops", reason: "all clear", now: () => tomorrow });
    await expect(pending).rejects.toThrow(/^not reconciled, EMERGENCY_STOP stays: 3 execution intent\(s\) not done by the execution side/);
    for (const d of after.docs) await d.ref.update({ status: "done" });
    const resumed = await resumeTrading(db, { tenantId, uid: "ops", reason: "all clear", now: () => tomorrow });
    expect(resumed).toEqual({ day: tomorrow.toISOString().slice(0, 10), state: "ACTIVE_TRADING", checks: ["all 3 execution intent(s) done"] });
  }, 60_000);
});

describe("the health check", () => {
  test("a healthy broker syncs the account snapshot; silent for 30 s while the session trades, it stops the desk by itself", async () => {
    fake.reset();
    const config = { kind: "hummingbot" as const, base_url: fake.url, account_name: ACCOUNT, connectors: [PERP], page_size: 100, timeout_ms: 200, max_pages: 50 };
    const tenantId = await seedDesk("health", { broker: config, emergency: { poll_interval_ms: 10, poll_attempts: 2, call_attempts: 1 } });
    const adapter = new HummingbotAdapter(config, { username: USERNAME, password: PASSWORD }, { pageSize: 100 });
    const t0 = new Date();

    const healthy = await checkTenantHealth(db, tenantId, { now: t0, broker: adapter });
    // Healthy; the broker's two positions are not Maestro's strategies' (none here): info only.
    expect(healthy).toMatchObject({ tier: "info", reasons: [], account_synced: true, positions_synced: true, broker: { kind: "hummingbot", reachable: true, ready: true }, emergency_stop: { triggered: false } });
    expect(healthy.info).toEqual([
      "position BTC-USDT: the broker holds 0.5, Maestro's strategies 0 (difference 0.5)",
      "position ETH-USDT: the broker holds -2, Maestro's strategies 0 (difference -2)",
    ]);
    // The broker's portfolio: 50,000 USDT, 40,000 of it available.
    const snapshot = (await db.doc(paths.accountSnapshot(tenantId)).get()).data()!;
    expect(snapshot).toMatchObject({ equity: 50_000, buying_power: 40_000, source: "broker" });

    // The broker goes silent (every answer slower than the 200 ms timeout).
    fake.faults.delayMs = 1_000;
    const first = await checkTenantHealth(db, tenantId, { now: new Date(t0.getTime() + 60_000), broker: adapter });
    expect(first).toMatchObject({ tier: "warning", broker_down_since: new Date(t0.getTime() + 60_000).toISOString(), emergency_stop: { triggered: false } });
    expect(first.reasons[0]).toMatch(/^broker unreachable for 0 s .*: timeout: /);
    const later = new Date(t0.getTime() + 91_000);
    const second = await checkTenantHealth(db, tenantId, { now: later, broker: adapter });
    expect(second).toMatchObject({ tier: "critical", session_state: "EMERGENCY_STOP", emergency_stop: { triggered: true, reason: expect.stringMatching(/^broker unreachable for 31 s \(timeout: /) } });

    const session = TradingSessionSchema.parse((await db.doc(paths.tradingSession(tenantId, second.session_day)).get()).data());
    expect(session.state).toBe("EMERGENCY_STOP");
    expect(session.transitions[session.transitions.length - 1]).toMatchObject({ to: "EMERGENCY_STOP", actor: { kind: "guardian", code: "BROKER_UNREACHABLE" } });
    // Through a silent broker nothing could be cancelled or closed, and the report says so.
    expect(session.emergency!.report).toMatchObject({ broker: "hummingbot", flat: false, cancel_failures: [{ client_order_id: "(listing)", why: expect.stringMatching(/^the active orders could not be listed: .*timeout/) }] });
    expect(session.emergency!.report!.still_open.map((o) => o.why)).toEqual(expect.arrayContaining([expect.stringMatching(/^the positions could not be listed: .*timeout/)]));
    const history = await db.collection(`tenants/${tenantId}/health_history`).get();
    expect(history.docs.map((d) => d.get("tier"))).toEqual(["info", "warning", "critical"]);
    // The stop holds: a later critical check does not stop it again.
    const third = await checkTenantHealth(db, tenantId, { now: new Date(later.getTime() + 60_000), broker: adapter });
    expect(third.emergency_stop.triggered).toBe(false);
    expect((await db.collection(paths.adminActions(tenantId)).where("action", "==", "emergency_stop").get()).size).toBe(1);
  }, 60_000);
});

async function waitForReceived(match: (r: ReceivedAlert) => boolean): Promise<ReceivedAlert> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const hit = receiver.received.find(match);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no matching alert delivery among ${receiver.received.length} received`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

