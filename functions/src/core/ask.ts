/**
 * Ask-Maestro's pure parts (issue 13, seed 002): what a conversation remembers between
 * turns, which reads each specialist makes, the action a message asks for and its
 * confirmation, and the written (template) answers. No Firebase: the stage
 * (stages/ask.ts) makes the reads through the client API's front door and hands the
 * responses here.
 *
 * The specialists and their reads (each a callable, so the caller's role applies):
 *   allocations       getStrategyWeights (+ listAllocationHistory when asked about changes)
 *   performance       getStrategyPerformance {period_days, strategy_id?}
 *   risk_session      getDeskStatus
 *   logs_audits       listOrchestrationLogs {page_size 5, systemic_only?} + getDeskStatus (the chain)
 *   configuration     getMaestroConfig
 *   explain_decision  getStrategyWeights + getOrchestration (the named session, else getDeskStatus's newest)
 *   action            proposes one admin callable; done only on the next turn's "yes"
 */
import type { ConversationEntities, EnrichedSignal, PendingAction } from "../schemas";
import type {
  GetDeskStatusResponse,
  GetMaestroConfigResponse,
  GetOrchestrationResponse,
  GetStrategyPerformanceResponse,
  GetStrategyWeightsResponse,
  ListAllocationHistoryResponse,
  ListOrchestrationLogsResponse,
} from "../schemas/api";
import type { Entities, Intent } from "./intent-router";

/** How long a proposed action waits for its "yes". */
export const PENDING_ACTION_TTL_MS = 5 * 60_000;
/** The default period of a performance question without one. */
export const DEFAULT_PERIOD_DAYS = 30;

export const READ_CALLABLES = [
  "getStrategyWeights",
  "getStrategyPerformance",
  "getDeskStatus",
  "getMaestroConfig",
  "listOrchestrationLogs",
  "getOrchestration",
  "listAllocationHistory",
] as const;
export type ReadCallable = (typeof READ_CALLABLES)[number];

export const ACTION_CALLABLES = [
  "emergencyStop",
  "resumeTrading",
  "pauseTradingSession",
  "resumeTradingSession",
  "rebalanceAllocations",
  "setStrategyMode",
  "liftRiskLock",
  "resetArbitrationLearning",
] as const;
export type ActionCallable = (typeof ACTION_CALLABLES)[number];

/** What the specialists read, by callable (each response as its schema defines it). */
export interface Readings {
  getStrategyWeights?: GetStrategyWeightsResponse;
  getStrategyPerformance?: GetStrategyPerformanceResponse;
  getDeskStatus?: GetDeskStatusResponse;
  getMaestroConfig?: GetMaestroConfigResponse;
  listOrchestrationLogs?: ListOrchestrationLogsResponse;
  getOrchestration?: GetOrchestrationResponse;
  listAllocationHistory?: ListAllocationHistoryResponse;
}

export const NO_ENTITIES: ConversationEntities = { strategy: null, session_id: null, day: null, period_days: null };

const WHOLE_DESK = /\b(all|every|each) (of the )?strateg\w*|\bthe (whole )?desk\b|\boverall\b/i;

/**
 * The entities in play after a message: what it names replaces what the conversation
 * had; what it does not name carries over ("and why was it cut?" keeps the strategy),
 * except that a question about the whole desk lets go of the strategy.
 */
export function mergeEntities(previous: ConversationEntities, found: Entities, message: string): ConversationEntities {
  return {
    strategy: found.strategy ?? (WHOLE_DESK.test(message) ? null : previous.strategy),
    session_id: found.session_id ?? previous.session_id,
    day: found.day ?? previous.day,
    period_days: found.period_days ?? previous.period_days,
  };
}

