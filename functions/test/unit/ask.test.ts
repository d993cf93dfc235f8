/**
 * Ask-Maestro's pure parts (core/ask.ts) and its Gemini function-calling loop
 * (summary/gemini-ask.ts) against the loopback Gemini server.
 */
import {
  NO_ENTITIES,
  answerConfiguration,
  answerExplain,
  answerPerformance,
  answerRiskSession,
  configLeaves,
  confirmationOf,
  mergeEntities,
  pendingAction,
  planAction,
  sourcesLine,
  PENDING_ACTION_TTL_MS,
  type Readings,
} from "../../src/core/ask";
import { extractEntities } from "../../src/core/intent-router";
import { DEFAULT_CONFIG } from "../../src/schemas";
import { answerWithModel } from "../../src/summary/gemini-ask";
import { clearGeminiClientCache } from "../../src/summary/gemini";
import { startFakeGemini, type FakeGemini } from "../support/fake-gemini-server";

const NAMES = ["Gamma Scalper", "Momentum Alpha"];
const IDS = { "Gamma Scalper": "gamma", "Momentum Alpha": "momentum" };
const found = (message: string) => extractEntities(message, NAMES, "2026-11-30");

describe("context across turns", () => {
  test("a follow-up without a strategy keeps the one in play", () => {
    const first = mergeEntities(NO_ENTITIES, found("how did Gamma Scalper do over 7 days?"), "how did Gamma Scalper do over 7 days?");
    expect(first).toEqual({ strategy: "Gamma Scalper", session_id: null, day: null, period_days: 7 });
    const second = mergeEntities(first, found("and why was it cut?"), "and why was it cut?");
    expect(second.strategy).toBe("Gamma Scalper");
    expect(second.period_days).toBe(7);
  });

  test("naming another strategy replaces it; asking about the whole desk lets it go", () => {
    const gamma = { ...NO_ENTITIES, strategy: "Gamma Scalper" };
    expect(mergeEntities(gamma, found("what about Momentum Alpha?"), "what about Momentum Alpha?").strategy).toBe("Momentum Alpha");
    expect(mergeEntities(gamma, found("how are all strategies doing?"), "how are all strategies doing?").strategy).toBeNull();
    expect(mergeEntities(gamma, found("what happened yesterday"), "what happened yesterday")).toMatchObject({ strategy: "Gamma Scalper", day: "2026-11-29" });
  });
});

describe("confirmation turns", () => {
  test.each(["yes", "Yes!", "confirm", "do it", "go ahead", "ok"])("%s confirms", (m) => expect(confirmationOf(m)).toBe("yes"));
  test.each(["no", "Cancel", "never mind", "nope"])("%s refuses", (m) => expect(confirmationOf(m)).toBe("no"));
  test.each(["yes but what are the weights?", "stop trading", "why?"])("%s is neither", (m) => expect(confirmationOf(m)).toBeNull());
});

