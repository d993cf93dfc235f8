/**
 * The health check's tiers acting on the trading session (issue 11, seed 001 "Error
 * Handling"), on the emulators:
 *  - a warning (the broker briefly silent; stale market data; a stage failing twice) pauses
 *    entries: ACTIVE_TRADING → PAUSED by the guardian, the entry held with SESSION_PAUSED
 *    while the exit passes; the first check back at ok resumes it; an admin's pause is never
 *    lifted by the check;
 *  - critical: the risk guardian's session loss-limit lock stops the desk, once per lock
 *    (not again after a resume); market data past its failure age is a data feed failure;
 *  - a healthy broker's positions are synced to account/positions and compared with
 *    Maestro's strategies' positions (info, no pause).
 */
import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { HummingbotAdapter } from "../../src/broker/hummingbot";
import { resumeTrading } from "../../src/store/emergency";
import { retryUntilEndCondition } from "../../src/store/retries";
import { checkTenantHealth } from "../../src/stages/health";
import { orchestrateTenant } from "../../src/stages/orchestration";
import { paths } from "../../src/store/paths";
import { TradingSessionSchema, type TradingSession } from "../../src/schemas";
import { adminDb, ampleAccountSnapshot, callCallable, memberOf, openAllDay, uniqueTenantId, hummingbotTestCredentials } from "../support/emulator";
import { startFakeHummingbot, type FakeHummingbot } from "../../src/tools/loopback-hummingbot";

const db: Firestore = adminDb();
const { username: USERNAME, password: PASSWORD } = hummingbotTestCredentials();
const ACCOUNT = "desk_main";
const PERP = "binance_perpetual";

let fake: FakeHummingbot;
beforeAll(async () => {
  fake = await startFakeHummingbot({
    username: USERNAME,
    password: PASSWORD,
    state: {
      portfolio: { [ACCOUNT]: { [PERP]: [{ token: "USDT", units: 50_000, price: 1, value: 50_000, available_units: 40_000 }] } },
      orders: [],
      positions: [
        { account_name: ACCOUNT, connector_name: PERP, trading_pair: "BTC-USDT", side: "LONG", amount: 0.5, entry_price: 58_000, unrealized_pnl: -900, leverage: 3 },
        { account_name: ACCOUNT, connector_name: PERP, trading_pair: "ETH-USDT", side: "SHORT", amount: -2, entry_price: 3_600, unrealized_pnl: -400, leverage: 2 },
      ],
      trades: [],
      trading_rules: { [PERP]: ["BTC-USDT", "ETH-USDT"] },
    },
  });
});
afterAll(async () => {
  await fake.close();
});

const brokerConfig = () => ({ kind: "hummingbot" as const, base_url: fake.url, account_name: ACCOUNT, connectors: [PERP], page_size: 100, timeout_ms: 200, max_pages: 50 });
const adapter = () => new HummingbotAdapter(brokerConfig(), { username: USERNAME, password: PASSWORD }, { pageSize: 100 });

/** A 24/7 desk whose strategy alpha holds 0.5 BTC-USDT (its SELL is an exit). */
async function seedDesk(label: string, config: Record<string, unknown>, equity?: number): Promise<string> {
  const tenantId = uniqueTenantId(label);
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: label, active: true });
  batch.set(db.doc(paths.config(tenantId)), openAllDay(config));
  batch.set(db.doc(paths.strategy(tenantId, "alpha")), { name: "Alpha", enabled: true, capital_base: 10_000, manual_mode: null });
  batch.set(db.doc(paths.positions(tenantId)), { tenant_id: tenantId, strategies: { alpha: { positions: { "BTC-USDT": 0.5 }, as_of_day: null, closed_trades: [] } } });
  batch.set(db.doc(paths.accountSnapshot(tenantId)), equity === undefined ? ampleAccountSnapshot() : { equity, buying_power: 1_000_000, as_of: new Date().toISOString() });
  await batch.commit();
  return tenantId;
}

let signalNo = 0;
async function addSignal(tenantId: string, action: "BUY" | "SELL", ticker: string): Promise<string> {
  signalNo += 1;
  const id = `sig-${String(signalNo).padStart(3, "0")}`;
  await db.doc(paths.signal(tenantId, id)).set({ strategy_id: "alpha", action, ticker, allocation: 0.05, confidence: 0.7, reasoning: "", status: "pending", created_at: Timestamp.now() });
  return id;
}

const cycle = (tenantId: string) => orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "test" });

async function sessionOf(tenantId: string, day: string): Promise<TradingSession> {
  return TradingSessionSchema.parse((await db.doc(paths.tradingSession(tenantId, day)).get()).data());
}

const lastMove = (s: TradingSession) => s.transitions[s.transitions.length - 1];

