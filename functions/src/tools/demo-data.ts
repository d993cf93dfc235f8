/**
 * The demo dataset that `emulator-data/` is generated from: two tenants, their strategies,
 * ledger trades, daily marks and pending signals.
 *
 * Pure and deterministic: a seeded PRNG (mulberry32), fixed dates, no clock. Building it
 * twice gives deep-equal results, so the emulator export can be regenerated and diffed.
 *
 * How each strategy lands in its intended mode (DESIGN.md "Rules of the Maestro"):
 * a strategy's Sharpe is computed from the last `lookback_days` (30) rows of its FIFO
 * rollup, each row's return being daily P&L / capital_base. The dataset designs those
 * 30 returns first — standardised draws rescaled to an exact mean and std, so the Sharpe
 * is the chosen one, not whatever 30 random draws give — and then writes trades that earn
 * them. A day's P&L is the cash the day's trades paid or received plus the change in the
 * marked value of open positions; that identity does not depend on how FIFO matches lots.
 * So the multi-day holds (partial closes, a covered short, lots bought at different
 * prices) are laid down first, their mark-to-market P&L is worked out from the marks,
 * and the day's intraday round trips make up the rest, their exit price solved from
 * (exit − entry) · quantity − fees. Prices are rounded to cents, which moves a return by
 * about 1e-5: the Sharpe values stay well inside their bands.
 */
import type { Mode } from "../schemas";
import { seededRandom } from "../core/seeded-random";

export const DEMO_TENANT_ID = "demo-fund";
export const SECOND_TENANT_ID = "other-desk";

/** The last trading day of the demo: a Friday. Every long-running strategy trades 45 weekdays up to it. */
export const DEMO_LAST_TRADING_DAY = "2026-11-20";
export const DEMO_TRADING_DAY_COUNT = 45;

/**
 * The demo's signed-in users (Auth emulator accounts, exported in emulator-data/): an
 * admin, a trader and a viewer of the demo tenant, and an admin of the second tenant. The
 * demo and the web-SDK client test sign in as these. Emulator-only credentials.
 */
export const DEMO_PASSWORD = "maestro-demo";
export const DEMO_USERS = [
  { uid: "demo-admin", email: "admin@demo-fund.maestro.test", display_name: "Ada (admin, Demo Fund)", tenant_id: DEMO_TENANT_ID, role: "admin" },
  { uid: "demo-trader", email: "trader@demo-fund.maestro.test", display_name: "Tom (trader, Demo Fund)", tenant_id: DEMO_TENANT_ID, role: "trader" },
  { uid: "demo-viewer", email: "viewer@demo-fund.maestro.test", display_name: "Vic (viewer, Demo Fund)", tenant_id: DEMO_TENANT_ID, role: "viewer" },
  { uid: "other-admin", email: "admin@other-desk.maestro.test", display_name: "Olga (admin, Other Desk)", tenant_id: SECOND_TENANT_ID, role: "admin" },
] as const;
export type DemoUser = (typeof DEMO_USERS)[number];

export interface DemoDataset {
  tenants: Record<string, { name: string; active: boolean }>;
  /** tenants/{t}/members/{uid}. */
  members: Record<string /*tenant*/, Record<string /*uid*/, { role: "viewer" | "trader" | "admin"; email: string }>>;
  strategies: Record<string /*tenant*/, Record<string /*strategy id*/, { name: string; enabled: boolean; capital_base: number; manual_mode: "DISABLED" | null }>>;
  ledgerTrades: Record<
    string /*tenant*/,
    Record<string /*trade id*/, { strategy_id: string; symbol: string; side: "BUY" | "SELL"; quantity: number; price: number; fee: number; executed_at: string /*ISO*/ }>
  >;
  dailyMarks: Record<string /*tenant*/, Record<string /*YYYY-MM-DD*/, { prices: Record<string, number> }>>;
  signals: Record<
    string /*tenant*/,
    Record<
      string /*signal id*/,
      { strategy_id: string; action: "BUY" | "SELL" | "HOLD"; ticker: string; allocation: number; confidence: number; reasoning: string; reference_price?: number; status: "pending" }
    >
  >;
  /** tenants/{t}/account/snapshot as the execution side reports it (as_of is stamped when written). */
  accounts: Record<string /*tenant*/, { equity: number; buying_power: number }>;
  /** tenants/{t}/config/maestro; {} means the DESIGN.md defaults apply. */
  config: Record<string /*tenant*/, Record<string, unknown>>;
  /** What the demo is built to show, for the test and the README: demo-fund strategy id -> intended mode. */
  intendedModes: Record<string, Mode>;
}

