/**
 * Replay of an orchestration (issue 13): the record of everything the pure core decided
 * from, the documents it is stored in, and what a replay reports. Like ./index, this
 * module imports zod only, so the pure core may use it.
 *
 *   tenants/{t}/orchestration_inputs/{sha256}           OrchestrationInputsSchema (part 0 of the text)
 *   tenants/{t}/orchestration_inputs/{sha256}/parts/{n}  OrchestrationInputsPartSchema (n = 1, 2, … when it is large)
 */
import { z } from "zod";
import {
  MaestroConfigSchema,
  RejectedSignalSchema,
  SessionRiskSchema,
  StrategySchema,
  StrategyWeightSchema,
  TRADING_SESSION_STATES,
  TradingDaySchema,
} from "./index";

export const CYCLE_INPUTS_FORMAT = "maestro.cycle_inputs.v1";

const IsoInstant = z.string().datetime({ offset: true, message: "must be an ISO-8601 instant" });

/**
 * Everything one cycle's decision used (core/cycle-inputs.ts), as plain JSON: the cycle's
 * reads after the stage made them the core's inputs. Nonces are not here: they are drawn
 * from a cryptographic source as identity is stamped, and licence nothing in a replay.
 * The record's own fields are strict (the stage builds it); what sits inside them is read
 * as the core reads it, other fields dropped, since it comes from other documents whose
 * schemas may grow (the core decides from the decoded record, so it never sees them either).
 */
export const CycleInputRecordSchema = z
  .object({
    format: z.literal(CYCLE_INPUTS_FORMAT),
    tenant_id: z.string(),
    session_id: z.string(),
    /** The cycle's clock: every age, expiry and identity timestamp is measured from it. */
    now: IsoInstant,
    /** The trading session's venue day. */
    trading_day: TradingDaySchema,
    config: MaestroConfigSchema,
    /** The valid strategy documents by id. */
    strategies: z.record(z.string(), StrategySchema),
    /** strategy_weights/current's strategies, as used (recomputed first when they were stale). */
    weights: z.record(z.string(), StrategyWeightSchema),
    /** The raw pending signal documents the core validated, by id (Timestamps as ISO strings). */
    signals: z.array(z.object({ id: z.string(), data: z.unknown() })),
    /** Signals the stage refused before the core (a bad id, an oversized document, a malformed strategy). */
    pre_rejected: z.array(RejectedSignalSchema),
    positions: z.record(z.string(), z.record(z.string(), z.number())),
    correlated_pairs: z.array(z.object({ a: z.string(), b: z.string(), rho: z.number() })),
    /** Prices for the portfolio_risk step's heat; null when that step is not configured. */
    marks: z.object({ prices: z.record(z.string(), z.number()), source: z.string() }).nullable(),
    /** The arbitration bandit's learned state (tenants/{t}/arbitration/state); null when that step is not configured. */
    bandit: z
      .object({ version: z.number().int().min(0), factors: z.record(z.string(), z.object({ alpha: z.number(), beta: z.number() })) })
      .nullable(),
    /** The seed of the arbitration's Thompson draws (core/arbitration.ts seedOf(session_id)). */
    arbitration_seed: z.number().int().min(0).max(0xffffffff),
    equity: z.object({ value: z.number().nullable(), source: z.string(), as_of: z.string().nullable() }),
    buying_power: z.object({ available: z.union([z.number(), z.null(), z.literal("hold")]), source: z.string() }),
    session: z
      .object({
        state: z.enum(TRADING_SESSION_STATES),
        paused_reason: z.string().nullable(),
        risk: SessionRiskSchema,
        closed_trades: z.array(z.object({ day: z.string().optional(), at: z.string(), pnl: z.number() })),
        trading_since: z.string().nullable(),
        closes_at: z.string().nullable(),
        equity_as_of: z.string().nullable(),
        /** Strategies whose agent failed, with why (issue 14); records older than it have none. */
        agent_holds: z.record(z.string(), z.string()).optional(),
      }),
  })
  .strict();
export type CycleInputRecord = z.infer<typeof CycleInputRecordSchema>;

/** tenants/{t}/orchestration_inputs/{sha256}: the canonical JSON of a CycleInputRecord, or its first part. */
export const OrchestrationInputsSchema = z.object({
  format: z.literal(CYCLE_INPUTS_FORMAT),
  tenant_id: z.string(),
  session_id: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** UTF-8 bytes of the whole canonical text. */
  bytes: z.number().int().min(1),
  parts: z.number().int().min(1),
  /** Part 0 of the text; parts/1 … parts/{parts − 1} hold the rest, in order. */
  text: z.string(),
  recorded_at: z.string(),
});
export type OrchestrationInputs = z.infer<typeof OrchestrationInputsSchema>;

export const OrchestrationInputsPartSchema = z.object({ sha256: z.string(), part: z.number().int().min(1), text: z.string() });

/** One field where the replayed decision and the stored one disagree. */
export const ReplayDifferenceSchema = z.object({
  /** e.g. `signals[signal_id=s1].interventions[0].code`. */
  path: z.string(),
  /** changed: both have it, differently; only_stored / only_replayed: one side lacks it. */
  kind: z.enum(["changed", "only_stored", "only_replayed"]),
  stored: z.unknown(),
  replayed: z.unknown(),
});
export type ReplayDifference = z.infer<typeof ReplayDifferenceSchema>;

export const REPLAY_FINDING_KINDS = ["replay_difference", "replay_inputs_unverifiable"] as const;
