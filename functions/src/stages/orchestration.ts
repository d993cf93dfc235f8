/**
 * Stage 3 — signal orchestration. One use case, two entry points: the Pub/Sub handler of
 * topic `maestro-market-cycle` ({"tenant_id": "..."}) and the callable `orchestrateNow`.
 *
 * Reads: tenant, config, weights, strategies, pending signals (plus the performance
 * documents only when the weights are stale). Writes, in one atomic batch: the
 * orchestration, the inputs its decision used (content-addressed, store/replay.ts; the
 * orchestration's `inputs_ref` names them), one create-only nonce registration per orchestrated signal, each
 * signal's new status, and a paper fill per BUY or SELL of a SHADOW_MODE strategy. Each signal update is conditioned on the update time it was read
 * at, so two cycles racing for the same signal cannot both take it: the loser's batch
 * fails whole and it runs again on what is still pending.
 */
import { FieldValue, type DocumentSnapshot, type Firestore } from "firebase-admin/firestore";
import { onMessagePublished } from "firebase-functions/v2/pubsub";
import { HttpsError } from "firebase-functions/v2/https";
import { issueNonce, newSessionId, sessionIdForEvent } from "../core/identity";
import { decideFromInputs, recordCycleInputs } from "../core/cycle-inputs";
import { seedOf } from "../core/arbitration";
import { CYCLE_INPUTS_FORMAT } from "../schemas/replay";
import { writeRecordedInputs } from "../store/replay";
import {
  LOCK_CODES,
  MarketCycleMessageSchema,
  OrchestrationSchema,
  TenantSchema,
  parseWithReason,
  type DeadLetter,
  type NonceRecord,
  type Orchestration,
  type RejectedSignal,
  type TradingSessionState,
} from "../schemas";
import { orchestrates } from "../core/trading-session";
import { nextSummary } from "../core/session-report";
import { TradingSessionMalformed, pausedReason, sessionForCycle } from "../store/trading-sessions";
import { OrchestrateNowRequestSchema, OrchestrateNowResponseSchema, type OrchestrateNowResponse } from "../schemas/api";
import { assessBuyingPower, equityInput, guardInput, readAccount, readLatestMarks, readPositions, writeReservations } from "../store/account";
import { readBandit } from "../store/arbitration";
import { notExecutableReason } from "../core/nonce-license";
import { paperFillsOf } from "../core/paper";
import { readSignalQueue } from "../store/signals";
import { takeSignals } from "../core/signal-queue";
import { loadMaestroConfig } from "../store/config";
import { metricsDay, updateDailyMetrics } from "../store/metrics";
import { recordNonceFinding } from "../core/cycle-metrics";
import { IoCount, isAlreadyExists, isContention, maestroDb, parseDoc, plainData, storable } from "../store/firestore";
import { paths } from "../store/paths";
import { MARKET_CYCLE_TOPIC } from "../store/pubsub";
import { findUnloggedOrchestrations } from "../store/findings";
import { recordDeadLetter, retryUntilEndCondition, type RetriedEvent } from "../store/retries";
import { cycleMaxInstances } from "../params";
import { logEvent } from "../log-events";
import { maestroCallable } from "./callable";
import { raiseAlertSafely } from "../store/alerts";
import { readStoredWeights, readStrategies, recalculateWeights, weightsAreCurrent } from "../store/weights";

export { MARKET_CYCLE_TOPIC };

const MAX_ATTEMPTS = 4;

/** A request Maestro refuses for good (retrying cannot help); mapped to an HttpsError code. */
export class OrchestrationRefused extends Error {
  constructor(
    readonly code: "not-found" | "failed-precondition" | "invalid-argument",
    message: string,
  ) {
    super(message);
  }
}

/**
 * The tenant's trading session is in a state that orchestrates nothing (INIT, PRE_MARKET,
 * SESSION_OPEN, POST_MARKET, SHUTDOWN, EMERGENCY_STOP): the signals stay pending. A market
 * cycle ends quietly on it; orchestrateNow answers failed-precondition.
 */
export class SessionNotTrading extends OrchestrationRefused {
  constructor(
    readonly day: string,
    readonly state: TradingSessionState,
  ) {
    super(
      "failed-precondition",
      `trading session ${day} is ${state}: signals are orchestrated only in ACTIVE_TRADING (and exits while PAUSED); they stay pending`,
    );
  }
}

