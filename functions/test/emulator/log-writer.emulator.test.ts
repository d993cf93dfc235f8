/**
 * The log writer on the real Firestore emulator with the real @google/genai client talking
 * to a loopback Gemini: the model's summary when it answers, the written one when it errs,
 * is slow or answers empty — and in every case the log is written, once, on the chain.
 *
 * The emulator's background triggers are paused here so the test drives the stage itself
 * (otherwise the deployed trigger would race it for the same orchestration).
 */
import type { Firestore } from "firebase-admin/firestore";
import { verifyChain } from "../../src/core/hash-chain";
import { OrchestrationSchema, type Orchestration } from "../../src/schemas";
import { auditLog, onOrchestrationLogCreated } from "../../src/stages/audit";
import { geminiSummaryProvider, onOrchestrationCreated, writeOrchestrationLog } from "../../src/stages/log-writer";
import { orchestrateTenant } from "../../src/stages/orchestration";
import { findUnloggedOrchestrations, verifyTenantChain } from "../../src/stages/monitoring";
import { paths } from "../../src/store/paths";
import { configuredChainKeys } from "../../src/params";
import { adminDb, ampleAccountSnapshot, pauseBackgroundTriggersDuringFile, uniqueTenantId, openAllDay } from "../support/emulator";
import { startFakeGemini, type FakeGemini } from "../support/fake-gemini-server";

pauseBackgroundTriggersDuringFile();
/** A tenant's first cycle opens its trading session with three moves, the first links of its chain (issue 10). */
const MOVES = 3;
let db: Firestore;
let gemini: FakeGemini;

beforeAll(async () => {
  db = adminDb();
  gemini = await startFakeGemini();
});
afterAll(async () => {
  await gemini.close();
});

async function newTenantOrchestration(tenantId: string, aiSummary: Record<string, unknown> = {}): Promise<Orchestration> {
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: "Log Test", active: true });
  batch.set(db.doc(paths.accountSnapshot(tenantId)), ampleAccountSnapshot());
  batch.set(db.doc(paths.config(tenantId)), openAllDay({ ai_summary: { model: "gemini-2.0-flash", timeout_ms: 400, ...aiSummary } }));
  batch.set(db.doc(paths.strategy(tenantId, "alpha")), { name: "Alpha", enabled: true, capital_base: 10_000, manual_mode: null });
  batch.set(db.doc(paths.signal(tenantId, "s1")), { strategy_id: "alpha", action: "BUY", ticker: "SPY", allocation: 0.3, confidence: 0.6, reasoning: "breakout", status: "pending" });
  await batch.commit();
  return orchestrateTenant(db, { tenant_id: tenantId, trigger: "market_cycle", requested_by: null });
}

async function storedLog(logId: string) {
  return (await db.doc(paths.log(logId)).get()).data()!;
}

