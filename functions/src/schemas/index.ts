/**
 * The one definition of every Maestro document, Pub/Sub message and callable payload.
 * TypeScript types are inferred from these schemas (`z.infer`), never written twice.
 * Field names are snake_case, as in the seed documents (DESIGN.md, Firestore contract).
 *
 * This module imports zod only, so the pure domain core may use it.
 */
import { z } from "zod";
import { BrokerConfigSchema } from "../broker/config";
import { AllocationConfigSchema, DEFAULT_ALLOCATION_CONFIG } from "./allocation";
import { AgentsConfigSchema, DEFAULT_AGENTS_CONFIG, SessionAgentsSchema, EMPTY_SESSION_AGENTS } from "./agents";
import { DocIdSchema, TradingDaySchema } from "./ids";

export { DocIdSchema, TradingDaySchema };

// ---------------------------------------------------------------------------
// Shared vocabulary
// ---------------------------------------------------------------------------

export const MODES = ["ACTIVE", "REDUCED", "SHADOW_MODE", "DISABLED"] as const;
export const ModeSchema = z.enum(MODES);
export type Mode = z.infer<typeof ModeSchema>;

export const SIGNAL_ACTIONS = ["BUY", "SELL", "HOLD"] as const;
export const SignalActionSchema = z.enum(SIGNAL_ACTIONS);
export type SignalAction = z.infer<typeof SignalActionSchema>;

export const TradeSideSchema = z.enum(["BUY", "SELL"]);
export type TradeSide = z.infer<typeof TradeSideSchema>;

/**
 * Accepts a JS Date, an ISO-8601 string, epoch milliseconds, or anything with a
 * `toDate()` (a Firestore Timestamp) and yields a Date. The core never sees Firestore
 * types; the store converts before parsing, this is the last line of defence.
 */
export const InstantSchema = z.preprocess((v) => {
  if (v instanceof Date) return v;
  if (typeof v === "string" || typeof v === "number") return new Date(v);
  if (v && typeof (v as { toDate?: unknown }).toDate === "function") {
    return (v as { toDate: () => Date }).toDate();
  }
  return v;
}, z.date({ error: "must be a timestamp or an ISO-8601 date-time" }).refine((d) => !Number.isNaN(d.getTime()), "must be a valid date-time"));

const finite = () => z.number({ error: "must be a number" }).refine(Number.isFinite, "must be finite");

// ---------------------------------------------------------------------------
// Configuration: tenants/{t}/config/maestro
// ---------------------------------------------------------------------------

/** The Gemini call's ceiling: a sixth of the log writer's 120 s, so a slow model never times the writer out. */
export const AI_SUMMARY_TIMEOUT_MAX_MS = 20_000;

export const AiSummaryConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    model: z.string().min(1, "must name a model").default("gemini-2.0-flash"),
    /** Capped at AI_SUMMARY_TIMEOUT_MAX_MS, well under the log writer's timeoutSeconds (120). */
    timeout_ms: z
      .number()
      .int()
      .min(100, "must be at least 100 ms")
      .max(AI_SUMMARY_TIMEOUT_MAX_MS, `must be at most ${AI_SUMMARY_TIMEOUT_MAX_MS} ms`)
      .default(4_000),
  })
  .strict();

/** Per-user call limits of the client API, over a sliding window. */
export const RateLimitConfigSchema = z
  .object({
    window_seconds: z.number().int().min(1, "must be at least 1").max(3600, "must be at most 3600").default(60),
    /** orchestrateNow calls per user per window. */
    orchestrate_now: z.number().int().min(1, "must be at least 1").max(1000, "must be at most 1000").default(6),
    /** Write callables (setStrategyMode, updateMaestroConfig) per user per window. */
    write_calls: z.number().int().min(1, "must be at least 1").max(1000, "must be at most 1000").default(20),
    /** verifyLogChain and replayOrchestration calls per user per window (each walks a page budget of the chain or re-runs a cycle). */
    verify_chain: z.number().int().min(1, "must be at least 1").max(1000, "must be at most 1000").default(6),
    /** askMaestro calls per user per window (each may read several callables and ask Gemini up to 3 times). */
    ask: z.number().int().min(1, "must be at least 1").max(1000, "must be at most 1000").default(30),
    /** A strategy agent's calls (respondToAgentTask + agentHeartbeat) per agent per window (issue 14): a heartbeat every 10 s is 6 a minute. */
    agent_calls: z.number().int().min(1, "must be at least 1").max(1000, "must be at most 1000").default(60),
  })
  .strict();
export type RateLimitConfig = z.infer<typeof RateLimitConfigSchema>;

/**
 * NYSE full-day closures for 2026 and 2027 (weekend holidays moved to the observed
 * weekday). Early closes are not modelled. Tenants on another venue set their own.
 */
export const NYSE_HOLIDAYS_2026_2027 = [
  "2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25", "2026-06-19",
  "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25",
  "2027-01-01", "2027-01-18", "2027-02-15", "2027-03-26", "2027-05-31", "2027-06-18",
  "2027-07-05", "2027-09-06", "2027-11-25", "2027-12-24",
] as const;

const ClockTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time of day written HH:MM (24-hour)");
/** A close may also be 24:00, the end of the day: a 24-hour venue is open 00:00–24:00. */
const CloseTimeSchema = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, "must be a time of day written HH:MM (24-hour), or 24:00 for the end of the day");