describe("a warning pauses entries", () => {
  test("the broker silent for a moment pauses entries (the exit still passes); the first ok check resumes them; an admin's pause stays", async () => {
    fake.reset();
    // Equity as the broker's portfolio reports it (50,000), so its sync is no jump for the guardian.
    const tenantId = await seedDesk("health-pause", { broker: brokerConfig() }, 50_000);
    await addSignal(tenantId, "BUY", "SOL-USDT");
    const opened = await cycle(tenantId);
    expect(opened.signals[0]).toMatchObject({ action: "BUY", executable: true });

    const t0 = new Date();
    fake.faults.delayMs = 1_000; // slower than the 200 ms timeout: down, not yet for 30 s
    const warning = await checkTenantHealth(db, tenantId, { now: t0, broker: adapter() });
    expect(warning).toMatchObject({ tier: "warning", entries: "paused", session_state: "PAUSED", emergency_stop: { triggered: false } });
    expect(warning.reasons[0]).toMatch(/^broker unreachable for 0 s .*: timeout: /);
    const day = warning.session_day;
    const paused = await sessionOf(tenantId, day);
    expect(paused.state).toBe("PAUSED");
    expect(lastMove(paused)).toMatchObject({ from: "ACTIVE_TRADING", to: "PAUSED", actor: { kind: "guardian", code: "HEALTH_WARNING" }, reason: expect.stringMatching(/^health warning: broker unreachable/) });
    expect(paused.summary.alerts.map((a) => a.code)).toContain("HEALTH_PAUSE");

    // While paused: the entry is held, the exit (alpha holds BTC-USDT) passes.
    const entry = await addSignal(tenantId, "BUY", "ETH-USDT");
    const exit = await addSignal(tenantId, "SELL", "BTC-USDT");
    const during = await cycle(tenantId);
    const byId = Object.fromEntries(during.signals.map((s) => [s.signal_id, s]));
    expect(byId[entry]).toMatchObject({ action: "HOLD", executable: false });
    expect(byId[entry].interventions.map((i) => i.code)).toEqual(["SESSION_PAUSED"]);
    expect(byId[exit]).toMatchObject({ action: "SELL", executable: true });

    // The broker answers again: the check resumes its own pause.
    fake.faults.delayMs = 0;
    const back = await checkTenantHealth(db, tenantId, { now: new Date(t0.getTime() + 60_000), broker: adapter() });
    expect(back).toMatchObject({ entries: "resumed", session_state: "ACTIVE_TRADING", broker_down_since: null });
    expect(["ok", "info"]).toContain(back.tier);
    const resumed = await sessionOf(tenantId, day);
    expect(lastMove(resumed)).toMatchObject({ from: "PAUSED", to: "ACTIVE_TRADING", actor: { kind: "guardian", code: "HEALTH_WARNING" } });
    await addSignal(tenantId, "BUY", "ETH-USDT");
    expect((await cycle(tenantId)).signals[0]).toMatchObject({ action: "BUY", executable: true });

    // An admin's pause is the admin's: a healthy check does not lift it.
    const admin = await memberOf(tenantId, "admin");
    const pause = await callCallable("pauseTradingSession", { tenant_id: tenantId, reason: "desk review" }, admin.idToken);
    expect(pause.error).toBeUndefined();
    const still = await checkTenantHealth(db, tenantId, { now: new Date(t0.getTime() + 120_000), broker: adapter() });
    expect(still).toMatchObject({ entries: null, session_state: "PAUSED" });
    expect(lastMove(await sessionOf(tenantId, day))).toMatchObject({ to: "PAUSED", actor: { kind: "admin", uid: admin.uid } });
  }, 90_000);

  test("a stage failing twice within the window is a warning naming it and pauses entries; a failing alert delivery does not", async () => {
    const tenantId = await seedDesk("health-stages", { health: { stage_failure_window_seconds: 60 } });
    await addSignal(tenantId, "BUY", "SOL-USDT");
    await cycle(tenantId);
    const now = new Date();
    const fail = (trigger: string, message: string) =>
      retryUntilEndCondition(
        db,
        { id: `${tenantId}-${trigger}-${Math.random()}`, time: now, trigger, source: "test", tenant_id: tenantId, body: "" },
        { max_age_ms: 3_600_000, max_attempts: 10, since: "publication" },
        async () => {
          throw new Error(message);
        },
        { now: () => now },
      ).catch((e: Error) => e);
    // Three failed deliveries of an alert: recorded, never a reason to pause.
    for (let i = 0; i < 3; i++) expect(await fail("onAlertCreated", "receiver: ECONNREFUSED")).toBeInstanceOf(Error);
    const info = await checkTenantHealth(db, tenantId, { now, broker: null });
    expect(info).toMatchObject({ tier: "info", entries: null, failing_stages: [], info: ["stage onAlertCreated failed 3 time(s) in the last 60 s (last: receiver: ECONNREFUSED)"] });

    expect(await fail("onMarketCycle", "deadline exceeded")).toBeInstanceOf(Error);
    expect((await checkTenantHealth(db, tenantId, { now, broker: null })).failing_stages).toEqual([]);
    expect(await fail("onMarketCycle", "deadline exceeded again")).toBeInstanceOf(Error);
    const warning = await checkTenantHealth(db, tenantId, { now, broker: null });
    expect(warning).toMatchObject({ tier: "warning", failing_stages: ["onMarketCycle"], entries: "paused" });
    expect(warning.reasons).toEqual(["stage onMarketCycle failed 2 time(s) in the last 60 s (last: deadline exceeded again), at or past health.stage_failures_warning 2"]);
    const stored = (await db.doc(paths.healthStages(tenantId)).get()).get("stages");
    expect(stored.onMarketCycle.at).toHaveLength(2);
    expect(stored.onAlertCreated.at).toHaveLength(3);
    // A minute later the failures have left the window: entries resume.
    const later = await checkTenantHealth(db, tenantId, { now: new Date(now.getTime() + 61_000), broker: null });
    expect(later).toMatchObject({ tier: "ok", entries: "resumed", failing_stages: [] });
  }, 60_000);
});

