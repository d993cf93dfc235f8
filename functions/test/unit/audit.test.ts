import { AUDIT_CHECK_NAMES, auditOrchestrationLog, type AuditInput } from "../../src/core/audit";
import { createHash, createHmac } from "node:crypto";
import { parseChainKeys } from "../../src/core/chain-keys";
import { GENESIS_HASH, canonicalJson, logHash, verifyChain } from "../../src/core/hash-chain";
import { DEFAULT_CONFIG, MaestroConfigSchema, OrchestrationLogSchema, type AuditCheck, type EnrichedSignal, type Mode, type OrchestrationLog, type SignalAction } from "../../src/schemas";

const SESSION = "maestro_1735560000000_a1b2c3d4e5f60718";
const SESSION_B = "maestro_1735560060000_0011223344556677";
const TIME = "2024-12-30T12:00:00.000Z";
const nonce = (i: number) => i.toString(16).padStart(32, "0");

function signal(
  id: string,
  strategyId: string,
  action: SignalAction,
  mode: Mode,
  original: number,
  allocation: number,
  weight: number,
  n: number,
  session = SESSION,
  over: Partial<EnrichedSignal> = {},
): EnrichedSignal {
  const base: EnrichedSignal = {
    signal_id: id,
    strategy_id: strategyId,
    strategy_name: strategyId.toUpperCase(),
    action,
    ticker: "SPY",
    allocation,
    original_allocation: original,
    weight_multiplier: weight,
    mode,
    confidence: 0.8,
    reasoning: "r",
    executable: (mode === "ACTIVE" || mode === "REDUCED") && action !== "HOLD" && allocation > 0,
    agent_id: `t1_${strategyId}`,
    nonce: nonce(n),
    session_id: session,
    identity_timestamp: TIME,
    interventions: [],
    ...over,
  };
  // The interventions the pipeline would have recorded, unless the test gives its own.
  if (!("interventions" in over)) base.interventions = interventionsOf(base);
  // Identity is stamped last: a signal that does not trade has no nonce (unless the test sets one).
  return "nonce" in over || base.executable ? base : { ...base, nonce: null };
}

/** The steps' record for a hand-made signal: weights, then the override or the guard. */
function interventionsOf(s: EnrichedSignal): EnrichedSignal["interventions"] {
  const out: EnrichedSignal["interventions"] = [];
  let state = { action: s.original_action ?? s.action, allocation: s.original_allocation };
  const weighted = s.original_allocation * s.weight_multiplier;
  if (s.mode !== "ACTIVE" && weighted !== s.original_allocation) {
    const code = s.mode === "REDUCED" ? "REDUCED_ALLOCATION" : s.mode === "SHADOW_MODE" ? "SHADOW_MODE_PAPER_ONLY" : "STRATEGY_DISABLED";
    const after = { action: state.action, allocation: weighted };
    out.push({ step: "weights", code, reason: "mode", before: state, after });
    state = after;
  }
  if (s.override_reason) {
    const after = { action: "HOLD" as const, allocation: 0 };
    out.push({ step: "systemic_override", code: "SYSTEMIC_RISK_OVERRIDE", reason: s.override_reason, before: state, after });
    state = after;
  } else if (s.buying_power_reason) {
    const after = { action: s.action, allocation: s.allocation };
    out.push({ step: "buying_power", code: s.action === "HOLD" ? "BUYING_POWER_HELD" : "BUYING_POWER_SCALED", reason: s.buying_power_reason, before: state, after });
  }
  return out;
}

const decision = (strategyId: string, mode: Mode, final: number) => ({
  strategy_id: strategyId,
  strategy_name: strategyId.toUpperCase(),
  original_allocation: 1,
  final_allocation: final,
  mode,
  reasoning: "r",
  sharpe_ratio: 1,
  max_drawdown: 0,
  data_points: 30,
  timestamp: TIME,
});

/** A stored orchestration per session; its digest worked by hand: sha256 of the canonical text, `log` left out. */
function orchestrationDoc(session: string): Record<string, unknown> {
  return { tenant_id: "t1", session_id: session, log: { state: "WRITTEN" } };
}
function orchestrationDigestByHand(session: string): string {
  return createHash("sha256").update(`{"session_id":"${session}","tenant_id":"t1"}`, "utf8").digest("hex");
}

type Unsealed = Omit<OrchestrationLog, "hash" | "signals_count" | "overrides_count" | "rejected_count" | "orchestration_digest" | "hash_key_id"> &
  Partial<Pick<OrchestrationLog, "hash" | "signals_count" | "overrides_count" | "rejected_count" | "orchestration_digest" | "hash_key_id">>;

