/**
 * The emergency protocol (issue 11, seed 001 SKILL_4 and its shutdown checklist), shared by
 * the callables of stages/emergency.ts and the health check's automatic stop
 * (stages/health.ts). The stop, in this order:
 *  1. The day's trading session enters EMERGENCY_STOP (a move chained into the log like any
 *     other): from then on no cycle orchestrates, so nothing re-submits mid-flatten.
 *  2. Every outstanding licence is revoked (`revoked_at` on the nonce; redeemNonce refuses
 *     it) and its buying-power reservation released.
 *  3. Through the broker (config.broker + the HUMMINGBOT_API_CREDENTIALS secret): every
 *     active order is cancelled (all pages); then, with `risk.flatten_on_emergency`, every
 *     open position gets one closing market order; then the positions are listed until
 *     none is left, at most `emergency.poll_attempts` times.
 *     Without a broker: the same steps as intents for the execution side,
 *     `tenants/{t}/execution_intents/{day}_…` (cancel all orders; close each symbol's net
 *     position as Maestro knows it from the rollup).
 *  4. The shutdown report on the session (`emergency.report`) and in `admin_actions`:
 *     what was cancelled and closed, what is still open and why, the timings, who asked;
 *     and a critical alert (store/alerts.ts).
 *
 * Idempotent: each position is claimed on the session (`emergency.closing`) in a
 * transaction before its closing order is sent, so a second or retried stop never sends a
 * second order for a position already closing; a claim whose order was never acknowledged
 * is reported ("fate unknown"), not re-sent. Cancels and listings are safe to repeat.
 * A broker call the broker refused as not ready (503) or could not answer is tried
 * `emergency.call_attempts` times; a closing order is retried only where the broker acted
 * on nothing (BrokerError.retryable), never after a timeout.
 *
 * resumeTrading leaves EMERGENCY_STOP only once the broker is reconciled (below). An
 * emergency stop nobody resumed carries into the next day's session (store/trading-sessions).
 */
import { FieldPath, FieldValue, type Firestore } from "firebase-admin/firestore";
import { HttpsError } from "firebase-functions/v2/https";
import { BrokerError, cancelAllOrders, type BrokerAdapter, type BrokerPosition, type PositionSide } from "../broker/adapter";
import { HummingbotAdapter } from "../broker/hummingbot";
import { clockPhase, resumeTarget, transition, type TradingSessionState } from "../core/trading-session";
import type { EmergencyClosing, EmergencyRecord, EmergencyReport, MaestroConfig, SessionActor } from "../schemas";
import { loadMaestroConfig } from "./config";
import { IoCount, isAlreadyExists, storable } from "./firestore";
import { paths } from "./paths";
import { cancelDayRuns } from "./agent-runs";
import { moveTradingSession, parseTradingSession, sessionForCycle } from "./trading-sessions";
import { readPositions } from "./account";
import { raiseAlertSafely } from "./alerts";
import { configuredChainKeys, hummingbotCredentials } from "../params";
import { logEvent } from "../log-events";

export interface StopRequest {
  tenantId: string;
  reason: string;
  actor: SessionActor;
  now?: () => Date;
  /** The broker to flatten through; default: from the tenant's config and the secret. null: none (intents). */
  broker?: BrokerAdapter | null;
  sleep?: (ms: number) => Promise<void>;
}

export interface StopOutcome {
  day: string;
  state: "EMERGENCY_STOP";
  report: EmergencyReport;
}

/** The adapter for the tenant's configured broker, or why there is none. */
export function configuredBroker(config: MaestroConfig): { broker: BrokerAdapter | null; problem: string | null } {
  if (!config.broker) return { broker: null, problem: null };
  const secret = process.env[hummingbotCredentials.name] ? hummingbotCredentials.value() : "";
  const colon = secret.indexOf(":");
  if (colon <= 0) return { broker: null, problem: "a broker is configured but HUMMINGBOT_API_CREDENTIALS (user:password) is not set" };
  const credentials = { username: secret.slice(0, colon), password: secret.slice(colon + 1) };
  return { broker: new HummingbotAdapter(config.broker, credentials, { pageSize: config.broker.page_size }), problem: null };
}

