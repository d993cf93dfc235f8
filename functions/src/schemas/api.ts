/**
 * The client API: each callable's request and response (DESIGN.md, "client app ──callable").
 * A request always names its tenant; the caller's membership of that tenant decides the rest.
 */
import { z } from "zod";
import {
  AllocationDecisionSchema,
  BuyingPowerSummarySchema,
  DocIdSchema,
  EnrichedSignalSchema,
  MaestroConfigSchema,
  OrchestrationSchema,
  NonceRecordSchema,
  RejectedSignalSchema,
  StrategyWeightSchema,
  PortfolioRecordSchema,
  SystemicRiskSchema,
  LOCK_CODES,
  TradingDaySchema,
  TradingSessionSchema,
  EmergencyReportSchema,
  TRADING_SESSION_STATES,
  PerformanceMetricsSchema,
  RiskLockSchema,
  ChainVerificationStatusSchema,
  ModeSchema,
  ConversationEntitiesSchema,
  PendingActionSchema,
  AgentCredentialSchema,
} from "./index";
import { ReplayDifferenceSchema } from "./replay";

const TenantRequest = z.object({ tenant_id: DocIdSchema }).strict();

/** `maestro_{epoch ms}_{16 hex}` (DESIGN.md, JIT identity). */
export const SessionIdSchema = z
  .string()
  .regex(/^maestro_\d{13}_[0-9a-f]{16}$/, "must be a session id, maestro_{epoch ms}_{16 hex}");

const ReasonSchema = z
  .string({ error: "is required: say why" })
  .trim()
  .min(3, "must say why (at least 3 characters)")
  .max(500, "must be at most 500 characters");

// orchestrateNow — trader and up --------------------------------------------

export const OrchestrateNowRequestSchema = TenantRequest;
export type OrchestrateNowRequest = z.infer<typeof OrchestrateNowRequestSchema>;

export const OrchestrateNowResponseSchema = z.object({
  session_id: z.string(),
  signals: z.array(EnrichedSignalSchema),
  allocation_decisions: z.array(AllocationDecisionSchema),
  systemic_risk: SystemicRiskSchema,
  rejected_signals: z.array(RejectedSignalSchema),
  buying_power: BuyingPowerSummarySchema.optional(),
  /** More signals were pending than one cycle takes; call again (or wait for the next cycle). */
  more_pending: z.boolean(),
  latency_ms: z.number(),
});
export type OrchestrateNowResponse = z.infer<typeof OrchestrateNowResponseSchema>;

// getStrategyWeights — viewer and up ----------------------------------------

export const GetStrategyWeightsRequestSchema = TenantRequest;

export const GetStrategyWeightsResponseSchema = z.object({
  tenant_id: z.string(),
  computed_at: z.string(),
  /** False when performance, config or strategies changed since; the next cycle recomputes. */
  fresh: z.boolean(),
  strategies: z.array(StrategyWeightSchema),
  /** The portfolio method's last rebalance (shares, fallback, correlation); null under sharpe_tiers. */
  portfolio: PortfolioRecordSchema.nullable(),
});
export type GetStrategyWeightsResponse = z.infer<typeof GetStrategyWeightsResponseSchema>;

// getOrchestration — viewer and up ------------------------------------------

export const GetOrchestrationRequestSchema = z.object({ tenant_id: DocIdSchema, session_id: SessionIdSchema }).strict();

/** The orchestration as stored, less the internal I/O counts. */
export const GetOrchestrationResponseSchema = OrchestrationSchema.omit({ io: true });
export type GetOrchestrationResponse = z.infer<typeof GetOrchestrationResponseSchema>;

// replayOrchestration — viewer and up (issue 13) -----------------------------

export const ReplayOrchestrationRequestSchema = z.object({ tenant_id: DocIdSchema, session_id: SessionIdSchema }).strict();
export type ReplayOrchestrationRequest = z.infer<typeof ReplayOrchestrationRequestSchema>;

