/**
 * The risk guardian's session limits (issue 10, seed 001 SKILL_2), pure. Before a cycle's
 * steps run, `assessSession` takes the trading session's risk state, the cycle's equity
 * reading and the session's closed trades, and decides:
 *  - whether the equity reading is believed (a missing, non-positive or implausible one
 *    never trades on and never latches a lock by itself: entries are held with a
 *    data-quality code and a finding is returned; a jump is believed once a later
 *    snapshot confirms it: a rise as a deposit, a fall as a loss);
 *  - the session's high-water mark and the loss down from it, against
 *    `risk.max_session_loss_pct` of the starting equity (equity, not trade ratios);
 *  - the trades taken and the closed trades lost in a row;
 *  - how long the session has traded.
 * A breach is a lock (code, reason, since, until the close) kept on the trading session,
 * so it survives restarts and holds entries in every later cycle, even after equity
 * recovers, until the next session or an admin lifts it with a reason (`liftLock`, which
 * also restarts that limit's count from the lift). Exits are never held by anything here.
 *
 * `tradingSessionGate` is the step every cycle runs after the weights whatever the config
 * lists: a PAUSED session holds entries (SESSION_PAUSED) and lets exits through; so does a
 * strategy whose agent the health check found failed (AGENT_FAILED, issue 14).
 */
import type { LockCode, RiskConfig, RiskLock, SessionAlert, SessionRisk } from "../schemas";
import { intervene, isEntry, type CycleStep, type DraftSignal } from "./pipeline";

export type SessionBlockCode = LockCode | "EQUITY_UNAVAILABLE" | "EQUITY_IMPLAUSIBLE";

export interface SessionBlock {
  code: SessionBlockCode;
  reason: string;
}

export interface EquityReading {
  value: number | null;
  source: string;
  /** When the account snapshot was taken; a confirmation must come from a later one. */
  as_of: string | null;
}

export interface ClosedTrade {
  /** When the closing fill executed. */
  at: string;
  /** What it realized, net of its fee. */
  pnl: number;
}

export interface SessionAssessmentInput {
  risk: RiskConfig;
  state: SessionRisk;
  equity: EquityReading;
  /** The session's closing fills across the tenant's strategies, any order. */
  closedTrades: readonly ClosedTrade[];
  now: Date;
  /** When the session began trading (null: not yet). */
  tradingSince: string | null;
  /** The session's close: locks last until then. */
  closesAt: string | null;
}

export interface SessionFinding {
  code: "EQUITY_UNAVAILABLE" | "EQUITY_IMPLAUSIBLE";
  message: string;
}

export interface SessionAssessment {
  /** The risk state to store: equity marks and any new lock. */
  state: SessionRisk;
  /** New alerts for the session's list (a lock, a rebased equity, a data-quality hold). */
  alerts: SessionAlert[];
  /** Data-quality findings to record (never a lock). */
  findings: SessionFinding[];
  /** Holds every entry of the cycle, with its code; null: entries may pass (subject to the budgets). */
  block: SessionBlock | null;
  /** Orders this cycle may still license before MAX_TRADES_PER_SESSION (null: no limit). */
  tradesLeft: number | null;
  /** Orders this cycle may still license within the minute (null: no limit). */
  ordersLeft: number | null;
  /** The loss from the high-water mark, and the limit it is measured against (null without a believed reading). */
  loss: { amount: number; limit: number } | null;
}

export const EMPTY_SESSION_RISK: SessionRisk = {
  starting_equity: null,
  high_water_equity: null,
  last_equity: null,
  last_equity_as_of: null,
  pending_equity: null,
  trades: 0,
  trades_counted_from: 0,
  order_times: [],
  losses_counted_after: null,
  locks: [],
};

const money = (x: number) => `$${x.toFixed(2)}`;
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/** A lock holds while nobody has lifted it and its `until` has not passed. */
export function lockActive(lock: RiskLock, now: Date): boolean {
  return lock.lifted_at === null && (lock.until === null || now.getTime() < Date.parse(lock.until));
}

/** Whether `value` is a reading anything may be measured against. */
function usable(value: number | null): value is number {
  return value !== null && Number.isFinite(value) && value > 0;
}

function relativeMove(from: number, to: number): number {
  return Math.abs(to - from) / from;
}