const positionKey = (p: { connector_name: string; trading_pair: string; position_side: PositionSide }) => `${p.connector_name}|${p.trading_pair}|${p.position_side}`;
const why = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function emergencyStop(db: Firestore, request: StopRequest): Promise<StopOutcome> {
  const clock = request.now ?? (() => new Date());
  const sleep = request.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = clock();
  const t0 = Date.now();
  const io = new IoCount();
  const { tenantId, reason, actor } = request;
  const { config } = await loadMaestroConfig(db, tenantId, io);
  const hours = config.market_hours;

  // 1. EMERGENCY_STOP first: no cycle orchestrates from here on.
  const { session: current } = await sessionForCycle(db, tenantId, config, started, started, io);
  const day = current.day;
  const at = started.toISOString();
  const stopped = await moveTradingSession(
    db,
    tenantId,
    day,
    hours,
    (s) => {
      const alert = { at, code: "EMERGENCY_STOP", message: `Emergency stop by ${actor.kind === "admin" ? actor.uid : actor.kind}: ${reason}` };
      // A stop while stopped (pressed twice, retried) continues the same record, its claims kept.
      if (s.state === "EMERGENCY_STOP" && s.emergency) return { moves: [], change: (x) => ({ ...x, emergency: { ...x.emergency!, stops: x.emergency!.stops + 1 } }), alert };
      // A new stop (after a resume, or the first) starts a fresh record: new positions are closed anew.
      const fresh = (e: EmergencyRecord | null): EmergencyRecord => ({ triggered_by: actor, reason, started_at: at, stops: (e?.stops ?? 0) + 1, closing: {}, report: null, reconciled: null });
      if (s.state === "EMERGENCY_STOP") return { moves: [], change: (x) => ({ ...x, emergency: fresh(x.emergency) }), alert };
      const moved = transition(s.state, "EMERGENCY_STOP", actor, started, reason);
      if (!moved.ok) return { refused: `trading session ${s.day}: ${moved.refused}` };
      return { moves: [moved.transition!], change: (x) => ({ ...x, emergency: fresh(x.emergency) }), alert };
    },
    { now: started, keys: configuredChainKeys(), io },
  );
  if (stopped.refused) throw new HttpsError("failed-precondition", stopped.refused);
  logEvent.emergencyStop({ tenant_id: tenantId, day, actor: actor.kind, reason, stops: stopped.session.emergency?.stops ?? 1 });

  // 2. Licences revoked, reservations released, pending signals cancelled.
  const tRevoke = Date.now();
  const { revoked, released } = await revokeLicences(db, tenantId, `emergency stop: ${reason}`, started);
  const signalsCancelled = await cancelPendingSignals(db, tenantId, reason, started);
  // The agents get no more tasks: the day's running workflows end (a failure here never holds up the stop).
  const runsCancelled = await cancelDayRuns(db, tenantId, day, `emergency stop: ${reason}`, started).catch((error: unknown) => {
    logEvent.emergencyStopReport({ tenant_id: tenantId, day, problem: `agent runs not cancelled: ${error instanceof Error ? error.message : String(error)}` });
    return [] as string[];
  });
  const revokeMs = Date.now() - tRevoke;

  const report: EmergencyReport = {
    broker: null,
    nonces_revoked: revoked,
    reservations_released: released,
    signals_cancelled: signalsCancelled,
    agent_runs_cancelled: runsCancelled,
    orders_cancelled: [],
    cancel_failures: [],
    closing_orders: [],
    still_open: [],
    intents: [],
    polls: 0,
    flat: false,
    timings_ms: { revoke: revokeMs, cancel: 0, close: 0, poll: 0, total: 0 },
    written_at: "",
  };

  const chosen = request.broker !== undefined ? { broker: request.broker, problem: null } : configuredBroker(config);
  if (chosen.broker) {
    report.broker = chosen.broker.kind;
    await flattenThroughBroker(db, tenantId, day, chosen.broker, config, report, { now: clock, sleep });
  } else {
    if (chosen.problem) report.still_open.push({ connector_name: "(broker)", trading_pair: "(all)", side: "-", amount: 0, why: `${chosen.problem}; intents written instead` });
    await writeIntents(db, tenantId, day, config, report, started);
  }

  report.timings_ms.total = Date.now() - t0;
  report.written_at = clock().toISOString();
  await db.doc(paths.tradingSession(tenantId, day)).update({ "emergency.report": storable(report), updated_at: report.written_at });
  await db.collection(paths.adminActions(tenantId)).add(
    storable({
      action: "emergency_stop",
      tenant_id: tenantId,
      actor_uid: actor.kind === "admin" ? actor.uid : null,
      actor,
      at,
      reason,
      target: paths.tradingSession(tenantId, day),
      report,
    }),
  );
  logEvent.emergencyStopReport({ tenant_id: tenantId, day, flat: report.flat, still_open: report.still_open.length, cancelled: report.orders_cancelled.length });
  const by = actor.kind === "admin" ? `admin ${actor.uid}` : actor.kind === "guardian" ? `the guardian (${actor.code})` : "the clock";
  await raiseAlertSafely(db, tenantId, {
    id: `emergency_stop_${day}_${stopped.session.emergency?.stops ?? 1}`,
    severity: "critical",
    code: "EMERGENCY_STOP",
    title: "Emergency stop",
    message:
      `Stopped by ${by}: ${reason}. ${report.orders_cancelled.length} order(s) cancelled, ${report.closing_orders.length} closing order(s), ` +
      `${report.flat ? "flat" : `${report.still_open.length} still open`}${report.intents.length ? `, ${report.intents.length} intent(s) for the execution side` : ""}.`,
    at: report.written_at,
  });
  return { day, state: "EMERGENCY_STOP", report };
}