function seal(log: Unsealed): OrchestrationLog {
  const { hash: _drop, ...rest } = log;
  void _drop;
  const full = {
    ...rest,
    signals_count: rest.signals.length,
    overrides_count: Object.keys(rest.signals_modified).length,
    rejected_count: rest.rejected_signals.length,
    orchestration_digest: orchestrationDigestByHand(rest.session_id),
    hash_key_id: null,
  };
  return { ...full, hash: logHash(full.prev_hash, full) };
}
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** Log A, seq 1, no systemic risk. Allocations by hand: 0.4 × 1 = 0.4; 0.6 × 0.5 = 0.3; 0.5 × 0 = 0. */
function logA(): OrchestrationLog {
  return seal({
    timestamp: TIME,
    session_id: SESSION,
    tenant_id: "t1",
    allocation_decisions: [decision("gamma", "SHADOW_MODE", 0), decision("meanrev", "REDUCED", 0.5), decision("momo", "ACTIVE", 1)],
    systemic_risk_detected: false,
    systemic_risk_details: "No systemic risk: 1 of 3 strategies signaling SELL needed.",
    signals_modified: {},
    signals: [
      signal("s1", "momo", "BUY", "ACTIVE", 0.4, 0.4, 1, 1),
      signal("s2", "meanrev", "SELL", "REDUCED", 0.6, 0.3, 0.5, 2),
      signal("s3", "gamma", "BUY", "SHADOW_MODE", 0.5, 0, 0, 3),
    ],
    rejected_signals: [],
    ai_summary: "summary",
    ai_summary_source: "written",
    ai_summary_fallback_reason: null,
    seq: 1,
    prev_log_id: null,
    prev_hash: GENESIS_HASH,
  });
}

/** Log B, seq 2 after A: tradable sellers a, b, c = 3 ≥ 3 (the SHADOW_MODE seller sh does not count) → d's BUY held. */
function logB(prev: OrchestrationLog = logA()): OrchestrationLog {
  return seal({
    timestamp: "2024-12-30T12:01:00.000Z",
    session_id: SESSION_B,
    tenant_id: "t1",
    allocation_decisions: [
      decision("a", "ACTIVE", 1),
      decision("b", "REDUCED", 0.5),
      decision("c", "ACTIVE", 1),
      decision("d", "ACTIVE", 1),
      decision("sh", "SHADOW_MODE", 0),
    ],
    systemic_risk_detected: true,
    systemic_risk_details: "Systemic risk threshold breached: 3 strategies signaling SELL (threshold 3). Overrode 1 BUY signal to HOLD.",
    signals_modified: { b4: "BUY->HOLD (systemic risk)" },
    signals: [
      signal("b1", "a", "SELL", "ACTIVE", 0.5, 0.5, 1, 11, SESSION_B),
      signal("b2", "b", "SELL", "REDUCED", 0.5, 0.25, 0.5, 12, SESSION_B),
      signal("b3", "c", "SELL", "ACTIVE", 0.5, 0.5, 1, 13, SESSION_B),
      signal("b4", "d", "HOLD", "ACTIVE", 0.5, 0, 1, 14, SESSION_B, {
        original_action: "BUY",
        override_reason: "Maestro systemic risk override: 3 strategies signaling SELL",
        confidence: 0,
        executable: false,
      }),
      signal("b5", "sh", "SELL", "SHADOW_MODE", 0.5, 0, 0, 15, SESSION_B),
    ],
    rejected_signals: [],
    ai_summary: "summary",
    ai_summary_source: "written",
    ai_summary_fallback_reason: null,
    seq: 2,
    prev_log_id: "logA",
    prev_hash: prev.hash,
  });
}

function registryFor(log: OrchestrationLog): Record<string, { session_id: string }> {
  return Object.fromEntries(log.signals.map((s) => [s.nonce, { session_id: log.session_id }]));
}

function audit(log: OrchestrationLog, over: Partial<AuditInput> = {}): Record<string, AuditCheck> {
  const checks = auditOrchestrationLog({
    log_id: log.seq === 1 ? "logA" : "logB",
    log,
    stored: log,
    config: DEFAULT_CONFIG,
    previous: log.seq === 1 ? null : { log_id: "logA", stored: logA() },
    orchestration: orchestrationDoc(log.session_id),
    keys: null,
    nonce_registry: registryFor(log),
    ...over,
  });
  return Object.fromEntries(checks.map((c) => [c.name, c]));
}

const failing = (checks: Record<string, AuditCheck>) => Object.values(checks).filter((c) => !c.passed).map((c) => c.name);