describe("planAction", () => {
  const plan = (m: string, state: string | null = "ACTIVE_TRADING") => planAction(m, mergeEntities(NO_ENTITIES, found(m), m), IDS, state);

  test("stop pauses; only an emergency goes to the broker", () => {
    expect(plan("stop trading")).toMatchObject({ callable: "pauseTradingSession" });
    expect(plan("emergency stop everything now")).toMatchObject({ callable: "emergencyStop" });
    expect(plan("flatten the desk")).toMatchObject({ callable: "emergencyStop" });
  });

  test("resume after an emergency stop is resumeTrading, otherwise resumeTradingSession", () => {
    expect(plan("resume trading", "EMERGENCY_STOP")).toMatchObject({ callable: "resumeTrading" });
    expect(plan("resume trading", "PAUSED")).toMatchObject({ callable: "resumeTradingSession" });
  });

  test("disable and enable name the strategy's id; without a strategy they are refused", () => {
    expect(plan("disable Gamma Scalper")).toMatchObject({ callable: "setStrategyMode", args: { strategy_id: "gamma", mode: "DISABLED" } });
    expect(plan("please enable Momentum Alpha")).toMatchObject({ callable: "setStrategyMode", args: { strategy_id: "momentum", mode: "AUTOMATIC" } });
    expect(plan("disable it")).toEqual({ unsupported: "name the strategy to enable or disable" });
  });

  test("a lock is lifted by its code; the reason quotes the message", () => {
    const lifted = plan("lift the loss limit lock");
    expect(lifted).toMatchObject({ callable: "liftRiskLock", args: { code: "SESSION_LOSS_LIMIT", reason: 'asked through ask-Maestro: "lift the loss limit lock"' } });
    expect(plan("unlock the consecutive losses limit")).toMatchObject({ args: { code: "MAX_CONSECUTIVE_LOSSES" } });
  });

  test("rebalance, reset learning, and an unknown change", () => {
    expect(plan("rebalance now")).toMatchObject({ callable: "rebalanceAllocations" });
    expect(plan("reset the arbitration learning")).toMatchObject({ callable: "resetArbitrationLearning" });
    expect(plan("set the threshold to 4")).toHaveProperty("unsupported");
  });

  test("a pending action expires after its TTL", () => {
    const now = new Date("2026-11-30T15:00:00.000Z");
    const p = pendingAction({ callable: "rebalanceAllocations", args: {}, description: "rebalance" }, "admin", now);
    expect(Date.parse(p.expires_at) - now.getTime()).toBe(PENDING_ACTION_TTL_MS);
  });
});

