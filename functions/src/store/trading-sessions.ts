/**
 * Trading sessions in Firestore (issue 10): `tenants/{t}/trading_sessions/{YYYY-MM-DD}`,
 * one per tenant and venue day (TradingSessionSchema).
 *
 * Every move of a session is one transaction that, together, appends the move to the
 * session's `transitions` and creates a link of the tenant's log chain for it (a
 * TransitionLog in the logs collection, extending `tenants/{t}/log_chain/head` exactly as
 * the log writer does), so a move is never recorded without its chain link or the other
 * way round, and moves and orchestration logs share one order. A move into POST_MARKET
 * writes the session report in the same transaction.
 *
 * The cycle's own changes (equity marks, locks, counts, SESSION_STATE) are written in the
 * cycle's batch, conditioned on the session's update time (stages/orchestration.ts).
 */
import type { DocumentReference, DocumentSnapshot, Firestore, Transaction } from "firebase-admin/firestore";
import type { ChainKeys } from "../core/chain-keys";
import { GENESIS_HASH, logHash } from "../core/hash-chain";
import { EMPTY_SESSION_RISK } from "../core/session-guardian";
import { emptySummary, sessionReport, withAlert, type StrategyDay } from "../core/session-report";
import { clockPhase, clockTransitions, closeInstant, transition, type Transition } from "../core/trading-session";
import { venueDayOf } from "../core/market-hours";
import { configuredChainKeys } from "../params";
import { logEvent } from "../log-events";
import { readStrategies } from "./weights";
import {
  LogChainHeadSchema,
  TRANSITION_LOG_KIND,
  TradingSessionSchema,
  TransitionLogSchema,
  parseWithReason,
  type MaestroConfig,
  type MarketHours,
  type SessionAlert,
  type SessionTransition,
  type TradingSession,
  type TransitionLog,
} from "../schemas";
import { EMPTY_SESSION_AGENTS, type AgentsConfig, type TaskMessage } from "../schemas/agents";
import { publishTasks, startEnteredPhases } from "./agent-runs";
import { IoCount, plainData } from "./firestore";
import { orchestrationLogId, paths } from "./paths";

/** A session document that does not parse: nothing trades on it until it is mended (fail closed). */
export class TradingSessionMalformed extends Error {}

export function newTradingSession(tenantId: string, day: string, hours: MarketHours, now: Date): TradingSession {
  const at = now.toISOString();
  return {
    tenant_id: tenantId,
    day,
    state: "INIT",
    transitions: [],
    trading_since: null,
    closes_at: closeInstant(day, hours).toISOString(),
    risk: { ...EMPTY_SESSION_RISK },
    summary: emptySummary(),
    report: null,
    emergency: null,
    agents: structuredClone(EMPTY_SESSION_AGENTS),
    created_at: at,
    updated_at: at,
  };
}

export function parseTradingSession(snap: DocumentSnapshot): TradingSession {
  const parsed = parseWithReason(TradingSessionSchema, plainData(snap.data()));
  if (!parsed.ok) throw new TradingSessionMalformed(`trading session ${snap.ref.path} is malformed: ${parsed.reason}`);
  return parsed.value;
}

export interface SessionRead {
  ref: DocumentReference;
  snap: DocumentSnapshot;
  /** null: no document yet for the day. */
  session: TradingSession | null;
}

export async function readTradingSession(db: Firestore, tenantId: string, day: string, io: IoCount): Promise<SessionRead> {
  const ref = db.doc(paths.tradingSession(tenantId, day));
  const snap = await ref.get();
  io.read(snap);
  return { ref, snap, session: snap.exists ? parseTradingSession(snap) : null };
}

/** Why the last pause happened (for the hold's reason), or null. */
export function pausedReason(session: TradingSession): string | null {
  for (let i = session.transitions.length - 1; i >= 0; i--) {
    const t = session.transitions[i];
    if (t.to === "PAUSED") return t.reason;
  }
  return null;
}

export type MovePlan = (session: TradingSession) => { moves: Transition[]; alert?: SessionAlert; change?: (s: TradingSession) => TradingSession } | { refused: string };

export interface MoveOptions {
  now: Date;
  keys: ChainKeys | null;
  /** The tenant's strategy ids, asked for only when a move into POST_MARKET needs their day's performance for the report. */
  strategyIds?: () => Promise<string[]>;
  io?: IoCount;
  /** More writes in the same transaction (an admin action's record), given the session before and after. */
  record?: (tx: Transaction, before: TradingSession, after: TradingSession) => void;
  /** The tenant's agents config: a move into a phase with a workflow starts its run (store/agent-runs.ts). */
  agents?: AgentsConfig;
}

