/**
 * Stage 1 — performance rollup: ledger_trades → strategy_performance/{s}_{YYYY-MM-DD}.
 *
 * Incremental and exact (issue 9). Each stored day keeps its open FIFO lots at the close
 * (`open_lots`), so a write on day D re-rolls from the stored day before D: it reads that
 * checkpoint, the trades and marks after it and the stored days after it, never the
 * whole history, and gets exactly what a roll of the whole ledger gets (core/fifo.ts).
 *
 * Writes do not roll: they mark the strategy dirty (store/rollup-state.ts) and one runner
 * per strategy rolls everything dirty in one pass, so a burst of a thousand fills is
 * rolled a handful of times, not a thousand. Only the days whose figures changed are
 * written, which makes a repeat run a no-op (computed_at included). Every commit that
 * changes a day bumps `strategy_weights/current.performance_version` in the same
 * transaction, which marks the tenant's weights stale.
 *
 * Days are the venue's (`market_hours.time_zone`): a fill at 8 pm in New York belongs to
 * that New York day.
 */
import { FieldPath, FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import { onDocumentCreated, onDocumentWritten } from "firebase-functions/v2/firestore";
import { onSchedule } from "firebase-functions/v2/scheduler";
import { canonicalJson } from "../core/hash-chain";
import { rollupStrategyDays, tradingDayOf, type DailyRollup, type FifoCheckpoint, type FifoTrade } from "../core/fifo";
import { nextDay, venueDayStart } from "../core/market-hours";
import { priceAwaitingFill } from "../core/paper";
import {
  DailyMarksSchema,
  DocIdSchema,
  LedgerTradeSchema,
  PaperTradeSchema,
  StrategyPerformanceSchema,
  parseWithReason,
  StrategySchema,
  TradingDaySchema,
  type StrategyPerformance,
} from "../schemas";
import { IoCount, maestroDb, parseDoc, plainData } from "../store/firestore";
import { LEDGERS, paths, triggerPaths, type LedgerKind, type LedgerPaths } from "../store/paths";
import { scheduleTimeZone } from "../params";
import { loadMaestroConfig } from "../store/config";
import { findUnloggedOrchestrations } from "../store/findings";
import { claimRollupRun, finishRun, holdsRollupRun, markRollupDirty, ROLLUP_LEASE_MS } from "../store/rollup-state";
import { jsonPublisher } from "../store/pubsub";
import { retryUntilEndCondition } from "../store/retries";
import { TENANT_JOB_TOPIC, fanOutTenantJob, runIdOf, type TenantJob } from "../store/tenant-jobs";
import { logEvent } from "../log-events";

/** Fields Maestro writes on a ledger trade to record that it was rejected. */
export const TRADE_STATUS_FIELDS = ["maestro_status", "maestro_rejection_reason"] as const;

/** The beginning of time, for "roll the whole ledger". */
export const WHOLE_LEDGER = new Date(0);

export interface RollupOutcome {
  tenant_id: string;
  strategy_id: string;
  /** Passes made: one per claim that found work. */
  passes: number;
  /** Days computed (the days after each pass's checkpoint). */
  days: number;
  written: number;
  deleted: number;
  unchanged: number;
  /** Trades read (the days after each checkpoint), and those rejected among them. */
  trades_read: number;
  rejected_trades: number;
  /** Another runner holds the strategy and will roll what this one was asked to. */
  busy: boolean;
  /** Out of time with work left: a new runner was scheduled. */
  rescheduled: boolean;
  io: { reads: number; writes: number };
}

const BATCH_LIMIT = 450;

export interface RunOptions {
  /** Which ledger to roll: the real fills (default) or the paper fills of SHADOW_MODE. */
  ledger?: LedgerKind;
  now?: () => Date;
  /** Time this runner may spend before it hands what is left to a new runner. */
  budgetMs?: number;
}

/**
 * Runs rollup passes for one strategy as runner `runId` until nothing is dirty (or the
 * budget is spent, then a new runner is scheduled). Each pass claims every dirty instant,
 * rolls from the stored day before the earliest one, and commits.
 */
export async function runRollups(db: Firestore, tenantId: string, strategyId: string, runId: string, options: RunOptions = {}): Promise<RollupOutcome> {
  const io = new IoCount();
  const ledger = options.ledger ?? "real";
  const clock = options.now ?? (() => new Date());
  const budgetMs = options.budgetMs ?? ROLLUP_LEASE_MS / 2;
  const started = Date.now();
  const outcome: RollupOutcome = {
    tenant_id: tenantId, strategy_id: strategyId, passes: 0, days: 0, written: 0, deleted: 0, unchanged: 0,
    trades_read: 0, rejected_trades: 0, busy: false, rescheduled: false, io: { reads: 0, writes: 0 },
  };
  for (;;) {
    const claim = await claimRollupRun(db, tenantId, strategyId, runId, io, clock(), ledger);
    if (claim.kind === "busy") {
      outcome.busy = true;
      break;
    }
    if (claim.kind === "idle") break;
    outcome.passes += 1;
    const passStart = io.reads - 1; // the claim's read
    const plan = await planRollup(db, LEDGERS[ledger], tenantId, strategyId, claim.from, clock(), io);
    const outOfTime = Date.now() - started > budgetMs;
    const positions = ledger === "real" ? { positions: plan.positions, as_of_day: plan.as_of_day, closed_trades: plan.closed_trades } : undefined;
    const result = await commitRollup(db, tenantId, strategyId, runId, plan.writes, outOfTime, io, clock(), () => io.reads - passStart, ledger, positions);
    if (result.lost) break; // another runner took the lease over; it re-rolls this range
    const deleted = plan.writes.filter((w) => w.doc === null).length;
    outcome.days += plan.days;
    outcome.written += plan.writes.length - deleted;
    outcome.deleted += deleted;
    outcome.unchanged += plan.unchanged;
    outcome.trades_read += plan.trades_read;
    outcome.rejected_trades += plan.rejected;
    if (!result.more) break;
    if (outOfTime) {
      outcome.rescheduled = true;
      break;
    }
  }
  outcome.io = io.toJSON();
  logEvent.rollupFinished({ ...outcome, ledger, run_id: runId });
  return outcome;
}

/**
 * Rolls one strategy now, inline: marks it dirty from `from` (default: the whole ledger)
 * and runs the passes here. The nightly job, the seeding tool and the tests use it; the
 * triggers schedule a runner instead.
 */
export async function rollupStrategyPerformance(
  db: Firestore,
  tenantId: string,
  strategyId: string,
  options: { now?: Date; from?: Date; runId?: string; budgetMs?: number; ledger?: LedgerKind } = {},
): Promise<RollupOutcome> {
  const io = new IoCount();
  await markRollupDirty(db, tenantId, strategyId, options.from ?? WHOLE_LEDGER, io, { schedule: false, now: options.now, ledger: options.ledger });
  const runId = options.runId ?? `inline_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 10)}`;
  const now = options.now;
  const outcome = await runRollups(db, tenantId, strategyId, runId, { now: now ? () => now : undefined, budgetMs: options.budgetMs, ledger: options.ledger });
  outcome.io = { reads: outcome.io.reads + io.reads, writes: outcome.io.writes + io.writes };
  return outcome;
}

/** One day's document to store, or null to delete it. */
export interface PerformanceWrite {
  day: string;
  doc: StrategyPerformance | null;
}

/** Closing fills kept per strategy on positions/current: enough for any losses-in-a-row limit, small enough for one document. */
const MAX_CLOSED_TRADES = 100;

interface RollupPlan {
  /** The strategy's open quantity per symbol after the last day (signed), for the cycle's entries and exits. */
  positions: Record<string, number>;
  as_of_day: string | null;
  /** The closing fills of the last day (what each realized, net of its fee), for the session's losses in a row. */
  closed_trades: { at: string; pnl: number }[];
  days: number;
  writes: PerformanceWrite[];
  unchanged: number;
  trades_read: number;
  rejected: number;
}

/**
 * One pass: the checkpoint (the last stored day before `from`'s venue day), the trades,
 * marks and stored days after it; works out what changed. Without a usable checkpoint
 * (none before, one stored before checkpoints existed, or a strategy that cannot be
 * rolled) the pass reads the whole ledger.
 */
async function planRollup(db: Firestore, ledger: LedgerPaths, tenantId: string, strategyId: string, from: Date, now: Date, io: IoCount): Promise<RollupPlan> {
  const [loaded, strategySnap] = await Promise.all([loadMaestroConfig(db, tenantId, io), db.doc(paths.strategy(tenantId, strategyId)).get()]);
  io.read(strategySnap);
  const timeZone = loaded.config.market_hours.time_zone;
  const strategy = strategySnap.exists ? parseDoc(StrategySchema, strategySnap) : null;
  const strategyProblem = !strategySnap.exists
    ? `strategy_id: unknown strategy '${strategyId}'`
    : strategy && !strategy.ok
      ? `strategy_id: strategy '${strategyId}' is malformed (${strategy.reason})`
      : null;

  const fromDay = tradingDayOf(from, timeZone);
  const checkpoint = strategyProblem ? null : await checkpointBefore(db, ledger, tenantId, strategyId, fromDay, io);
  const afterDay = checkpoint ? nextDay(checkpoint.trading_day) : null;

  let tradesQuery = db.collection(ledger.trades(tenantId)).where("strategy_id", "==", strategyId);
  if (afterDay) tradesQuery = tradesQuery.where("executed_at", ">=", Timestamp.fromDate(venueDayStart(afterDay, timeZone)));
  let storedQuery = db.collection(ledger.performance(tenantId)).where("strategy_id", "==", strategyId);
  if (afterDay) storedQuery = storedQuery.where("trading_day", ">=", afterDay);
  const [tradesSnap, existingSnap, marks] = await Promise.all([
    tradesQuery.get(),
    storedQuery.get(),
    readMarksFrom(db, tenantId, afterDay, io),
  ]);
  io.read(tradesSnap);
  io.read(existingSnap);

  // Validate every trade read; a malformed one is marked rejected with its reason and left out.
  const trades: FifoTrade[] = [];
  const statusBatch = db.batch();
  let statusWrites = 0;
  let rejected = 0;
  for (const snap of tradesSnap.docs) {
    // A paper fill waiting for the next mark has no price yet: not a fill, not an error.
    if (ledger.kind === "paper" && snap.get("status") === "awaiting_mark") continue;
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

  const throughDay = tradingDayOf(now, timeZone);
  const closings: { day: string; at: string; pnl: number }[] = [];
  const rows = strategyProblem
    ? []
    : rollupStrategyDays(trades, marks, {
        throughDay,
        timeZone,
        ...(checkpoint ? { from: checkpoint } : {}),
        onClosingFill: (c) => closings.push({ day: c.day, at: c.executed_at.toISOString(), pnl: c.pnl }),
      });

  const existing = new Map(existingSnap.docs.map((d) => [d.id, plainData(d.data()) as Partial<StrategyPerformance>]));
  const docId = (day: string) => `${strategyId}_${day}`;
  const writes: PerformanceWrite[] = [];
  let unchanged = 0;
  const keep = new Set<string>();
  for (const row of rows) {
    keep.add(docId(row.trading_day));
    const previous = existing.get(docId(row.trading_day));
    if (previous && sameFigures(ledger, previous, row)) {
      unchanged += 1;
      continue;
    }
    writes.push({ day: row.trading_day, doc: performanceDocument(ledger, tenantId, strategyId, row, now, timeZone) });
  }
  for (const [id, doc] of existing) {
    const day = typeof doc.trading_day === "string" ? doc.trading_day : id.slice(strategyId.length + 1);
    if (!keep.has(id)) writes.push({ day, doc: null });
  }
  writes.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  const last = rows.length ? rows[rows.length - 1] : checkpoint;
  const positions = Object.fromEntries(Object.entries(last?.positions ?? {}).map(([symbol, p]) => [symbol, p.quantity]));
  const asOfDay = last?.trading_day ?? null;
  // The last day's closing fills, at most the latest MAX_CLOSED_TRADES (losses in a row need only the tail).
  const closedTrades = closings.filter((c) => c.day === asOfDay).slice(-MAX_CLOSED_TRADES).map(({ at, pnl }) => ({ at, pnl }));
  return { positions, as_of_day: asOfDay, closed_trades: closedTrades, days: rows.length, writes, unchanged, trades_read: tradesSnap.size, rejected };
}

/**
 * The last stored day before `day`, if it carries its open lots and parses: where a pass
 * resumes. One query, one read.
 */
async function checkpointBefore(db: Firestore, ledger: LedgerPaths, tenantId: string, strategyId: string, day: string, io: IoCount): Promise<FifoCheckpoint | null> {
  const snap = await db
    .collection(ledger.performance(tenantId))
    .where("strategy_id", "==", strategyId)
    .where("trading_day", "<", day)
    .orderBy("trading_day", "desc")
    .limit(1)
    .get();
  io.read(snap);
  if (snap.empty) return null;
  const parsed = parseDoc(StrategyPerformanceSchema, snap.docs[0]);
  if (!parsed.ok || parsed.value.open_lots === undefined) return null; // re-roll the whole ledger
  return { trading_day: parsed.value.trading_day, unrealized_pnl: parsed.value.unrealized_pnl, positions: parsed.value.positions, open_lots: parsed.value.open_lots };
}

/**
 * Stores a pass's writes if run `runId` still holds the strategy, in chunks of one
 * transaction each, oldest day first (a run that dies midway leaves a prefix, which its
 * successor re-rolls anyway). The last chunk ends the pass (finishRunUpdate): `more` says
 * whether writes arrived meanwhile. Every chunk that changes a day bumps the weights'
 * performance_version.
 */
export async function commitRollup(
  db: Firestore,
  tenantId: string,
  strategyId: string,
  runId: string,
  writes: readonly PerformanceWrite[],
  outOfTime: boolean,
  io: IoCount,
  now = new Date(),
  passReads: () => number = () => 0,
  ledger: LedgerKind = "real",
  positions?: { positions: Record<string, number>; as_of_day: string | null; closed_trades: { at: string; pnl: number }[] },
): Promise<{ lost: boolean; more: boolean }> {
  const stateRef = db.doc(LEDGERS[ledger].state(tenantId, strategyId));
  const weightsRef = db.doc(paths.weights(tenantId));
  const chunks: PerformanceWrite[][] = [];
  for (let i = 0; i < writes.length; i += BATCH_LIMIT) chunks.push(writes.slice(i, i + BATCH_LIMIT));
  if (chunks.length === 0) chunks.push([]); // nothing changed: still end the pass

  let more = false;
  for (const [index, chunk] of chunks.entries()) {
    const last = index === chunks.length - 1;
    const held = await db.runTransaction(async (tx) => {
      const state = await holdsRollupRun(tx, db, tenantId, strategyId, runId, io, ledger);
      if (!state) return false;
      for (const w of chunk) {
        const ref = db.doc(LEDGERS[ledger].performanceDay(tenantId, strategyId, w.day));
        if (w.doc) tx.set(ref, w.doc);
        else tx.delete(ref);
      }
      if (last) {
        more = state.dirty_from !== null;
        if (positions) {
          // Replaces this strategy's entry whole (a closed symbol disappears); other strategies' untouched.
          tx.set(
            db.doc(paths.positions(tenantId)),
            { tenant_id: tenantId, strategies: { [strategyId]: { ...positions, updated_at: now.toISOString() } } },
            { mergeFields: ["tenant_id", new FieldPath("strategies", strategyId)] },
          );
          io.write();
        }
        tx.set(stateRef, finishRun(tx, db, { tenantId, strategyId, ledger }, state, runId, outOfTime, now, passReads()), { merge: true });
      } else {
        tx.set(stateRef, { run: { id: runId, from: state.run!.from, lease_until: new Date(now.getTime() + ROLLUP_LEASE_MS) } }, { merge: true });
      }
      if (chunk.length > 0) tx.set(weightsRef, { tenant_id: tenantId, performance_version: FieldValue.increment(1) }, { merge: true });
      io.write(chunk.length + 1 + (chunk.length > 0 ? 1 : 0));
      return true;
    });
    if (!held) return { lost: true, more: false };
  }
  return { lost: false, more };
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
  // The last lookback_days re-rolled from the checkpoint before them: a safety net for a lost trigger.
  const windowStart = new Date(ctx.now.getTime() - loaded.config.lookback_days * 86_400_000);
  const all = await strategyIdsOf(db, ctx.tenant_id);
  const paper = new Set(await paperStrategyIdsOf(db, ctx.tenant_id));
  const todo = ctx.cursor === undefined ? all : all.filter((id) => id >= ctx.cursor!);
  const failed: Record<string, string> = {};
  let rolled = 0;
  let written = 0;
  for (const [index, strategyId] of todo.entries()) {
    if (index > 0 && Date.now() - started > ctx.budget_ms) {
      return { status: "ok", detail: { strategies: rolled, written, failed }, continue_with: strategyId };
    }
    try {
      const outcome = await rollupStrategyPerformance(db, ctx.tenant_id, strategyId, { now: ctx.now, from: windowStart, runId: `nightly_${ctx.run_id}_${strategyId}` });
      written += outcome.written + outcome.deleted;
      if (paper.has(strategyId)) {
        const onPaper = await rollupStrategyPerformance(db, ctx.tenant_id, strategyId, { now: ctx.now, from: windowStart, runId: `nightly_${ctx.run_id}_${strategyId}_paper`, ledger: "paper" });
        written += onPaper.written + onPaper.deleted;
      }
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

/**
 * After a day's marks are written: every strategy of the tenant is dirty from that venue
 * day on (each on its own: one strategy's failure does not stop the others; the failures
 * are thrown together at the end, so the trigger is retried).
 */
export async function markTenantDirtyFromDay(db: Firestore, tenantId: string, day: string, now = new Date()): Promise<number> {
  const io = new IoCount();
  const loaded = await loadMaestroConfig(db, tenantId, io);
  const timeZone = loaded.config.market_hours.time_zone;
  const from = venueDayStart(day, timeZone);
  const failures: string[] = [];
  const [ids, paperIds] = await Promise.all([strategyIdsOf(db, tenantId), paperStrategyIdsOf(db, tenantId)]);
  const marking = [
    ...ids.map((strategyId) => ({ strategyId, ledger: "real" as const })),
    ...paperIds.map((strategyId) => ({ strategyId, ledger: "paper" as const })),
  ];
  await Promise.all(
    marking.map(async ({ strategyId, ledger }) => {
      try {
        await markRollupDirty(db, tenantId, strategyId, from, io, { now, ledger });
      } catch (error) {
        failures.push(`${strategyId}${ledger === "paper" ? " (paper)" : ""}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }),
  );
  if (failures.length > 0) throw new Error(`marks of ${day}: ${failures.length} of ${marking.length} rollups could not be marked dirty: ${failures.join("; ")}`);
  return ids.length;
}

/**
 * Paper fills waiting for the next mark (core/paper.ts) that this day's marks price: their
 * venue day is this day or earlier and the marks name their symbol. Each update is a paper
 * ledger write, so its strategy's paper days are rolled again.
 */
export async function pricePaperFills(db: Firestore, tenantId: string, day: string, prices: Readonly<Record<string, number>>): Promise<number> {
  const io = new IoCount();
  const snap = await db.collection(paths.paperTrades(tenantId)).where("status", "==", "awaiting_mark").get();
  io.read(snap);
  if (snap.empty) return 0;
  const loaded = await loadMaestroConfig(db, tenantId, io);
  const batch = db.batch();
  let priced = 0;
  for (const doc of snap.docs) {
    const parsed = parseDoc(PaperTradeSchema, doc);
    if (!parsed.ok) continue;
    const update = priceAwaitingFill(parsed.value, tradingDayOf(parsed.value.executed_at, loaded.config.market_hours.time_zone), day, prices);
    if (!update) continue;
    // Only if it is still waiting: a racing run of these marks must not price it twice.
    batch.update(doc.ref, update, { lastUpdateTime: doc.updateTime });
    priced += 1;
  }
  if (priced > 0) await batch.commit();
  return priced;
}

/**
 * The instants from which each strategy's days need rolling again after a ledger write:
 * the fill's time before and after (a trade moved between strategies or days changes
 * both). Only a side whose strategy id can name a strategy and whose executed_at is a
 * time counts (a write whose executed_at is not a time is rejected where it enters).
 */
export function dirtyInstantsOfTradeWrite(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): Map<string, Date> {
  const out = new Map<string, Date>();
  for (const strategyId of strategiesAffectedByTradeWrite(before, after)) {
    for (const d of [before, after]) {
      if (d?.strategy_id !== strategyId) continue;
      const at = instantOf(d.executed_at);
      if (!at) continue;
      const current = out.get(strategyId);
      if (!current || at.getTime() < current.getTime()) out.set(strategyId, at);
    }
  }
  return out;
}

function instantOf(value: unknown): Date | null {
  if (value instanceof Timestamp) return value.toDate();
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  return null;
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

/** The marks from `firstDay` on (all of them without one). */
async function readMarksFrom(db: Firestore, tenantId: string, firstDay: string | null, io: IoCount) {
  const collection = db.collection(paths.dailyMarks(tenantId));
  const snap = await (firstDay ? collection.where("__name__", ">=", db.doc(paths.dailyMark(tenantId, firstDay))) : collection).get();
  io.read(snap);
  const marks = new Map<string, Record<string, number>>();
  for (const doc of snap.docs) {
    const parsed = parseDoc(DailyMarksSchema, doc);
    if (parsed.ok) marks.set(doc.id, parsed.value.prices);
    else logEvent.marksRejected({ tenant_id: tenantId, day: doc.id, reason: parsed.reason });
  }
  return marks;
}

/** Strategies that have traded on paper: those with a paper rollup state. */
async function paperStrategyIdsOf(db: Firestore, tenantId: string): Promise<string[]> {
  const snap = await db.collection(paths.paperRollupStates(tenantId)).select().get();
  return snap.docs.map((d) => d.id).sort();
}

async function strategyIdsOf(db: Firestore, tenantId: string): Promise<string[]> {
  const snap = await db.collection(paths.strategies(tenantId)).select().get();
  return snap.docs.map((d) => d.id).sort();
}

function performanceDocument(ledger: LedgerPaths, tenantId: string, strategyId: string, row: DailyRollup, now: Date, timeZone: string): StrategyPerformance {
  return {
    tenant_id: tenantId,
    strategy_id: strategyId,
    period_start: venueDayStart(row.trading_day, timeZone).toISOString(),
    period_end: venueDayStart(nextDay(row.trading_day), timeZone).toISOString(),
    ...row,
    computed_at: now.toISOString(),
    source: ledger.source,
    ...(ledger.kind === "paper" ? { paper: true } : {}),
  };
}

const FIGURES = ["realized_pnl", "unrealized_pnl", "daily_pnl", "fees", "trade_count"] as const;

function sameFigures(ledger: LedgerPaths, stored: Partial<StrategyPerformance>, row: DailyRollup): boolean {
  return (
    FIGURES.every((f) => stored[f] === row[f]) &&
    stored.source === ledger.source &&
    canonicalJson(stored.positions ?? {}) === canonicalJson(row.positions) &&
    canonicalJson(stored.open_lots ?? null) === canonicalJson(row.open_lots)
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

/**
 * A ledger write marks the strategies it affects dirty from the fill's time and, when no
 * runner is scheduled, schedules one (onRollupScheduled). A trade that does not parse is
 * marked rejected here, where it enters, with its reason.
 */
export const onLedgerTradeWritten = onDocumentWritten(
  { document: triggerPaths.ledgerTrade, retry: true, timeoutSeconds: 60, memory: "256MiB" },
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
        const problem = tradeProblem(after);
        if (problem && after?.maestro_rejection_reason !== problem) {
          await db.doc(source).update({ maestro_status: "rejected", maestro_rejection_reason: problem });
          logEvent.tradesRejected({ tenant_id: event.params.tenantId, trade_id: event.params.tradeId, reason: problem });
        }
        const io = new IoCount();
        for (const [strategyId, from] of dirtyInstantsOfTradeWrite(before, after)) {
          await markRollupDirty(db, event.params.tenantId, strategyId, from, io);
        }
      },
    );
  },
);

/**
 * A paper fill written (by a cycle) or priced (by a mark) marks its strategy's paper
 * ledger dirty; a fill still waiting for its mark changes nothing yet.
 */
export const onPaperTradeWritten = onDocumentWritten(
  { document: triggerPaths.paperTrade, retry: true, timeoutSeconds: 60, memory: "256MiB" },
  async (event) => {
    const before = event.data?.before.exists ? event.data.before.data() : undefined;
    const after = event.data?.after.exists ? event.data.after.data() : undefined;
    const waiting = (d: Record<string, unknown> | undefined) => d === undefined || d.status === "awaiting_mark";
    if (waiting(before) && waiting(after)) return;
    const db = maestroDb();
    const source = paths.paperTrade(event.params.tenantId, event.params.tradeId);
    await retryUntilEndCondition(
      db,
      { id: event.id, time: new Date(event.time), trigger: "onPaperTradeWritten", source, tenant_id: event.params.tenantId, body: source },
      { max_age_ms: MAX_ROLLUP_TRIGGER_AGE_MS, since: "the write" },
      async () => {
        const io = new IoCount();
        for (const [strategyId, from] of dirtyInstantsOfTradeWrite(before, after)) {
          await markRollupDirty(db, event.params.tenantId, strategyId, from, io, { ledger: "paper" });
        }
      },
    );
  },
);

/** Why a written trade is rejected where it enters (its fields, including its strategy id), or null. */
export function tradeProblem(trade: Record<string, unknown> | undefined): string | null {
  if (!trade) return null;
  const idProblem = strategyIdProblem(trade);
  if (idProblem) return idProblem;
  const copy = { ...trade };
  for (const f of TRADE_STATUS_FIELDS) delete copy[f];
  const parsed = parseWithReason(LedgerTradeSchema, plainData(copy));
  return parsed.ok ? null : parsed.reason;
}

/**
 * The runner: a scheduled run's document (`rollup_runs/{id}`, created with the schedule,
 * see store/rollup-state.ts) starts one, which rolls everything dirty for its strategy
 * (runRollups) and, out of time with work left, schedules its successor. It does not
 * wait for a burst to end: the writes that land during a pass are all taken by the next
 * pass, so a burst costs a few passes however many writes it has. The document id
 * is the run id, so a redelivery takes its own lease over; the outcome is written back.
 */
export const onRollupScheduled = onDocumentCreated(
  { document: triggerPaths.rollupRun, retry: true, timeoutSeconds: 540, memory: "512MiB" },
  async (event) => {
    const strategyId = event.data?.get("strategy_id");
    const ledger: LedgerKind = event.data?.get("ledger") === "paper" ? "paper" : "real";
    const { tenantId, runId } = event.params;
    if (typeof strategyId !== "string" || !DocIdSchema.safeParse(strategyId).success) return;
    const db = maestroDb();
    const source = paths.rollupRun(tenantId, runId);
    await retryUntilEndCondition(
      db,
      { id: event.id, time: new Date(event.time), trigger: "onRollupScheduled", source, tenant_id: tenantId, body: source },
      { max_age_ms: MAX_ROLLUP_TRIGGER_AGE_MS, since: "the schedule" },
      async () => {
        const outcome = await runRollups(db, tenantId, strategyId, runId, { budgetMs: 300_000, ledger });
        const { tenant_id: _t, strategy_id: _s, ...figures } = outcome;
        await db.doc(source).set({ status: outcome.busy ? "busy" : "finished", finished_at: new Date(), outcome: figures }, { merge: true });
      },
    );
  },
);

/** A day's closing marks change that day's and later days' unrealized P&L: every strategy is dirty from that day. */
export const onDailyMarksWritten = onDocumentWritten(
  { document: triggerPaths.dailyMarks, retry: true, timeoutSeconds: 120, memory: "256MiB" },
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
      async () => {
        const marks = event.data?.after.exists ? parseWithReason(DailyMarksSchema, plainData(event.data.after.data())) : null;
        if (marks?.ok) await pricePaperFills(db, event.params.tenantId, event.params.day, marks.value.prices);
        await markTenantDirtyFromDay(db, event.params.tenantId, event.params.day);
      },
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
