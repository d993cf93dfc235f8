/**
 * Pure audit of one orchestration log: "every nonce unique and well formed, identity fields
 * present, allocations within [0, 1] and consistent with each mode, the override consistent
 * with the threshold, the hash chain intact. Each check is listed with pass/fail and its
 * finding." Every check recomputes from the log's own signals; none trusts a stored verdict.
 */
import { INTERVENTION_CODES, INTERVENTION_CODE_RULES, type AuditCheck, type EnrichedSignal, type MaestroConfig, type Mode, type OrchestrationLog } from "../schemas";
import { weightForMode } from "./allocation";
import type { ChainKeys } from "./chain-keys";
import { GENESIS_HASH, canonicalJson, checkLinkHash, orchestrationDigest } from "./hash-chain";
import { agentId, isWellFormedNonce, isWellFormedSessionId } from "./identity";
import { TRADABLE_MODES } from "./systemic-risk";

export interface AuditInput {
  log_id: string;
  /** The log through its schema, for the checks of its decisions. */
  log: OrchestrationLog;
  /** The log exactly as stored (plain values, unknown fields kept): what its hash covers. */
  stored: Readonly<Record<string, unknown>>;
  /** The config the orchestration used. */
  config: MaestroConfig;
  /** The log at seq − 1 as stored (null when seq is 1 or it is missing). */
  previous: { log_id: string; stored: Readonly<Record<string, unknown>> } | null;
  /** The orchestration the log records, as stored now (null: it does not exist). */
  orchestration: Readonly<Record<string, unknown>> | null;
  /** The configured chain keys (null: the chain is unkeyed). */
  keys: ChainKeys | null;
  /** Registry doc per nonce of this log (null = not registered). */
  nonce_registry: Readonly<Record<string, { session_id: string } | null>>;
}

export const AUDIT_CHECK_NAMES = [
  "nonces_unique_and_well_formed",
  "identity_fields_present",
  "allocations_in_range",
  "allocations_consistent_with_mode",
  "override_consistent_with_threshold",
  "buying_power_respected",
  "interventions_consistent",
  "hash_chain_intact",
  "orchestration_matches_log",
] as const;

/** The most a sizing may raise an entry by (portfolio_risk.volatility_multiplier_max's ceiling). */
const MAX_SIZING_FACTOR = 4;

/** Allocations are products of two doubles; compare them to this tolerance. */
const TOLERANCE = 1e-9;

/** ISO-8601 date-time with an explicit zone, as Date.toISOString writes it. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export function auditOrchestrationLog(input: AuditInput): AuditCheck[] {
  return [
    check("nonces_unique_and_well_formed", noncesUniqueAndWellFormed(input)),
    check("identity_fields_present", identityFieldsPresent(input.log)),
    check("allocations_in_range", allocationsInRange(input.log)),
    check("allocations_consistent_with_mode", allocationsConsistentWithMode(input.log, input.config)),
    check("override_consistent_with_threshold", overrideConsistentWithThreshold(input.log, input.config)),
    check("buying_power_respected", buyingPowerRespected(input.log)),
    check("interventions_consistent", interventionsConsistent(input.log)),
    check("hash_chain_intact", hashChainIntact(input)),
    check("orchestration_matches_log", orchestrationMatchesLog(input)),
  ];
}

function check(name: (typeof AUDIT_CHECK_NAMES)[number], findings: string[]): AuditCheck {
  return { name, passed: findings.length === 0, findings };
}

const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

/**
 * DESIGN.md: nonce = 32 hex characters; registered with a create-only write; a second use
 * is a finding. Identity is stamped last (issue 10): an executable signal has a nonce, a
 * signal a step dropped has none.
 */