/** The core run again on the orchestration's recorded inputs, its decision compared field by field with the stored one. */
export const ReplayOrchestrationResponseSchema = z.object({
  session_id: z.string(),
  /** False when there is nothing to replay from: no recorded inputs (older orchestrations), or inputs that do not verify; see reason. */
  replayable: z.boolean(),
  /** Replayable and every compared field equal (nonces compared only as issued or not). */
  identical: z.boolean(),
  reason: z.string().optional(),
  /** The first 50 differences (difference_count has them all). */
  differences: z.array(ReplayDifferenceSchema),
  difference_count: z.number().int().min(0),
  inputs_sha256: z.string().nullable(),
  compared_fields: z.number().int().min(0),
  /** tenants/{t}/findings/{id} for a difference or unverifiable inputs (written once per orchestration); else null. */
  finding_id: z.string().nullable(),
});
export type ReplayOrchestrationResponse = z.infer<typeof ReplayOrchestrationResponseSchema>;

// listOrchestrationLogs — viewer and up -------------------------------------

export const LOG_PAGE_SIZE_MAX = 100;

export const ListOrchestrationLogsRequestSchema = z
  .object({
    tenant_id: DocIdSchema,
    page_size: z.number().int("must be a whole number").min(1, "must be at least 1").max(LOG_PAGE_SIZE_MAX, `must be at most ${LOG_PAGE_SIZE_MAX}`).default(20),
    /** `next_cursor` of the previous page; absent for the first (newest) page. */
    cursor: z.string().min(1, "must not be empty").max(512, "must be at most 512 characters").nullable().default(null),
    /** Only the cycles in which the systemic-risk override fired. */
    systemic_only: z.boolean().default(false),
  })
  .strict();
export type ListOrchestrationLogsRequest = z.infer<typeof ListOrchestrationLogsRequestSchema>;

export const LogListItemSchema = z.object({
  log_id: z.string(),
  timestamp: z.string(),
  session_id: z.string(),
  seq: z.number().int(),
  systemic_risk_detected: z.boolean(),
  systemic_risk_details: z.string(),
  signals_count: z.number().int(),
  overrides_count: z.number().int(),
  rejected_count: z.number().int(),
  ai_summary: z.string(),
  ai_summary_source: z.string(),
  hash: z.string(),
});
export type LogListItem = z.infer<typeof LogListItemSchema>;

export const ListOrchestrationLogsResponseSchema = z.object({
  logs: z.array(LogListItemSchema),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  next_cursor: z.string().nullable(),
});
export type ListOrchestrationLogsResponse = z.infer<typeof ListOrchestrationLogsResponseSchema>;

// setStrategyMode — admin ---------------------------------------------------

/** `DISABLED` switches a strategy off; `AUTOMATIC` hands its mode back to its Sharpe ratio. */
export const SetStrategyModeRequestSchema = z
  .object({
    tenant_id: DocIdSchema,
    strategy_id: DocIdSchema,
    mode: z.enum(["DISABLED", "AUTOMATIC"], { error: "must be DISABLED or AUTOMATIC" }),
    reason: ReasonSchema,
  })
  .strict();
export type SetStrategyModeRequest = z.infer<typeof SetStrategyModeRequestSchema>;

export const SetStrategyModeResponseSchema = z.object({
  strategy_id: z.string(),
  manual_mode: z.literal("DISABLED").nullable(),
  previous_manual_mode: z.literal("DISABLED").nullable(),
  changed: z.boolean(),
  action_id: z.string(),
});
export type SetStrategyModeResponse = z.infer<typeof SetStrategyModeResponseSchema>;

// updateMaestroConfig — admin -----------------------------------------------

export const UpdateMaestroConfigRequestSchema = z
  .object({
    tenant_id: DocIdSchema,
    /** Any subset of the config's fields; nested objects (ai_summary, rate_limits) merge key by key. */
    changes: z
      .record(z.string(), z.unknown(), { error: "must be an object of config fields" })
      .refine((c) => Object.keys(c).length > 0, "must change at least one field"),
    reason: ReasonSchema,
    /** Optimistic concurrency: refuse (failed-precondition) unless the stored version is this one. */
    expected_version: z.number().int().min(0, "must be at least 0").optional(),
  })
  .strict();
