/**
 * FIFO daily performance rollup of one strategy's ledger trades (DESIGN.md: the
 * `strategy_performance/{s}_{YYYY-MM-DD}` documents, `source: "ledger_trades_fifo"`).
 *
 * Lots are matched first in, first out per symbol. A trade first closes lots of the
 * opposite side, oldest first, and opens a new lot with whatever quantity is left, so
 * one trade can flip a position from long to short or back.
 *
 * Fees are charged to realized_pnl on the day the trade executed, whether it opens or
 * closes a lot; they are not amortised into lot entry prices. A day's P&L is then exactly
 * the cash the strategy paid out in fees that day plus the change in its P&L, and
 * average_price stays the traded price.
 */
import type { LedgerTrade, OpenLots, StrategyPerformance } from "../schemas";
import { venueDayOf } from "./market-hours";

export interface FifoTrade extends Pick<LedgerTrade, "symbol" | "side" | "quantity" | "price" | "fee" | "executed_at" | "sequence"> {
  id: string;
  /** When the ledger received the fill (the document's create time): the last word on execution order. */
  received_at?: Date;
}

/**
 * One day's figures, and its checkpoint: the open FIFO lots at the day's close, from which
 * the days after it can be rolled without the trades before it (issue 9, "Cheap").
 */
export type DailyRollup = Pick<
  StrategyPerformance,
  "trading_day" | "realized_pnl" | "unrealized_pnl" | "daily_pnl" | "fees" | "trade_count" | "positions"
> & { open_lots: Record<string, OpenLots> };

/** What a roll resumes from: a stored day's close (its unrealized P&L, its marks, its open lots). */
export type FifoCheckpoint = Pick<DailyRollup, "trading_day" | "unrealized_pnl" | "positions" | "open_lots">;

type Position = DailyRollup["positions"][string];

/** The trading day of an instant at the venue (`market_hours.time_zone`), `YYYY-MM-DD`. */
export function tradingDayOf(instant: Date, timeZone = "UTC"): string {
  return venueDayOf(instant, timeZone);
}

export interface RollupOptions {
  /** The last day to report (default: the later of the last trade day and the last mark day). */
  throughDay?: string;
  /** The venue's time zone: a fill belongs to the venue's calendar day (default UTC). */
  timeZone?: string;
  /**
   * Resume after this stored day: `trades` and `marks` then hold only what comes after it
   * (a trade on or before it is a caller error), and the rows are the days after it.
   */
  from?: FifoCheckpoint;
  /**
   * Called for each fill that reduced or closed a position, in execution order, with what
   * it realized net of its fee: the closed trades the risk guardian counts losses in a row by.
   */
  onClosingFill?: (closing: { day: string; executed_at: Date; pnl: number }) => void;
}

/**
 * One row per day from the first trade's day through `throughDay` on which the strategy
 * traded or a mark was published. Trades after `throughDay` are left out. No trades (and
 * no checkpoint), no rows.
 *
 * `marks` maps a trading day to that day's closing prices by symbol. An open lot is
 * marked at the latest price known at the day's close (issue 9, "Marks"): the day's
 * closing mark where there is one; otherwise the more recent of the symbol's last earlier
 * mark and its last fill price (a fill on a later day than the mark is the more recent;
 * a mark is the close of its day, so it is more recent than that day's fills). Marks from
 * before the first trade day cannot matter (the first fill is more recent) and are ignored.
 *
 * Rolling from a checkpoint gives exactly the rows a roll of the whole ledger gives for
 * the days after it: the lots, the previous unrealized P&L and each open symbol's latest
 * price (its position's mark_price) are all a later day needs.
 */
