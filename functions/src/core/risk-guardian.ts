/**
 * The risk guardian as a step of the cycle (issue 10, seed 001 SKILL_2; config.cycle_steps
 * "risk_guardian", on by default). Entries only: an exit passes untouched, though it uses
 * up the session's order budgets first (it is an order all the same).
 *  - A session lock or a data-quality hold (ctx.session.block, core/session-guardian.ts)
 *    holds every entry with its code (SESSION_LOSS_LIMIT, MAX_TRADES_PER_SESSION,
 *    MAX_CONSECUTIVE_LOSSES, SESSION_DURATION_LIMIT, EQUITY_UNAVAILABLE, EQUITY_IMPLAUSIBLE).
 * Otherwise, in priority order (confidence high to low, then signal id), each entry must
 *  - have an equity to measure against: a missing or non-positive reading never trades on
 *    (EQUITY_UNAVAILABLE, held), and never latches anything by itself;
 *  - not open a symbol past `risk.max_positions` symbols held across the tenant
 *    (MAX_POSITIONS, held);
 *  - fit the orders left this session and this minute (MAX_TRADES_PER_SESSION,
 *    ORDER_RATE_LIMIT, held: the first would lock the session at the next cycle, the
 *    second waits for the minute to pass);
 *  - fit `risk.max_position_risk_pct` of equity: its risk is notional × its stop distance
 *    (`stop_distance_pct`, else `risk.default_stop_distance_pct`); above the limit it is
 *    scaled down to fit (POSITION_RISK_SCALED).
 * The budgets are counted here against what the guardian lets through; a later step (the
 * buying-power guard) may still hold an entry, so they are conservative within a cycle,
 * and the session counts only the orders actually licensed.
 */
import type { InterventionCode } from "../schemas";
import type { CycleStep, DraftSignal } from "./pipeline";
import { intervene, isEntry, wouldTrade } from "./pipeline";

const money = (x: number) => `$${x.toFixed(2)}`;

export const riskGuardianStep: CycleStep = {
  name: "risk_guardian",
  run(signals, ctx) {
    const risk = ctx.config.risk;
    const equity = ctx.equity;
    const session = ctx.session;
    const held = new Set<string>();
    for (const byTicker of Object.values(ctx.positions)) for (const [symbol, q] of Object.entries(byTicker)) if (q !== 0) held.add(symbol);
    const byPriority = (a: DraftSignal, b: DraftSignal) => b.confidence - a.confidence || (a.signal_id < b.signal_id ? -1 : a.signal_id > b.signal_id ? 1 : 0);
    const trading = signals.filter((s) => wouldTrade(s));
    const entries = trading.filter((s) => isEntry(s)).sort(byPriority);
    const exits = trading.filter((s) => !isEntry(s)).length;
    let tradesLeft = session?.tradesLeft ?? null;
    let ordersLeft = session?.ordersLeft ?? null;
    if (tradesLeft !== null) tradesLeft = Math.max(0, tradesLeft - exits);
    if (ordersLeft !== null) ordersLeft = Math.max(0, ordersLeft - exits);

    const changed = new Map<string, DraftSignal>();
    const hold = (s: DraftSignal, code: InterventionCode, reason: string) =>
      intervene(s, "risk_guardian", code, reason, { action: "HOLD", allocation: 0 }, { original_action: s.original_action ?? s.action, executable: false });

    for (const s of entries) {
      if (session?.block) {
        changed.set(s.signal_id, hold(s, session.block.code, session.block.reason));
        continue;
      }
      if (equity.value === null || !(equity.value > 0)) {
        changed.set(s.signal_id, hold(s, "EQUITY_UNAVAILABLE", `Held: no usable equity reading (${equity.source}); entries wait for one.`));
        continue;
      }
      if (risk.max_positions !== null && !held.has(s.ticker) && held.size >= risk.max_positions) {
        changed.set(s.signal_id, hold(s, "MAX_POSITIONS", `Held: ${held.size} symbols are held, the most risk.max_positions allows (${risk.max_positions}); ${s.ticker} would be a new one.`));
        continue;
      }
      if (tradesLeft !== null && tradesLeft <= 0) {
        changed.set(s.signal_id, hold(s, "MAX_TRADES_PER_SESSION", `Held: no orders left this session under risk.max_trades_per_session (${risk.max_trades_per_session}).`));
        continue;
      }
      if (ordersLeft !== null && ordersLeft <= 0) {
        changed.set(s.signal_id, hold(s, "ORDER_RATE_LIMIT", `Held: risk.max_orders_per_minute (${risk.max_orders_per_minute}) orders were licensed in the last minute; it waits for a later cycle.`));
        continue;
      }
      if (tradesLeft !== null) tradesLeft -= 1;
      if (ordersLeft !== null) ordersLeft -= 1;
      held.add(s.ticker);
      const capital = ctx.capitalBase.get(s.strategy_id) ?? 0;
      const stop = (s.stop_distance_pct ?? risk.default_stop_distance_pct) / 100;
      const notional = s.allocation * capital;
      const limit = (equity.value * risk.max_position_risk_pct) / 100;
      if (notional * stop > limit + 1e-9 && capital > 0) {
        const allocation = limit / stop / capital;
        const reason =
          `Scaled from ${money(notional)} to ${money(limit / stop)}: its risk at a ${(stop * 100).toFixed(2)}% stop, ${money(notional * stop)}, ` +
          `is above risk.max_position_risk_pct ${risk.max_position_risk_pct}% of equity ${money(equity.value)} (${money(limit)}).`;
        changed.set(s.signal_id, intervene(s, "risk_guardian", "POSITION_RISK_SCALED", reason, { action: s.action, allocation }));
      }
    }
    return { signals: signals.map((s) => changed.get(s.signal_id) ?? s) };
  },
};