export type UpdateMaestroConfigRequest = z.infer<typeof UpdateMaestroConfigRequestSchema>;

export const UpdateMaestroConfigResponseSchema = z.object({
  version: z.number().int(),
  previous_version: z.number().int(),
  config: MaestroConfigSchema,
  changed_fields: z.array(z.string()),
  action_id: z.string(),
});
export type UpdateMaestroConfigResponse = z.infer<typeof UpdateMaestroConfigResponseSchema>;


// verifyLogChain — admin -----------------------------------------------------

export const VerifyLogChainRequestSchema = z
  .object({
    tenant_id: DocIdSchema,
    /** `next_cursor` of the previous call, to continue the walk where it stopped. */
    cursor: z.string().min(1, "must not be empty").max(2048, "must be at most 2048 characters").nullable().default(null),
    /** At most this many logs in this call (the walk goes on with next_cursor); default: as many as the time budget allows. */
    max_logs: z.number().int("must be a whole number").min(1, "must be at least 1").max(100_000, "must be at most 100000").optional(),
  })
  .strict();
export type VerifyLogChainRequest = z.infer<typeof VerifyLogChainRequestSchema>;

export const VerifyLogChainResponseSchema = z.object({
  tenant_id: z.string(),
  /** No break found in what was walked so far (the whole chain once `complete`). */
  intact: z.boolean(),
  /** True when the walk reached the head (or a break); false: call again with next_cursor. */
  complete: z.boolean(),
  next_cursor: z.string().nullable(),
  /** Links examined since the first call of this walk, up to and including the first broken one. */
  logs_checked: z.number().int(),
  /** The seq this call started after (0: from the first log). */
  resumed_after_seq: z.number().int(),
  /** The chain head's seq; read on the final call only (null before). */
  head_seq: z.number().int().nullable(),
  /** Whether the chain is keyed (HMAC); an unkeyed chain can be rewritten by whoever holds the database. */
  keyed: z.boolean(),
  first_break: z.object({ log_id: z.string().nullable(), seq: z.number(), problem: z.string() }).nullable(),
});
export type VerifyLogChainResponse = z.infer<typeof VerifyLogChainResponseSchema>;

// redeemNonce — trader (the execution side) ---------------------------------

export const RedeemNonceRequestSchema = z
  .object({
    tenant_id: DocIdSchema,
    nonce: z.string().regex(/^[0-9a-f]{32}$/, "must be 32 lowercase hex characters"),
  })
  .strict();

/** Exactly what the nonce licenses (its registry entry): the execution side places this and nothing else. */
export const RedeemNonceResponseSchema = NonceRecordSchema.pick({
  session_id: true,
  signal_id: true,
  agent_id: true,
  strategy_id: true,
  action: true,
  ticker: true,
  allocation: true,
  notional: true,
  expires_at: true,
}).extend({
  nonce: z.string(),
  redeemed_at: z.string(),
  /** The same caller presented an already redeemed nonce again: this is the original redemption. */
  replay: z.boolean(),
});

// Trading sessions (issue 10) — pause, resume and lift a lock: admin; read: viewer ----

// rebalanceAllocations — admin -----------------------------------------------

/** A forced rebalance of the portfolio allocation method (issue 12), whatever its frequency. */
export const RebalanceAllocationsRequestSchema = z.object({ tenant_id: DocIdSchema, reason: ReasonSchema }).strict();
export type RebalanceAllocationsRequest = z.infer<typeof RebalanceAllocationsRequestSchema>;
export const RebalanceAllocationsResponseSchema = z.object({
  tenant_id: z.string(),
  computed_at: z.string(),
  portfolio: PortfolioRecordSchema,
  /** Each strategy's weight after the rebalance (what the cycle multiplies its signals by). */
  weights: z.record(z.string(), z.number()),
});
export type RebalanceAllocationsResponse = z.infer<typeof RebalanceAllocationsResponseSchema>;

// resetArbitrationLearning — admin -------------------------------------------

