/**
 * askMaestro (issue 13) on the Functions emulator, signed in through the Auth emulator:
 * routing to the specialists, whose reads go through the front door; context across turns
 * ("and why was it cut?"); conversations that belong to their user; an action that needs
 * its role and a confirmation turn; and the Gemini path by function calling against the
 * loopback Gemini server (the handler run through handleCall, as the callable runs it).
 * Expected figures come from the documents the test writes and the stored weights and
 * orchestration, not from the code under test.
 */
import type { Firestore } from "firebase-admin/firestore";
import { handleCall } from "../../src/stages/callable";
import { ASK_SPEC, askMaestroHandler, geminiAskModel } from "../../src/stages/ask";
import { FRONT_DOOR } from "../../src/front-door";
import { clearGeminiClientCache } from "../../src/summary/gemini";
import { paths } from "../../src/store/paths";
import { adminDb, ampleAccountSnapshot, callCallable, memberOf, uniqueTenantId, openAllDay, STEPS_WITHOUT_GUARDIAN } from "../support/emulator";
import { startFakeGemini, type FakeGemini } from "../support/fake-gemini-server";

const db: Firestore = adminDb();
type User = { uid: string; idToken: string };

const DAYS = Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2026, 9, 12 + i)).toISOString().slice(0, 10));
/** Gamma loses most days (its Sharpe is negative: cut below ACTIVE); Momentum gains steadily. */
const GAMMA_PNL = DAYS.map((_, i) => (i % 3 === 0 ? 40 : -90));
const MOMENTUM_PNL = DAYS.map((_, i) => 120 + (i % 4) * 10);

function performanceDoc(tenantId: string, strategyId: string, day: string, pnl: number) {
  return {
    tenant_id: tenantId, strategy_id: strategyId, trading_day: day, period_start: `${day}T05:00:00.000Z`, period_end: `${day}T05:00:00.000Z`,
    realized_pnl: pnl, unrealized_pnl: 0, daily_pnl: pnl, fees: 0, trade_count: 1, positions: {}, computed_at: "2026-11-20T23:00:00.000Z", source: "ledger_trades_fifo",
  };
}

async function ask(user: User, tenantId: string, message: string, conversationId?: string) {
  const response = await callCallable("askMaestro", { tenant_id: tenantId, message, ...(conversationId ? { conversation_id: conversationId } : {}) }, user.idToken);
  return response;
}

