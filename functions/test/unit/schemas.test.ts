/**
 * The contract's validation rules: DESIGN.md's defaults, the cross-field config rules,
 * and error messages that name the field and the rule.
 */
import { DEFAULT_CONFIG, NYSE_HOLIDAYS_2026_2027, LedgerTradeSchema, MaestroConfigSchema, MarketCycleMessageSchema, parseWithReason } from "../../src/schemas";

describe("MaestroConfig", () => {
  test("an empty config document means DESIGN.md's defaults", () => {
    expect(DEFAULT_CONFIG).toEqual({
      lookback_days: 30,
      min_data_points: 5,
      risk_free_rate: 0.04,
      sharpe_threshold_reduce: 1.0,
      sharpe_threshold_shadow: 0.5,
      reduce_multiplier: 0.5,
      systemic_sell_threshold: 3,
      insufficient_data_mode: "ACTIVE",
      allocation: { method: "sharpe_tiers", min_allocation: 0, max_allocation: 1, rebalance_frequency: "every_cycle" },
      portfolio_risk: {
        target_volatility: 0.15,
        volatility_multiplier_min: 0.5,
        volatility_multiplier_max: 2,
        correlation_threshold: 0.7,
        correlation_reduction: 0.35,
        max_strategy_correlation: 0.9,
        concentration_count: 3,
        concentration_multiplier: 0.7,
        max_portfolio_heat_pct: 5,
      },
      cycle_steps: ["weights", "systemic_override", "risk_guardian", "buying_power"],
      risk: {
        max_position_risk_pct: 1,
        default_stop_distance_pct: 2,
        max_positions: null,
        max_session_loss_pct: 3,
        max_trades_per_session: 20,
        max_consecutive_losses: 5,
        max_orders_per_minute: null,
        max_session_minutes: null,
        max_equity_jump_pct: 25,
        flatten_on_emergency: true,
        max_portfolio_drawdown_pct: 10,
      },
      broker: null,
      emergency: { poll_attempts: 5, poll_interval_ms: 2000, call_attempts: 3 },
      health: {
        broker_down_stop_seconds: 30,
        sync_account: true,
        sync_positions: true,
        pause_on_warning: true,
        stop_on_session_loss_limit: true,
        stage_failures_warning: 2,
        stage_failure_window_seconds: 900,
        market_data: null,
      },
      alerts: { channels: [] },
      trading_session: { pre_market_minutes: 30, post_market_minutes: 30 },
      ai_summary: { enabled: true, model: "gemini-2.0-flash", timeout_ms: 4000 },
      rate_limits: { window_seconds: 60, orchestrate_now: 6, write_calls: 20, verify_chain: 6, ask: 30, agent_calls: 60 },
      market_hours: {
        time_zone: "America/New_York",
        open: "09:30",
        close: "16:00",
        trading_days: [1, 2, 3, 4, 5],
        holidays: [...NYSE_HOLIDAYS_2026_2027],
      },
      nonce_ttl_seconds: 300,
      account: { require_snapshot: true, max_snapshot_age_seconds: 900 },
      agents: { max_concurrent_agents: 5, agent_timeout_seconds: 60, retry_attempts: 3, heartbeat_timeout_seconds: 60, escalate_when_failing: 3, workflows: {} },
    });
  });

  test("a partial config keeps the defaults for what it leaves out", () => {
    const parsed = MaestroConfigSchema.parse({ systemic_sell_threshold: 4, ai_summary: { model: "gemini-2.5-flash" } });
    expect(parsed.systemic_sell_threshold).toBe(4);
    expect(parsed.lookback_days).toBe(30);
    expect(parsed.ai_summary).toEqual({ enabled: true, model: "gemini-2.5-flash", timeout_ms: 4000 });
  });

  test("the shadow threshold may not exceed the reduce threshold; equal is allowed", () => {
    const bad = parseWithReason(MaestroConfigSchema, { sharpe_threshold_shadow: 1.5, sharpe_threshold_reduce: 1.0 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toBe("sharpe_threshold_shadow: must not exceed sharpe_threshold_reduce (1) (got 1.5)");
    expect(parseWithReason(MaestroConfigSchema, { sharpe_threshold_shadow: 1, sharpe_threshold_reduce: 1 }).ok).toBe(true);
  });

  test("each rule names its field", () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ min_data_points: 40 }, /^min_data_points: must not exceed lookback_days \(30\) \(got 40\)/],
      [{ reduce_multiplier: 1.5 }, /^reduce_multiplier: must be less than 1 \(got 1.5\)/],
      [{ systemic_sell_threshold: 0 }, /^systemic_sell_threshold: must be at least 1 \(got 0\)/],
      [{ insufficient_data_mode: "YOLO" }, /^insufficient_data_mode: /],
      [{ ai_summary: { timeout_ms: 5 } }, /^ai_summary\.timeout_ms: must be at least 100 ms \(got 5\)/],
      // Well under the log writer's 120 s timeout, so a slow model never times out the writer.
      [{ ai_summary: { timeout_ms: 20_001 } }, /^ai_summary\.timeout_ms: must be at most 20000 ms \(got 20001\)/],
      [{ sharpe_threshold: 1 }, /sharpe_threshold/], // an unknown key (a typo) is refused, not ignored
      // Issue 10 and 11's blocks.
      [{ risk: { max_session_loss_pct: 0 } }, /^risk\.max_session_loss_pct: must be greater than 0 \(got 0\)/],
      [{ trading_session: { pre_market_minutes: -5 } }, /^trading_session\.pre_market_minutes: must be at least 0 \(got -5\)/],
      [{ account: { require_snapshot: false } }, /^account\.require_snapshot: false leaves the risk guardian \(in cycle_steps\) no equity/],
      [{ broker: { kind: "ib", base_url: "http://h:8000", account_name: "a", connectors: ["x"] } }, /^broker\.kind: must be "hummingbot"/],
      [{ broker: { kind: "hummingbot", base_url: "http://user:pw@h:8000", account_name: "a", connectors: ["x"] } }, /^broker\.base_url: must not carry credentials/],
      [{ broker: { kind: "hummingbot", base_url: "http://h:8000", account_name: "a", connectors: [] } }, /^broker\.connectors: must name at least one connector/],
      [{ emergency: { poll_attempts: 0 } }, /^emergency\.poll_attempts: must be at least 1 \(got 0\)/],
      [{ health: { broker_down_stop_seconds: 5 } }, /^health\.broker_down_stop_seconds: must be at least 10 \(got 5\)/],
      [{ allocation_method: "risk_parity" }, /^allocation_method: is replaced by allocation: \{ method: … \}/],
      [{ allocation: { method: "risk_parity", lookback_days: 1 } }, /^allocation\.lookback_days: must be at least 2 \(got 1\)/],
      [{ allocation: { method: "equal_weight", min_allocation: 0.5, max_allocation: 0.3 } }, /^allocation\.min_allocation: must not exceed max_allocation/],
      [{ allocation: { method: "hrp" } }, /^allocation\.method: must be one of "sharpe_tiers", "equal_weight", "performance_based", "risk_parity", "custom"/],
      [{ health: { market_data: { stale_seconds: 300, failure_seconds: 300 } } }, /^health\.market_data\.failure_seconds: must be greater than health\.market_data\.stale_seconds/],
      [{ health: { stage_failures_warning: 0 } }, /^health\.stage_failures_warning: must be at least 1 \(got 0\)/],
      [{ alerts: { channels: [{ kind: "pager", url: "https://x.example" }] } }, /^alerts\.channels\.0\.kind: must be "slack" or "webhook"/],
      [{ alerts: { channels: [{ kind: "slack", url: "not a url" }] } }, /^alerts\.channels\.0\.url: must be an absolute URL/],
      [{ alerts: { channels: [{ kind: "webhook", url: "https://x.example", min_severity: "panic" }] } }, /^alerts\.channels\.0\.min_severity: must be info, warning or critical/],
    ];
    for (const [input, reason] of cases) {
      const result = parseWithReason(MaestroConfigSchema, input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(reason);
    }
  });
});