describe("written answers", () => {
  const metrics = (total: number) => ({ sharpe_ratio: 1.5, sortino_ratio: null, total_return: total, annualized_return: null, volatility: 0.1, max_drawdown: -0.05, win_rate: 0.6, data_points: 2 });
  const perf: Readings = {
    getStrategyPerformance: {
      tenant_id: "t",
      period_days: 7,
      strategies: [
        { strategy_id: "gamma", name: "Gamma Scalper", mode: "REDUCED", capital_base: 10_000, days: [{ day: "2026-11-19", daily_pnl: -50, realized_pnl: -50, unrealized_pnl: 0, trade_count: 1 }, { day: "2026-11-20", daily_pnl: -70, realized_pnl: -70, unrealized_pnl: 0, trade_count: 1 }], cumulative_pnl: -120, metrics: metrics(-0.012) },
        { strategy_id: "momentum", name: "Momentum Alpha", mode: "ACTIVE", capital_base: 10_000, days: [{ day: "2026-11-20", daily_pnl: 300, realized_pnl: 300, unrealized_pnl: 0, trade_count: 2 }], cumulative_pnl: 300, metrics: metrics(0.03) },
      ],
    },
  };

  test("performance: the best first, money and percentages as the data gives them", () => {
    const text = answerPerformance(perf, NO_ENTITIES, IDS, "who is the best strategy?");
    expect(text.split("\n")).toEqual([
      "Performance over the last 7 trading days:",
      "Best: Momentum Alpha.",
      "Momentum Alpha: $300.00 over 1 trading days to 2026-11-20 — return 3.00%, Sharpe 1.50, max drawdown -5.0%, win rate 60%.",
      "Gamma Scalper: −$120.00 over 2 trading days to 2026-11-20 — return -1.20%, Sharpe 1.50, max drawdown -5.0%, win rate 60%.",
    ]);
    expect(answerPerformance(perf, { ...NO_ENTITIES, strategy: "Gamma Scalper" }, IDS, "and gamma?")).not.toContain("Momentum");
  });

  test("explain: the strategy's mode and every intervention on its signals in the cycle", () => {
    const signal = (strategy_id: string, strategy_name: string, interventions: unknown[]) => ({
      signal_id: `s-${strategy_id}`, strategy_id, strategy_name, action: "BUY", ticker: "SPY", allocation: 0.15, original_allocation: 0.3, weight_multiplier: 0.5, mode: "REDUCED", confidence: 0.8,
      reasoning: "x", executable: true, agent_id: "a", nonce: null, session_id: "maestro_1", identity_timestamp: "t", interventions,
    });
    const readings = {
      getStrategyWeights: { tenant_id: "t", computed_at: "2026-11-20T23:00:00.000Z", fresh: true, portfolio: null, strategies: [{ strategy_id: "gamma", strategy_name: "Gamma Scalper", mode: "REDUCED", weight: 0.5, reasoning: "Sharpe 0.62 is between 0.5 and 1.0", sharpe_ratio: 0.62 }] },
      getOrchestration: {
        session_id: "maestro_1",
        timestamp: "2026-11-20T15:00:00.000Z",
        systemic_risk: { detected: false, details: "" },
        signals: [
          signal("gamma", "Gamma Scalper", [{ step: "weights", code: "MODE_REDUCED", reason: "REDUCED: allocation × 0.5", before: { action: "BUY", allocation: 0.3 }, after: { action: "BUY", allocation: 0.15 } }]),
          signal("momentum", "Momentum Alpha", []),
        ],
      },
    } as unknown as Readings;
    const text = answerExplain(readings, { ...NO_ENTITIES, strategy: "Gamma Scalper" }, IDS);
    expect(text).toContain("Gamma Scalper is REDUCED with weight 0.50 (weights of 2026-11-20T23:00:00.000Z): Sharpe 0.62 is between 0.5 and 1.0");
    expect(text).toContain("BUY SPY (signal s-gamma): allocation 0.30 → 0.15, executable; MODE_REDUCED (weights): REDUCED: allocation × 0.5");
    expect(text).not.toContain("Momentum");
  });

  test("risk and session: the state, its last reason, the locks and the health", () => {
    const readings = {
      getDeskStatus: {
        day: "2026-11-30",
        session: { state: "PAUSED", transitions: [{ at: "2026-11-30T14:00:00.000Z", reason: "market data is 400 s old" }], risk: { trades: 3 }, summary: { equity: 100_000 } },
        locks: [{ code: "SESSION_LOSS_LIMIT", reason: "down 3.1 % from the high" }],
        health: { tier: "warning", checked_at: "2026-11-30T14:00:00.000Z", reasons: ["market data is 400 s old"], broker: { kind: "hummingbot", reachable: false, ready: false } },
        health_problem: null,
      },
    } as unknown as Readings;
    expect(answerRiskSession(readings).split("\n")).toEqual([
      "Trading session 2026-11-30: PAUSED since 2026-11-30T14:00:00.000Z (market data is 400 s old).",
      "Trades this session: 3; equity $100,000.00.",
      "Locks in force: SESSION_LOSS_LIMIT (down 3.1 % from the high).",
      "Health warning at 2026-11-30T14:00:00.000Z: market data is 400 s old.",
      "Broker hummingbot: unreachable.",
    ]);
  });

  test("configuration: a setting named in words or as written is shown with its value", () => {
    const readings = { getMaestroConfig: { config: DEFAULT_CONFIG, source: "tenant", rejection: null, version: 3, updated_at: "2026-11-30T10:00:00.000Z", updated_by: "u1" } } as unknown as Readings;
    const words = answerConfiguration(readings, "what is the systemic sell threshold?");
    expect(words).toContain(`systemic_sell_threshold = ${DEFAULT_CONFIG.systemic_sell_threshold}`);
    expect(words.split("\n")[0]).toBe("Config version 3, updated 2026-11-30T10:00:00.000Z by u1; in force: the tenant config.");
    expect(answerConfiguration(readings, "lookback_days?")).toContain(`lookback_days = ${DEFAULT_CONFIG.lookback_days}`);
  });

  test("configLeaves flattens to dotted paths; sourcesLine names each read and its time", () => {
    expect(configLeaves({ a: 1, b: { c: [1, 2], d: null } })).toEqual([["a", 1], ["b.c", [1, 2]], ["b.d", null]]);
    expect(sourcesLine([{ callable: "getStrategyWeights", as_of: "2026-11-20T23:00:00.000Z" }, { callable: "getDeskStatus", as_of: null }])).toBe(
      "Sources: getStrategyWeights (as of 2026-11-20T23:00:00.000Z), getDeskStatus.",
    );
    expect(sourcesLine([])).toBe("Sources: none (no data was needed).");
    expect(sourcesLine([], 1)).toBe("Sources: none (no read succeeded).");
  });
});