export interface OrchestrationRequest {
  tenant_id: string;
  trigger: Orchestration["trigger"];
  requested_by: string | null;
  now?: () => Date;
  /** The nonce source; crypto.randomBytes unless a test needs to force a collision. */
  issueNonce?: () => string;
  /** The instant the trading session's clock is read at: a market cycle's slot; else `now`. */
  clockAt?: Date;
  /**
   * The event this cycle answers (a Pub/Sub message). Its session id is derived from it,
   * so a redelivery finds the orchestration already written and returns it unchanged.
   */
  event?: { id: string; time: Date };
}

export async function orchestrateTenant(db: Firestore, request: OrchestrationRequest): Promise<Orchestration> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await orchestrateOnce(db, request);
    } catch (error) {
      if (!isContention(error)) throw error;
      if (request.event) {
        // The batch creates the orchestration: if this event's already exists, it was delivered before.
        const sessionId = sessionIdForEvent(request.event.time, request.tenant_id, request.event.id);
        const existing = await db.doc(paths.orchestration(request.tenant_id, sessionId)).get();
        if (existing.exists) {
          logEvent.duplicateEventIgnored({ tenant_id: request.tenant_id, session_id: sessionId, event_id: request.event.id });
          return OrchestrationSchema.parse(plainData(existing.data()));
        }
      }
      if (attempt >= MAX_ATTEMPTS) throw error;
      logEvent.orchestrationContention({ tenant_id: request.tenant_id, attempt, error: String(error) });
    }
  }
}

