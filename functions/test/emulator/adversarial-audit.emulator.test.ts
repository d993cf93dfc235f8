/**
 * The audit trail against someone with database access (issue 8, section 3). Each case
 * tampers with real logs (or an orchestration) through the Admin SDK on the emulator, as
 * whoever holds the database would, then asks both verifiers: the per-log audit (auditLog
 * of stages/audit.ts, re-run on the log and on the next one) and verifyLogChain through the
 * callable protocol (run by the Functions emulator, keyed with functions/.secret.local).
 * They must agree: both flag the same log, or both pass.
 *
 * Background triggers are paused so the test alone writes and audits the logs.
 */
import { createHash } from "node:crypto";
import { FieldValue } from "firebase-admin/firestore";
import { canonicalJson } from "../../src/core/hash-chain";
import { configuredChainKeys } from "../../src/params";
import { auditLog } from "../../src/stages/audit";
import { geminiSummaryProvider, writeOrchestrationLog } from "../../src/stages/log-writer";
import { orchestrateTenant } from "../../src/stages/orchestration";
import { recordChainVerification, verifyChainPage } from "../../src/store/log-chain";
import { paths } from "../../src/store/paths";
import type { Audit } from "../../src/schemas";
import { ampleAccountSnapshot, adminDb, callCallable, memberOf, pauseBackgroundTriggersDuringFile, uniqueTenantId, openAllDay } from "../support/emulator";

pauseBackgroundTriggersDuringFile();
const db = adminDb();
const written = geminiSummaryProvider(undefined, undefined);

async function seedTenant(label: string): Promise<string> {
  const tenantId = uniqueTenantId(label);
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: label, active: true });
  batch.set(db.doc(paths.config(tenantId)), openAllDay());
  batch.set(db.doc(paths.accountSnapshot(tenantId)), ampleAccountSnapshot());
  for (const s of ["alpha", "beta"]) batch.set(db.doc(paths.strategy(tenantId, s)), { name: s, enabled: true, capital_base: 10_000, manual_mode: null });
  await batch.commit();
  return tenantId;
}

/**
 * A tenant's first cycle opens its trading session: INIT → PRE_MARKET → SESSION_OPEN →
 * ACTIVE_TRADING, three moves that are the first three links of its chain (issue 10). The
 * orchestration log of cycle k is therefore link MOVES + k.
 */
const MOVES = 3;

let signalCounter = 0;
/** One cycle through the real stages, logged; returns the log id. */
async function loggedCycle(tenantId: string): Promise<string> {
  signalCounter += 1;
  await db.doc(paths.signal(tenantId, `sig-${signalCounter}`)).set({
    strategy_id: "alpha",
    action: "BUY",
    ticker: "SPY",
    allocation: 0.2,
    confidence: 0.6,
    reasoning: "breakout",
    status: "pending",
  });
  const orchestration = await orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "test" });
  return (await writeOrchestrationLog(db, orchestration, written)).log_id;
}

async function tenantWithLogs(label: string, n: number): Promise<{ tenantId: string; logIds: string[] }> {
  const tenantId = await seedTenant(label);
  const logIds: string[] = [];
  for (let i = 0; i < n; i++) logIds.push(await loggedCycle(tenantId));
  return { tenantId, logIds };
}

async function storedLog(logId: string): Promise<Record<string, any>> {
  return (await db.doc(paths.log(logId)).get()).data()!;
}

/** The per-log audit, re-run on the stored log as the trigger would. */
async function audit(logId: string): Promise<Audit> {
  return (await auditLog(db, logId, await storedLog(logId))).audit;
}

const failed = (a: Audit) => a.checks.filter((c) => !c.passed).map((c) => c.name);
const findings = (a: Audit, name: string) => a.checks.find((c) => c.name === name)?.findings ?? [];

async function verifyLogChain(tenantId: string, extra: Record<string, unknown> = {}, idToken?: string) {
  const token = idToken ?? (await memberOf(tenantId, "admin")).idToken;
  return callCallable("verifyLogChain", { tenant_id: tenantId, ...extra }, token);
}

