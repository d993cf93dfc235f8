/**
 * A scripted trading-session day on the emulators (issue 10, "Proof"). A desk on New York
 * exchange hours (09:30–16:00, a 30-minute pre-market and post-market window) is woken by
 * market-cycle messages whose slots walk through one day, so the clock the session reads is
 * the slot's, whatever the hour CI runs at (the day is a weekday a few days ahead, so the
 * session's locks, which last until that day's close, are in force when the test runs).
 *
 * Through the day: no cycle before the pre-market window (the fan-out does not wake the
 * desk), PRE_MARKET orchestrates nothing, the open walks PRE_MARKET → SESSION_OPEN →
 * ACTIVE_TRADING and the cycle runs; equity climbs to a high-water mark of 102,000, then
 * falls to 98,900: 3,100 below the mark is past 3 % of the 100,000 starting equity, so the
 * entry is denied with SESSION_LOSS_LIMIT while the exit passes. Equity recovers; the lock
 * holds, in the next in-process cycle and in one run by the Functions emulator (another
 * process: state in Firestore, not in memory). At the close, POST_MARKET writes the report;
 * after the window, SHUTDOWN. Every move is in the log chain, which verifies intact, and
 * every orchestration's audit passes.
 *
 * A second desk trades around the clock and is paused, resumed and has a lock lifted
 * through the admin callables (which act on the current venue day).
 */
import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { configuredChainKeys } from "../../src/params";
import { MARKET_CYCLE_TOPIC, handleMarketCycle, orchestrateTenant } from "../../src/stages/orchestration";
import { fanOutMarketCycles } from "../../src/stages/market-cycles";
import { verifyChainPage } from "../../src/store/log-chain";
import { paths } from "../../src/store/paths";
import { TradingSessionSchema, type TradingSession } from "../../src/schemas";
import { adminDb, callCallable, memberOf, openAllDay, publish, uniqueTenantId, waitFor } from "../support/emulator";

const db: Firestore = adminDb();

