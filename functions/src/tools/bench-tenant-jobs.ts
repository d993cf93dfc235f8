/**
 * `npm run bench:tenants` (from functions/): the nightly per-tenant jobs at scale on the
 * emulators. Seeds N tenants (MAESTRO_BENCH_JOB_TENANTS, default 1,000) of 3 strategies
 * with 2 trades each and two days of marks (background triggers paused while seeding, so
 * the nightly job does the rollup), then for the nightly rollup and then the weights job:
 *  - the fan-out body (fanOutTenantJob): wall time and Firestore reads;
 *  - fan-out start → each tenant's outcome document, time-boxed
 *    (MAESTRO_BENCH_JOB_TIMEOUT_S, default 600 s per job), and how many finished, by status.
 *
 * MAESTRO_BENCH_JOB_MODE=functions (default): the messages go through the Pub/Sub emulator
 * to onTenantJob on the Functions emulator, which starts one worker process per concurrent
 * event. A memory guard stops waiting when the machine's available memory falls below
 * MAESTRO_BENCH_MIN_FREE_MB (default 3,000), so the benchmark cannot starve the machine.
 * MAESTRO_BENCH_JOB_MODE=inprocess: the background triggers stay paused and this process
 * pulls the messages from its own Pub/Sub emulator subscription and runs handleTenantJob
 * with MAESTRO_BENCH_JOB_CONCURRENCY (default 16) at once: the jobs' own cost without the
 * emulator's process-per-event.
 */
import { readFileSync } from "node:fs";
import type { Firestore } from "firebase-admin/firestore";
import { nightlyRollupJob } from "../stages/performance-rollup";
import { handleTenantJob, type Registry } from "../stages/tenant-jobs";
import { weightsJob } from "../stages/weights";
import { healthCheckJob } from "../stages/health";
import { jsonPublisher } from "../store/pubsub";
import { paths } from "../store/paths";
import { TENANT_JOB_TOPIC, fanOutTenantJob } from "../store/tenant-jobs";
import type { TenantJobMessage, TenantJobName } from "../schemas";
import { summarise } from "./bench-core";
import { chainVerificationJob } from "../stages/monitoring";
import { PROJECT_ID, emulatorDb, requireEnv } from "./emulator-client";

const TENANTS = Number(process.env.MAESTRO_BENCH_JOB_TENANTS ?? 1000);
const STRATEGIES = 3;
const TIMEOUT_MS = Number(process.env.MAESTRO_BENCH_JOB_TIMEOUT_S ?? 600) * 1000;
const MODE = process.env.MAESTRO_BENCH_JOB_MODE === "inprocess" ? "inprocess" : "functions";
const CONCURRENCY = Number(process.env.MAESTRO_BENCH_JOB_CONCURRENCY ?? 16);
const MIN_FREE_MB = Number(process.env.MAESTRO_BENCH_MIN_FREE_MB ?? 3000);
const registry: Registry = { nightly_rollup: nightlyRollupJob, weights: weightsJob, chain_verification: chainVerificationJob, health_check: healthCheckJob };

function availableMb(): number {
  const line = readFileSync("/proc/meminfo", "utf8").split("\n").find((l) => l.startsWith("MemAvailable:"));
  return line ? Number(line.split(/\s+/)[1]) / 1024 : Number.POSITIVE_INFINITY;
}

async function setBackgroundTriggers(enabled: boolean): Promise<void> {
  const hub = `http://${requireEnv("FIREBASE_EMULATOR_HUB")}`;
  const response = await fetch(`${hub}/functions/${enabled ? "enable" : "disable"}BackgroundTriggers`, { method: "PUT" });
  if (!response.ok) throw new Error(`could not ${enabled ? "enable" : "disable"} background triggers: ${response.status}`);
}

function day(n: number): string {
  return new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
}

async function seed(db: Firestore, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: TENANTS }, (_, i) => `${prefix}-${String(i).padStart(4, "0")}`);
  const [d2, d1] = [day(2), day(1)];
  const docs: Array<[string, Record<string, unknown>]> = [];
  for (const t of ids) {
    docs.push([paths.tenant(t), { name: `Bench ${t}`, active: true }]);
    docs.push([paths.dailyMark(t, d2), { prices: { SPY: 100 } }]);
    docs.push([paths.dailyMark(t, d1), { prices: { SPY: 103 } }]);
    for (let s = 0; s < STRATEGIES; s++) {
      docs.push([paths.strategy(t, `s${s}`), { name: `S${s}`, enabled: true, capital_base: 100_000, manual_mode: null }]);
      docs.push([paths.ledgerTrade(t, `b${s}`), { strategy_id: `s${s}`, symbol: "SPY", side: "BUY", quantity: 10, price: 100, fee: 1, executed_at: new Date(`${d2}T15:00:00Z`) }]);
      docs.push([paths.ledgerTrade(t, `x${s}`), { strategy_id: `s${s}`, symbol: "SPY", side: "SELL", quantity: 5, price: 103, fee: 1, executed_at: new Date(`${d1}T15:00:00Z`) }]);
    }
  }
  for (let i = 0; i < docs.length; i += 4000) {
    const chunk = docs.slice(i, i + 4000);
    const batches: Promise<unknown>[] = [];
    for (let j = 0; j < chunk.length; j += 450) {
      const batch = db.batch();
      for (const [path, data] of chunk.slice(j, j + 450)) batch.set(db.doc(path), data);
      batches.push(batch.commit());
    }
    await Promise.all(batches);
  }
  return ids;
}