describe("auditOrchestrationLog: clean logs", () => {
  it("lists the nine checks, in order, each passed with no findings (seq 1)", () => {
    const checks = auditOrchestrationLog({
      log_id: "logA",
      log: logA(),
      stored: logA(),
      config: DEFAULT_CONFIG,
      previous: null,
      orchestration: orchestrationDoc(SESSION),
      keys: null,
      nonce_registry: registryFor(logA()),
    });
    expect(checks.map((c) => c.name)).toEqual([...AUDIT_CHECK_NAMES]);
    expect(AUDIT_CHECK_NAMES).toEqual([
      "nonces_unique_and_well_formed",
      "identity_fields_present",
      "allocations_in_range",
      "allocations_consistent_with_mode",
      "override_consistent_with_threshold",
      "buying_power_respected",
      "interventions_consistent",
      "hash_chain_intact",
      "orchestration_matches_log",
    ]);
    for (const c of checks) expect(c).toEqual({ name: c.name, passed: true, findings: [] });
  });

  it("passes a log with a warranted override, chained to its predecessor", () => {
    expect(failing(audit(logB()))).toEqual([]);
  });
});

describe("nonces_unique_and_well_formed", () => {
  it("fails on a duplicate nonce within the log", () => {
    const log = logA();
    log.signals[1].nonce = log.signals[0].nonce;
    const checks = audit(seal(log));
    expect(failing(checks)).toEqual(["nonces_unique_and_well_formed"]);
    expect(checks.nonces_unique_and_well_formed.findings).toEqual([`nonce ${nonce(1)} appears on 2 signals: s1, s2`]);
  });

  it("fails on a nonce registered to another session", () => {
    const log = logA();
    const registry = { ...registryFor(log), [nonce(2)]: { session_id: SESSION_B } };
    const checks = audit(log, { nonce_registry: registry });
    expect(failing(checks)).toEqual(["nonces_unique_and_well_formed"]);
    expect(checks.nonces_unique_and_well_formed.findings).toEqual([
      `nonce ${nonce(2)} reused: registered to session ${SESSION_B} (signal s2 of session ${SESSION})`,
    ]);
  });

  it("fails on a nonce missing from the registry", () => {
    const log = logA();
    const checks = audit(log, { nonce_registry: { ...registryFor(log), [nonce(2)]: null } });
    expect(checks.nonces_unique_and_well_formed.findings).toEqual([`nonce ${nonce(2)} (signal s2) is not registered in the nonce registry`]);
  });

  it("identity is stamped last: a dropped signal carries no nonce, an executable one must", () => {
    const log = logA();
    expect(log.signals[2]).toMatchObject({ signal_id: "s3", executable: false, nonce: null }); // SHADOW_MODE: dropped
    const tampered = { ...log, signals: log.signals.map((s) => (s.signal_id === "s3" ? { ...s, nonce: nonce(3) } : s.signal_id === "s1" ? { ...s, nonce: null } : s)) };
    const checks = audit(seal(tampered), { nonce_registry: { ...registryFor(log), [nonce(3)]: { session_id: SESSION } } });
    expect(checks.nonces_unique_and_well_formed.findings).toEqual([
      "signal s1: executable but carries no nonce",
      `signal s3: not executable but was issued nonce ${nonce(3)}`,
    ]);
  });

  it("fails on a malformed nonce", () => {
    const log = logA();
    log.signals[0].nonce = "A".repeat(32);
    const sealed = seal(log);
    const checks = audit(sealed);
    expect(checks.nonces_unique_and_well_formed.passed).toBe(false);
    expect(checks.nonces_unique_and_well_formed.findings).toEqual([`signal s1: nonce "${"A".repeat(32)}" is not 32 lowercase hex characters`]);
  });
});

describe("identity_fields_present", () => {
  it("names each missing or wrong identity field", () => {
    const log = logA();
    log.signals[0].agent_id = "t2_momo";
    log.signals[1].session_id = SESSION_B;
    log.signals[2].identity_timestamp = "yesterday";
    const checks = audit(seal(log), { nonce_registry: registryFor(logA()) });
    expect(failing(checks)).toEqual(["identity_fields_present"]);
    expect(checks.identity_fields_present.findings).toEqual([
      'signal s1: agent_id "t2_momo" should be "t1_momo"',
      `signal s2: session_id "${SESSION_B}" differs from the log's "${SESSION}"`,
      'signal s3: identity_timestamp "yesterday" is not an ISO-8601 date-time',
    ]);
  });

  it("fails a log whose session id is not maestro_{ms}_{16 hex}", () => {
    const log = logA();
    const bad = "maestro_1735560000000_a1b2c3d4"; // the seed's 8-hex example
    log.session_id = bad;
    for (const s of log.signals) s.session_id = bad;
    const checks = audit(seal(log), { nonce_registry: Object.fromEntries(log.signals.map((s) => [s.nonce, { session_id: bad }])) });
    expect(failing(checks)).toEqual(["identity_fields_present"]);
    expect(checks.identity_fields_present.findings).toEqual([`log session_id "${bad}" is not maestro_{epoch ms}_{16 hex}`]);
  });
});