async function orchestrateOnce(db: Firestore, request: OrchestrationRequest): Promise<Orchestration> {
  const clock = request.now ?? (() => new Date());
  const started = Date.now();
  const now = clock();
  const tenantId = request.tenant_id;
  const io = new IoCount();

  const tenantSnap = await db.doc(paths.tenant(tenantId)).get();
  io.read(tenantSnap);
  if (!tenantSnap.exists) throw new OrchestrationRefused("not-found", `tenant_id: unknown tenant '${tenantId}'`);
  const tenant = parseDoc(TenantSchema, tenantSnap);
  if (!tenant.ok) throw new OrchestrationRefused("failed-precondition", `tenant '${tenantId}' is malformed: ${tenant.reason}`);
  if (!tenant.value.active) throw new OrchestrationRefused("failed-precondition", `tenant '${tenantId}' is not active`);

  // The trading session first: a session that orchestrates nothing reads nothing more.
  const loaded = await loadMaestroConfig(db, tenantId, io);
  const { config } = loaded;
  const session = await sessionForCycle(db, tenantId, config, request.clockAt ?? now, now, io).catch((error: unknown) => {
    // A malformed session document trades on nothing until it is mended (fail closed); nothing is lost: the signals stay pending.
    if (error instanceof TradingSessionMalformed) throw new OrchestrationRefused("failed-precondition", error.message);
    throw error;
  });
  if (!orchestrates(session.session.state)) throw new SessionNotTrading(session.session.day, session.session.state);

  const [stored, strategyRead, queue, account, positionsRead, bandit] = await Promise.all([
    readStoredWeights(db, tenantId, io),
    readStrategies(db, tenantId, io),
    readSignalQueue(db, tenantId, io),
    readAccount(db, tenantId, io),
    readPositions(db, tenantId, io),
    // The arbitration's learned factor weights, only where the step runs.
    config.cycle_steps.includes("arbitration") ? readBandit(db, tenantId, io) : Promise.resolve(undefined),

  ]);
  const positions = positionsRead.positions;
  // The held symbols' latest prices for the portfolio's heat, only where that step runs.
  const marks = config.cycle_steps.includes("portfolio_risk")
    ? await readLatestMarks(db, tenantId, new Set(Object.values(positions).flatMap((p) => Object.entries(p).filter(([, q]) => q !== 0).map(([symbol]) => symbol))), now, io)
    : undefined;
  const take = takeSignals(queue.signals);
  const morePending = take.left > 0 || queue.more;
  const signalDocs = take.taken;
  const buyingPower = assessBuyingPower(account, config, now);
  if (loaded.rejection) logEvent.configRejected({ tenant_id: tenantId, reason: loaded.rejection, using: loaded.source });
  const { strategies, malformed } = strategyRead;
  await recordStrategyStatus(db, tenantId, strategyRead.statusChanges, io);

  // Weights computed from older performance, or under another config, are recomputed first.
  const fresh = weightsAreCurrent(stored, config, strategies);
  const weights = fresh
    ? stored.weights!
    : await recalculateWeights(db, tenantId, { config, strategies, performanceVersion: stored.performance_version, now, previous: stored.weights, by: `orchestration cycle (${request.trigger})` }, io);

  // Signals of a malformed strategy are rejected with that strategy's problem named.
  const preRejected: RejectedSignal[] = [...take.rejected];
  const candidates: { id: string; data: unknown }[] = [];
  for (const doc of signalDocs) {
    const data = doc.data as Record<string, unknown>;
    const strategyId = typeof data.strategy_id === "string" ? data.strategy_id : "";
    if (Object.hasOwn(malformed, strategyId)) {
      preRejected.push({ signal_id: doc.id, reason: `strategy_id: strategy '${strategyId}' is malformed (${malformed[strategyId]})` });
    } else {
      candidates.push({ id: doc.id, data });
    }
  }

  const sessionId = request.event ? sessionIdForEvent(request.event.time, tenantId, request.event.id) : newSessionId(now);
  const equity = equityInput(account, buyingPower);
  // Everything the decision uses, recorded (issue 13: replay); the cycle decides from the
  // record as it will be stored, so a replay sees exactly what the decision saw.
  const recorded = recordCycleInputs(
    storable({
      format: CYCLE_INPUTS_FORMAT,
      tenant_id: tenantId,
      session_id: sessionId,
      now: now.toISOString(),
      trading_day: session.session.day,
      config,
      strategies,
      weights: weights.strategies,
      signals: candidates,
      pre_rejected: preRejected,
      positions,
      correlated_pairs: (weights.correlated_pairs ?? []).map(({ a, b, rho }) => ({ a, b, rho })),
      marks: marks ?? null,
      bandit: bandit ?? null,
      arbitration_seed: seedOf(sessionId),
      equity,
      buying_power: guardInput(buyingPower),
      session: {
        state: session.session.state,
        paused_reason: pausedReason(session.session),
        risk: session.session.risk,
        closed_trades: positionsRead.closedTrades.filter((c) => c.day === session.session.day),
        trading_since: session.session.trading_since,
        closes_at: session.session.closes_at,
        equity_as_of: equity.as_of,
        ...(Object.keys(session.session.agents.holds).length ? { agent_holds: Object.fromEntries(Object.entries(session.session.agents.holds).map(([s, h]) => [s, h.reason])) } : {}),
      },
    }),
  );
  const { cycle, decision } = decideFromInputs(recorded.record, request.issueNonce ?? (() => issueNonce()));
  const sessionOutcome = cycle.session!;
  const rejected = decision.rejected_signals;

  // The nonce licenses its trade until expiresAt; an approved BUY's notional stays reserved
  // until its fill is in a later snapshot or the nonce expires unredeemed (core/reservations.ts).
  const expiresAt = new Date(now.getTime() + config.nonce_ttl_seconds * 1000);
  const reserving = "capped" in buyingPower.verdict && buyingPower.verdict.capped;
  const reservations = reserving
    ? cycle.signals
        .filter((x) => x.executable && x.nonce !== null && x.action === "BUY" && (x.notional ?? 0) > 0)
        .map((x) => ({ nonce: x.nonce!, signal_id: x.signal_id, session_id: sessionId, notional: x.notional! }))
    : [];
  const reservedNonces = new Set(reservations.map((r) => r.nonce));

  // SHADOW_MODE trades on paper: each of its BUYs and SELLs becomes a paper fill (core/paper.ts).
  const referencePrices = new Map<string, number>();
  for (const c of candidates) {
    const price = (c.data as Record<string, unknown>).reference_price;
    if (typeof price === "number") referencePrices.set(c.id, price);
  }
  const paperFills = paperFillsOf({ signals: cycle.signals, reference_prices: referencePrices, strategies, session_id: sessionId, now });

  const batch = db.batch();
  const inputs = writeRecordedInputs(batch, db, tenantId, recorded, now);
  const reservationWrites = writeReservations(batch, buyingPower, reservations, sessionId, now, expiresAt);
  for (const [id, fill] of paperFills) batch.create(db.doc(paths.paperTrade(tenantId, id)), fill);
  // The session's equity marks, locks, order counts and SESSION_STATE, conditioned on the
  // session as this cycle read it: an admin's pause in between fails the batch, and the
  // cycle runs again on the paused session.
  const sessionSummary = nextSummary(session.session.summary, {
    risk: sessionOutcome.risk,
    config: config.risk,
    positions,
    signals: cycle.signals,
    alerts: sessionOutcome.alerts,
    loss: sessionOutcome.loss,
  });
  batch.update(session.ref, { risk: sessionOutcome.risk, summary: sessionSummary, updated_at: now.toISOString() }, { lastUpdateTime: session.snap.updateTime! });
  for (const finding of sessionOutcome.findings) {
    batch.set(
      db.doc(paths.finding(tenantId, `${finding.code.toLowerCase()}_${session.session.day}`)),
      { kind: "equity_data_quality", code: finding.code, tenant_id: tenantId, day: session.session.day, message: finding.message, last_seen_at: now.toISOString(), count: FieldValue.increment(1) },
      { merge: true },
    );
  }
  const batchWrites =
    2 + inputs.writes + cycle.signals.length + cycle.signals.filter((x) => x.nonce !== null).length + rejected.length + reservationWrites + paperFills.size + sessionOutcome.findings.length;
  io.write(batchWrites);
  const orchestration: Orchestration = storable({
    tenant_id: tenantId,
    session_id: sessionId,
    trigger: request.trigger,
    requested_by: request.requested_by,
    ...decision,
    inputs: {
      config: storable(config) as Record<string, unknown>,
      config_source: loaded.source,
      config_rejection: loaded.rejection,
      weights_computed_at: weights.computed_at,
      weights_recomputed: !fresh,
      signal_ids: [...take.rejected.map((r) => r.signal_id), ...signalDocs.map((d) => d.id)].sort(),
      more_pending: morePending,
    },
    inputs_ref: inputs.ref,
    io: io.toJSON(),
    latency_ms: Date.now() - started,
    log: { state: "PENDING", log_id: null, attempts: 0, error: null, updated_at: now.toISOString() },
  });

  const snapById = new Map<string, DocumentSnapshot>(queue.signals.map((d) => [d.id, d.snap]));
  batch.create(db.doc(paths.orchestration(tenantId, sessionId)), orchestration);
  for (const signal of cycle.signals) {
    const snap = snapById.get(signal.signal_id)!;
    batch.update(
      snap.ref,
      { status: "orchestrated", session_id: sessionId, nonce: signal.nonce, orchestrated_at: orchestration.timestamp },
      { lastUpdateTime: snap.updateTime! },
    );
    // Identity was stamped last, only on executable signals: only they hold a licence.
    if (signal.nonce === null) continue;
    const license: NonceRecord = {
      session_id: sessionId,
      signal_id: signal.signal_id,
      agent_id: signal.agent_id,
      strategy_id: signal.strategy_id,
      action: signal.action,
      ticker: signal.ticker,
      allocation: signal.allocation,
      notional: signal.executable && signal.notional !== undefined ? signal.notional : null,
      executable: signal.executable,
      not_executable_reason: notExecutableReason(signal),
      reserved: reservedNonces.has(signal.nonce),
      issued_at: signal.identity_timestamp,
      expires_at: expiresAt.toISOString(),
      redeemed_at: null,
      redeemed_by: null,
      revoked_at: null,
      revoked_reason: null,
    };
    batch.create(db.doc(paths.nonce(tenantId, signal.nonce)), storable(license));
    // The winner of an arbitration waits for its trade's outcome, which the bandit learns from (store/arbitration.ts).
    if (signal.arbitration?.won && signal.executable) {
      batch.create(
        db.doc(paths.arbitration(tenantId, signal.nonce)),
        storable({
          tenant_id: tenantId,
          nonce: signal.nonce,
          session_id: sessionId,
          signal_id: signal.signal_id,
          strategy_id: signal.strategy_id,
          ticker: signal.ticker,
          action: signal.action,
          votes: signal.arbitration.votes,
          bandit_version: signal.arbitration.bandit_version,
          contenders: signal.arbitration.contenders,
          at: orchestration.timestamp,
          status: "awaiting_outcome",
        }),
      );
    }
  }
  for (const r of rejected) {
    const snap = snapById.get(r.signal_id)!;
    batch.update(
      snap.ref,
      { status: "rejected", session_id: sessionId, rejection_reason: r.reason, rejected_at: orchestration.timestamp },
      { lastUpdateTime: snap.updateTime! },
    );
  }
  try {
    await batch.commit();
  } catch (error) {
    if (isAlreadyExists(error)) await recordNonceCollisions(db, tenantId, cycle.signals.flatMap((x) => (x.nonce === null ? [] : [x.nonce])));
    throw error;
  }

  const fields = { tenant_id: tenantId, session_id: sessionId, trigger: request.trigger };
  if (rejected.length) logEvent.signalsRejected({ ...fields, rejected });
  if (cycle.systemic_risk.detected) logEvent.systemicRiskDetected({ ...fields, details: cycle.systemic_risk.details });
  for (const alert of sessionOutcome.alerts) {
    logEvent.tradingSessionAlert({ ...fields, day: session.session.day, ...alert });
    // A new risk lock is an alert to the desk (after the commit: the decision stands whatever happens to it).
    if ((LOCK_CODES as readonly string[]).includes(alert.code)) {
      await raiseAlertSafely(db, tenantId, { id: `lock_${alert.code}_${session.session.day}_${alert.at}`, severity: "warning", code: alert.code, title: "Risk lock", message: alert.message, at: alert.at });
    }
  }
  logEvent.orchestrationFinished({
    ...fields,
    signals: cycle.signals.length,
    rejected: rejected.length,
    latency_ms: orchestration.latency_ms,
    io: orchestration.io,
    weights_recomputed: !fresh,
    more_pending: morePending,
  });
  return orchestration;
}

