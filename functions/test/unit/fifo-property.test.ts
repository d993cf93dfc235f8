/**
 * FIFO daily rollup (core/fifo.ts) against a brute-force lot matcher written here from the
 * rules alone: per symbol a plain array of open lots, oldest first; a trade closes opposite
 * lots from the front and opens a lot with what is left; fees are charged on the trade's
 * day; open lots are valued at the latest price known at the day's close. It re-scans the
 * whole ledger for every day and keeps no running state beyond the lots, so it is slow and
 * easy to check by eye.
 *
 * Quantities are multiples of 0.25 and prices multiples of 0.5, so lot arithmetic is exact
 * in binary floating point and a lot closes to exactly 0; fees are whole cents, so money is
 * compared to 1e-6 (the rollup rounds to 1e-8 and sums in another order).
 *
 * Every executed_at falls between 12:00Z and 13:00Z, so its calendar date is the same in any
 * time zone from UTC-10 to UTC+10: the day a trade belongs to does not hinge on where the
 * trading day's boundary is drawn.
 */
import fc from "fast-check";
import { rollupStrategyDays, type DailyRollup, type FifoTrade } from "../../src/core/fifo";

type Marks = Map<string, Record<string, number>>;
/** The figures of a day the brute force works out; a rollup row may carry more (checkpoints). */
type DayFigures = Pick<DailyRollup, "trading_day" | "realized_pnl" | "unrealized_pnl" | "daily_pnl" | "fees" | "trade_count" | "positions">;

const FIRST_DAY = Date.UTC(2025, 2, 3); // Mon 2025-03-03
const DAY_MS = 86_400_000;
const TRADE_DAYS = 5; // trades on day indices 0..4
const MARK_DAYS = { min: -2, max: TRADE_DAYS + 1 }; // marks before the first and after the last trade day
const MONEY_TOLERANCE = 1e-6;

