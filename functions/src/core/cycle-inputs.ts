/**
 * The recorded inputs of a cycle (issue 13: "every orchestration records the exact inputs
 * its decision used, including learned state and random seeds"), and the decision made
 * from them.
 *
 * The stage gathers its reads into one plain-JSON CycleInputRecord; this module writes it
 * as canonical JSON (core/hash-chain.ts canonicalJson), names it by the sha256 of that text
 * and decodes the text back through CycleInputRecordSchema. The cycle then decides from the
 * decoded text — not from the values in memory — so what is stored is by construction what
 * the decision used: a Timestamp that became an ISO string, a key order, a NaN that JSON
 * writes as null can never make the replay see something the cycle did not.
 *
 * What the core draws fresh on every run is left out: the nonces (a cryptographic source
 * as identity is stamped; core/replay.ts compares only whether a signal got one). The
 * arbitration's random draws are not fresh: they are seeded, and the seed is recorded.
 */
import { createHash } from "node:crypto";
import { CycleInputRecordSchema, type CycleInputRecord } from "../schemas/replay";
import { parseWithReason, type Orchestration } from "../schemas";
import { canonicalJson } from "./hash-chain";
import { orchestrateCycle, type CycleInput, type CycleResult } from "./orchestrate";
import { lockActive } from "./session-guardian";
import type { BanditState } from "./arbitration";

/**
 * Text per stored document: well under Firestore's 1 MiB document limit with the other
 * fields beside it. One cycle's inputs are bounded by the signal queue (at most
 * MAX_SIGNALS_PER_CYCLE signals within SIGNAL_BYTES_BUDGET) and fit in one part; a
 * tenant with very many strategies, or a future larger batch, spills into more.
 */
export const INPUTS_PART_BYTES = 900_000;

export interface RecordedInputs {
  /** Canonical JSON of the record: what is stored, and what the sha256 is of. */
  text: string;
  sha256: string;
  /** UTF-8 bytes of `text`. */
  bytes: number;
  /** The record as decoded from `text`: what the cycle decides from. */
  record: CycleInputRecord;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The recorded text back as a record, or why it is not one (naming the field). */
export function decodeCycleInputs(text: string): { ok: true; record: CycleInputRecord } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  const parsed = parseWithReason(CycleInputRecordSchema, json);
  return parsed.ok ? { ok: true, record: parsed.value } : { ok: false, reason: parsed.reason };
}

/**
 * Canonical text, hash and decoded record of a plain-JSON record (the stage makes it plain
 * with storable()). A record that does not decode is a defect of the stage that built it:
 * it throws rather than decide from something it could not replay.
 */
export function recordCycleInputs(plain: unknown): RecordedInputs {
  const text = canonicalJson(plain);
  const decoded = decodeCycleInputs(text);
  if (!decoded.ok) throw new Error(`the cycle's inputs do not make a replayable record: ${decoded.reason}`);
  return { text, sha256: sha256Hex(text), bytes: Buffer.byteLength(text, "utf8"), record: decoded.record };
}

/** `text` cut into pieces of at most maxBytes UTF-8 bytes each, never inside a character. */
export function splitUtf8(text: string, maxBytes = INPUTS_PART_BYTES): string[] {
  if (Buffer.byteLength(text, "utf8") <= maxBytes) return [text];
  const parts: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp <= 0xffff ? 3 : 4;
    if (bytes + size > maxBytes) {
      parts.push(text.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
    i += units;
  }
  parts.push(text.slice(start));
  return parts;
}

/** What an orchestration document records as decided: what a replay recomputes and compares. */
export type OrchestrationDecision = Required<
  Pick<Orchestration, "timestamp" | "signals" | "allocation_decisions" | "systemic_risk" | "signals_modified" | "rejected_signals" | "buying_power" | "trading_session">
>;

export const DECISION_FIELDS = ["timestamp", "signals", "allocation_decisions", "systemic_risk", "signals_modified", "rejected_signals", "buying_power", "trading_session"] as const;

/** The core's input from a record; nonces from `issueNonce`. */
export function cycleInputOf(record: CycleInputRecord, issueNonce: () => string): CycleInput {
  return {
    tenant_id: record.tenant_id,
    session_id: record.session_id,
    now: new Date(record.now),
    config: record.config,
    strategies: record.strategies,
    weights: record.weights,
    signals: record.signals,
    issueNonce,
    buyingPower: record.buying_power,
    positions: record.positions,
    correlatedPairs: record.correlated_pairs,
    ...(record.bandit ? { bandit: record.bandit as BanditState } : {}),
    ...(record.marks ? { marks: record.marks } : {}),
    arbitrationSeed: record.arbitration_seed,
    equity: record.equity,
    session: record.session,
  };
}

/**
 * The cycle's decision from its recorded inputs: the core's result, and the decision as the
 * orchestration document records it (the stage's refusals merged into the rejections, the
 * trading session's summary). The stage and the replay both call this.
 */
export function decideFromInputs(record: CycleInputRecord, issueNonce: () => string): { cycle: CycleResult; decision: OrchestrationDecision } {
  const now = new Date(record.now);
  const cycle = orchestrateCycle(cycleInputOf(record, issueNonce));
  const session = cycle.session!;
  const rejected = [...record.pre_rejected, ...cycle.rejected_signals].sort((a, b) => (a.signal_id < b.signal_id ? -1 : 1));
  return {
    cycle,
    decision: {
      timestamp: now.toISOString(),
      signals: cycle.signals,
      allocation_decisions: cycle.allocation_decisions,
      systemic_risk: cycle.systemic_risk,
      signals_modified: cycle.signals_modified,
      rejected_signals: rejected,
      buying_power: cycle.buying_power,
      trading_session: {
        day: record.trading_day,
        state: record.session.state,
        entry_block: session.block,
        active_locks: session.risk.locks.filter((l) => lockActive(l, now)).map((l) => l.code),
        orders: session.orders,
        session_trades: session.risk.trades,
      },
    },
  };
}
