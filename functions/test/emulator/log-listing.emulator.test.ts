/**
 * listOrchestrationLogs over real logs: cycles orchestrated and logged by the real stages
 * for two tenants sharing the one log collection, then listed through the callable —
 * newest first, in pages joined by the cursor with nothing skipped or repeated, filtered
 * to systemic-risk cycles on request, and never another tenant's log.
 *
 * Background triggers are paused so that this file alone writes the logs, in order.
 */
import { geminiSummaryProvider, writeOrchestrationLog } from "../../src/stages/log-writer";
import { orchestrateTenant } from "../../src/stages/orchestration";
import { paths } from "../../src/store/paths";
import { adminDb, ampleAccountSnapshot, callCallable, memberOf, pauseBackgroundTriggersDuringFile, uniqueTenantId, openAllDay } from "../support/emulator";

pauseBackgroundTriggersDuringFile();
const db = adminDb();
/** A tenant's first cycle opens its trading session with three moves, the first links of its chain (issue 10). */
const MOVES = 3;
const written = geminiSummaryProvider(undefined, undefined);

async function seedTenant(label: string): Promise<string> {
  const tenantId = uniqueTenantId(label);
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: label, active: true });
  batch.set(db.doc(paths.config(tenantId)), openAllDay());
  batch.set(db.doc(paths.accountSnapshot(tenantId)), ampleAccountSnapshot());
  for (const s of ["s1", "s2", "s3", "alpha"]) {
    batch.set(db.doc(paths.strategy(tenantId, s)), { name: s, enabled: true, capital_base: 10_000, manual_mode: null });
  }
  await batch.commit();
  return tenantId;
}

/** One cycle, logged. Systemic: three tradable strategies say SELL while alpha says BUY. */
async function loggedCycle(tenantId: string, n: number, systemic: boolean): Promise<string> {
  const batch = db.batch();
  const signal = (id: string, strategy: string, action: string) =>
    batch.set(db.doc(paths.signal(tenantId, `c${n}-${id}`)), { strategy_id: strategy, action, ticker: "QQQ", allocation: 0.2, confidence: 0.6, reasoning: "", status: "pending" });
  signal("a", "alpha", "BUY");
  if (systemic) for (const s of ["s1", "s2", "s3"]) signal(s, s, "SELL");
  await batch.commit();
  const orchestration = await orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "test" });
  expect(orchestration.systemic_risk.detected).toBe(systemic);
  await writeOrchestrationLog(db, orchestration, written);
  return orchestration.session_id;
}

let fundA: string;
let fundB: string;
const sessionsA: string[] = [];
const sessionsB: string[] = [];

beforeAll(async () => {
  fundA = await seedTenant("list-a");
  fundB = await seedTenant("list-b");
  // Interleaved, so the two tenants' logs sit side by side in the shared collection.
  for (let n = 1; n <= 5; n++) {
    sessionsA.push(await loggedCycle(fundA, n, n === 2 || n === 4));
    if (n <= 2) sessionsB.push(await loggedCycle(fundB, n, true));
  }
});

test("pages newest first, joined by the cursor, nothing skipped or repeated", async () => {
  const viewer = await memberOf(fundA, "viewer");
  const seen: string[] = [];
  const pageSizes: number[] = [];
  let cursor: string | null = null;
  do {
    const response = await callCallable("listOrchestrationLogs", { tenant_id: fundA, page_size: 2, ...(cursor ? { cursor } : {}) }, viewer.idToken);
    expect(response.error).toBeUndefined();
    pageSizes.push(response.result.logs.length);
    seen.push(...response.result.logs.map((l: { session_id: string }) => l.session_id));
    cursor = response.result.next_cursor;
  } while (cursor !== null);
  expect(pageSizes).toEqual([2, 2, 1]);
  expect(seen).toEqual([...sessionsA].reverse());
});

test("each item summarizes its log, with the chain position", async () => {
  const viewer = await memberOf(fundA, "viewer");
  const response = await callCallable("listOrchestrationLogs", { tenant_id: fundA, page_size: 5 }, viewer.idToken);
  const items = response.result.logs;
  // The moves that opened the session are in the chain, not in the listing.
  expect(items.map((l: { seq: number }) => l.seq)).toEqual([5, 4, 3, 2, 1].map((k) => MOVES + k));
  const systemic = items.find((l: { session_id: string }) => l.session_id === sessionsA[1]);
  expect(systemic).toMatchObject({ systemic_risk_detected: true, signals_count: 4, overrides_count: 1, rejected_count: 0, ai_summary_source: "written" });
  expect(systemic.hash).toMatch(/^[0-9a-f]{64}$/);
  const stored = await db.doc(paths.log(systemic.log_id)).get();
  expect(stored.get("hash")).toBe(systemic.hash);
});

