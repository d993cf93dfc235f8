/**
 * FIFO daily rollup. Every expected number is worked out by hand in the comment next to
 * it; the seeded scenario at the end checks the rollup against a cash-flow identity that
 * does not use lots at all.
 */
import { dailyReturns, rollupStrategyDays, tradingDayOf, type FifoTrade } from "../../src/core/fifo";
import { seededRandom } from "../../src/core/seeded-random";

let nextId = 0;
function trade(
  day: string,
  symbol: string,
  side: "BUY" | "SELL",
  quantity: number,
  price: number,
  fee = 0,
  time = "14:30:00",
  id?: string,
): FifoTrade {
  nextId++;
  return {
    id: id ?? `t${String(nextId).padStart(6, "0")}`,
    symbol,
    side,
    quantity,
    price,
    fee,
    executed_at: new Date(`${day}T${time}Z`),
  };
}

function marksOf(entries: Record<string, Record<string, number>>): Map<string, Record<string, number>> {
  return new Map(Object.entries(entries));
}

const NO_MARKS = new Map<string, Record<string, number>>();

describe("tradingDayOf", () => {
  it("is the venue's calendar date: an 8 pm New York fill is that New York day", () => {
    // 2025-01-07T01:00Z is 20:00 on 01-06 in New York (UTC-5 in January)
    expect(tradingDayOf(new Date("2025-01-07T01:00:00Z"), "America/New_York")).toBe("2025-01-06");
    expect(tradingDayOf(new Date("2025-01-07T01:00:00Z"))).toBe("2025-01-07");
    // In July New York is UTC-4: 03:59Z is 23:59 the day before, 04:00Z is midnight
    expect(tradingDayOf(new Date("2025-07-08T03:59:00Z"), "America/New_York")).toBe("2025-07-07");
    expect(tradingDayOf(new Date("2025-07-08T04:00:00Z"), "America/New_York")).toBe("2025-07-08");
    // Tokyo (UTC+9): 16:00Z is 01:00 the next day
    expect(tradingDayOf(new Date("2025-01-06T16:00:00Z"), "Asia/Tokyo")).toBe("2025-01-07");
  });

  it("defaults to the UTC calendar date", () => {
    expect(tradingDayOf(new Date("2025-01-06T00:00:00Z"))).toBe("2025-01-06");
    expect(tradingDayOf(new Date("2025-01-06T23:59:59.999Z"))).toBe("2025-01-06");
    // 01:00 in UTC+2 is 23:00 the previous day in UTC
    expect(tradingDayOf(new Date("2025-01-07T01:00:00+02:00"))).toBe("2025-01-06");
  });
});

describe("rollupStrategyDays on the venue's days", () => {
  it("puts an 8 pm New York fill on that New York day, not the next UTC day", () => {
    // BUY 10 @ 100 at 2025-01-06 14:30 NY; SELL 10 @ 105 at 20:00 NY = 2025-01-07T01:00Z.
    // New York: both on 01-06, realized 50 that day. UTC: the SELL lands on 01-07.
    const buy = trade("2025-01-06", "SPY", "BUY", 10, 100, 0, "19:30:00");
    const sell = { ...trade("2025-01-06", "SPY", "SELL", 10, 105), executed_at: new Date("2025-01-07T01:00:00Z") };
    const ny = rollupStrategyDays([buy, sell], NO_MARKS, { timeZone: "America/New_York" });
    expect(ny.map((r) => [r.trading_day, r.realized_pnl, r.trade_count])).toEqual([["2025-01-06", 50, 2]]);
    const utc = rollupStrategyDays([buy, sell], NO_MARKS);
    expect(utc.map((r) => [r.trading_day, r.realized_pnl, r.trade_count])).toEqual([
      ["2025-01-06", 0, 1],
      ["2025-01-07", 50, 1],
    ]);
  });
});