/** When scheduled market cycles run for the tenant: its venue's session, in its time zone. */
export const MarketHoursSchema = z
  .object({
    time_zone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat("en-US", { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, "must be an IANA time zone such as America/New_York")
      .default("America/New_York"),
    open: ClockTimeSchema.default("09:30"),
    close: CloseTimeSchema.default("16:00"),
    /** ISO weekdays, 1 = Monday … 7 = Sunday. */
    trading_days: z.array(z.number().int().min(1, "must be 1 (Monday) to 7 (Sunday)").max(7, "must be 1 (Monday) to 7 (Sunday)")).default([1, 2, 3, 4, 5]),
    /** Local dates on which the venue is closed all day. */
    holidays: z.array(TradingDaySchema).default([...NYSE_HOLIDAYS_2026_2027]),
  })
  .strict()
  .refine((h) => h.open < h.close, { path: ["close"], message: "must be after open" });
export type MarketHours = z.infer<typeof MarketHoursSchema>;

/** The account snapshot the buying-power guard needs (fail closed: no snapshot, no BUY). */
export const AccountConfigSchema = z
  .object({
    /** false: without a snapshot BUYs are not capped (a desk whose execution side cannot report one). */
    require_snapshot: z.boolean().default(true),
    /** A snapshot older than this holds every BUY. */
    max_snapshot_age_seconds: z.number().int().min(1, "must be at least 1").max(86_400, "must be at most 86400 (a day)").default(900),
  })
  .strict();

/**
 * The steps of a cycle (core/pipeline.ts), in the order a config may list them. Each step
 * is (signals, context) → (signals, interventions); `weights` comes first (it sets each
 * signal's mode and allocation), the risk steps after it.
 */
export const CYCLE_STEPS = ["weights", "systemic_override", "arbitration", "risk_guardian", "portfolio_risk", "buying_power"] as const;
export type CycleStepName = (typeof CYCLE_STEPS)[number];
export const DEFAULT_CYCLE_STEPS: CycleStepName[] = ["weights", "systemic_override", "risk_guardian", "buying_power"];

/**
 * Portfolio risk on entries (issue 12, seeds 003 and 004; the step "portfolio_risk", listed
 * in cycle_steps to use it, after the risk guardian): each entry sized by seed 003's
 * breakdown, base × volatility × correlation × regime × concentration, then the heat check.
 */
export const PortfolioRiskConfigSchema = z
  .object({
    /** Annualised volatility an entry is sized towards: × target / the strategy's realized volatility. null: no volatility targeting. */
    target_volatility: z.number().gt(0, "must be greater than 0").max(5, "must be at most 5 (500 % a year)").nullable().default(0.15),
    /** Bounds of the volatility multiplier (seed 004: [0.5, 2]). */
    volatility_multiplier_min: z.number().gt(0, "must be greater than 0").max(1, "must be at most 1").default(0.5),
    volatility_multiplier_max: z.number().min(1, "must be at least 1").max(4, "must be at most 4").default(2),
    /** An entry from a strategy correlated above this with a strategy holding an open position is reduced. */
    correlation_threshold: z.number().gt(0, "must be greater than 0").lt(1, "must be less than 1").default(0.7),
    /** By how much (seed 003: 30–40 %). */
    correlation_reduction: z.number().gt(0, "must be greater than 0").lt(1, "must be less than 1").default(0.35),
    /** A pair of strategies correlated above this raises an alert when the weights are computed. */
    max_strategy_correlation: z.number().gt(0, "must be greater than 0").max(1, "must be at most 1").default(0.9),
    /** This many entries or more in one direction in a cycle scale each of them (seed 003's beta neutralisation). */
    concentration_count: z.number().int().min(2, "must be at least 2").default(3),
    concentration_multiplier: z.number().gt(0, "must be greater than 0").lt(1, "must be less than 1").default(0.7),
    /** The cycle's entries may risk at most this % of equity together (each at its stop distance); above it they are scaled down in proportion. */
    max_portfolio_heat_pct: z.number().gt(0, "must be greater than 0").max(100, "must be at most 100").default(5),
  })
  .strict()
  .refine((c) => c.volatility_multiplier_min <= c.volatility_multiplier_max, { path: ["volatility_multiplier_min"], message: "must not exceed volatility_multiplier_max" });

/**
 * The risk guardian's limits (seed 001 SKILL_2; the step "risk_guardian"). Per entry: its
 * risk against equity and the tenant's count of symbols. Per trading session: the loss
 * from the session's high-water mark, the trades taken, the closed trades lost in a row,
 * the orders per minute and the session's length. A session breach is a lock on the
 * trading session (code, reason, since, until) that holds entries until the session ends
 * or an admin lifts it; exits always pass.
 */
export const RiskConfigSchema = z
  .object({
    /** An entry's risk (notional × its stop distance) may be at most this % of equity; above it the entry is scaled down to fit. */
    max_position_risk_pct: z.number().gt(0, "must be greater than 0").max(100, "must be at most 100").default(1),
    /** The stop distance of an entry that names none (`stop_distance_pct` on the signal), in %. */
    default_stop_distance_pct: z.number().gt(0, "must be greater than 0").max(100, "must be at most 100").default(2),
    /** Most symbols the tenant may hold at once across its strategies; an entry into a new symbol past it is held. null: no limit. */
    max_positions: z.number().int().min(1, "must be at least 1").nullable().default(null),
    /** The session's loss limit, in % of its starting equity, measured from the session's high-water mark of equity (realized + unrealized). */
    max_session_loss_pct: z.number().gt(0, "must be greater than 0").max(100, "must be at most 100").default(3),
    /** Orders licensed (entries and exits) per trading session before entries lock. null: no limit. */
    max_trades_per_session: z.number().int().min(1, "must be at least 1").nullable().default(20),
    /** Closed trades lost in a row in the session before entries lock. null: no limit. */
    max_consecutive_losses: z.number().int().min(1, "must be at least 1").nullable().default(5),
    /** Orders licensed in any 60 seconds; entries past it wait for the next cycle (not a lock). null: no limit. */
    max_orders_per_minute: z.number().int().min(1, "must be at least 1").nullable().default(null),
    /** Minutes after the session began trading before entries lock. null: the venue's hours. */
    max_session_minutes: z.number().int().min(1, "must be at least 1").max(1440, "must be at most 1440 (a day)").nullable().default(null),
    /**
     * An equity reading that moved more than this % from the last accepted one is not
     * believed on its own: entries are held (EQUITY_IMPLAUSIBLE) and a finding written
     * until a later snapshot confirms it. A confirmed rise is a deposit (the session's
     * starting equity and high-water mark move with it); a confirmed fall is a loss (fail
     * closed: an admin who knows it was a withdrawal lifts the lock with that reason).
     */
    max_equity_jump_pct: z.number().gt(0, "must be greater than 0").max(1000, "must be at most 1000").default(25),
    /** An emergency stop closes every open position through the broker (or as execution intents) after cancelling the orders. */
    flatten_on_emergency: z.boolean().default(true),
    /**
     * Issue 12: equity this % below the desk's high-water mark (across sessions, kept by the
     * health check) is critical: an emergency stop. The mark restarts from the equity after
     * a stop is resumed. null: no portfolio drawdown stop.
     */
    max_portfolio_drawdown_pct: z.number().gt(0, "must be greater than 0").max(100, "must be at most 100").nullable().default(10),
  })
  .strict();

export const ALERT_SEVERITIES = ["info", "warning", "critical"] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/**
 * Where a tenant's alerts go (stages/alerts.ts): a Slack-compatible incoming webhook
 * (`{"text": …}`), or a generic webhook that receives the alert as JSON, signed with
 * HMAC-SHA256 (the MAESTRO_ALERT_SIGNING_KEY secret) over "{timestamp}.{body}". Each
 * channel takes the alerts at or above its minimum severity.
 */
export const AlertChannelSchema = z
  .object({
    kind: z.enum(["slack", "webhook"], { error: 'must be "slack" or "webhook"' }),
    url: z.string().url("must be an absolute URL").refine((u) => /^https?:/.test(u), "must use http or https"),
    min_severity: z.enum(ALERT_SEVERITIES, { error: "must be info, warning or critical" }).default("warning"),
  })
  .strict();

export const AlertsConfigSchema = z
  .object({
    channels: z.array(AlertChannelSchema).max(10, "must list at most 10 channels").default([]),
  })
  .strict();

/** tenants/{t}/alerts/{alert_id}: one alert, created once (its id deduplicates), and its deliveries. */
export const AlertSchema = z.object({
  alert_id: z.string(),
  tenant_id: z.string(),
  severity: z.enum(ALERT_SEVERITIES),
  /** EMERGENCY_STOP, EMERGENCY_RESUMED, HEALTH_WARNING, HEALTH_CRITICAL, SESSION_LOSS_LIMIT, …, AUDIT_FAILED. */
  code: z.string(),
  title: z.string(),
  message: z.string(),
  at: z.string(),
  /** Per channel index: what happened to its delivery. */
  deliveries: z.record(
    z.string(),
    z.object({ kind: z.string(), url: z.string(), status: z.enum(["delivered", "failed", "skipped"]), attempts: z.number().int(), http_status: z.number().nullable(), error: z.string().nullable(), at: z.string() }),
  ),
});
export type Alert = z.infer<typeof AlertSchema>;

/** The per-minute health check's thresholds (core/health.ts, seed 001's error tiers). */
export const HealthConfigSchema = z
  .object({
    /** A broker unreachable this long while the session's clock is awake is critical: an emergency stop. */
    broker_down_stop_seconds: z.number().int().min(10, "must be at least 10").max(3_600, "must be at most 3600").default(30),
    /** Keep account/snapshot in step with the broker's portfolio on each healthy check (where a broker is configured). */
    sync_account: z.boolean().default(true),
    /** Keep account/positions in step with the broker's positions, and compare them with Maestro's (info). */
    sync_positions: z.boolean().default(true),
    /** A warning pauses entries (ACTIVE_TRADING → PAUSED by the guardian); the first check back at ok resumes them. */
    pause_on_warning: z.boolean().default(true),
    /** The risk guardian's session loss-limit lock is critical: an emergency stop, once per lock. */
    stop_on_session_loss_limit: z.boolean().default(true),
    /** A stage (a retried trigger, a tenant job) failing this many times within the window is a warning. */
    stage_failures_warning: z.number().int().min(1, "must be at least 1").max(100, "must be at most 100").default(2),
    stage_failure_window_seconds: z.number().int().min(60, "must be at least 60").max(86_400, "must be at most 86400").default(900),
    /**
     * The market data side's heartbeat, `tenants/{t}/market_data/latest` {as_of}: older than
     * stale_seconds is a warning, older than failure_seconds a data feed failure (critical: an
     * emergency stop). null: market data is not monitored.
     */
    market_data: z
      .object({
        stale_seconds: z.number().int().min(10, "must be at least 10").max(86_400, "must be at most 86400").default(120),
        failure_seconds: z.number().int().min(10, "must be at least 10").max(86_400, "must be at most 86400").default(600),
      })
      .strict()
      .refine((m) => m.failure_seconds > m.stale_seconds, { path: ["failure_seconds"], message: "must be greater than health.market_data.stale_seconds" })
      .nullable()
      .default(null),
  })
  .strict();

/** How patiently an emergency stop waits for the broker to report flat (stages/emergency.ts). */
export const EmergencyConfigSchema = z
  .object({
    /** Listings of the positions after the closing orders, until none is left. */
    poll_attempts: z.number().int().min(1, "must be at least 1").max(30, "must be at most 30").default(5),
    /** Wait between two listings. */
    poll_interval_ms: z.number().int().min(0, "must be at least 0").max(60_000, "must be at most 60000").default(2_000),
    /** Attempts of one broker call that the broker refused as not ready (503) or could not answer. */
    call_attempts: z.number().int().min(1, "must be at least 1").max(10, "must be at most 10").default(3),
  })
  .strict();
export type RiskConfig = z.infer<typeof RiskConfigSchema>;

/**
 * The trading session's clock windows around the venue's hours (core/trading-session.ts):
 * PRE_MARKET for `pre_market_minutes` before the open, POST_MARKET for
 * `post_market_minutes` after the close, then SHUTDOWN.
 */
export const TradingSessionConfigSchema = z
  .object({
    pre_market_minutes: z.number().int().min(0, "must be at least 0").max(720, "must be at most 720").default(30),
    post_market_minutes: z.number().int().min(0, "must be at least 0").max(720, "must be at most 720").default(30),
  })
  .strict();

// ---------------------------------------------------------------------------
// Trading sessions: tenants/{t}/trading_sessions/{YYYY-MM-DD} (one per venue day)
// ---------------------------------------------------------------------------

export const TRADING_SESSION_STATES = [
  "INIT",
  "PRE_MARKET",
  "SESSION_OPEN",
  "ACTIVE_TRADING",
  "POST_MARKET",
  "SHUTDOWN",
  "PAUSED",
  "EMERGENCY_STOP",
] as const;
export type TradingSessionState = (typeof TRADING_SESSION_STATES)[number];

/** Who moved a session: the clock (the schedule), an admin (a callable), or the risk guardian. */
export const SessionActorSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("clock") }),
  z.object({ kind: z.literal("admin"), uid: z.string() }),
  z.object({ kind: z.literal("guardian"), code: z.string() }),
]);
export type SessionActor = z.infer<typeof SessionActorSchema>;