function noncesUniqueAndWellFormed({ log, nonce_registry }: AuditInput): string[] {
  const findings: string[] = [];
  const signalsByNonce = new Map<string, string[]>();
  for (const s of log.signals) {
    if (s.nonce === null) {
      if (s.executable) findings.push(`signal ${s.signal_id}: executable but carries no nonce`);
      continue;
    }
    if (!s.executable) findings.push(`signal ${s.signal_id}: not executable but was issued nonce ${s.nonce}`);
    if (!isWellFormedNonce(s.nonce)) {
      findings.push(`signal ${s.signal_id}: nonce ${show(s.nonce)} is not 32 lowercase hex characters`);
    }
    const ids = signalsByNonce.get(s.nonce);
    if (ids) ids.push(s.signal_id);
    else signalsByNonce.set(s.nonce, [s.signal_id]);
  }
  for (const [nonce, ids] of signalsByNonce) {
    const where = `signal${ids.length > 1 ? "s" : ""} ${ids.join(", ")}`;
    if (ids.length > 1) findings.push(`nonce ${nonce} appears on ${ids.length} signals: ${ids.join(", ")}`);
    const entry = Object.hasOwn(nonce_registry, nonce) ? nonce_registry[nonce] : null;
    if (!entry) {
      findings.push(`nonce ${nonce} (${where}) is not registered in the nonce registry`);
    } else if (entry.session_id !== log.session_id) {
      findings.push(`nonce ${nonce} reused: registered to session ${entry.session_id} (${where} of session ${log.session_id})`);
    }
  }
  return findings;
}

/** DESIGN.md JIT identity: agent_id = {tenant}_{strategy}, session_id maestro_{ms}_{16 hex}, identity_timestamp ISO-8601. */
function identityFieldsPresent(log: OrchestrationLog): string[] {
  const findings: string[] = [];
  if (!isWellFormedSessionId(log.session_id)) {
    findings.push(`log session_id ${show(log.session_id)} is not maestro_{epoch ms}_{16 hex}`);
  }
  for (const s of log.signals) {
    const expectedAgent = agentId(log.tenant_id, s.strategy_id);
    if (s.agent_id !== expectedAgent) {
      findings.push(`signal ${s.signal_id}: agent_id ${show(s.agent_id)} should be ${show(expectedAgent)}`);
    }
    if (s.session_id !== log.session_id) {
      findings.push(`signal ${s.signal_id}: session_id ${show(s.session_id)} differs from the log's ${show(log.session_id)}`);
    }
    if (!isIsoDateTime(s.identity_timestamp)) {
      findings.push(`signal ${s.signal_id}: identity_timestamp ${show(s.identity_timestamp)} is not an ISO-8601 date-time`);
    }
  }
  return findings;
}

function isIsoDateTime(s: unknown): boolean {
  return typeof s === "string" && ISO_8601.test(s) && Number.isFinite(Date.parse(s));
}

function inUnitInterval(x: unknown): boolean {
  return typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= 1;
}

function allocationsInRange(log: OrchestrationLog): string[] {
  const findings: string[] = [];
  for (const s of log.signals) {
    for (const field of ["allocation", "original_allocation", "weight_multiplier"] as const) {
      if (!inUnitInterval(s[field])) findings.push(`signal ${s.signal_id}: ${field} ${show(s[field])} is outside [0, 1]`);
    }
  }
  for (const d of log.allocation_decisions) {
    for (const field of ["original_allocation", "final_allocation"] as const) {
      if (!inUnitInterval(d[field])) findings.push(`allocation decision for ${d.strategy_id}: ${field} ${show(d[field])} is outside [0, 1]`);
    }
  }
  return findings;
}

/**
 * DESIGN.md modes: SHADOW_MODE and DISABLED → allocation 0, never executable; REDUCED →
 * original × reduce_multiplier; ACTIVE → original; a signal overridden to HOLD → 0.
 */
