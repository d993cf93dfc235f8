import { assessHealth, nextHighWater, positionDifferences, type HealthInput } from "../../src/core/health";
import type { BrokerStatus } from "../../src/broker/adapter";

const NOW = new Date("2026-11-30T15:00:00.000Z");
const up: BrokerStatus = { reachable: true, version: "1.0.1", connectors_configured: ["binance_perpetual"], connectors_missing: [], ready: true, problem: null };
const down: BrokerStatus = { reachable: false, version: null, connectors_configured: null, connectors_missing: null, ready: false, problem: { kind: "timeout", message: "GET /: timeout: no answer within 200 ms" } };

function input(over: Partial<HealthInput> = {}): HealthInput {
  return {
    now: NOW,
    broker: up,
    brokerDownSince: null,
    brokerDownStopSeconds: 30,
    sessionAwake: true,
    snapshotAsOf: "2026-11-30T14:59:00.000Z",
    maxSnapshotAgeSeconds: 900,
    ...over,
  };
}

describe("assessHealth (seed 001's tiers)", () => {
  it("is ok with a ready broker and a 60 s old snapshot; without a broker only the snapshot counts", () => {
    const ok = { tier: "ok", reasons: [], info: [], broker_down_since: null, stop: null, stop_code: null, failing_stages: [] };
    expect(assessHealth(input())).toEqual(ok);
    expect(assessHealth(input({ broker: null }))).toEqual(ok);
  });

  it("a broker first seen down is a warning, with the outage starting now", () => {
    const v = assessHealth(input({ broker: down }));
    expect(v).toEqual({
      tier: "warning",
      reasons: ["broker unreachable for 0 s (since 2026-11-30T15:00:00.000Z; critical at 30 s): timeout: GET /: timeout: no answer within 200 ms"],
      info: [],
      broker_down_since: NOW.toISOString(),
      stop: null,
      stop_code: null,
      failing_stages: [],
    });
  });

  it("down 29 s is still a warning; 30 s is critical and calls for a stop while the session is awake, not while it sleeps", () => {
    // Down since 14:59:31 → 29 s at 15:00:00.
    expect(assessHealth(input({ broker: down, brokerDownSince: "2026-11-30T14:59:31.000Z" })).tier).toBe("warning");
    // Down since 14:59:30 → 30 s: at the threshold.
    const critical = assessHealth(input({ broker: down, brokerDownSince: "2026-11-30T14:59:30.000Z" }));
    expect(critical).toMatchObject({ tier: "critical", broker_down_since: "2026-11-30T14:59:30.000Z", stop: "broker unreachable for 30 s (timeout: GET /: timeout: no answer within 200 ms)", stop_code: "BROKER_UNREACHABLE" });
    expect(critical.reasons[0]).toMatch(/^broker unreachable for 30 s \(since 2026-11-30T14:59:30\.000Z\), at or past health\.broker_down_stop_seconds 30/);
    expect(assessHealth(input({ broker: down, brokerDownSince: "2026-11-30T14:59:30.000Z", sessionAwake: false }))).toMatchObject({ tier: "critical", stop: null, stop_code: null });
  });

  it("a broker back up ends the outage", () => {
    expect(assessHealth(input({ broker: up, brokerDownSince: "2026-11-30T14:50:00.000Z" })).broker_down_since).toBeNull();
  });

  it("a reachable broker missing a connector's keys, a stale or missing snapshot: warnings, each named", () => {
    const notReady: BrokerStatus = { ...up, ready: false, connectors_missing: ["okx"] };
    expect(assessHealth(input({ broker: notReady })).reasons).toEqual(["broker reachable but not ready: connectors without credentials: okx"]);
    // 14:44:59 → 901 s old > 900.
    expect(assessHealth(input({ snapshotAsOf: "2026-11-30T14:44:59.000Z" }))).toMatchObject({
      tier: "warning",
      reasons: ["account snapshot 901 s old, more than account.max_snapshot_age_seconds 900: every BUY is held"],
    });
    expect(assessHealth(input({ snapshotAsOf: "2026-11-30T14:45:00.000Z" })).tier).toBe("ok");
    expect(assessHealth(input({ snapshotAsOf: null })).reasons).toEqual(["no account snapshot: every BUY is held"]);
  });

  it("critical outranks a warning", () => {
    const v = assessHealth(input({ broker: down, brokerDownSince: "2026-11-30T14:00:00.000Z", snapshotAsOf: null }));
    expect(v.tier).toBe("critical");
    expect(v.reasons).toHaveLength(2);
  });
});