describe("rollupStrategyDays from a checkpoint", () => {
  // Three days of MSFT and ETH with a partial close, a flip to short and a carried mark.
  const ledger = [
    trade("2025-01-06", "MSFT", "BUY", 10, 100, 1, "14:00:00"),
    trade("2025-01-06", "MSFT", "BUY", 10, 120, 1, "15:00:00"),
    trade("2025-01-07", "MSFT", "SELL", 15, 130, 1),
    trade("2025-01-07", "ETH", "SELL", 4, 60, 0.5),
    trade("2025-01-08", "MSFT", "SELL", 10, 118, 1),
    trade("2025-01-09", "ETH", "BUY", 6, 55, 0.5),
  ];
  const marks = marksOf({ "2025-01-06": { MSFT: 115 }, "2025-01-07": { MSFT: 125, ETH: 58 }, "2025-01-10": { MSFT: 117, ETH: 57 } });
  const full = rollupStrategyDays(ledger, marks);

  it("gives, for the days after any stored day, exactly the rows of the whole ledger", () => {
    expect(full.map((r) => r.trading_day)).toEqual(["2025-01-06", "2025-01-07", "2025-01-08", "2025-01-09", "2025-01-10"]);
    for (const [i, checkpoint] of full.entries()) {
      const after = ledger.filter((t) => tradingDayOf(t.executed_at) > checkpoint.trading_day);
      const laterMarks = new Map([...marks].filter(([day]) => day > checkpoint.trading_day));
      expect(rollupStrategyDays(after, laterMarks, { from: checkpoint })).toEqual(full.slice(i + 1));
    }
  });

  it("keeps the open lots at each close, oldest first (the checkpoint)", () => {
    // 01-07: SELL 15 closes the @100 lot and 5 of the @120 lot → MSFT 5 left of a lot opened with 10;
    //        ETH SELL 4 opens a short.
    expect(full[1].open_lots).toEqual({
      MSFT: { side: 1, quantities: [5], prices: [120], opened: [10] },
      ETH: { side: -1, quantities: [4], prices: [60], opened: [4] },
    });
    // 01-08: SELL 10 closes the last 5 and opens a 5 short @ 118.
    expect(full[2].open_lots.MSFT).toEqual({ side: -1, quantities: [5], prices: [118], opened: [5] });
    // 01-09: ETH BUY 6 covers the 4 short and opens 2 long @ 55.
    expect(full[3].open_lots.ETH).toEqual({ side: 1, quantities: [2], prices: [55], opened: [2] });
  });

  it("refuses a trade on or before the checkpoint's day", () => {
    expect(() => rollupStrategyDays(ledger.slice(2), marks, { from: full[1] })).toThrow(/not after it/);
  });

  it("gives no rows after a checkpoint with nothing after it", () => {
    expect(rollupStrategyDays([], NO_MARKS, { from: full[4] })).toEqual([]);
  });
});