/**
 * A create() in the cycle's batch found its document taken. If it was one of this cycle's
 * nonces, that is a nonce collision: it is never reused (the cycle runs again with new
 * nonces), and it is counted (it should be zero). Other ALREADY_EXISTS causes — a
 * redelivered event's orchestration, a racing cycle's reservation — are not collisions.
 */
async function recordNonceCollisions(db: Firestore, tenantId: string, nonces: readonly string[]): Promise<void> {
  if (nonces.length === 0) return;
  const taken = (await db.getAll(...nonces.map((n) => db.doc(paths.nonce(tenantId, n))))).filter((snap) => snap.exists);
  if (taken.length === 0) return;
  const at = new Date().toISOString();
  logEvent.nonceCollision({ tenant_id: tenantId, nonces: taken.map((snap) => snap.id) });
  await updateDailyMetrics(db, tenantId, metricsDay(at), (m) => taken.reduce((acc) => recordNonceFinding(acc, "collision", at), m));
}

/** A malformed strategy is marked rejected with its reason; a mended one has the mark cleared. */
async function recordStrategyStatus(db: Firestore, tenantId: string, changes: Record<string, string | null>, io: IoCount) {
  const ids = Object.keys(changes);
  if (ids.length === 0) return;
  const batch = db.batch();
  for (const id of ids) {
    const reason = changes[id];
    batch.update(
      db.doc(paths.strategy(tenantId, id)),
      reason === null
        ? { maestro_status: FieldValue.delete(), maestro_rejection_reason: FieldValue.delete() }
        : { maestro_status: "rejected", maestro_rejection_reason: reason },
    );
    if (reason !== null) logEvent.strategyRejected({ tenant_id: tenantId, strategy_id: id, reason });
  }
  await batch.commit();
  io.write(ids.length);
}

