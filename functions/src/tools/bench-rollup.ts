/**
 * The ledger rollup's cost on the emulators (issue 9, "Benchmark"):
 *  - reads to roll one new trade into a 10,000-trade, 250-day ledger (target ≤ that day's
 *    trades + the days after + 10), on the last day and in the middle;
 *  - importing 10,000 trades for one strategy in one burst through the deployed triggers:
 *    total document reads (target ≤ 3 per trade) and the time until the last day is current.
 * Reads are Firestore's billed reads as the stages count them (IoCount); in the burst, the
 * runners and the dirty-marking transactions add theirs to the strategy's rollup_state
 * stats, and every trigger makes one more read (its quick check).
 */
import type { Firestore } from "firebase-admin/firestore";
import { rollupStrategyPerformance } from "../stages/performance-rollup";
import { venueDayStart } from "../core/market-hours";
import { paths } from "../store/paths";
import { formatBenchTable, ms, type BenchRow } from "./bench-core";
import { emulatorDb, waitFor } from "./emulator-client";
import { seededRandom } from "../core/seeded-random";

const TRADES = Number(process.env.MAESTRO_BENCH_LEDGER_TRADES ?? 10_000);
const DAYS = 250;
const TZ = "America/New_York";

/** 250 weekdays from 2025-01-02, New York days. */
function tradingDays(): string[] {
  const days: string[] = [];
  for (let t = Date.UTC(2025, 0, 2); days.length < DAYS; t += 86_400_000) {
    const d = new Date(t);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) days.push(d.toISOString().slice(0, 10));
  }
  return days;
}

interface LedgerFixture {
  days: string[];
  perDay: number;
  trades: Array<{ id: string; data: Record<string, unknown> }>;
}

/** TRADES fills over DAYS venue days, 09:30–16:00 New York, buying and selling two symbols. */
function buildLedger(seed: number): LedgerFixture {
  const random = seededRandom(seed);
  const days = tradingDays();
  const perDay = Math.floor(TRADES / DAYS);
  const trades: LedgerFixture["trades"] = [];
  const position = { SPY: 0, QQQ: 0 };
  for (const [d, day] of days.entries()) {
    const open = venueDayStart(day, TZ).getTime() + 9.5 * 3_600_000;
    for (let i = 0; i < perDay; i++) {
      const symbol = random() < 0.5 ? "SPY" : "QQQ";
      const side = position[symbol] > 0 && random() < 0.55 ? "SELL" : "BUY";
      const quantity = 1 + Math.floor(random() * 50);
      position[symbol] += side === "BUY" ? quantity : -quantity;
      trades.push({
        id: `d${String(d).padStart(3, "0")}_${String(i).padStart(3, "0")}`,
        data: {
          strategy_id: "alpha", symbol, side, quantity,
          price: Math.round((symbol === "SPY" ? 500 : 400) * (1 + 0.01 * (random() - 0.5)) * 100) / 100,
          fee: 0.35, executed_at: new Date(open + Math.floor((i * 23_400_000) / perDay)),
        },
      });
    }
  }
  return { days, perDay, trades };
}

async function seedTenant(db: Firestore, tenantId: string, days: readonly string[]): Promise<void> {
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: "Rollup bench", active: false });
  batch.set(db.doc(paths.strategy(tenantId, "alpha")), { name: "Alpha", enabled: true, capital_base: 1_000_000, manual_mode: null });
  await batch.commit();
  for (let i = 0; i < days.length; i += 400) {
    const marks = db.batch();
    for (const day of days.slice(i, i + 400)) marks.set(db.doc(paths.dailyMark(tenantId, day)), { prices: { SPY: 500, QQQ: 400 } });
    await marks.commit();
  }
}

async function writeTrades(db: Firestore, tenantId: string, trades: LedgerFixture["trades"]): Promise<void> {
  const commits: Promise<unknown>[] = [];
  for (let i = 0; i < trades.length; i += 500) {
    const batch = db.batch();
    for (const t of trades.slice(i, i + 500)) batch.set(db.doc(paths.ledgerTrade(tenantId, t.id)), t.data);
    commits.push(batch.commit());
  }
  await Promise.all(commits);
}

async function setBackgroundTriggers(enabled: boolean): Promise<void> {
  const hub = `http://${process.env.FIREBASE_EMULATOR_HUB ?? "127.0.0.1:4400"}`;
  const response = await fetch(`${hub}/functions/${enabled ? "enable" : "disable"}BackgroundTriggers`, { method: "PUT" });
  if (!response.ok) throw new Error(`could not ${enabled ? "enable" : "disable"} background triggers: ${response.status}`);
}