test("systemic_only lists only the cycles in which the override fired", async () => {
  const viewer = await memberOf(fundA, "viewer");
  const response = await callCallable("listOrchestrationLogs", { tenant_id: fundA, systemic_only: true }, viewer.idToken);
  expect(response.result.logs.map((l: { session_id: string }) => l.session_id)).toEqual([sessionsA[3], sessionsA[1]]);
  expect(response.result.next_cursor).toBeNull();
});

test("a tenant's members see only that tenant's logs, even with another tenant's cursor", async () => {
  const viewerB = await memberOf(fundB, "viewer");
  const own = await callCallable("listOrchestrationLogs", { tenant_id: fundB }, viewerB.idToken);
  expect(own.result.logs.map((l: { session_id: string }) => l.session_id)).toEqual([...sessionsB].reverse());

  const viewerA = await memberOf(fundA, "viewer");
  const firstPageA = await callCallable("listOrchestrationLogs", { tenant_id: fundA, page_size: 1 }, viewerA.idToken);
  const withForeignCursor = await callCallable("listOrchestrationLogs", { tenant_id: fundB, cursor: firstPageA.result.next_cursor }, viewerB.idToken);
  for (const log of withForeignCursor.result.logs) expect(sessionsB).toContain(log.session_id);

  const crossTenant = await callCallable("listOrchestrationLogs", { tenant_id: fundA }, viewerB.idToken);
  expect(crossTenant.error?.status).toBe("PERMISSION_DENIED");
});

describe("verifyLogChain (admin)", () => {
  test("walks the tenant's chain and names the first broken link: an edited log, then a deleted newest log", async () => {
    const admin = await memberOf(fundA, "admin");
    const viewer = await memberOf(fundA, "viewer");
    expect((await callCallable("verifyLogChain", { tenant_id: fundA }, viewer.idToken)).error?.status).toBe("PERMISSION_DENIED");
    const intact = await callCallable("verifyLogChain", { tenant_id: fundA }, admin.idToken);
    // The emulator runs keyed (scripts/emulators.sh writes a local key into functions/.secret.local).
    expect(intact.result).toEqual({
      tenant_id: fundA,
      intact: true,
      complete: true,
      next_cursor: null,
      logs_checked: MOVES + 5,
      resumed_after_seq: 0,
      head_seq: MOVES + 5,
      keyed: true,
      first_break: null,
    });

    // Someone edits the summary of the third log after the fact.
    const chain = await db.collection(paths.logs()).where("tenant_id", "==", fundA).orderBy("seq").get();
    const logs = { docs: chain.docs.filter((d) => d.get("kind") === undefined) };
    await logs.docs[2].ref.update({ ai_summary: "nothing to see here" });
    const edited = await callCallable("verifyLogChain", { tenant_id: fundA }, admin.idToken);
    expect(edited.result).toMatchObject({ intact: false, logs_checked: MOVES + 3, first_break: { seq: MOVES + 3, log_id: logs.docs[2].id } });
    expect(edited.result.first_break.problem).toMatch(/^hash mismatch: stored [0-9a-f]{64}, recomputed [0-9a-f]{64} \(content edited after it was written\)$/);

    // Another tenant's chain is untouched by it.
    const adminB = await memberOf(fundB, "admin");
    expect((await callCallable("verifyLogChain", { tenant_id: fundB }, adminB.idToken)).result).toMatchObject({ intact: true, logs_checked: MOVES + 2 });

    // Restored, then the newest log deleted: only the chain head can tell.
    await logs.docs[2].ref.set(logs.docs[2].data());
    await logs.docs[4].ref.delete();
    const truncated = await callCallable("verifyLogChain", { tenant_id: fundA }, admin.idToken);
    expect(truncated.result).toMatchObject({ intact: false, head_seq: MOVES + 5, first_break: { seq: MOVES + 5 } });
    expect(truncated.result.first_break.problem).toBe(`the chain head says seq ${MOVES + 5}, but ${MOVES + 4} logs exist (the newest logs were deleted)`);
  });
});