export function toResponse(o: Orchestration): OrchestrateNowResponse {
  return {
    session_id: o.session_id,
    signals: o.signals,
    allocation_decisions: o.allocation_decisions,
    systemic_risk: o.systemic_risk,
    rejected_signals: o.rejected_signals,
    buying_power: o.buying_power,
    more_pending: o.inputs.more_pending,
    latency_ms: o.latency_ms,
  };
}

// ---------------------------------------------------------------------------
// Cloud Functions
// ---------------------------------------------------------------------------

/** Client apps run a cycle on demand: traders and admins of the tenant, rate-limited per user. */
export const orchestrateNow = maestroCallable(
  {
    name: "orchestrateNow",
    request: OrchestrateNowRequestSchema,
    response: OrchestrateNowResponseSchema,
    role: "trader",
    rateLimit: "orchestrate_now",
  },
  async ({ db, uid, tenantId }) => {
    try {
      return toResponse(await orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: uid }));
    } catch (error) {
      if (error instanceof OrchestrationRefused) throw new HttpsError(error.code, error.message);
      if (isContention(error)) throw new HttpsError("aborted", "another cycle is orchestrating this tenant; try again");
      throw error;
    }
  },
);

// ---------------------------------------------------------------------------
// One tenant's cycle from the market-cycle topic (the fan-out's messages: stages/market-cycles.ts)
// ---------------------------------------------------------------------------