describe("LedgerTrade", () => {
  const trade = { strategy_id: "alpha", symbol: "SPY", side: "BUY", quantity: 10, price: 100, fee: 1, executed_at: "2026-11-16T15:00:00Z" };

  test("accepts a trade and turns executed_at into a Date", () => {
    const parsed = LedgerTradeSchema.parse(trade);
    expect(parsed.executed_at).toEqual(new Date("2026-11-16T15:00:00Z"));
  });

  test("names the field: a negative quantity, a missing price, an unparseable time, a side that is not BUY/SELL", () => {
    const reason = (patch: Record<string, unknown>) => {
      const r = parseWithReason(LedgerTradeSchema, { ...trade, ...patch });
      return r.ok ? "accepted" : r.reason;
    };
    expect(reason({ quantity: -5 })).toBe("quantity: must be greater than 0 (got -5)");
    expect(reason({ price: undefined })).toMatch(/^price: is required/);
    expect(reason({ executed_at: "yesterday" })).toMatch(/^executed_at: /);
    expect(reason({ side: "SHORT" })).toMatch(/^side: .*\(got "SHORT"\)/);
  });
});

describe("MarketCycleMessage", () => {
  test("needs exactly a tenant id that is a usable document id", () => {
    expect(MarketCycleMessageSchema.safeParse({ tenant_id: "demo-fund" }).success).toBe(true);
    expect(MarketCycleMessageSchema.safeParse({ tenant_id: "a/b" }).success).toBe(false);
    expect(MarketCycleMessageSchema.safeParse({ tenant_id: "demo-fund", extra: 1 }).success).toBe(false);
    expect(MarketCycleMessageSchema.safeParse({}).success).toBe(false);
  });
});