describe("critical conditions stop the desk", () => {
  test("the session loss limit stops the desk, once per lock: not again after a resume", async () => {
    const tenantId = await seedDesk("health-loss", {}, 100_000);
    await addSignal(tenantId, "BUY", "SOL-USDT");
    await cycle(tenantId);
    // 100,000 → 96,900: a loss of 3,100 ≥ 3 % of the starting equity.
    await db.doc(paths.accountSnapshot(tenantId)).set({ equity: 96_900, buying_power: 1_000_000, as_of: new Date().toISOString() });
    await addSignal(tenantId, "BUY", "ETH-USDT");
    const locked = await cycle(tenantId);
    expect(locked.signals[0].interventions.map((i) => i.code)).toEqual(["SESSION_LOSS_LIMIT"]);

    const check = await checkTenantHealth(db, tenantId, { now: new Date(), broker: null });
    expect(check).toMatchObject({ tier: "critical", stop_code: "SESSION_LOSS_LIMIT", session_state: "EMERGENCY_STOP", emergency_stop: { triggered: true, reason: expect.stringMatching(/^session loss limit: /) } });
    const stopped = await sessionOf(tenantId, check.session_day);
    expect(lastMove(stopped)).toMatchObject({ to: "EMERGENCY_STOP", actor: { kind: "guardian", code: "SESSION_LOSS_LIMIT" } });
    // Without a broker the flatten is written for the execution side.
    const intents = await db.collection(`tenants/${tenantId}/execution_intents`).get();
    expect(intents.size).toBeGreaterThan(0);

    // Stopped: another check does not stop again.
    expect((await checkTenantHealth(db, tenantId, { now: new Date(), broker: null })).emergency_stop.triggered).toBe(false);
    // Reconciled and resumed: the lock still holds entries until the close, but it has been answered.
    for (const d of intents.docs) await d.ref.update({ status: "done" });
    const resumed = await resumeTrading(db, { tenantId, uid: "ops", reason: "flat, reviewed", broker: null });
    expect(resumed.state).toBe("ACTIVE_TRADING");
    const after = await checkTenantHealth(db, tenantId, { now: new Date(), broker: null });
    expect(after).toMatchObject({ emergency_stop: { triggered: false }, stop_code: null, session_state: "ACTIVE_TRADING" });
    expect(after.tier).not.toBe("critical");
    expect((await db.collection(paths.adminActions(tenantId)).where("action", "==", "emergency_stop").get()).size).toBe(1);
  }, 60_000);

  test("market data: stale pauses entries, fresh resumes them, past the failure age it is a data feed failure and stops", async () => {
    const tenantId = await seedDesk("health-feed", { health: { market_data: { stale_seconds: 120, failure_seconds: 600 } } });
    await addSignal(tenantId, "BUY", "SOL-USDT");
    await cycle(tenantId);
    const now = new Date();
    const feed = (secondsAgo: number) => db.doc(paths.marketData(tenantId)).set({ as_of: new Date(now.getTime() - secondsAgo * 1000).toISOString(), prices: { "SOL-USDT": 120 } });

    await feed(200);
    const stale = await checkTenantHealth(db, tenantId, { now, broker: null });
    expect(stale).toMatchObject({ tier: "warning", entries: "paused", reasons: ["market data 200 s old, more than health.market_data.stale_seconds 120"] });
    await feed(5);
    expect(await checkTenantHealth(db, tenantId, { now, broker: null })).toMatchObject({ tier: "ok", entries: "resumed" });
    await feed(700);
    const failed = await checkTenantHealth(db, tenantId, { now, broker: null });
    expect(failed).toMatchObject({ tier: "critical", stop_code: "DATA_FEED_FAILURE", emergency_stop: { triggered: true, reason: "data feed failure: market data 700 s old" }, session_state: "EMERGENCY_STOP" });
    expect(lastMove(await sessionOf(tenantId, failed.session_day))).toMatchObject({ to: "EMERGENCY_STOP", actor: { kind: "guardian", code: "DATA_FEED_FAILURE" } });
  }, 60_000);
});