describe("allocations_in_range", () => {
  it("fails on an allocation above 1", () => {
    const log = logA();
    Object.assign(log.signals[0], { allocation: 1.5, original_allocation: 1.5 });
    const checks = audit(seal(log));
    expect(failing(checks)).toEqual(["allocations_in_range"]);
    expect(checks.allocations_in_range.findings).toEqual([
      "signal s1: allocation 1.5 is outside [0, 1]",
      "signal s1: original_allocation 1.5 is outside [0, 1]",
    ]);
  });

  it("fails on a negative final allocation in an allocation decision", () => {
    const log = logA();
    log.allocation_decisions[2].final_allocation = -1;
    const checks = audit(seal(log));
    expect(checks.allocations_in_range.findings).toEqual(["allocation decision for momo: final_allocation -1 is outside [0, 1]"]);
  });
});

describe("allocations_consistent_with_mode", () => {
  it("fails on a tampered allocation, and the hash chain shows the edit", () => {
    const log = logA();
    log.signals[0].allocation = 0.9; // ACTIVE: must equal original 0.4
    const checks = audit(log);
    // The interventions no longer end where the signal stands: that check sees the edit too.
    expect(failing(checks)).toEqual(["allocations_consistent_with_mode", "interventions_consistent", "hash_chain_intact"]);
    expect(checks.allocations_consistent_with_mode.findings).toEqual(["signal s1 (ACTIVE): allocation 0.9, expected 0.4 (ACTIVE keeps original_allocation)"]);
    expect(checks.hash_chain_intact.findings[0]).toMatch(/^hash mismatch: stored [0-9a-f]{64}, recomputed [0-9a-f]{64}/);
  });

  it("fails on a tampered allocation even when the tamperer re-hashed the log", () => {
    const log = logA();
    log.signals[1].allocation = 0.6; // REDUCED: must be 0.6 × 0.5 = 0.3
    const checks = audit(seal(log));
    expect(failing(checks)).toEqual(["allocations_consistent_with_mode", "interventions_consistent"]);
    expect(checks.interventions_consistent.findings).toEqual(['signal s2: its interventions end at {"action":"SELL","allocation":0.3} but the signal is {"action":"SELL","allocation":0.6}']);
    expect(checks.allocations_consistent_with_mode.findings).toEqual([
      "signal s2 (REDUCED): allocation 0.6, expected 0.3 (original_allocation 0.6 × reduce_multiplier 0.5)",
    ]);
  });

  it("uses the config's reduce_multiplier", () => {
    // With reduce_multiplier 0.25: REDUCED decisions should be 0.25 and s2 should be 0.6 × 0.25 = 0.15, not 0.3.
    const checks = audit(logA(), { config: MaestroConfigSchema.parse({ reduce_multiplier: 0.25 }) });
    expect(checks.allocations_consistent_with_mode.findings).toEqual([
      "allocation decision for meanrev (REDUCED): final_allocation 0.5, expected 0.25",
      "signal s2 (REDUCED): allocation 0.3, expected 0.15 (original_allocation 0.6 × reduce_multiplier 0.25)",
    ]);
  });

  it("fails a SHADOW_MODE signal given an executable allocation (paper only)", () => {
    const log = logA();
    Object.assign(log.signals[2], { allocation: 0.5, executable: true });
    const checks = audit(seal(log));
    expect(checks.allocations_consistent_with_mode.findings).toEqual([
      "signal s3 (SHADOW_MODE): allocation 0.5, expected 0 (SHADOW_MODE is paper trading only)",
      "signal s3 (SHADOW_MODE): executable true, expected false (action BUY, allocation 0.5)",
    ]);
  });

  it("fails a SHADOW_MODE signal marked executable even at allocation 0", () => {
    const log = logA();
    log.signals[2].executable = true;
    const checks = audit(seal(log));
    expect(checks.allocations_consistent_with_mode.findings).toEqual(["signal s3 (SHADOW_MODE): executable true, expected false (action BUY, allocation 0)"]);
  });

  it("fails a signal whose mode disagrees with its strategy's allocation decision", () => {
    const log = logA();
    Object.assign(log.signals[0], { mode: "REDUCED", allocation: 0.2, weight_multiplier: 0.5 });
    const checks = audit(seal(log));
    expect(checks.allocations_consistent_with_mode.findings).toEqual(["signal s1 (REDUCED): the allocation decision for strategy momo says ACTIVE"]);
  });
});