export function rollupStrategyDays(
  trades: readonly FifoTrade[],
  marks: ReadonlyMap<string, Readonly<Record<string, number>>>,
  options: RollupOptions = {},
): DailyRollup[] {
  if (options.throughDay !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(options.throughDay)) {
    throw new RangeError(`throughDay must be a date written YYYY-MM-DD (got ${JSON.stringify(options.throughDay)})`);
  }
  const from = options.from;
  if (trades.length === 0 && from === undefined) return [];

  const ledger = chronological(trades, options.timeZone ?? "UTC");
  if (from && ledger.length > 0 && ledger[0].day <= from.trading_day) {
    throw new RangeError(`rolling from ${from.trading_day}: trade ${ledger[0].trade.id} is on ${ledger[0].day}, not after it`);
  }
  const firstDay = from ? nextDayOf(from.trading_day) : ledger[0].day;
  const markDays = [...marks.keys()].filter((day) => day >= firstDay).sort();
  const lastDay =
    options.throughDay ??
    maxDay(ledger.length ? ledger[ledger.length - 1].day : "", markDays.length ? markDays[markDays.length - 1] : "");
  const days = reportingDays(ledger, markDays, firstDay, lastDay);

  const books = new Map<string, Book>();
  const lastMark = new Map<string, { price: number; day: string }>();
  const lastTrade = new Map<string, { price: number; day: string }>();
  if (from) {
    for (const [symbol, open] of Object.entries(from.open_lots)) books.set(symbol, bookOf(open));
    for (const [symbol, position] of Object.entries(from.positions)) lastMark.set(symbol, { price: position.mark_price, day: from.trading_day });
  }
  const rows: DailyRollup[] = [];
  let t = 0;
  let m = 0;
  let previousUnrealized = from?.unrealized_pnl ?? 0;

  for (const day of days) {
    let realized = 0;
    let fees = 0;
    let tradeCount = 0;
    for (; t < ledger.length && ledger[t].day === day; t++) {
      const trade = ledger[t].trade;
      let book = books.get(trade.symbol);
      if (!book) {
        book = newBook();
        books.set(trade.symbol, book);
      }
      const direction = trade.side === "BUY" ? 1 : -1;
      const closing = book.side === -direction;
      const realizedByFill = fill(book, direction, trade.quantity, trade.price);
      realized += realizedByFill;
      if (closing && options.onClosingFill) options.onClosingFill({ day, executed_at: trade.executed_at, pnl: round(realizedByFill - trade.fee) });
      lastTrade.set(trade.symbol, { price: trade.price, day });
      fees += trade.fee;
      tradeCount++;
    }
    for (; m < markDays.length && markDays[m] <= day; m++) {
      const prices = marks.get(markDays[m]) ?? {};
      for (const symbol of Object.keys(prices)) lastMark.set(symbol, { price: prices[symbol], day: markDays[m] });
    }

    let unrealized = 0;
    const positions: Record<string, Position> = {};
    const openLots: Record<string, OpenLots> = {};
    for (const symbol of [...books.keys()].sort()) {
      const book = books.get(symbol)!;
      if (book.side === 0) continue;
      if (book.stale) resum(book);
      const markPrice = latestPrice(lastMark.get(symbol), lastTrade.get(symbol));
      unrealized += book.side * (markPrice * book.quantity - book.cost);
      positions[symbol] = {
        quantity: round(book.side * book.quantity),
        average_price: round(book.cost / book.quantity),
        mark_price: markPrice,
      };
      // A book no fill touched today keeps yesterday's snapshot (shared, never mutated).
      book.snapshot ??= lotsOf(book);
      openLots[symbol] = book.snapshot;
    }

    const realizedPnl = round(realized - fees);
    const unrealizedPnl = round(unrealized);
    rows.push({
      trading_day: day,
      realized_pnl: realizedPnl,
      unrealized_pnl: unrealizedPnl,
      daily_pnl: round(realizedPnl + unrealizedPnl - previousUnrealized),
      fees: round(fees),
      trade_count: tradeCount,
      positions,
      open_lots: openLots,
    });
    previousUnrealized = unrealizedPnl;
  }
  return rows;
}

/** The latest price known at a day's close: a mark is its day's close, so it wins over fills of that day or before. */
function latestPrice(mark: { price: number; day: string } | undefined, trade: { price: number; day: string } | undefined): number {
  if (mark === undefined) return trade!.price; // an open book has a fill or a checkpoint mark
  return trade === undefined || mark.day >= trade.day ? mark.price : trade.price;
}

/** Daily returns as DESIGN.md defines them: daily P&L over the strategy's capital_base. */
export function dailyReturns(rows: readonly { daily_pnl: number }[], capitalBase: number): number[] {
  if (!(Number.isFinite(capitalBase) && capitalBase > 0)) {
    throw new RangeError(`capital_base must be a finite number greater than 0 (got ${capitalBase})`);
  }
  return rows.map((row) => row.daily_pnl / capitalBase);
}

// ---------------------------------------------------------------------------
// Lots
// ---------------------------------------------------------------------------

interface Lot {
  quantity: number;
  readonly price: number;
  /** The quantity the lot opened with. */
  readonly opened: number;
  /** Below this the lot is float residue of partial closes, not a holding. */
  readonly dust: number;
}

/**
 * The open lots of one symbol, all on one side. `lots[head..]` are open, oldest first;
 * closing advances `head` instead of shifting the array, so a close is O(1) amortised.
 * `quantity` (unsigned) and `cost` (Σ entry · quantity) are re-summed from the lots when
 * `stale`, at most once a day, rather than updated trade by trade, so rounding error
 * does not accumulate over a long ledger.
 */
interface Book {
  lots: Lot[];
  head: number;
  side: -1 | 0 | 1;
  quantity: number;
  cost: number;
  stale: boolean;
  /** The open lots as last reported (a checkpoint); dropped by the next fill. */
  snapshot?: OpenLots;
}