export const ResetArbitrationLearningRequestSchema = z.object({ tenant_id: DocIdSchema, reason: ReasonSchema }).strict();
export const ResetArbitrationLearningResponseSchema = z.object({
  tenant_id: z.string(),
  /** The state's version after the reset (versions keep counting up). */
  version: z.number().int(),
  factors: z.record(z.string(), z.object({ alpha: z.number(), beta: z.number() })),
});

export const PauseTradingSessionRequestSchema = z.object({ tenant_id: DocIdSchema, reason: ReasonSchema }).strict();
export type PauseTradingSessionRequest = z.infer<typeof PauseTradingSessionRequestSchema>;
export const ResumeTradingSessionRequestSchema = PauseTradingSessionRequestSchema;
export type ResumeTradingSessionRequest = PauseTradingSessionRequest;

export const LiftRiskLockRequestSchema = z
  .object({
    tenant_id: DocIdSchema,
    code: z.enum(LOCK_CODES, { error: `must be one of ${LOCK_CODES.join(", ")}` }),
    reason: ReasonSchema,
  })
  .strict();
export type LiftRiskLockRequest = z.infer<typeof LiftRiskLockRequestSchema>;

/** The session after the change, and the admin action that records it. */
export const TradingSessionActionResponseSchema = z.object({ session: TradingSessionSchema, action_id: z.string() });
export type TradingSessionActionResponse = z.infer<typeof TradingSessionActionResponseSchema>;

/** `day` defaults to the venue's day now (market_hours.time_zone). */
export const GetTradingSessionRequestSchema = z.object({ tenant_id: DocIdSchema, day: TradingDaySchema.optional() }).strict();
export type GetTradingSessionRequest = z.infer<typeof GetTradingSessionRequestSchema>;
/** `session` is null when no session exists for the day (no cycle woke the tenant yet). */
export const GetTradingSessionResponseSchema = z.object({ day: z.string(), session: TradingSessionSchema.nullable() });
export type GetTradingSessionResponse = z.infer<typeof GetTradingSessionResponseSchema>;

// emergencyStop — admin (issue 11) ----------------------------------------------

export const EmergencyStopRequestSchema = z.object({ tenant_id: DocIdSchema, reason: ReasonSchema }).strict();
export type EmergencyStopRequest = z.infer<typeof EmergencyStopRequestSchema>;
/** The session is EMERGENCY_STOP; the report says what was cancelled, closed and what is still open and why. */
export const EmergencyStopResponseSchema = z.object({ day: z.string(), state: z.literal("EMERGENCY_STOP"), report: EmergencyReportSchema });
export type EmergencyStopResponse = z.infer<typeof EmergencyStopResponseSchema>;

// resumeTrading — admin (issue 11): leaves EMERGENCY_STOP once the broker is reconciled --

export const ResumeTradingRequestSchema = z.object({ tenant_id: DocIdSchema, reason: ReasonSchema }).strict();
export type ResumeTradingRequest = z.infer<typeof ResumeTradingRequestSchema>;
/** The session after the resume (PAUSED, or the clock's phase), and what was checked. */
export const ResumeTradingResponseSchema = z.object({ day: z.string(), state: z.enum(TRADING_SESSION_STATES), checks: z.array(z.string()) });
export type ResumeTradingResponse = z.infer<typeof ResumeTradingResponseSchema>;

// The operator's reads (issue 13) — viewer and up ------------------------------

/** The desk at a glance: the day's trading session, its open locks, the health check's last verdict, the chain. */
export const GetDeskStatusRequestSchema = TenantRequest;
export type GetDeskStatusRequest = z.infer<typeof GetDeskStatusRequestSchema>;
export const HealthViewSchema = z.object({
  tier: z.enum(["ok", "info", "warning", "critical"]),
  checked_at: z.string(),
  reasons: z.array(z.string()),
  info: z.array(z.string()),
  failing_stages: z.array(z.string()),
  broker: z.object({ kind: z.string(), reachable: z.boolean(), ready: z.boolean() }).nullable(),
  snapshot_as_of: z.string().nullable(),
  market_data_as_of: z.string().nullable(),
  stop: z.string().nullable(),
});
export type HealthView = z.infer<typeof HealthViewSchema>;
export const GetDeskStatusResponseSchema = z.object({
  tenant_id: z.string(),
  /** The venue's day now (market_hours.time_zone). */
  day: z.string(),
  session: TradingSessionSchema.nullable(),
  /** The session's locks still in force: not lifted, and not past their `until`. */
  locks: z.array(RiskLockSchema),
  /** null until the health check first ran, or when its record is malformed (`health_problem` says so). */
  health: HealthViewSchema.nullable(),
  health_problem: z.string().nullable(),
  weights: z.object({ computed_at: z.string() }).nullable(),
  last_orchestration: z.object({ session_id: z.string(), timestamp: z.string(), trigger: z.string(), signals: z.number().int() }).nullable(),
  chain_verification: ChainVerificationStatusSchema.nullable(),
});
export type GetDeskStatusResponse = z.infer<typeof GetDeskStatusResponseSchema>;

