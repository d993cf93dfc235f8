import { createHash, createHmac } from "node:crypto";
import { ChainKeyError, parseChainKeys } from "../../src/core/chain-keys";
import { ChainCursorError, decodeChainCursor, encodeChainCursor } from "../../src/core/chain-cursor";
import { GENESIS_HASH, chainLink, checkLinkHash, hashedLogContent, logHash, orchestrationDigest, verifyChain, verifyChainSegment } from "../../src/core/hash-chain";

const SECRET_1 = "a".repeat(64);
const SECRET_2 = "0123456789abcdef0123456789abcdef";
const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");
const hmac = (key: string, s: string) => createHmac("sha256", key).update(s, "utf8").digest("hex");

describe("parseChainKeys", () => {
  it("no value is an unkeyed chain", () => {
    expect(parseChainKeys(undefined)).toBeNull();
    expect(parseChainKeys("")).toBeNull();
    expect(parseChainKeys("   ")).toBeNull();
  });

  it("the first entry signs; every entry verifies", () => {
    const keys = parseChainKeys(` k2:${SECRET_2} , k1:${SECRET_1}`)!;
    expect(keys.current).toEqual({ id: "k2", secret: SECRET_2 });
    expect([...keys.byId.keys()]).toEqual(["k2", "k1"]);
    expect(keys.byId.get("k1")).toEqual({ id: "k1", secret: SECRET_1 });
  });

  it.each([
    [`k1:${SECRET_1},`, /entry 2 is empty/],
    [`k1${SECRET_1}`, /entry 1 has no ":"/],
    [`k 1:${SECRET_1}`, /entry 1: key id "k 1" must be 1–32/],
    [`:${SECRET_1}`, /entry 1: key id "" must be/],
    [`k1:${SECRET_1},k1:${SECRET_2}`, /entry 2: key id 'k1' is listed twice/],
    ["k1:short", /entry 1: the secret of key 'k1' is 5 characters, at least 32 are required/],
    [`k1:${SECRET_1} x`, /whitespace/],
  ])("refuses %j with a clear error that never shows the secret", (value, message) => {
    let error: unknown;
    try {
      parseChainKeys(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ChainKeyError);
    expect((error as Error).message).toMatch(/^MAESTRO_LOG_CHAIN_KEYS: /);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(SECRET_1);
    expect((error as Error).message).not.toContain(SECRET_2);
  });
});

describe("keyed log hash", () => {
  const content = { seq: 1, prev_hash: GENESIS_HASH, hash_key_id: "k1", note: "x", hash: "ignored" };
  // Canonical text by hand: keys sorted, "hash" left out.
  const text = `${GENESIS_HASH}\n{"hash_key_id":"k1","note":"x","prev_hash":"${GENESIS_HASH}","seq":1}`;

  it("is HMAC-SHA256 under the key's secret of prev_hash, a newline and the canonical stored content", () => {
    expect(logHash(GENESIS_HASH, content, { id: "k1", secret: SECRET_1 })).toBe(hmac(SECRET_1, text));
    expect(logHash(GENESIS_HASH, content)).toBe(sha256(text));
  });

  it("hashes everything stored but the hash, unknown fields included", () => {
    expect(hashedLogContent({ a: 1, hash: "h", extra: { z: 1 } })).toEqual({ a: 1, extra: { z: 1 } });
  });

  function signed(keyId: string | null, secret: string | null, extra: Record<string, unknown> = {}) {
    const stored: Record<string, unknown> = { seq: 1, prev_hash: GENESIS_HASH, hash_key_id: keyId, note: "x", ...extra };
    const canonical = `${GENESIS_HASH}\n{"hash_key_id":${JSON.stringify(keyId)},"note":"x","prev_hash":"${GENESIS_HASH}","seq":1}`;
    stored.hash = secret ? hmac(secret, canonical) : sha256(canonical);
    return stored;
  }

  it("a log signed by an older key still verifies while that key is listed (rotation)", () => {
    const log = signed("k1", SECRET_1);
    expect(checkLinkHash(log, parseChainKeys(`k1:${SECRET_1}`))).toBeNull();
    expect(checkLinkHash(log, parseChainKeys(`k2:${SECRET_2},k1:${SECRET_1}`))).toBeNull();
    expect(checkLinkHash(log, parseChainKeys(`k2:${SECRET_2}`))).toMatch(/^signed with key id 'k1', which is not among the configured keys k2 \(current k2\)/);
  });

  it("with keys configured an unkeyed log is a break (no downgrade to plain sha256)", () => {
    const downgraded = signed(null, null);
    expect(checkLinkHash(downgraded, null)).toBeNull();
    expect(checkLinkHash(downgraded, parseChainKeys(`k1:${SECRET_1}`))).toMatch(/^unkeyed \(plain sha256\) although the chain is keyed/);
  });

  it("a keyed log cannot be verified without its key", () => {
    expect(checkLinkHash(signed("k1", SECRET_1), null)).toBe("signed with chain key 'k1', but no chain key is configured to verify it");
  });

  it("a key id kept but the hash recomputed without the secret is a mismatch", () => {
    const forged = signed("k1", SECRET_1);
    forged.note = "rewritten";
    forged.hash = sha256(`${GENESIS_HASH}\n{"hash_key_id":"k1","note":"rewritten","prev_hash":"${GENESIS_HASH}","seq":1}`);
    expect(checkLinkHash(forged, parseChainKeys(`k1:${SECRET_1}`))).toMatch(/^hash mismatch: stored [0-9a-f]{64}, recomputed [0-9a-f]{64}/);
  });
});

describe("orchestrationDigest", () => {
  it("is sha256 of the canonical orchestration without its log field", () => {
    const o = { session_id: "s", signals: [{ executable: true, b: 1 }], log: { state: "WRITTEN", summary: { text: "t" } } };
    expect(orchestrationDigest(o)).toBe(sha256('{"session_id":"s","signals":[{"b":1,"executable":true}]}'));
    // The log writer's own bookkeeping does not change it; an edit anywhere else does.
    expect(orchestrationDigest({ ...o, log: { state: "PENDING" } })).toBe(orchestrationDigest(o));
    expect(orchestrationDigest({ ...o, signals: [{ executable: false, b: 1 }] })).not.toBe(orchestrationDigest(o));
  });
});

/** A keyed chain of n logs, hashed independently of the code (HMAC with node:crypto on hand-built text). */
function keyedChain(n: number, secret = SECRET_1) {
  const links = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const content: Record<string, unknown> = { seq, prev_hash: prev, hash_key_id: "k1", n: seq };
    const hash = hmac(secret, `${prev}\n{"hash_key_id":"k1","n":${seq},"prev_hash":"${prev}","seq":${seq}}`);
    content.hash = hash;
    links.push(chainLink(`log${seq}`, content));
    prev = hash;
  }
  return links;
}