export function assessSession(input: SessionAssessmentInput): SessionAssessment {
  const { risk, now } = input;
  const at = now.toISOString();
  const state: SessionRisk = { ...input.state, locks: [...input.state.locks], order_times: [...input.state.order_times] };
  const alerts: SessionAlert[] = [];
  const findings: SessionFinding[] = [];
  let dataBlock: SessionBlock | null = null;

  // 1. The equity reading: believed, rebased as a cash flow, or held for data quality.
  const reading = input.equity;
  let believed: number | null = null;
  if (!usable(reading.value)) {
    const message = `No usable equity reading (${reading.value === null ? reading.source : `equity ${String(reading.value)}`}); entries wait for one.`;
    dataBlock = { code: "EQUITY_UNAVAILABLE", reason: `Held: ${message}` };
    findings.push({ code: "EQUITY_UNAVAILABLE", message });
  } else if (state.last_equity === null) {
    believed = reading.value;
    state.starting_equity = reading.value;
    state.high_water_equity = reading.value;
  } else if (relativeMove(state.last_equity, reading.value) <= risk.max_equity_jump_pct / 100) {
    believed = reading.value;
    state.pending_equity = null;
  } else {
    const pending = state.pending_equity;
    const confirms: boolean =
      pending !== null &&
      relativeMove(pending.value, reading.value) <= risk.max_equity_jump_pct / 100 &&
      reading.as_of !== null &&
      pending.as_of !== null &&
      reading.as_of > pending.as_of;
    if (confirms && pending !== null && pending.value > state.last_equity) {
      // Two snapshots agree on a rise: a deposit, not profit. The session's marks move with
      // it (what moved between the two snapshots is the session's own P&L).
      const flow = pending.value - state.last_equity;
      state.starting_equity = (state.starting_equity ?? state.last_equity) + flow;
      state.high_water_equity = (state.high_water_equity ?? state.last_equity) + flow;
      state.pending_equity = null;
      believed = reading.value;
      alerts.push({
        at,
        code: "EQUITY_REBASED",
        message: `Equity rose ${money(state.last_equity)} → ${money(pending.value)} and a later snapshot (${money(reading.value)}) confirmed it: taken as a deposit of ${money(flow)}; the session's starting equity and high-water mark moved with it.`,
      });
    } else if (confirms && pending !== null) {
      // Two snapshots agree on a fall: a loss until someone says otherwise (fail closed). A
      // withdrawal looks the same; an admin who knows it was one lifts the lock with that reason.
      state.pending_equity = null;
      believed = reading.value;
      alerts.push({
        at,
        code: "EQUITY_DROP_CONFIRMED",
        message: `Equity fell ${money(state.last_equity)} → ${money(pending.value)} and a later snapshot (${money(reading.value)}) confirmed it: taken as a loss of the session (a withdrawal looks the same; lift the lock with that reason if it was one).`,
      });
    } else {
      state.pending_equity = { value: reading.value, as_of: reading.as_of };
      const message =
        `Equity ${money(reading.value)} (${reading.source}) is ${pct(relativeMove(state.last_equity, reading.value))} from the last accepted ${money(state.last_equity)}, ` +
        `more than risk.max_equity_jump_pct ${risk.max_equity_jump_pct}%; entries wait until a later snapshot confirms it.`;
      dataBlock = { code: "EQUITY_IMPLAUSIBLE", reason: `Held: ${message}` };
      findings.push({ code: "EQUITY_IMPLAUSIBLE", message });
    }
  }
  if (believed !== null) {
    state.last_equity = believed;
    state.last_equity_as_of = reading.as_of;
    state.high_water_equity = Math.max(state.high_water_equity ?? believed, believed);
    state.starting_equity ??= believed;
  }

  const hasActive = (code: LockCode) => state.locks.some((l) => l.code === code && lockActive(l, now));
  const lock = (code: LockCode, reason: string) => {
    if (hasActive(code)) return;
    // The session's length cannot be counted afresh: once lifted, it stays lifted for the session.
    if (code === "SESSION_DURATION_LIMIT" && state.locks.some((l) => l.code === code)) return;
    state.locks.push({ code, reason, since: at, until: input.closesAt, lifted_at: null, lifted_by: null, lift_reason: null });
    alerts.push({ at, code, message: reason });
  };

  // 2. The loss from the session's high-water mark (only on a believed reading).
  let loss: SessionAssessment["loss"] = null;
  if (believed !== null && state.high_water_equity !== null && state.starting_equity !== null) {
    const limit = (state.starting_equity * risk.max_session_loss_pct) / 100;
    const amount = Math.max(0, state.high_water_equity - believed);
    loss = { amount, limit };
    if (amount >= limit - 1e-9) {
      lock(
        "SESSION_LOSS_LIMIT",
        `Entries locked: equity ${money(believed)} is ${money(amount)} below the session's high-water mark ${money(state.high_water_equity)}, ` +
          `at or past risk.max_session_loss_pct ${risk.max_session_loss_pct}% of the starting equity ${money(state.starting_equity)} (${money(limit)}).`,
      );
    }
  }

  // 3. Trades taken this session.
  const counted = state.trades - state.trades_counted_from;
  if (risk.max_trades_per_session !== null && counted >= risk.max_trades_per_session) {
    lock("MAX_TRADES_PER_SESSION", `Entries locked: ${counted} orders licensed this session, the most risk.max_trades_per_session allows (${risk.max_trades_per_session}).`);
  }

  // 4. Closed trades lost in a row (a win or a break-even ends the run).
  if (risk.max_consecutive_losses !== null) {
    const after = state.losses_counted_after;
    const closed = input.closedTrades.filter((t) => after === null || t.at > after).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    let streak = 0;
    for (let i = closed.length - 1; i >= 0 && closed[i].pnl < 0; i--) streak += 1;
    if (streak >= risk.max_consecutive_losses) {
      lock("MAX_CONSECUTIVE_LOSSES", `Entries locked: the session's last ${streak} closed trades were losses, at or past risk.max_consecutive_losses (${risk.max_consecutive_losses}).`);
    }
  }

  // 5. The session's length.
  if (risk.max_session_minutes !== null && input.tradingSince !== null) {
    const minutes = (now.getTime() - Date.parse(input.tradingSince)) / 60_000;
    if (minutes >= risk.max_session_minutes) {
      lock("SESSION_DURATION_LIMIT", `Entries locked: the session has traded ${Math.floor(minutes)} minutes since ${input.tradingSince}, at or past risk.max_session_minutes (${risk.max_session_minutes}).`);
    }
  }

  // A lock outranks a data-quality hold: it is the standing decision.
  const active = state.locks.find((l) => lockActive(l, now));
  const block = active ? { code: active.code, reason: active.reason } : dataBlock;
  if (dataBlock && !active) alerts.push({ at, code: dataBlock.code, message: dataBlock.reason });

  const minuteAgo = new Date(now.getTime() - 60_000).toISOString();
  state.order_times = state.order_times.filter((t) => t > minuteAgo);
  return {
    state,
    alerts,
    findings,
    block,
    tradesLeft: risk.max_trades_per_session === null ? null : Math.max(0, risk.max_trades_per_session - counted),
    ordersLeft: risk.max_orders_per_minute === null ? null : Math.max(0, risk.max_orders_per_minute - state.order_times.length),
    loss,
  };
}

