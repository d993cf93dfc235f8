/**
 * The incremental rollup on the real emulators (issue 9, "Cheap" and "Same answer"), with
 * the deployed triggers live: ledger writes mark the strategy dirty, one scheduled runner
 * per strategy rolls from the checkpoint before the earliest dirty day.
 *
 * The expected days are a roll of the whole ledger from scratch by the pure core
 * (core/fifo.ts, itself checked against a brute-force lot matcher in
 * test/unit/fifo-property.test.ts), on the trades as the test wrote them.
 */
import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { rollupStrategyDays, type FifoTrade } from "../../src/core/fifo";
import { paths } from "../../src/store/paths";
import { seededRandom } from "../../src/core/seeded-random";
import { adminDb, uniqueTenantId, waitFor } from "../support/emulator";

const db: Firestore = adminDb();
const TZ = "America/New_York";

interface Written {
  strategy_id: string;
  symbol: string;
  side: "BUY" | "SELL";
  quantity: number;
  price: number;
  fee: number;
  executed_at: Date;
}

async function tenantWithStrategy(label: string): Promise<string> {
  const tenantId = uniqueTenantId(label);
  await db.doc(paths.tenant(tenantId)).set({ name: label, active: true });
  await db.doc(paths.strategy(tenantId, "alpha")).set({ name: "Alpha", enabled: true, capital_base: 10_000, manual_mode: null });
  return tenantId;
}

/** The figures the stored days must end on: the whole ledger rolled from scratch, as read back (create times included). */
async function expectedDays(tenantId: string, marks: Map<string, Record<string, number>>) {
  const snap = await db.collection(paths.ledgerTrades(tenantId)).get();
  const trades: FifoTrade[] = snap.docs.map((d) => {
    const t = d.data();
    return { id: d.id, symbol: t.symbol, side: t.side, quantity: t.quantity, price: t.price, fee: t.fee, executed_at: (t.executed_at as Timestamp).toDate(), received_at: d.createTime.toDate() };
  });
  return rollupStrategyDays(trades, marks, { timeZone: TZ, throughDay: new Date().toISOString().slice(0, 10) }).map((row) => ({
    trading_day: row.trading_day, realized_pnl: row.realized_pnl, unrealized_pnl: row.unrealized_pnl, daily_pnl: row.daily_pnl,
    fees: row.fees, trade_count: row.trade_count, positions: row.positions, open_lots: row.open_lots,
  }));
}

async function storedDays(tenantId: string) {
  const snap = await db.collection(paths.performance(tenantId)).where("strategy_id", "==", "alpha").get();
  return snap.docs
    .map((d) => d.data())
    .sort((a, b) => (a.trading_day < b.trading_day ? -1 : 1))
    .map((d) => ({
      trading_day: d.trading_day, realized_pnl: d.realized_pnl, unrealized_pnl: d.unrealized_pnl, daily_pnl: d.daily_pnl,
      fees: d.fees, trade_count: d.trade_count, positions: d.positions, open_lots: d.open_lots,
    }));
}

/** Waits until the stored days equal a full re-roll, then checks the runner has let go. */
async function settlesOnFullReroll(tenantId: string, marks = new Map<string, Record<string, number>>()) {
  const expected = await expectedDays(tenantId, marks);
  let last: unknown;
  await waitFor(
    "the stored days to equal a full re-roll",
    async () => {
      last = await storedDays(tenantId);
      return JSON.stringify(last) === JSON.stringify(expected) ? true : undefined;
    },
    90_000,
    500,
  ).catch((error) => {
    expect(last).toEqual(expected); // shows the difference
    throw error;
  });
  const state = await waitFor("the runner to finish", async () => {
    const s = (await db.doc(paths.rollupState(tenantId, "alpha")).get()).data();
    return s && s.scheduled === false && s.dirty_from === null && s.run === null ? s : undefined;
  }, 60_000, 250);
  return { expected, state };
}

test("an 8 pm New York fill lands on that New York day, through the deployed trigger", async () => {
  const tenantId = await tenantWithStrategy("venue-day");
  // 2026-11-02 is EST (UTC−5): 14:30 and 20:00 New York are 19:30Z and 01:00Z the next UTC day.
  await db.doc(paths.ledgerTrade(tenantId, "buy")).set({ strategy_id: "alpha", symbol: "SPY", side: "BUY", quantity: 10, price: 100, fee: 0, executed_at: new Date("2026-11-02T19:30:00Z") });
  await db.doc(paths.ledgerTrade(tenantId, "sell")).set({ strategy_id: "alpha", symbol: "SPY", side: "SELL", quantity: 10, price: 105, fee: 0, executed_at: new Date("2026-11-03T01:00:00Z") });
  const day = await waitFor("the 2026-11-02 day with both fills", async () => {
    const snap = await db.doc(paths.performanceDay(tenantId, "alpha", "2026-11-02")).get();
    return snap.exists && snap.get("trade_count") === 2 ? snap.data() : undefined;
  }, 60_000, 250);
  expect(day).toMatchObject({ realized_pnl: 50, trade_count: 2, period_start: "2026-11-02T05:00:00.000Z", period_end: "2026-11-03T05:00:00.000Z" });
  expect((await db.doc(paths.performanceDay(tenantId, "alpha", "2026-11-03")).get()).exists).toBe(false);
});

test("after a random burst of inserts, edits and deletes racing the runner, the stored days equal a full re-roll", async () => {
  const tenantId = await tenantWithStrategy("incr-burst");
  const marks = new Map<string, Record<string, number>>([
    ["2026-11-03", { SPY: 101, QQQ: 399 }],
    ["2026-11-05", { SPY: 98 }],
    ["2026-11-09", { QQQ: 405 }],
  ]);
  for (const [day, prices] of marks) await db.doc(paths.dailyMark(tenantId, day)).set({ prices });

  const random = seededRandom(20261130);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const newTrade = (): Written => ({
    strategy_id: "alpha",
    symbol: pick(["SPY", "QQQ"]),
    side: pick(["BUY", "SELL"] as const),
    quantity: 1 + Math.floor(random() * 20),
    price: 95 + Math.floor(random() * 20) / 2,
    fee: Math.floor(random() * 100) / 100,
    // 2026-11-02 … 2026-11-09, any minute of the day (some late fills cross the UTC date)
    executed_at: new Date(Date.UTC(2026, 10, 2, 5) + Math.floor(random() * 8 * 24 * 60) * 60_000),
  });

  const ids: string[] = [];
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < 60; i++) {
    const roll = random();
    if (ids.length < 5 || roll < 0.6) {
      const id = `t${String(i).padStart(3, "0")}`;
      ids.push(id);
      writes.push(db.doc(paths.ledgerTrade(tenantId, id)).set(newTrade()));
    } else if (roll < 0.85) {
      const id = pick(ids);
      const t = newTrade();
      writes.push(db.doc(paths.ledgerTrade(tenantId, id)).set(t)); // an edit: new price, size, time
    } else {
      const id = ids.splice(Math.floor(random() * ids.length), 1)[0];
      writes.push(db.doc(paths.ledgerTrade(tenantId, id)).delete());
    }
    if (i % 10 === 9) {
      await Promise.all(writes.splice(0)); // let some runners start between the waves
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
  await Promise.all(writes);
  const { expected, state } = await settlesOnFullReroll(tenantId, marks);
  expect(expected.length).toBeGreaterThanOrEqual(6);
  // The burst was coalesced: far fewer passes committed than writes made.
  expect(state.commits).toBeGreaterThan(0);
  expect(state.commits).toBeLessThan(60);
}, 180_000);