export const SessionTransitionSchema = z.object({
  from: z.enum(TRADING_SESSION_STATES),
  to: z.enum(TRADING_SESSION_STATES),
  actor: SessionActorSchema,
  at: z.string(),
  reason: z.string(),
  /** The log-chain entry that records this move (systemStatus/orchestration_logs/logs/{log_id}). */
  log_id: z.string().nullable(),
});
export type SessionTransition = z.infer<typeof SessionTransitionSchema>;

/** The codes a session lock can carry (a breach of a session limit). */
export const LOCK_CODES = ["SESSION_LOSS_LIMIT", "MAX_TRADES_PER_SESSION", "MAX_CONSECUTIVE_LOSSES", "SESSION_DURATION_LIMIT"] as const;
export type LockCode = (typeof LOCK_CODES)[number];

/** A breach that holds entries: until the session ends (`until`) or an admin lifts it with a reason. */
export const RiskLockSchema = z.object({
  code: z.enum(LOCK_CODES),
  reason: z.string(),
  since: z.string(),
  until: z.string().nullable(),
  lifted_at: z.string().nullable(),
  lifted_by: z.string().nullable(),
  lift_reason: z.string().nullable(),
});
export type RiskLock = z.infer<typeof RiskLockSchema>;

export const SessionAlertSchema = z.object({ at: z.string(), code: z.string(), message: z.string() });
export type SessionAlert = z.infer<typeof SessionAlertSchema>;

/** What the risk guardian keeps across the session's cycles (core/session-guardian.ts). */
export const SessionRiskSchema = z.object({
  /** The first equity reading accepted in the session; the loss limit is a % of it. */
  starting_equity: z.number().nullable(),
  /** The highest equity accepted in the session: the loss is measured down from it. */
  high_water_equity: z.number().nullable(),
  last_equity: z.number().nullable(),
  last_equity_as_of: z.string().nullable(),
  /** A reading that jumped past risk.max_equity_jump_pct, waiting for a later snapshot to confirm it. */
  pending_equity: z.object({ value: z.number(), as_of: z.string().nullable() }).nullable(),
  /** Orders licensed this session (entries and exits). */
  trades: z.number().int().min(0),
  /** Trades taken before the last lift of MAX_TRADES_PER_SESSION: the limit counts from here. */
  trades_counted_from: z.number().int().min(0),
  /** When each of the last minute's orders was licensed (max_orders_per_minute). */
  order_times: z.array(z.string()),
  /** Losses in a row count closed trades after this instant (the last lift of MAX_CONSECUTIVE_LOSSES). */
  losses_counted_after: z.string().nullable(),
  locks: z.array(RiskLockSchema),
});
export type SessionRisk = z.infer<typeof SessionRiskSchema>;

/** Seed 001's SESSION_STATE, kept current by every cycle. */
export const SessionSummarySchema = z.object({
  equity: z.number().nullable(),
  /** Equity now less the starting equity (realized + unrealized, as the account reports it); null without both. */
  pnl: z.number().nullable(),
  positions_open: z.number().int().min(0),
  /** Fraction of each limit in use (1 = at the limit); null where the limit is off or cannot be measured. */
  risk_utilization: z.object({
    session_loss: z.number().nullable(),
    trades: z.number().nullable(),
    positions: z.number().nullable(),
  }),
  cycles: z.number().int().min(0),
  interventions_by_code: z.record(z.string(), z.number().int()),
  alerts: z.array(SessionAlertSchema),
});
export type SessionSummary = z.infer<typeof SessionSummarySchema>;

/** Written when the session enters POST_MARKET: the summary plus what each strategy contributed. */
export const SessionReportSchema = SessionSummarySchema.extend({
  day: TradingDaySchema,
  written_at: z.string(),
  starting_equity: z.number().nullable(),
  high_water_equity: z.number().nullable(),
  trades: z.number().int().min(0),
  locks: z.array(RiskLockSchema),
  strategy_contributions: z.array(
    z.object({
      strategy_id: z.string(),
      realized_pnl: z.number().nullable(),
      unrealized_pnl: z.number().nullable(),
      daily_pnl: z.number().nullable(),
      /** Why the figures are null: no performance for the day yet (no trades, or the rollup has not run). */
      note: z.string().nullable(),
    }),
  ),
});
export type SessionReport = z.infer<typeof SessionReportSchema>;

/** One position the stop is closing: claimed before the order is sent, so a second stop never sends it again. */
export const EmergencyClosingSchema = z.object({
  connector_name: z.string(),
  trading_pair: z.string(),
  position_side: z.enum(["LONG", "SHORT"]),
  amount: z.number(),
  claimed_at: z.string(),
  /** The broker's order id once it acknowledged the order; null: not acknowledged (failed, or its fate unknown). */
  client_order_id: z.string().nullable(),
  error: z.string().nullable(),
});
export type EmergencyClosing = z.infer<typeof EmergencyClosingSchema>;

/** The shutdown report (seed 001 SKILL_4): what was cancelled, closed, what is still open and why. */
export const EmergencyReportSchema = z.object({
  broker: z.string().nullable(),
  nonces_revoked: z.number().int(),
  reservations_released: z.number().int(),
  /** Pending signals the stop cancelled (rejected with the stop named), so nothing re-enters on them after a resume. */
  signals_cancelled: z.number().int().default(0),
  /** The day's agent workflow runs the stop cancelled (issue 14): no task goes out after a stop. */
  agent_runs_cancelled: z.array(z.string()).default([]),
  orders_cancelled: z.array(z.object({ connector_name: z.string(), client_order_id: z.string() })),
  cancel_failures: z.array(z.object({ connector_name: z.string(), client_order_id: z.string(), why: z.string() })),
  closing_orders: z.array(EmergencyClosingSchema),
  still_open: z.array(z.object({ connector_name: z.string(), trading_pair: z.string(), side: z.string(), amount: z.number(), why: z.string() })),
  /** Without a broker: the intents written for the execution side (tenants/{t}/execution_intents). */
  intents: z.array(z.string()),
  polls: z.number().int(),
  flat: z.boolean(),
  timings_ms: z.object({ revoke: z.number(), cancel: z.number(), close: z.number(), poll: z.number(), total: z.number() }),
  written_at: z.string(),
});
export type EmergencyReport = z.infer<typeof EmergencyReportSchema>;

export const EmergencyRecordSchema = z.object({
  triggered_by: SessionActorSchema,
  reason: z.string(),
  started_at: z.string(),
  /** How many times a stop was asked for in this session (a second or retried stop counts). */
  stops: z.number().int().min(1),
  /** Positions the stop has claimed, by "connector|pair|side". */
  closing: z.record(z.string(), EmergencyClosingSchema),
  report: EmergencyReportSchema.nullable(),
  /** When an admin's resumeTrading found the broker reconciled and left EMERGENCY_STOP (null: still stopped). */
  reconciled: z
    .object({ at: z.string(), by: z.string(), reason: z.string(), broker: z.string().nullable(), checks: z.array(z.string()) })
    .nullable()
    .default(null),
});
export type EmergencyRecord = z.infer<typeof EmergencyRecordSchema>;

export const TradingSessionSchema = z.object({
  tenant_id: z.string(),
  day: TradingDaySchema,
  state: z.enum(TRADING_SESSION_STATES),
  transitions: z.array(SessionTransitionSchema),
  /** When the session first entered ACTIVE_TRADING (the session-duration limit counts from here). */
  trading_since: z.string().nullable(),
  /** When the venue's clock ends the day's trading (the close); locks last until then. */
  closes_at: z.string(),
  risk: SessionRiskSchema,
  summary: SessionSummarySchema,
  report: SessionReportSchema.nullable(),
  /** The emergency stop of this session (issue 11); null until one is asked for. */
  emergency: EmergencyRecordSchema.nullable().default(null),
  /** The strategy agents' runs, states and holds for the day (issue 14); sessions older than it have none. */
  agents: SessionAgentsSchema.default(EMPTY_SESSION_AGENTS),
  created_at: z.string(),
  updated_at: z.string(),
});
export type TradingSession = z.infer<typeof TradingSessionSchema>;