/** One new fill into a full ledger: the reads of its roll, on the last day and in the middle. */
async function benchOneTrade(db: Firestore): Promise<BenchRow[]> {
  const tenantId = `bench-rollup-one-${Date.now()}`;
  const ledger = buildLedger(0x0e1);
  await setBackgroundTriggers(false);
  try {
    await seedTenant(db, tenantId, ledger.days);
    await writeTrades(db, tenantId, ledger.trades);
    const now = new Date();
    const started = Date.now();
    const full = await rollupStrategyPerformance(db, tenantId, "alpha", { now });
    const fullMs = Date.now() - started;

    const lastDay = ledger.days[DAYS - 1];
    const lastAt = new Date(venueDayStart(lastDay, TZ).getTime() + 15.9 * 3_600_000);
    await db.doc(paths.ledgerTrade(tenantId, "new-last")).set({ strategy_id: "alpha", symbol: "SPY", side: "BUY", quantity: 3, price: 501, fee: 0.35, executed_at: lastAt });
    const last = await rollupStrategyPerformance(db, tenantId, "alpha", { now, from: lastAt });

    const midDay = ledger.days[DAYS / 2];
    const midAt = new Date(venueDayStart(midDay, TZ).getTime() + 12 * 3_600_000);
    await db.doc(paths.ledgerTrade(tenantId, "new-mid")).set({ strategy_id: "alpha", symbol: "QQQ", side: "BUY", quantity: 3, price: 401, fee: 0.35, executed_at: midAt });
    const mid = await rollupStrategyPerformance(db, tenantId, "alpha", { now, from: midAt });
    const daysAfterMid = DAYS - DAYS / 2 - 1;

    const lastTarget = ledger.perDay + 1 + 10;
    // FIFO is path dependent: a fill mid-ledger changes every later day's lots, so the later
    // days' trades are read again; the target here is those trades + 2 reads a day after + 10.
    const midTarget = mid.trades_read + 2 * daysAfterMid + 10;
    return [
      { label: `Full roll of ${ledger.trades.length.toLocaleString("en-US")} trades, ${DAYS} days`, value: `${full.io.reads} reads`, note: `${ms(fullMs)} (the cost of every write before checkpoints)` },
      {
        label: "One new trade on the last day",
        value: `${last.io.reads} reads`,
        note: `target ≤ ${lastTarget} (${ledger.perDay + 1} trades that day + 0 days after + 10): ${last.io.reads <= lastTarget ? "PASS" : "MISS"}`,
      },
      {
        label: `One new trade on day ${DAYS / 2 + 1} of ${DAYS}`,
        value: `${mid.io.reads} reads`,
        note: `${mid.trades_read} trades from that day on + ${daysAfterMid} days after (stored day + marks each) + 10 = ${midTarget}: ${mid.io.reads <= midTarget ? "PASS" : "MISS"}`,
      },
    ];
  } finally {
    await setBackgroundTriggers(true);
  }
}

/** TRADES fills written in one burst through the deployed triggers. */
async function benchImport(db: Firestore): Promise<BenchRow[]> {
  const tenantId = `bench-rollup-import-${Date.now()}`;
  const ledger = buildLedger(0x1a1);
  await seedTenant(db, tenantId, ledger.days);
  // Let the marks' own triggers settle first, so the burst measures the ledger alone.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const stateRef = db.doc(paths.rollupState(tenantId, "alpha"));
  const before = (await stateRef.get()).data()?.stats ?? {};
  const lastDocRef = db.doc(paths.performanceDay(tenantId, "alpha", ledger.days[DAYS - 1]));
  const started = Date.now();
  await writeTrades(db, tenantId, ledger.trades);
  const written = Date.now() - started;
  const timeoutMs = Number(process.env.MAESTRO_BENCH_IMPORT_TIMEOUT_MS ?? 30 * 60_000);
  await waitFor(
    "the last day to be current and the runner to finish",
    async () => {
      const [state, last] = await Promise.all([stateRef.get(), lastDocRef.get()]);
      const s = state.data();
      const done = s && s.scheduled === false && s.dirty_from === null && s.run === null && last.get("trade_count") === ledger.perDay;
      return done ? true : undefined;
    },
    timeoutMs,
    500,
  );
  const current = Date.now() - started;
  const stats = (await stateRef.get()).data()?.stats ?? {};
  const days = await db.collection(paths.performance(tenantId)).where("strategy_id", "==", "alpha").count().get();
  const runnerReads = (stats.runner_reads ?? 0) - (before.runner_reads ?? 0);
  const dirtyTx = (stats.dirty_transactions ?? 0) - (before.dirty_transactions ?? 0);
  const passes = (stats.passes ?? 0) - (before.passes ?? 0);
  const total = ledger.trades.length + dirtyTx + runnerReads;
  const perTrade = total / ledger.trades.length;
  return [
    { label: `Import ${ledger.trades.length.toLocaleString("en-US")} trades in one burst`, value: ms(current), note: `until the last day is current (writes took ${ms(written)}); ${days.data().count} days stored` },
    { label: "  reads in all", value: `${total}`, note: `${ledger.trades.length} trigger checks + ${dirtyTx} dirty-marking transactions + ${runnerReads} by ${passes} runner passes` },
    { label: "  reads per trade", value: perTrade.toFixed(2), note: `target ≤ 3: ${perTrade <= 3 ? "PASS" : "MISS"}` },
  ];
}

export async function runRollupBenchmarks(): Promise<void> {
  const db = emulatorDb();
  const rows = [...(await benchOneTrade(db)), { label: "", value: "" }, ...(await benchImport(db))];
  console.log(
    formatBenchTable(`Maestro benchmarks — ledger rollup (${TRADES.toLocaleString("en-US")} trades, ${DAYS} days, one strategy)`, rows, [
      "Reads are billed document reads (a query that matches nothing is one). The import goes through the",
      "Functions emulator on this machine: the time is dominated by its per-event worker overhead.",
    ]),
  );
}

// `npm run bench:rollup` runs this part alone.
if (require.main === module) {
  runRollupBenchmarks().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