describe("log writer with the real Gemini client against a loopback server", () => {
  const provider = () => geminiSummaryProvider("test-key-not-secret", gemini.url);

  test("the model answers: its summary is logged with ai_summary_source gemini", async () => {
    gemini.reset();
    gemini.setMode({ kind: "success", text: "  Maestro kept Alpha fully allocated.  " });
    const o = await newTenantOrchestration(uniqueTenantId("gem-ok"));
    const outcome = await writeOrchestrationLog(db, o, provider());
    const log = await storedLog(outcome.log_id);
    expect(log).toMatchObject({ ai_summary: "Maestro kept Alpha fully allocated.", ai_summary_source: "gemini", ai_summary_fallback_reason: null, seq: MOVES + 1 });
    expect(gemini.requests).toHaveLength(1);
    expect(gemini.requests[0].model).toBe("gemini-2.0-flash");
    expect(gemini.requests[0].apiKey).toBe("test-key-not-secret");
    expect(JSON.stringify(gemini.requests[0].body)).toContain(o.session_id);
    const orchestration = (await db.doc(paths.orchestration(o.tenant_id, o.session_id)).get()).data()!;
    expect(orchestration.log).toMatchObject({ state: "WRITTEN", log_id: outcome.log_id, attempts: 1 });
  });

  test.each([
    ["an error status", { kind: "error", status: 500 } as const, /^model_error: HTTP 500/],
    ["a slow answer", { kind: "slow", delayMs: 5_000, text: "too late" } as const, /^timeout after 400ms/],
    ["an empty answer", { kind: "empty" } as const, /^empty_response$/],
  ])("%s: the written summary is logged and nothing is lost", async (_label, mode, reason) => {
    gemini.reset();
    gemini.setMode(mode);
    const o = await newTenantOrchestration(uniqueTenantId("gem-fail"));
    const outcome = await writeOrchestrationLog(db, o, provider());
    const log = await storedLog(outcome.log_id);
    expect(log.ai_summary_source).toBe("written");
    expect(log.ai_summary_fallback_reason).toMatch(reason);
    expect(log.ai_summary).toMatch(/^Maestro orchestrated 1 signal/);
    expect(log.signals).toHaveLength(1);
    expect(log.session_id).toBe(o.session_id);
  });

  test("no key: no request leaves, the written summary is logged", async () => {
    gemini.reset();
    const o = await newTenantOrchestration(uniqueTenantId("gem-nokey"));
    const outcome = await writeOrchestrationLog(db, o, geminiSummaryProvider(undefined, gemini.url));
    expect(gemini.requests).toHaveLength(0);
    expect(await storedLog(outcome.log_id)).toMatchObject({ ai_summary_source: "written", ai_summary_fallback_reason: "no_api_key" });
  });

  test("a repeated event writes nothing new; concurrent logs of one tenant form one intact chain", async () => {
    gemini.reset();
    gemini.setMode({ kind: "success", text: "ok" });
    const tenantId = uniqueTenantId("gem-chain");
    const first = await newTenantOrchestration(tenantId);
    const a = await writeOrchestrationLog(db, first, provider());
    const again = await writeOrchestrationLog(db, first, provider());
    expect(again).toMatchObject({ log_id: a.log_id, created: false, seq: MOVES + 1 });

    const more = await Promise.all(
      [1, 2, 3, 4].map(() => orchestrateTenant(db, { tenant_id: tenantId, trigger: "market_cycle", requested_by: null })),
    );
    const outcomes = await Promise.all(more.map((o) => writeOrchestrationLog(db, OrchestrationSchema.parse(o), provider())));
    expect(outcomes.map((o) => o.seq).sort()).toEqual([2, 3, 4, 5].map((k) => MOVES + k));

    const logs = await db.collection(paths.logs()).where("tenant_id", "==", tenantId).get();
    expect(logs.size).toBe(MOVES + 5);
    const links = logs.docs
      .map((d) => ({ log_id: d.id, seq: d.get("seq"), prev_hash: d.get("prev_hash"), hash: d.get("hash"), content: d.data() }))
      .sort((x, y) => x.seq - y.seq);
    expect(verifyChain(links, configuredChainKeys())).toMatchObject({ intact: true, checked: MOVES + 5 });
    const head = (await db.doc(paths.logChainHead(tenantId)).get()).data()!;
    const newest = links[links.length - 1];
    expect(head).toMatchObject({ seq: MOVES + 5, last_hash: newest.hash, last_log_id: newest.log_id });
  });

  test("a failed write is recorded on the orchestration and rethrown for the retry; the retry then writes the log", async () => {
    gemini.reset();
    const o = await newTenantOrchestration(uniqueTenantId("gem-retry"));
    const ref = db.doc(paths.orchestration(o.tenant_id, o.session_id));
    const event = { id: "event-1", params: { tenantId: o.tenant_id, sessionId: o.session_id }, data: await ref.get() };
    // A chain head that does not parse: the chain cannot be extended until it is repaired.
    await db.doc(paths.logChainHead(o.tenant_id)).set({ seq: "broken" });

    await expect(onOrchestrationCreated.run(event as never)).rejects.toThrow();
    const failed = (await ref.get()).data()!;
    expect(failed.log).toMatchObject({ state: "PENDING", attempts: 1 });
    expect(failed.log.error).toMatch(/seq/);
    expect((await db.collection(paths.logs()).where("session_id", "==", o.session_id).get()).size).toBe(0);

    // Repaired; the platform redelivers the same event.
    await db.doc(paths.logChainHead(o.tenant_id)).delete();
    await onOrchestrationCreated.run(event as never);
    const written = (await ref.get()).data()!;
    expect(written.log).toMatchObject({ state: "WRITTEN", attempts: 2, error: null });
    expect((await db.collection(paths.logs()).where("session_id", "==", o.session_id).get()).size).toBe(1);
  });

  test("a retried write reuses the summary the failed attempt obtained: Gemini is asked once", async () => {
    gemini.reset();
    gemini.setMode({ kind: "success", text: "Asked once." });
    const o = await newTenantOrchestration(uniqueTenantId("gem-once"));
    const ref = db.doc(paths.orchestration(o.tenant_id, o.session_id));
    await db.doc(paths.logChainHead(o.tenant_id)).set({ seq: "broken" });
    await expect(writeOrchestrationLog(db, o, provider())).rejects.toThrow();
    expect(gemini.requests).toHaveLength(1);
    expect((await ref.get()).get("log.summary")).toEqual({ text: "Asked once.", source: "gemini", fallback_reason: null });

    gemini.setMode({ kind: "success", text: "A second answer must not be used." });
    await db.doc(paths.logChainHead(o.tenant_id)).delete();
    const outcome = await writeOrchestrationLog(db, o, provider());
    expect(gemini.requests).toHaveLength(1);
    expect(await storedLog(outcome.log_id)).toMatchObject({ ai_summary: "Asked once.", ai_summary_source: "gemini" });
    // The kept summary sits under `log`, outside the orchestration digest: the audit still matches.
    const { audit } = await auditLog(db, outcome.log_id, (await db.doc(paths.log(outcome.log_id)).get()).data());
    expect(audit.checks.find((c) => c.name === "orchestration_matches_log")).toEqual({ name: "orchestration_matches_log", passed: true, findings: [] });
  });

  test("the audit trigger delivered twice for one log writes one audit", async () => {
    gemini.reset();
    const o = await newTenantOrchestration(uniqueTenantId("audit-twice"));
    const { log_id } = await writeOrchestrationLog(db, o, geminiSummaryProvider(undefined, undefined));
    const event = { id: "event-7", params: { logId: log_id }, data: await db.doc(paths.log(log_id)).get() };
    await onOrchestrationLogCreated.run(event as never);
    const first = (await db.doc(paths.audit(o.tenant_id, log_id)).get()).data()!;
    await onOrchestrationLogCreated.run(event as never);
    const audits = await db.collection(paths.audits(o.tenant_id)).get();
    expect(audits.size).toBe(1);
    expect(audits.docs[0].data()).toEqual(first); // the repeat changed nothing, audited_at included
    expect(first.passed).toBe(true);
  });
});