/** Defaults are DESIGN.md's "Defaults" section. */
export const MaestroConfigSchema = z
  .object({
    lookback_days: z.number().int().min(2, "must be at least 2").max(365, "must be at most 365").default(30),
    min_data_points: z.number().int().min(2, "must be at least 2").default(5),
    risk_free_rate: z.number().min(0, "must be at least 0").max(1, "must be at most 1 (an annual fraction)").default(0.04),
    sharpe_threshold_reduce: finite().default(1.0),
    sharpe_threshold_shadow: finite().default(0.5),
    reduce_multiplier: z.number().gt(0, "must be greater than 0").lt(1, "must be less than 1").default(0.5),
    systemic_sell_threshold: z.number().int().min(1, "must be at least 1").default(3),
    insufficient_data_mode: ModeSchema.default("ACTIVE"),
    /** How the strategies split the desk (issue 12): sharpe_tiers (seed 000, the default) or a portfolio method. */
    allocation: AllocationConfigSchema.default(DEFAULT_ALLOCATION_CONFIG),
    /** The portfolio_risk step's limits (issue 12; used when cycle_steps lists it). */
    portfolio_risk: PortfolioRiskConfigSchema.default(PortfolioRiskConfigSchema.parse({})),
    /** Replaced by `allocation.method`: refused with that said, rather than silently ignored. */
    allocation_method: z.never({ error: 'is replaced by allocation: { method: … } (e.g. allocation: { method: "sharpe_tiers" })' }).optional(),
    ai_summary: AiSummaryConfigSchema.default(AiSummaryConfigSchema.parse({})),
    rate_limits: RateLimitConfigSchema.default(RateLimitConfigSchema.parse({})),
    market_hours: MarketHoursSchema.default(MarketHoursSchema.parse({})),
    /** How long an issued nonce licenses its trade; after that it is refused and its reservation released. */
    nonce_ttl_seconds: z.number().int().min(10, "must be at least 10").max(86_400, "must be at most 86400 (a day)").default(300),
    account: AccountConfigSchema.default(AccountConfigSchema.parse({})),
    risk: RiskConfigSchema.default(RiskConfigSchema.parse({})),
    trading_session: TradingSessionConfigSchema.default(TradingSessionConfigSchema.parse({})),
    /** The tenant's broker (issue 11); null: none, and an emergency stop writes execution intents instead. Credentials are a secret, never here. */
    broker: BrokerConfigSchema.nullable().default(null),
    emergency: EmergencyConfigSchema.default(EmergencyConfigSchema.parse({})),
    health: HealthConfigSchema.default(HealthConfigSchema.parse({})),
    alerts: AlertsConfigSchema.default(AlertsConfigSchema.parse({})),
    /** The strategy agents' workflows per session phase (issue 14); none by default. */
    agents: AgentsConfigSchema.default(DEFAULT_AGENTS_CONFIG),
    /** The cycle's steps, in order (CYCLE_STEPS); weights first, each at most once. */
    cycle_steps: z.array(z.enum(CYCLE_STEPS)).min(1, "must list at least the weights step").default(() => [...DEFAULT_CYCLE_STEPS]),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.cycle_steps[0] !== "weights") {
      ctx.addIssue({ code: "custom", path: ["cycle_steps"], message: `must start with "weights" (it sets each signal's mode and allocation) (got ${JSON.stringify(c.cycle_steps)})` });
    }
    const seen = new Set<string>();
    for (const step of c.cycle_steps) {
      if (seen.has(step)) ctx.addIssue({ code: "custom", path: ["cycle_steps"], message: `must list "${step}" at most once` });
      seen.add(step);
    }
    if (!c.account.require_snapshot && c.cycle_steps.includes("risk_guardian")) {
      ctx.addIssue({
        code: "custom",
        path: ["account", "require_snapshot"],
        message: 'false leaves the risk guardian (in cycle_steps) no equity to measure entries against, so it would hold every entry: list cycle_steps without "risk_guardian" as well',
      });
    }
    if (c.sharpe_threshold_shadow > c.sharpe_threshold_reduce) {
      ctx.addIssue({
        code: "custom",
        path: ["sharpe_threshold_shadow"],
        message: `must not exceed sharpe_threshold_reduce (${c.sharpe_threshold_reduce})`,
      });
    }
    if (c.min_data_points > c.lookback_days) {
      ctx.addIssue({
        code: "custom",
        path: ["min_data_points"],
        message: `must not exceed lookback_days (${c.lookback_days})`,
      });
    }
  });
export type MaestroConfig = z.infer<typeof MaestroConfigSchema>;
export const DEFAULT_CONFIG: MaestroConfig = MaestroConfigSchema.parse({});

// ---------------------------------------------------------------------------
// Tenants and strategies
// ---------------------------------------------------------------------------

export const TenantSchema = z.object({
  name: z.string().min(1, "must not be empty"),
  active: z.boolean(),
});
export type Tenant = z.infer<typeof TenantSchema>;

export const StrategySchema = z.object({
  name: z.string().min(1, "must not be empty"),
  enabled: z.boolean().default(true),
  capital_base: z.number({ error: "must be a number" }).gt(0, "must be greater than 0 (returns are P&L / capital_base)"),
  manual_mode: z.literal("DISABLED").nullable().default(null),
  /** Why an admin set manual_mode (setStrategyMode); kept on the strategy and in admin_actions. */
  manual_mode_reason: z.string().nullable().optional(),
  /** The `custom` allocation method's weight for this strategy (any positive scale; normalised across the desk). */
  allocation_weight: z.number({ error: "must be a number" }).min(0, "must be at least 0").nullable().optional(),
});
export type Strategy = z.infer<typeof StrategySchema>;

// ---------------------------------------------------------------------------
// Membership: tenants/{t}/members/{uid}
// ---------------------------------------------------------------------------

/** Roles in increasing power: each role may do everything the ones before it may. */
export const ROLES = ["viewer", "trader", "admin"] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

export const MemberSchema = z.object({
  role: RoleSchema,
  email: z.string().optional(),
});
export type Member = z.infer<typeof MemberSchema>;

// ---------------------------------------------------------------------------
// Ledger, marks, performance
// ---------------------------------------------------------------------------

export const LedgerTradeSchema = z.object({
  strategy_id: DocIdSchema,
  symbol: z.string().min(1, "must not be empty").max(32, "must be at most 32 characters"),
  side: TradeSideSchema,
  quantity: finite().gt(0, "must be greater than 0"),
  price: finite().gt(0, "must be greater than 0"),
  fee: finite().min(0, "must not be negative").default(0),
  executed_at: InstantSchema,
  /** The execution side's order of fills that share an executed_at (optional). */
  sequence: z.number({ error: "must be a number" }).int("must be a whole number").min(0, "must be at least 0").optional(),
  /** The licence this fill executed (the nonce the execution side redeemed), optional: links a fill to the decision behind it (issue 12's arbitration learns from it). */
  nonce: z.string().regex(/^[0-9a-f]{32}$/, "must be 32 lowercase hex characters (a Maestro nonce)").optional(),
});
export type LedgerTrade = z.infer<typeof LedgerTradeSchema>;

/**
 * A SHADOW_MODE strategy's paper fill, `tenants/{t}/paper_trades/{session}_{signal}`
 * (issue 9): what its orchestrated BUY or SELL would have filled, at the price the signal
 * named, or at the symbol's next mark (then `awaiting_mark` until that mark is written,
 * with quantity and price null). Rolled up like the real ledger, into paper_performance.
 */
export const PaperTradeSchema = z.object({
  strategy_id: DocIdSchema,
  symbol: z.string().min(1).max(32),
  side: TradeSideSchema,
  quantity: z.number().positive().nullable(),
  price: z.number().positive().nullable(),
  fee: z.number().min(0),
  executed_at: InstantSchema,
  /** allocation × capital_base: what the fill is worth at its price. */
  notional: z.number().positive(),
  price_source: z.enum(["reference_price", "next_mark"]),
  status: z.enum(["filled", "awaiting_mark"]),
  /** The venue day of the mark that priced a next_mark fill. */
  priced_by_mark: TradingDaySchema.nullable(),
  session_id: z.string(),
  signal_id: z.string(),
  paper: z.literal(true),
});
export type PaperTrade = z.infer<typeof PaperTradeSchema>;

export const DailyMarksSchema = z.object({
  prices: z.record(z.string(), finite().gt(0, "must be greater than 0")),
});
export type DailyMarks = z.infer<typeof DailyMarksSchema>;

export const PositionSchema = z.object({
  /** Signed: positive long, negative short. */
  quantity: z.number(),
  /** Quantity-weighted entry price of the open FIFO lots. */
  average_price: z.number(),
  mark_price: z.number(),
});

/**
 * A symbol's open FIFO lots at a day's close, oldest first, all on one side (1 long, −1
 * short): the checkpoint the next roll resumes from. Parallel arrays, because Firestore
 * stores them compactly; `opened` is each lot's quantity when it opened.
 */
export const OpenLotsSchema = z
  .object({
    side: z.union([z.literal(1), z.literal(-1)]),
    quantities: z.array(z.number().positive()),
    prices: z.array(z.number().positive()),
    opened: z.array(z.number().positive()),
  })
  .refine((l) => l.quantities.length === l.prices.length && l.prices.length === l.opened.length, "quantities, prices and opened must be the same length");
export type OpenLots = z.infer<typeof OpenLotsSchema>;