export interface MoveResult {
  session: TradingSession;
  moved: SessionTransition[];
  refused: string | null;
  created: boolean;
  /** The agents' tasks the moves sent out (the first of each phase's run they started). */
  dispatched: TaskMessage[];
}

/**
 * Moves the day's session by `plan` (evaluated inside the transaction, on the session as
 * stored), creating the session first if there is none. A refused plan writes nothing.
 */
export async function moveTradingSession(db: Firestore, tenantId: string, day: string, hours: MarketHours, plan: MovePlan, options: MoveOptions): Promise<MoveResult> {
  const io = options.io ?? new IoCount();
  const ref = db.doc(paths.tradingSession(tenantId, day));
  const headRef = db.doc(paths.logChainHead(tenantId));
  const result = await db.runTransaction(async (tx): Promise<MoveResult> => {
    const [snap, headSnap] = await Promise.all([tx.get(ref), tx.get(headRef)]);
    io.read(snap);
    io.read(headSnap);
    const created = !snap.exists;
    let session = created ? newTradingSession(tenantId, day, hours, options.now) : parseTradingSession(snap);
    const before = session;
    const planned = plan(session);
    if ("refused" in planned) return { session, moved: [], refused: planned.refused, created: false, dispatched: [] };
    const { moves } = planned;
    if (moves.length === 0 && !created && !planned.change && !planned.alert) return { session, moved: [], refused: null, created: false, dispatched: [] };

    // Reads before writes: the report's performance documents, when the session closes.
    let report: StrategyDay[] | null = null;
    if (session.report === null && moves.some((m) => m.to === "POST_MARKET")) {
      const ids = options.strategyIds ? await options.strategyIds() : [];
      const perfSnaps = ids.length ? await tx.getAll(...ids.map((id) => db.doc(paths.performanceDay(tenantId, id, day)))) : [];
      io.read(perfSnaps);
      report = ids.map((id, i) => ({ strategy_id: id, performance: performanceOf(perfSnaps[i]) }));
    }

    const headRead = headSnap.exists ? parseWithReason(LogChainHeadSchema, plainData(headSnap.data())) : null;
    if (headRead && !headRead.ok) throw new Error(`the log chain head of tenant '${tenantId}' is malformed (${headRead.reason}): the trading session's move cannot be chained`);
    const head = headRead?.ok ? headRead.value : null;
    let seq = head?.seq ?? 0;
    let prevHash = head?.last_hash ?? GENESIS_HASH;
    let prevLogId = head?.last_log_id ?? null;
    const moved: SessionTransition[] = [];
    for (const move of moves) {
      seq += 1;
      const logId = orchestrationLogId(move.at, `${tenantId}_trading_session_${day}_${session.transitions.length + moved.length + 1}`);
      const log = transitionLog(tenantId, day, move, { seq, prev_hash: prevHash, prev_log_id: prevLogId }, options.keys);
      tx.create(db.doc(paths.log(logId)), log);
      prevHash = log.hash;
      prevLogId = logId;
      moved.push({ ...move, log_id: logId });
    }
    if (moved.length > 0) tx.set(headRef, { seq, last_hash: prevHash, last_log_id: prevLogId, updated_at: options.now.toISOString() });

    for (const move of moved) {
      session = { ...session, state: move.to, transitions: [...session.transitions, move] };
      if (move.to === "ACTIVE_TRADING" && session.trading_since === null) session.trading_since = move.at;
    }
    let dispatched: TaskMessage[] = [];
    if (options.agents && moved.length > 0) {
      const started = startEnteredPhases(tx, db, session, moved.map((m) => m.to), options.agents, options.now);
      session = started.session;
      dispatched = started.dispatch;
    }
    if (planned.change) session = planned.change(session);
    if (planned.alert) session = { ...session, summary: withAlert(session.summary, planned.alert) };
    session.updated_at = options.now.toISOString();
    if (report) session = { ...session, report: sessionReport(session, report, options.now) };
    tx.set(ref, session);
    options.record?.(tx, before, session);
    io.write(1 + moved.length + (moved.length > 0 ? 1 : 0) + Object.keys(session.agents.runs).length - Object.keys(before.agents.runs).length);
    return { session, moved, refused: null, created, dispatched };
  });
  if (result.dispatched.length > 0) await publishTasks(tenantId, result.dispatched);
  return result;
}

function performanceOf(snap: DocumentSnapshot): StrategyDay["performance"] {
  if (!snap.exists) return null;
  const { realized_pnl, unrealized_pnl, daily_pnl } = (snap.data() ?? {}) as Record<string, unknown>;
  if (typeof realized_pnl !== "number" || typeof unrealized_pnl !== "number" || typeof daily_pnl !== "number") return null;
  return { realized_pnl, unrealized_pnl, daily_pnl };
}