test("an untouched keyed chain: every audit passes and says it is keyed; verifyLogChain agrees", async () => {
  const keys = configuredChainKeys();
  expect(keys).not.toBeNull(); // scripts/emulators.sh wrote functions/.secret.local
  const { tenantId, logIds } = await tenantWithLogs("adv-clean", 3);
  for (const id of logIds) {
    const a = await audit(id);
    expect(failed(a)).toEqual([]);
    expect(a).toMatchObject({ chain_keyed: true, chain_key_id: keys!.current.id, chain_notice: null });
  }
  const v = await verifyLogChain(tenantId);
  expect(v.result).toMatchObject({ intact: true, complete: true, keyed: true, logs_checked: MOVES + 3, head_seq: MOVES + 3, first_break: null });
});

describe("a stored log tampered with: the audit of that log, the audit of the next one and verifyLogChain all flag it", () => {
  const DELETE = Symbol("delete");
  const cases: [string, (log: Record<string, any>) => Record<string, unknown>][] = [
    ["a top-level field added", () => ({ reviewed_by: "nobody" })],
    ["a nested field added", (log) => ({ signals: log.signals.map((s: object, i: number) => (i === 0 ? { ...s, approved_by: "nobody" } : s)) })],
    ["a top-level field removed", () => ({ ai_summary_fallback_reason: DELETE })],
    ["a nested field removed", (log) => ({ signals: log.signals.map((s: Record<string, unknown>, i: number) => (i === 0 ? omit(s, "reasoning") : s)) })],
    ["a top-level field changed", () => ({ ai_summary: "nothing happened" })],
    ["a nested field changed", (log) => ({ signals: log.signals.map((s: object, i: number) => (i === 0 ? { ...s, allocation: 0.9 } : s)) })],
    ["a stored count changed", (log) => ({ signals_count: log.signals_count + 1 })],
  ];
  test.each(cases)("%s", async (_label, change) => {
    const { tenantId, logIds } = await tenantWithLogs("adv-edit", 3);
    const target = logIds[1];
    const fields = change(await storedLog(target));
    await db.doc(paths.log(target)).update(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === DELETE ? FieldValue.delete() : v])));

    const own = await audit(target);
    const next = await audit(logIds[2]);
    const chain = await verifyLogChain(tenantId);

    // The edited log fails its own audit (hash, or shape when a required field went missing).
    expect(own.passed).toBe(false);
    expect([...findings(own, "hash_chain_intact"), ...findings(own, "log_well_formed")].join(" ")).toMatch(/hash mismatch|is required/);
    // The next log's audit sees the edit in its previous link.
    expect(findings(next, "hash_chain_intact")).toEqual([expect.stringMatching(new RegExp(`^previous log ${target}: hash mismatch`))]);
    // verifyLogChain names the same log.
    expect(chain.result).toMatchObject({ intact: false, complete: true, first_break: { log_id: target, seq: MOVES + 2 } });
    expect(chain.result.first_break.problem).toMatch(/^hash mismatch/);
  });
});

function omit(o: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _drop, ...rest } = o;
  void _drop;
  return rest;
}

test("an orchestration edited after it was logged (a signal's executable flipped): the audit and verifyLogChain both flag it", async () => {
  const { tenantId, logIds } = await tenantWithLogs("adv-orch", 2);
  const log = await storedLog(logIds[0]);
  const ref = db.doc(paths.orchestration(tenantId, log.session_id));
  const orchestration = (await ref.get()).data()!;
  expect(orchestration.signals[0].executable).toBe(true);
  await ref.update({ signals: orchestration.signals.map((s: object, i: number) => (i === 0 ? { ...s, executable: false } : s)) });

  const a = await audit(logIds[0]);
  expect(failed(a)).toEqual(["orchestration_matches_log"]);
  expect(findings(a, "orchestration_matches_log")[0]).toMatch(new RegExp(`^orchestration ${log.session_id} was changed after it was logged: .*\\(differs from the log in signals\\)$`));
  const chain = await verifyLogChain(tenantId);
  expect(chain.result).toMatchObject({ intact: false, first_break: { log_id: logIds[0], seq: MOVES + 1 } });
  expect(chain.result.first_break.problem).toMatch(new RegExp(`^orchestration ${log.session_id} was changed after it was logged`));
});