describe("rollupStrategyDays", () => {
  it("returns no rows for no trades, even with marks", () => {
    expect(rollupStrategyDays([], NO_MARKS)).toEqual([]);
    expect(rollupStrategyDays([], marksOf({ "2025-01-06": { AAPL: 100 } }))).toEqual([]);
  });

  it("rolls up a simple long round trip", () => {
    // Day 1: BUY 10 @ 100, mark 104 → unrealized (104 - 100)·10 = 40, daily 40.
    // Day 2: SELL 10 @ 110 → realized (110 - 100)·10 = 100; flat, unrealized 0;
    //        daily = 100 + (0 - 40) = 60. Total 40 + 60 = 100 = the realized gain.
    const rows = rollupStrategyDays(
      [trade("2025-01-06", "AAPL", "BUY", 10, 100), trade("2025-01-07", "AAPL", "SELL", 10, 110)],
      marksOf({ "2025-01-06": { AAPL: 104 } }),
    );
    expect(rows).toEqual([
      {
        trading_day: "2025-01-06",
        realized_pnl: 0,
        unrealized_pnl: 40,
        daily_pnl: 40,
        fees: 0,
        trade_count: 1,
        positions: { AAPL: { quantity: 10, average_price: 100, mark_price: 104 } },
        open_lots: { AAPL: { side: 1, quantities: [10], prices: [100], opened: [10] } },
      },
      {
        trading_day: "2025-01-07",
        realized_pnl: 100,
        unrealized_pnl: 0,
        daily_pnl: 60,
        fees: 0,
        trade_count: 1,
        positions: {},
        open_lots: {},
      },
    ]);
  });

  it("closes the oldest lot first and splits a lot on a partial close", () => {
    // Day 1: BUY 10 @ 100, BUY 10 @ 120; mark 115.
    //   unrealized = (115 - 100)·10 + (115 - 120)·10 = 150 - 50 = 100; 20 @ avg 110.
    // Day 2: SELL 15 @ 130; mark 125.
    //   FIFO: 10 from the @100 lot → 300, 5 from the @120 lot → 50; realized 350.
    //   (LIFO would give 10·10 + 5·30 = 250 and leave 5 @ 100; average cost 20·15 = 300.)
    //   left: 5 @ 120 → unrealized (125 - 120)·5 = 25; daily = 350 + 25 - 100 = 275.
    // Day 3: SELL 5 @ 118 → realized (118 - 120)·5 = -10; flat; daily = -10 + 0 - 25 = -35.
    //   (Had the @100 lot been left open, this would be +90.)
    const rows = rollupStrategyDays(
      [
        trade("2025-01-06", "MSFT", "BUY", 10, 100, 0, "14:00:00"),
        trade("2025-01-06", "MSFT", "BUY", 10, 120, 0, "15:00:00"),
        trade("2025-01-07", "MSFT", "SELL", 15, 130),
        trade("2025-01-08", "MSFT", "SELL", 5, 118),
      ],
      marksOf({ "2025-01-06": { MSFT: 115 }, "2025-01-07": { MSFT: 125 } }),
    );
    expect(rows.map((r) => [r.trading_day, r.realized_pnl, r.unrealized_pnl, r.daily_pnl])).toEqual([
      ["2025-01-06", 0, 100, 100],
      ["2025-01-07", 350, 25, 275],
      ["2025-01-08", -10, 0, -35],
    ]);
    expect(rows[0].positions).toEqual({ MSFT: { quantity: 20, average_price: 110, mark_price: 115 } });
    expect(rows[1].positions).toEqual({ MSFT: { quantity: 5, average_price: 120, mark_price: 125 } });
    expect(rows[2].positions).toEqual({});
    expect(rows[0].trade_count).toBe(2);
  });

  it("flips a long to a short in one trade, then covers", () => {
    // Day 1: BUY 10 @ 50; mark 52 → unrealized 20, daily 20.
    // Day 2: SELL 15 @ 60 → closes 10: (60 - 50)·10 = 100; opens short 5 @ 60.
    //   mark 58 → short unrealized (60 - 58)·5 = 10; daily = 100 + 10 - 20 = 90.
    // Day 3: BUY 5 @ 55 → covers: (60 - 55)·5 = 25; flat; daily = 25 + 0 - 10 = 15.
    // Total 20 + 90 + 15 = 125 = 100 + 25.
    const rows = rollupStrategyDays(
      [
        trade("2025-01-06", "ETH", "BUY", 10, 50),
        trade("2025-01-07", "ETH", "SELL", 15, 60),
        trade("2025-01-08", "ETH", "BUY", 5, 55),
      ],
      marksOf({ "2025-01-06": { ETH: 52 }, "2025-01-07": { ETH: 58 } }),
    );
    expect(rows.map((r) => [r.realized_pnl, r.unrealized_pnl, r.daily_pnl])).toEqual([
      [0, 20, 20],
      [100, 10, 90],
      [25, 0, 15],
    ]);
    expect(rows[1].positions).toEqual({ ETH: { quantity: -5, average_price: 60, mark_price: 58 } });
    expect(rows[2].positions).toEqual({});
  });

  it("realizes a loss on a short covered above its entry", () => {
    // Day 1: SELL 8 @ 200; mark 205 → unrealized (200 - 205)·8 = -40, daily -40.
    // Day 2: BUY 8 @ 210 → realized (200 - 210)·8 = -80; daily = -80 + 0 - (-40) = -40.
    const rows = rollupStrategyDays(
      [trade("2025-01-06", "TSLA", "SELL", 8, 200), trade("2025-01-07", "TSLA", "BUY", 8, 210)],
      marksOf({ "2025-01-06": { TSLA: 205 } }),
    );
    expect(rows.map((r) => [r.realized_pnl, r.unrealized_pnl, r.daily_pnl])).toEqual([
      [0, -40, -40],
      [-80, 0, -40],
    ]);
    expect(rows[0].positions).toEqual({ TSLA: { quantity: -8, average_price: 200, mark_price: 205 } });
  });

  it("charges fees to realized P&L on the day they are paid, not into the lot", () => {
    // Day 1: BUY 10 @ 100, fee 1.5. No mark: valued at the last trade, 100 → unrealized 0.
    //   realized = 0 - 1.5 = -1.5; daily -1.5; average_price stays 100 (not 100.15).
    // Day 2: SELL 10 @ 105, fee 2 → realized = (105 - 100)·10 - 2 = 48; daily 48.
    // Total -1.5 + 48 = 46.5 = 50 gross - 3.5 fees.
    const rows = rollupStrategyDays(
      [trade("2025-01-06", "AAPL", "BUY", 10, 100, 1.5), trade("2025-01-07", "AAPL", "SELL", 10, 105, 2)],
      NO_MARKS,
    );
    expect(rows.map((r) => [r.realized_pnl, r.unrealized_pnl, r.daily_pnl, r.fees])).toEqual([
      [-1.5, 0, -1.5, 1.5],
      [48, 0, 48, 2],
    ]);
    expect(rows[0].positions.AAPL.average_price).toBe(100);
  });

  it("keeps symbols apart", () => {
    // Day 1: BUY 10 AAA @ 10, SELL 4 BBB @ 50, BUY 2 CCC @ 300; marks AAA 11, BBB 52, CCC 310.
    //   unrealized: AAA (11 - 10)·10 = 10, BBB (50 - 52)·4 = -8, CCC (310 - 300)·2 = 20 → 22.
    // Day 2: SELL 10 AAA @ 12 → 20; BUY 4 BBB @ 45 → (50 - 45)·4 = 20; realized 40.
    //   The SELL of AAA must not touch the BBB short, the BUY of BBB not the AAA long.
    //   mark CCC 305 → unrealized (305 - 300)·2 = 10; daily = 40 + 10 - 22 = 28.
    const rows = rollupStrategyDays(
      [
        trade("2025-01-06", "AAA", "BUY", 10, 10),
        trade("2025-01-06", "BBB", "SELL", 4, 50),
        trade("2025-01-06", "CCC", "BUY", 2, 300),
        trade("2025-01-07", "AAA", "SELL", 10, 12),
        trade("2025-01-07", "BBB", "BUY", 4, 45),
      ],
      marksOf({ "2025-01-06": { AAA: 11, BBB: 52, CCC: 310 }, "2025-01-07": { CCC: 305 } }),
    );
    expect(rows[0]).toMatchObject({ realized_pnl: 0, unrealized_pnl: 22, daily_pnl: 22, trade_count: 3 });
    expect(rows[0].positions).toEqual({
      AAA: { quantity: 10, average_price: 10, mark_price: 11 },
      BBB: { quantity: -4, average_price: 50, mark_price: 52 },
      CCC: { quantity: 2, average_price: 300, mark_price: 310 },
    });
    expect(rows[1]).toMatchObject({ realized_pnl: 40, unrealized_pnl: 10, daily_pnl: 28, trade_count: 2 });
    expect(rows[1].positions).toEqual({ CCC: { quantity: 2, average_price: 300, mark_price: 305 } });
  });

  it("gives a mark day without trades a row, and days with neither none", () => {
    // Marks on Fri 01-03 (before the first trade: no row), Mon 01-06, Tue 01-07, Thu 01-09;
    // nothing on Wed 01-08 (no row).
    // 01-06: BUY 10 @ 100, mark 101 → unrealized 10, daily 10.
    // 01-07: no trades, mark 97 → unrealized -30, realized 0, daily -30 - 10 = -40.
    // 01-09: no trades, mark 99 → unrealized -10, daily -10 - (-30) = 20.
    const rows = rollupStrategyDays(
      [trade("2025-01-06", "X", "BUY", 10, 100)],
      marksOf({
        "2025-01-03": { X: 90 },
        "2025-01-06": { X: 101 },
        "2025-01-07": { X: 97 },
        "2025-01-09": { X: 99 },
      }),
    );
    expect(rows.map((r) => r.trading_day)).toEqual(["2025-01-06", "2025-01-07", "2025-01-09"]);
    expect(rows[1]).toEqual({
      trading_day: "2025-01-07",
      realized_pnl: 0,
      unrealized_pnl: -30,
      daily_pnl: -40,
      fees: 0,
      trade_count: 0,
      positions: { X: { quantity: 10, average_price: 100, mark_price: 97 } },
      open_lots: { X: { side: 1, quantities: [10], prices: [100], opened: [10] } },
    });
    expect(rows[2]).toMatchObject({ realized_pnl: 0, unrealized_pnl: -10, daily_pnl: 20, trade_count: 0 });
  });

  it("carries the last mark forward when a day lacks a symbol's mark", () => {
    // 01-06: BUY 10 X @ 100, BUY 5 Y @ 21; marks X 101, Y 20 → 10 + (20 - 21)·5 = 5.
    // 01-07: marks X 103 only; Y carries 20 → 30 - 5 = 25; daily 20.
    const rows = rollupStrategyDays(
      [trade("2025-01-06", "X", "BUY", 10, 100), trade("2025-01-06", "Y", "BUY", 5, 21)],
      marksOf({ "2025-01-06": { X: 101, Y: 20 }, "2025-01-07": { X: 103 } }),
    );
    expect(rows.map((r) => [r.unrealized_pnl, r.daily_pnl])).toEqual([
      [5, 5],
      [25, 20],
    ]);
    expect(rows[1].positions.Y).toEqual({ quantity: 5, average_price: 21, mark_price: 20 });
  });

  it("marks an open lot at the latest price known at the close: the day's mark, else the later of the last mark and the last fill", () => {
    // Mark 01-03 X 99 (no row for that day). 01-06 (no marks that day): BUY 10 X @ 100 — the
    //   fill is more recent than the 01-03 mark, so X is valued at 100 → 0 (the old rule used
    //   the stale 99 → -10); BUY 3 Z @ 7, Z never marked → valued at 7 → 0. Unrealized 0.
    // 01-07, marks {X: 101}: X at the day's mark: (101 - 100)·10 = 10; BUY 1 Z @ 9 → Z at its
    //   last fill, 9: (9 - 7)·3 + (9 - 9)·1 = 6, average (3·7 + 1·9) / 4 = 7.5. Unrealized 16, daily 16.
    // 01-08, marks {Z: 8}: X's last mark (01-07, 101) is later than its last fill (01-06) → 10;
    //   Z at the day's mark: (8 - 7)·3 + (8 - 9)·1 = 2. Unrealized 12, daily 12 - 16 = -4.
    const rows = rollupStrategyDays(
      [
        trade("2025-01-06", "X", "BUY", 10, 100),
        trade("2025-01-06", "Z", "BUY", 3, 7),
        trade("2025-01-07", "Z", "BUY", 1, 9),
      ],
      marksOf({ "2025-01-03": { X: 99 }, "2025-01-07": { X: 101 }, "2025-01-08": { Z: 8 } }),
    );
    expect(rows.map((r) => [r.trading_day, r.unrealized_pnl, r.daily_pnl])).toEqual([
      ["2025-01-06", 0, 0],
      ["2025-01-07", 16, 16],
      ["2025-01-08", 12, -4],
    ]);
    expect(rows[0].positions.X.mark_price).toBe(100);
    expect(rows[1].positions.Z).toEqual({ quantity: 4, average_price: 7.5, mark_price: 9 });
    expect(rows[2].positions.X.mark_price).toBe(101);
  });

  it("a position added today is not marked at last week's mark (issue 9)", () => {
    // 10-26: BUY 10 @ 50, mark 50. 11-02: BUY 10 @ 100, no mark that day. The latest price
    // known at 11-02's close is the 100 fill: 20 × 100 − (500 + 1000) = +500; last week's
    // mark of 50 would give 20 × 50 − 1500 = −500.
    const rows = rollupStrategyDays(
      [trade("2026-10-26", "SPY", "BUY", 10, 50), trade("2026-11-02", "SPY", "BUY", 10, 100)],
      marksOf({ "2026-10-26": { SPY: 50 } }),
    );
    expect(rows.map((r) => [r.trading_day, r.unrealized_pnl])).toEqual([
      ["2026-10-26", 0],
      ["2026-11-02", 500],
    ]);
  });

  it("stops at throughDay and otherwise runs to the last mark day", () => {
    // BUY 1 @ 10 on 01-06, SELL 1 @ 12 on 01-08; marks 01-07 (11) and 01-10 (50).
    const trades = [trade("2025-01-06", "X", "BUY", 1, 10), trade("2025-01-08", "X", "SELL", 1, 12)];
    const marks = marksOf({ "2025-01-07": { X: 11 }, "2025-01-10": { X: 50 } });
    // default: through 01-10, the last mark day; flat from 01-08, so 01-10 is all zeros.
    const all = rollupStrategyDays(trades, marks);
    expect(all.map((r) => r.trading_day)).toEqual(["2025-01-06", "2025-01-07", "2025-01-08", "2025-01-10"]);
    expect(all[3]).toMatchObject({ realized_pnl: 0, unrealized_pnl: 0, daily_pnl: 0, trade_count: 0, positions: {} });
    // through 01-07: the SELL of 01-08 is left out, the long is still open at 11 → unrealized 1.
    const partial = rollupStrategyDays(trades, marks, { throughDay: "2025-01-07" });
    expect(partial.map((r) => [r.trading_day, r.unrealized_pnl])).toEqual([
      ["2025-01-06", 0],
      ["2025-01-07", 1],
    ]);
    expect(rollupStrategyDays(trades, marks, { throughDay: "2025-01-05" })).toEqual([]);
    expect(() => rollupStrategyDays(trades, marks, { throughDay: "7 Jan" })).toThrow(/throughDay/);
  });

  it("does not depend on input order; ties on executed_at are broken by id", () => {
    // Two BUYs at the same instant: "a" 10 @ 100 and "b" 10 @ 120. By id, "a" is older,
    // so SELL 10 @ 130 closes it: (130 - 100)·10 = 300, leaving 10 @ 120 (marked 130 → 100).
    const a = trade("2025-01-06", "X", "BUY", 10, 100, 0, "14:00:00", "a");
    const b = trade("2025-01-06", "X", "BUY", 10, 120, 0, "14:00:00", "b");
    const c = trade("2025-01-07", "X", "SELL", 10, 130, 0.5, "09:00:00", "c");
    const d = trade("2025-01-07", "Y", "SELL", 2, 40, 0, "10:00:00", "0");
    const marks = marksOf({ "2025-01-07": { X: 130, Y: 41 } });
    const ordered = rollupStrategyDays([a, b, c, d], marks);
    for (const shuffled of [[d, c, b, a], [b, d, a, c], [c, a, d, b]]) {
      expect(rollupStrategyDays(shuffled, marks)).toEqual(ordered);
    }
    // realized 300 - 0.5 fee; unrealized X (130 - 120)·10 = 100, Y (40 - 41)·2 = -2
    expect(ordered[1]).toMatchObject({ realized_pnl: 299.5, unrealized_pnl: 98 });
    expect(ordered[1].positions.X).toEqual({ quantity: 10, average_price: 120, mark_price: 130 });
  });

  it("rounds money to 1e-8 and never reports -0", () => {
    // (0.3 - 0.1)·3 is 0.5999999999999999 in floating point; rounded it is 0.6.
    // R bought @ 1.000000001 and marked 1: unrealized -1e-9, which Math.round takes to -0;
    // sold @ 1 the next day: realized -1e-9, again -0 before normalising.
    const rows = rollupStrategyDays(
      [
        trade("2025-01-06", "P", "BUY", 3, 0.1),
        trade("2025-01-07", "P", "SELL", 3, 0.3),
        trade("2025-01-08", "R", "BUY", 1, 1.000000001),
        trade("2025-01-09", "R", "SELL", 1, 1),
      ],
      marksOf({ "2025-01-08": { R: 1 } }),
    );
    expect(rows[1].realized_pnl).toBe(0.6);
    for (const value of [rows[2].unrealized_pnl, rows[2].daily_pnl, rows[3].realized_pnl, rows[3].daily_pnl]) {
      expect(Object.is(value, 0)).toBe(true);
    }
  });

  it("treats float residue of fractional quantities as flat", () => {
    // 0.1 + 0.2 bought, 0.3 sold: the last lot keeps ~3e-17 after the close, which is not a position.
    const rows = rollupStrategyDays(
      [
        trade("2025-01-06", "BTC", "BUY", 0.1, 100, 0, "10:00:00"),
        trade("2025-01-06", "BTC", "BUY", 0.2, 100, 0, "11:00:00"),
        trade("2025-01-07", "BTC", "SELL", 0.3, 110),
      ],
      NO_MARKS,
    );
    expect(rows[1].positions).toEqual({});
    // (110 - 100)·0.3 = 3
    expect(rows[1].realized_pnl).toBeCloseTo(3, 8);
  });

  it("telescopes: Σ daily_pnl = Σ realized + final unrealized = cash flows + final position value", () => {
    // Seeded scenario: 600 trades in 4 symbols over 30 days, marks on most days with
    // symbols missing at random. The independent check uses no lots: total P&L is
    //   Σ SELL q·p - Σ BUY q·p - Σ fees + Σ_symbols net quantity · final mark.
    const random = seededRandom(20250106);
    const symbols = ["AAA", "BBB", "CCC", "DDD"];
    const start = Date.UTC(2025, 0, 6);
    const trades: FifoTrade[] = [];
    for (let i = 0; i < 600; i++) {
      const day = Math.floor(random() * 30);
      trades.push({
        id: `r${i}`,
        symbol: symbols[Math.floor(random() * symbols.length)],
        side: random() < 0.5 ? "BUY" : "SELL",
        quantity: 1 + Math.floor(random() * 20),
        price: Math.round((80 + random() * 40) * 100) / 100,
        fee: Math.round(random() * 200) / 100,
        executed_at: new Date(start + day * 86_400_000 + Math.floor(random() * 86_400_000)),
      });
    }
    const marks = new Map<string, Record<string, number>>();
    for (let day = 0; day < 32; day++) {
      if (random() < 0.15) continue;
      const prices: Record<string, number> = {};
      for (const s of symbols) if (random() < 0.8) prices[s] = Math.round((80 + random() * 40) * 100) / 100;
      marks.set(new Date(start + day * 86_400_000).toISOString().slice(0, 10), prices);
    }

    const rows = rollupStrategyDays(trades, marks);
    const last = rows[rows.length - 1];
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

    expect(sum(rows.map((r) => r.trade_count))).toBe(600);
    expect(sum(rows.map((r) => r.fees))).toBeCloseTo(sum(trades.map((t) => t.fee)), 6);
    expect(sum(rows.map((r) => r.daily_pnl))).toBeCloseTo(sum(rows.map((r) => r.realized_pnl)) + last.unrealized_pnl, 6);
    rows.forEach((row, i) => {
      const previous = i === 0 ? 0 : rows[i - 1].unrealized_pnl;
      expect(row.daily_pnl).toBeCloseTo(row.realized_pnl + row.unrealized_pnl - previous, 7);
    });

    const netQuantity = new Map<string, number>();
    let cash = 0;
    for (const t of trades) {
      const signed = t.side === "BUY" ? t.quantity : -t.quantity;
      netQuantity.set(t.symbol, (netQuantity.get(t.symbol) ?? 0) + signed);
      cash -= signed * t.price + t.fee;
    }
    let positionValue = 0;
    for (const [symbol, quantity] of netQuantity) {
      if (quantity === 0) {
        expect(last.positions[symbol]).toBeUndefined();
        continue;
      }
      expect(last.positions[symbol].quantity).toBe(quantity);
      positionValue += quantity * last.positions[symbol].mark_price;
    }
    expect(sum(rows.map((r) => r.daily_pnl))).toBeCloseTo(cash + positionValue, 6);
  });
});