/** In-process mode: pull this run's messages from a subscription of our own and run them, CONCURRENCY at a time. */
async function runInProcess(db: Firestore, subscriptionName: string, stopAt: () => boolean): Promise<() => Promise<void>> {
  const { PubSub } = await import("@google-cloud/pubsub");
  const subscription = new PubSub({ projectId: PROJECT_ID }).subscription(subscriptionName, { flowControl: { maxMessages: CONCURRENCY, allowExcessMessages: false } });
  subscription.on("message", (message) => {
    if (stopAt()) return message.nack();
    handleTenantJob(db, { id: message.id, time: message.publishTime, text: message.data.toString("utf8") }, registry).then(
      () => message.ack(),
      () => message.nack(),
    );
  });
  return () => subscription.close();
}

async function measureJob(db: Firestore, job: TenantJobName, ids: readonly string[], prefix: string): Promise<void> {
  const runId = `${prefix}-${job}`;
  let closeSubscription: (() => Promise<void>) | undefined;
  let stopped = false;
  if (MODE === "inprocess") {
    const { PubSub } = await import("@google-cloud/pubsub");
    const [sub] = await new PubSub({ projectId: PROJECT_ID }).topic(TENANT_JOB_TOPIC).createSubscription(`bench-${runId}`);
    closeSubscription = await runInProcess(db, sub.name, () => stopped);
  }
  const started = Date.now();
  const report = await fanOutTenantJob(db, job, runId, jsonPublisher<TenantJobMessage>(TENANT_JOB_TOPIC));
  const fanOutMs = Date.now() - started;
  console.log(`${job}: fan-out body ${fanOutMs} ms, ${report.reads} reads, ${report.published.length} messages published, ${Object.keys(report.skipped).length} skipped`);

  const mine = new Set(ids);
  const outcomes = db.collection(paths.tenantJobOutcomes(job, runId));
  let finished = 0;
  let lowMemory = false;
  let minFree = availableMb();
  const deadline = started + TIMEOUT_MS;
  for (;;) {
    const free = availableMb();
    minFree = Math.min(minFree, free);
    if (free < MIN_FREE_MB) {
      lowMemory = true;
      break;
    }
    finished = (await outcomes.where("status", "in", ["ok", "failed", "skipped"]).count().get()).data().count;
    if (finished >= report.published.length || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  stopped = true;
  const waitedMs = Date.now() - started;
  const docs = (await outcomes.get()).docs.map((d) => d.data());
  const byStatus: Record<string, number> = {};
  for (const d of docs) byStatus[d.status] = (byStatus[d.status] ?? 0) + 1;
  const latencies = docs.filter((d) => d.status === "ok" && mine.has(d.tenant_id)).map((d) => new Date(d.finished_at).getTime() - started);
  const durations = docs.filter((d) => d.status === "ok").map((d) => d.duration_ms as number);
  const s = summarise(latencies);
  const dur = summarise(durations);
  console.log(
    `${job}: ${finished} of ${report.published.length} tenants finished in ${(waitedMs / 1000).toFixed(1)} s` +
      `${lowMemory ? ` (stopped: available memory fell below ${MIN_FREE_MB} MB)` : finished < report.published.length ? ` (time box ${TIMEOUT_MS / 1000} s reached)` : ""}; by status ${JSON.stringify(byStatus)}`,
  );
  if (latencies.length) {
    console.log(`${job}: fan-out start → outcome: median ${(s.median_ms / 1000).toFixed(1)} s, p95 ${(s.p95_ms / 1000).toFixed(1)} s, max ${(s.max_ms / 1000).toFixed(1)} s; job duration per tenant: median ${dur.median_ms} ms, p95 ${dur.p95_ms} ms`);
  }
  console.log(`${job}: lowest available memory while waiting ${Math.round(minFree)} MB`);
  if (closeSubscription) await closeSubscription();
}

async function main(): Promise<void> {
  const db = emulatorDb();
  const prefix = `bench${Date.now().toString(36)}`;
  console.log(`Per-tenant nightly jobs: ${TENANTS} tenants × ${STRATEGIES} strategies × 2 trades, mode ${MODE}${MODE === "inprocess" ? ` (concurrency ${CONCURRENCY})` : ""}`);
  await setBackgroundTriggers(false);
  const seedStart = Date.now();
  const ids = await seed(db, prefix);
  console.log(`seeded ${ids.length} tenants in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
  if (MODE === "functions") await setBackgroundTriggers(true);
  await measureJob(db, "nightly_rollup", ids, prefix);
  await measureJob(db, "weights", ids, prefix);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