describe("a log rewritten with every later hash and the head recomputed, without the key", () => {
  const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");
  /** What an attacker with only the database can do: plain sha256 (the key id dropped, or kept). */
  function reseal(log: Record<string, any>, prevHash: string, keepKeyId: boolean): Record<string, any> {
    const content: Record<string, any> = { ...log, prev_hash: prevHash };
    delete content.hash;
    if (!keepKeyId) content.hash_key_id = null;
    return { ...content, hash: sha256(`${prevHash}\n${canonicalJson(content)}`) };
  }

  test.each([
    ["downgraded to unkeyed sha256", false, /^previous log .*: unkeyed \(plain sha256\) although the chain is keyed/],
    ["the key id kept, the hash plain sha256", true, /^previous log .*: hash mismatch/],
  ])("%s: the next log's audit and verifyLogChain flag the rewritten log", async (_label, keepKeyId, nextFinding) => {
    const { tenantId, logIds } = await tenantWithLogs("adv-rewrite", 3);
    const logs = await Promise.all(logIds.map(storedLog));
    // Rewrite log 2, then re-link log 3 to it and move the head, all consistently.
    const log2 = reseal({ ...logs[1], ai_summary: "a quiet cycle" }, logs[0].hash, keepKeyId);
    const log3 = reseal(logs[2], log2.hash, keepKeyId);
    await db.doc(paths.log(logIds[1])).set(log2);
    await db.doc(paths.log(logIds[2])).set(log3);
    await db.doc(paths.logChainHead(tenantId)).update({ last_hash: log3.hash });

    const next = await audit(logIds[2]);
    expect(findings(next, "hash_chain_intact")).toEqual(expect.arrayContaining([expect.stringMatching(nextFinding)]));
    expect(next.passed).toBe(false);
    const chain = await verifyLogChain(tenantId);
    expect(chain.result).toMatchObject({ intact: false, keyed: true, first_break: { log_id: logIds[1], seq: MOVES + 2 } });
  });
});

test("the newest log deleted: verifyLogChain sees it through the head; the next log's audit through its missing predecessor", async () => {
  const { tenantId, logIds } = await tenantWithLogs("adv-delete", 3);
  await db.doc(paths.log(logIds[2])).delete();
  const truncated = await verifyLogChain(tenantId);
  expect(truncated.result).toMatchObject({ intact: false, complete: true, head_seq: MOVES + 3, first_break: { seq: MOVES + 3 } });
  expect(truncated.result.first_break.problem).toBe(`the chain head says seq ${MOVES + 3}, but ${MOVES + 2} logs exist (the newest logs were deleted)`);

  const next = await loggedCycle(tenantId);
  const a = await audit(next);
  expect(findings(a, "hash_chain_intact")).toEqual([`previous log (seq ${MOVES + 3}, ${logIds[2]}) is missing: deleted or never written`]);
  const chain = await verifyLogChain(tenantId);
  const [gone, found] = [MOVES + 3, MOVES + 4];
  expect(chain.result).toMatchObject({ intact: false, first_break: { log_id: next, seq: found, problem: `seq gap: expected ${gone}, found ${found} (log ${gone} deleted)` } });
});

