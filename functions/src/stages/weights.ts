/**
 * Stage 2 — weight calculation: the last `lookback_days` strategy_performance documents of
 * each strategy → strategy_weights/current (Sharpe and the other metrics, mode, weight,
 * reasoning). The reads, the freshness rule and the write are in store/weights.ts, which
 * the orchestration cycle and the client API share. Under a portfolio allocation method
 * (issue 12, core/portfolio-allocation.ts) an admin may force a rebalance.
 */
import { onSchedule } from "firebase-functions/v2/scheduler";
import { HttpsError } from "firebase-functions/v2/https";
import { RebalanceAllocationsRequestSchema, RebalanceAllocationsResponseSchema, ResetArbitrationLearningRequestSchema, ResetArbitrationLearningResponseSchema } from "../schemas/api";
import { learnFromArbitrations, resetBandit } from "../store/arbitration";
import { paths } from "../store/paths";
import { maestroCallable } from "./callable";
import { logEvent } from "../log-events";
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
  // The arbitration bandit learns from the trades its winners made (where the step runs).
  const learning = loaded.config.cycle_steps.includes("arbitration") ? await learnFromArbitrations(db, ctx.tenant_id, ctx.now, io) : null;
  const detail = { recomputed: false, malformed_strategies: read.malformed, config_rejection: loaded.rejection, arbitration_learning: learning, io: io.toJSON() };
  if (weightsAreCurrent(stored, loaded.config, read.strategies)) return { status: "ok", detail };
  await recalculateWeights(db, ctx.tenant_id, { config: loaded.config, strategies: read.strategies, performanceVersion: stored.performance_version, now: ctx.now, previous: stored.weights, by: "weights job" }, io);
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

/**
 * rebalanceAllocations {tenant_id, reason} (admin): the portfolio allocation method
 * rebalances now, whatever `allocation.rebalance_frequency` says, and the rebalance is kept
 * in the allocation history and admin_actions with the admin and the reason. Refused under
 * sharpe_tiers, which has no shares to rebalance.
 */
export const rebalanceAllocations = maestroCallable(
  { name: "rebalanceAllocations", request: RebalanceAllocationsRequestSchema, response: RebalanceAllocationsResponseSchema, role: "admin", rateLimit: "write_calls" },
  async ({ db, uid, tenantId, data }) => {
    const io = new IoCount();
    const [stored, loaded, read] = await Promise.all([readStoredWeights(db, tenantId, io), loadMaestroConfig(db, tenantId, io), readStrategies(db, tenantId, io)]);
    if (loaded.config.allocation.method === "sharpe_tiers") {
      throw new HttpsError("failed-precondition", "allocation.method is sharpe_tiers: each strategy is weighted on its own and there are no shares to rebalance");
    }
    const now = new Date();
    const weights = await recalculateWeights(
      db,
      tenantId,
      { config: loaded.config, strategies: read.strategies, performanceVersion: stored.performance_version, now, previous: stored.weights, by: `admin ${uid}`, force: `admin ${uid}: ${data.reason}` },
      io,
    );
    await db.collection(paths.adminActions(tenantId)).add({
      action: "rebalance_allocations",
      tenant_id: tenantId,
      actor_uid: uid,
      at: now.toISOString(),
      reason: data.reason,
      target: paths.weights(tenantId),
      before: stored.weights?.portfolio?.shares ?? null,
      after: weights.portfolio?.shares ?? null,
    });
    logEvent.adminAction({ tenant_id: tenantId, action: "rebalance_allocations", actor_uid: uid, method: loaded.config.allocation.method });
    return {
      tenant_id: tenantId,
      computed_at: weights.computed_at,
      portfolio: weights.portfolio!,
      weights: Object.fromEntries(Object.entries(weights.strategies).map(([id, w]) => [id, w.weight])),
    };
  },
);

/**
 * resetArbitrationLearning {tenant_id, reason} (admin): the arbitration bandit back to its
 * priors, Beta(1, 1) for every factor; the state it replaced, who and why are kept on the
 * state document and in admin_actions.
 */
export const resetArbitrationLearning = maestroCallable(
  { name: "resetArbitrationLearning", request: ResetArbitrationLearningRequestSchema, response: ResetArbitrationLearningResponseSchema, role: "admin", rateLimit: "write_calls" },
  async ({ db, uid, tenantId, data }) => {
    const now = new Date();
    const state = await resetBandit(db, tenantId, uid, data.reason, now);
    await db.collection(paths.adminActions(tenantId)).add({
      action: "reset_arbitration_learning",
      tenant_id: tenantId,
      actor_uid: uid,
      at: now.toISOString(),
      reason: data.reason,
      target: paths.arbitrationState(tenantId),
      after: { version: state.version },
    });
    logEvent.adminAction({ tenant_id: tenantId, action: "reset_arbitration_learning", actor_uid: uid, version: state.version });
    return { tenant_id: tenantId, version: state.version, factors: state.factors };
  },
);