describe("answerWithModel: function calling against the loopback Gemini server", () => {
  let fake: FakeGemini;
  beforeAll(async () => {
    fake = await startFakeGemini();
  });
  afterAll(async () => fake.close());
  beforeEach(() => {
    fake.reset();
    clearGeminiClientCache();
  });

  const base = {
    apiKey: "test-key",
    model: "gemini-2.0-flash",
    enabled: true,
    timeoutMs: 3_000,
    question: "why was Gamma Scalper cut?",
    history: [{ message: "how is Gamma Scalper doing?", answer: "Down $120 over 7 days." }],
    initialCalls: [{ name: "get_strategy_weights", args: {}, response: { strategies: [{ strategy_id: "gamma", mode: "REDUCED" }] } }],
  };

  test("the model asks for one more read, gets it from execute, and answers", async () => {
    fake.setMode({ kind: "script", replies: [{ calls: [{ name: "get_orchestration", args: { session_id: "maestro_1700000000000_0123456789abcdef" } }] }, { text: "Gamma Scalper was REDUCED." }] });
    const executed: [string, Record<string, unknown>][] = [];
    const result = await answerWithModel({ ...base, baseUrl: fake.url, execute: async (name, args) => (executed.push([name, args]), { signals: [] }) });
    expect(result).toMatchObject({ ok: true, text: "Gamma Scalper was REDUCED." });
    expect(executed).toEqual([["get_orchestration", { session_id: "maestro_1700000000000_0123456789abcdef" }]]);
    expect(result.calls.map((c) => c.name)).toEqual(["get_strategy_weights", "get_orchestration"]);
    // The first request carried the history, the question, the specialist's call and its response, and the tools.
    const first = fake.requests[0].body;
    expect(first.contents.map((c: { role: string }) => c.role)).toEqual(["user", "model", "user", "model", "user"]);
    expect(first.contents[3].parts[0].functionCall).toEqual({ name: "get_strategy_weights", args: {} });
    expect(first.contents[4].parts[0].functionResponse.response.result.strategies[0].mode).toBe("REDUCED");
    expect(first.tools[0].functionDeclarations.map((d: { name: string }) => d.name)).toContain("get_desk_status");
    // The second carried the model's call and the tool's answer.
    const second = fake.requests[1].body;
    expect(second.contents.slice(-2).map((c: { parts: object[] }) => Object.keys(c.parts[0])[0])).toEqual(["functionCall", "functionResponse"]);
  });

  test("an unknown tool is answered with an error, not executed", async () => {
    fake.setMode({ kind: "script", replies: [{ calls: [{ name: "place_order", args: {} }] }, { text: "I cannot place orders." }] });
    let executed = 0;
    const result = await answerWithModel({ ...base, baseUrl: fake.url, execute: async () => ++executed });
    expect(result.ok).toBe(true);
    expect(executed).toBe(0);
    expect(result.calls[1]).toEqual({ name: "place_order", args: {}, response: { error: "no tool named 'place_order'" } });
  });

  test("failures come back as reasons: no key, an HTTP error, too many rounds", async () => {
    const execute = async () => ({});
    expect(await answerWithModel({ ...base, apiKey: "", baseUrl: fake.url, execute })).toMatchObject({ ok: false, reason: "no_api_key" });
    fake.setMode({ kind: "error", status: 503 });
    const failed = await answerWithModel({ ...base, baseUrl: fake.url, execute });
    expect(failed.ok).toBe(false);
    expect(!failed.ok && failed.reason).toMatch(/^model_error: HTTP 503/);
    const call = { calls: [{ name: "get_desk_status", args: {} }] };
    fake.setMode({ kind: "script", replies: [call, call, call, call] });
    expect(await answerWithModel({ ...base, baseUrl: fake.url, execute, maxRounds: 2 })).toMatchObject({ ok: false, reason: "the model asked for more than 2 rounds of reads" });
  });
});
