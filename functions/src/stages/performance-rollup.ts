/**
 * Stage 1 — performance rollup: ledger_trades → strategy_performance/{s}_{YYYY-MM-DD}.
 *
 * FIFO is path dependent (a trade on day D changes the lots every later day closes), so a
 * strategy is always rolled up from its whole ledger; only the documents whose figures
 * changed are written, which makes a repeat run a no-op (computed_at included). Every
 * write bumps `strategy_weights/current.performance_version` in the same batch, which is
 * what marks the tenant's weights stale.
 */
import { FieldValue, type Firestore } from "firebase-admin/firestore";
import { onDocumentWritten } from "firebase-functions/v2/firestore";
import { onSchedule } from "firebase-functions/v2/scheduler";
import { canonicalJson } from "../core/hash-chain";
import { rollupStrategyDays, tradingDayOf, type DailyRollup, type FifoTrade } from "../core/fifo";
import {
  DailyMarksSchema,
  DocIdSchema,
  LedgerTradeSchema,
  parseWithReason,
  StrategySchema,
  TradingDaySchema,
  type StrategyPerformance,
} from "../schemas";
import { IoCount, maestroDb, parseDoc, plainData } from "../store/firestore";
import { paths, triggerPaths } from "../store/paths";
import { scheduleTimeZone } from "../params";
import { loadMaestroConfig } from "../store/config";
import { findUnloggedOrchestrations } from "../store/findings";
import { jsonPublisher } from "../store/pubsub";
import { retryUntilEndCondition } from "../store/retries";
import { TENANT_JOB_TOPIC, fanOutTenantJob, runIdOf, type TenantJob } from "../store/tenant-jobs";
import { logEvent } from "../log-events";

/** Fields Maestro writes on a ledger trade to record that it was rejected. */
export const TRADE_STATUS_FIELDS = ["maestro_status", "maestro_rejection_reason"] as const;

export interface RollupOutcome {
  tenant_id: string;
  strategy_id: string;
  days: number;
  written: number;
  deleted: number;
  unchanged: number;
  rejected_trades: number;
  /** A run that read a newer ledger committed first; this one stored nothing. */
  superseded: boolean;
  io: { reads: number; writes: number };
}

const BATCH_LIMIT = 450;
const MAX_ROLLUP_ATTEMPTS = 10;

/**
 * Rolls one strategy's ledger up into daily performance. `windowStart` limits which days
 * are (re)written, as the nightly recompute does; the FIFO state still comes from the
 * whole ledger.
 *
 * Runs for one strategy may overlap (one trigger per trade, plus the nightly). Each run
 * first registers a request, then reads the ledger, so a run holding a higher request
 * number read a ledger at least as new; its commit supersedes lower ones, and a run
 * whose view of the stored days went stale (someone committed since it read them) reads
 * again. See commitRollup.
 */
export async function rollupStrategyPerformance(
  db: Firestore,
  tenantId: string,
  strategyId: string,
  options: { now?: Date; windowStart?: string } = {},
): Promise<RollupOutcome> {
  const io = new IoCount();
  const now = options.now ?? new Date();
  for (let attempt = 1; attempt <= MAX_ROLLUP_ATTEMPTS; attempt += 1) {
    const claim = await claimRollup(db, tenantId, strategyId, io);
    const plan = await planRollup(db, tenantId, strategyId, now, options.windowStart, io);
    const result = await commitRollup(db, tenantId, strategyId, claim, plan.writes, io);
    if (result === "stale") continue;
    const deleted = result === "committed" ? plan.writes.filter((w) => w.doc === null).length : 0;
    const outcome: RollupOutcome = {
      tenant_id: tenantId,
      strategy_id: strategyId,
      days: plan.days,
      written: result === "committed" ? plan.writes.length - deleted : 0,
      deleted,
      unchanged: plan.unchanged,
      rejected_trades: plan.rejected,
      superseded: result === "superseded",
      io: io.toJSON(),
    };
    logEvent.rollupFinished({ ...outcome });
    return outcome;
  }
  throw new Error(`rollup of ${tenantId}/${strategyId}: newer rollups kept committing first (${MAX_ROLLUP_ATTEMPTS} attempts)`);
}