describe("override_consistent_with_threshold", () => {
  it("fails a log flagged as systemic risk with 1 tradable seller", () => {
    const log = logA();
    log.systemic_risk_detected = true;
    const checks = audit(seal(log));
    expect(failing(checks)).toEqual(["override_consistent_with_threshold"]);
    expect(checks.override_consistent_with_threshold.findings).toEqual([
      "systemic_risk_detected is true but 1 tradable strategy signaled SELL (threshold 3: meanrev), so it should be false",
    ]);
  });

  it("fails a log that hides a warranted override", () => {
    const log = logB();
    log.systemic_risk_detected = false;
    const checks = audit(seal(log));
    expect(checks.override_consistent_with_threshold.findings).toEqual([
      "systemic_risk_detected is false but 3 tradable strategies signaled SELL (threshold 3: a, b, c), so it should be true",
    ]);
  });

  it("does not count the SHADOW_MODE seller: 2 tradable sellers + 1 shadow seller do not warrant the override", () => {
    const log = logB();
    Object.assign(log.signals[2], { mode: "SHADOW_MODE", allocation: 0, weight_multiplier: 0, executable: false, nonce: null }); // c now shadow
    log.signals[2].interventions = [{ step: "weights", code: "SHADOW_MODE_PAPER_ONLY", reason: "mode", before: { action: "SELL", allocation: 0.5 }, after: { action: "SELL", allocation: 0 } }];
    log.allocation_decisions[2] = decision("c", "SHADOW_MODE", 0);
    const checks = audit(seal(log));
    expect(failing(checks)).toEqual(["override_consistent_with_threshold"]);
    expect(checks.override_consistent_with_threshold.findings).toEqual([
      "systemic_risk_detected is true but 2 tradable strategies signaled SELL (threshold 3: a, b), so it should be false",
      'signal b4: original_action "BUY" although no systemic risk was warranted',
      "signals_modified lists b4 although no systemic risk was warranted",
    ]);
  });

  it("uses the config's threshold", () => {
    const checks = audit(logB(), { config: MaestroConfigSchema.parse({ systemic_sell_threshold: 4 }) });
    expect(checks.override_consistent_with_threshold.passed).toBe(false);
    expect(checks.override_consistent_with_threshold.findings[0]).toBe(
      "systemic_risk_detected is true but 3 tradable strategies signaled SELL (threshold 4: a, b, c), so it should be false",
    );
  });

  it("fails when a BUY survives a detected override", () => {
    const log = logB();
    log.signals[3] = signal("b4", "d", "BUY", "ACTIVE", 0.5, 0.5, 1, 14, SESSION_B);
    log.signals_modified = {};
    const checks = audit(seal(log));
    expect(failing(checks)).toEqual(["override_consistent_with_threshold"]);
    expect(checks.override_consistent_with_threshold.findings).toEqual(["signal b4: BUY left standing although 3 strategies signaled SELL"]);
  });

  it("counts an overridden SELL by its original_action, and flags overriding anything but a BUY", () => {
    const log = logB();
    Object.assign(log.signals[2], {
      action: "HOLD",
      original_action: "SELL",
      override_reason: "Maestro systemic risk override: 3 strategies signaling SELL",
      confidence: 0,
      allocation: 0,
      executable: false,
    });
    log.signals_modified = { ...log.signals_modified, b3: "SELL->HOLD" };
    const checks = audit(seal(log));
    // Sellers are still a, b, c (c by original_action), so the flag is right; the SELL override is not.
    expect(checks.override_consistent_with_threshold.findings).toEqual(['signal b3: original_action "SELL", only a BUY is overridden']);
  });

  it("fails an overridden signal without an override_reason or left out of signals_modified", () => {
    const log = logB();
    delete log.signals[3].override_reason;
    log.signals_modified = {};
    const checks = audit(seal(log));
    expect(checks.override_consistent_with_threshold.findings).toEqual([
      "signal b4: overridden without an override_reason",
      "signal b4: overridden but missing from signals_modified",
    ]);
  });
});

describe("hash_chain_intact", () => {
  it("fails when the previous log is missing", () => {
    const checks = audit(logB(), { previous: null });
    expect(failing(checks)).toEqual(["hash_chain_intact"]);
    expect(checks.hash_chain_intact.findings).toEqual(["previous log (seq 1, logA) is missing: deleted or never written"]);
  });

  it("fails when the previous log was edited after it was written", () => {
    const edited = logA();
    edited.signals[0].allocation = 0.9;
    const checks = audit(logB(), { previous: { log_id: "logA", stored: edited } });
    expect(failing(checks)).toEqual(["hash_chain_intact"]);
    expect(checks.hash_chain_intact.findings).toHaveLength(1);
    expect(checks.hash_chain_intact.findings[0]).toMatch(/^previous log logA: hash mismatch: stored [0-9a-f]{64}, recomputed [0-9a-f]{64}/);
  });

  it("fails when the previous log was replaced by a re-hashed one", () => {
    const replaced = logA();
    replaced.ai_summary = "rewritten";
    const checks = audit(logB(), { previous: { log_id: "logA", stored: seal(replaced) } });
    expect(checks.hash_chain_intact.findings).toEqual([`prev_hash ${logA().hash} is not the hash ${seal(replaced).hash} of the previous log logA`]);
  });

  it("fails when the previous log does not sit at seq − 1", () => {
    const prev = clone(logA());
    prev.seq = 3;
    const checks = audit(logB(), { previous: { log_id: "logA", stored: prev } });
    expect(checks.hash_chain_intact.findings).toContain("previous log logA has seq 3, expected 1");
  });

  it("fails a first log that does not start from the genesis hash", () => {
    const log = logA();
    log.prev_hash = "f".repeat(64);
    const checks = audit(seal(log));
    expect(checks.hash_chain_intact.findings).toEqual([`seq 1 but prev_hash ${"f".repeat(64)} is not the genesis hash`]);
  });
});

