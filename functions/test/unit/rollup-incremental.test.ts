/**
 * The incremental rollup against a full re-roll (issue 9, "Same answer"), on the pure core.
 *
 * The stage keeps every stored day's open lots (its checkpoint). After a write that touches
 * day D, it keeps the stored days before D, and re-rolls from the last of them with only
 * the trades and marks after it. Here a random ledger goes through a random sequence of
 * inserts, edits (price, quantity, a move to another day) and deletes of trades and marks;
 * after each one the stored days, updated that way, must equal a roll of the whole new
 * ledger from scratch — exactly, not within a tolerance.
 *
 * Fills fall anywhere in the day, and the venue is New York, so a fill late in the UTC day
 * belongs to the New York day and the re-roll's "after the checkpoint" split is drawn in
 * the venue's time.
 */
import fc from "fast-check";
import { rollupStrategyDays, tradingDayOf, type DailyRollup, type FifoTrade } from "../../src/core/fifo";

const TZ = "America/New_York";
type Marks = Map<string, Record<string, number>>;
const FIRST = Date.UTC(2025, 2, 3, 5); // Mon 2025-03-03 00:00 in New York
const DAY_MS = 86_400_000;
const SYMBOLS = ["AAA", "BBB"];

function venueDay(index: number): string {
  return tradingDayOf(new Date(FIRST + index * DAY_MS + 12 * 3_600_000), TZ);
}

const tradeArb = (id: string) =>
  fc.record({
    id: fc.constant(id),
    symbol: fc.constantFrom(...SYMBOLS),
    side: fc.constantFrom("BUY" as const, "SELL" as const),
    quantity: fc.integer({ min: 1, max: 40 }).map((q) => q / 4),
    price: fc.integer({ min: 180, max: 220 }).map((p) => p / 2),
    fee: fc.integer({ min: 0, max: 300 }).map((c) => c / 100),
    // Any minute of six calendar days, UTC; some land on the next UTC date but the same New York day.
    executed_at: fc.integer({ min: 0, max: 6 * 24 * 60 - 1 }).map((m) => new Date(FIRST + m * 60_000)),
    sequence: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    received_at: fc.integer({ min: 0, max: 1_000 }).map((s) => new Date(Date.UTC(2025, 2, 10) + s * 1_000)),
  });

const marksArb = fc.array(
  fc.tuple(fc.integer({ min: -1, max: 7 }), fc.subarray(SYMBOLS), fc.integer({ min: 180, max: 220 })),
  { maxLength: 8 },
);

type Mutation =
  | { kind: "insert"; trade: FifoTrade }
  | { kind: "edit"; index: number; price: number; quantity: number }
  | { kind: "move"; index: number; minutes: number }
  | { kind: "delete"; index: number }
  | { kind: "mark"; day: number; symbol: string; price: number }
  | { kind: "unmark"; day: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  tradeArb("new").map((trade) => ({ kind: "insert" as const, trade })),
  fc.record({ kind: fc.constant("edit" as const), index: fc.nat(), price: fc.integer({ min: 180, max: 220 }).map((p) => p / 2), quantity: fc.integer({ min: 1, max: 40 }).map((q) => q / 4) }),
  fc.record({ kind: fc.constant("move" as const), index: fc.nat(), minutes: fc.integer({ min: 0, max: 6 * 24 * 60 - 1 }) }),
  fc.record({ kind: fc.constant("delete" as const), index: fc.nat() }),
  fc.record({ kind: fc.constant("mark" as const), day: fc.integer({ min: -1, max: 7 }), symbol: fc.constantFrom(...SYMBOLS), price: fc.integer({ min: 180, max: 220 }) }),
  fc.record({ kind: fc.constant("unmark" as const), day: fc.integer({ min: -1, max: 7 }) }),
);