/** The state after the cycle licensed `orders` orders (entries and exits) at `now`. */
export function recordOrders(state: SessionRisk, orders: number, now: Date): SessionRisk {
  if (orders === 0) return state;
  return { ...state, trades: state.trades + orders, order_times: [...state.order_times, ...Array.from({ length: orders }, () => now.toISOString())] };
}

export interface LiftResult {
  ok: boolean;
  state?: SessionRisk;
  refused?: string;
}

/**
 * An admin lifts the active lock with `code`, with a reason. The lifted limit counts
 * afresh from now: the loss from the current equity (the high-water mark is reset to the
 * last believed reading), trades from the count so far, losses in a row from now.
 */
export function liftLock(state: SessionRisk, code: LockCode, by: string, reason: string, now: Date): LiftResult {
  if (reason.trim() === "") return { ok: false, refused: "reason: is required to lift a lock" };
  const index = state.locks.findIndex((l) => l.code === code && lockActive(l, now));
  if (index < 0) {
    const codes = state.locks.filter((l) => lockActive(l, now)).map((l) => l.code);
    return { ok: false, refused: `code: no active ${code} lock on this trading session (active: ${codes.length ? codes.join(", ") : "none"})` };
  }
  const at = now.toISOString();
  const locks = state.locks.map((l, i) => (i === index ? { ...l, lifted_at: at, lifted_by: by, lift_reason: reason } : l));
  const next: SessionRisk = { ...state, locks };
  if (code === "SESSION_LOSS_LIMIT") next.high_water_equity = state.last_equity ?? state.high_water_equity;
  if (code === "MAX_TRADES_PER_SESSION") next.trades_counted_from = state.trades;
  if (code === "MAX_CONSECUTIVE_LOSSES") next.losses_counted_after = at;
  return { ok: true, state: next };
}

/** Holds every entry of a PAUSED session; exits, HOLDs and every signal of a trading session pass. */
export const tradingSessionGate: CycleStep = {
  name: "trading_session",
  run(signals, ctx) {
    const session = ctx.session;
    if (!session) return { signals: [...signals] };
    if (session.state === "PAUSED") {
      const reason = `Held: the trading session is PAUSED (${session.pausedReason ?? "by an admin"}); entries wait for a resume, exits pass.`;
      return { signals: signals.map((s): DraftSignal => (isEntry(s) ? hold(s, "SESSION_PAUSED", reason) : s)) };
    }
    // A strategy whose agent failed (issue 14, held by the health check): its entries wait, its exits pass.
    const holds = session.agentHolds ?? {};
    return {
      signals: signals.map((s): DraftSignal => {
        const held = Object.hasOwn(holds, s.strategy_id) ? holds[s.strategy_id] : undefined;
        if (held === undefined || !isEntry(s)) return s;
        return hold(s, "AGENT_FAILED", `Held: the agent of strategy ${s.strategy_id} failed (${held}); its entries wait until it recovers, exits pass.`);
      }),
    };
  },
};

function hold(s: DraftSignal, code: "SESSION_PAUSED" | "AGENT_FAILED", reason: string): DraftSignal {
  return intervene(s, "trading_session", code, reason, { action: "HOLD", allocation: 0 }, { original_action: s.original_action ?? s.action, executable: false });
}