/** The chain link of one move, hashed exactly as stored (through the schema and a JSON round trip). */
export function transitionLog(
  tenantId: string,
  day: string,
  move: Transition,
  link: { seq: number; prev_hash: string; prev_log_id: string | null },
  keys: ChainKeys | null,
): TransitionLog {
  const content: Omit<TransitionLog, "hash"> = {
    kind: TRANSITION_LOG_KIND,
    tenant_id: tenantId,
    timestamp: move.at,
    day,
    transition: { from: move.from, to: move.to, actor: move.actor, at: move.at, reason: move.reason },
    hash_key_id: keys ? keys.current.id : null,
    ...link,
  };
  const stored = TransitionLogSchema.omit({ hash: true }).parse(JSON.parse(JSON.stringify(content)));
  return { ...stored, hash: logHash(stored.prev_hash, stored, keys?.current ?? null) };
}

/** Whether a stored log is a trading session's move rather than an orchestration's log. */
export function isTransitionLog(stored: unknown): boolean {
  return (stored as { kind?: unknown } | null)?.kind === TRANSITION_LOG_KIND;
}

/**
 * The latest few sessions before `day`, newest first: the ones the clock never finished
 * (no cycle woke the tenant after the close; the caller walks them to SHUTDOWN), and
 * whether the latest one is still in an emergency stop nobody resumed.
 */
export async function earlierSessions(
  db: Firestore,
  tenantId: string,
  day: string,
  io: IoCount,
): Promise<{ unfinished: string[]; stopped: TradingSession | null }> {
  const snap = await db.collection(paths.tradingSessions(tenantId)).where("day", "<", day).orderBy("day", "desc").limit(3).get();
  io.read(snap);
  const unfinished = snap.docs.filter((d) => !["SHUTDOWN", "EMERGENCY_STOP"].includes(String(d.get("state")))).map((d) => String(d.get("day")));
  const latest = snap.docs[0];
  const stopped = latest && latest.get("state") === "EMERGENCY_STOP" ? parseTradingSession(latest) : null;
  return { unfinished, stopped };
}

export interface CycleSession {
  ref: DocumentReference;
  snap: DocumentSnapshot;
  session: TradingSession;
}

/**
 * The day's trading session, walked by the clock to where `clockAt` puts it first (each
 * move recorded and chained, the report written on entering POST_MARKET). A new day's
 * first cycle also walks any earlier session the clock never finished to SHUTDOWN.
 * Steady state: one read.
 */
export async function sessionForCycle(db: Firestore, tenantId: string, config: MaestroConfig, clockAt: Date, now: Date, io: IoCount): Promise<CycleSession> {
  const hours = config.market_hours;
  const day = venueDayOf(clockAt, hours.time_zone);
  const read = await readTradingSession(db, tenantId, day, io);
  const target = clockPhase(clockAt, day, hours, config.trading_session);
  if (read.session && clockTransitions(read.session.state, target, clockAt).length === 0) return { ref: read.ref, snap: read.snap, session: read.session };

  const keys = configuredChainKeys();
  const strategyIds = async () => Object.keys((await readStrategies(db, tenantId, io)).strategies);
  let carried: TradingSession | null = null;
  if (!read.session) {
    const earlier = await earlierSessions(db, tenantId, day, io);
    for (const unfinished of earlier.unfinished) {
      await moveTradingSession(db, tenantId, unfinished, hours, (s) => ({ moves: clockTransitions(s.state, "SHUTDOWN", clockAt) }), { now, keys, strategyIds, io });
    }
    carried = earlier.stopped;
  }
  const moved = await moveTradingSession(
    db,
    tenantId,
    day,
    hours,
    (s) => {
      // An emergency stop nobody resumed carries into the new day: it does not lift by the clock.
      if (carried && s.state === "INIT" && s.transitions.length === 0) {
        const reason = `the emergency stop of ${carried.day} was never resumed (resumeTrading once the broker is reconciled)`;
        const stop = transition("INIT", "EMERGENCY_STOP", { kind: "guardian", code: "EMERGENCY_CARRIED_OVER" }, clockAt, reason);
        return { moves: [stop.transition!], change: (x) => ({ ...x, emergency: carried!.emergency }) };
      }
      return { moves: clockTransitions(s.state, target, clockAt) };
    },
    { now, keys, strategyIds, io, agents: config.agents },
  );
  for (const t of moved.moved) logEvent.tradingSessionMoved({ tenant_id: tenantId, day, from: t.from, to: t.to, actor: t.actor.kind, reason: t.reason });
  // The cycle's own write is conditioned on the session's update time: read it as written.
  const after = await readTradingSession(db, tenantId, day, io);
  return { ref: after.ref, snap: after.snap, session: after.session! };
}

