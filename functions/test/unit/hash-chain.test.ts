import { createHash } from "node:crypto";
import { GENESIS_HASH, canonicalJson, logHash, verifyChain, type ChainLink } from "../../src/core/hash-chain";

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/** A chain of n logs written the way the log writer writes them. */
function buildChain(n: number, firstPrev = GENESIS_HASH): ChainLink[] {
  const links: ChainLink[] = [];
  let prev = firstPrev;
  for (let seq = 1; seq <= n; seq++) {
    const content: Record<string, unknown> = {
      seq,
      prev_hash: prev,
      prev_log_id: seq === 1 ? null : `log${seq - 1}`,
      session_id: `maestro_${1_735_560_000_000 + seq}_a1b2c3d4e5f60718`,
      signals: [{ signal_id: `s${seq}`, allocation: 0.25 * seq, action: "BUY" }],
      systemic_risk_detected: false,
    };
    const hash = logHash(prev, content);
    content.hash = hash;
    links.push({ log_id: `log${seq}`, seq, prev_hash: prev, hash, content });
    prev = hash;
  }
  return links;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

describe("canonicalJson", () => {
  it("sorts keys at every depth and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it("sorts keys by code unit, independent of locale", () => {
    // "B" (0x42) < "a" (0x61) < "é" (0xe9)
    expect(canonicalJson({ é: 1, a: 2, B: 3 })).toBe('{"B":3,"a":2,"é":1}');
  });

  it("leaves out undefined fields, as Firestore does", () => {
    expect(canonicalJson({ a: 1, original_action: undefined })).toBe('{"a":1}');
  });

  it("escapes strings as JSON and writes −0 as 0", () => {
    expect(canonicalJson({ s: 'say "hi"\n', z: -0 })).toBe('{"s":"say \\"hi\\"\\n","z":0}');
  });

  it("writes a shared (not cyclic) object twice", () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  it("throws on values that are not plain JSON", () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/not a finite number/);
    expect(() => canonicalJson({ a: Number.POSITIVE_INFINITY })).toThrow(/not a finite number/);
    expect(() => canonicalJson({ a: new Date(0) })).toThrow(/Date/);
    expect(() => canonicalJson({ a: new Map() })).toThrow(/Map/);
    expect(() => canonicalJson({ a: [1, undefined] })).toThrow(/undefined/);
    expect(() => canonicalJson({ a: BigInt(1) })).toThrow(/bigint/);
    expect(() => canonicalJson({ a: () => 1 })).toThrow(/function/);
    expect(() => canonicalJson(undefined)).toThrow();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/refers back/);
  });
});

describe("logHash", () => {
  it("is sha256 of prevHash, a newline and the canonical content without its hash field", () => {
    const content = { session_id: "s1", seq: 1, hash: "ignored", allocation: 0.5 };
    // canonical text written by hand: keys sorted, "hash" left out
    const expected = sha256(`${GENESIS_HASH}\n{"allocation":0.5,"seq":1,"session_id":"s1"}`);
    expect(logHash(GENESIS_HASH, content)).toBe(expected);
    expect(GENESIS_HASH).toBe("0000000000000000000000000000000000000000000000000000000000000000");
  });

  it("does not depend on key order or on the stored hash", () => {
    expect(logHash(GENESIS_HASH, { a: 1, b: 2, hash: "x" })).toBe(logHash(GENESIS_HASH, { b: 2, a: 1, hash: "y" }));
  });

  it("changes with any covered field and with the previous hash", () => {
    const h = logHash(GENESIS_HASH, { a: 1 });
    expect(logHash(GENESIS_HASH, { a: 2 })).not.toBe(h);
    expect(logHash("f".repeat(64), { a: 1 })).not.toBe(h);
  });
});