/** A weekday at least three days ahead, as YYYY-MM-DD (New York's calendar is close enough to UTC's here). */
function weekdayAhead(): string {
  const d = new Date(Date.now() + 3 * 86_400_000);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
const DAY = weekdayAhead();
/** New York wall time on DAY → the instant (EST or EDT, whichever DAY is in). */
function ny(hhmm: string): Date {
  const guess = new Date(`${DAY}T${hhmm}:00-05:00`);
  const shown = new Intl.DateTimeFormat("en-GB", { timeZone: "America/New_York", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(guess);
  return shown === hhmm ? guess : new Date(`${DAY}T${hhmm}:00-04:00`);
}

const NY_HOURS = { time_zone: "America/New_York", open: "09:30", close: "16:00", trading_days: [1, 2, 3, 4, 5], holidays: [] };

async function sessionOf(tenantId: string, day = DAY): Promise<TradingSession> {
  return TradingSessionSchema.parse((await db.doc(paths.tradingSession(tenantId, day)).get()).data());
}

async function setEquity(tenantId: string, equity: number): Promise<void> {
  await db.doc(paths.accountSnapshot(tenantId)).set({ equity, buying_power: 1_000_000, as_of: new Date().toISOString() });
}

let signalNo = 0;
async function addSignal(tenantId: string, strategy_id: string, action: "BUY" | "SELL", ticker: string, allocation = 0.1): Promise<string> {
  signalNo += 1;
  const id = `sig-${String(signalNo).padStart(3, "0")}`;
  await db.doc(paths.signal(tenantId, id)).set({ strategy_id, action, ticker, allocation, confidence: 0.7, reasoning: "", status: "pending", created_at: Timestamp.now() });
  return id;
}

/** The market cycle of the slot at New York time `hhmm` on DAY, run in this process. */
async function cycleAt(tenantId: string, hhmm: string) {
  const slot = ny(hhmm).toISOString();
  return handleMarketCycle(db, { id: `msg-${tenantId}-${hhmm}`, time: new Date(), text: JSON.stringify({ tenant_id: tenantId, slot }) });
}

async function orchestrationOf(tenantId: string, sessionId: string) {
  return (await db.doc(paths.orchestration(tenantId, sessionId)).get()).data()!;
}

describe("a scripted session day on exchange hours", () => {
  const tenantId = uniqueTenantId("session-day");
  const sessionIds: string[] = [];

  beforeAll(async () => {
    const batch = db.batch();
    batch.set(db.doc(paths.tenant(tenantId)), { name: "Session Day", active: true });
    batch.set(db.doc(paths.config(tenantId)), { market_hours: NY_HOURS });
    for (const s of ["momo", "swing"]) batch.set(db.doc(paths.strategy(tenantId, s)), { name: s, enabled: true, capital_base: 10_000, manual_mode: null });
    // swing holds 10 SPY: its SELL SPY is an exit.
    batch.set(db.doc(paths.positions(tenantId)), { tenant_id: tenantId, strategies: { swing: { positions: { SPY: 10 }, as_of_day: DAY, closed_trades: [] } } });
    await batch.commit();
    await setEquity(tenantId, 100_000);
  });

  test("before the pre-market window the fan-out does not wake the desk; in PRE_MARKET a cycle orchestrates nothing", async () => {
    const published: string[] = [];
    const early = await fanOutMarketCycles(db, async (body) => (published.push(body.tenant_id), "id"), ny("08:50")).catch((e: Error) => e);
    expect(early).not.toBeInstanceOf(Error);
    expect(published).not.toContain(tenantId);
    const woken: string[] = [];
    await fanOutMarketCycles(db, async (body) => (woken.push(body.tenant_id), "id"), ny("09:05"));
    expect(woken).toContain(tenantId);

    const pending = await addSignal(tenantId, "momo", "BUY", "QQQ");
    expect(await cycleAt(tenantId, "09:05")).toEqual({ outcome: "session_idle", day: DAY, state: "PRE_MARKET" });
    expect((await db.doc(paths.signal(tenantId, pending)).get()).get("status")).toBe("pending");
    const session = await sessionOf(tenantId);
    expect(session.state).toBe("PRE_MARKET");
    expect(session.transitions.map((t) => [t.from, t.to, t.actor.kind])).toEqual([["INIT", "PRE_MARKET", "clock"]]);
    expect(session.transitions[0].at).toBe(ny("09:05").toISOString());
  }, 60_000);

  test("the open walks the session to ACTIVE_TRADING and the cycle runs; the starting equity is taken", async () => {
    const outcome = await cycleAt(tenantId, "09:35");
    expect(outcome).toMatchObject({ outcome: "orchestrated" });
    sessionIds.push((outcome as { session_id: string }).session_id);
    const session = await sessionOf(tenantId);
    expect(session.state).toBe("ACTIVE_TRADING");
    expect(session.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(["INIT→PRE_MARKET", "PRE_MARKET→SESSION_OPEN", "SESSION_OPEN→ACTIVE_TRADING"]);
    expect(session.trading_since).toBe(ny("09:35").toISOString());
    expect(session.risk).toMatchObject({ starting_equity: 100_000, high_water_equity: 100_000, trades: 1 });
    const o = await orchestrationOf(tenantId, sessionIds[0]);
    expect(o.signals).toHaveLength(1);
    expect(o.signals[0]).toMatchObject({ action: "BUY", executable: true });
    expect(o.trading_session).toMatchObject({ day: DAY, state: "ACTIVE_TRADING", entry_block: null, active_locks: [], orders: 1, session_trades: 1 });
  }, 60_000);

  test("a loss past 3 % of the starting equity from the high-water mark denies entries with SESSION_LOSS_LIMIT; the exit passes", async () => {
    await setEquity(tenantId, 102_000);
    await addSignal(tenantId, "momo", "BUY", "IWM");
    const up = await cycleAt(tenantId, "09:40");
    sessionIds.push((up as { session_id: string }).session_id);
    expect((await sessionOf(tenantId)).risk).toMatchObject({ high_water_equity: 102_000, last_equity: 102_000 });

    // 102,000 − 98,900 = 3,100 ≥ 3 % × 100,000 = 3,000.
    await setEquity(tenantId, 98_900);
    const entry = await addSignal(tenantId, "momo", "BUY", "DIA");
    const exit = await addSignal(tenantId, "swing", "SELL", "SPY");
    const down = await cycleAt(tenantId, "09:45");
    const sessionId = (down as { session_id: string }).session_id;
    sessionIds.push(sessionId);
    const o = await orchestrationOf(tenantId, sessionId);
    const byId = Object.fromEntries(o.signals.map((s: { signal_id: string }) => [s.signal_id, s]));
    expect(byId[entry]).toMatchObject({ action: "HOLD", executable: false, nonce: null, exposure: "entry" });
    expect(byId[entry].interventions.map((i: { code: string }) => i.code)).toEqual(["SESSION_LOSS_LIMIT"]);
    expect(byId[entry].interventions[0].reason).toMatch(/\$3100\.00 below the session's high-water mark \$102000\.00.*\(\$3000\.00\)/);
    expect(byId[exit]).toMatchObject({ action: "SELL", executable: true, exposure: "exit", interventions: [] });
    expect(o.trading_session).toMatchObject({ entry_block: { code: "SESSION_LOSS_LIMIT" }, active_locks: ["SESSION_LOSS_LIMIT"] });
    const lock = (await sessionOf(tenantId)).risk.locks[0];
    expect(lock).toMatchObject({ code: "SESSION_LOSS_LIMIT", since: expect.any(String), until: ny("16:00").toISOString(), lifted_at: null });
  }, 60_000);

  test("the lock holds after equity recovers, in this process and in a cycle the Functions emulator runs", async () => {
    await setEquity(tenantId, 103_000);
    const entry = await addSignal(tenantId, "momo", "BUY", "GLD");
    const again = await cycleAt(tenantId, "09:50");
    const sessionId = (again as { session_id: string }).session_id;
    sessionIds.push(sessionId);
    const o = await orchestrationOf(tenantId, sessionId);
    expect(o.signals.find((s: { signal_id: string }) => s.signal_id === entry).interventions.map((i: { code: string }) => i.code)).toEqual(["SESSION_LOSS_LIMIT"]);

    // Another process, knowing nothing but Firestore: the deployed onMarketCycle.
    const coldEntry = await addSignal(tenantId, "momo", "BUY", "TLT");
    await publish(MARKET_CYCLE_TOPIC, { tenant_id: tenantId, slot: ny("09:55").toISOString() });
    const cold = await waitFor(
      "the Functions emulator's cycle",
      async () => {
        const snap = await db.doc(paths.signal(tenantId, coldEntry)).get();
        return snap.get("status") === "orchestrated" ? (snap.get("session_id") as string) : undefined;
      },
      60_000,
      250,
    );
    sessionIds.push(cold);
    const coldRun = await orchestrationOf(tenantId, cold);
    expect(coldRun.signals[0]).toMatchObject({ signal_id: coldEntry, action: "HOLD", executable: false });
    expect(coldRun.signals[0].interventions[0].code).toBe("SESSION_LOSS_LIMIT");
  }, 90_000);

  test("the close writes the POST_MARKET report; the window's end shuts the session down; no cycle after the close", async () => {
    // The day's performance, as the rollup would have left it, for the contributions.
    await db.doc(paths.performanceDay(tenantId, "momo", DAY)).set({ strategy_id: "momo", trading_day: DAY, realized_pnl: -1200, unrealized_pnl: 150, daily_pnl: -1050 });
    const pending = await addSignal(tenantId, "momo", "BUY", "QQQ");
    expect(await cycleAt(tenantId, "16:05")).toEqual({ outcome: "session_idle", day: DAY, state: "POST_MARKET" });
    expect((await db.doc(paths.signal(tenantId, pending)).get()).get("status")).toBe("pending");
    const closed = await sessionOf(tenantId);
    expect(closed.state).toBe("POST_MARKET");
    const report = closed.report!;
    expect(report).toMatchObject({ day: DAY, starting_equity: 100_000, high_water_equity: 103_000, trades: 3, equity: 103_000, pnl: 3_000 });
    // Held entries: DIA, GLD, TLT — each once, by the guardian's lock.
    expect(report.interventions_by_code).toEqual({ SESSION_LOSS_LIMIT: 3 });
    expect(report.locks.map((l) => l.code)).toEqual(["SESSION_LOSS_LIMIT"]);
    expect(report.strategy_contributions).toEqual([
      { strategy_id: "momo", realized_pnl: -1200, unrealized_pnl: 150, daily_pnl: -1050, note: null },
      { strategy_id: "swing", realized_pnl: null, unrealized_pnl: null, daily_pnl: null, note: expect.stringMatching(/^no performance for the day/) },
    ]);
    expect(report.alerts.map((a) => a.code)).toContain("SESSION_LOSS_LIMIT");

    expect(await cycleAt(tenantId, "16:30")).toEqual({ outcome: "session_idle", day: DAY, state: "SHUTDOWN" });
    const done = await sessionOf(tenantId);
    expect(done.transitions.map((t) => t.to)).toEqual(["PRE_MARKET", "SESSION_OPEN", "ACTIVE_TRADING", "POST_MARKET", "SHUTDOWN"]);
    expect(done.report).toEqual(report);
  }, 60_000);

  test("every orchestration's audit passes, and the chain holds the moves and the logs in one order, intact", async () => {
    for (const sessionId of sessionIds) {
      const logId = await waitFor(`the log of ${sessionId}`, async () => (await orchestrationOf(tenantId, sessionId)).log?.log_id ?? undefined, 60_000, 250);
      const audit = await waitFor(`the audit of ${logId}`, async () => (await db.doc(paths.audit(tenantId, logId)).get()).data(), 60_000, 250);
      expect(audit.checks.filter((c: { passed: boolean }) => !c.passed)).toEqual([]);
    }
    const moves = (await sessionOf(tenantId)).transitions;
    for (const move of moves) {
      const log = (await db.doc(paths.log(move.log_id!)).get()).data()!;
      expect(log).toMatchObject({ kind: "trading_session_transition", tenant_id: tenantId, day: DAY, transition: { from: move.from, to: move.to, reason: move.reason } });
    }
    const chain = await verifyChainPage(db, tenantId, configuredChainKeys(), { budgetMs: 30_000 });
    expect(chain).toMatchObject({ done: true, intact: true, first_break: null, logs_checked: moves.length + sessionIds.length });
  }, 120_000);
});

describe("admins pause, resume and lift a lock on a desk that trades around the clock", () => {
  test("pause holds entries with SESSION_PAUSED and lets exits pass; resume needs PAUSED; a lifted loss lock lets entries through; each is recorded", async () => {
    const tenantId = uniqueTenantId("session-admin");
    const batch = db.batch();
    batch.set(db.doc(paths.tenant(tenantId)), { name: "Around the clock", active: true });
    batch.set(db.doc(paths.config(tenantId)), openAllDay());
    for (const s of ["a", "b"]) batch.set(db.doc(paths.strategy(tenantId, s)), { name: s, enabled: true, capital_base: 10_000, manual_mode: null });
    batch.set(db.doc(paths.positions(tenantId)), { tenant_id: tenantId, strategies: { b: { positions: { SPY: -5 }, as_of_day: "2000-01-01", closed_trades: [] } } });
    await batch.commit();
    await setEquity(tenantId, 50_000);
    const admin = await memberOf(tenantId, "admin");
    const viewer = await memberOf(tenantId, "viewer");

    expect((await callCallable("pauseTradingSession", { tenant_id: tenantId, reason: "news" }, viewer.idToken)).error?.status).toBe("PERMISSION_DENIED");
    const noReason = await callCallable("pauseTradingSession", { tenant_id: tenantId }, admin.idToken);
    expect(noReason.error).toMatchObject({ status: "INVALID_ARGUMENT", message: expect.stringMatching(/reason: is required/) });
    const notPaused = await callCallable("resumeTradingSession", { tenant_id: tenantId, reason: "nothing to resume" }, admin.idToken);
    expect(notPaused.error).toMatchObject({ status: "FAILED_PRECONDITION", message: expect.stringMatching(/is ACTIVE_TRADING, not PAUSED/) });

    const paused = await callCallable("pauseTradingSession", { tenant_id: tenantId, reason: "FOMC minutes at 14:00" }, admin.idToken);
    expect(paused.result.session.state).toBe("PAUSED");
    const entry = await addSignal(tenantId, "a", "BUY", "QQQ");
    const exit = await addSignal(tenantId, "b", "BUY", "SPY"); // covers b's short
    const o = await orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "test" });
    const byId = Object.fromEntries(o.signals.map((s) => [s.signal_id, s]));
    expect(byId[entry].interventions).toEqual([
      { step: "trading_session", code: "SESSION_PAUSED", reason: expect.stringMatching(/PAUSED \(FOMC minutes at 14:00\)/), before: { action: "BUY", allocation: 0.1 }, after: { action: "HOLD", allocation: 0 } },
    ]);
    expect(byId[exit]).toMatchObject({ action: "BUY", exposure: "exit", executable: true });

    const resumed = await callCallable("resumeTradingSession", { tenant_id: tenantId, reason: "minutes out, spreads normal" }, admin.idToken);
    expect(resumed.result.session.state).toBe("ACTIVE_TRADING");
    const moves = resumed.result.session.transitions.slice(-2);
    expect(moves.map((t: { from: string; to: string; actor: { kind: string; uid?: string } }) => [t.from, t.to, t.actor.kind, t.actor.uid])).toEqual([
      ["ACTIVE_TRADING", "PAUSED", "admin", admin.uid],
      ["PAUSED", "ACTIVE_TRADING", "admin", admin.uid],
    ]);

    // A 4 % loss from the mark (50,000 → 48,000: 2,000 ≥ 1,500) locks entries; an admin lifts it with a reason.
    await setEquity(tenantId, 48_000);
    const held = await addSignal(tenantId, "a", "BUY", "IWM");
    const locked = await orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "test" });
    expect(locked.signals.find((s) => s.signal_id === held)!.interventions.map((i) => i.code)).toEqual(["SESSION_LOSS_LIMIT"]);
    const wrongCode = await callCallable("liftRiskLock", { tenant_id: tenantId, code: "MAX_TRADES_PER_SESSION", reason: "x".repeat(5) }, admin.idToken);
    expect(wrongCode.error).toMatchObject({ status: "FAILED_PRECONDITION", message: expect.stringMatching(/no active MAX_TRADES_PER_SESSION lock.*active: SESSION_LOSS_LIMIT/) });
    const lifted = await callCallable("liftRiskLock", { tenant_id: tenantId, code: "SESSION_LOSS_LIMIT", reason: "hedged; risk reviewed" }, admin.idToken);
    expect(lifted.result.session.risk.locks[0]).toMatchObject({ code: "SESSION_LOSS_LIMIT", lifted_by: admin.uid, lift_reason: "hedged; risk reviewed" });
    const after = await addSignal(tenantId, "a", "BUY", "DIA");
    const free = await orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "test" });
    expect(free.signals.find((s) => s.signal_id === after)).toMatchObject({ action: "BUY", executable: true });

    const actions = (await db.collection(paths.adminActions(tenantId)).get()).docs.map((d) => d.data().action).sort();
    expect(actions).toEqual(["lift_risk_lock", "pause_trading_session", "resume_trading_session"]);
    const read = await callCallable("getTradingSession", { tenant_id: tenantId }, viewer.idToken);
    expect(read.result.session.summary.alerts.map((a: { code: string }) => a.code)).toEqual(expect.arrayContaining(["SESSION_PAUSED", "SESSION_RESUMED", "SESSION_LOSS_LIMIT", "LOCK_LIFTED"]));
  }, 120_000);
});
