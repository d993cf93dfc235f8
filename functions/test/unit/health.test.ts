import { assessHealth, type HealthInput } from "../../src/core/health";
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
    expect(assessHealth(input())).toEqual({ tier: "ok", reasons: [], broker_down_since: null, stop: null });
    expect(assessHealth(input({ broker: null }))).toEqual({ tier: "ok", reasons: [], broker_down_since: null, stop: null });
  });

  it("a broker first seen down is a warning, with the outage starting now", () => {
    const v = assessHealth(input({ broker: down }));
    expect(v).toEqual({
      tier: "warning",
      reasons: ["broker unreachable for 0 s (since 2026-11-30T15:00:00.000Z; critical at 30 s): timeout: GET /: timeout: no answer within 200 ms"],
      broker_down_since: NOW.toISOString(),
      stop: null,
    });
  });

  it("down 29 s is still a warning; 30 s is critical and calls for a stop while the session is awake, not while it sleeps", () => {
    // Down since 14:59:31 → 29 s at 15:00:00.
    expect(assessHealth(input({ broker: down, brokerDownSince: "2026-11-30T14:59:31.000Z" })).tier).toBe("warning");
    // Down since 14:59:30 → 30 s: at the threshold.
    const critical = assessHealth(input({ broker: down, brokerDownSince: "2026-11-30T14:59:30.000Z" }));
    expect(critical).toMatchObject({ tier: "critical", broker_down_since: "2026-11-30T14:59:30.000Z", stop: "broker unreachable for 30 s (timeout: GET /: timeout: no answer within 200 ms)" });
    expect(critical.reasons[0]).toMatch(/^broker unreachable for 30 s \(since 2026-11-30T14:59:30\.000Z\), at or past health\.broker_down_stop_seconds 30/);
    expect(assessHealth(input({ broker: down, brokerDownSince: "2026-11-30T14:59:30.000Z", sessionAwake: false }))).toMatchObject({ tier: "critical", stop: null });
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