/**
 * Each strategy's last `period_days` trading days (the days it has performance documents,
 * as the weights' lookback counts them) and the metrics over them.
 */
export const GetStrategyPerformanceRequestSchema = z
  .object({
    tenant_id: DocIdSchema,
    period_days: z.number().int("must be a whole number").min(1, "must be at least 1").max(365, "must be at most 365").default(30),
    strategy_id: DocIdSchema.optional(),
  })
  .strict();
export type GetStrategyPerformanceRequest = z.infer<typeof GetStrategyPerformanceRequestSchema>;
export const PerformanceDaySchema = z.object({
  day: z.string(),
  daily_pnl: z.number(),
  realized_pnl: z.number(),
  unrealized_pnl: z.number(),
  trade_count: z.number().int(),
});
export const StrategyPerformanceViewSchema = z.object({
  strategy_id: z.string(),
  name: z.string(),
  /** The mode of the current weights (null before the first weights). */
  mode: ModeSchema.nullable(),
  capital_base: z.number(),
  days: z.array(PerformanceDaySchema),
  /** Sum of daily_pnl over the days. */
  cumulative_pnl: z.number(),
  /** Over the days, as the weights compute them (returns = daily_pnl / capital_base). */
  metrics: PerformanceMetricsSchema,
});
export type StrategyPerformanceView = z.infer<typeof StrategyPerformanceViewSchema>;
export const GetStrategyPerformanceResponseSchema = z.object({
  tenant_id: z.string(),
  period_days: z.number().int(),
  strategies: z.array(StrategyPerformanceViewSchema),
});
export type GetStrategyPerformanceResponse = z.infer<typeof GetStrategyPerformanceResponseSchema>;

/** The config in force (the tenant's, the last valid one, or the defaults) and its stored status. */
export const GetMaestroConfigRequestSchema = TenantRequest;
export const GetMaestroConfigResponseSchema = z.object({
  tenant_id: z.string(),
  config: MaestroConfigSchema,
  source: z.enum(["tenant", "defaults", "last_valid"]),
  /** Why the stored config is not the one in force, naming the field; null when it is. */
  rejection: z.string().nullable(),
  version: z.number().int().nullable(),
  updated_at: z.string().nullable(),
  updated_by: z.string().nullable(),
});
export type GetMaestroConfigResponse = z.infer<typeof GetMaestroConfigResponseSchema>;

/** Rebalances of the portfolio allocation method, newest first. */
export const ListAllocationHistoryRequestSchema = z
  .object({ tenant_id: DocIdSchema, limit: z.number().int("must be a whole number").min(1, "must be at least 1").max(200, "must be at most 200").default(20) })
  .strict();
export const AllocationHistoryEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  by: z.string(),
  reason: z.string(),
  method: z.string(),
  before: z.record(z.string(), z.number()),
  after: z.record(z.string(), z.number()),
});
export type AllocationHistoryEntry = z.infer<typeof AllocationHistoryEntrySchema>;
export const ListAllocationHistoryResponseSchema = z.object({
  tenant_id: z.string(),
  entries: z.array(AllocationHistoryEntrySchema),
  /** Entries left out because they do not parse, by id with the reason. */
  malformed: z.record(z.string(), z.string()),
});
export type ListAllocationHistoryResponse = z.infer<typeof ListAllocationHistoryResponseSchema>;