describe("askMaestro", () => {
  let tenantId: string;
  let viewer: User;
  let otherViewer: User;
  let admin: User;
  let sessionId: string;

  beforeAll(async () => {
    tenantId = uniqueTenantId("ask");
    const batch = db.batch();
    batch.set(db.doc(paths.tenant(tenantId)), { name: "Ask Desk", active: true });
    batch.set(db.doc(paths.accountSnapshot(tenantId)), ampleAccountSnapshot());
    batch.set(db.doc(paths.strategy(tenantId, "gamma")), { name: "Gamma Scalper", enabled: true, capital_base: 10_000, manual_mode: null });
    batch.set(db.doc(paths.strategy(tenantId, "momentum")), { name: "Momentum Alpha", enabled: true, capital_base: 10_000, manual_mode: null });
    batch.set(db.doc(paths.config(tenantId)), openAllDay({ cycle_steps: STEPS_WITHOUT_GUARDIAN }));
    DAYS.forEach((day, i) => {
      batch.set(db.doc(paths.performanceDay(tenantId, "gamma", day)), performanceDoc(tenantId, "gamma", day, GAMMA_PNL[i]));
      batch.set(db.doc(paths.performanceDay(tenantId, "momentum", day)), performanceDoc(tenantId, "momentum", day, MOMENTUM_PNL[i]));
    });
    batch.set(db.doc(paths.signal(tenantId, "g1")), { strategy_id: "gamma", action: "BUY", ticker: "QQQ", allocation: 0.4, confidence: 0.7, reasoning: "scalp", status: "pending" });
    batch.set(db.doc(paths.signal(tenantId, "m1")), { strategy_id: "momentum", action: "BUY", ticker: "SPY", allocation: 0.3, confidence: 0.8, reasoning: "trend", status: "pending" });
    await batch.commit();
    [viewer, otherViewer, admin] = await Promise.all([memberOf(tenantId, "viewer"), memberOf(tenantId, "viewer"), memberOf(tenantId, "admin")]);
    const trader = await memberOf(tenantId, "trader");
    const cycle = await callCallable("orchestrateNow", { tenant_id: tenantId }, trader.idToken);
    expect(cycle.error).toBeUndefined();
    sessionId = cycle.result.session_id;
  });

  test("a question about weights goes to the allocations specialist, which reads getStrategyWeights; the conversation is the asker's", async () => {
    const response = await ask(viewer, tenantId, "what are the weights?");
    expect(response.error).toBeUndefined();
    const r = response.result;
    expect(r).toMatchObject({ intent: "allocations", answer_source: "template", fallback_reason: null, pending_action: null });
    expect(r.selection_ms).toBeLessThan(50);
    const weights = (await db.doc(paths.weights(tenantId)).get()).data()!;
    expect(r.sources).toEqual([{ callable: "getStrategyWeights", args: {}, as_of: weights.computed_at }]);
    for (const s of Object.values(weights.strategies) as { strategy_name: string; mode: string; weight: number }[]) {
      expect(r.answer).toContain(`${s.strategy_name}: ${s.mode}, weight ${s.weight.toFixed(2)}`);
    }
    expect(r.answer.split("\n").pop()).toBe(`Sources: getStrategyWeights (as of ${weights.computed_at}).`);
    const stored = (await db.doc(paths.conversation(tenantId, r.conversation_id)).get()).data()!;
    expect(stored).toMatchObject({ uid: viewer.uid, tenant_id: tenantId, turn_count: 1, pending_action: null });
    expect(stored.turns[0]).toMatchObject({ message: "what are the weights?", intent: "allocations", sources: ["getStrategyWeights"] });
  });

  test("context carries across turns: a strategy's performance, then \"and why was it cut?\" about the same strategy", async () => {
    const first = await ask(viewer, tenantId, "how did Gamma Scalper do over the last 7 days?");
    expect(first.result).toMatchObject({ intent: "performance", entities: { strategy: "Gamma Scalper", period_days: 7 } });
    const lastSeven = GAMMA_PNL.slice(-7).reduce((a, b) => a + b, 0);
    expect(first.result.answer).toContain(`Gamma Scalper: −$${Math.abs(lastSeven).toFixed(2)} over 7 trading days to ${DAYS[DAYS.length - 1]}`);
    expect(first.result.answer).not.toContain("Momentum Alpha");
    expect(first.result.sources).toEqual([{ callable: "getStrategyPerformance", args: { period_days: 7, strategy_id: "gamma" }, as_of: DAYS[DAYS.length - 1] }]);

    const followUp = await ask(viewer, tenantId, "and why was it cut?", first.result.conversation_id);
    expect(followUp.error).toBeUndefined();
    expect(followUp.result).toMatchObject({ intent: "explain_decision", entities: { strategy: "Gamma Scalper" } });
    const weights = (await db.doc(paths.weights(tenantId)).get()).data()!;
    const gamma = weights.strategies.gamma;
    expect(gamma.mode).not.toBe("ACTIVE");
    expect(followUp.result.answer).toContain(`Gamma Scalper is ${gamma.mode} with weight ${gamma.weight.toFixed(2)}`);
    const orchestration = (await db.doc(paths.orchestration(tenantId, sessionId)).get()).data()!;
    const gammaSignal = orchestration.signals.find((s: { strategy_id: string }) => s.strategy_id === "gamma");
    expect(gammaSignal.interventions.length).toBeGreaterThan(0);
    for (const i of gammaSignal.interventions) expect(followUp.result.answer).toContain(`${i.code} (${i.step}): ${i.reason}`);
    expect(followUp.result.answer).toContain(`In cycle ${sessionId}`);
    expect(followUp.result.sources.map((s: { callable: string }) => s.callable)).toEqual(["getStrategyWeights", "getDeskStatus", "getOrchestration"]);
    const stored = (await db.doc(paths.conversation(tenantId, first.result.conversation_id)).get()).data()!;
    expect(stored.turn_count).toBe(2);
    expect(stored.entities).toEqual({ strategy: "Gamma Scalper", session_id: null, day: null, period_days: 7 });
  });

  test("a conversation belongs to its user: another member may not continue it", async () => {
    const mine = await ask(viewer, tenantId, "is the session paused?");
    expect(mine.result.intent).toBe("risk_session");
    expect(mine.result.answer).toContain("Trading session");
    const theirs = await ask(otherViewer, tenantId, "and the locks?", mine.result.conversation_id);
    expect(theirs.error).toEqual({ status: "PERMISSION_DENIED", message: `conversation_id: conversation '${mine.result.conversation_id}' belongs to another user` });
    const stored = (await db.doc(paths.conversation(tenantId, mine.result.conversation_id)).get()).data()!;
    expect(stored.turn_count).toBe(1);
  });

  test("bad input names the field; an unknown conversation is not found", async () => {
    const empty = await ask(viewer, tenantId, "   ");
    expect(empty.error).toEqual({ status: "INVALID_ARGUMENT", message: 'message: must not be empty (got "   ")' });
    const unknown = await ask(viewer, tenantId, "hello", "c_nope");
    expect(unknown.error?.status).toBe("NOT_FOUND");
    expect(unknown.error?.message).toContain("conversation_id: no conversation 'c_nope'");
  });

  test("an action needs its role, then a confirmation turn; \"no\" changes nothing", async () => {
    const refused = await ask(viewer, tenantId, "pause the session");
    expect(refused.result).toMatchObject({ intent: "action", pending_action: null, action_result: null });
    expect(refused.result.answer).toContain("pauseTradingSession (to pause today's trading session (entries held, exits still pass)) needs the admin role; you are a viewer");

    const proposed = await ask(admin, tenantId, "pause the session");
    expect(proposed.result.pending_action).toMatchObject({ callable: "pauseTradingSession", role: "admin", args: { reason: 'asked through ask-Maestro: "pause the session"' } });
    const day = (await db.collection(paths.tradingSessions(tenantId)).get()).docs[0].id;
    expect((await db.doc(paths.tradingSession(tenantId, day)).get()).get("state")).toBe("ACTIVE_TRADING");

    const done = await ask(admin, tenantId, "yes", proposed.result.conversation_id);
    expect(done.result.action_result).toMatchObject({ callable: "pauseTradingSession", status: "done" });
    expect(done.result.answer).toContain("the session is now PAUSED");
    expect((await db.doc(paths.tradingSession(tenantId, day)).get()).get("state")).toBe("PAUSED");
    const actions = await db.collection(paths.adminActions(tenantId)).where("actor_uid", "==", admin.uid).get();
    expect(actions.docs.map((d) => d.get("reason"))).toContain('asked through ask-Maestro: "pause the session"');

    const resume = await ask(admin, tenantId, "resume trading", proposed.result.conversation_id);
    expect(resume.result.pending_action.callable).toBe("resumeTradingSession");
    const cancelled = await ask(admin, tenantId, "no", proposed.result.conversation_id);
    expect(cancelled.result.action_result).toMatchObject({ status: "cancelled" });
    expect(cancelled.result.pending_action).toBeNull();
    expect((await db.doc(paths.tradingSession(tenantId, day)).get()).get("state")).toBe("PAUSED");
  });

  test("askMaestro is rate-limited per user (rate_limits.ask)", async () => {
    const limited = uniqueTenantId("ask-limit");
    await db.doc(paths.tenant(limited)).set({ name: "Limited", active: true });
    await db.doc(paths.config(limited)).set(openAllDay({ rate_limits: { ask: 2 } }));
    const user = await memberOf(limited, "viewer");
    expect((await ask(user, limited, "hello")).error).toBeUndefined();
    expect((await ask(user, limited, "hello")).error).toBeUndefined();
    const third = await ask(user, limited, "hello");
    expect(third.error?.status).toBe("RESOURCE_EXHAUSTED");
    expect(third.error?.message).toMatch(/^rate limit: at most 2 askMaestro calls per 60 s per user \(rate_limits\.ask\); retry in \d+ s$/);
  });

  describe("answers by Gemini function calling (loopback server)", () => {
    let gemini: FakeGemini;
    beforeAll(async () => {
      gemini = await startFakeGemini();
    });
    afterAll(async () => gemini.close());
    beforeEach(() => {
      gemini.reset();
      clearGeminiClientCache();
    });
    const askWithModel = (user: User, message: string) =>
      handleCall(ASK_SPEC, askMaestroHandler(FRONT_DOOR, geminiAskModel(() => "test-key-not-secret", () => gemini.url)), db, {
        auth: { uid: user.uid },
        data: { tenant_id: tenantId, message },
      });

    test("the model reads the specialist's results, asks for one more read through the front door, and writes the answer", async () => {
      gemini.setMode({ kind: "script", replies: [{ calls: [{ name: "get_desk_status", args: {} }] }, { text: "Momentum Alpha leads; the session is paused." }] });
      const r = await askWithModel(viewer, "who is the best strategy?");
      expect(r).toMatchObject({ intent: "performance", answer_source: "gemini", fallback_reason: null });
      expect(r.answer.split("\n")[0]).toBe("Momentum Alpha leads; the session is paused.");
      expect(r.sources.map((s) => s.callable)).toEqual(["getStrategyPerformance", "getDeskStatus"]);
      expect(r.answer).toContain("Sources: getStrategyPerformance (as of");
      // The specialist's read went to the model as a function response with the real figures.
      const sent = gemini.requests[0].body.contents;
      const performance = sent[sent.length - 1].parts[0].functionResponse.response.result;
      const momentum = performance.strategies.find((s: { strategy_id: string }) => s.strategy_id === "momentum");
      expect(momentum.cumulative_pnl).toBe(MOMENTUM_PNL.reduce((a, b) => a + b, 0));
      // The extra read was answered with the desk's status (the session the admin paused above).
      const second = gemini.requests[1].body.contents;
      expect(second[second.length - 1].parts[0].functionResponse.response.result.session.state).toBe("PAUSED");
    });

    test("a model failure falls back to the written answer, with the reason", async () => {
      gemini.setMode({ kind: "error", status: 500 });
      const r = await askWithModel(viewer, "what are the weights?");
      expect(r.answer_source).toBe("template");
      expect(r.fallback_reason).toMatch(/^model_error: HTTP 500/);
      expect(r.answer).toContain("Gamma Scalper:");
    });
  });
});
