/**
 * Replay of an orchestration (issue 13): the pure core run again on the cycle's recorded
 * inputs (core/cycle-inputs.ts), and its decision compared with the stored one field by
 * field. A difference means the stored decision is not what those inputs decide: the
 * document was edited, the inputs were, or the core is not deterministic.
 *
 * What is compared is every field of the orchestration that records a decision
 * (DECISION_FIELDS): the signals with their interventions and identity, the allocation
 * decisions, the systemic-risk and buying-power summaries, the rejections, the trading
 * session's summary, and the cycle's timestamp. The rest of the document is bookkeeping,
 * not decision: who triggered it, the I/O counts and latency (measured, different on every
 * run), the log writer's state, and the inputs summary and reference themselves.
 *
 * One thing is legitimately fresh per run and compared only as present or absent: each
 * signal's `nonce`, 128 bits from a cryptographic source as identity is stamped (a licence
 * must not be predictable, so it is not seeded). Whether a signal got one — whether it is
 * licensed to trade — is a decision, and is compared. Numbers are compared exactly: the same
 * code on the same inputs gives the same IEEE doubles, and a tolerance would hide the very
 * nondeterminism a replay is there to find.
 */
import type { CycleInputRecord, ReplayDifference } from "../schemas/replay";
import { DECISION_FIELDS, decideFromInputs, type OrchestrationDecision } from "./cycle-inputs";

/** What a replay puts in place of an issued nonce, on both sides. */
export const ISSUED_NONCE = "(issued)";

export interface DecisionComparison {
  identical: boolean;
  differences: ReplayDifference[];
  /** Leaf fields compared (present on either side). */
  compared_fields: number;
}

/** Array elements matched by these ids rather than by position, so a missing signal is one difference, not a shift of all after it. */
const ELEMENT_IDS = ["signal_id", "strategy_id"] as const;

/** As stored: a JSON round trip (what storable() did before the write), nonces reduced to whether one was issued. */
function comparable(decision: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of DECISION_FIELDS) {
    if (!Object.hasOwn(decision, field) || decision[field] === undefined) continue;
    out[field] = JSON.parse(JSON.stringify(decision[field]));
  }
  if (Array.isArray(out.signals)) {
    out.signals = out.signals.map((s: unknown) =>
      isPlainObject(s) && typeof s.nonce === "string" ? { ...s, nonce: ISSUED_NONCE } : s,
    );
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function keySegment(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** The id the elements of both arrays are matched by, if every element has a distinct string one. */
function elementId(a: readonly unknown[], b: readonly unknown[]): string | null {
  for (const id of ELEMENT_IDS) {
    const ok = [a, b].every((list) => {
      const seen = new Set<string>();
      for (const e of list) {
        if (!isPlainObject(e) || typeof e[id] !== "string" || seen.has(e[id] as string)) return false;
        seen.add(e[id] as string);
      }
      return true;
    });
    if (ok && (a.length > 0 || b.length > 0)) return id;
  }
  return null;
}

function walk(stored: unknown, replayed: unknown, path: string, out: DecisionComparison): void {
  if (Array.isArray(stored) && Array.isArray(replayed)) {
    const id = elementId(stored, replayed);
    if (id) {
      const byId = (list: unknown[]) => new Map(list.map((e) => [(e as Record<string, string>)[id], e]));
      const [s, r] = [byId(stored), byId(replayed)];
      for (const [key, value] of s) {
        const at = `${path}[${id}=${key}]`;
        if (!r.has(key)) {
          out.compared_fields += 1;
          out.differences.push({ path: at, kind: "only_stored", stored: value, replayed: null });
        } else walk(value, r.get(key), at, out);
      }
      for (const [key, value] of r) {
        if (s.has(key)) continue;
        out.compared_fields += 1;
        out.differences.push({ path: `${path}[${id}=${key}]`, kind: "only_replayed", stored: null, replayed: value });
      }
      // The order is part of the record (signals sorted by id, decisions by strategy).
      const order = (m: Map<string, unknown>, other: Map<string, unknown>) => [...m.keys()].filter((k) => other.has(k));
      const [so, ro] = [order(s, r), order(r, s)];
      out.compared_fields += 1;
      if (so.join("\u0000") !== ro.join("\u0000")) out.differences.push({ path: `${path}(order of ${id})`, kind: "changed", stored: so, replayed: ro });
      return;
    }
    for (let i = 0; i < Math.max(stored.length, replayed.length); i++) {
      const at = `${path}[${i}]`;
      if (i >= replayed.length) {
        out.compared_fields += 1;
        out.differences.push({ path: at, kind: "only_stored", stored: stored[i], replayed: null });
      } else if (i >= stored.length) {
        out.compared_fields += 1;
        out.differences.push({ path: at, kind: "only_replayed", stored: null, replayed: replayed[i] });
      } else walk(stored[i], replayed[i], at, out);
    }
    return;
  }
  if (isPlainObject(stored) && isPlainObject(replayed)) {
    const keys = [...new Set([...Object.keys(stored), ...Object.keys(replayed)])].sort();
    for (const key of keys) {
      const at = `${path}${keySegment(key)}`;
      const [inS, inR] = [Object.hasOwn(stored, key), Object.hasOwn(replayed, key)];
      if (inS && inR) walk(stored[key], replayed[key], at, out);
      else {
        out.compared_fields += 1;
        out.differences.push(inS ? { path: at, kind: "only_stored", stored: stored[key], replayed: null } : { path: at, kind: "only_replayed", stored: null, replayed: replayed[key] });
      }
    }
    return;
  }
  out.compared_fields += 1;
  // Primitives by value (=== also makes 0 and -0 one, as JSON and Firestore do); a type change is a change.
  if (stored !== replayed) out.differences.push({ path, kind: "changed", stored, replayed });
}

/** Field-by-field differences between a stored decision and a replayed one (DECISION_FIELDS; nonces as present or absent). */
export function compareDecisions(stored: Readonly<Record<string, unknown>>, replayed: Readonly<Record<string, unknown>>): DecisionComparison {
  const out: DecisionComparison = { identical: true, differences: [], compared_fields: 0 };
  const [s, r] = [comparable(stored), comparable(replayed)];
  for (const field of DECISION_FIELDS) {
    const [inS, inR] = [Object.hasOwn(s, field), Object.hasOwn(r, field)];
    if (inS && inR) walk(s[field], r[field], field, out);
    else if (inS || inR) {
      out.compared_fields += 1;
      out.differences.push(inS ? { path: field, kind: "only_stored", stored: s[field], replayed: null } : { path: field, kind: "only_replayed", stored: null, replayed: r[field] });
    }
  }
  out.identical = out.differences.length === 0;
  return out;
}

/** The decision the recorded inputs make now (nonces from a counter: they are compared only as issued or not). */
export function replayDecision(record: CycleInputRecord): OrchestrationDecision {
  let n = 0;
  return decideFromInputs(record, () => `replay-${++n}`).decision;
}

/** Replays the recorded inputs and compares with the stored orchestration document (as stored: plain data). */
export function replayAndCompare(record: CycleInputRecord, storedOrchestration: Readonly<Record<string, unknown>>): DecisionComparison {
  return compareDecisions(storedOrchestration, replayDecision(record) as unknown as Record<string, unknown>);
}