/** Relative size under which a remaining quantity is float residue (1e-12 of the original). */
const DUST_RATIO = 1e-12;

function newBook(): Book {
  return { lots: [], head: 0, side: 0, quantity: 0, cost: 0, stale: false };
}

/** Applies one trade to the book and returns the FIFO P&L it realized (before fees). */
function fill(book: Book, direction: 1 | -1, quantity: number, price: number): number {
  let remaining = quantity;
  const dust = quantity * DUST_RATIO;
  let realized = 0;
  book.stale = true;
  book.snapshot = undefined;

  if (book.side === -direction) {
    while (remaining > dust && book.head < book.lots.length) {
      const lot = book.lots[book.head];
      const closed = Math.min(remaining, lot.quantity);
      // long: (exit − entry) · q; short: (entry − exit) · q
      realized += book.side * (price - lot.price) * closed;
      lot.quantity -= closed;
      remaining -= closed;
      if (lot.quantity <= lot.dust) book.head++;
    }
    if (book.head === book.lots.length) {
      book.lots = [];
      book.head = 0;
      book.side = 0;
    } else if (book.head > 64 && book.head * 2 > book.lots.length) {
      book.lots = book.lots.slice(book.head);
      book.head = 0;
    }
  }
  if (remaining > dust) {
    book.lots.push({ quantity: remaining, price, opened: remaining, dust: remaining * DUST_RATIO });
    book.side = direction;
  }
  return realized;
}

/** The open lots of a book, oldest first, as a checkpoint stores them. */
function lotsOf(book: Book): OpenLots {
  const open = book.lots.slice(book.head);
  return {
    side: book.side as 1 | -1,
    quantities: open.map((l) => l.quantity),
    prices: open.map((l) => l.price),
    opened: open.map((l) => l.opened),
  };
}

/** A book restored from a checkpoint, exactly as it was (the dust threshold comes from the opened quantity). */
function bookOf(open: OpenLots): Book {
  const lots = open.quantities.map((quantity, i) => ({ quantity, price: open.prices[i], opened: open.opened[i], dust: open.opened[i] * DUST_RATIO }));
  return { lots, head: 0, side: lots.length ? open.side : 0, quantity: 0, cost: 0, stale: true };
}

function resum(book: Book): void {
  let quantity = 0;
  let cost = 0;
  for (let i = book.head; i < book.lots.length; i++) {
    quantity += book.lots[i].quantity;
    cost += book.lots[i].price * book.lots[i].quantity;
  }
  book.quantity = quantity;
  book.cost = cost;
  book.stale = false;
}

// ---------------------------------------------------------------------------
// Days and ordering
// ---------------------------------------------------------------------------

interface LedgerEntry {
  trade: FifoTrade;
  time: number;
  day: string;
}

/**
 * Execution order (issue 9, "Exact"): executed_at, then the execution side's `sequence`
 * (a fill without one after those with one), then the order the ledger received the fills
 * (create time). The id only breaks a tie that is left after all three, so the result never
 * depends on the input order — and two fills with one timestamp close in the order they
 * were executed, not in the order their ids sort.
 */
function chronological(trades: readonly FifoTrade[], timeZone: string): LedgerEntry[] {
  const entries = trades.map((trade) => ({ trade, time: trade.executed_at.getTime(), day: venueDayOf(trade.executed_at, timeZone) }));
  const seq = (t: FifoTrade) => t.sequence ?? Number.POSITIVE_INFINITY;
  const received = (t: FifoTrade) => t.received_at?.getTime() ?? Number.POSITIVE_INFINITY;
  return entries.sort(
    (a, b) =>
      a.time - b.time ||
      compareNumbers(seq(a.trade), seq(b.trade)) ||
      compareNumbers(received(a.trade), received(b.trade)) ||
      (a.trade.id < b.trade.id ? -1 : a.trade.id > b.trade.id ? 1 : 0),
  );
}

/** Ascending; equal (including two infinities) is 0. */
function compareNumbers(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Trade days and mark days from firstDay through lastDay, ascending, once each. */
function reportingDays(ledger: readonly LedgerEntry[], sortedMarkDays: readonly string[], firstDay: string, lastDay: string): string[] {
  const days = new Set<string>();
  for (const entry of ledger) if (entry.day <= lastDay) days.add(entry.day);
  for (const day of sortedMarkDays) if (day >= firstDay && day <= lastDay) days.add(day);
  return [...days].sort();
}

function nextDayOf(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

function maxDay(a: string, b: string): string {
  return a > b ? a : b;
}

/** Money to 1e-8, and never -0, so a recomputation compares equal to the stored row. */
function round(value: number): number {
  const rounded = Math.round(value * 1e8) / 1e8;
  return rounded === 0 ? 0 : rounded;
}