/** A registered rollup request: its number, and the state of the stored days when it was taken. */
export interface RollupClaim {
  request: number;
  applied: number;
  commits: number;
}

/** Registers a request. The ledger read that follows sees every trade written before it. */
export async function claimRollup(db: Firestore, tenantId: string, strategyId: string, io: IoCount): Promise<RollupClaim> {
  const ref = db.doc(paths.rollupState(tenantId, strategyId));
  await ref.set({ requested: FieldValue.increment(1) }, { merge: true });
  io.write();
  const snap = await ref.get();
  io.read(snap);
  return { request: snap.get("requested") as number, applied: snap.get("applied") ?? 0, commits: snap.get("commits") ?? 0 };
}

/** One day's document to store, or null to delete it. */
export interface PerformanceWrite {
  day: string;
  doc: StrategyPerformance | null;
}

interface RollupPlan {
  days: number;
  writes: PerformanceWrite[];
  unchanged: number;
  rejected: number;
}

/** Reads the strategy, its ledger, the marks and the stored days; works out what changed. */
async function planRollup(
  db: Firestore,
  tenantId: string,
  strategyId: string,
  now: Date,
  windowStart: string | undefined,
  io: IoCount,
): Promise<RollupPlan> {
  const [strategySnap, tradesSnap] = await Promise.all([
    db.doc(paths.strategy(tenantId, strategyId)).get(),
    db.collection(paths.ledgerTrades(tenantId)).where("strategy_id", "==", strategyId).get(),
  ]);
  io.read(strategySnap);
  io.read(tradesSnap);

  const strategy = strategySnap.exists ? parseDoc(StrategySchema, strategySnap) : null;
  const strategyProblem = !strategySnap.exists
    ? `strategy_id: unknown strategy '${strategyId}'`
    : strategy && !strategy.ok
      ? `strategy_id: strategy '${strategyId}' is malformed (${strategy.reason})`
      : null;

  // Validate every trade; a malformed one is marked rejected with its reason and left out.
  const trades: FifoTrade[] = [];
  const statusBatch = db.batch();
  let statusWrites = 0;
  let rejected = 0;
  for (const snap of tradesSnap.docs) {
    const parsed = parseDoc(LedgerTradeSchema, snap);
    const reason = parsed.ok ? strategyProblem : parsed.reason;
    const current = snap.get("maestro_rejection_reason") ?? null;
    if (reason) {
      rejected += 1;
      if (current !== reason) {
        statusBatch.update(snap.ref, { maestro_status: "rejected", maestro_rejection_reason: reason });
        statusWrites += 1;
      }
      continue;
    }
    if (current !== null) {
      statusBatch.update(snap.ref, { maestro_status: FieldValue.delete(), maestro_rejection_reason: FieldValue.delete() });
      statusWrites += 1;
    }
    if (parsed.ok) trades.push({ id: snap.id, ...parsed.value, received_at: snap.createTime.toDate() });
  }
  if (statusWrites > 0) {
    await statusBatch.commit();
    io.write(statusWrites);
    logEvent.tradesRejected({ tenant_id: tenantId, strategy_id: strategyId, rejected });
  }

  const firstDay = trades.length ? trades.map((t) => tradingDayOf(t.executed_at)).sort()[0] : null;
  const marks = firstDay ? await readMarksFrom(db, tenantId, firstDay, io) : new Map();
  const rows = strategy?.ok === true ? rollupStrategyDays(trades, marks, { throughDay: tradingDayOf(now) }) : [];

  const existingSnap = await db.collection(paths.performance(tenantId)).where("strategy_id", "==", strategyId).get();
  io.read(existingSnap);
  const existing = new Map(existingSnap.docs.map((d) => [d.id, plainData(d.data()) as Partial<StrategyPerformance>]));
  const docId = (day: string) => `${strategyId}_${day}`;

  const inWindow = (day: string) => windowStart === undefined || day >= windowStart;
  const writes: PerformanceWrite[] = [];
  let unchanged = 0;
  const keep = new Set<string>();
  for (const row of rows) {
    keep.add(docId(row.trading_day));
    if (!inWindow(row.trading_day)) continue;
    const previous = existing.get(docId(row.trading_day));
    if (previous && sameFigures(previous, row)) {
      unchanged += 1;
      continue;
    }
    writes.push({ day: row.trading_day, doc: performanceDocument(tenantId, strategyId, row, now) });
  }
  for (const [id, doc] of existing) {
    const day = typeof doc.trading_day === "string" ? doc.trading_day : id.slice(strategyId.length + 1);
    if (!keep.has(id) && inWindow(day)) writes.push({ day, doc: null });
  }
  return { days: rows.length, writes, unchanged, rejected };
}