/** A reply to a proposed action: yes, no, or neither (a new question, which drops the proposal). */
export function confirmationOf(message: string): "yes" | "no" | null {
  const m = message.trim().toLowerCase().replace(/[.!]+$/, "");
  if (/^(yes|y|yep|yeah|confirm|confirmed|i confirm|do it|go ahead|proceed|ok|okay|yes,? do it|yes please)$/.test(m)) return "yes";
  if (/^(no|n|nope|cancel|abort|never ?mind|don'?t|do not|no thanks)$/.test(m)) return "no";
  return null;
}

// ---------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------

export interface ActionPlan {
  callable: ActionCallable;
  args: Record<string, unknown>;
  description: string;
}

const LOCK_WORDS: [RegExp, string][] = [
  [/\bloss\b/, "SESSION_LOSS_LIMIT"],
  [/\bconsecutive\b|\bin a row\b/, "MAX_CONSECUTIVE_LOSSES"],
  [/\btrades?\b/, "MAX_TRADES_PER_SESSION"],
  [/\bduration\b|\btime\b/, "SESSION_DURATION_LIMIT"],
];

function reasonFrom(message: string): string {
  const quoted = `asked through ask-Maestro: "${message.trim()}"`;
  return quoted.length <= 500 ? quoted : `${quoted.slice(0, 498)}…"`;
}

/**
 * The callable a request to change something maps to, or why none does. "stop" alone
 * pauses entries (the reversible move); only an emergency, flatten, kill or liquidate
 * asks for the emergency stop through the broker. "resume" after an emergency stop is
 * resumeTrading (it checks the broker is flat), otherwise resumeTradingSession.
 */
export function planAction(
  message: string,
  entities: ConversationEntities,
  strategyIdByName: Readonly<Record<string, string>>,
  sessionState: string | null,
): ActionPlan | { unsupported: string } {
  const m = message.toLowerCase();
  const reason = reasonFrom(message);
  const strategyId = entities.strategy !== null ? (strategyIdByName[entities.strategy] ?? null) : null;
  if (/\b(emergency|flatten|kill|liquidate|close all)\b/.test(m)) {
    return { callable: "emergencyStop", args: { reason }, description: "emergency-stop the desk: cancel every working order and close every position through the broker" };
  }
  if (/\b(resume|restart|unpause|un-pause)\b/.test(m)) {
    return sessionState === "EMERGENCY_STOP"
      ? { callable: "resumeTrading", args: { reason }, description: "resume trading after the emergency stop (once the broker shows the desk flat)" }
      : { callable: "resumeTradingSession", args: { reason }, description: "resume today's trading session" };
  }
  if (/\b(lift|unlock|clear)\b/.test(m) && /\block|limit\b/.test(m)) {
    const code = LOCK_WORDS.find(([re]) => re.test(m))?.[1];
    if (!code) return { unsupported: "say which lock to lift: the loss limit, the trade count, consecutive losses or the session duration" };
    return { callable: "liftRiskLock", args: { code, reason }, description: `lift the ${code} lock on today's session` };
  }
  if (/\b(disable|turn off|switch off|enable|turn on|switch on|re-?enable)\b/.test(m)) {
    if (strategyId === null) return { unsupported: "name the strategy to enable or disable" };
    const off = /\b(disable|turn off|switch off)\b/.test(m);
    return {
      callable: "setStrategyMode",
      args: { strategy_id: strategyId, mode: off ? "DISABLED" : "AUTOMATIC", reason },
      description: off ? `disable ${entities.strategy}` : `hand ${entities.strategy}'s mode back to its Sharpe ratio (AUTOMATIC)`,
    };
  }
  if (/\brebalanc\w*/.test(m)) return { callable: "rebalanceAllocations", args: { reason }, description: "rebalance the portfolio allocation now" };
  if (/\breset\b/.test(m) && /\b(learning|bandit|arbitration)\b/.test(m)) {
    return { callable: "resetArbitrationLearning", args: { reason }, description: "reset the arbitration bandit's learning" };
  }
  if (/\b(pause|halt|stop|suspend)\b/.test(m)) {
    return { callable: "pauseTradingSession", args: { reason }, description: "pause today's trading session (entries held, exits still pass)" };
  }
  return {
    unsupported:
      "I can pause or resume the session, emergency-stop the desk, lift a lock, rebalance, enable or disable a strategy, or reset the arbitration learning. Config changes go through `maestro config update` (updateMaestroConfig).",
  };
}

export function pendingAction(plan: ActionPlan, role: PendingAction["role"], now: Date): PendingAction {
  return {
    callable: plan.callable,
    args: plan.args,
    description: plan.description,
    role,
    proposed_at: now.toISOString(),
    expires_at: new Date(now.getTime() + PENDING_ACTION_TTL_MS).toISOString(),
  };
}

// ---------------------------------------------------------------------------
// Template answers
// ---------------------------------------------------------------------------

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;
const money = (x: number) => `${x < 0 ? "−" : ""}$${Math.abs(x).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const num = (x: number) => x.toFixed(2);

function strategyIdOf(entities: ConversationEntities, strategyIdByName: Readonly<Record<string, string>>): string | null {
  return entities.strategy !== null ? (strategyIdByName[entities.strategy] ?? null) : null;
}

export function answerAllocations(r: Readings, entities: ConversationEntities, ids: Readonly<Record<string, string>>): string {
  const w = r.getStrategyWeights;
  if (!w) return "There are no weights yet: the first cycle or the 15-minute schedule computes them.";
  const focus = strategyIdOf(entities, ids);
  const lines: string[] = [];
  const shown = focus ? w.strategies.filter((s) => s.strategy_id === focus) : w.strategies;
  if (focus && shown.length === 0) return `${entities.strategy} has no weight in the current weights (computed ${w.computed_at}).`;
  for (const s of shown) {
    const share = s.portfolio_weight !== null && s.portfolio_weight !== undefined ? `, ${pct(s.portfolio_weight)} of the desk` : "";
    lines.push(`${s.strategy_name}: ${s.mode}, weight ${num(s.weight)}${share} (Sharpe ${num(s.sharpe_ratio)}). ${s.reasoning}`);
  }
  const method = w.portfolio ? `Allocation method ${w.portfolio.method}, last rebalanced ${w.portfolio.rebalanced_at}.` : "Allocation by Sharpe tiers.";
  const history = r.listAllocationHistory?.entries.slice(0, 3).map((e) => `${e.at}: ${e.method} by ${e.by} (${e.reason})`) ?? [];
  return [
    `Weights computed ${w.computed_at}${w.fresh ? "" : " (stale: the next cycle recomputes them)"}. ${method}`,
    ...lines,
    ...(history.length ? ["Recent rebalances:", ...history] : []),
  ].join("\n");
}

export function answerPerformance(r: Readings, entities: ConversationEntities, ids: Readonly<Record<string, string>>, message: string): string {
  const p = r.getStrategyPerformance;
  if (!p) return "No performance was read.";
  const focus = strategyIdOf(entities, ids);
  const rows = focus ? p.strategies.filter((s) => s.strategy_id === focus) : p.strategies;
  if (rows.length === 0) return "No strategy has performance yet.";
  const line = (s: (typeof rows)[number]) =>
    s.days.length === 0
      ? `${s.name}: no trading days yet.`
      : `${s.name}: ${money(s.cumulative_pnl)} over ${s.days.length} trading days to ${s.days[s.days.length - 1].day} — return ${pct(s.metrics.total_return, 2)}, Sharpe ${num(s.metrics.sharpe_ratio)}, max drawdown ${pct(s.metrics.max_drawdown)}, win rate ${pct(s.metrics.win_rate, 0)}.`;
  const sorted = [...rows].sort((a, b) => b.cumulative_pnl - a.cumulative_pnl || a.strategy_id.localeCompare(b.strategy_id));
  const m = message.toLowerCase();
  const head = !focus && /\bbest\b/.test(m) ? [`Best: ${sorted[0].name}.`] : !focus && /\bworst\b/.test(m) ? [`Worst: ${sorted[sorted.length - 1].name}.`] : [];
  return [`Performance over the last ${p.period_days} trading days:`, ...head, ...sorted.map(line)].join("\n");
}

export function answerRiskSession(r: Readings): string {
  const d = r.getDeskStatus;
  if (!d) return "The desk's status was not read.";
  const lines: string[] = [];
  if (!d.session) lines.push(`No trading session for ${d.day} yet: no cycle has woken the desk today.`);
  else {
    const last = d.session.transitions[d.session.transitions.length - 1];
    lines.push(`Trading session ${d.day}: ${d.session.state}${last ? ` since ${last.at} (${last.reason})` : ""}.`);
    lines.push(`Trades this session: ${d.session.risk.trades}; equity ${d.session.summary.equity === null ? "unknown" : money(d.session.summary.equity)}.`);
  }
  lines.push(d.locks.length ? `Locks in force: ${d.locks.map((l) => `${l.code} (${l.reason})`).join("; ")}.` : "No risk locks in force.");
  if (d.health) {
    lines.push(`Health ${d.health.tier} at ${d.health.checked_at}${d.health.reasons.length ? `: ${d.health.reasons.join("; ")}` : ""}.`);
    if (d.health.broker) lines.push(`Broker ${d.health.broker.kind}: ${d.health.broker.reachable ? (d.health.broker.ready ? "reachable and ready" : "reachable, not ready") : "unreachable"}.`);
  } else lines.push(d.health_problem ?? "The health check has not run yet.");
  return lines.join("\n");
}

export function answerLogs(r: Readings): string {
  const logs = r.listOrchestrationLogs?.logs ?? [];
  const lines = logs.length ? [`The last ${logs.length} logged cycles:`] : ["No orchestration has been logged yet."];
  for (const l of logs) {
    lines.push(
      `${l.timestamp} ${l.session_id}: ${l.signals_count} signals, ${l.overrides_count} overrides, ${l.rejected_count} rejected${l.systemic_risk_detected ? `, systemic risk (${l.systemic_risk_details})` : ""}. ${l.ai_summary}`,
    );
  }
  const v = r.getDeskStatus?.chain_verification;
  lines.push(
    v
      ? `Chain verification ${v.last_run_at}: ${v.state}, ${v.logs_checked} links checked, ${v.intact ? "intact" : `broken at seq ${v.first_break?.seq} (${v.first_break?.problem})`}.`
      : "The log chain has not been verified by the schedule yet (an admin can run verifyLogChain).",
  );
  return lines.join("\n");
}

/** Every leaf of the config as a dotted path and its value. */
export function configLeaves(value: unknown, prefix = ""): [string, unknown][] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [[prefix, value]];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => configLeaves(v, prefix ? `${prefix}.${k}` : k));
}

export function answerConfiguration(r: Readings, message: string): string {
  const c = r.getMaestroConfig;
  if (!c) return "The config was not read.";
  const m = message.toLowerCase();
  const leaves = configLeaves(c.config);
  // A key named in the message, as written (systemic_sell_threshold) or in words (systemic sell threshold).
  const named = leaves.filter(([path]) => {
    const last = path.split(".").pop()!;
    return last.length > 3 && (m.includes(last) || m.includes(last.replace(/_/g, " ")) || m.includes(path));
  });
  const status = `Config ${c.version === null ? "never changed through updateMaestroConfig" : `version ${c.version}`}${c.updated_at ? `, updated ${c.updated_at} by ${c.updated_by}` : ""}; in force: the ${c.source} config.${c.rejection ? ` The stored config is rejected: ${c.rejection}.` : ""}`;
  if (named.length > 0) return [status, ...named.slice(0, 12).map(([path, v]) => `${path} = ${JSON.stringify(v)}`)].join("\n");
  const cfg = c.config;
  return [
    status,
    `cycle_steps = ${JSON.stringify(cfg.cycle_steps)}`,
    `allocation.method = ${cfg.allocation.method}; lookback_days = ${cfg.lookback_days}`,
    `systemic_sell_threshold = ${cfg.systemic_sell_threshold}; market_hours.time_zone = ${cfg.market_hours.time_zone}`,
    "Name a setting (for example systemic_sell_threshold) to see its value.",
  ].join("\n");
}

function interventionLine(s: EnrichedSignal): string {
  const changes = s.interventions.map((i) => `${i.code} (${i.step}): ${i.reason}`);
  const head = `${s.action} ${s.ticker} (signal ${s.signal_id}): allocation ${num(s.original_allocation)} → ${num(s.allocation)}, ${s.executable ? "executable" : "not executable"}`;
  return changes.length ? `${head}; ${changes.join("; ")}` : `${head}; no step changed it.`;
}

export function answerExplain(r: Readings, entities: ConversationEntities, ids: Readonly<Record<string, string>>): string {
  const focus = strategyIdOf(entities, ids);
  const lines: string[] = [];
  const weight = focus ? r.getStrategyWeights?.strategies.find((s) => s.strategy_id === focus) : undefined;
  if (weight) lines.push(`${weight.strategy_name} is ${weight.mode} with weight ${num(weight.weight)} (weights of ${r.getStrategyWeights!.computed_at}): ${weight.reasoning}`);
  const o = r.getOrchestration;
  if (!o) {
    lines.push(focus || entities.session_id ? "No orchestration was found to explain." : "Name a strategy or a session id (maestro_…) and I will explain what Maestro did to it.");
    return lines.join("\n");
  }
  const signals = focus ? o.signals.filter((s) => s.strategy_id === focus) : o.signals.filter((s) => s.interventions.length > 0);
  lines.push(`In cycle ${o.session_id} (${o.timestamp}):`);
  if (signals.length === 0) lines.push(focus ? `${entities.strategy} sent no signal in this cycle.` : "No step changed any signal.");
  for (const s of signals.slice(0, 8)) lines.push(`${s.strategy_name}: ${interventionLine(s)}`);
  if (o.systemic_risk.detected) lines.push(`Systemic risk: ${o.systemic_risk.details}`);
  if (o.trading_session?.entry_block) lines.push(`Entries were held: ${o.trading_session.entry_block.code}, ${o.trading_session.entry_block.reason}`);
  return lines.join("\n");
}

export const HELP_ANSWER = [
  "Ask me about the desk, for example:",
  "• weights and modes — \"what are the weights?\", \"which strategies are in shadow mode?\"",
  "• performance — \"how did Gamma Scalper do over 7 days?\", \"who is the best strategy?\"",
  "• the session and risk — \"is the session paused?\", \"any locks?\", \"is the broker healthy?\"",
  "• logs and audits — \"show the last cycles\", \"is the chain intact?\"",
  "• configuration — \"what is systemic_sell_threshold?\"",
  "• decisions — \"why did Maestro cut Gamma Scalper?\", then \"and yesterday?\"",
  "• actions (with the role they need, after you confirm) — \"pause the session\", \"rebalance\", \"disable Gamma Scalper\"",
].join("\n");

/** The written answer of a specialist from what it read. */
export function writtenAnswer(intent: Intent, r: Readings, entities: ConversationEntities, ids: Readonly<Record<string, string>>, message: string): string {
  switch (intent) {
    case "allocations":
      return answerAllocations(r, entities, ids);
    case "performance":
      return answerPerformance(r, entities, ids, message);
    case "risk_session":
      return answerRiskSession(r);
    case "logs_audits":
      return answerLogs(r);
    case "configuration":
      return answerConfiguration(r, message);
    case "explain_decision":
      return answerExplain(r, entities, ids);
    case "action":
    case "help":
      return HELP_ANSWER;
  }
}

/** What a read's data is as of, for the answer's sources line. */
export function asOf(callable: ReadCallable, response: unknown): string | null {
  const r = response as Record<string, any>;
  switch (callable) {
    case "getStrategyWeights":
      return r.computed_at ?? null;
    case "getStrategyPerformance": {
      const lastDays = (r.strategies as { days: { day: string }[] }[]).map((s) => s.days[s.days.length - 1]?.day).filter(Boolean).sort();
      return lastDays[lastDays.length - 1] ?? null;
    }
    case "getDeskStatus":
      return r.health?.checked_at ?? r.day ?? null;
    case "getMaestroConfig":
      return r.updated_at ?? null;
    case "listOrchestrationLogs":
      return r.logs?.[0]?.timestamp ?? null;
    case "getOrchestration":
      return r.timestamp ?? null;
    case "listAllocationHistory":
      return r.entries?.[0]?.at ?? null;
  }
}

/** The line every answer ends with: the data it used. */
export function sourcesLine(sources: readonly { callable: string; as_of: string | null }[], failedReads = 0): string {
  if (sources.length === 0) return failedReads > 0 ? "Sources: none (no read succeeded)." : "Sources: none (no data was needed).";
  return `Sources: ${sources.map((s) => (s.as_of ? `${s.callable} (as of ${s.as_of})` : s.callable)).join(", ")}.`;
}