describe("verifyChain", () => {
  it("an untouched chain is intact", () => {
    expect(verifyChain(buildChain(4))).toEqual({ intact: true, checked: 4, first_break: null });
    expect(verifyChain([])).toEqual({ intact: true, checked: 0, first_break: null });
  });

  it("detects an edit: the edited log's hash no longer recomputes", () => {
    const links = buildChain(4);
    (links[1].content.signals as { allocation: number }[])[0].allocation = 1; // was 0.5
    const v = verifyChain(links);
    expect(v.intact).toBe(false);
    expect(v.checked).toBe(2);
    expect(v.first_break).toMatchObject({ log_id: "log2", seq: 2 });
    expect(v.first_break!.problem).toMatch(/^hash mismatch: stored [0-9a-f]{64}, recomputed [0-9a-f]{64}/);
  });

  it("detects an edit whose author re-hashed the edited log: the next log's prev_hash no longer matches", () => {
    const links = buildChain(4);
    const edited = links[1];
    edited.content.systemic_risk_detected = true;
    edited.hash = logHash(edited.prev_hash, edited.content);
    edited.content.hash = edited.hash;
    const v = verifyChain(links);
    expect(v.first_break).toMatchObject({ log_id: "log3", seq: 3 });
    expect(v.first_break!.problem).toMatch(/^prev_hash [0-9a-f]{64} is not the hash of the previous log log2/);
  });

  it("detects a deletion in the middle as a seq gap", () => {
    const links = buildChain(4);
    links.splice(1, 1); // delete seq 2
    expect(verifyChain(links)).toEqual({
      intact: false,
      checked: 2,
      first_break: { log_id: "log3", seq: 3, problem: "seq gap: expected 2, found 3 (log 2 deleted)" },
    });
  });

  it("detects two deletions in a row", () => {
    const links = buildChain(5);
    links.splice(1, 2); // delete seq 2 and 3
    expect(verifyChain(links).first_break).toEqual({ log_id: "log4", seq: 4, problem: "seq gap: expected 2, found 4 (logs 2..3 deleted)" });
  });

  it("detects a deleted first log: the chain must start at seq 1", () => {
    const links = buildChain(3).slice(1);
    expect(verifyChain(links).first_break).toEqual({
      log_id: "log2",
      seq: 2,
      problem: "chain does not start at seq 1 (first is 2): log 1 missing",
    });
  });

  it("rejects a chain numbered from 0", () => {
    const links = buildChain(1);
    links[0].seq = 0;
    expect(verifyChain(links).first_break).toEqual({ log_id: "log1", seq: 0, problem: "chain does not start at seq 1 (first is 0)" });
  });

  it("detects a reorder of the listed logs", () => {
    const [a, b, c] = buildChain(3);
    expect(verifyChain([a, c, b]).first_break).toEqual({
      log_id: "log3",
      seq: 3,
      problem: "out of order: expected seq 2, found 3; seq 2 comes later (logs reordered)",
    });
  });

  it("detects a reorder made by swapping the seq of two stored logs", () => {
    const links = buildChain(3);
    const [, two, three] = links;
    for (const [l, seq] of [[two, 3], [three, 2]] as const) {
      l.seq = seq;
      l.content.seq = seq;
    }
    const sorted = [links[0], three, two];
    const v = verifyChain(sorted);
    expect(v.intact).toBe(false);
    expect(v.first_break).toMatchObject({ log_id: "log3", seq: 2 });
  });

  it("detects a duplicated log", () => {
    const links = buildChain(2);
    expect(verifyChain([links[0], links[0], links[1]]).first_break!.problem).toBe("out of order: seq 1 repeats or goes back after seq 1");
  });

  it("requires the first log to point to the genesis hash", () => {
    const links = buildChain(2, "f".repeat(64));
    expect(verifyChain(links).first_break).toMatchObject({ log_id: "log1", seq: 1 });
    expect(verifyChain(links).first_break!.problem).toMatch(/not the genesis hash/);
  });

  it("detects a stored seq that disagrees with the chain position given", () => {
    const links = clone(buildChain(2));
    links[1].content.seq = 7;
    expect(verifyChain(links).first_break!.problem).toBe("stored seq 7 differs from the chain's seq 2");
  });
});