describe("the portfolio drawdown stop (issue 12)", () => {
  test("equity 10 % below the desk's high-water mark stops it and cancels the pending signals; after the resume the mark restarts", async () => {
    const tenantId = await seedDesk("health-drawdown", {}, 200_000);
    await addSignal(tenantId, "BUY", "SOL-USDT");
    await cycle(tenantId);
    const equity = (value: number) => db.doc(paths.accountSnapshot(tenantId)).set({ equity: value, buying_power: 1_000_000, as_of: new Date().toISOString() });

    const first = await checkTenantHealth(db, tenantId, { now: new Date(), broker: null });
    expect(first.portfolio_high_water).toMatchObject({ value: 200_000 });
    await equity(210_000);
    expect((await checkTenantHealth(db, tenantId, { now: new Date(), broker: null })).portfolio_high_water).toMatchObject({ value: 210_000 });

    // A signal waiting for the next cycle, then a fall to 188,000: (210,000 − 188,000) / 210,000 = 10.48 % ≥ 10 %.
    const waiting = await addSignal(tenantId, "BUY", "ETH-USDT");
    await equity(188_000);
    const stop = await checkTenantHealth(db, tenantId, { now: new Date(), broker: null });
    expect(stop).toMatchObject({ tier: "critical", stop_code: "PORTFOLIO_DRAWDOWN", session_state: "EMERGENCY_STOP", emergency_stop: { triggered: true } });
    expect(stop.reasons).toContain("equity 188000 is 10.48 % below the desk's high-water mark 210000, at or past risk.max_portfolio_drawdown_pct 10");
    const signal = (await db.doc(paths.signal(tenantId, waiting)).get()).data()!;
    expect(signal).toMatchObject({ status: "rejected", rejection_reason: expect.stringMatching(/^cancelled by the emergency stop: portfolio drawdown: /) });
    const session = await sessionOf(tenantId, stop.session_day);
    expect(session.emergency!.report).toMatchObject({ signals_cancelled: 1 });
    expect(lastMove(session)).toMatchObject({ to: "EMERGENCY_STOP", actor: { kind: "guardian", code: "PORTFOLIO_DRAWDOWN" } });

    // Reconciled and resumed at 188,000: the mark restarts there, and the desk is not stopped again by the same loss.
    const intents = await db.collection(`tenants/${tenantId}/execution_intents`).get();
    for (const d of intents.docs) await d.ref.update({ status: "done" });
    await resumeTrading(db, { tenantId, uid: "ops", reason: "drawdown reviewed", broker: null });
    const after = await checkTenantHealth(db, tenantId, { now: new Date(), broker: null });
    expect(after).toMatchObject({ tier: "ok", emergency_stop: { triggered: false }, portfolio_high_water: { value: 188_000 } });
  }, 60_000);
});

describe("the broker's positions", () => {
  test("are synced to account/positions and compared with Maestro's strategies' (a difference is info, not a pause)", async () => {
    fake.reset();
    const tenantId = await seedDesk("health-positions", { broker: brokerConfig() }, 50_000);
    const record = await checkTenantHealth(db, tenantId, { now: new Date(), broker: adapter() });
    expect(record).toMatchObject({ tier: "info", positions_synced: true, account_synced: true, entries: null, reasons: [] });
    // The broker: LONG 0.5 BTC-USDT, SHORT 2 ETH-USDT; alpha holds 0.5 BTC-USDT only.
    expect(record.info).toEqual(["position ETH-USDT: the broker holds -2, Maestro's strategies 0 (difference -2)"]);
    const synced = (await db.doc(paths.accountPositions(tenantId)).get()).data()!;
    expect(synced).toMatchObject({ source: "broker", net: { "BTC-USDT": 0.5, "ETH-USDT": -2 } });
    expect(synced.positions.map((p: { trading_pair: string; side: string }) => `${p.side} ${p.trading_pair}`).sort()).toEqual(["LONG BTC-USDT", "SHORT ETH-USDT"]);
  }, 60_000);
});