type LedgerTradeDoc = DemoDataset["ledgerTrades"][string][string];
type SignalDoc = DemoDataset["signals"][string][string];

// ---------------------------------------------------------------------------
// Seeded randomness
// ---------------------------------------------------------------------------


class Rng {
  private readonly uniform: () => number;
  constructor(seed: number) {
    this.uniform = seededRandom(seed);
  }
  next(): number {
    return this.uniform();
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.uniform(); // (0, 1]: log(0) would be -Infinity
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }
  /** `count` distinct elements, in a random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return pool.slice(0, count);
  }
}

// ---------------------------------------------------------------------------
// Calendar and market
// ---------------------------------------------------------------------------

/** `count` weekdays ending on `lastDay` (inclusive), oldest first. No US market holiday falls in the demo's range. */
function weekdaysEndingOn(lastDay: string, count: number): string[] {
  const days: string[] = [];
  const cursor = new Date(`${lastDay}T00:00:00.000Z`);
  while (days.length < count) {
    const weekday = cursor.getUTCDay();
    if (weekday !== 0 && weekday !== 6) days.push(cursor.toISOString().slice(0, 10));
    cursor.setUTCDate(cursor.getUTCDate() - 1);
  }
  return days.reverse();
}

/**
 * Starting price, daily volatility and market beta of each symbol, late-2026 levels.
 * The beta ties the random walks to one market factor, so SPY and QQQ move together and
 * TLT leans the other way, as they do.
 */
const SYMBOLS: Record<string, { start: number; dailyVol: number; beta: number }> = {
  SPY: { start: 612.4, dailyVol: 0.009, beta: 1.0 },
  QQQ: { start: 528.15, dailyVol: 0.012, beta: 1.2 },
  IWM: { start: 231.8, dailyVol: 0.013, beta: 1.15 },
  AAPL: { start: 236.5, dailyVol: 0.014, beta: 1.05 },
  MSFT: { start: 448.2, dailyVol: 0.013, beta: 1.0 },
  NVDA: { start: 142.75, dailyVol: 0.024, beta: 1.6 },
  TLT: { start: 91.6, dailyVol: 0.007, beta: -0.25 },
  GLD: { start: 243.3, dailyVol: 0.009, beta: 0.1 },
};
const MARKET_DAILY_VOL = 0.008;
const SYMBOL_NAMES = Object.keys(SYMBOLS);

const cents = (x: number): number => Math.round(x * 100) / 100;

/** Closing prices: `closes[symbol][i + 1]` is the close of trading day i; `[0]` the close before the first day. */
function marketCloses(dayCount: number, rng: Rng): Record<string, number[]> {
  const market = Array.from({ length: dayCount }, () => MARKET_DAILY_VOL * rng.normal());
  const closes: Record<string, number[]> = {};
  for (const symbol of SYMBOL_NAMES) {
    const { start, dailyVol, beta } = SYMBOLS[symbol];
    const idiosyncraticVol = Math.sqrt(Math.max(dailyVol ** 2 - (beta * MARKET_DAILY_VOL) ** 2, 0.002 ** 2));
    const path = [start];
    for (let i = 0; i < dayCount; i++) {
      // Geometric random walk: market factor plus the symbol's own noise, a slight upward drift.
      const logReturn = 0.0003 + beta * market[i] + idiosyncraticVol * rng.normal() - (dailyVol * dailyVol) / 2;
      path.push(cents(path[i] * Math.exp(logReturn)));
    }
    closes[symbol] = path;
  }
  return closes;
}

// ---------------------------------------------------------------------------
// Strategy plans
// ---------------------------------------------------------------------------

/** One trade of a multi-day position: `quantity` signed, + buys, − sells (a sell from flat opens a short). */
interface HoldLeg {
  day: number;
  symbol: string;
  quantity: number;
}

interface StrategyPlan {
  id: string;
  name: string;
  capital_base: number;
  manual_mode: "DISABLED" | null;
  /** Index of the first and last trading day on which the strategy trades. */
  firstDay: number;
  lastDay: number;
  /** Sharpe of the designed returns over the strategy's last `window` trading days, and their daily std. */
  sharpe: number;
  dailyVol: number;
  window: number;
  /** Make the first designed return a loss (seed 000's drawdown defect: it reported 0 for such a strategy). */
  losesFirstDay?: boolean;
  /** Symbols of the intraday round trips. */
  universe: string[];
  roundTripsPerDay: [number, number];
  /** Notional of a day's round trips as a fraction of capital_base. */
  grossExposure: number;
  /** Probability that a round trip is short (sell first, buy back later the same day). */
  shortShare: number;
  holds: HoldLeg[];
  seed: number;
}

const LOOKBACK = 30; // DEFAULT_CONFIG.lookback_days
const RISK_FREE_RATE = 0.04; // DEFAULT_CONFIG.risk_free_rate

const LAST = DEMO_TRADING_DAY_COUNT - 1;

/** Demo tenant: between them the strategies land in every mode. */
const DEMO_PLANS: (StrategyPlan & { intended: Mode })[] = [
  {
    id: "gamma_scalper",
    name: "Gamma Scalper",
    intended: "ACTIVE",
    capital_base: 250_000,
    manual_mode: null,
    firstDay: 0,
    lastDay: LAST,
    sharpe: 2.6,
    dailyVol: 0.006,
    window: LOOKBACK,
    universe: ["SPY", "QQQ", "IWM"],
    roundTripsPerDay: [2, 3],
    grossExposure: 1.2,
    shortShare: 0.35,
    holds: [],
    seed: 101,
  },
  {
    id: "momentum_breakout",
    name: "Momentum Breakout",
    intended: "ACTIVE",
    capital_base: 500_000,
    manual_mode: null,
    firstDay: 0,
    lastDay: LAST,
    sharpe: 2.1,
    dailyVol: 0.008,
    window: LOOKBACK,
    universe: ["NVDA", "AAPL", "MSFT", "QQQ"],
    roundTripsPerDay: [1, 2],
    grossExposure: 0.8,
    shortShare: 0.1,
    // Two NVDA lots at different prices, closed in three partial sells: FIFO closes the
    // first lot before touching the second. A MSFT breakout is still open at the end.
    holds: [
      { day: 8, symbol: "NVDA", quantity: 600 },
      { day: 12, symbol: "NVDA", quantity: -200 },
      { day: 16, symbol: "NVDA", quantity: 400 },
      { day: 22, symbol: "NVDA", quantity: -500 },
      { day: 27, symbol: "NVDA", quantity: -300 },
      { day: 41, symbol: "MSFT", quantity: 150 },
    ],
    seed: 202,
  },
  {
    id: "mean_reversion",
    name: "Mean Reversion",
    intended: "REDUCED",
    capital_base: 100_000,
    manual_mode: null,
    firstDay: 0,
    lastDay: LAST,
    sharpe: 0.75,
    dailyVol: 0.007,
    window: LOOKBACK,
    universe: ["IWM", "SPY", "AAPL"],
    roundTripsPerDay: [1, 2],
    grossExposure: 0.9,
    shortShare: 0.45,
    // An overnight IWM short, covered in two steps; an AAPL dip buy still open at the end.
    holds: [
      { day: 31, symbol: "IWM", quantity: -200 },
      { day: 33, symbol: "IWM", quantity: 100 },
      { day: 35, symbol: "IWM", quantity: 100 },
      { day: 38, symbol: "AAPL", quantity: 100 },
    ],
    seed: 303,
  },
  {
    id: "vol_carry",
    name: "Vol Carry",
    intended: "REDUCED",
    capital_base: 150_000,
    manual_mode: null,
    firstDay: 0,
    lastDay: LAST,
    sharpe: 0.8,
    dailyVol: 0.005,
    window: LOOKBACK,
    universe: ["SPY", "TLT", "GLD"],
    roundTripsPerDay: [1, 2],
    grossExposure: 0.7,
    shortShare: 0.2,
    holds: [
      { day: 5, symbol: "TLT", quantity: 500 },
      { day: 19, symbol: "TLT", quantity: -500 },
      { day: 25, symbol: "GLD", quantity: 100 },
      { day: 30, symbol: "GLD", quantity: -50 },
      { day: 36, symbol: "GLD", quantity: -50 },
    ],
    seed: 404,
  },
  {
    id: "pairs_arbitrage",
    name: "Pairs Arbitrage",
    intended: "SHADOW_MODE",
    capital_base: 200_000,
    manual_mode: null,
    // Starts exactly 30 trading days before the end and loses on its first day, so its whole
    // history is the Sharpe window and its drawdown starts at once.
    firstDay: DEMO_TRADING_DAY_COUNT - LOOKBACK,
    lastDay: LAST,
    sharpe: -1.6,
    dailyVol: 0.006,
    window: LOOKBACK,
    losesFirstDay: true,
    universe: ["AAPL", "MSFT", "QQQ", "SPY"],
    roundTripsPerDay: [1, 2],
    grossExposure: 0.8,
    shortShare: 0.5,
    // Long AAPL / short MSFT pair held for nine days, then unwound.
    holds: [
      { day: 15, symbol: "AAPL", quantity: 300 },
      { day: 15, symbol: "MSFT", quantity: -160 },
      { day: 24, symbol: "AAPL", quantity: -300 },
      { day: 24, symbol: "MSFT", quantity: 160 },
    ],
    seed: 505,
  },
  {
    id: "congressional_alpha",
    name: "Congressional Alpha",
    intended: "DISABLED",
    capital_base: 100_000,
    manual_mode: "DISABLED",
    // Switched off by hand after its last trade on day 39 (pending a compliance review); it
    // performed well, which is the point: manual_mode wins over the numbers.
    firstDay: 0,
    lastDay: 39,
    sharpe: 1.5,
    dailyVol: 0.008,
    window: LOOKBACK - 5,
    universe: ["NVDA", "AAPL", "MSFT", "GLD"],
    roundTripsPerDay: [1, 2],
    grossExposure: 0.8,
    shortShare: 0.15,
    holds: [
      { day: 3, symbol: "NVDA", quantity: 100 },
      { day: 11, symbol: "NVDA", quantity: -100 },
    ],
    seed: 606,
  },
  {
    id: "new_listing_momentum",
    name: "New Listing Momentum",
    intended: "ACTIVE", // fewer than min_data_points days → insufficient_data_mode (ACTIVE by default)
    capital_base: 50_000,
    manual_mode: null,
    // Started trading 3 days before the end: 3 daily returns, fewer than the 5 needed.
    firstDay: LAST - 2,
    lastDay: LAST,
    sharpe: 2,
    dailyVol: 0.01,
    window: 3,
    universe: ["NVDA", "QQQ"],
    roundTripsPerDay: [1, 1],
    grossExposure: 0.8,
    shortShare: 0,
    holds: [{ day: LAST - 1, symbol: "NVDA", quantity: 50 }],
    seed: 707,
  },
];

/** Second tenant: small, so that tenant isolation can be shown. */
const OTHER_DESK_DAYS = 10;
const OTHER_DESK_PLANS: StrategyPlan[] = [
  {
    id: "index_rebalancer",
    name: "Index Rebalancer",
    capital_base: 300_000,
    manual_mode: null,
    firstDay: DEMO_TRADING_DAY_COUNT - OTHER_DESK_DAYS,
    lastDay: LAST,
    sharpe: 1.8,
    dailyVol: 0.004,
    window: OTHER_DESK_DAYS,
    universe: ["SPY", "QQQ", "IWM"],
    roundTripsPerDay: [1, 2],
    grossExposure: 0.6,
    shortShare: 0.1,
    holds: [{ day: LAST - 3, symbol: "SPY", quantity: 100 }],
    seed: 808,
  },
  {
    id: "treasury_basis",
    name: "Treasury Basis",
    capital_base: 200_000,
    manual_mode: null,
    firstDay: DEMO_TRADING_DAY_COUNT - OTHER_DESK_DAYS,
    lastDay: LAST,
    sharpe: 0.7,
    dailyVol: 0.003,
    window: OTHER_DESK_DAYS,
    universe: ["TLT", "GLD"],
    roundTripsPerDay: [1, 1],
    grossExposure: 0.5,
    shortShare: 0.3,
    holds: [],
    seed: 909,
  },
];

// ---------------------------------------------------------------------------
// Designed returns → trades
// ---------------------------------------------------------------------------

/**
 * Daily returns for days firstDay..lastDay. The last `window` of them are standardised
 * draws rescaled to mean μ and population std σ, where DESIGN.md's Sharpe
 * √252 · (μ − rf/252) / σ equals the plan's Sharpe exactly.
 */
function designedReturns(plan: StrategyPlan, rng: Rng): number[] {
  const sigma = plan.dailyVol;
  const mu = (plan.sharpe * sigma) / Math.sqrt(252) + RISK_FREE_RATE / 252;
  const count = plan.lastDay - plan.firstDay + 1;
  const window = Math.min(plan.window, count);
  const returns: number[] = [];
  for (let i = 0; i < count - window; i++) returns.push(mu + sigma * rng.normal());

  const z = Array.from({ length: window }, () => rng.normal());
  const zMean = z.reduce((a, b) => a + b, 0) / window;
  const zStd = Math.sqrt(z.reduce((a, b) => a + (b - zMean) ** 2, 0) / window);
  let scaled = z.map((x) => mu + (sigma * (x - zMean)) / zStd);
  if (plan.losesFirstDay && scaled[0] >= 0) {
    // Swap the worst day to the front: same values, so the same mean, std and Sharpe.
    const worst = scaled.indexOf(Math.min(...scaled));
    scaled = [...scaled];
    [scaled[0], scaled[worst]] = [scaled[worst], scaled[0]];
  }
  return [...returns, ...scaled];
}

/** Commission: $0.005 a share, at least $1. */
function commission(quantity: number): number {
  return Math.max(1, cents(0.005 * quantity));
}

/** An ISO instant on `day`, `minutes` after 14:30 UTC (the US open in winter; also within the summer session until 20:00 UTC). */
function at(day: string, minutes: number, seconds: number): string {
  const totalSeconds = (14 * 60 + 30 + minutes) * 60 + seconds;
  const hh = String(Math.floor(totalSeconds / 3600)).padStart(2, "0");
  const mm = String(Math.floor(totalSeconds / 60) % 60).padStart(2, "0");
  const ss = String(totalSeconds % 60).padStart(2, "0");
  return `${day}T${hh}:${mm}:${ss}.000Z`;
}

interface PendingTrade {
  symbol: string;
  side: "BUY" | "SELL";
  quantity: number;
  price: number;
  fee: number;
  executed_at: string;
}

function tradesForPlan(
  plan: StrategyPlan,
  days: readonly string[],
  closes: Record<string, number[]>,
): Record<string, LedgerTradeDoc> {
  const rng = new Rng(plan.seed);
  const returns = designedReturns(plan, rng);
  const close = (symbol: string, day: number) => closes[symbol][day + 1];
  const position = new Map<string, number>();
  const trades: Record<string, LedgerTradeDoc> = {};

  const valueAtClose = (day: number) => {
    let value = 0;
    for (const [symbol, quantity] of position) value += quantity * close(symbol, day);
    return value;
  };

  for (let d = plan.firstDay; d <= plan.lastDay; d++) {
    const day = days[d];
    const target = returns[d - plan.firstDay] * plan.capital_base;
    const dayTrades: PendingTrade[] = [];

    // 1. Multi-day positions, traded near the close. Their P&L today is cash flow plus the
    //    change in the marked value of what is held.
    const valueBefore = valueAtClose(d - 1);
    let holdCash = 0;
    for (const leg of plan.holds.filter((l) => l.day === d)) {
      const price = cents(close(leg.symbol, d) * (1 + 0.001 * rng.normal()));
      const quantity = Math.abs(leg.quantity);
      const fee = commission(quantity);
      holdCash += -leg.quantity * price - fee;
      position.set(leg.symbol, (position.get(leg.symbol) ?? 0) + leg.quantity);
      if (position.get(leg.symbol) === 0) position.delete(leg.symbol);
      dayTrades.push({
        symbol: leg.symbol,
        side: leg.quantity > 0 ? "BUY" : "SELL",
        quantity,
        price,
        fee,
        executed_at: at(day, 300 + rng.int(0, 25), rng.int(0, 59)),
      });
    }
    const holdPnl = holdCash + valueAtClose(d) - valueBefore;

    // 2. Intraday round trips earn the rest: for each, solve the exit price from
    //    (exit − entry) · q − fees = its share (a short: (entry − exit) · q − fees).
    let remaining = target - holdPnl;
    const count = rng.int(plan.roundTripsPerDay[0], plan.roundTripsPerDay[1]);
    const symbols = rng.sample(plan.universe, Math.min(count, plan.universe.length));
    for (let k = 0; k < symbols.length; k++) {
      const symbol = symbols[k];
      const isLast = k === symbols.length - 1;
      const share = isLast ? remaining : remaining * (0.3 + 0.4 * rng.next());
      const entry = cents(close(symbol, d - 1) * (1 + 0.003 * rng.normal()));
      const short = rng.next() < plan.shortShare;
      const notional = (plan.capital_base * plan.grossExposure) / symbols.length;
      let quantity = Math.max(10, Math.round(notional / entry / 10) * 10);
      let exit = 0;
      // Keep the intraday move plausible (under 3%); trade more shares rather than move the price further.
      for (;;) {
        const fees = 2 * commission(quantity);
        const move = (share + fees) / quantity;
        exit = cents(short ? entry - move : entry + move);
        if (Math.abs(exit / entry - 1) < 0.03) break;
        quantity *= 2;
      }
      const fee = commission(quantity);
      const realized = (short ? entry - exit : exit - entry) * quantity - 2 * fee;
      remaining -= realized;
      const openMinute = rng.int(5, 120);
      const closeMinute = rng.int(150, 290);
      dayTrades.push(
        { symbol, side: short ? "SELL" : "BUY", quantity, price: entry, fee, executed_at: at(day, openMinute, rng.int(0, 59)) },
        { symbol, side: short ? "BUY" : "SELL", quantity, price: exit, fee, executed_at: at(day, closeMinute, rng.int(0, 59)) },
      );
    }

    dayTrades.sort((a, b) => (a.executed_at < b.executed_at ? -1 : a.executed_at > b.executed_at ? 1 : 0));
    dayTrades.forEach((t, n) => {
      trades[`t_${plan.id}_${day}_${String(n + 1).padStart(2, "0")}`] = { strategy_id: plan.id, ...t };
    });
  }
  return trades;
}

function marksFor(days: readonly string[], closes: Record<string, number[]>, fromDay: number): DemoDataset["dailyMarks"][string] {
  const marks: DemoDataset["dailyMarks"][string] = {};
  for (let d = fromDay; d < days.length; d++) {
    const prices: Record<string, number> = {};
    for (const symbol of SYMBOL_NAMES) prices[symbol] = closes[symbol][d + 1];
    marks[days[d]] = { prices };
  }
  return marks;
}

function strategyDocs(plans: readonly StrategyPlan[]): DemoDataset["strategies"][string] {
  return Object.fromEntries(
    plans.map((p) => [p.id, { name: p.name, enabled: true, capital_base: p.capital_base, manual_mode: p.manual_mode }]),
  );
}

function ledgerFor(plans: readonly StrategyPlan[], days: readonly string[], closes: Record<string, number[]>) {
  const ledger: Record<string, LedgerTradeDoc> = {};
  for (const plan of plans) Object.assign(ledger, tradesForPlan(plan, days, closes));
  return ledger;
}

// ---------------------------------------------------------------------------
// Signals
// ---------------------------------------------------------------------------

const pending = (
  strategy_id: string,
  action: SignalDoc["action"],
  ticker: string,
  allocation: number,
  confidence: number,
  reasoning: string,
): SignalDoc => ({ strategy_id, action, ticker, allocation, confidence, reasoning, status: "pending" });

/**
 * Three tradable strategies (ACTIVE/REDUCED) say SELL, which trips the systemic risk
 * override (threshold 3): every BUY becomes HOLD. The SELL of the DISABLED strategy does
 * not count towards the threshold. Two documents are malformed on purpose and are
 * rejected with the field named.
 */
function demoSignals(): DemoDataset["signals"][string] {
  const signals: DemoDataset["signals"][string] = {
    sig_001: pending("momentum_breakout", "SELL", "NVDA", 0.3, 0.82, "Breakdown below the 20-day low on rising volume; momentum regime has turned."),
    sig_002: pending("mean_reversion", "SELL", "IWM", 0.25, 0.71, "Small caps 2.4 standard deviations above the 10-day mean; fading the stretch."),
    sig_003: pending("vol_carry", "SELL", "SPY", 0.2, 0.77, "VIX term structure inverted; cutting short-volatility carry exposure."),
    sig_004: pending("gamma_scalper", "BUY", "QQQ", 0.4, 0.68, "Dealer gamma long below 495; buying the dip to scalp the rebound."),
    sig_005: pending("new_listing_momentum", "BUY", "NVDA", 0.15, 0.64, "Follow-through after the post-earnings gap; first pullback held."),
    sig_006: pending("momentum_breakout", "BUY", "MSFT", 0.2, 0.59, "Adding to the MSFT breakout above its 50-day high."),
    sig_007: pending("pairs_arbitrage", "BUY", "AAPL", 0.3, 0.55, "AAPL/MSFT spread 2.1 sigma wide; long the laggard leg."),
    sig_008: pending("congressional_alpha", "SELL", "NVDA", 0.35, 0.6, "Cluster of disclosed sales by committee members in the last 45 days."),
    sig_009: pending("gamma_scalper", "HOLD", "SPY", 0.1, 0.5, "Gamma flat around the 580 strike; no edge until it moves."),
  };
  // Deliberately malformed: "SHORT" is no signal action, and an allocation is a fraction in [0, 1].
  const malformed: Record<string, Record<string, unknown>> = {
    sig_010: { ...pending("mean_reversion", "SELL", "TLT", 0.2, 0.6, "Bonds overbought; short the 20+ year Treasury ETF."), action: "SHORT" },
    sig_011: { ...pending("gamma_scalper", "BUY", "IWM", 0.5, 0.7, "Sizing error upstream: allocation sent as a leverage multiple."), allocation: 5 },
  };
  return { ...signals, ...(malformed as DemoDataset["signals"][string]) };
}

function otherDeskSignals(): DemoDataset["signals"][string] {
  return {
    sig_001: pending("index_rebalancer", "BUY", "SPY", 0.3, 0.7, "Month-end rebalance: equity sleeve 2% under target."),
    sig_002: pending("treasury_basis", "SELL", "TLT", 0.2, 0.65, "Basis has converged; taking the carry off."),
  };
}

// ---------------------------------------------------------------------------
// The dataset
// ---------------------------------------------------------------------------

function membersOf(users: readonly DemoUser[]): DemoDataset["members"] {
  const members: DemoDataset["members"] = {};
  for (const u of users) (members[u.tenant_id] ??= {})[u.uid] = { role: u.role, email: u.email };
  return members;
}

/** The demo desks' hours: every day, all day, in New York's calendar. */
export const DEMO_MARKET_HOURS = { time_zone: "America/New_York", open: "00:00", close: "24:00", trading_days: [1, 2, 3, 4, 5, 6, 7], holidays: [] as string[] };

export function buildDemoDataset(): DemoDataset {
  const days = weekdaysEndingOn(DEMO_LAST_TRADING_DAY, DEMO_TRADING_DAY_COUNT);
  const closes = marketCloses(days.length, new Rng(20261120));
  const demoMarks = marksFor(days, closes, 0);
  const signals = demoSignals();
  // The shadow strategy names its price: its paper fill is made at the last close of AAPL.
  signals.sig_007 = { ...signals.sig_007, reference_price: demoMarks[DEMO_LAST_TRADING_DAY].prices.AAPL };

  return {
    tenants: {
      [DEMO_TENANT_ID]: { name: "Demo Fund", active: true },
      [SECOND_TENANT_ID]: { name: "Other Desk", active: true },
    },
    members: membersOf(DEMO_USERS),
    strategies: {
      [DEMO_TENANT_ID]: strategyDocs(DEMO_PLANS),
      [SECOND_TENANT_ID]: strategyDocs(OTHER_DESK_PLANS),
    },
    ledgerTrades: {
      [DEMO_TENANT_ID]: ledgerFor(DEMO_PLANS, days, closes),
      [SECOND_TENANT_ID]: ledgerFor(OTHER_DESK_PLANS, days, closes),
    },
    dailyMarks: {
      [DEMO_TENANT_ID]: demoMarks,
      [SECOND_TENANT_ID]: marksFor(days, closes, DEMO_TRADING_DAY_COUNT - OTHER_DESK_DAYS),
    },
    signals: {
      [DEMO_TENANT_ID]: signals,
      [SECOND_TENANT_ID]: otherDeskSignals(),
    },
    accounts: {
      [DEMO_TENANT_ID]: { equity: 1_250_000, buying_power: 400_000 },
      [SECOND_TENANT_ID]: { equity: 600_000, buying_power: 150_000 },
    },
    // Both desks trade around the clock on New York days, so the demo finds an
    // ACTIVE_TRADING session whatever the hour it runs at (a desk on exchange hours is
    // INIT before its pre-market window, and its cycles orchestrate nothing).
    config: {
      [DEMO_TENANT_ID]: { market_hours: DEMO_MARKET_HOURS },
      [SECOND_TENANT_ID]: { market_hours: DEMO_MARKET_HOURS },
    },
    intendedModes: Object.fromEntries(DEMO_PLANS.map((p) => [p.id, p.intended])),
  };
}