export const StrategyPerformanceSchema = z.object({
  tenant_id: z.string(),
  strategy_id: z.string(),
  /** ISO-8601, the first instant of the venue's trading day (midnight in market_hours.time_zone). */
  period_start: z.string(),
  /** ISO-8601, the first instant of the next venue day. */
  period_end: z.string(),
  trading_day: TradingDaySchema,
  /** FIFO realized P&L of lots closed that day, net of that day's fees. */
  realized_pnl: z.number(),
  /** Mark-to-market P&L of the lots still open at the day's close (a level, not a change). */
  unrealized_pnl: z.number(),
  /** The day's P&L: realized_pnl + (unrealized_pnl − previous day's unrealized_pnl). */
  daily_pnl: z.number(),
  fees: z.number(),
  trade_count: z.number().int(),
  positions: z.record(z.string(), PositionSchema),
  /** The open lots at the day's close: where a re-roll of the days after resumes. Absent on days stored before checkpoints. */
  open_lots: z.record(z.string(), OpenLotsSchema).optional(),
  computed_at: z.string(),
  /** ledger_trades_fifo for the real ledger; paper_trades_fifo for SHADOW_MODE's paper fills (paper_performance). */
  source: z.enum(["ledger_trades_fifo", "paper_trades_fifo"]),
  /** true on a paper day (tenants/{t}/paper_performance): what the strategy would have made in SHADOW_MODE. */
  paper: z.boolean().optional(),
});
export type StrategyPerformance = z.infer<typeof StrategyPerformanceSchema>;

// ---------------------------------------------------------------------------
// Weights: tenants/{t}/strategy_weights/current
// ---------------------------------------------------------------------------

export const PerformanceMetricsSchema = z.object({
  sharpe_ratio: z.number(),
  /** null when no day fell below the risk-free rate (downside deviation 0). */
  sortino_ratio: z.number().nullable(),
  /** Cumulative P&L over capital_base: the fixed-base equity curve's last point − 1, ≥ −1. */
  total_return: z.number(),
  /** Growth per year of the equity curve; null below min_data_points days or where it overflows. */
  annualized_return: z.number().nullable(),
  volatility: z.number(),
  /** Worst peak-to-trough fall of the equity curve capital_base + cumulative P&L (floored at 0), from 0 to −1 (a wipeout). */
  max_drawdown: z.number(),
  win_rate: z.number(),
  data_points: z.number().int(),
});
export type PerformanceMetrics = z.infer<typeof PerformanceMetricsSchema>;

export const StrategyWeightSchema = PerformanceMetricsSchema.extend({
  strategy_id: z.string(),
  strategy_name: z.string(),
  weight: z.number().min(0).max(1),
  mode: ModeSchema,
  reasoning: z.string(),
  period_start: z.string().nullable(),
  period_end: z.string().nullable(),
  /** Days of the lookback with paper P&L (SHADOW_MODE's paper fills standing in). */
  paper_days: z.number().int().min(0).default(0),
  /** The strategy's share of the desk under a portfolio allocation method (issue 12); absent under sharpe_tiers. */
  portfolio_weight: z.number().min(0).max(1).nullable().optional(),
});
export type StrategyWeight = z.infer<typeof StrategyWeightSchema>;

/** A portfolio method's last rebalance (core/portfolio-allocation.ts PortfolioRecord). */
export const PortfolioRecordSchema = z.object({
  method: z.enum(["equal_weight", "performance_based", "risk_parity", "custom"]),
  config_key: z.string(),
  shares: z.record(z.string(), z.number().min(0).max(1)),
  eligible: z.array(z.string()),
  reasoning: z.record(z.string(), z.string()),
  fallback: z.object({ from: z.enum(["equal_weight", "performance_based", "risk_parity", "custom"]), to: z.enum(["inverse_volatility", "equal_weight"]), reason: z.string() }).nullable(),
  iterations: z.number().int().nullable(),
  days: z.number().int().nullable(),
  correlation: z.record(z.string(), z.record(z.string(), z.number().nullable())).nullable(),
  notes: z.array(z.string()),
  rebalanced_at: z.string(),
  rebalance_reason: z.string(),
});
export type PortfolioRecordStored = z.infer<typeof PortfolioRecordSchema>;

export const StrategyWeightsSchema = z.object({
  tenant_id: z.string(),
  strategies: z.record(z.string(), StrategyWeightSchema),
  computed_at: z.string(),
  /** Bumped by every performance write; weights are fresh when the two versions match. */
  performance_version: z.number().int().default(0),
  computed_from_version: z.number().int().default(-1),
  config_used: z.record(z.string(), z.unknown()).optional(),
  /** sha256 of the strategy documents the weights were computed from (name, mode, capital...). */
  strategies_fingerprint: z.string().optional(),
  /** The portfolio method's last rebalance; null or absent under sharpe_tiers. */
  portfolio: PortfolioRecordSchema.nullable().optional(),
  /** Pairs of strategies whose daily returns correlate at |ρ| ≥ 0.5 over lookback_days (kept when cycle_steps lists portfolio_risk). */
  correlated_pairs: z.array(z.object({ a: z.string(), b: z.string(), rho: z.number(), days: z.number().int() })).nullable().optional(),
});
export type StrategyWeights = z.infer<typeof StrategyWeightsSchema>;

// ---------------------------------------------------------------------------
// Signals: tenants/{t}/signals/{id}
// ---------------------------------------------------------------------------

export const SIGNAL_STATUSES = ["pending", "orchestrated", "rejected"] as const;

/**
 * Text of at most `n` characters, counted as firestore.rules' `size()` counts them: UTF-16
 * code units (an emoji is two). zod's own `.max()` counts code points (an emoji is one),
 * so with it a 17-emoji ticker passed the schema and failed the rules (measured on the
 * emulator, test/emulator/rules.emulator.test.ts). The two now accept exactly the same text.
 */
function textOfAtMost(n: number) {
  return z.string({ error: "must be a string" }).refine((t) => t.length <= n, `must be at most ${n} characters`);
}

/** A raw strategy signal as a strategy writes it (status `pending`). */
export const RawSignalSchema = z.object({
  strategy_id: DocIdSchema,
  action: SignalActionSchema,
  ticker: textOfAtMost(32).refine((t) => t.length > 0, "must not be empty"),
  allocation: z.number({ error: "must be a number" }).min(0, "must be within [0, 1]").max(1, "must be within [0, 1]"),
  confidence: z.number({ error: "must be a number" }).min(0, "must be within [0, 1]").max(1, "must be within [0, 1]").default(0.5),
  reasoning: textOfAtMost(2000).default(""),
  /** Where the strategy's stop is, in % from the entry: the entry's risk is notional × this (else risk.default_stop_distance_pct). */
  stop_distance_pct: z.number({ error: "must be a number" }).refine(Number.isFinite, "must be finite").gt(0, "must be greater than 0").max(100, "must be at most 100").optional(),
  /** The price the strategy expects to trade at; a SHADOW_MODE strategy's paper fill uses it (else the next mark). */
  reference_price: z.number({ error: "must be a number" }).refine(Number.isFinite, "must be finite").gt(0, "must be greater than 0").optional(),
  status: z.enum(SIGNAL_STATUSES),
  /** Who wrote it: the member's uid or the agent's id (issue 14); the rules make it the writer's own. */
  created_by: z.string().min(1, "must not be empty").max(128, "must be at most 128 characters").optional(),
});
export type RawSignal = z.infer<typeof RawSignalSchema>;

// ---------------------------------------------------------------------------
// Orchestration output: tenants/{t}/orchestrations/{sessionId}
// ---------------------------------------------------------------------------

/**
 * Stable machine-readable codes of what a step did to a signal (in the manner of
 * NautilusTrader's denial reasons). A client or the audit branches on the code, never on
 * the human-readable reason.
 */
export const INTERVENTION_CODE_RULES = {
  REDUCED_ALLOCATION: { step: "weights", effect: "weight" },
  SHADOW_MODE_PAPER_ONLY: { step: "weights", effect: "weight" },
  STRATEGY_DISABLED: { step: "weights", effect: "weight" },
  /** Issue 12: an entry sized by the portfolio_risk step's breakdown (up or down; its reason carries the factors). */
  PORTFOLIO_RISK_SIZED: { step: "portfolio_risk", effect: "size" },
  /** Issue 12: the open positions already risk the whole max_portfolio_heat_pct: no new entry fits. */
  PORTFOLIO_HEAT_LIMIT: { step: "portfolio_risk", effect: "hold" },
  /** Issue 12: an open position has no mark, so the portfolio's heat cannot be measured: entries wait (fail closed). */
  PORTFOLIO_HEAT_UNMEASURED: { step: "portfolio_risk", effect: "hold" },
  /** Issue 12: held as the weaker of two signals too similar to both trade (same ticker and direction, correlated strategies). */
  REDUNDANT_SIGNAL: { step: "arbitration", effect: "hold" },
  /** Issue 12: held because another strategy's signal on the same ticker won the arbitration. */
  ARBITRATION_LOST: { step: "arbitration", effect: "hold" },
  /** Issue 12: an ACTIVE strategy's signal scaled by its share under a portfolio allocation method. */
  PORTFOLIO_ALLOCATION: { step: "weights", effect: "weight" },
  SYSTEMIC_RISK_OVERRIDE: { step: "systemic_override", effect: "hold" },
  BUYING_POWER_SCALED: { step: "buying_power", effect: "scale" },
  BUYING_POWER_HELD: { step: "buying_power", effect: "hold" },
  POSITION_RISK_SCALED: { step: "risk_guardian", effect: "scale" },
  MAX_POSITIONS: { step: "risk_guardian", effect: "hold" },
  EQUITY_UNAVAILABLE: { step: "risk_guardian", effect: "hold" },
  EQUITY_IMPLAUSIBLE: { step: "risk_guardian", effect: "hold" },
  SESSION_LOSS_LIMIT: { step: "risk_guardian", effect: "hold" },
  MAX_TRADES_PER_SESSION: { step: "risk_guardian", effect: "hold" },
  MAX_CONSECUTIVE_LOSSES: { step: "risk_guardian", effect: "hold" },
  ORDER_RATE_LIMIT: { step: "risk_guardian", effect: "hold" },
  SESSION_DURATION_LIMIT: { step: "risk_guardian", effect: "hold" },
  SESSION_PAUSED: { step: "trading_session", effect: "hold" },
  /** Issue 14: the strategy's agent failed (missed its task or went silent): its entries wait until it recovers; exits pass. */
  AGENT_FAILED: { step: "trading_session", effect: "hold" },
} as const satisfies Record<string, { step: InterventionStep; effect: "weight" | "hold" | "scale" | "size" }>;
export type InterventionCode = keyof typeof INTERVENTION_CODE_RULES;
/**
 * Each code with the one step that may record it and what it does to a signal: `hold`
 * ends at HOLD with allocation 0, `scale` lowers the allocation and keeps the action,
 * `weight` is the weights step's (mode and multiplier). The audit checks interventions
 * against this table; a new code is one entry here.
 */