function allocationsConsistentWithMode(log: OrchestrationLog, config: MaestroConfig): string[] {
  const findings: string[] = [];
  const decisionMode = new Map<string, Mode>();
  const decisionWeight = new Map<string, number>();
  // Under a portfolio method (issue 12) an ACTIVE or REDUCED strategy's weight is its share
  // relative to the best-served strategy: within (0, the mode's weight], not equal to it.
  const portfolio = config.allocation.method !== "sharpe_tiers";
  for (const d of log.allocation_decisions) {
    decisionMode.set(d.strategy_id, d.mode);
    decisionWeight.set(d.strategy_id, d.final_allocation);
    const expected = weightForMode(d.mode, config);
    if (portfolio && expected > 0) {
      if (!(d.final_allocation >= 0 && d.final_allocation <= expected + TOLERANCE)) {
        findings.push(`allocation decision for ${d.strategy_id} (${d.mode}, ${config.allocation.method}): final_allocation ${d.final_allocation}, expected within [0, ${expected}]`);
      }
    } else if (Math.abs(d.final_allocation - expected) > TOLERANCE) {
      findings.push(`allocation decision for ${d.strategy_id} (${d.mode}): final_allocation ${d.final_allocation}, expected ${expected}`);
    }
  }

  for (const s of log.signals) {
    const label = `signal ${s.signal_id} (${s.mode})`;
    const strategyMode = decisionMode.get(s.strategy_id);
    if (strategyMode === undefined) {
      findings.push(`${label}: no allocation decision for strategy ${s.strategy_id}`);
    } else if (strategyMode !== s.mode) {
      findings.push(`${label}: the allocation decision for strategy ${s.strategy_id} says ${strategyMode}`);
    }

    const expected = expectedAllocation(s, config, portfolio ? decisionWeight.get(s.strategy_id) : undefined);
    if (isSizedByPortfolioRisk(s) && s.original_action === undefined) {
      // Within (0, 1]: the factors and their bounds are checked intervention by intervention.
      if (!(s.allocation > 0 && s.allocation <= 1 + TOLERANCE)) findings.push(`${label}: allocation ${s.allocation} sized by portfolio risk, expected within (0, 1]`);
    } else if (isScaledForBuyingPower(s)) {
      // Scaled down by the buying-power guard: more than 0, no more than its mode allows.
      if (!(s.allocation > 0 && s.allocation <= expected.value + TOLERANCE)) {
        findings.push(`${label}: allocation ${s.allocation} scaled for buying power, expected within (0, ${expected.value}] (${expected.why})`);
      }
    } else if (Math.abs(s.allocation - expected.value) > TOLERANCE) {
      findings.push(`${label}: allocation ${s.allocation}, expected ${expected.value} (${expected.why})`);
    }
    const executable = TRADABLE_MODES.has(s.mode) && s.action !== "HOLD" && s.original_action === undefined && s.allocation > 0;
    if (s.executable !== executable) {
      findings.push(`${label}: executable ${s.executable}, expected ${executable} (action ${s.action}, allocation ${s.allocation})`);
    }
  }
  return findings;
}

/** `portfolioWeight`: the strategy's weight under a portfolio allocation method (its allocation decision), else undefined. */
function expectedAllocation(s: EnrichedSignal, config: MaestroConfig, portfolioWeight?: number): { value: number; why: string } {
  switch (s.mode) {
    case "SHADOW_MODE":
      return { value: 0, why: "SHADOW_MODE is paper trading only" };
    case "DISABLED":
      return { value: 0, why: "DISABLED never trades" };
    case "REDUCED":
    case "ACTIVE":
      if (s.original_action !== undefined) {
        const by = isHeldForBuyingPower(s) ? "held for buying power" : isHeldByGuardian(s) ? "held by a risk step" : "overridden";
        return { value: 0, why: `${by} from ${s.original_action} to ${s.action}` };
      }
      if (portfolioWeight !== undefined) {
        return { value: s.original_allocation * portfolioWeight, why: `original_allocation ${s.original_allocation} × the ${config.allocation.method} weight ${portfolioWeight} of its strategy` };
      }
      return s.mode === "ACTIVE"
        ? { value: s.original_allocation, why: "ACTIVE keeps original_allocation" }
        : {
            value: s.original_allocation * config.reduce_multiplier,
            why: `original_allocation ${s.original_allocation} × reduce_multiplier ${config.reduce_multiplier}`,
          };
  }
}

