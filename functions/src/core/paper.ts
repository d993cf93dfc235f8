/**
 * Paper trading for SHADOW_MODE (seed 000: "paper trading only"; issue 9). A strategy in
 * shadow places nothing, so without paper fills it would have no new performance and could
 * never earn its way back. Each orchestrated BUY or SELL of a SHADOW_MODE strategy becomes
 * a paper fill worth its requested allocation × capital_base:
 *  - at the price the signal names (`reference_price`), filled at once;
 *  - without one, at the symbol's next mark: the fill waits (`awaiting_mark`) until the
 *    first mark of its venue day or a later one is written, then takes that price.
 * A HOLD places nothing, on paper too. A BUY the systemic override turned into HOLD is
 * still filled on paper: the paper ledger measures the strategy's own calls, which is what
 * decides whether it earns its way back, not the portfolio-level risk decisions made
 * around it (those protect real capital, and a shadow strategy has none at stake).
 */
import type { EnrichedSignal, PaperTrade, Strategy } from "../schemas";

export interface PaperFillInput {
  signals: readonly EnrichedSignal[];
  /** The price each raw signal named, by signal id. */
  reference_prices: ReadonlyMap<string, number>;
  strategies: Readonly<Record<string, Strategy>>;
  session_id: string;
  now: Date;
}

/** The paper fills of one cycle, keyed by document id `{session}_{signal}` (one per signal, so a redelivered cycle cannot fill twice). */
export function paperFillsOf(input: PaperFillInput): Map<string, PaperTrade> {
  const fills = new Map<string, PaperTrade>();
  for (const signal of input.signals) {
    const action = signal.original_action ?? signal.action;
    if (signal.mode !== "SHADOW_MODE" || (action !== "BUY" && action !== "SELL")) continue;
    const strategy = input.strategies[signal.strategy_id];
    if (!strategy) continue;
    const notional = signal.original_allocation * strategy.capital_base;
    if (!(notional > 0)) continue;
    const price = input.reference_prices.get(signal.signal_id);
    const priced = price !== undefined && Number.isFinite(price) && price > 0;
    fills.set(`${input.session_id}_${signal.signal_id}`, {
      strategy_id: signal.strategy_id,
      symbol: signal.ticker,
      side: action,
      quantity: priced ? notional / price : null,
      price: priced ? price : null,
      fee: 0,
      executed_at: input.now,
      notional,
      price_source: priced ? "reference_price" : "next_mark",
      status: priced ? "filled" : "awaiting_mark",
      priced_by_mark: null,
      session_id: input.session_id,
      signal_id: signal.signal_id,
      paper: true,
    });
  }
  return fills;
}

/**
 * A waiting paper fill priced by a day's marks, or null when that day cannot price it: the
 * mark must be of the fill's venue day or later, and name the fill's symbol.
 */
export function priceAwaitingFill(
  fill: Pick<PaperTrade, "symbol" | "notional" | "status">,
  fillDay: string,
  markDay: string,
  prices: Readonly<Record<string, number>>,
): Pick<PaperTrade, "price" | "quantity" | "status" | "priced_by_mark"> | null {
  if (fill.status !== "awaiting_mark" || markDay < fillDay) return null;
  const price = prices[fill.symbol];
  if (price === undefined || !(Number.isFinite(price) && price > 0)) return null;
  return { price, quantity: fill.notional / price, status: "filled", priced_by_mark: markDay };
}

export interface DayPnl {
  trading_day: string;
  daily_pnl: number;
}

/**
 * A strategy's daily P&L over its lookback with its paper days standing in for the days
 * it was in shadow: the union of its real and paper days, the last `lookback` of them,
 * each day's real and paper P&L added (a strategy in shadow may still carry real positions
 * from before; its paper fills are what it would have traded on top). `paper_days` counts
 * the days in the window that have paper P&L.
 */
export function withPaperDays(real: readonly DayPnl[], paper: readonly DayPnl[], lookback: number): { rows: DayPnl[]; paper_days: number } {
  const byDay = new Map<string, { pnl: number; paper: boolean }>();
  for (const r of real) byDay.set(r.trading_day, { pnl: r.daily_pnl, paper: false });
  for (const p of paper) {
    const day = byDay.get(p.trading_day);
    byDay.set(p.trading_day, { pnl: (day?.pnl ?? 0) + p.daily_pnl, paper: true });
  }
  const days = [...byDay.keys()].sort().slice(-lookback);
  return {
    rows: days.map((d) => ({ trading_day: d, daily_pnl: byDay.get(d)!.pnl })),
    paper_days: days.filter((d) => byDay.get(d)!.paper).length,
  };
}