export const INTERVENTION_CODES = Object.keys(INTERVENTION_CODE_RULES) as [InterventionCode, ...InterventionCode[]];

/** A signal's action and allocation, before or after a step changed them. */
export const SignalStateSchema = z.object({ action: SignalActionSchema, allocation: z.number() });

/** Where an intervention comes from: a configured step, or the trading session's gate, which always runs. */
export const INTERVENTION_STEPS = [...CYCLE_STEPS, "trading_session"] as const;
export type InterventionStep = (typeof INTERVENTION_STEPS)[number];

export const InterventionSchema = z.object({
  step: z.enum(INTERVENTION_STEPS),
  code: z.enum(INTERVENTION_CODES),
  reason: z.string(),
  before: SignalStateSchema,
  after: SignalStateSchema,
});
export type Intervention = z.infer<typeof InterventionSchema>;

/** Whether a signal opens or adds to exposure (entry), reduces or closes it (exit), or places nothing (HOLD). */
export const EXPOSURES = ["entry", "exit", "none"] as const;

const ArbitrationFactorsSchema = z.object({ regime_alignment: z.number(), expectancy: z.number(), signal_strength: z.number(), capital_efficiency: z.number(), correlation_contribution: z.number() });

/** Seed 000 "Enriched Signal Format", plus the ids that make it traceable. */
export const EnrichedSignalSchema = z.object({
  signal_id: z.string(),
  strategy_id: z.string(),
  strategy_name: z.string(),
  action: SignalActionSchema,
  ticker: z.string(),
  allocation: z.number(),
  original_allocation: z.number(),
  weight_multiplier: z.number(),
  mode: ModeSchema,
  confidence: z.number(),
  reasoning: z.string(),
  /** false for SHADOW_MODE (paper only), DISABLED, HOLD, or zero allocation. */
  executable: z.boolean(),
  // JIT identity, stamped last (core/orchestrate.ts)
  agent_id: z.string(),
  /** 32 hex: the licence for exactly this trade. Only an executable signal gets one; a signal a step dropped has null. */
  nonce: z.string().nullable(),
  session_id: z.string(),
  identity_timestamp: z.string(),
  /** Every change the cycle's steps made, in order (step, code, reason, before, after). */
  interventions: z.array(InterventionSchema).default(() => []),
  /** Who wrote the raw signal (a member's uid or an agent's id), when it says (issue 14). */
  created_by: z.string().optional(),
  /** entry: opens or adds to the strategy's position in the ticker; exit: reduces or closes it (a BUY covering a short). */
  exposure: z.enum(EXPOSURES).optional(),
  /** The stop distance the strategy named, in % (the risk guardian's measure of the entry's risk). */
  stop_distance_pct: z.number().optional(),
  // Risk override, present only when applied
  original_action: SignalActionSchema.optional(),
  override_reason: z.string().optional(),
  /** Executable BUYs: final allocation × the strategy's capital_base, in account currency. */
  notional: z.number().optional(),
  /** Present when the buying-power guard scaled or held this BUY. */
  buying_power_reason: z.string().optional(),
  /** Seed 003's arbitration breakdown, when this entry contested a ticker (core/arbitration.ts). */
  arbitration: z
    .object({
      ticker: z.string(),
      won: z.boolean(),
      score: z.number(),
      factors: ArbitrationFactorsSchema,
      /** The factor weights this cycle: seed 003's, scaled by the bandit's draws. */
      weights: ArbitrationFactorsSchema,
      draws: ArbitrationFactorsSchema,
      contenders: z.array(z.string()),
      /** The factors that favoured the winner (credited with the trade's outcome). */
      votes: z.array(z.string()),
      bandit_version: z.number().int(),
    })
    .optional(),
  /** Seed 003's sizing breakdown, when the portfolio_risk step sized this entry (core/portfolio-risk.ts). */
  portfolio_sizing: z
    .object({
      base: z.number(),
      volatility: z.number(),
      correlation: z.number(),
      regime: z.number(),
      concentration: z.number(),
      heat: z.number(),
      final: z.number(),
      notes: z.array(z.string()),
    })
    .optional(),
});
export type EnrichedSignal = z.infer<typeof EnrichedSignalSchema>;

/** What the buying-power guard did in one cycle (core/buying-power.ts). */
export const BuyingPowerSummarySchema = z.object({
  /** Buying power left for this cycle; null when no account snapshot exists (BUYs not capped). */
  available: z.number().nullable(),
  source: z.string(),
  requested_notional: z.number(),
  approved_notional: z.number(),
  remaining: z.number().nullable(),
  scaled: z.array(z.string()),
  held: z.array(z.string()),
});
export type BuyingPowerSummary = z.infer<typeof BuyingPowerSummarySchema>;

/** tenants/{t}/account/snapshot, written by the execution side. */
export const AccountSnapshotSchema = z.object({
  equity: z.number({ error: "must be a number" }).refine(Number.isFinite, "must be finite"),
  buying_power: z.number({ error: "must be a number" }).min(0, "must be at least 0"),
  /** When the execution side took it; reservations are kept per snapshot. */
  as_of: InstantSchema,
});
export type AccountSnapshot = z.infer<typeof AccountSnapshotSchema>;

/** One approved BUY's claim on buying power, by nonce (core/reservations.ts). */
export const ReservationSchema = z.object({
  signal_id: z.string(),
  session_id: z.string(),
  notional: z.number().min(0),
  reserved_at: z.string(),
  expires_at: z.string(),
  /** Set by redeemNonce; the reservation is released by the first snapshot taken after it. */
  redeemed_at: z.string().nullable(),
});
export type Reservation = z.infer<typeof ReservationSchema>;

/**
 * tenants/{t}/account/maestro_reservations: the buying power Maestro approved and has not
 * yet seen filled in a snapshot, one entry per approved BUY's nonce.
 */
export const BuyingPowerReservationSchema = z.object({
  entries: z.record(z.string(), ReservationSchema).default({}),
  updated_at: z.string(),
  last_session_id: z.string(),
});
export type BuyingPowerReservation = z.infer<typeof BuyingPowerReservationSchema>;

/**
 * tenants/{t}/nonces/{nonce}: what one issued nonce licenses (DESIGN.md: "licenses exactly
 * what was approved (action, ticker, notional, executable) until it expires").
 */
export const NonceRecordSchema = z.object({
  session_id: z.string(),
  signal_id: z.string(),
  agent_id: z.string(),
  strategy_id: z.string(),
  action: SignalActionSchema,
  ticker: z.string(),
  allocation: z.number(),
  /** Executable BUYs: the notional approved (and reserved); null otherwise. */
  notional: z.number().nullable(),
  executable: z.boolean(),
  /** Why it is not executable (the step that held it, the mode, HOLD); null when executable. */
  not_executable_reason: z.string().nullable(),
  /** An entry in account/maestro_reservations that redemption must mark. */
  reserved: z.boolean(),
  issued_at: z.string(),
  expires_at: z.string(),
  redeemed_at: z.string().nullable().default(null),
  redeemed_by: z.string().nullable().default(null),
  /** An emergency stop revoked the licence before it was redeemed (issue 11). */
  revoked_at: z.string().nullable().default(null),
  revoked_reason: z.string().nullable().default(null),
});
export type NonceRecord = z.infer<typeof NonceRecordSchema>;

export const AllocationDecisionSchema = z.object({
  strategy_id: z.string(),
  strategy_name: z.string(),
  original_allocation: z.number(),
  final_allocation: z.number(),
  mode: ModeSchema,
  reasoning: z.string(),
  sharpe_ratio: z.number(),
  max_drawdown: z.number(),
  data_points: z.number().int(),
  timestamp: z.string(),
});
export type AllocationDecision = z.infer<typeof AllocationDecisionSchema>;