describe("dailyReturns", () => {
  it("divides daily P&L by the strategy's capital base", () => {
    // 250 / 50,000 = 0.005; -100 / 50,000 = -0.002 (seed 000 would have used 10,000: 0.025, -0.01)
    expect(dailyReturns([{ daily_pnl: 250 }, { daily_pnl: -100 }, { daily_pnl: 0 }], 50_000)).toEqual([0.005, -0.002, 0]);
    expect(dailyReturns([], 50_000)).toEqual([]);
  });

  it("refuses a capital base that is not a positive number", () => {
    expect(() => dailyReturns([{ daily_pnl: 1 }], 0)).toThrow(/capital_base/);
    expect(() => dailyReturns([{ daily_pnl: 1 }], -5)).toThrow(/capital_base/);
    expect(() => dailyReturns([{ daily_pnl: 1 }], Number.NaN)).toThrow(/capital_base/);
  });
});


describe("execution order (issue 9): executed_at, then sequence, then arrival — never the id", () => {
  // BUY 10 @ 100 then BUY 10 @ 110 at the same instant; SELL 10 @ 120 later that day.
  // FIFO in execution order closes the @100 lot: (120 − 100) × 10 = 200. Closing the
  // @110 lot instead (the order the ids sort in) would realize (120 − 110) × 10 = 100.
  const at = "14:30:00";
  const sell = () => trade("2026-11-02", "SPY", "SELL", 10, 120, 0, "15:00:00", "m-sell");

  it("fills with one executed_at close in the order the ledger received them", () => {
    const first = { ...trade("2026-11-02", "SPY", "BUY", 10, 100, 0, at, "z-first"), received_at: new Date("2026-11-02T14:30:01.000Z") };
    const second = { ...trade("2026-11-02", "SPY", "BUY", 10, 110, 0, at, "a-second"), received_at: new Date("2026-11-02T14:30:02.000Z") };
    const [day] = rollupStrategyDays([second, sell(), first], NO_MARKS);
    expect(day.realized_pnl).toBe(200);
  });

  it("the execution side's sequence outranks arrival", () => {
    const arrivedFirst = { ...trade("2026-11-02", "SPY", "BUY", 10, 110, 0, at, "a"), sequence: 2, received_at: new Date("2026-11-02T14:30:01.000Z") };
    const executedFirst = { ...trade("2026-11-02", "SPY", "BUY", 10, 100, 0, at, "b"), sequence: 1, received_at: new Date("2026-11-02T14:30:02.000Z") };
    const [day] = rollupStrategyDays([arrivedFirst, executedFirst, sell()], NO_MARKS);
    expect(day.realized_pnl).toBe(200);
  });

  it("a fill with a sequence goes before one without at the same instant", () => {
    const unsequenced = { ...trade("2026-11-02", "SPY", "BUY", 10, 110, 0, at, "a"), received_at: new Date("2026-11-02T14:30:01.000Z") };
    const sequenced = { ...trade("2026-11-02", "SPY", "BUY", 10, 100, 0, at, "b"), sequence: 0, received_at: new Date("2026-11-02T14:30:02.000Z") };
    const [day] = rollupStrategyDays([unsequenced, sequenced, sell()], NO_MARKS);
    expect(day.realized_pnl).toBe(200);
  });
});
