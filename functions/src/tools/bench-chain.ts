/**
 * `npm run bench:chain` (from functions/): under the emulators (the script starts them),
 * seeds one tenant with a chain of BENCH_CHAIN_LOGS (10,000) logs and their orchestrations,
 * copied from one real cycle and chained and keyed exactly as the log writer does, then
 * prints:
 * - verifyLogChain over the whole chain: through the callable (calls, wall time) and
 *   in-process (time, peak heap above the baseline, peak RSS), with and without the
 *   orchestration digests;
 * - reads and bytes per listOrchestrationLogs page (the select vs the whole log);
 * - the daily verification's reads per tenant, message by message.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FieldPath, type Firestore } from "firebase-admin/firestore";
import { logHash, orchestrationDigest } from "../core/hash-chain";
import { LoggedSummaryFieldsSchema } from "../schemas";
import { configuredChainKeys } from "../params";
import { geminiSummaryProvider, writeOrchestrationLog } from "../stages/log-writer";
import { verifyTenantChain } from "../stages/monitoring";
import { orchestrateTenant } from "../stages/orchestration";
import { paths, orchestrationLogId } from "../store/paths";
import { verifyChainPage } from "../store/log-chain";
import { PROJECT_ID, REGION, emulatorDb, openAllDay, requireEnv } from "./emulator-client";

const LOGS = Number(process.env.BENCH_CHAIN_LOGS ?? 10_000);

// The same chain key as the Functions emulator, which reads functions/.secret.local.
if (!process.env.MAESTRO_LOG_CHAIN_KEYS) {
  const file = join(__dirname, "..", "..", ".secret.local");
  const line = existsSync(file) ? readFileSync(file, "utf8").split(/\r?\n/).find((l) => l.startsWith("MAESTRO_LOG_CHAIN_KEYS=")) : undefined;
  if (line) process.env.MAESTRO_LOG_CHAIN_KEYS = line.slice("MAESTRO_LOG_CHAIN_KEYS=".length);
}
const SIGNALS = 5;

async function seedChain(db: Firestore, tenantId: string): Promise<void> {
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: "Chain bench", active: true });
  batch.set(db.doc(paths.config(tenantId)), openAllDay({ rate_limits: { verify_chain: 1000 }, ai_summary: { enabled: false } }));
  for (let i = 0; i < SIGNALS; i++) {
    batch.set(db.doc(paths.strategy(tenantId, `s${i}`)), { name: `S${i}`, enabled: true, capital_base: 10_000, manual_mode: null });
    batch.set(db.doc(paths.signal(tenantId, `sig${i}`)), { strategy_id: `s${i}`, action: i % 2 ? "SELL" : "BUY", ticker: "SPY", allocation: 0.1, confidence: 0.6, reasoning: "bench", status: "pending" });
  }
  await batch.commit();
  // One real cycle, logged by the real log writer: the template of every other.
  const first = await orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "bench" });
  const { log_id } = await writeOrchestrationLog(db, first, geminiSummaryProvider(undefined, undefined));
  const templateOrchestration = (await db.doc(paths.orchestration(tenantId, first.session_id)).get()).data()!;
  const templateLog = (await db.doc(paths.log(log_id)).get()).data()!;
  const keys = configuredChainKeys();

  let prevHash = templateLog.hash as string;
  let prevId = log_id;
  const start = Date.parse(first.timestamp);
  const writer = db.bulkWriter();
  for (let seq = 2; seq <= LOGS; seq++) {
    const at = new Date(start + seq * 60_000).toISOString();
    const sessionId = `maestro_${start + seq * 60_000}_${seq.toString(16).padStart(16, "0")}`;
    const orchestration = {
      ...templateOrchestration,
      session_id: sessionId,
      timestamp: at,
      signals: templateOrchestration.signals.map((s: Record<string, unknown>) => ({ ...s, session_id: sessionId })),
    };
    const content: Record<string, unknown> = {
      ...templateLog,
      session_id: sessionId,
      timestamp: at,
      signals: orchestration.signals,
      orchestration_digest: orchestrationDigest(orchestration),
      hash_key_id: keys ? keys.current.id : null,
      seq,
      prev_log_id: prevId,
      prev_hash: prevHash,
    };
    delete content.hash;
    const hash = logHash(prevHash, content, keys?.current ?? null);
    const logId = orchestrationLogId(at, sessionId);
    writer.set(db.doc(paths.orchestration(tenantId, sessionId)), orchestration);
    writer.set(db.doc(paths.log(logId)), { ...content, hash });
    prevHash = hash;
    prevId = logId;
  }
  await writer.close();
  await db.doc(paths.logChainHead(tenantId)).set({ seq: LOGS, last_hash: prevHash, last_log_id: prevId, updated_at: new Date().toISOString() });
}

/** Wall time, peak heap above the starting heap and peak RSS while `fn` runs. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; peakHeapMb: number; peakRssMb: number }> {
  global.gc?.();
  const baseHeap = process.memoryUsage().heapUsed;
  let peakHeap = baseHeap;
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  }, 5);
  const t0 = performance.now();
  try {
    const value = await fn();
    return { value, ms: performance.now() - t0, peakHeapMb: (peakHeap - baseHeap) / 2 ** 20, peakRssMb: peakRss / 2 ** 20 };
  } finally {
    clearInterval(sampler);
  }
}

async function signUpAdmin(db: Firestore, tenantId: string): Promise<string> {
  const host = requireEnv("FIREBASE_AUTH_EMULATOR_HOST");
  const response = await fetch(`http://${host}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=demo-key`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: `bench-${Date.now()}@maestro.test`, password: "correct-horse-battery", returnSecureToken: true }),
  });
  const json = (await response.json()) as { localId: string; idToken: string };
  await db.doc(paths.member(tenantId, json.localId)).set({ role: "admin" });
  return json.idToken;
}

async function callVerify(idToken: string, data: unknown): Promise<any> {
  const origin = process.env.FUNCTIONS_EMULATOR_ORIGIN ?? "http://127.0.0.1:5001";
  const response = await fetch(`${origin}/${PROJECT_ID}/${REGION}/verifyLogChain`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${idToken}` },
    body: JSON.stringify({ data }),
  });
  const json = (await response.json()) as { result?: any; error?: unknown };
  if (!json.result) throw new Error(`verifyLogChain failed: ${JSON.stringify(json.error)}`);
  return json.result;
}

async function main(): Promise<void> {
  const db = emulatorDb();
  const tenantId = `bench-chain-${Date.now().toString(36)}`;
  const keys = configuredChainKeys();
  console.log(`Chain benchmark: ${LOGS} logs, ${SIGNALS} signals each, chain ${keys ? `keyed (${keys.current.id})` : "unkeyed"}`);
  const seedStart = performance.now();
  await seedChain(db, tenantId);
  console.log(`seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

  // verifyLogChain through the callable, call after call with the cursor (20 s budget each).
  const idToken = await signUpAdmin(db, tenantId);
  const t0 = performance.now();
  let calls = 0;
  let result: any;
  let cursor: string | null = null;
  do {
    result = await callVerify(idToken, { tenant_id: tenantId, ...(cursor ? { cursor } : {}) });
    calls += 1;
    cursor = result.next_cursor;
  } while (cursor);
  console.log(
    `verifyLogChain (callable, functions emulator): ${((performance.now() - t0) / 1000).toFixed(1)} s in ${calls} call(s), ` +
      `intact ${result.intact}, ${result.logs_checked} logs checked`,
  );

  // The same walk in this process, to see its memory.
  for (const orchestrations of [true, false]) {
    const walk = await measured(async () => {
      let reads = 0;
      let c: string | null = null;
      let r;
      do {
        r = await verifyChainPage(db, tenantId, keys, { cursor: c, budgetMs: 20_000, orchestrations });
        reads += r.reads;
        c = r.cursor;
      } while (c);
      return { ...r, reads };
    });
    console.log(
      `whole-chain walk in-process (${orchestrations ? "with" : "without"} orchestration digests): ${(walk.ms / 1000).toFixed(1)} s, ` +
        `${walk.value.reads} reads, peak heap +${walk.peakHeapMb.toFixed(1)} MB over the baseline, peak RSS ${walk.peakRssMb.toFixed(0)} MB, intact ${walk.value.intact}`,
    );
  }
  // What the walk keeps between pages: heap after a forced GC at each page boundary (one page per call).
  if (global.gc) {
    global.gc();
    const base = process.memoryUsage().heapUsed;
    let retained = 0;
    let c: string | null = null;
    do {
      const r = await verifyChainPage(db, tenantId, keys, { cursor: c, budgetMs: 20_000, maxLogs: 500 });
      c = r.cursor;
      global.gc();
      retained = Math.max(retained, process.memoryUsage().heapUsed - base);
    } while (c);
    console.log(`heap retained at page boundaries (after GC, pages of 500): at most +${(retained / 2 ** 20).toFixed(1)} MB over the baseline`);
  }
  const viaStage = await measured(() => verifyTenantChain(db, tenantId, { keys }));
  console.log(`verifyTenantChain (one 20 s call, in-process): complete ${viaStage.value.complete}, ${viaStage.value.logs_checked} logs, ${(viaStage.ms / 1000).toFixed(1)} s`);

  // listOrchestrationLogs: documents read per page, and what the select saves.
  const fields = Object.keys(LoggedSummaryFieldsSchema.shape);
  for (const pageSize of [20, 100]) {
    const base = db.collection(paths.logs()).where("tenant_id", "==", tenantId).orderBy("timestamp", "desc").orderBy(FieldPath.documentId(), "desc").limit(pageSize + 1);
    const [selected, whole] = await Promise.all([base.select(...fields).get(), base.get()]);
    const bytes = (snap: FirebaseFirestore.QuerySnapshot) => snap.docs.reduce((n, d) => n + JSON.stringify(d.data()).length, 0);
    console.log(
      `listOrchestrationLogs page of ${pageSize}: ${selected.size} log reads (+1 membership read), ` +
        `${(bytes(selected) / 1024).toFixed(1)} KiB with the select vs ${(bytes(whole) / 1024).toFixed(1)} KiB for whole logs`,
    );
  }

  // The daily verification: one Pub/Sub message per budget (50 s), each resuming from the cursor.
  const daily = await measured(async () => {
    const perMessage: number[] = [];
    let c: string | null = null;
    let r;
    do {
      r = await verifyChainPage(db, tenantId, keys, { cursor: c, budgetMs: 50_000 });
      perMessage.push(r.reads);
      c = r.cursor;
    } while (c);
    return { perMessage, intact: r.intact };
  });
  const total = daily.value.perMessage.reduce((a, b) => a + b, 0);
  console.log(
    `daily verification of the tenant: ${total} reads (${(total / LOGS).toFixed(2)} per log) in ${daily.value.perMessage.length} message(s) [${daily.value.perMessage.join(", ")}], ` +
      `${(daily.ms / 1000).toFixed(1)} s, intact ${daily.value.intact}`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