/** Applies a mutation; answers the earliest venue day it touched (null: it touched nothing). */
function apply(trades: FifoTrade[], marks: Marks, m: Mutation, serial: number): string | null {
  const dayOf = (t: FifoTrade) => tradingDayOf(t.executed_at, TZ);
  if (m.kind === "insert") {
    const trade = { ...m.trade, id: `n${serial}` };
    trades.push(trade);
    return dayOf(trade);
  }
  if (m.kind === "mark" || m.kind === "unmark") {
    const day = venueDay(m.day);
    if (m.kind === "mark") marks.set(day, { ...(marks.get(day) ?? {}), [m.symbol]: m.price });
    else if (!marks.delete(day)) return null;
    return day;
  }
  if (trades.length === 0) return null;
  const i = m.index % trades.length;
  const old = trades[i];
  if (m.kind === "delete") {
    trades.splice(i, 1);
    return dayOf(old);
  }
  const updated =
    m.kind === "edit" ? { ...old, price: m.price, quantity: m.quantity } : { ...old, executed_at: new Date(FIRST + m.minutes * 60_000) };
  trades[i] = updated;
  return [dayOf(old), dayOf(updated)].sort()[0];
}

/** What the stage does: keep the stored days before `dirtyDay`, re-roll after the last of them. */
function incremental(stored: DailyRollup[], trades: FifoTrade[], marks: Marks, dirtyDay: string, throughDay: string): DailyRollup[] {
  const kept = stored.filter((row) => row.trading_day < dirtyDay);
  const checkpoint = kept[kept.length - 1];
  if (!checkpoint) return rollupStrategyDays(trades, marks, { timeZone: TZ, throughDay });
  const after = trades.filter((t) => tradingDayOf(t.executed_at, TZ) > checkpoint.trading_day);
  const laterMarks = new Map([...marks].filter(([day]) => day > checkpoint.trading_day));
  return [...kept, ...rollupStrategyDays(after, laterMarks, { timeZone: TZ, throughDay, from: checkpoint })];
}

describe("incremental rollup from checkpoints", () => {
  const throughDay = venueDay(8);

  it("equals a full re-roll after any sequence of inserts, edits, moves, deletes and mark changes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { maxLength: 30 }).chain((ids) => fc.tuple(...ids.map((_, i) => tradeArb(`t${i}`)))),
        marksArb,
        fc.array(mutationArb, { minLength: 1, maxLength: 12 }),
        (initial, markList, mutations) => {
          const trades: FifoTrade[] = [...initial];
          const marks: Marks = new Map();
          for (const [day, symbols, price] of markList) {
            if (symbols.length) marks.set(venueDay(day), Object.fromEntries(symbols.map((s) => [s, price])));
          }
          let stored = rollupStrategyDays(trades, marks, { timeZone: TZ, throughDay });
          mutations.forEach((mutation, serial) => {
            const dirtyDay = apply(trades, marks, mutation, serial);
            if (dirtyDay === null) return;
            stored = incremental(stored, trades, marks, dirtyDay, throughDay);
            expect(stored).toEqual(rollupStrategyDays(trades, marks, { timeZone: TZ, throughDay }));
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("resumes from every stored day with exactly the rows of the whole ledger", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }).chain((ids) => fc.tuple(...ids.map((_, i) => tradeArb(`t${i}`)))),
        marksArb,
        (trades, markList) => {
          const marks: Marks = new Map();
          for (const [day, symbols, price] of markList) {
            if (symbols.length) marks.set(venueDay(day), Object.fromEntries(symbols.map((s) => [s, price])));
          }
          const full = rollupStrategyDays(trades, marks, { timeZone: TZ });
          for (const [i, checkpoint] of full.entries()) {
            const after = trades.filter((t) => tradingDayOf(t.executed_at, TZ) > checkpoint.trading_day);
            const laterMarks = new Map([...marks].filter(([day]) => day > checkpoint.trading_day));
            // A checkpoint goes through Firestore as JSON-like data: a copy must do.
            const restored = JSON.parse(JSON.stringify(checkpoint)) as DailyRollup;
            expect(rollupStrategyDays(after, laterMarks, { timeZone: TZ, from: restored })).toEqual(full.slice(i + 1));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
