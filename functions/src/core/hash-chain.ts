/**
 * Tamper evidence for the orchestration logs (DESIGN.md: "a tamper-evident audit log that
 * machines can verify"). Each log's hash covers its content and the previous log's hash,
 * so an edit, a deletion or a reordering breaks the chain at a findable place.
 */
import { createHash } from "node:crypto";

export const GENESIS_HASH = "0".repeat(64);

/**
 * One canonical text per JSON value: object keys sorted (code-unit order) at every depth,
 * arrays in order, undefined object fields left out (as Firestore and JSON.stringify do).
 * Anything that does not survive a Firestore round trip as the same JSON — non-finite
 * numbers, Dates, class instances, undefined array items, cycles — throws, so a hash never
 * depends on how a value happened to be represented in memory.
 */
export function canonicalJson(value: unknown): string {
  return canonical(value, new Set<object>(), "$");
}

function canonical(value: unknown, ancestors: Set<object>, path: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${path} is ${value}, not a finite number`);
      return JSON.stringify(value); // -0 prints as 0, as it reads back from Firestore
    case "object":
      break;
    default:
      throw new TypeError(`canonicalJson: ${path} is a ${typeof value}, not JSON`);
  }
  const obj = value as object;
  if (ancestors.has(obj)) throw new TypeError(`canonicalJson: ${path} refers back to itself`);
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) {
      return `[${obj
        .map((item, i) => {
          if (item === undefined) throw new TypeError(`canonicalJson: ${path}[${i}] is undefined`);
          return canonical(item, ancestors, `${path}[${i}]`);
        })
        .join(",")}]`;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (obj as { constructor?: { name?: string } }).constructor?.name ?? "object";
      throw new TypeError(`canonicalJson: ${path} is a ${kind}; pass plain JSON (e.g. an ISO string for a date)`);
    }
    const record = obj as Record<string, unknown>;
    const fields = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(record[k], ancestors, `${path}.${k}`)}`);
    return `{${fields.join(",")}}`;
  } finally {
    ancestors.delete(obj);
  }
}

/** sha256 hex of prevHash + "\n" + canonicalJson(content without its own "hash" field). */
export function logHash(prevHash: string, content: Record<string, unknown>): string {
  const covered: Record<string, unknown> = { ...content };
  delete covered.hash;
  return createHash("sha256").update(`${prevHash}\n${canonicalJson(covered)}`, "utf8").digest("hex");
}

/** `content` is the stored log document; seq, prev_hash and hash are its chain fields. */
export interface ChainLink {
  log_id: string;
  seq: number;
  prev_hash: string;
  hash: string;
  content: Record<string, unknown>;
}

export interface ChainVerification {
  intact: boolean;
  /** Links examined, up to and including the first broken one. */
  checked: number;
  first_break: null | { log_id: string | null; seq: number; problem: string };
}

/**
 * Verifies links in the order given, which must be the stored order by seq, starting at 1.
 * Finds the first of: a seq out of order or missing (reorder, deletion), a prev_hash that is
 * not the previous link's hash, or a hash that no longer recomputes from the content (edit).
 */
export function verifyChain(links: readonly ChainLink[]): ChainVerification {
  for (let i = 0; i < links.length; i++) {
    const link = links[i];
    const broken = (problem: string): ChainVerification => ({
      intact: false,
      checked: i + 1,
      first_break: { log_id: link.log_id, seq: link.seq, problem },
    });

    const expectedSeq = i + 1;
    if (link.seq !== expectedSeq) return broken(seqProblem(links, i, expectedSeq));

    for (const field of ["seq", "prev_hash", "hash"] as const) {
      if (Object.hasOwn(link.content, field) && link.content[field] !== link[field]) {
        return broken(`stored ${field} ${JSON.stringify(link.content[field])} differs from the chain's ${field} ${JSON.stringify(link[field])}`);
      }
    }

    const expectedPrev = i === 0 ? GENESIS_HASH : links[i - 1].hash;
    if (link.prev_hash !== expectedPrev) {
      return broken(
        i === 0
          ? `prev_hash of the first log is ${link.prev_hash}, not the genesis hash`
          : `prev_hash ${link.prev_hash} is not the hash of the previous log ${links[i - 1].log_id} (seq ${links[i - 1].seq}, hash ${links[i - 1].hash})`,
      );
    }

    let recomputed: string;
    try {
      recomputed = logHash(link.prev_hash, link.content);
    } catch (e) {
      return broken(`content cannot be hashed: ${(e as Error).message}`);
    }
    if (recomputed !== link.hash) {
      return broken(`hash mismatch: stored ${link.hash}, recomputed ${recomputed} (content edited after it was written)`);
    }
  }
  return { intact: true, checked: links.length, first_break: null };
}

function seqProblem(links: readonly ChainLink[], i: number, expected: number): string {
  const found = links[i].seq;
  if (!Number.isInteger(found)) return `seq ${found} is not an integer`;
  if (i === 0) {
    return found > 1
      ? `chain does not start at seq 1 (first is ${found}): ${logRange(1, found - 1)} missing`
      : `chain does not start at seq 1 (first is ${found})`;
  }
  if (found < expected) return `out of order: seq ${found} repeats or goes back after seq ${expected - 1}`;
  if (links.slice(i + 1).some((l) => l.seq === expected)) {
    return `out of order: expected seq ${expected}, found ${found}; seq ${expected} comes later (logs reordered)`;
  }
  return `seq gap: expected ${expected}, found ${found} (${logRange(expected, found - 1)} deleted)`;
}

function logRange(from: number, to: number): string {
  return from === to ? `log ${from}` : `logs ${from}..${to}`;
}