async function revokeLicences(db: Firestore, tenantId: string, reason: string, now: Date): Promise<{ revoked: number; released: number }> {
  // Only licences still in force: unredeemed and unexpired (firestore.indexes.json: redeemed_at, expires_at).
  const snap = await db.collection(`${paths.tenant(tenantId)}/nonces`).where("redeemed_at", "==", null).where("expires_at", ">", now.toISOString()).get();
  const open = snap.docs.filter((d) => d.get("executable") === true && !d.get("revoked_at"));
  const at = now.toISOString();
  for (let i = 0; i < open.length; i += 400) {
    const batch = db.batch();
    for (const d of open.slice(i, i + 400)) batch.update(d.ref, { revoked_at: at, revoked_reason: reason });
    await batch.commit();
  }
  const reserved = open.filter((d) => d.get("reserved") === true).map((d) => d.id);
  if (reserved.length === 0) return { revoked: open.length, released: 0 };
  const ref = db.doc(paths.buyingPowerReservation(tenantId));
  const released = await db.runTransaction(async (tx) => {
    const record = await tx.get(ref);
    const present = reserved.filter((n) => record.get(`entries.${n}`) !== undefined);
    if (present.length > 0) tx.update(ref, Object.fromEntries([...present.map((n) => [`entries.${n}`, FieldValue.delete()]), ["updated_at", at]]));
    return present.length;
  });
  return { revoked: open.length, released };
}

/**
 * The pending signals are cancelled (rejected, with the stop named): after a resume nothing
 * re-enters at once on a signal written before the stop (LEAN's lesson on its drawdown
 * stop). Each update is conditional on the signal still pending as read, so a cycle that
 * took it first keeps it.
 */
async function cancelPendingSignals(db: Firestore, tenantId: string, reason: string, now: Date): Promise<number> {
  const snap = await db.collection(paths.signals(tenantId)).where("status", "==", "pending").get();
  let cancelled = 0;
  for (const doc of snap.docs) {
    try {
      await doc.ref.update({ status: "rejected", rejection_reason: `cancelled by the emergency stop: ${reason}`, rejected_at: now.toISOString() }, { lastUpdateTime: doc.updateTime });
      cancelled += 1;
    } catch {
      // Taken by a cycle (or changed) since it was read: it is no longer pending, and not ours to cancel.
    }
  }
  return cancelled;
}

/** Tries a broker call up to `attempts` times while the broker says it acted on nothing. */
async function attempt<T>(attempts: number, call: () => Promise<T>, sleep: (ms: number) => Promise<void>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof BrokerError) || !error.retryable || i >= attempts) throw error;
      await sleep(Math.min(250 * 2 ** (i - 1), 2_000));
    }
  }
}