describe("verifyLogChain in pages", () => {
  test("returns a cursor and completes across calls; a resumed walk checks the link it stopped at", async () => {
    const { tenantId, logIds } = await tenantWithLogs("adv-pages", 5);
    const admin = await memberOf(tenantId, "admin");
    const calls = [];
    let cursor: string | null = null;
    do {
      const r = await verifyLogChain(tenantId, { max_logs: 4, ...(cursor ? { cursor } : {}) }, admin.idToken);
      expect(r.error).toBeUndefined();
      calls.push(r.result);
      cursor = r.result.next_cursor;
    } while (cursor !== null);
    // 3 moves + 5 logs = 8 links, 4 per call; the second call's page was full, so a third finds the end.
    expect(calls.map((c) => [c.resumed_after_seq, c.logs_checked, c.complete])).toEqual([
      [0, 4, false],
      [4, 8, false],
      [8, 8, true],
    ]);
    expect(calls[2]).toMatchObject({ intact: true, head_seq: MOVES + 5, first_break: null });

    // Stopped after link 4 (log 1); log 1 is then rewritten (hash changed): the resumed walk refuses to go on from it.
    const first = await verifyLogChain(tenantId, { max_logs: MOVES + 1 }, admin.idToken);
    await db.doc(paths.log(logIds[0])).update({ hash: "0".repeat(64) });
    const resumed = await verifyLogChain(tenantId, { cursor: first.result.next_cursor }, admin.idToken);
    expect(resumed.result).toMatchObject({ intact: false, complete: true, first_break: { log_id: logIds[0], seq: MOVES + 1 } });
    expect(resumed.result.first_break.problem).toMatch(new RegExp(`^the log at the cursor \\(seq ${MOVES + 1}\\) changed since the walk verified it`));
  });

  test("a forged cursor (skipping ahead) is refused with invalid-argument", async () => {
    const { tenantId } = await tenantWithLogs("adv-forge", 3);
    const admin = await memberOf(tenantId, "admin");
    const first = await verifyLogChain(tenantId, { max_logs: 1 }, admin.idToken);
    const body = JSON.parse(Buffer.from(first.result.next_cursor, "base64url").toString("utf8"));
    body.s.after = { log_id: "x", seq: 3, hash: "f".repeat(64) };
    const forged = Buffer.from(JSON.stringify(body), "utf8").toString("base64url");
    const r = await verifyLogChain(tenantId, { cursor: forged }, admin.idToken);
    expect(r.error).toMatchObject({ status: "INVALID_ARGUMENT", message: expect.stringMatching(/^cursor: signature does not match/) });
  });

  test("it is rate-limited (rate_limits.verify_chain): the call over the limit is resource-exhausted", async () => {
    const { tenantId } = await tenantWithLogs("adv-rate", 1);
    await db.doc(paths.config(tenantId)).set(openAllDay({ rate_limits: { verify_chain: 2 } }));
    const admin = await memberOf(tenantId, "admin");
    expect((await verifyLogChain(tenantId, {}, admin.idToken)).result).toMatchObject({ intact: true });
    expect((await verifyLogChain(tenantId, {}, admin.idToken)).result).toMatchObject({ intact: true });
    const third = await verifyLogChain(tenantId, {}, admin.idToken);
    expect(third.error).toMatchObject({ status: "RESOURCE_EXHAUSTED", message: expect.stringMatching(/at most 2 verifyLogChain and replayOrchestration calls per 60 s/) });
  });
});

describe("the daily verification (store/log-chain: verifyChainPage + recordChainVerification)", () => {
  test("walks in pages, one message each, records its status; a break becomes one finding however often it reruns", async () => {
    const { tenantId, logIds } = await tenantWithLogs("adv-daily", 3);
    const keys = configuredChainKeys();
    const run = async () => {
      const results = [];
      let cursor: string | null = null;
      do {
        const r = await verifyChainPage(db, tenantId, keys, { cursor, budgetMs: 60_000, pageSize: 2, maxLogs: 2 });
        await recordChainVerification(db, r);
        results.push(r);
        cursor = r.cursor;
      } while (cursor !== null);
      return results;
    };
    const clean = await run();
    // 3 moves + 3 logs, 2 links a page.
    expect(clean.map((r) => [r.done, r.logs_checked])).toEqual([
      [false, 2],
      [false, 4],
      [false, 6],
      [true, 6],
    ]);
    // Reads: 2 moves (a move has no orchestration to re-digest); then the cursor's link, a move, a log and its
    // orchestration; then the cursor's link, 2 logs and 2 orchestrations; then the cursor's link, an empty page and the head.
    expect(clean.map((r) => r.reads)).toEqual([2, 4, 5, 3]);
    const status = (await db.doc(paths.logChainVerification(tenantId)).get()).data();
    expect(status).toMatchObject({ state: "complete", intact: true, keyed: true, logs_checked: MOVES + 3, head_seq: MOVES + 3, first_break: null, finding_id: null });

    await db.doc(paths.log(logIds[2])).update({ ai_summary: "edited" });
    const broken = await run();
    const again = await run();
    expect(broken[broken.length - 1].first_break).toMatchObject({ log_id: logIds[2], seq: MOVES + 3 });
    const findingsSnap = await db.collection(paths.findings(tenantId)).where("kind", "==", "log_chain_break").get();
    expect(findingsSnap.size).toBe(1);
    expect(findingsSnap.docs[0].data()).toMatchObject({ log_id: logIds[2], seq: MOVES + 3, keyed: true, detail: expect.stringMatching(/^hash mismatch/) });
    expect(again[again.length - 1].first_break).toEqual(broken[broken.length - 1].first_break);
    expect((await db.doc(paths.logChainVerification(tenantId)).get()).data()).toMatchObject({ state: "broken", intact: false, finding_id: findingsSnap.docs[0].id });
  });
});