// askMaestro — viewer and up; an action needs its own role and a confirmation turn ----

export const ASK_MESSAGE_MAX = 1000;
export const AskMaestroRequestSchema = z
  .object({
    tenant_id: DocIdSchema,
    /** Continue this conversation (yours); absent: start a new one. */
    conversation_id: DocIdSchema.optional(),
    message: z
      .string({ error: "is required: what do you want to know?" })
      .trim()
      .min(1, "must not be empty")
      .max(ASK_MESSAGE_MAX, `must be at most ${ASK_MESSAGE_MAX} characters`),
  })
  .strict();
export type AskMaestroRequest = z.infer<typeof AskMaestroRequestSchema>;
export const AskSourceSchema = z.object({
  /** The callable the specialist called through the front door. */
  callable: z.string(),
  /** What it asked for (the request less tenant_id). */
  args: z.record(z.string(), z.unknown()),
  /** What the data is as of, when it says (computed_at, checked_at, a day). */
  as_of: z.string().nullable(),
});
export type AskSource = z.infer<typeof AskSourceSchema>;
export const AskMaestroResponseSchema = z.object({
  conversation_id: z.string(),
  intent: z.string(),
  /** Why the router chose it (the rule or the cues). */
  because: z.string(),
  /** The router's selection time, ms. */
  selection_ms: z.number(),
  answer: z.string(),
  answer_source: z.enum(["gemini", "template"]),
  /** Why the template wrote it when a key is configured (the model's failure); null otherwise. */
  fallback_reason: z.string().nullable(),
  sources: z.array(AskSourceSchema),
  entities: ConversationEntitiesSchema,
  /** An action awaiting "yes" (or "no") in the next turn; null otherwise. */
  pending_action: PendingActionSchema.nullable(),
  /** The outcome of an action this turn confirmed: done, refused (with the front door's reason), or cancelled. */
  action_result: z.object({ callable: z.string(), status: z.enum(["done", "refused", "cancelled", "expired"]), detail: z.string() }).nullable(),
});
export type AskMaestroResponse = z.infer<typeof AskMaestroResponseSchema>;

// Agent credentials (issue 14) — admin ---------------------------------------

export const IssueAgentCredentialRequestSchema = z.object({ tenant_id: DocIdSchema, strategy_id: DocIdSchema, reason: ReasonSchema }).strict();
export const IssueAgentCredentialResponseSchema = z.object({
  agent_id: z.string(),
  strategy_id: z.string(),
  /** A Firebase custom token: the agent exchanges it for an ID token (signInWithCustomToken) within an hour. */
  custom_token: z.string(),
  credential: AgentCredentialSchema,
});
export type IssueAgentCredentialResponse = z.infer<typeof IssueAgentCredentialResponseSchema>;
export const RevokeAgentCredentialRequestSchema = z.object({ tenant_id: DocIdSchema, agent_id: DocIdSchema, reason: ReasonSchema }).strict();
export const RevokeAgentCredentialResponseSchema = z.object({ agent_id: z.string(), credential: AgentCredentialSchema, action_id: z.string() });
export type RevokeAgentCredentialResponse = z.infer<typeof RevokeAgentCredentialResponseSchema>;
export const ListAgentCredentialsRequestSchema = z
  .object({ tenant_id: DocIdSchema, limit: z.number().int("must be a whole number").min(1, "must be at least 1").max(100, "must be at most 100").default(100) })
  .strict();
/** A credential as listed: its document, named by its id. It never holds the token (issueAgentCredential returns that once). */
export const AgentCredentialListItemSchema = AgentCredentialSchema.extend({ agent_id: z.string() });
export type AgentCredentialListItem = z.infer<typeof AgentCredentialListItemSchema>;
export const ListAgentCredentialsResponseSchema = z.object({
  tenant_id: z.string(),
  /** Newest issued first. */
  agents: z.array(AgentCredentialListItemSchema),
  malformed: z.record(z.string(), z.string()),
});
export type ListAgentCredentialsResponse = z.infer<typeof ListAgentCredentialsResponseSchema>;