async function flattenThroughBroker(
  db: Firestore,
  tenantId: string,
  day: string,
  broker: BrokerAdapter,
  config: MaestroConfig,
  report: EmergencyReport,
  options: { now: () => Date; sleep: (ms: number) => Promise<void> },
): Promise<void> {
  const { call_attempts: attempts, poll_attempts: polls, poll_interval_ms: interval } = config.emergency;
  const sessionRef = db.doc(paths.tradingSession(tenantId, day));

  // Cancel every working order (all pages) but the stop's own closing orders (a second stop
  // must not undo the first one's flatten); one order's failure does not stop the others.
  const tCancel = Date.now();
  const before = parseTradingSession(await sessionRef.get());
  const ownOrders = new Set(Object.values(before.emergency?.closing ?? {}).flatMap((c) => (c.client_order_id ? [c.client_order_id] : [])));
  try {
    const cancelled = await attempt(attempts, () => cancelAllOrders(broker, { keep: (o) => ownOrders.has(o.client_order_id) }), options.sleep);
    report.orders_cancelled = cancelled.requested.map((c) => ({ connector_name: c.connector_name, client_order_id: c.client_order_id }));
    report.cancel_failures = cancelled.failed.map((f) => ({ connector_name: f.order.connector_name, client_order_id: f.order.client_order_id, why: f.error.message }));
  } catch (error) {
    report.cancel_failures.push({ connector_name: "(all)", client_order_id: "(listing)", why: `the active orders could not be listed: ${why(error)}` });
  }
  report.timings_ms.cancel = Date.now() - tCancel;

  if (!config.risk.flatten_on_emergency) {
    report.timings_ms.close = 0;
    const left = await attempt(attempts, () => broker.positions(), options.sleep).catch(() => null);
    report.still_open = (left ?? []).map((p) => ({ ...openOf(p), why: "risk.flatten_on_emergency is false: positions are left open" }));
    report.flat = left !== null && left.length === 0;
    return;
  }

  // One closing order per open position, each claimed on the session before it is sent.
  const tClose = Date.now();
  let positions: BrokerPosition[] | null = null;
  try {
    positions = await attempt(attempts, () => broker.positions(), options.sleep);
  } catch (error) {
    report.still_open.push({ connector_name: "(all)", trading_pair: "(all)", side: "-", amount: 0, why: `the positions could not be listed: ${why(error)}` });
  }
  for (const p of positions ?? []) {
    const closing: EmergencyClosing = {
      connector_name: p.connector_name,
      trading_pair: p.trading_pair,
      position_side: p.side,
      amount: p.amount,
      claimed_at: options.now().toISOString(),
      client_order_id: null,
      error: null,
    };
    const key = positionKey(closing);
    const claimed = await db.runTransaction(async (tx) => {
      const session = parseTradingSession(await tx.get(sessionRef));
      const earlier = session.emergency?.closing[key];
      if (earlier) return earlier;
      tx.update(sessionRef, new FieldPath("emergency", "closing", key), closing);
      return null;
    });
    if (claimed) {
      // Claimed by an earlier or concurrent stop: never a second order for it.
      report.closing_orders.push(claimed);
      continue;
    }
    try {
      const ack = await attempt(attempts, () => broker.placeClosingOrder({ connector_name: p.connector_name, trading_pair: p.trading_pair, position_side: p.side, amount: p.amount }), options.sleep);
      closing.client_order_id = ack.client_order_id;
    } catch (error) {
      closing.error = why(error);
    }
    await sessionRef.update(new FieldPath("emergency", "closing", key), closing);
    report.closing_orders.push(closing);
  }
  report.timings_ms.close = Date.now() - tClose;

  // Until flat, or out of patience: an acknowledgement is not a fill.
  const tPoll = Date.now();
  let left: BrokerPosition[] | null = positions;
  for (let i = 1; i <= polls; i++) {
    report.polls = i;
    left = await attempt(attempts, () => broker.positions(), options.sleep).catch(() => null);
    if (left !== null && left.length === 0) break;
    if (i < polls) await options.sleep(interval);
  }
  report.timings_ms.poll = Date.now() - tPoll;
  report.flat = left !== null && left.length === 0;
  if (left === null) {
    report.still_open.push({ connector_name: "(all)", trading_pair: "(all)", side: "-", amount: 0, why: "the positions could not be listed after the closing orders: whether the account is flat is unknown" });
    return;
  }
  const byKey = new Map(report.closing_orders.map((c) => [positionKey(c), c]));
  for (const p of left) {
    const c = byKey.get(positionKey({ connector_name: p.connector_name, trading_pair: p.trading_pair, position_side: p.side }));
    const reasonOpen = !c
      ? "opened after the stop listed the positions: no closing order sent"
      : c.error
        ? `its closing order failed: ${c.error}`
        : c.client_order_id
          ? `closing order ${c.client_order_id} acknowledged, not yet filled after ${report.polls} listing(s)`
          : `claimed by an earlier stop at ${c.claimed_at} with no acknowledgement recorded: its fate is unknown, so it is not sent again`;
    report.still_open.push({ ...openOf(p), why: reasonOpen });
  }
}