describe("verifyChainSegment: a chain walked in pages", () => {
  const keys = parseChainKeys(`k1:${SECRET_1}`);

  it("pages that follow each other verify like the whole chain, keeping only the last link", () => {
    const links = keyedChain(7);
    expect(verifyChain(links, keys)).toEqual({ intact: true, checked: 7, first_break: null });
    let last = null;
    let checked = 0;
    for (const page of [links.slice(0, 3), links.slice(3, 6), links.slice(6)]) {
      const v = verifyChainSegment(last, page, keys);
      expect(v.intact).toBe(true);
      checked += v.checked;
      last = v.last;
    }
    expect(checked).toBe(7);
    expect(last).toEqual({ log_id: "log7", seq: 7, hash: links[6].hash });
  });

  it("a deletion or a foreign link at a page boundary is found", () => {
    const links = keyedChain(6);
    const first = verifyChainSegment(null, links.slice(0, 3), keys);
    expect(verifyChainSegment(first.last, links.slice(4), keys).first_break).toEqual({ log_id: "log5", seq: 5, problem: "seq gap: expected 4, found 5 (log 4 deleted)" });
    const other = keyedChain(6, SECRET_2); // same shape, another secret: hashes differ
    const v = verifyChainSegment(first.last, [other[3]], keys);
    expect(v.first_break!.problem).toMatch(/^prev_hash [0-9a-f]{64} is not the hash of the previous log log3/);
  });

  it("a chain keyed by a key no longer listed breaks at its first log", () => {
    expect(verifyChain(keyedChain(2), parseChainKeys(`k2:${SECRET_2}`)).first_break).toMatchObject({ log_id: "log1", seq: 1 });
  });
});

describe("chain cursor", () => {
  const keys = parseChainKeys(`k2:${SECRET_2},k1:${SECRET_1}`);
  const state = { tenant_id: "t1", after: { log_id: "log3", seq: 3, hash: "f".repeat(64) }, logs_checked: 3, started_at: "2026-01-01T00:00:00.000Z" };

  it("round-trips the last verified link and the count", () => {
    expect(decodeChainCursor(encodeChainCursor(state, keys), "t1", keys)).toEqual(state);
    expect(decodeChainCursor(encodeChainCursor(state, null), "t1", null)).toEqual(state);
  });

  it("is still accepted after a rotation while its key is listed", () => {
    const old = parseChainKeys(`k1:${SECRET_1}`);
    expect(decodeChainCursor(encodeChainCursor(state, old), "t1", keys)).toEqual(state);
  });

  it("refuses a cursor altered to skip ahead, unsigned under keys, of another tenant, or garbage", () => {
    const body = JSON.parse(Buffer.from(encodeChainCursor(state, keys), "base64url").toString("utf8"));
    body.s.after.seq = 9000;
    const skipped = Buffer.from(JSON.stringify(body), "utf8").toString("base64url");
    expect(() => decodeChainCursor(skipped, "t1", keys)).toThrow(/signature does not match/);
    expect(() => decodeChainCursor(encodeChainCursor(state, null), "t1", keys)).toThrow(/not signed by a configured chain key/);
    expect(() => decodeChainCursor(encodeChainCursor(state, keys), "t2", keys)).toThrow(/belongs to tenant 't1', not 't2'/);
    expect(() => decodeChainCursor("not-a-cursor", "t1", keys)).toThrow(ChainCursorError);
  });
});
