/**
 * Stage 2 — weight calculation: the last `lookback_days` strategy_performance documents of
 * each strategy → strategy_weights/current (Sharpe and the other metrics, mode, weight,
 * reasoning). The reads, the freshness rule and the write are in store/weights.ts, which
 * the orchestration cycle and the client API share.
 */
import { onSchedule } from "firebase-functions/v2/scheduler";
import { loadMaestroConfig } from "../store/config";
import { jsonPublisher } from "../store/pubsub";
import { TENANT_JOB_TOPIC, fanOutTenantJob, runIdOf, type TenantJob } from "../store/tenant-jobs";
import { IoCount, maestroDb } from "../store/firestore";
import { readStoredWeights, readStrategies, recalculateWeights, weightsAreCurrent } from "../store/weights";
import { scheduleTimeZone } from "../params";


/** The weights job for one tenant (onTenantJob, job "weights"): recompute them if they are stale. */
export const weightsJob: TenantJob = async (db, ctx) => {
  const io = new IoCount();
  const [stored, loaded, read] = await Promise.all([
    readStoredWeights(db, ctx.tenant_id, io),
    loadMaestroConfig(db, ctx.tenant_id, io),
    readStrategies(db, ctx.tenant_id, io),
  ]);
  const detail = { recomputed: false, malformed_strategies: read.malformed, config_rejection: loaded.rejection, io: io.toJSON() };
  if (weightsAreCurrent(stored, loaded.config, read.strategies)) return { status: "ok", detail };
  await recalculateWeights(db, ctx.tenant_id, { config: loaded.config, strategies: read.strategies, performanceVersion: stored.performance_version, now: ctx.now, previous: stored.weights }, io);
  return { status: "ok", detail: { ...detail, recomputed: true, io: io.toJSON() } };
};

/**
 * Every 15 minutes: one weights message per active tenant (weightsJob runs for each in its
 * own invocation). Weights are also recomputed at the start of any cycle that finds them stale.
 */
export const scheduledWeightRecalculation = onSchedule(
  { schedule: "every 15 minutes", timeZone: scheduleTimeZone, retryCount: 1, timeoutSeconds: 300, memory: "256MiB" },
  async (event) => {
    await fanOutTenantJob(maestroDb(), "weights", runIdOf(new Date(event.scheduleTime)), jsonPublisher(TENANT_JOB_TOPIC));
  },
);
