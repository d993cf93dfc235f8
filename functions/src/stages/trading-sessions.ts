/**
 * The trading session through the client API (issue 10): admins pause and resume the
 * day's session and lift a risk lock, each with a required reason; viewers read it.
 *
 * Each change walks the session to the clock first (as a cycle would), then makes the
 * admin's move in one transaction with its chain link and its record in
 * `tenants/{t}/admin_actions` (who, when, why, before and after). A move the session's
 * state machine refuses is answered failed-precondition with the refusal's reason.
 */
import type { Firestore, Transaction } from "firebase-admin/firestore";
import { HttpsError } from "firebase-functions/v2/https";
import { venueDayOf } from "../core/market-hours";
import { liftLock } from "../core/session-guardian";
import { clockPhase, resumeTarget, transition, type TradingSessionState } from "../core/trading-session";
import type { MaestroConfig, TradingSession } from "../schemas";
import {
  GetTradingSessionRequestSchema,
  GetTradingSessionResponseSchema,
  LiftRiskLockRequestSchema,
  PauseTradingSessionRequestSchema,
  ResumeTradingSessionRequestSchema,
  TradingSessionActionResponseSchema,
  type TradingSessionActionResponse,
} from "../schemas/api";
import { loadMaestroConfig } from "../store/config";
import { IoCount, storable } from "../store/firestore";
import { paths } from "../store/paths";
import { TradingSessionMalformed, moveTradingSession, readTradingSession, sessionForCycle, type MovePlan } from "../store/trading-sessions";
import { configuredChainKeys } from "../params";
import { logEvent } from "../log-events";
import { maestroCallable } from "./callable";

interface AdminChange {
  action: string;
  reason: string;
  plan: (session: TradingSession, clock: TradingSessionState) => ReturnType<MovePlan>;
}

/** Walks the session to the clock, then applies the admin's change in one transaction with its record. */
async function changeSession(db: Firestore, tenantId: string, uid: string, now: Date, change: AdminChange): Promise<TradingSessionActionResponse> {
  try {
    return await applyChange(db, tenantId, uid, now, change);
  } catch (error) {
    if (error instanceof TradingSessionMalformed) throw new HttpsError("failed-precondition", `${error.message}; mend the document first`);
    throw error;
  }
}

async function applyChange(db: Firestore, tenantId: string, uid: string, now: Date, change: AdminChange): Promise<TradingSessionActionResponse> {
  const io = new IoCount();
  const { config } = await loadMaestroConfig(db, tenantId, io);
  const hours = config.market_hours;
  const { session } = await sessionForCycle(db, tenantId, config, now, now, io);
  const clock = clockPhase(now, session.day, hours, config.trading_session);
  const actionRef = db.collection(paths.adminActions(tenantId)).doc();
  const record = (tx: Transaction, before: TradingSession, after: TradingSession) =>
    tx.create(actionRef, {
      action: change.action,
      tenant_id: tenantId,
      actor_uid: uid,
      at: now.toISOString(),
      reason: change.reason,
      target: paths.tradingSession(tenantId, session.day),
      before: storable({ state: before.state, locks: before.risk.locks }),
      after: storable({ state: after.state, locks: after.risk.locks }),
    });
  const result = await moveTradingSession(db, tenantId, session.day, hours, (s) => change.plan(s, clock), { now, keys: configuredChainKeys(), io, record, agents: config.agents });
  if (result.refused) throw new HttpsError("failed-precondition", result.refused);
  logEvent.adminAction({ tenant_id: tenantId, action: change.action, actor_uid: uid, day: session.day, state: result.session.state });
  return { session: result.session, action_id: actionRef.id };
}

const adminMove = (to: TradingSessionState, uid: string, reason: string, now: Date) => (s: TradingSession) => {
  const moved = transition(s.state, to, { kind: "admin", uid }, now, reason);
  return moved.ok ? { moves: [moved.transition!] } : { refused: `trading session ${s.day}: ${moved.refused}` };
};

export const pauseTradingSession = maestroCallable(
  { name: "pauseTradingSession", request: PauseTradingSessionRequestSchema, response: TradingSessionActionResponseSchema, role: "admin", rateLimit: "write_calls" },
  async ({ db, uid, tenantId, data, now }) =>
    changeSession(db, tenantId, uid, now, {
      action: "pause_trading_session",
      reason: data.reason,
      plan: (s) => {
        const planned = adminMove("PAUSED", uid, data.reason, now)(s);
        return "refused" in planned ? planned : { ...planned, alert: { at: now.toISOString(), code: "SESSION_PAUSED", message: `Paused by ${uid}: ${data.reason}` } };
      },
    }),
);

export const resumeTradingSession = maestroCallable(
  { name: "resumeTradingSession", request: ResumeTradingSessionRequestSchema, response: TradingSessionActionResponseSchema, role: "admin", rateLimit: "write_calls" },
  async ({ db, uid, tenantId, data, now }) =>
    changeSession(db, tenantId, uid, now, {
      action: "resume_trading_session",
      reason: data.reason,
      plan: (s, clock) => {
        if (s.state !== "PAUSED") return { refused: `trading session ${s.day} is ${s.state}, not PAUSED: there is nothing to resume` };
        const target = resumeTarget(clock);
        if (!target) return { refused: `trading session ${s.day}: the venue's clock is at ${clock}; the session closes with the venue and is not resumed` };
        const planned = adminMove(target, uid, data.reason, now)(s);
        return "refused" in planned ? planned : { ...planned, alert: { at: now.toISOString(), code: "SESSION_RESUMED", message: `Resumed into ${target} by ${uid}: ${data.reason}` } };
      },
    }),
);

export const liftRiskLock = maestroCallable(
  { name: "liftRiskLock", request: LiftRiskLockRequestSchema, response: TradingSessionActionResponseSchema, role: "admin", rateLimit: "write_calls" },
  async ({ db, uid, tenantId, data, now }) =>
    changeSession(db, tenantId, uid, now, {
      action: "lift_risk_lock",
      reason: data.reason,
      plan: (s) => {
        const lifted = liftLock(s.risk, data.code, uid, data.reason, now);
        if (!lifted.ok) return { refused: `trading session ${s.day}: ${lifted.refused}` };
        return {
          moves: [],
          change: (current) => ({ ...current, risk: lifted.state! }),
          alert: { at: now.toISOString(), code: "LOCK_LIFTED", message: `${data.code} lifted by ${uid}: ${data.reason}` },
        };
      },
    }),
);

export async function readSessionOfDay(db: Firestore, tenantId: string, config: MaestroConfig, day: string | undefined, now: Date) {
  const wanted = day ?? venueDayOf(now, config.market_hours.time_zone);
  try {
    const read = await readTradingSession(db, tenantId, wanted, new IoCount());
    return { day: wanted, session: read.session };
  } catch (error) {
    if (error instanceof TradingSessionMalformed) throw new HttpsError("failed-precondition", error.message);
    throw error;
  }
}

export const getTradingSession = maestroCallable(
  { name: "getTradingSession", request: GetTradingSessionRequestSchema, response: GetTradingSessionResponseSchema, role: "viewer" },
  async ({ db, tenantId, data, now }) => {
    const { config } = await loadMaestroConfig(db, tenantId, new IoCount());
    return readSessionOfDay(db, tenantId, config, data.day, now);
  },
);