/**
 * Stores a plan unless a newer run got there first. Each chunk is one transaction on the
 * strategy's rollup state: `applied` is the highest request whose plan is stored,
 * `commits` counts commits. A plan whose request is not above `applied` is superseded (a
 * run that read a newer ledger committed); a plan is stale if anything was committed
 * since it read the stored days (its "unchanged" verdicts may be wrong) and is redone.
 * Every commit that changes a day bumps the weights' performance_version in the same
 * transaction, which marks the weights stale.
 */
export async function commitRollup(
  db: Firestore,
  tenantId: string,
  strategyId: string,
  claim: RollupClaim,
  writes: readonly PerformanceWrite[],
  io: IoCount,
): Promise<"committed" | "superseded" | "stale"> {
  const stateRef = db.doc(paths.rollupState(tenantId, strategyId));
  const weightsRef = db.doc(paths.weights(tenantId));
  const chunks: PerformanceWrite[][] = [];
  for (let i = 0; i < writes.length; i += BATCH_LIMIT) chunks.push(writes.slice(i, i + BATCH_LIMIT));
  if (chunks.length === 0) chunks.push([]); // nothing changed: still record the request as applied

  for (const [index, chunk] of chunks.entries()) {
    const result = await db.runTransaction(async (tx) => {
      const state = await tx.get(stateRef);
      io.read(state);
      const applied: number = state.get("applied") ?? 0;
      const commits: number = state.get("commits") ?? 0;
      if (applied > claim.request || (index === 0 && applied === claim.request)) return "superseded" as const;
      if (commits !== claim.commits + index) return "stale" as const;
      for (const w of chunk) {
        const ref = db.doc(paths.performanceDay(tenantId, strategyId, w.day));
        if (w.doc) tx.set(ref, w.doc);
        else tx.delete(ref);
      }
      tx.set(stateRef, { applied: claim.request, commits: commits + 1, applied_at: new Date().toISOString() }, { merge: true });
      if (chunk.length > 0) tx.set(weightsRef, { tenant_id: tenantId, performance_version: FieldValue.increment(1) }, { merge: true });
      io.write(chunk.length + 1 + (chunk.length > 0 ? 1 : 0));
      return "committed" as const;
    });
    if (result !== "committed") return result;
  }
  return "committed";
}

/**
 * The nightly job for one tenant (onTenantJob, job "nightly_rollup"): every strategy's
 * last `lookback_days` rewritten, each strategy on its own — one strategy's failure is
 * recorded in the outcome and the others still run — then the sweep for orchestrations
 * without a log. Strategies run in id order; out of time budget, the job returns the next
 * strategy id to continue from.
 */
