/**
 * The health check's verdict (issue 11, seed 001 "Error Handling"), pure: from the broker's
 * status, how long it has been down, and the age of the account snapshot, a tier —
 *  - critical: the broker unreachable for `health.broker_down_stop_seconds` (30) while the
 *    trading session's clock is awake → an emergency stop (stages/health.ts);
 *  - warning: the broker unreachable for less than that, or not ready (a connector without
 *    keys), or the account snapshot older than `account.max_snapshot_age_seconds`;
 *  - ok otherwise.
 * A status that timed out counts as down. Each reason names its measure and threshold.
 */
import type { BrokerStatus } from "../broker/adapter";

export type HealthTier = "ok" | "warning" | "critical";

export interface HealthInput {
  now: Date;
  /** null: no broker configured. */
  broker: BrokerStatus | null;
  /** When the broker was first seen down in the current outage (from the previous check); null: it was up. */
  brokerDownSince: string | null;
  brokerDownStopSeconds: number;
  /** Whether the trading session's clock is awake (a stop only matters while it is). */
  sessionAwake: boolean;
  /** The account snapshot's as_of; null: none. */
  snapshotAsOf: string | null;
  maxSnapshotAgeSeconds: number;
}

export interface HealthVerdict {
  tier: HealthTier;
  reasons: string[];
  broker_down_since: string | null;
  /** Set when the verdict calls for an emergency stop, with its reason. */
  stop: string | null;
}

export function assessHealth(input: HealthInput): HealthVerdict {
  const reasons: string[] = [];
  let tier: HealthTier = "ok";
  const raise = (to: HealthTier) => {
    if (to === "critical" || (to === "warning" && tier === "ok")) tier = to;
  };
  let downSince: string | null = null;
  let stop: string | null = null;

  if (input.broker) {
    const down = !input.broker.reachable;
    if (down) {
      downSince = input.brokerDownSince ?? input.now.toISOString();
      const seconds = Math.round((input.now.getTime() - Date.parse(downSince)) / 1000);
      const why = input.broker.problem ? `${input.broker.problem.kind}: ${input.broker.problem.message}` : "no answer";
      if (seconds >= input.brokerDownStopSeconds) {
        raise("critical");
        reasons.push(`broker unreachable for ${seconds} s (since ${downSince}), at or past health.broker_down_stop_seconds ${input.brokerDownStopSeconds}: ${why}`);
        if (input.sessionAwake) stop = `broker unreachable for ${seconds} s (${why})`;
      } else {
        raise("warning");
        reasons.push(`broker unreachable for ${seconds} s (since ${downSince}; critical at ${input.brokerDownStopSeconds} s): ${why}`);
      }
    } else if (!input.broker.ready) {
      raise("warning");
      reasons.push(`broker reachable but not ready: ${input.broker.problem?.message ?? `connectors without credentials: ${(input.broker.connectors_missing ?? []).join(", ")}`}`);
    }
  }

  if (input.snapshotAsOf === null) {
    raise("warning");
    reasons.push("no account snapshot: every BUY is held");
  } else {
    const age = Math.round((input.now.getTime() - Date.parse(input.snapshotAsOf)) / 1000);
    if (age > input.maxSnapshotAgeSeconds) {
      raise("warning");
      reasons.push(`account snapshot ${age} s old, more than account.max_snapshot_age_seconds ${input.maxSnapshotAgeSeconds}: every BUY is held`);
    }
  }
  return { tier, reasons, broker_down_since: downSince, stop };
}