export const MAX_CYCLE_AGE_MS = 5 * 60_000;
export const MAX_CYCLE_ATTEMPTS = 5;

export interface CycleEvent {
  id: string;
  /** Publish time of the message. */
  time: Date;
  /** The message body as text (undefined when it is not valid text). */
  text: string | undefined;
}

export type CycleOutcome =
  | { outcome: "orchestrated"; session_id: string }
  /** The trading session orchestrates nothing now (its clock moves, if due, were still made). */
  | { outcome: "session_idle"; day: string; state: TradingSessionState }
  | { outcome: "dead_lettered"; reason: string; kind: DeadLetter["kind"] };

export async function handleMarketCycle(
  db: Firestore,
  event: CycleEvent,
  options: { now?: () => Date; orchestrate?: (db: Firestore, request: OrchestrationRequest) => Promise<{ session_id: string }> } = {},
): Promise<CycleOutcome> {
  const clock = options.now ?? (() => new Date());
  const orchestrate = options.orchestrate ?? orchestrateTenant;
  const retried: RetriedEvent = { id: event.id, time: event.time, trigger: "onMarketCycle", source: MARKET_CYCLE_TOPIC, tenant_id: null, body: event.text ?? "(not text)" };
  let body: unknown;
  try {
    body = event.text === undefined ? undefined : JSON.parse(event.text);
  } catch {
    return recordDeadLetter(db, retried, "permanent", "body: is not JSON", 1, clock());
  }
  const message = parseWithReason(MarketCycleMessageSchema, body);
  if (!message.ok) return recordDeadLetter(db, retried, "permanent", message.reason, 1, clock());
  const { tenant_id: tenantId, slot } = message.value;
  retried.tenant_id = tenantId;

  const run = await retryUntilEndCondition(
    db,
    retried,
    { max_age_ms: MAX_CYCLE_AGE_MS, max_attempts: MAX_CYCLE_ATTEMPTS, since: "publication" },
    async (): Promise<{ session_id: string } | SessionNotTrading> => {
      try {
        return await orchestrate(db, {
          tenant_id: tenantId,
          trigger: "market_cycle",
          requested_by: null,
          // The slot names the scheduled cycle and is the instant its trading-session clock is read at.
          event: slot ? { id: `slot:${slot}`, time: new Date(slot) } : { id: event.id, time: event.time },
          ...(slot ? { clockAt: new Date(slot) } : {}),
        });
      } catch (error) {
        // Not a failure: the session orchestrates nothing now (a closed venue, a stop).
        if (error instanceof SessionNotTrading) return error;
        throw error;
      }
    },
    {
      now: clock,
      attemptsPath: paths.cycleAttempts(event.id),
      permanent: (error) => (error instanceof OrchestrationRefused ? error.message : null),
    },
  );
  if (run.outcome === "dead_lettered") return run;
  if (run.value instanceof SessionNotTrading) return { outcome: "session_idle", day: run.value.day, state: run.value.state };
  // The sweep for this tenant's orchestrations without a log (moved out of the fan-out).
  // The cycle is done: a failed sweep is logged, never a reason to run the cycle again.
  await findUnloggedOrchestrations(db, tenantId, clock()).catch((error: unknown) =>
    logEvent.cycleSweepFailed({ tenant_id: tenantId, event_id: event.id, error: error instanceof Error ? error.message : String(error) }),
  );
  return { outcome: "orchestrated", session_id: run.value.session_id };
}

function messageText(data: string | undefined): string | undefined {
  if (data === undefined) return undefined;
  return Buffer.from(data, "base64").toString("utf8");
}

export const onMarketCycle = onMessagePublished(
  // One tenant's cycle from the market-cycle topic (the fan-out's messages: stages/market-cycles.ts) per instance (concurrency 1); the chain scales by instances.
  { topic: MARKET_CYCLE_TOPIC, retry: true, maxInstances: cycleMaxInstances, concurrency: 1, timeoutSeconds: 120, memory: "512MiB" },
  async (event) => {
    const message = event.data.message;
    await handleMarketCycle(maestroDb(), {
      id: message.messageId || event.id,
      time: new Date(message.publishTime || event.time),
      text: messageText(message.data),
    });
  },
);