export const SystemicRiskSchema = z.object({
  detected: z.boolean(),
  threshold: z.number().int(),
  /** Distinct tradable strategies (not SHADOW_MODE, not DISABLED) that said SELL. */
  sell_count: z.number().int(),
  selling_strategies: z.array(z.string()),
  overridden_count: z.number().int(),
  details: z.string(),
});
export type SystemicRisk = z.infer<typeof SystemicRiskSchema>;

export const RejectedSignalSchema = z.object({
  signal_id: z.string(),
  reason: z.string(),
});
export type RejectedSignal = z.infer<typeof RejectedSignalSchema>;

export const AI_SUMMARY_SOURCES = ["gemini", "written"] as const;

/** The summary the log writer obtained, kept on the orchestration so a retry does not ask Gemini again. */
export const ObtainedSummarySchema = z.object({
  text: z.string(),
  source: z.enum(AI_SUMMARY_SOURCES),
  fallback_reason: z.string().nullable(),
});
export type ObtainedSummary = z.infer<typeof ObtainedSummarySchema>;

export const LogStateSchema = z.object({
  state: z.enum(["PENDING", "WRITTEN"]),
  log_id: z.string().nullable(),
  attempts: z.number().int(),
  error: z.string().nullable(),
  updated_at: z.string(),
  /** Document reads and writes of the log writer's successful run. */
  io: z.object({ reads: z.number().int(), writes: z.number().int() }).optional(),
  /** Set before the log's transaction; reused by a retried log writer. */
  summary: ObtainedSummarySchema.optional(),
});

/**
 * Where an orchestration's recorded cycle inputs are (issue 13, replay): the sha256 of
 * their canonical JSON, which is also the id of tenants/{t}/orchestration_inputs/{sha256},
 * and its size in UTF-8 bytes. Covered by the orchestration's digest in its log, so the
 * chain key vouches for the inputs as much as for the decision.
 */
export const InputsRefSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest"),
  bytes: z.number().int().min(1),
  /** Documents the canonical text is stored in (the inputs document, then parts/1, parts/2, …). */
  parts: z.number().int().min(1),
});
export type InputsRef = z.infer<typeof InputsRefSchema>;

export const OrchestrationSchema = z.object({
  tenant_id: z.string(),
  session_id: z.string(),
  trigger: z.enum(["market_cycle", "orchestrate_now"]),
  requested_by: z.string().nullable(),
  timestamp: z.string(),
  signals: z.array(EnrichedSignalSchema),
  allocation_decisions: z.array(AllocationDecisionSchema),
  systemic_risk: SystemicRiskSchema,
  signals_modified: z.record(z.string(), z.string()),
  rejected_signals: z.array(RejectedSignalSchema),
  /** Absent on orchestrations written before the buying-power guard existed. */
  buying_power: BuyingPowerSummarySchema.optional(),
  /** The trading session the cycle ran in, as it found it (absent before trading sessions existed). */
  trading_session: z
    .object({
      day: TradingDaySchema,
      state: z.enum(TRADING_SESSION_STATES),
      /** The lock or data-quality hold on every entry this cycle, if any. */
      entry_block: z.object({ code: z.string(), reason: z.string() }).nullable(),
      /** The codes of the session's locks in force after this cycle. */
      active_locks: z.array(z.string()),
      /** Orders this cycle licensed, and the session's count after it. */
      orders: z.number().int().min(0),
      session_trades: z.number().int().min(0),
    })
    .optional(),
  inputs: z.object({
    config: z.record(z.string(), z.unknown()),
    config_source: z.enum(["tenant", "defaults", "last_valid"]),
    config_rejection: z.string().nullable(),
    weights_computed_at: z.string(),
    weights_recomputed: z.boolean(),
    signal_ids: z.array(z.string()),
    /** More pending signals than one cycle takes (MAX_SIGNALS_PER_CYCLE) were waiting. */
    more_pending: z.boolean(),
  }),
  /** The exact inputs the core decided from (absent on orchestrations written before replay existed). */
  inputs_ref: InputsRefSchema.optional(),
  io: z.object({ reads: z.number().int(), writes: z.number().int() }),
  latency_ms: z.number(),
  log: LogStateSchema,
});
export type Orchestration = z.infer<typeof OrchestrationSchema>;

// ---------------------------------------------------------------------------
// Audit log: systemStatus/orchestration_logs/logs/{timestamp}_{sessionId}
// ---------------------------------------------------------------------------

/** Seed 000 "Orchestration Logs" shape plus tenant_id, ai_summary_source and the hash chain. */
export const OrchestrationLogSchema = z.object({
  timestamp: z.string(),
  session_id: z.string(),
  tenant_id: z.string(),
  allocation_decisions: z.array(AllocationDecisionSchema),
  systemic_risk_detected: z.boolean(),
  systemic_risk_details: z.string(),
  signals_modified: z.record(z.string(), z.string()),
  signals: z.array(EnrichedSignalSchema),
  rejected_signals: z.array(RejectedSignalSchema),
  /** What the buying-power guard did; absent on logs written before it existed. */
  buying_power: BuyingPowerSummarySchema.optional(),
  ai_summary: z.string(),
  ai_summary_source: z.enum(AI_SUMMARY_SOURCES),
  ai_summary_fallback_reason: z.string().nullable(),
  /** Counts the log listing shows, recorded at write time so it reads only the fields it lists. */
  signals_count: z.number().int().min(0),
  overrides_count: z.number().int().min(0),
  rejected_count: z.number().int().min(0),
  /** sha256 of the orchestration as stored, without its `log` field (core/hash-chain orchestrationDigest). */
  orchestration_digest: z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest"),
  /** The chain key that signed `hash` (HMAC-SHA256); null when the chain is unkeyed (plain sha256). */
  hash_key_id: z.string().nullable(),
  /** Position in the tenant's chain, 1-based. */
  seq: z.number().int().min(1),
  prev_log_id: z.string().nullable(),
  prev_hash: z.string(),
  hash: z.string(),
});
export type OrchestrationLog = z.infer<typeof OrchestrationLogSchema>;

/**
 * A trading session's move, as a link of the tenant's log chain (issue 10: "each
 * transition is recorded and hash-chained with the logs"). Same collection, same chain
 * fields as an orchestration's log; `kind` tells them apart (an orchestration's log has none).
 */
export const TransitionLogSchema = z.object({
  kind: z.literal("trading_session_transition"),
  tenant_id: z.string(),
  timestamp: z.string(),
  day: TradingDaySchema,
  transition: SessionTransitionSchema.omit({ log_id: true }),
  hash_key_id: z.string().nullable(),
  seq: z.number().int().min(1),
  prev_log_id: z.string().nullable(),
  prev_hash: z.string(),
  hash: z.string(),
});
export type TransitionLog = z.infer<typeof TransitionLogSchema>;
export const TRANSITION_LOG_KIND = "trading_session_transition";

/** The fields listOrchestrationLogs reads (a Firestore select), and nothing else of the log. */
export const LoggedSummaryFieldsSchema = OrchestrationLogSchema.pick({
  timestamp: true,
  session_id: true,
  seq: true,
  systemic_risk_detected: true,
  systemic_risk_details: true,
  signals_count: true,
  overrides_count: true,
  rejected_count: true,
  ai_summary: true,
  ai_summary_source: true,
  hash: true,
});
export type LoggedSummaryFields = z.infer<typeof LoggedSummaryFieldsSchema>;

export const LogChainHeadSchema = z.object({
  seq: z.number().int(),
  last_hash: z.string(),
  last_log_id: z.string().nullable(),
  updated_at: z.string(),
});
export type LogChainHead = z.infer<typeof LogChainHeadSchema>;

/** tenants/{t}/log_chain/verification: the outcome of the latest scheduled whole-chain walk. */
export const ChainVerificationStatusSchema = z.object({
  tenant_id: z.string(),
  /** running: more pages to walk; complete: walked to the head, intact; broken: first_break found. */
  state: z.enum(["running", "complete", "broken"]),
  run_started_at: z.string(),
  last_run_at: z.string(),
  /** Links verified in this run so far (up to and including a break). */
  logs_checked: z.number().int(),
  intact: z.boolean(),
  keyed: z.boolean(),
  head_seq: z.number().int().nullable(),
  first_break: z.object({ log_id: z.string().nullable(), seq: z.number(), problem: z.string() }).nullable(),
  finding_id: z.string().nullable(),
  /** The replay of a sample of the orchestrations written since the previous run (issue 13); absent before replay existed. */
  replay: z
    .object({
      /** The window sampled: orchestrations with since < timestamp ≤ until (since null: from the first). */
      since: z.string().nullable(),
      until: z.string(),
      /** Orchestrations in the window, counted up to sample_limit + 1. */
      sampled: z.number().int().min(0),
      replayed: z.number().int().min(0),
      identical: z.number().int().min(0),
      /** Replayed to a different decision: each has its finding (replay_{session}). */
      different: z.number().int().min(0),
      /** Without recorded inputs (written before replay existed), inputs that no longer decode, or the core failing on them (that one a finding). */
      not_replayable: z.number().int().min(0),
      /** Recorded inputs missing or not matching their sha256: each has its finding. */
      inputs_unverifiable: z.number().int().min(0),
      differences: z.number().int().min(0),
      session_ids: z.array(z.string()),
    })
    .optional(),
});
export type ChainVerificationStatus = z.infer<typeof ChainVerificationStatusSchema>;