describe("buying_power_respected", () => {
  /** Log A with a $1,000 buying-power cap: s1 (momo, capital $1,000 → 0.4 × 1,000 = $400) fits; s4 wanted
   *  0.8 × $1,000 = $800, got the $600 left (allocation 0.6); s5 ($500) was held. */
  function guarded(over: { available?: number; s4Allocation?: number } = {}): OrchestrationLog {
    const a = logA();
    const available = over.available ?? 1_000;
    const s4Allocation = over.s4Allocation ?? 0.6;
    return seal({
      ...a,
      signals: [
        { ...a.signals[0], notional: 400 },
        a.signals[1],
        a.signals[2],
        signal("s4", "momo", "BUY", "ACTIVE", 0.8, s4Allocation, 1, 4, SESSION, { notional: s4Allocation * 1_000, buying_power_reason: "Scaled from $800.00 to $600.00" }),
        signal("s5", "momo", "HOLD", "ACTIVE", 0.5, 0, 1, 5, SESSION, { original_action: "BUY", executable: false, notional: 0, buying_power_reason: "Held: $500.00 requested" }),
      ],
      signals_modified: { s4: "Scaled from $800.00 to $600.00", s5: "Held: $500.00 requested" },
      buying_power: {
        available,
        source: "account snapshot",
        requested_notional: 1_700,
        approved_notional: 400 + s4Allocation * 1_000,
        remaining: Math.max(0, available - 400 - s4Allocation * 1_000),
        scaled: ["s4"],
        held: ["s5"],
      },
    });
  }

  it("passes a log whose scaled and held BUYs stay within the buying power, and does not mistake them for systemic overrides", () => {
    expect(failing(audit(guarded()))).toEqual([]);
  });

  it("fails a log that lets more through than the buying power", () => {
    const checks = audit(guarded({ available: 900 }));
    expect(failing(checks)).toEqual(["buying_power_respected"]);
    expect(checks.buying_power_respected.findings).toEqual(["BUYs of 1000 let through with only 900 buying power available"]);
  });

  it("fails a scaled BUY above what its mode allows", () => {
    const checks = audit(guarded({ s4Allocation: 0.9, available: 2_000 }));
    expect(checks.allocations_consistent_with_mode.findings).toEqual([
      "signal s4 (ACTIVE): allocation 0.9 scaled for buying power, expected within (0, 0.8] (ACTIVE keeps original_allocation)",
    ]);
  });

  it("fails a held signal that is still executable", () => {
    const log = guarded();
    const tampered = seal({ ...log, signals: log.signals.map((s) => (s.signal_id === "s5" ? { ...s, executable: true } : s)) });
    expect(audit(tampered).buying_power_respected.findings).toContain("signal s5: held for buying power but original_action \"BUY\", executable true, allocation 0");
  });
});

describe("tampering with a stored log: the per-log audit and verifyChain agree", () => {
  type Stored = Record<string, any>;
  const cases: [string, (s: Stored) => void][] = [
    ["a top-level field added", (s) => (s.note = "added later")],
    ["a nested field added", (s) => (s.signals[0].extra = true)],
    ["a deeper nested object added", (s) => (s.allocation_decisions[0].meta = { by: "someone" })],
    ["a top-level field removed", (s) => delete s.ai_summary_fallback_reason],
    ["a nested field removed", (s) => delete s.signals[0].reasoning],
    ["a top-level field changed", (s) => (s.ai_summary = "rewritten")],
    ["a nested field changed", (s) => (s.signals[0].confidence = 0.99)],
    ["a nested value's type changed", (s) => (s.signals[0].allocation = String(s.signals[0].allocation))],
    ["a count changed", (s) => (s.signals_count += 1)],
    ["the orchestration digest changed", (s) => (s.orchestration_digest = "e".repeat(64))],
  ];
  const link = (logId: string, stored: Stored) => ({ log_id: logId, seq: stored.seq, prev_hash: stored.prev_hash, hash: stored.hash, content: stored });

  test.each(cases)("in the audited log: %s", (_label, tamper) => {
    const a = logA();
    const b: Stored = clone(logB());
    tamper(b);
    // The audit stage parses the log for its decision checks; a log that no longer parses fails log_well_formed.
    const parsed = OrchestrationLogSchema.safeParse(b);
    const auditFails = parsed.success ? audit(parsed.data, { stored: b }).hash_chain_intact.passed === false : true;
    if (parsed.success) expect(audit(parsed.data, { stored: b }).hash_chain_intact.findings.join(" ")).toMatch(/hash mismatch/);
    const chain = verifyChain([link("logA", a), link("logB", b)]);
    expect({ audit_fails: auditFails, chain_break_at: chain.first_break?.log_id }).toEqual({ audit_fails: true, chain_break_at: "logB" });
  });

  test.each(cases)("in the previous log: %s", (_label, tamper) => {
    const a: Stored = clone(logA());
    tamper(a);
    const checks = audit(logB(), { previous: { log_id: "logA", stored: a } });
    expect(checks.hash_chain_intact.findings).toHaveLength(1);
    expect(checks.hash_chain_intact.findings[0]).toMatch(/^previous log logA: hash mismatch/);
    expect(verifyChain([link("logA", a), link("logB", logB())]).first_break).toMatchObject({ log_id: "logA", seq: 1 });
  });

  test("an untouched pair passes both", () => {
    expect(audit(logB()).hash_chain_intact.passed).toBe(true);
    expect(verifyChain([link("logA", logA()), link("logB", logB())]).intact).toBe(true);
  });
});

