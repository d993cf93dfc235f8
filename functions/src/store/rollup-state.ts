/**
 * Which days of a strategy's performance need rolling again, and who is rolling them:
 * `tenants/{t}/rollup_state/{s}` (issue 9, "Bursts coalesce").
 *
 *   dirty_from   the earliest instant touched by writes no run has taken yet (null: none)
 *   scheduled    a runner has been asked for (schedule_id, scheduled_at) and has not finished
 *   run          the runner holding the strategy: { id, from, lease_until }; one at a time
 *   commits      how many commits the runs made
 *   stats        reads the runners and the dirty-marking transactions made (the benchmark
 *                adds one read per ledger write for the quick check that wrote nothing)
 *
 * A ledger write lowers `dirty_from` to its fill's time and, when no runner is scheduled,
 * schedules one: a new `schedule_id`, and in the same transaction the run's own document
 * `tenants/{t}/rollup_runs/{schedule_id}`, whose creation starts it (onRollupScheduled)
 * and which ends with the run's outcome. The state document itself triggers nothing. A burst of
 * writes while a runner is scheduled or running costs each write one read and no write:
 * the runner takes everything dirty when it claims, rolls it in one pass, and claims again
 * if more arrived meanwhile. Because the run that claims takes the earliest dirty instant
 * of every write before the claim, the stored days before it are current, and the day
 * before it is a valid checkpoint.
 *
 * A runner that dies keeps its lease until `lease_until`; a redelivery of its event (same
 * schedule id) takes it over at once, anyone else after it expires, and the dead run's
 * `from` is folded into the new one. A run that lost its lease cannot commit.
 */
import { FieldValue, Timestamp, type Firestore, type Transaction } from "firebase-admin/firestore";
import { randomBytes } from "node:crypto";
import type { IoCount } from "./firestore";
import { LEDGERS, paths, type LedgerKind } from "./paths";

/** A runner's hold on a strategy; longer than the runner function's timeout. */
export const ROLLUP_LEASE_MS = 10 * 60_000;
/** A schedule that has not finished after this long is assumed lost, and a new write schedules again. */
export const ROLLUP_SCHEDULE_STALE_MS = 15 * 60_000;

export interface RollupState {
  dirty_from: Date | null;
  scheduled: boolean;
  schedule_id: string | null;
  scheduled_at: Date | null;
  run: { id: string; from: Date | null; lease_until: Date } | null;
  commits: number;
}

/** The stored state, read strictly: a corrupt state is an error that names the field, not a guess. */
export function readRollupState(data: Record<string, unknown> | undefined, where: string): RollupState {
  const d = data ?? {};
  const problem = (field: string, rule: string) => new Error(`rollup state of ${where} is malformed: ${field}: ${rule}`);
  const instant = (field: string, value: unknown): Date | null => {
    if (value === undefined || value === null) return null;
    if (value instanceof Timestamp) return value.toDate();
    throw problem(field, "must be a timestamp or null");
  };
  const commits = d.commits ?? 0;
  if (typeof commits !== "number" || !Number.isInteger(commits) || commits < 0) throw problem("commits", "must be a whole number");
  const run = d.run ?? null;
  let parsedRun: RollupState["run"] = null;
  if (run !== null) {
    if (typeof run !== "object" || typeof (run as { id?: unknown }).id !== "string") throw problem("run", "must be null or { id, from, lease_until }");
    const r = run as Record<string, unknown>;
    const leaseUntil = instant("run.lease_until", r.lease_until);
    if (!leaseUntil) throw problem("run.lease_until", "must be a timestamp");
    parsedRun = { id: r.id as string, from: instant("run.from", r.from), lease_until: leaseUntil };
  }
  return {
    dirty_from: instant("dirty_from", d.dirty_from),
    scheduled: d.scheduled === true,
    schedule_id: typeof d.schedule_id === "string" ? d.schedule_id : null,
    scheduled_at: instant("scheduled_at", d.scheduled_at),
    run: parsedRun,
    commits,
  };
}

function earlier(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() <= b.getTime() ? a : b;
}

function newScheduleId(): string {
  return `${Date.now().toString(36)}_${randomBytes(6).toString("hex")}`;
}

/** How long a run's record is kept (a Firestore TTL policy on `expires_at` deletes it). */
const RUN_RECORD_TTL_MS = 7 * 86_400_000;

/** Schedules a runner inside `tx`: the state's schedule fields and the run's document, whose creation starts it. */
function scheduleRunner(tx: Transaction, db: Firestore, tenantId: string, strategyId: string, ledger: LedgerKind, now: Date, why: string): Record<string, unknown> {
  const id = newScheduleId();
  tx.create(db.doc(paths.rollupRun(tenantId, id)), {
    tenant_id: tenantId,
    strategy_id: strategyId,
    ledger,
    scheduled_at: now,
    why,
    status: "scheduled",
    expires_at: new Date(now.getTime() + RUN_RECORD_TTL_MS),
  });
  return { scheduled: true, schedule_id: id, scheduled_at: now };
}

/**
 * Records that the strategy's days from `from` on need rolling again, and schedules a
 * runner unless one is already scheduled (`schedule: false` leaves that to the caller,
 * which runs one itself). Answers whether it scheduled one. Costs one read when the
 * write is already covered (a burst), else one transaction.
 */