describe("assessHealth: the session loss limit, the data feed, the stages, the positions", () => {
  const lock = { reason: "session loss 3,100 ≥ limit 3,000 (3% of 100,000)", since: "2026-11-30T14:55:00.000Z" };

  it("an unanswered loss-limit lock is critical and calls for a stop (unless the config says not to, or the session sleeps)", () => {
    const v = assessHealth(input({ unansweredLossLock: lock }));
    expect(v).toMatchObject({ tier: "critical", stop_code: "SESSION_LOSS_LIMIT", stop: `session loss limit: ${lock.reason}` });
    expect(v.reasons).toEqual([`session loss limit breached (locked since ${lock.since}): ${lock.reason}`]);
    expect(assessHealth(input({ unansweredLossLock: lock, stopOnLossLimit: false }))).toMatchObject({ tier: "ok", stop: null });
    expect(assessHealth(input({ unansweredLossLock: lock, sessionAwake: false }))).toMatchObject({ tier: "critical", stop: null });
    expect(assessHealth(input({ unansweredLossLock: null })).tier).toBe("ok");
  });

  it("market data: fresh is ok, past stale_seconds a warning, past failure_seconds a data feed failure (a stop); none yet is a warning", () => {
    const md = (asOf: string | null) => input({ marketData: { asOf, staleSeconds: 120, failureSeconds: 600 } });
    // 15:00:00 − 14:58:00 = 120 s: at the threshold, not past it.
    expect(assessHealth(md("2026-11-30T14:58:00.000Z")).tier).toBe("ok");
    expect(assessHealth(md("2026-11-30T14:57:59.000Z"))).toMatchObject({ tier: "warning", reasons: ["market data 121 s old, more than health.market_data.stale_seconds 120"], stop: null });
    // 601 s old.
    expect(assessHealth(md("2026-11-30T14:49:59.000Z"))).toMatchObject({
      tier: "critical",
      stop_code: "DATA_FEED_FAILURE",
      stop: "data feed failure: market data 601 s old",
      reasons: ["market data 601 s old, more than health.market_data.failure_seconds 600: the data feed has failed"],
    });
    expect(assessHealth(md("2026-11-30T14:50:00.000Z")).tier).toBe("warning");
    expect(assessHealth(md(null))).toMatchObject({ tier: "warning", stop: null });
    // Not monitored: no finding at all.
    expect(assessHealth(input()).reasons).toEqual([]);
  });

  it("a stage failing health.stage_failures_warning times within the window is a warning; fewer, or older, is info; the alert stage never pauses", () => {
    const stages = (failures: Record<string, { at: string[]; last_reason: string }>) => input({ stages: { failures, windowSeconds: 900, warningCount: 2 } });
    // Window: (14:45:00, 15:00:00].
    const twice = assessHealth(stages({ onMarketCycle: { at: ["2026-11-30T14:50:00.000Z", "2026-11-30T14:59:00.000Z"], last_reason: "deadline exceeded" } }));
    expect(twice).toMatchObject({ tier: "warning", failing_stages: ["onMarketCycle"] });
    expect(twice.reasons).toEqual(["stage onMarketCycle failed 2 time(s) in the last 900 s (last: deadline exceeded), at or past health.stage_failures_warning 2"]);
    // One failure inside the window, one at its open edge (14:45:00 is 900 s ago: outside).
    const once = assessHealth(stages({ onMarketCycle: { at: ["2026-11-30T14:45:00.000Z", "2026-11-30T14:59:00.000Z"], last_reason: "x" } }));
    expect(once).toMatchObject({ tier: "info", failing_stages: [], reasons: [], info: ["stage onMarketCycle failed 1 time(s) in the last 900 s (last: x)"] });
    expect(assessHealth(stages({ onMarketCycle: { at: ["2026-11-30T14:00:00.000Z", "2026-11-30T14:10:00.000Z"], last_reason: "x" } })).tier).toBe("ok");
    const alerts = assessHealth(stages({ onAlertCreated: { at: ["2026-11-30T14:50:00.000Z", "2026-11-30T14:55:00.000Z", "2026-11-30T14:59:00.000Z"], last_reason: "ECONNREFUSED" } }));
    expect(alerts).toMatchObject({ tier: "info", failing_stages: [] });
  });

  it("positions that differ from the broker's are info, each named with both sizes", () => {
    const diffs = positionDifferences({ "BTC-USDT": 0.5, "ETH-USDT": -2 }, { "BTC-USDT": 0.5, "ETH-USDT": -1.5, "SOL-USDT": 10 });
    expect(diffs).toEqual([
      "position ETH-USDT: the broker holds -2, Maestro's strategies -1.5 (difference -0.5)",
      "position SOL-USDT: the broker holds 0, Maestro's strategies 10 (difference -10)",
    ]);
    expect(positionDifferences({ "BTC-USDT": 0.1 + 0.2 }, { "BTC-USDT": 0.3 })).toEqual([]);
    expect(assessHealth(input({ positionDifferences: diffs }))).toMatchObject({ tier: "info", reasons: [], info: diffs });
  });
});

describe("the portfolio drawdown stop (issue 12)", () => {
  it("10 % below the high-water mark is critical and calls for a stop; 9.999 % is not", () => {
    const at = (equity: number) => assessHealth(input({ portfolio: { equity, highWater: 100_000, maxDrawdownPct: 10 } }));
    expect(at(90_001).tier).toBe("ok");
    // (100,000 − 90,000) / 100,000 = 10 %: at the limit.
    expect(at(90_000)).toMatchObject({
      tier: "critical",
      stop_code: "PORTFOLIO_DRAWDOWN",
      reasons: ["equity 90000 is 10.00 % below the desk's high-water mark 100000, at or past risk.max_portfolio_drawdown_pct 10"],
    });
    expect(at(90_000).stop).toBe("portfolio drawdown: equity 90000 is 10.00 % below the desk's high-water mark 100000, at or past risk.max_portfolio_drawdown_pct 10");
  });

  it("the mark rises with equity, holds on a fall, restarts after a resumed stop, and ignores a reading that is not a positive number", () => {
    const t = (m: number) => new Date(NOW.getTime() + m * 60_000);
    const first = nextHighWater(null, 100_000, t(0), null);
    expect(first).toEqual({ value: 100_000, at: t(0).toISOString() });
    const up = nextHighWater(first, 105_000, t(1), null);
    expect(up).toEqual({ value: 105_000, at: t(1).toISOString() });
    expect(nextHighWater(up, 95_000, t(2), null)).toBe(up);
    // A resume reconciled before the mark was set does not reset it; one after it does.
    expect(nextHighWater(up, 95_000, t(3), t(0).toISOString())).toBe(up);
    expect(nextHighWater(up, 95_000, t(3), t(2).toISOString())).toEqual({ value: 95_000, at: t(3).toISOString() });
    for (const bad of [null, Number.NaN, 0, -5]) expect(nextHighWater(up, bad, t(4), null)).toBe(up);
  });
});