// ---------------------------------------------------------------------------
// Audit: tenants/{t}/audits/{logId}
// ---------------------------------------------------------------------------

export const AuditCheckSchema = z.object({
  name: z.string(),
  passed: z.boolean(),
  findings: z.array(z.string()),
});
export type AuditCheck = z.infer<typeof AuditCheckSchema>;

export const AuditSchema = z.object({
  tenant_id: z.string(),
  log_id: z.string(),
  session_id: z.string(),
  passed: z.boolean(),
  checks: z.array(AuditCheckSchema),
  /** Whether a chain key was configured: without one the chain is plain sha256, which anyone with the database can recompute. */
  chain_keyed: z.boolean(),
  /** The key that signed this log (null: unkeyed). */
  chain_key_id: z.string().nullable(),
  /** Said on every audit of an unkeyed chain (not a failed check: the deployment's choice). */
  chain_notice: z.string().nullable(),
  audited_at: z.string(),
});
export type Audit = z.infer<typeof AuditSchema>;

// ---------------------------------------------------------------------------
// Messages and callables
// ---------------------------------------------------------------------------

export const MarketCycleMessageSchema = z
  .object({
    tenant_id: DocIdSchema,
    /** The scheduled slot (ISO instant) this cycle belongs to; absent for a hand-published cycle. */
    slot: z.string().datetime({ message: "must be an ISO-8601 instant" }).optional(),
  })
  .strict();
export type MarketCycleMessage = z.infer<typeof MarketCycleMessageSchema>;

/**
 * Per-tenant jobs on `maestro-tenant-jobs`: a schedule publishes one message per active
 * tenant, onTenantJob runs the job for that tenant alone. `run_id` names the schedule run
 * (its run record and each tenant's outcome); `cursor` and `continuation` carry a job that
 * ran out of its time budget over to the next message. One object per job, so adding a
 * job is one entry here and one in the registry (index.ts).
 */
const tenantJobFields = {
  tenant_id: DocIdSchema,
  run_id: DocIdSchema,
  /** Where a continued job resumes (opaque to everyone but the job). */
  cursor: z.string().min(1, "must not be empty").max(1500, "must be at most 1500 characters").optional(),
  /** How many times this run was continued for the tenant; bounded by the handler. */
  continuation: z.number().int().min(0, "must be at least 0").max(1000, "must be at most 1000").default(0),
};
export const TENANT_JOBS = ["nightly_rollup", "weights", "chain_verification", "health_check"] as const;
export const TenantJobMessageSchema = z.discriminatedUnion(
  "job",
  [
    z.object({ job: z.literal("nightly_rollup"), ...tenantJobFields }).strict(),
    z.object({ job: z.literal("weights"), ...tenantJobFields }).strict(),
    z.object({ job: z.literal("chain_verification"), ...tenantJobFields }).strict(),
    z.object({ job: z.literal("health_check"), ...tenantJobFields }).strict(),
  ],
  { error: `must be one of ${TENANT_JOBS.map((j) => `"${j}"`).join(", ")}` },
);
export type TenantJobMessage = z.infer<typeof TenantJobMessageSchema>;
export type TenantJobName = TenantJobMessage["job"];

/** systemStatus/tenant_jobs/runs/{job}_{runId}/tenants/{t}: one tenant's outcome in a run. */
export const TenantJobOutcomeSchema = z.object({
  job: z.string(),
  run_id: z.string(),
  tenant_id: z.string(),
  /** retrying: failed transiently and will be redelivered; continued: a later message goes on from `cursor`. */
  status: z.enum(["ok", "failed", "skipped", "retrying", "continued"]),
  reason: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).optional(),
  attempts: z.number().int(),
  continuation: z.number().int(),
  cursor: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string(),
  duration_ms: z.number(),
});
export type TenantJobOutcome = z.infer<typeof TenantJobOutcomeSchema>;

/**
 * systemStatus/dead_letters/messages/{eventId}: an event a retried trigger gave up on
 * because it can never succeed (permanent) or ran past its end condition (gave_up).
 */
export const DeadLetterSchema = z.object({
  /** The function that gave up (onMarketCycle, onTenantJob, onOrchestrationLogCreated, …). */
  trigger: z.string(),
  /** What fired it: the Pub/Sub topic, or the document path of a Firestore trigger. */
  source: z.string(),
  event_id: z.string(),
  tenant_id: z.string().nullable(),
  /** The message body as received (truncated), for a human to replay. */
  body: z.string(),
  kind: z.enum(["permanent", "gave_up"]),
  reason: z.string(),
  attempts: z.number().int(),
  published_at: z.string(),
  recorded_at: z.string(),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/**
 * Renders a zod error as one sentence per issue naming the field path and the rule,
 * e.g. "allocation: must be within [0, 1] (got 5)".
 */
export function describeIssues(error: z.ZodError, input?: unknown): string {
  return error.issues
    .map((issue) => {
      if (issue.code === "unrecognized_keys") {
        const at = issue.path.length ? `${issue.path.join(".")}.` : "";
        return issue.keys.map((key) => `${at}${key}: is not a known field`).join("; ");
      }
      const field = issue.path.length ? issue.path.join(".") : "(document)";
      const got = valueAt(input, issue.path);
      const shown = got === undefined ? "" : ` (got ${shownValue(got)})`;
      const message = issue.code === "invalid_type" && got === undefined ? "is required" : issue.message;
      return `${field}: ${message}${shown}`;
    })
    .join("; ");
}

/** The offending value as JSON, cut short: a reason must never carry a megabyte of input. */
const SHOWN_VALUE_MAX = 80;
function shownValue(value: unknown): string {
  const json = JSON.stringify(value);
  return json.length <= SHOWN_VALUE_MAX ? json : `${json.slice(0, SHOWN_VALUE_MAX)}… (${json.length} characters)`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return typeof cur === "object" && cur !== null ? undefined : cur;
}

/** Parses or returns the reason naming the fields, without throwing. */
export function parseWithReason<S extends z.ZodType>(
  schema: S,
  input: unknown,
): { ok: true; value: z.infer<S> } | { ok: false; reason: string } {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, reason: describeIssues(result.error, input) };
}

// ---------------------------------------------------------------------------
// Ask-Maestro conversations: tenants/{t}/conversations/{id} (issue 13)
// ---------------------------------------------------------------------------

/** The entities in play: what a follow-up ("and why was it cut?") refers to. */
export const ConversationEntitiesSchema = z.object({
  strategy: z.string().nullable(),
  session_id: z.string().nullable(),
  day: z.string().nullable(),
  period_days: z.number().int().nullable(),
});
export type ConversationEntities = z.infer<typeof ConversationEntitiesSchema>;

/** An action proposed in one turn, done only when the next turn confirms it. */
export const PendingActionSchema = z.object({
  callable: z.string(),
  args: z.record(z.string(), z.unknown()),
  /** The sentence the user confirms. */
  description: z.string(),
  /** The role the action needs (the callable's own). */
  role: RoleSchema,
  proposed_at: z.string(),
  expires_at: z.string(),
});
export type PendingAction = z.infer<typeof PendingActionSchema>;

export const ConversationTurnSchema = z.object({
  at: z.string(),
  message: z.string(),
  intent: z.string(),
  selection_ms: z.number(),
  answer: z.string(),
  answer_source: z.enum(["gemini", "template"]),
  /** The callables the answer used. */
  sources: z.array(z.string()),
});
export type ConversationTurn = z.infer<typeof ConversationTurnSchema>;

/** A conversation belongs to the user who started it: no one else may continue or read it. */
export const ConversationSchema = z.object({
  tenant_id: z.string(),
  uid: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  /** The last CONVERSATION_TURNS_KEPT turns, oldest first. */
  turns: z.array(ConversationTurnSchema),
  turn_count: z.number().int().min(0),
  entities: ConversationEntitiesSchema,
  pending_action: PendingActionSchema.nullable(),
});
export type Conversation = z.infer<typeof ConversationSchema>;
export const CONVERSATION_TURNS_KEPT = 10;

// ---------------------------------------------------------------------------
// Agent credentials: tenants/{t}/agents/{agent_id} (issue 14)
// ---------------------------------------------------------------------------

/**
 * One strategy agent's credential. The agent signs in with a Firebase custom token whose
 * claims name the tenant and the strategy; the rules and the callables also require this
 * document to be `active`, so a revocation takes effect on the agent's next request.
 */
export const AgentCredentialSchema = z.object({
  tenant_id: z.string(),
  strategy_id: z.string(),
  status: z.enum(["active", "revoked"]),
  issued_by: z.string(),
  issued_at: z.string(),
  issue_reason: z.string(),
  revoked_by: z.string().nullable(),
  revoked_at: z.string().nullable(),
  revoke_reason: z.string().nullable(),
});
export type AgentCredential = z.infer<typeof AgentCredentialSchema>;
/** The custom claims of an agent's token (and so of its ID tokens). */
export const AGENT_CLAIM = "maestro_agent";