/** Seed 000: ≥ threshold distinct tradable strategies saying SELL ⇔ every BUY overridden to HOLD. */
function overrideConsistentWithThreshold(log: OrchestrationLog, config: MaestroConfig): string[] {
  const findings: string[] = [];
  const threshold = config.systemic_sell_threshold;
  // A seller is a tradable SELL as the override saw it: the signal replayed through the steps before it.
  const sellers = new Set<string>();
  for (const s of log.signals) {
    if (TRADABLE_MODES.has(s.mode) && stateBefore(s, "systemic_override", config).action === "SELL") sellers.add(s.strategy_id);
  }
  const shouldDetect = sellers.size >= threshold;
  if (log.systemic_risk_detected !== shouldDetect) {
    findings.push(
      `systemic_risk_detected is ${log.systemic_risk_detected} but ${sellers.size} tradable ${sellers.size === 1 ? "strategy" : "strategies"} ` +
        `signaled SELL (threshold ${threshold}${sellers.size ? `: ${[...sellers].sort().join(", ")}` : ""}), so it should be ${shouldDetect}`,
    );
  }

  // The buying-power guard's holds and scalings are checked by buying_power_respected.
  const guarded = new Set(log.signals.filter((s) => isHeldForBuyingPower(s) || isScaledForBuyingPower(s) || isHeldByGuardian(s)).map((s) => s.signal_id));
  const overridden = log.signals.filter((s) => !guarded.has(s.signal_id) && (s.original_action !== undefined || s.override_reason !== undefined));
  const modified = new Set(Object.keys(log.signals_modified).filter((id) => !guarded.has(id)));
  if (shouldDetect) {
    for (const s of log.signals) {
      // An exit (a BUY covering a short) passes every risk step, the override included.
      if (s.action === "BUY" && s.exposure !== "exit") findings.push(`signal ${s.signal_id}: BUY left standing although ${sellers.size} strategies signaled SELL`);
    }
    for (const s of overridden) {
      if (s.original_action !== "BUY") findings.push(`signal ${s.signal_id}: original_action ${show(s.original_action)}, only a BUY is overridden`);
      if (!s.override_reason) findings.push(`signal ${s.signal_id}: overridden without an override_reason`);
      if (s.action !== "HOLD") findings.push(`signal ${s.signal_id}: overridden to ${s.action}, not HOLD`);
      if (s.confidence !== 0) findings.push(`signal ${s.signal_id}: overridden with confidence ${s.confidence}, not 0`);
      if (!modified.has(s.signal_id)) findings.push(`signal ${s.signal_id}: overridden but missing from signals_modified`);
    }
    const overriddenIds = new Set(overridden.map((s) => s.signal_id));
    for (const id of modified) {
      if (!overriddenIds.has(id)) findings.push(`signals_modified names ${id}, which carries no override`);
    }
  } else {
    for (const s of overridden) {
      findings.push(`signal ${s.signal_id}: original_action ${show(s.original_action)} although no systemic risk was warranted`);
    }
    if (modified.size > 0) findings.push(`signals_modified lists ${[...modified].join(", ")} although no systemic risk was warranted`);
  }
  return findings;
}

/**
 * A signal as it stood when `step` ran: the strategy's own action and allocation, replayed
 * through the interventions of the steps configured before it.
 */
function stateBefore(s: EnrichedSignal, step: string, config: MaestroConfig): { action: string; allocation: number } {
  const order = config.cycle_steps as readonly string[];
  const at = order.indexOf(step);
  let state = { action: s.original_action ?? s.action, allocation: s.original_allocation };
  for (const x of s.interventions ?? []) if (at < 0 || order.indexOf(x.step) < at) state = x.after;
  return state;
}

/** Held by the buying-power guard (not by the systemic override). */
function isHeldForBuyingPower(s: EnrichedSignal): boolean {
  return s.buying_power_reason !== undefined && s.override_reason === undefined && s.action === "HOLD";
}

/** Scaled down by a step (the buying-power guard or the risk guardian): its allocation may be below what its mode gives. */
function isScaledForBuyingPower(s: EnrichedSignal): boolean {
  return (s.buying_power_reason !== undefined && s.override_reason === undefined && s.action === "BUY") || (s.interventions ?? []).some((x) => x.code === "POSITION_RISK_SCALED");
}

/** Sized by the portfolio risk step: up or down from what its mode gives (interventions_consistent checks each factor's bound). */
function isSizedByPortfolioRisk(s: EnrichedSignal): boolean {
  return (s.interventions ?? []).some((x) => x.code === "PORTFOLIO_RISK_SIZED");
}

/** Held by the risk guardian, the trading session's gate, the arbitration or the portfolio risk step (its interventions say so). */
function isHeldByGuardian(s: EnrichedSignal): boolean {
  return s.action === "HOLD" && (s.interventions ?? []).some((x) => (x.step === "risk_guardian" || x.step === "trading_session" || x.step === "arbitration" || x.step === "portfolio_risk") && HOLD_CODES.has(x.code));
}

