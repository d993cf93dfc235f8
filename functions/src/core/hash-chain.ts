/**
 * Tamper evidence for the orchestration logs (DESIGN.md: "a tamper-evident audit log that
 * machines can verify"; "The log chain is keyed ... and hashes the stored document
 * exactly"). Each log's hash covers its stored content and the previous log's hash, so an
 * edit, a deletion or a reordering breaks the chain at a findable place. With a chain key
 * the hash is an HMAC, so whoever holds only the database cannot recompute it.
 *
 * One rule for what is hashed (`hashedLogContent`: the stored document, every field but
 * `hash`), and one rule for whether a stored link holds (`checkLinkHash`), used by the log
 * writer, the per-log audit and the whole-chain verification alike, so they cannot disagree.
 */
import { createHash, createHmac } from "node:crypto";
import { type ChainKey, type ChainKeys, describeChainKeys } from "./chain-keys";

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

/**
 * What a log's hash covers: the stored document exactly as read back (plain values), every
 * field except `hash` itself, unknown fields included. The log writer hashes what it
 * stores through this same function.
 */
export function hashedLogContent(stored: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const covered: Record<string, unknown> = { ...stored };
  delete covered.hash;
  return covered;
}

/**
 * prevHash + "\n" + canonicalJson(hashedLogContent(content)), digested with HMAC-SHA256
 * under the key when there is one (the content then names the key in `hash_key_id`), with
 * plain sha256 otherwise. Hex.
 */
export function logHash(prevHash: string, content: Readonly<Record<string, unknown>>, key: ChainKey | null = null): string {
  const text = `${prevHash}\n${canonicalJson(hashedLogContent(content))}`;
  return (key ? createHmac("sha256", key.secret) : createHash("sha256")).update(text, "utf8").digest("hex");
}

/**
 * Whether a stored log's own hash holds, under the configured keys: null when it does,
 * otherwise the problem. With keys configured, a log that is unkeyed or names an unknown
 * key is a break (a rewrite cannot downgrade to plain sha256); without keys a keyed log
 * cannot be verified, which is a break too.
 */
export function checkLinkHash(stored: Readonly<Record<string, unknown>>, keys: ChainKeys | null): string | null {
  const keyId = stored.hash_key_id ?? null;
  let key: ChainKey | null = null;
  if (keyId !== null) {
    if (typeof keyId !== "string") return `hash_key_id ${JSON.stringify(keyId)} is not a key id`;
    if (!keys) return `signed with chain key '${keyId}', but no chain key is configured to verify it`;
    const found = keys.byId.get(keyId);
    if (!found) return `signed with key id '${keyId}', which is not among the configured ${describeChainKeys(keys)}`;
    key = found;
  } else if (keys) {
    return `unkeyed (plain sha256) although the chain is keyed with ${describeChainKeys(keys)}: rewritten without the key, or written before keys were configured`;
  }
  if (typeof stored.prev_hash !== "string") return `prev_hash ${JSON.stringify(stored.prev_hash)} is not a hash`;
  let recomputed: string;
  try {
    recomputed = logHash(stored.prev_hash, stored, key);
  } catch (e) {
    return `content cannot be hashed: ${(e as Error).message}`;
  }
  if (recomputed !== stored.hash) {
    return `hash mismatch: stored ${String(stored.hash)}, recomputed ${recomputed} (content edited after it was written)`;
  }
  return null;
}

/**
 * sha256 hex of the canonical JSON of the orchestration document as stored, without its
 * `log` field (the log writer's own bookkeeping, updated after the log is written). Plain
 * sha256 is enough: the digest sits inside the log, which the chain key covers.
 */
export function orchestrationDigest(stored: Readonly<Record<string, unknown>>): string {
  const covered: Record<string, unknown> = { ...stored };
  delete covered.log;
  return createHash("sha256").update(canonicalJson(covered), "utf8").digest("hex");
}

/** `content` is the stored log document; seq, prev_hash and hash are its chain fields. */
export interface ChainLink {
  log_id: string;
  seq: number;
  prev_hash: string;
  hash: string;
  content: Record<string, unknown>;
}

/** A stored log as a link of the chain (its chain fields read from the content). */
export function chainLink(logId: string, content: Record<string, unknown>): ChainLink {
  return { log_id: logId, seq: content.seq as number, prev_hash: String(content.prev_hash), hash: String(content.hash), content };
}

export interface ChainBreak {
  log_id: string | null;
  seq: number;
  problem: string;
}

export interface ChainVerification {
  intact: boolean;
  /** Links examined, up to and including the first broken one. */
  checked: number;
  first_break: ChainBreak | null;
}

/** The last verified link: where a paged walk resumes. */
export interface ChainPosition {
  log_id: string;
  seq: number;
  hash: string;
}

export interface SegmentVerification extends ChainVerification {
  /** The last link verified intact (the position to resume from), or the one given. */
  last: ChainPosition | null;
}

/**
 * Verifies links in the order given, which must be the stored order by seq, following
 * `previous` (null: the links start the chain, at seq 1). Finds the first of: a seq out of
 * order or missing (reorder, deletion), a prev_hash that is not the previous link's hash,
 * or a hash that does not hold (edit, unknown key, downgrade). Memory is the page given.
 */
export function verifyChainSegment(previous: ChainPosition | null, links: readonly ChainLink[], keys: ChainKeys | null): SegmentVerification {
  let last = previous;
  for (let i = 0; i < links.length; i++) {
    const link = links[i];
    const broken = (problem: string): SegmentVerification => ({
      intact: false,
      checked: i + 1,
      first_break: { log_id: link.log_id, seq: link.seq, problem },
      last,
    });

    const expectedSeq = (last?.seq ?? 0) + 1;
    if (link.seq !== expectedSeq) return broken(seqProblem(links, i, expectedSeq, last));

    for (const field of ["seq", "prev_hash", "hash"] as const) {
      if (Object.hasOwn(link.content, field) && link.content[field] !== link[field]) {
        return broken(`stored ${field} ${JSON.stringify(link.content[field])} differs from the chain's ${field} ${JSON.stringify(link[field])}`);
      }
    }

    const expectedPrev = last ? last.hash : GENESIS_HASH;
    if (link.prev_hash !== expectedPrev) {
      return broken(
        last
          ? `prev_hash ${link.prev_hash} is not the hash of the previous log ${last.log_id} (seq ${last.seq}, hash ${last.hash})`
          : `prev_hash of the first log is ${link.prev_hash}, not the genesis hash`,
      );
    }

    const problem = checkLinkHash(link.content, keys);
    if (problem) return broken(problem);
    last = { log_id: link.log_id, seq: link.seq, hash: link.hash };
  }
  return { intact: true, checked: links.length, first_break: null, last };
}

/** A whole chain, from seq 1, in memory (tests and small chains; the stores page instead). */
export function verifyChain(links: readonly ChainLink[], keys: ChainKeys | null = null): ChainVerification {
  const { intact, checked, first_break } = verifyChainSegment(null, links, keys);
  return { intact, checked, first_break };
}

function seqProblem(links: readonly ChainLink[], i: number, expected: number, previous: ChainPosition | null): string {
  const found = links[i].seq;
  if (!Number.isInteger(found)) return `seq ${found} is not an integer`;
  if (previous === null) {
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