export async function markRollupDirty(
  db: Firestore,
  tenantId: string,
  strategyId: string,
  from: Date,
  io: IoCount,
  options: { schedule?: boolean; now?: Date; ledger?: LedgerKind } = {},
): Promise<{ scheduled: boolean }> {
  const ledger = options.ledger ?? "real";
  const ref = db.doc(LEDGERS[ledger].state(tenantId, strategyId));
  const where = `${tenantId}/${strategyId}${ledger === "paper" ? " (paper)" : ""}`;
  const schedule = options.schedule ?? true;
  const covered = (state: RollupState, now: Date) =>
    state.dirty_from !== null &&
    state.dirty_from.getTime() <= from.getTime() &&
    (!schedule || (state.scheduled && state.scheduled_at !== null && now.getTime() - state.scheduled_at.getTime() < ROLLUP_SCHEDULE_STALE_MS));

  const quick = await ref.get();
  io.read(quick);
  if (covered(readRollupState(quick.data(), where), options.now ?? new Date())) return { scheduled: false };

  return db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    io.read(snap);
    const state = readRollupState(snap.data(), where);
    const now = options.now ?? new Date();
    if (covered(state, now)) return { scheduled: false };
    const update: Record<string, unknown> = { dirty_from: earlier(state.dirty_from, from) };
    const stale = state.scheduled_at === null || now.getTime() - state.scheduled_at.getTime() >= ROLLUP_SCHEDULE_STALE_MS;
    const scheduling = schedule && (!state.scheduled || stale);
    if (scheduling) Object.assign(update, scheduleRunner(tx, db, tenantId, strategyId, ledger, now, stale && state.scheduled ? "a write found the last schedule stale" : "a write"));
    update.stats = { dirty_transactions: FieldValue.increment(1) };
    tx.set(ref, update, { merge: true });
    io.write(scheduling ? 2 : 1);
    return { scheduled: scheduling };
  });
}

export type RollupClaim =
  | { kind: "claimed"; from: Date; commits: number }
  /** Nothing dirty: the runner released the strategy. */
  | { kind: "idle" }
  /** Another runner holds a live lease; it will take what is dirty. */
  | { kind: "busy"; holder: string };

/** Takes everything dirty for run `runId` (taking over its own or an expired lease). */
export async function claimRollupRun(
  db: Firestore,
  tenantId: string,
  strategyId: string,
  runId: string,
  io: IoCount,
  now = new Date(),
  ledger: LedgerKind = "real",
): Promise<RollupClaim> {
  const ref = db.doc(LEDGERS[ledger].state(tenantId, strategyId));
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    io.read(snap);
    const state = readRollupState(snap.data(), `${tenantId}/${strategyId}`);
    const held = state.run !== null && state.run.id !== runId && state.run.lease_until.getTime() > now.getTime();
    if (held) return { kind: "busy", holder: state.run!.id } as const;
    // A run of ours that died, or an expired one of someone else's: its range is still to do.
    const from = earlier(state.dirty_from, state.run?.from ?? null);
    if (from === null) {
      tx.set(ref, { run: null, scheduled: false }, { merge: true });
      io.write();
      return { kind: "idle" } as const;
    }
    tx.set(ref, { dirty_from: null, run: { id: runId, from, lease_until: new Date(now.getTime() + ROLLUP_LEASE_MS) } }, { merge: true });
    io.write();
    return { kind: "claimed", from, commits: state.commits } as const;
  });
}

/**
 * Inside a commit transaction: whether run `runId` still holds the strategy. A run that
 * lost its lease to another must not write (the other re-rolls its range).
 */
export async function holdsRollupRun(
  tx: Transaction,
  db: Firestore,
  tenantId: string,
  strategyId: string,
  runId: string,
  io: IoCount,
  ledger: LedgerKind = "real",
): Promise<RollupState | null> {
  const snap = await tx.get(db.doc(LEDGERS[ledger].state(tenantId, strategyId)));
  io.read(snap);
  const state = readRollupState(snap.data(), `${tenantId}/${strategyId}`);
  return state.run?.id === runId ? state : null;
}

/**
 * The state update of a run's last commit (in its transaction): the run's range is done. Whatever became dirty
 * meanwhile stays dirty for the same runner's next claim (`more`), or, out of time, for a
 * new runner (`reschedule`: a new schedule id).
 */
export function finishRun(
  tx: Transaction,
  db: Firestore,
  where: { tenantId: string; strategyId: string; ledger: LedgerKind },
  state: RollupState,
  runId: string,
  reschedule: boolean,
  now = new Date(),
  passReads = 0,
): Record<string, unknown> {
  const base = { commits: FieldValue.increment(1), applied_at: now.toISOString(), stats: { runner_reads: FieldValue.increment(passReads), passes: FieldValue.increment(1) } };
  if (state.dirty_from !== null && reschedule) {
    return { ...base, run: null, ...scheduleRunner(tx, db, where.tenantId, where.strategyId, where.ledger, now, `run ${runId} ran out of time with work left`) };
  }
  if (state.dirty_from !== null) return { ...base, run: { id: runId, from: null, lease_until: new Date(now.getTime() + ROLLUP_LEASE_MS) } };
  return { ...base, run: null, scheduled: false };
}