export const nightlyRollupJob: TenantJob = async (db, ctx) => {
  const started = Date.now();
  const io = new IoCount();
  const loaded = await loadMaestroConfig(db, ctx.tenant_id, io);
  const windowStart = tradingDayOf(new Date(ctx.now.getTime() - loaded.config.lookback_days * 86_400_000));
  const all = await strategyIdsOf(db, ctx.tenant_id);
  const todo = ctx.cursor === undefined ? all : all.filter((id) => id >= ctx.cursor!);
  const failed: Record<string, string> = {};
  let rolled = 0;
  let written = 0;
  for (const [index, strategyId] of todo.entries()) {
    if (index > 0 && Date.now() - started > ctx.budget_ms) {
      return { status: "ok", detail: { strategies: rolled, written, failed }, continue_with: strategyId };
    }
    try {
      const outcome = await rollupStrategyPerformance(db, ctx.tenant_id, strategyId, { now: ctx.now, windowStart });
      written += outcome.written + outcome.deleted;
      rolled += 1;
    } catch (error) {
      failed[strategyId] = error instanceof Error ? error.message : String(error);
    }
  }
  let sweep: string | number;
  try {
    sweep = (await findUnloggedOrchestrations(db, ctx.tenant_id, ctx.now)).length;
  } catch (error) {
    sweep = `failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  const detail = { strategies: rolled, written, failed, config_rejection: loaded.rejection, unlogged_orchestrations: sweep };
  const failures = Object.entries(failed);
  if (failures.length === 0) return { status: "ok", detail };
  return { status: "failed", reason: `${failures.length} of ${todo.length} strategies failed: ${failures.map(([id, why]) => `${id}: ${why}`).join("; ")}`, detail };
};

/** After a new day's marks: every strategy of the tenant from that day on. */
export async function rollupTenantFromDay(db: Firestore, tenantId: string, day: string, now = new Date()): Promise<RollupOutcome[]> {
  const outcomes: RollupOutcome[] = [];
  for (const strategyId of await strategyIdsOf(db, tenantId)) {
    outcomes.push(await rollupStrategyPerformance(db, tenantId, strategyId, { now, windowStart: day }));
  }
  return outcomes;
}

/**
 * The strategies a ledger write affects: the trade's strategy before and after (a trade
 * moved between strategies changes both). A write that only changed Maestro's own status
 * fields affects none, so marking a trade rejected does not re-trigger the rollup.
 */
export function strategiesAffectedByTradeWrite(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): string[] {
  const strip = (d: Record<string, unknown> | undefined) => {
    if (!d) return undefined;
    const copy = { ...d };
    for (const f of TRADE_STATUS_FIELDS) delete copy[f];
    return canonicalJson(JSON.parse(JSON.stringify(plainData(copy))));
  };
  if (strip(before) === strip(after)) return [];
  const ids = new Set<string>();
  for (const d of [before, after]) {
    const id = d?.strategy_id;
    // An id Firestore cannot address (reserved, '/', '..') names no strategy to re-roll;
    // the trade itself is marked rejected by strategyIdProblem's caller.
    if (DocIdSchema.safeParse(id).success) ids.add(id as string);
  }
  return [...ids];
}

/** Why a written trade's strategy_id cannot name a strategy (checked where it enters), or null. */
export function strategyIdProblem(trade: Record<string, unknown> | undefined): string | null {
  if (!trade) return null;
  const parsed = parseWithReason(LedgerTradeSchema.pick({ strategy_id: true }), { strategy_id: trade.strategy_id });
  return parsed.ok ? null : parsed.reason;
}

async function readMarksFrom(db: Firestore, tenantId: string, firstDay: string, io: IoCount) {
  const snap = await db.collection(paths.dailyMarks(tenantId)).where("__name__", ">=", db.doc(paths.dailyMark(tenantId, firstDay))).get();
  io.read(snap);
  const marks = new Map<string, Record<string, number>>();
  for (const doc of snap.docs) {
    const parsed = parseDoc(DailyMarksSchema, doc);
    if (parsed.ok) marks.set(doc.id, parsed.value.prices);
    else logEvent.marksRejected({ tenant_id: tenantId, day: doc.id, reason: parsed.reason });
  }
  return marks;
}

async function strategyIdsOf(db: Firestore, tenantId: string): Promise<string[]> {
  const snap = await db.collection(paths.strategies(tenantId)).select().get();
  return snap.docs.map((d) => d.id).sort();
}

function performanceDocument(tenantId: string, strategyId: string, row: DailyRollup, now: Date): StrategyPerformance {
  const start = new Date(`${row.trading_day}T00:00:00.000Z`);
  return {
    tenant_id: tenantId,
    strategy_id: strategyId,
    period_start: start.toISOString(),
    period_end: new Date(start.getTime() + 86_400_000).toISOString(),
    ...row,
    computed_at: now.toISOString(),
    source: "ledger_trades_fifo",
  };
}

const FIGURES = ["realized_pnl", "unrealized_pnl", "daily_pnl", "fees", "trade_count"] as const;

function sameFigures(stored: Partial<StrategyPerformance>, row: DailyRollup): boolean {
  return (
    FIGURES.every((f) => stored[f] === row[f]) &&
    stored.source === "ledger_trades_fifo" &&
    canonicalJson(stored.positions ?? {}) === canonicalJson(row.positions)
  );
}

// ---------------------------------------------------------------------------
// Cloud Functions
// ---------------------------------------------------------------------------

/**
 * End condition of the rollup triggers: a write still failing an hour later gives up with
 * a dead letter (the nightly job rolls the strategy up again anyway).
 */
export const MAX_ROLLUP_TRIGGER_AGE_MS = 60 * 60_000;

/** Keeps the affected strategy's days current on every ledger write. */
export const onLedgerTradeWritten = onDocumentWritten(
  { document: triggerPaths.ledgerTrade, retry: true, timeoutSeconds: 120, memory: "512MiB" },
  async (event) => {
    const before = event.data?.before.exists ? event.data.before.data() : undefined;
    const after = event.data?.after.exists ? event.data.after.data() : undefined;
    const db = maestroDb();
    const source = paths.ledgerTrade(event.params.tenantId, event.params.tradeId);
    await retryUntilEndCondition(
      db,
      { id: event.id, time: new Date(event.time), trigger: "onLedgerTradeWritten", source, tenant_id: event.params.tenantId, body: source },
      { max_age_ms: MAX_ROLLUP_TRIGGER_AGE_MS, since: "the write" },
      async () => {
        // An id that names no strategy Firestore can address is rejected here, where it enters.
        const idProblem = strategyIdProblem(after);
        if (idProblem && after?.maestro_rejection_reason !== idProblem) {
          await db.doc(source).update({ maestro_status: "rejected", maestro_rejection_reason: idProblem });
          logEvent.tradesRejected({ tenant_id: event.params.tenantId, trade_id: event.params.tradeId, reason: idProblem });
        }
        for (const strategyId of strategiesAffectedByTradeWrite(before, after)) {
          await rollupStrategyPerformance(db, event.params.tenantId, strategyId);
        }
      },
    );
  },
);

/** A day's closing marks change that day's and later days' unrealized P&L. */
export const onDailyMarksWritten = onDocumentWritten(
  { document: triggerPaths.dailyMarks, retry: true, timeoutSeconds: 300, memory: "512MiB" },
  async (event) => {
    if (!TradingDaySchema.safeParse(event.params.day).success) {
      logEvent.marksRejected({ tenant_id: event.params.tenantId, day: event.params.day, reason: "document id: must be a date written YYYY-MM-DD" });
      return;
    }
    const db = maestroDb();
    const source = paths.dailyMark(event.params.tenantId, event.params.day);
    await retryUntilEndCondition(
      db,
      { id: event.id, time: new Date(event.time), trigger: "onDailyMarksWritten", source, tenant_id: event.params.tenantId, body: source },
      { max_age_ms: MAX_ROLLUP_TRIGGER_AGE_MS, since: "the write" },
      () => rollupTenantFromDay(db, event.params.tenantId, event.params.day),
    );
  },
);

/**
 * Nightly, after the marks are in: one nightly_rollup message per active tenant
 * (nightlyRollupJob runs for each in its own invocation).
 */
export const nightlyPerformanceRollup = onSchedule(
  { schedule: "30 1 * * *", timeZone: scheduleTimeZone, retryCount: 2, timeoutSeconds: 300, memory: "256MiB" },
  async (event) => {
    await fanOutTenantJob(maestroDb(), "nightly_rollup", runIdOf(new Date(event.scheduleTime)), jsonPublisher(TENANT_JOB_TOPIC));
  },
);