function dayAt(index: number): string {
  return new Date(FIRST_DAY + index * DAY_MS).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------
// Brute force
// ---------------------------------------------------------------------------

interface Lot {
  side: 1 | -1;
  quantity: number;
  price: number;
}

/** The calendar date of a fill; executed_at is midday UTC, see the header. */
function fillDay(trade: FifoTrade): string {
  return trade.executed_at.toISOString().slice(0, 10);
}

/** executed_at, then sequence (none: last), then received_at (none: last), then id. */
function executionOrder(trades: readonly FifoTrade[]): FifoTrade[] {
  const key = (t: FifoTrade) => [t.executed_at.getTime(), t.sequence ?? Infinity, t.received_at?.getTime() ?? Infinity];
  return [...trades].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/**
 * The latest price known at the close of `day`: that day's mark; else the later of the last
 * earlier mark and the last fill on or before `day` (a mark closes its day, so it beats that
 * day's fills; a fill on a later day beats it).
 */
function priceAtClose(symbol: string, day: string, ordered: readonly FifoTrade[], marks: Marks): number {
  const today = marks.get(day)?.[symbol];
  if (today !== undefined) return today;
  const earlierMarkDays = [...marks.keys()].filter((d) => d < day && marks.get(d)![symbol] !== undefined).sort();
  const markDay = earlierMarkDays[earlierMarkDays.length - 1];
  const fills = ordered.filter((t) => t.symbol === symbol && fillDay(t) <= day);
  const lastFill = fills[fills.length - 1];
  if (markDay !== undefined && markDay >= fillDay(lastFill)) return marks.get(markDay)![symbol];
  return lastFill.price;
}

function bruteForceRollup(trades: readonly FifoTrade[], marks: Marks, throughDay?: string): DayFigures[] {
  const ordered = executionOrder(trades);
  if (ordered.length === 0) return [];
  const firstDay = fillDay(ordered[0]);
  const lastDay = throughDay ?? [...ordered.map(fillDay), ...marks.keys()].sort().pop()!;
  const days = [...new Set([...ordered.map(fillDay), ...marks.keys()])]
    .filter((d) => d >= firstDay && d <= lastDay)
    .sort();

  const books = new Map<string, Lot[]>();
  const rows: DayFigures[] = [];
  let unrealizedYesterday = 0;
  for (const day of days) {
    const todays = ordered.filter((t) => fillDay(t) === day);
    let realized = 0;
    let fees = 0;
    for (const trade of todays) {
      const side = trade.side === "BUY" ? 1 : -1;
      const lots = books.get(trade.symbol) ?? [];
      books.set(trade.symbol, lots);
      let left = trade.quantity;
      while (left > 0 && lots.length > 0 && lots[0].side === -side) {
        const closed = Math.min(left, lots[0].quantity);
        realized += lots[0].side * (trade.price - lots[0].price) * closed;
        lots[0].quantity -= closed;
        left -= closed;
        if (lots[0].quantity === 0) lots.shift();
      }
      if (left > 0) lots.push({ side, quantity: left, price: trade.price });
      fees += trade.fee;
    }

    let unrealized = 0;
    const positions: DayFigures["positions"] = {};
    for (const symbol of [...books.keys()].sort()) {
      const lots = books.get(symbol)!;
      if (lots.length === 0) continue;
      const mark = priceAtClose(symbol, day, ordered, marks);
      let quantity = 0;
      let cost = 0;
      for (const lot of lots) {
        unrealized += lot.side * (mark - lot.price) * lot.quantity;
        quantity += lot.quantity;
        cost += lot.price * lot.quantity;
      }
      positions[symbol] = { quantity: lots[0].side * quantity, average_price: cost / quantity, mark_price: mark };
    }

    rows.push({
      trading_day: day,
      realized_pnl: realized - fees,
      unrealized_pnl: unrealized,
      daily_pnl: realized - fees + unrealized - unrealizedYesterday,
      fees,
      trade_count: todays.length,
      positions,
    });
    unrealizedYesterday = unrealized;
  }
  return rows;
}

/** Every field where `actual` and `expected` differ, money within MONEY_TOLERANCE; [] when they agree. */
function differences(actual: readonly DayFigures[], expected: readonly DayFigures[]): string[] {
  const out: string[] = [];
  const days = (rows: readonly DayFigures[]) => rows.map((r) => r.trading_day).join(",");
  if (days(actual) !== days(expected)) return [`days: got ${days(actual)}, expected ${days(expected)}`];
  const money = (path: string, got: number, want: number) => {
    if (!(Math.abs(got - want) <= MONEY_TOLERANCE)) out.push(`${path}: got ${got}, expected ${want}`);
  };
  actual.forEach((row, i) => {
    const want = expected[i];
    const at = row.trading_day;
    money(`${at} realized_pnl`, row.realized_pnl, want.realized_pnl);
    money(`${at} unrealized_pnl`, row.unrealized_pnl, want.unrealized_pnl);
    money(`${at} daily_pnl`, row.daily_pnl, want.daily_pnl);
    money(`${at} fees`, row.fees, want.fees);
    if (row.trade_count !== want.trade_count) out.push(`${at} trade_count: got ${row.trade_count}, expected ${want.trade_count}`);
    const symbols = (p: DayFigures["positions"]) => Object.keys(p).sort().join(",");
    if (symbols(row.positions) !== symbols(want.positions)) {
      out.push(`${at} positions: got ${symbols(row.positions)}, expected ${symbols(want.positions)}`);
      return;
    }
    for (const symbol of Object.keys(want.positions)) {
      const got = row.positions[symbol];
      const exp = want.positions[symbol];
      if (got.quantity !== exp.quantity) out.push(`${at} ${symbol} quantity: got ${got.quantity}, expected ${exp.quantity}`);
      if (got.mark_price !== exp.mark_price) out.push(`${at} ${symbol} mark_price: got ${got.mark_price}, expected ${exp.mark_price}`);
      money(`${at} ${symbol} average_price`, got.average_price, exp.average_price);
    }
  });
  return out;
}

// ---------------------------------------------------------------------------
// Ledgers
// ---------------------------------------------------------------------------

const price = fc.integer({ min: 180, max: 220 }).map((halves) => halves / 2);

interface Ledger {
  trades: FifoTrade[];
  marks: Marks;
}

/**
 * 2-3 symbols, fills on three instants a day (so many share an executed_at and sequence,
 * arrival and id decide), sequence and received_at sometimes missing and often tied, and a
 * mark document on some days carrying some of the symbols.
 *
 * `trend` builds one position up and then down: mostly BUYs on the first three days and
 * mostly SELLs after, most of them in the first symbol, so a book holds and closes more
 * lots than fit in the rollup's compaction threshold (64 closed lots).
 */
function ledgerArb(options: { minTrades: number; maxTrades: number; trend?: boolean }): fc.Arbitrary<Ledger> {
  return fc.constantFrom(["AAA", "BBB"], ["AAA", "BBB", "CCC"]).chain((symbols) => {
    const [main, ...others] = symbols;
    const fillArb = fc.record({
      id: fc.string({ unit: fc.constantFrom("a", "b", "c", "d", "e", "f", "0", "1"), minLength: 1, maxLength: 5 }),
      symbol: options.trend
        ? fc.oneof({ arbitrary: fc.constant(main), weight: 6 }, { arbitrary: fc.constantFrom(...others), weight: 1 })
        : fc.constantFrom(...symbols),
      side: fc.constantFrom("BUY" as const, "SELL" as const),
      againstTrend: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      quantity: fc.integer({ min: 1, max: 80 }).map((quarters) => quarters / 4),
      price,
      fee: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 }).map((cents) => cents / 100)),
      day: fc.integer({ min: 0, max: TRADE_DAYS - 1 }),
      instant: fc.integer({ min: 0, max: 2 }),
      sequence: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      receivedAfter: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined, freq: 6 }),
    });
    const toTrade = (f: typeof fillArb extends fc.Arbitrary<infer F> ? F : never): FifoTrade => {
      // 12:00Z, 12:20Z or 12:40Z; arrival a few seconds later
      const executedAt = FIRST_DAY + f.day * DAY_MS + 12 * 3_600_000 + f.instant * 1_200_000;
      const trendSide = f.day < 3 !== f.againstTrend ? "BUY" : "SELL";
      return {
        id: f.id,
        symbol: f.symbol,
        side: options.trend ? trendSide : f.side,
        quantity: f.quantity,
        price: f.price,
        fee: f.fee,
        executed_at: new Date(executedAt),
        ...(f.sequence === undefined ? {} : { sequence: f.sequence }),
        ...(f.receivedAfter === undefined ? {} : { received_at: new Date(executedAt + f.receivedAfter * 1000) }),
      };
    };
    const tradesArb = fc
      .uniqueArray(fillArb, {
        selector: (f) => f.id,
        minLength: options.minTrades,
        maxLength: options.maxTrades,
        // fast-check's default size stops near 10 fills, too few for flips and ties
        size: "medium",
      })
      .map((fills) => fills.map(toTrade));
    const markDocArb = fc.record(Object.fromEntries(symbols.map((s) => [s, price])), { requiredKeys: [] });
    const dayCount = MARK_DAYS.max - MARK_DAYS.min + 1;
    const marksArb = fc
      .array(fc.option(markDocArb, { nil: undefined }), { minLength: dayCount, maxLength: dayCount })
      .map((docs) => {
        const marks: Marks = new Map();
        docs.forEach((doc, i) => {
          if (doc !== undefined) marks.set(dayAt(MARK_DAYS.min + i), doc as Record<string, number>);
        });
        return marks;
      });
    return fc.record({ trades: tradesArb, marks: marksArb });
  });
}