describe("triggers delivered twice, at the same moment", () => {
  test("the log trigger fired twice concurrently for one orchestration: one log, one chain link, counted once in the metrics", async () => {
    gemini.reset();
    const o = await newTenantOrchestration(uniqueTenantId("log-twice"), { enabled: false });
    const ref = db.doc(paths.orchestration(o.tenant_id, o.session_id));
    const event = { id: "event-dup", params: { tenantId: o.tenant_id, sessionId: o.session_id }, data: await ref.get() };
    await Promise.all([onOrchestrationCreated.run(event as never), onOrchestrationCreated.run(event as never), onOrchestrationCreated.run(event as never)]);
    const logs = await db.collection(paths.logs()).where("session_id", "==", o.session_id).get();
    expect(logs.size).toBe(1);
    expect(logs.docs[0].get("seq")).toBe(MOVES + 1);
    expect((await db.doc(paths.logChainHead(o.tenant_id)).get()).get("seq")).toBe(MOVES + 1);
    expect((await ref.get()).get("log.state")).toBe("WRITTEN");
    const metrics = (await db.doc(paths.metrics(o.tenant_id, o.timestamp.slice(0, 10))).get()).data()!;
    expect(metrics.cycles).toBe(1);
    expect(await verifyTenantChain(db, o.tenant_id)).toMatchObject({ intact: true, logs_checked: MOVES + 1, head_seq: MOVES + 1 });
  });
});

describe("the monitor for orchestrations without a log", () => {
  test("flags an orchestration whose log is still missing a minute later, once; a logged one is not flagged", async () => {
    const o = await newTenantOrchestration(uniqueTenantId("unlogged"));
    const written = new Date(o.timestamp).getTime();
    // Within the minute: not yet a finding.
    expect(await findUnloggedOrchestrations(db, o.tenant_id, new Date(written + 30_000))).toEqual([]);
    const late = await findUnloggedOrchestrations(db, o.tenant_id, new Date(written + 61_000));
    expect(late).toEqual([{ session_id: o.session_id, orchestration_timestamp: o.timestamp, created: true }]);
    const again = await findUnloggedOrchestrations(db, o.tenant_id, new Date(written + 120_000));
    expect(again).toEqual([{ session_id: o.session_id, orchestration_timestamp: o.timestamp, created: false }]);
    const finding = (await db.doc(paths.finding(o.tenant_id, `unlogged_${o.session_id}`)).get()).data()!;
    expect(finding).toMatchObject({ kind: "orchestration_without_log", session_id: o.session_id });
    expect(finding.detail).toMatch(/has no log 60 s after it was written$/);

    // Once its log is written it is no longer pending, and nothing new is flagged.
    await writeOrchestrationLog(db, o, geminiSummaryProvider(undefined, undefined));
    expect(await findUnloggedOrchestrations(db, o.tenant_id, new Date(written + 180_000))).toEqual([]);
  });
});