/** The double-spend guard: the BUYs let through never exceed the buying power of the cycle. */
function buyingPowerRespected(log: OrchestrationLog): string[] {
  const bp = log.buying_power;
  if (!bp) return [];
  const findings: string[] = [];
  // Exits pass the guard and spend outside its cap: only entries count against it.
  const buys = log.signals.filter((s) => s.executable && s.action === "BUY" && s.exposure !== "exit");
  const spent = buys.reduce((sum, s) => sum + (s.notional ?? 0), 0);
  for (const s of buys) if (s.notional === undefined) findings.push(`signal ${s.signal_id}: executable BUY without its notional`);
  if (Math.abs(spent - bp.approved_notional) > 1e-6) findings.push(`approved_notional ${bp.approved_notional} but the executable BUYs add up to ${spent}`);
  if (bp.available !== null && spent > bp.available + 1e-6) findings.push(`BUYs of ${spent} let through with only ${bp.available} buying power available`);
  for (const id of [...bp.scaled, ...bp.held]) {
    const s = log.signals.find((x) => x.signal_id === id);
    if (!s?.buying_power_reason) findings.push(`signal ${id}: listed as scaled or held for buying power without a buying_power_reason`);
  }
  for (const s of log.signals) {
    if (isHeldForBuyingPower(s) && (s.original_action !== "BUY" || s.executable || s.allocation !== 0)) {
      findings.push(`signal ${s.signal_id}: held for buying power but original_action ${show(s.original_action)}, executable ${s.executable}, allocation ${s.allocation}`);
    }
  }
  return findings;
}

/** The steps that are about risk: they may hold or scale an entry, never an exit. */
const RISK_STEPS = new Set(["trading_session", "systemic_override", "arbitration", "risk_guardian", "portfolio_risk", "buying_power"]);
/** Codes that hold a signal (HOLD, 0), from the schema's table of codes. */
const HOLD_CODES = new Set<string>(INTERVENTION_CODES.filter((c) => INTERVENTION_CODE_RULES[c].effect === "hold"));

/**
 * Each step's invariants, from the interventions themselves (issue 10): replayed from the
 * signal as the strategy sent it (original action and allocation), each intervention's
 * `before` is where the previous one left it and the last `after` is the signal as logged;
 * each code comes from its own step; a risk step never acted on an exit; a scaling only
 * ever lowers an allocation, and a hold ends at HOLD with 0.
 */
function interventionsConsistent(log: OrchestrationLog): string[] {
  const findings: string[] = [];
  for (const s of log.signals) {
    const label = `signal ${s.signal_id}`;
    let state = { action: s.original_action ?? s.action, allocation: s.original_allocation };
    for (const [i, x] of s.interventions.entries()) {
      const at = `${label}: intervention ${i + 1} (${x.step} ${x.code})`;
      const rule = Object.hasOwn(INTERVENTION_CODE_RULES, x.code) ? INTERVENTION_CODE_RULES[x.code] : undefined;
      if (rule?.step !== x.step) findings.push(`${at}: code ${x.code} does not belong to step ${x.step}`);
      if (x.before.action !== state.action || Math.abs(x.before.allocation - state.allocation) > TOLERANCE) {
        findings.push(`${at}: before ${show(x.before)} is not where the signal stood (${show(state)})`);
      }
      if (RISK_STEPS.has(x.step) && s.exposure === "exit") findings.push(`${at}: a risk step acted on an exit`);
      if (rule?.effect === "hold" && (x.after.action !== "HOLD" || x.after.allocation !== 0)) {
        findings.push(`${at}: a hold must end at HOLD with allocation 0 (got ${show(x.after)})`);
      }
      if (rule?.effect === "scale" && !(x.after.allocation > 0 && x.after.allocation < x.before.allocation + TOLERANCE && x.after.action === x.before.action)) {
        findings.push(`${at}: a scaling must lower the allocation and keep the action (got ${show(x.before)} → ${show(x.after)})`);
      }
      // Sizing (issue 12's portfolio risk) may raise an entry, by at most its volatility bound, never above 1.
      const ceiling = Math.min(1, x.before.allocation * MAX_SIZING_FACTOR);
      if (rule?.effect === "size" && !(x.after.allocation > 0 && x.after.allocation <= ceiling + TOLERANCE && x.after.action === x.before.action)) {
        findings.push(`${at}: a sizing must keep the action and land in (0, ${ceiling}] (got ${show(x.before)} → ${show(x.after)})`);
      }
      state = x.after;
    }
    if (state.action !== s.action || Math.abs(state.allocation - s.allocation) > TOLERANCE) {
      findings.push(`${label}: its interventions end at ${show(state)} but the signal is ${show({ action: s.action, allocation: s.allocation })}`);
    }
  }
  return findings;
}