describe("a keyed chain against someone holding only the database", () => {
  const SECRET = "k".repeat(40);
  const keys = parseChainKeys(`k1:${SECRET}`);
  const hmac = (text: string) => createHmac("sha256", SECRET).update(text, "utf8").digest("hex");
  /** Signs a stored log as the log writer does, computed here with node:crypto on the canonical text. */
  function signKeyed(log: Record<string, any>): Record<string, any> {
    const content: Record<string, any> = { ...log, hash_key_id: "k1" };
    delete content.hash;
    return { ...content, hash: hmac(`${content.prev_hash}\n${canonicalJson(content)}`) };
  }
  const keyedA = () => signKeyed(logA());
  const keyedB = (prev: Record<string, any> = keyedA()) => signKeyed({ ...logB(), prev_hash: prev.hash });
  const link = (logId: string, s: Record<string, unknown>) => ({ log_id: logId, seq: s.seq as number, prev_hash: s.prev_hash as string, hash: s.hash as string, content: s });
  const auditKeyed = (b: Record<string, unknown>, a: Record<string, unknown>) =>
    audit(OrchestrationLogSchema.parse(b), { stored: b, keys, previous: { log_id: "logA", stored: a } });

  test("an untouched keyed chain passes both", () => {
    const a = keyedA();
    const b = keyedB(a);
    expect(auditKeyed(b, a).hash_chain_intact).toEqual({ name: "hash_chain_intact", passed: true, findings: [] });
    expect(verifyChain([link("logA", a), link("logB", b)], keys)).toMatchObject({ intact: true, checked: 2 });
  });

  test("log A rewritten and every later hash recomputed with plain sha256: both catch it", () => {
    const sha = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
    const rewrite = (log: Record<string, any>, prevHash: string) => {
      const content: Record<string, any> = { ...log, prev_hash: prevHash, hash_key_id: null };
      delete content.hash;
      return { ...content, hash: sha(`${prevHash}\n${canonicalJson(content)}`) };
    };
    const a = rewrite({ ...keyedA(), ai_summary: "nothing to see" }, GENESIS_HASH);
    const b = rewrite(keyedB(), a.hash as string);
    expect(auditKeyed(b, a).hash_chain_intact.findings).toEqual([
      expect.stringMatching(/^unkeyed \(plain sha256\) although the chain is keyed/),
      expect.stringMatching(/^previous log logA: unkeyed \(plain sha256\)/),
    ]);
    expect(verifyChain([link("logA", a), link("logB", b)], keys).first_break).toMatchObject({ log_id: "logA", problem: expect.stringMatching(/^unkeyed/) });
  });

  test("the key id kept but the hashes recomputed without the secret: both catch it", () => {
    const a: Record<string, any> = { ...keyedA(), ai_summary: "nothing to see" };
    a.hash = createHash("sha256").update(`${a.prev_hash}\n${canonicalJson({ ...a, hash: undefined })}`, "utf8").digest("hex");
    const b = { ...keyedB(), prev_hash: a.hash };
    expect(auditKeyed(b, a).hash_chain_intact.passed).toBe(false);
    expect(verifyChain([link("logA", a), link("logB", b)], keys).first_break).toMatchObject({ log_id: "logA", problem: expect.stringMatching(/^hash mismatch/) });
  });
});