const throughDayArb = fc.option(fc.integer({ min: MARK_DAYS.min, max: MARK_DAYS.max }).map(dayAt), { nil: undefined, freq: 3 });

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

describe("rollupStrategyDays: properties against a brute-force FIFO matcher", () => {
  it("agrees with the brute force day by day, with and without throughDay", () => {
    fc.assert(
      fc.property(ledgerArb({ minTrades: 1, maxTrades: 40 }), throughDayArb, (ledger, throughDay) => {
        const options = throughDay === undefined ? {} : { throughDay };
        const actual = rollupStrategyDays(ledger.trades, ledger.marks, options);
        const expected = bruteForceRollup(ledger.trades, ledger.marks, throughDay);
        expect(differences(actual, expected)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("agrees with the brute force on long ledgers (a hundred and more lots in one book)", () => {
    fc.assert(
      fc.property(ledgerArb({ minTrades: 200, maxTrades: 400, trend: true }), (ledger) => {
        const actual = rollupStrategyDays(ledger.trades, ledger.marks);
        expect(differences(actual, bruteForceRollup(ledger.trades, ledger.marks))).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });

  it("does not depend on the order the trades are passed in", () => {
    const arb = ledgerArb({ minTrades: 1, maxTrades: 40 }).chain((ledger) =>
      fc.tuple(
        fc.constant(ledger),
        fc.shuffledSubarray(ledger.trades, { minLength: ledger.trades.length, maxLength: ledger.trades.length }),
      ),
    );
    fc.assert(
      fc.property(arb, ([ledger, shuffled]) => {
        expect(rollupStrategyDays(shuffled, ledger.marks)).toEqual(rollupStrategyDays(ledger.trades, ledger.marks));
      }),
      { numRuns: 200 },
    );
  });

  it("conserves P&L: Σ daily_pnl = Σ realized_pnl + final unrealized = cash flows + final position value", () => {
    fc.assert(
      fc.property(ledgerArb({ minTrades: 1, maxTrades: 40 }), (ledger) => {
        const rows = rollupStrategyDays(ledger.trades, ledger.marks);
        const last = rows[rows.length - 1];
        const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
        const totalDaily = sum(rows.map((r) => r.daily_pnl));
        expect(Math.abs(totalDaily - (sum(rows.map((r) => r.realized_pnl)) + last.unrealized_pnl))).toBeLessThanOrEqual(MONEY_TOLERANCE);

        // No lots: what was paid and received, plus the net holding at the rollup's last mark.
        const net = new Map<string, number>();
        let cash = 0;
        for (const t of ledger.trades) {
          const signed = t.side === "BUY" ? t.quantity : -t.quantity;
          net.set(t.symbol, (net.get(t.symbol) ?? 0) + signed);
          cash -= signed * t.price + t.fee;
        }
        let held = 0;
        for (const [symbol, quantity] of net) {
          expect(last.positions[symbol]?.quantity ?? 0).toBe(quantity);
          if (quantity !== 0) held += quantity * last.positions[symbol].mark_price;
        }
        expect(Math.abs(totalDaily - (cash + held))).toBeLessThanOrEqual(MONEY_TOLERANCE);
      }),
      { numRuns: 300 },
    );
  });
});

describe("the brute force itself", () => {
  const at = (day: number, minute = 0) => new Date(FIRST_DAY + day * DAY_MS + 12 * 3_600_000 + minute * 60_000);

  it("closes the oldest lot first, in sequence order rather than id order", () => {
    // fifo.test.ts's hand example. Day 0: BUY 10 @ 100 (sequence 0), BUY 10 @ 120 (sequence 1)
    // at one instant, ids sorting the other way; mark 115 → unrealized 150 - 50 = 100.
    // Day 1: SELL 15 @ 130 closes 10 @ 100 (300) and 5 @ 120 (50) → 350; mark 125 → 5·5 = 25;
    // daily 350 + 25 - 100 = 275. Day 2: SELL 5 @ 118 → (118 - 120)·5 = -10; daily -10 - 25 = -35.
    const trades: FifoTrade[] = [
      { id: "d", symbol: "M", side: "SELL", quantity: 5, price: 118, fee: 0, executed_at: at(2) },
      { id: "c", symbol: "M", side: "SELL", quantity: 15, price: 130, fee: 0, executed_at: at(1) },
      { id: "a", symbol: "M", side: "BUY", quantity: 10, price: 120, fee: 0, executed_at: at(0), sequence: 1 },
      { id: "b", symbol: "M", side: "BUY", quantity: 10, price: 100, fee: 0, executed_at: at(0), sequence: 0 },
    ];
    const marks: Marks = new Map([
      [dayAt(0), { M: 115 }],
      [dayAt(1), { M: 125 }],
    ]);
    const rows = bruteForceRollup(trades, marks);
    expect(rows.map((r) => [r.realized_pnl, r.unrealized_pnl, r.daily_pnl])).toEqual([
      [0, 100, 100],
      [350, 25, 275],
      [-10, 0, -35],
    ]);
    expect(rows[1].positions).toEqual({ M: { quantity: 5, average_price: 120, mark_price: 125 } });
  });

  it("flips a long to a short in one trade and charges fees on the day", () => {
    // Day 0: BUY 10 @ 50, fee 1; mark 52 → realized -1, unrealized 20, daily 19.
    // Day 1: SELL 15 @ 60, fee 0.5 → closes 10: 100, opens short 5 @ 60; realized 99.5;
    //   mark 58 → (60 - 58)·5 = 10; daily 99.5 + 10 - 20 = 89.5.
    // Day 2: BUY 5 @ 55, no mark → (60 - 55)·5 = 25; flat; daily 25 - 10 = 15.
    const rows = bruteForceRollup(
      [
        { id: "1", symbol: "E", side: "BUY", quantity: 10, price: 50, fee: 1, executed_at: at(0) },
        { id: "2", symbol: "E", side: "SELL", quantity: 15, price: 60, fee: 0.5, executed_at: at(1) },
        { id: "3", symbol: "E", side: "BUY", quantity: 5, price: 55, fee: 0, executed_at: at(2) },
      ],
      new Map<string, Record<string, number>>([
        [dayAt(0), { E: 52 }],
        [dayAt(1), { E: 58 }],
      ]),
    );
    expect(rows.map((r) => [r.realized_pnl, r.unrealized_pnl, r.daily_pnl, r.fees])).toEqual([
      [-1, 20, 19, 1],
      [99.5, 10, 89.5, 0.5],
      [25, 0, 15, 0],
    ]);
    expect(rows[1].positions).toEqual({ E: { quantity: -5, average_price: 60, mark_price: 58 } });
  });

  it("marks at the day's mark, else the later of the last mark and the last fill", () => {
    // fifo.test.ts's hand example. Mark day -3 X 99 (no row). Day 0, no marks: BUY 10 X @ 100
    // (the fill is later than the mark → 100), BUY 3 Z @ 7 → unrealized 0. Day 1, marks {X: 101}:
    // X 10; BUY 1 Z @ 9 → Z at 9: 6 → 16. Day 2, marks {Z: 8}: X at day 1's mark (later than its
    // day-0 fill) 10; Z (8 - 7)·3 + (8 - 9)·1 = 2 → 12, daily -4.
    const rows = bruteForceRollup(
      [
        { id: "1", symbol: "X", side: "BUY", quantity: 10, price: 100, fee: 0, executed_at: at(0) },
        { id: "2", symbol: "Z", side: "BUY", quantity: 3, price: 7, fee: 0, executed_at: at(0) },
        { id: "3", symbol: "Z", side: "BUY", quantity: 1, price: 9, fee: 0, executed_at: at(1) },
      ],
      new Map<string, Record<string, number>>([
        [dayAt(-3), { X: 99 }],
        [dayAt(1), { X: 101 }],
        [dayAt(2), { Z: 8 }],
      ]),
    );
    expect(rows.map((r) => [r.trading_day, r.unrealized_pnl, r.daily_pnl])).toEqual([
      [dayAt(0), 0, 0],
      [dayAt(1), 16, 16],
      [dayAt(2), 12, -4],
    ]);
    expect(rows[0].positions.X.mark_price).toBe(100);
    expect(rows[2].positions.X.mark_price).toBe(101);
  });
});