/** The per-log view of the chain: this link and the previous one, by the rule verifyLogChain uses. */
function hashChainIntact({ log, stored, previous, keys }: Pick<AuditInput, "stored" | "previous" | "keys"> & { log: Pick<OrchestrationLog, "seq" | "prev_hash" | "prev_log_id"> }): string[] {
  const findings: string[] = [];
  const own = checkLinkHash(stored, keys);
  if (own) findings.push(own);
  if (log.seq === 1) {
    if (log.prev_hash !== GENESIS_HASH) findings.push(`seq 1 but prev_hash ${log.prev_hash} is not the genesis hash`);
    return findings;
  }
  if (!previous) {
    findings.push(`previous log (seq ${log.seq - 1}${log.prev_log_id ? `, ${log.prev_log_id}` : ""}) is missing: deleted or never written`);
    return findings;
  }
  if (previous.stored.seq !== log.seq - 1) {
    findings.push(`previous log ${previous.log_id} has seq ${show(previous.stored.seq)}, expected ${log.seq - 1}`);
  }
  if (log.prev_log_id !== null && log.prev_log_id !== previous.log_id) {
    findings.push(`prev_log_id ${log.prev_log_id} does not name the previous log ${previous.log_id}`);
  }
  if (previous.stored.hash !== log.prev_hash) {
    findings.push(`prev_hash ${log.prev_hash} is not the hash ${String(previous.stored.hash)} of the previous log ${previous.log_id}`);
  }
  const previousProblem = checkLinkHash(previous.stored, keys);
  if (previousProblem) findings.push(`previous log ${previous.log_id}: ${previousProblem}`);
  return findings;
}

/** Fields the log copies from its orchestration: named when the digest no longer matches. */
const COPIED_FIELDS = ["signals", "allocation_decisions", "signals_modified", "rejected_signals", "buying_power"] as const;

/** DESIGN.md: "each log carries a digest of its orchestration" — the orchestration must still be the one logged. */
function orchestrationMatchesLog({ log, orchestration }: AuditInput): string[] {
  if (!orchestration) return [`orchestration ${log.session_id} of this log does not exist`];
  let digest: string;
  try {
    digest = orchestrationDigest(orchestration);
  } catch (e) {
    return [`orchestration ${log.session_id} cannot be digested: ${(e as Error).message}`];
  }
  if (digest === log.orchestration_digest) return [];
  const differing = COPIED_FIELDS.filter((f) => sameJson(orchestration[f], log[f]) === false);
  return [
    `orchestration ${log.session_id} was changed after it was logged: digest ${digest}, the log recorded ${log.orchestration_digest}` +
      (differing.length ? ` (differs from the log in ${differing.join(", ")})` : ""),
  ];
}

function sameJson(a: unknown, b: unknown): boolean | null {
  try {
    return (a === undefined ? "" : canonicalJson(a)) === (b === undefined ? "" : canonicalJson(b));
  } catch {
    return null;
  }
}

export const UNKEYED_CHAIN_NOTICE =
  "the log chain is unkeyed (no MAESTRO_LOG_CHAIN_KEYS configured): hashes are plain sha256, so whoever can write the database could rewrite a log and every later hash undetected";

/** What every audit says about the chain's key (a field, not a check: keying is the deployment's choice). */
export function chainKeyStatus(keys: ChainKeys | null, stored: Readonly<Record<string, unknown>>): { chain_keyed: boolean; chain_key_id: string | null; chain_notice: string | null } {
  const keyId = typeof stored.hash_key_id === "string" ? stored.hash_key_id : null;
  return { chain_keyed: keys !== null, chain_key_id: keyId, chain_notice: keys ? null : UNKEYED_CHAIN_NOTICE };
}