describe("orchestration_matches_log", () => {
  test("an orchestration edited after it was logged (a signal's executable flipped) fails it, naming the field", () => {
    const b = logB();
    const edited = {
      ...orchestrationDoc(SESSION_B),
      allocation_decisions: b.allocation_decisions,
      signals_modified: b.signals_modified,
      rejected_signals: b.rejected_signals,
      signals: b.signals.map((s) => (s.signal_id === "b4" ? { ...s, executable: true } : s)),
    };
    const checks = audit(logB(), { orchestration: edited });
    expect(failing(checks)).toEqual(["orchestration_matches_log"]);
    expect(checks.orchestration_matches_log.findings[0]).toMatch(
      new RegExp(`^orchestration ${SESSION_B} was changed after it was logged: digest [0-9a-f]{64}, the log recorded ${orchestrationDigestByHand(SESSION_B)} \\(differs from the log in signals\\)$`),
    );
  });

  test("a missing orchestration fails it; the log writer's own log field does not", () => {
    expect(audit(logB(), { orchestration: null }).orchestration_matches_log.findings).toEqual([`orchestration ${SESSION_B} of this log does not exist`]);
    const bookkeeping = { ...orchestrationDoc(SESSION_B), log: { state: "WRITTEN", summary: { text: "x", source: "written", fallback_reason: null } } };
    expect(audit(logB(), { orchestration: bookkeeping }).orchestration_matches_log.passed).toBe(true);
  });
});

describe("interventions_consistent", () => {
  it("fails an intervention whose code is not its step's, one that does not start where the signal stood, and a risk step acting on an exit", () => {
    const log = logA();
    const s1 = log.signals[0]; // momo BUY 0.4 ACTIVE, no interventions
    const tampered = {
      ...log,
      signals: [
        {
          ...s1,
          exposure: "exit" as const,
          action: "HOLD" as const,
          allocation: 0,
          executable: false,
          nonce: null,
          original_action: "BUY" as const,
          buying_power_reason: "Held",
          interventions: [{ step: "weights" as const, code: "BUYING_POWER_HELD" as const, reason: "Held", before: { action: "BUY" as const, allocation: 0.5 }, after: { action: "HOLD" as const, allocation: 0 } }],
        },
        ...log.signals.slice(1),
      ],
    };
    const checks = audit(seal(tampered));
    expect(checks.interventions_consistent.findings).toEqual([
      "signal s1: intervention 1 (weights BUYING_POWER_HELD): code BUYING_POWER_HELD does not belong to step weights",
      'signal s1: intervention 1 (weights BUYING_POWER_HELD): before {"action":"BUY","allocation":0.5} is not where the signal stood ({"action":"BUY","allocation":0.4})',
    ]);
    const onExit = { ...tampered, signals: [{ ...tampered.signals[0], interventions: [{ ...tampered.signals[0].interventions[0], step: "buying_power" as const, before: { action: "BUY" as const, allocation: 0.4 } }] }, ...log.signals.slice(1)] };
    expect(audit(seal(onExit)).interventions_consistent.findings).toEqual(["signal s1: intervention 1 (buying_power BUYING_POWER_HELD): a risk step acted on an exit"]);
  });

  it("fails a hold that did not end at HOLD with allocation 0 (a session code, from the table of codes)", () => {
    const log = logA();
    const s1 = log.signals[0];
    const halfHeld = {
      ...log,
      signals: [
        { ...s1, allocation: 0.1, interventions: [{ step: "trading_session" as const, code: "SESSION_PAUSED" as const, reason: "Held", before: { action: "BUY" as const, allocation: 0.4 }, after: { action: "BUY" as const, allocation: 0.1 } }] },
        ...log.signals.slice(1),
      ],
    };
    expect(audit(seal(halfHeld)).interventions_consistent.findings).toEqual([
      'signal s1: intervention 1 (trading_session SESSION_PAUSED): a hold must end at HOLD with allocation 0 (got {"action":"BUY","allocation":0.1})',
    ]);
    // An unknown code belongs to no step.
    const unknown = { ...halfHeld, signals: [{ ...halfHeld.signals[0], interventions: [{ ...halfHeld.signals[0].interventions[0], code: "MADE_UP" as never }] }, ...log.signals.slice(1)] };
    expect(audit(seal(unknown)).interventions_consistent.findings[0]).toBe("signal s1: intervention 1 (trading_session MADE_UP): code MADE_UP does not belong to step trading_session");
  });

  it("fails a scaling that raised the allocation", () => {
    const log = logA();
    const s1 = log.signals[0];
    const raised = {
      ...log,
      signals: [
        { ...s1, allocation: 0.5, buying_power_reason: "Scaled", interventions: [{ step: "buying_power" as const, code: "BUYING_POWER_SCALED" as const, reason: "Scaled", before: { action: "BUY" as const, allocation: 0.4 }, after: { action: "BUY" as const, allocation: 0.5 } }] },
        ...log.signals.slice(1),
      ],
    };
    expect(audit(seal(raised)).interventions_consistent.findings).toEqual([
      'signal s1: intervention 1 (buying_power BUYING_POWER_SCALED): a scaling must lower the allocation and keep the action (got {"action":"BUY","allocation":0.4} → {"action":"BUY","allocation":0.5})',
    ]);
  });
});