function openOf(p: BrokerPosition) {
  return { connector_name: p.connector_name, trading_pair: p.trading_pair, side: p.side, amount: p.amount };
}

/** Without a broker: the stop's steps as intents the execution side carries out (create-once: a second stop adds nothing). */
async function writeIntents(db: Firestore, tenantId: string, day: string, config: MaestroConfig, report: EmergencyReport, now: Date): Promise<void> {
  const tClose = Date.now();
  const at = now.toISOString();
  const intents: { id: string; body: Record<string, unknown> }[] = [
    { id: `${day}_cancel_all_orders`, body: { kind: "cancel_all_orders", day, created_at: at, status: "pending" } },
  ];
  if (config.risk.flatten_on_emergency) {
    const { positions } = await readPositions(db, tenantId, new IoCount());
    const net = new Map<string, number>();
    for (const bySymbol of Object.values(positions)) for (const [symbol, q] of Object.entries(bySymbol)) net.set(symbol, (net.get(symbol) ?? 0) + q);
    for (const [symbol, quantity] of [...net].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (quantity === 0) continue;
      intents.push({
        id: `${day}_close_${symbol.replace(/[^A-Za-z0-9_-]/g, "_")}`,
        body: { kind: "close_position", day, symbol, position_quantity: quantity, side: quantity > 0 ? "SELL" : "BUY", quantity: Math.abs(quantity), order_type: "MARKET", created_at: at, status: "pending" },
      });
    }
  }
  for (const intent of intents) {
    try {
      await db.doc(`${paths.tenant(tenantId)}/execution_intents/${intent.id}`).create({ tenant_id: tenantId, ...intent.body });
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
    report.intents.push(intent.id);
  }
  report.flat = false;
  report.still_open.push(
    ...intents
      .filter((i) => i.body.kind === "close_position")
      .map((i) => ({ connector_name: "(execution side)", trading_pair: String(i.body.symbol), side: String(i.body.side), amount: Number(i.body.quantity), why: "no broker: a close_position intent waits for the execution side" })),
  );
  report.timings_ms.close = Date.now() - tClose;
}

export interface ResumeRequest {
  tenantId: string;
  uid: string;
  reason: string;
  now?: () => Date;
  broker?: BrokerAdapter | null;
}

/**
 * Leaves EMERGENCY_STOP (issue 11), only once everything is reconciled: with a broker, it
 * answers and is ready, nothing is working there (not even a closing order still open) and,
 * when the stop flattened, no position is left; without one, every execution intent of the
 * stop is `done`. Then EMERGENCY_STOP → PAUSED → the clock's phase, both by the admin with
 * the reason, and the reconciliation recorded on the session. Refused otherwise, naming
 * what is not reconciled; entries stay denied until then.
 */
export async function resumeTrading(db: Firestore, request: ResumeRequest): Promise<{ day: string; state: TradingSessionState; checks: string[] }> {
  const now = (request.now ?? (() => new Date()))();
  const io = new IoCount();
  const { config } = await loadMaestroConfig(db, request.tenantId, io);
  const { session } = await sessionForCycle(db, request.tenantId, config, now, now, io);
  if (session.state !== "EMERGENCY_STOP") throw new HttpsError("failed-precondition", `trading session ${session.day} is ${session.state}, not EMERGENCY_STOP: there is nothing to resume`);

  const checks: string[] = [];
  const problems: string[] = [];
  const chosen = request.broker !== undefined ? { broker: request.broker, problem: null } : configuredBroker(config);
  if (chosen.problem) problems.push(chosen.problem);
  if (chosen.broker) {
    const status = await chosen.broker.status();
    if (!status.ready) problems.push(`the broker is not ready: ${status.problem?.message ?? `connectors without credentials: ${(status.connectors_missing ?? []).join(", ")}`}`);
    else checks.push(`broker ${chosen.broker.kind} ${status.version ?? ""} reachable and ready`.replace("  ", " "));
    if (status.ready) {
      const [orders, positions] = await Promise.all([chosen.broker.activeOrders().catch((e: unknown) => e as Error), chosen.broker.positions().catch((e: unknown) => e as Error)]);
      if (orders instanceof Error) problems.push(`the active orders could not be listed: ${orders.message}`);
      else if (orders.length > 0) problems.push(`${orders.length} order(s) still working at the broker: ${orders.map((o) => `${o.client_order_id} (${o.side} ${o.amount} ${o.trading_pair})`).join(", ")}`);
      else checks.push("no order working at the broker");
      if (positions instanceof Error) problems.push(`the positions could not be listed: ${positions.message}`);
      else if (config.risk.flatten_on_emergency && positions.length > 0) problems.push(`${positions.length} position(s) still open at the broker: ${positions.map((p) => `${p.side} ${p.amount} ${p.trading_pair} on ${p.connector_name}`).join(", ")}`);
      else checks.push(config.risk.flatten_on_emergency ? "no position open at the broker" : `${positions.length} position(s) open, kept (risk.flatten_on_emergency is false)`);
    }
  } else if (!chosen.problem) {
    const intents = session.emergency?.report?.intents ?? [];
    const snaps = intents.length ? await db.getAll(...intents.map((id) => db.doc(`${paths.tenant(request.tenantId)}/execution_intents/${id}`))) : [];
    const pending = snaps.filter((d) => d.get("status") !== "done").map((d) => d.id);
    if (pending.length > 0) problems.push(`${pending.length} execution intent(s) not done by the execution side: ${pending.join(", ")}`);
    else checks.push(`all ${intents.length} execution intent(s) done`);
  }
  if (problems.length > 0) throw new HttpsError("failed-precondition", `not reconciled, EMERGENCY_STOP stays: ${problems.join("; ")}`);

  const clock = clockPhase(now, session.day, config.market_hours, config.trading_session);
  const target = resumeTarget(clock);
  const admin = { kind: "admin" as const, uid: request.uid };
  const moved = await moveTradingSession(
    db,
    request.tenantId,
    session.day,
    config.market_hours,
    (s) => {
      const leave = transition(s.state, "PAUSED", admin, now, `reconciled (${checks.join("; ")}): ${request.reason}`);
      if (!leave.ok) return { refused: `trading session ${s.day}: ${leave.refused}` };
      const moves = [leave.transition!];
      if (target) {
        const back = transition("PAUSED", target, admin, now, request.reason);
        if (back.ok) moves.push(back.transition!);
      }
      return {
        moves,
        change: (x) => ({ ...x, emergency: x.emergency ? { ...x.emergency, reconciled: { at: now.toISOString(), by: request.uid, reason: request.reason, broker: chosen.broker?.kind ?? null, checks } } : x.emergency }),
        alert: { at: now.toISOString(), code: "EMERGENCY_RESUMED", message: `Resumed by ${request.uid} after reconciliation: ${request.reason}` },
      };
    },
    { now, keys: configuredChainKeys(), io },
  );
  if (moved.refused) throw new HttpsError("failed-precondition", moved.refused);
  await db.collection(paths.adminActions(request.tenantId)).add({
    action: "resume_trading",
    tenant_id: request.tenantId,
    actor_uid: request.uid,
    at: now.toISOString(),
    reason: request.reason,
    target: paths.tradingSession(request.tenantId, session.day),
    before: { state: "EMERGENCY_STOP" },
    after: { state: moved.session.state },
    checks,
  });
  logEvent.adminAction({ tenant_id: request.tenantId, action: "resume_trading", actor_uid: request.uid, day: session.day, state: moved.session.state });
  await raiseAlertSafely(db, request.tenantId, {
    id: `emergency_resumed_${session.day}_${now.getTime()}`,
    severity: "warning",
    code: "EMERGENCY_RESUMED",
    title: "Trading resumed after an emergency stop",
    message: `Resumed by admin ${request.uid} into ${moved.session.state}: ${request.reason} (${checks.join("; ")}).`,
    at: now.toISOString(),
  });
  return { day: session.day, state: moved.session.state, checks };
}
